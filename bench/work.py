"""The measured work of the benchmark. Each function runs in a fresh child process (see bench/__main__.py).

Kept in an importable module: a spawned child must find the function by its module name.
"""
from __future__ import annotations

import io
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# ------------------------------------------------------------------ the measured work (runs in a child)
def project_visits(path: str) -> int:
    from kpi import clinic
    from kpi.load import load

    frame = load(Path(path).read_bytes(), Path(path).name).frame
    clinic.page_results(frame)  # exactly what the clinic page computes (and caches)
    return len(frame)


def project_leads(path: str) -> int:
    from kpi.load import load
    from kpi.targets import Targets

    frame = load(Path(path).read_bytes(), Path(path).name).frame
    funnel_page_work(frame, Targets())
    return len(frame)


def funnel_page_work(leads, targets) -> None:
    """What the funnel page computes on first view (fiscal-quarter cohort, every tab)."""
    from kpi import funnel

    as_of = funnel.default_as_of(leads)
    start, end = funnel.period_bounds("fiscal_quarter", as_of)
    table = funnel.funnel_table(leads, as_of, targets, "cohort", start, end)
    funnel.bottleneck(table)
    funnel.previous_table(leads, as_of, targets, "cohort", start, end)
    for by in ("segment", "region", "owner_role", "week", "month"):
        funnel.funnel_by(leads, by, as_of, targets, "cohort", start, end)
    funnel.funnel_by(leads, "fiscal_quarter", as_of, targets, "cohort", None, None)
    funnel.stalled_leads(leads, as_of, targets)
    funnel.lost_at_step(leads, "poc", as_of, "cohort", start, end)
    funnel.lost_reasons(leads, as_of)
    funnel.time_in_stage(leads, as_of)
    funnel.time_to_convert(leads, as_of)
    funnel.days_in_stage(leads, as_of)
    funnel.payback(leads, targets, as_of)
    funnel.data_warnings(leads, as_of)
    funnel.near_fiscal_end(leads, as_of)


def reference_visits(path: str) -> int:
    """pyarrow decodes cp932 and parses; DuckDB computes the monthly counts on the Arrow table."""
    import duckdb
    import pyarrow.csv as pacsv

    table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(encoding="cp932"))  # noqa: F841 (DuckDB scans it)
    con = duckdb.connect()
    con.execute(
        """
        SELECT date_trunc('month', strptime("来院日", '%Y/%m/%d %H:%M')) AS month,
               count(*) FILTER (WHERE "ステータス" = '来院') AS visits,
               count(DISTINCT "患者ID") FILTER (WHERE "ステータス" = '来院') AS patients,
               sum("会計金額") FILTER (WHERE "ステータス" = '来院') AS revenue,
               count(*) FILTER (WHERE "ステータス" IN ('キャンセル', '無断キャンセル')) AS cancelled
        FROM "table" GROUP BY 1 ORDER BY 1
        """
    ).fetchall()
    return table.num_rows


def reference_leads(path: str) -> int:
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_filelike(io.BytesIO(Path(path).read_bytes())).get_sheet_by_index(0).to_python()
    return len(rows) - 3


def naive_visits(path: str) -> int:
    """What a first version would do: read everything as text, one pydantic model per row, then groupby."""
    import pandas as pd

    from kpi.schemas import Visit

    raw = pd.read_csv(path, encoding="cp932", dtype=str, keep_default_na=False)
    names = {"患者ID": "patient_id", "来院日": "visit_on", "ステータス": "status", "予約受付日": "booked_on", "キャンセル日": "cancelled_on",
             "初診": "first_visit", "会計金額": "amount_yen", "自費金額": "self_pay_yen", "施術時間(分)": "treatment_minutes", "院名": "clinic", "施術者": "staff"}
    rows = []
    for record in raw.rename(columns=names).to_dict("records"):
        try:
            rows.append(Visit.model_validate(record).model_dump())
        except Exception:  # noqa: BLE001 (counted, as a naive loader would)
            pass
    df = pd.DataFrame(rows)
    df["visit_on"] = pd.to_datetime(df["visit_on"])
    df["status"] = df["status"].fillna("attended")
    attended = df[df["status"] == "attended"]
    month = attended["visit_on"].dt.to_period("M")
    attended.groupby(month).agg(visits=("patient_id", "size"), patients=("patient_id", "nunique"), revenue=("amount_yen", "sum"))
    return len(df)


def naive_leads(path: str) -> int:
    import openpyxl
    import pandas as pd

    from kpi.schemas import Lead

    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    header = rows[2]
    names = {"リードID": "lead_id", "取引先名": "account", "業種": "segment", "地域": "region", "担当者": "owner", "担当区分": "owner_role",
             "リード日": "created_at", "接触日": "contacted_on", "商談化日": "meeting_on", "PoC合意日": "poc_on", "稟議通過日": "approved_on",
             "回収日": "collected_on", "ステータス": "status", "見込金額": "amount_yen", "回収期間(月)": "payback_months", "最終更新日": "updated_on"}
    keys = [names.get(h, h) for h in header]
    valid = []
    for row in rows[3:]:
        try:
            valid.append(Lead.model_validate(dict(zip(keys, row))).model_dump())
        except Exception:  # noqa: BLE001
            pass
    df = pd.DataFrame(valid)
    stages = ["created_at", "contacted_on", "meeting_on", "poc_on", "approved_on", "collected_on"]
    reached = [int(df[stages[i:]].notna().any(axis=1).sum()) for i in range(len(stages))]
    df.groupby("region").size()
    return len(df) if reached else 0


WORK = {
    ("visits", "project"): project_visits, ("visits", "reference"): reference_visits, ("visits", "naive"): naive_visits,
    ("leads", "project"): project_leads, ("leads", "reference"): reference_leads, ("leads", "naive"): naive_leads,
}


def _child(dataset: str, variant: str, path: str, queue) -> None:
    # import what the stage needs before the clock starts: we time the work, not interpreter start-up
    import duckdb  # noqa: F401
    import openpyxl  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow.csv  # noqa: F401

    import kpi.clinic  # noqa: F401
    import kpi.funnel  # noqa: F401
    import kpi.load  # noqa: F401
    import kpi.targets  # noqa: F401

    started = time.perf_counter()
    rows = WORK[(dataset, variant)](path)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((seconds, rows, peak_mb))


