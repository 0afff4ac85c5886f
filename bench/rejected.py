"""Benchmark: the rejected-rows download (issue 11), the old way against the new way, in one process.

    python -m bench.rejected [--repeat 3] [--file CSV] [--rows N]

Loads the real Kaggle appointments file (../shared/realdata/noshow_kaggle/, see PROVENANCE.md) as clinic
visits with a column mapping that maps `No-show` to `status` but has no `values` mapping, so every row
(110,527) is rejected (「No」は選択肢にありません), exactly what the data page then offers to download. Then
times, interleaved and repeated (median reported), the two stages of that download:

  table   kpi.load.rejected_rows_table(result, "ja")
  xlsx    kpi.export.to_xlsx_bytes({"rejected": table})

for the old implementation (kept below, verbatim, as the baseline: a pandas group per rejected row for the
reasons; one xlsxwriter call per cell) and the project's current one, and prints seconds for each and the
ratio old / new. The old and new tables are checked equal first (the xlsx content is compared on a few
thousand rows by tests/test_rejected_export.py). Not part of the test run.
"""
from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kpi import parse  # noqa: E402
from kpi.export import _display_width, _sheet_name, new_workbook, write_frame  # noqa: E402

KAGGLE = ROOT.parent / "shared" / "realdata" / "noshow_kaggle" / "KaggleV2-May-2016.csv"
# examples/mappings/kaggle_noshow_visits.json without its "values": Yes / No are not status labels
MAPPING = {
    "kind": "visits",
    "columns": {"PatientId": "patient_id", "AppointmentDay": "visit_on", "ScheduledDay": "booked_on", "No-show": "status"},
    "constants": {"clinic": "本院"},
}
TARGET_S = 3.0  # issue 11: table + xlsx of 110k rejected rows, on the 2-core machine


# ------------------------------------------------------------------ the old implementation (baseline)
def old_rejected_rows_table(result, lang: str = "ja") -> pd.DataFrame:
    """kpi.load.rejected_rows_table before issue 11."""
    raw = result.rejected_raw.copy()
    row_col, err_col = ("行番号", "エラー内容") if lang == "ja" else ("row", "errors")
    errors = result.report.errors_table(lang)
    reasons = errors.groupby("row")["message"].agg(" / ".join) if len(errors) else pd.Series(dtype=object)
    raw = raw.rename(columns={"_row": row_col})
    raw[err_col] = raw[row_col].map(reasons).fillna("")
    for col in raw.columns:
        if raw[col].dtype == object:
            raw[col] = raw[col].map(lambda v: parse._cell_text(v) if not parse.is_missing_scalar(v) or isinstance(v, str) else "")
    return raw.reset_index(drop=True)


def old_to_xlsx_bytes(sheets: dict[str, pd.DataFrame], freeze_header: bool = True) -> bytes:
    """kpi.export.to_xlsx_bytes before issue 11 (xlsxwriter, one write call per cell via write_frame)."""
    buffer = io.BytesIO()
    wb = new_workbook(buffer)
    bold = wb.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    for name, frame in sheets.items():
        ws = wb.add_worksheet(_sheet_name(name))
        write_frame(wb, ws, frame, header_format=bold)
        if freeze_header:
            ws.freeze_panes(1, 0)
        for j, col in enumerate(frame.columns):
            sample = [str(col)] + [str(v) for v in frame[col].head(200).tolist()]
            ws.set_column(j, j, min(50, max(8, max(_display_width(s) for s in sample) + 2)))
    wb.close()
    return buffer.getvalue()


# ------------------------------------------------------------------ the measurement
def load_rejected(path: Path, rows: int | None = None):
    from kpi.load import ColumnMapping, load

    data = path.read_bytes()
    if rows:  # the header and the first `rows` lines (the file is UTF-8 with LF endings, no quoted line breaks)
        data = b"\n".join(data.split(b"\n", rows + 1)[: rows + 1]) + b"\n"
    return load(data, path.name, mapping=ColumnMapping.model_validate(MAPPING))


def timed(fn, *args):
    started = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - started, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="rounds, old and new once each per round (median reported)")
    ap.add_argument("--file", type=Path, default=KAGGLE, help="the visits CSV (default: the Kaggle file)")
    ap.add_argument("--rows", type=int, default=None, help="only the first N data rows")
    args = ap.parse_args(argv)

    from kpi.export import to_xlsx_bytes
    from kpi.load import rejected_rows_table

    result = load_rejected(args.file, args.rows)
    r = result.report
    print(f"{args.file.name}: rows_read {r.rows_read:,}, rows_valid {r.rows_valid:,}, rows_rejected {r.rows_rejected:,}"
          f" (rows_read == valid + rejected: {r.rows_read == r.rows_valid + r.rows_rejected})")
    old_table, new_table = old_rejected_rows_table(result, "ja"), rejected_rows_table(result, "ja")
    pd.testing.assert_frame_equal(new_table, old_table)
    print(f"table {new_table.shape[0]:,} rows x {new_table.shape[1]} columns; old and new tables equal")

    stages = {
        "old": (old_rejected_rows_table, old_to_xlsx_bytes),
        "new": (rejected_rows_table, to_xlsx_bytes),
    }
    times: dict[tuple[str, str], list[float]] = {}
    sizes: dict[str, int] = {}
    for rnd in range(args.repeat):  # interleaved: old and new once per round
        for variant, (table_fn, xlsx_fn) in stages.items():
            t_table, table = timed(table_fn, result, "ja")
            t_xlsx, data = timed(xlsx_fn, {"rejected": table})
            sizes[variant] = len(data)
            times.setdefault((variant, "table"), []).append(t_table)
            times.setdefault((variant, "xlsx"), []).append(t_xlsx)
            times.setdefault((variant, "total"), []).append(t_table + t_xlsx)
            print(f"  round {rnd + 1} {variant}: table {t_table:6.2f} s  xlsx {t_xlsx:6.2f} s", file=sys.stderr, flush=True)

    med = {key: statistics.median(v) for key, v in times.items()}
    print(f"\n{'variant':8} {'table s':>8} {'xlsx s':>8} {'total s':>8} {'xlsx MB':>8}  totals per round")
    for variant in stages:
        runs = ", ".join(f"{t:.2f}" for t in times[(variant, "total")])
        print(f"{variant:8} {med[(variant, 'table')]:8.2f} {med[(variant, 'xlsx')]:8.2f} {med[(variant, 'total')]:8.2f}"
              f" {sizes[variant] / 1e6:8.1f}  {runs}")
    print()
    for stage in ("table", "xlsx", "total"):
        print(f"{stage:6} old / new = {med[('old', stage)] / med[('new', stage)]:5.1f}x")
    new_total = med[("new", "total")]
    verdict = "met" if new_total <= TARGET_S else "NOT met"
    print(f"new total {new_total:.2f} s for {r.rows_rejected:,} rejected rows (target <= {TARGET_S} s: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
