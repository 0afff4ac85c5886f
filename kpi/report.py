"""The weekly review (this week vs last, the bottleneck and the leads behind it, cause evidence) and its workbook.

``weekly_review`` is what the Weekly review page shows; ``weekly_workbook`` writes the same numbers to xlsx
(the page's download and ``python -m kpi report``). Both call kpi.funnel and kpi.habits; nothing is re-derived.

Readings chosen here:

* "Last week" is the same cohort rule as of ``as_of − 7 days`` (leads created by then, stage dates after it ignored).
* The leads behind the bottleneck step (k−1 → k) are ``kpi.funnel.lost_at_step`` (reached k−1, not k; open and
  lost) and the stalled leads whose current stage is k−1 (they are the ones waiting in front of the step).
* Causes and their supporting habit numbers: key person unknown → key_person_rate; review materials missing →
  review_capture_rate; work-style KPI weak → work_style_kpi_rate (kpi.funnel: leads that reached meeting with the
  customer's 働き方KPI noted; guide Targets.work_style_kpi_rate); travel inefficiency →
  travel_minutes_per_day; script gaps have no habit number. A cause is flagged when any of its numbers is
  yellow or red against its guide.
* Workbook print setup: every sheet A4 landscape, one page wide (as many pages tall as needed), header row
  repeated, as_of in the page header, page numbers in the footer.
"""
from __future__ import annotations

import datetime as dt
import importlib
import io
import math
from dataclasses import dataclass

import pandas as pd

from . import funnel, habits
from .export import _display_width, _sheet_name, new_workbook, write_cell, write_frame
from .targets import Targets, rag
from .messages import CADENCE_LABELS, ENUM_LABELS, LAYER_LABELS, REASON_LABELS, REPORT_TEXT, ROLE_LABELS

WEEK = pd.Timedelta(days=7)
OTHER_DOMAINS: tuple[str, ...] = ("clinic", "onboarding", "adoption", "referrals")
CAUSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("script", ()),
    ("key_person", ("key_person_rate",)),
    ("review", ("review_capture_rate",)),
    ("habits", ("work_style_kpi_rate",)),  # issue 15: the capture rate of the customer's work-style KPI
    ("travel", ("travel_minutes_per_day",)),
)
LEAD_COLUMNS: tuple[str, ...] = ("lead_id", "account", "owner", "owner_role", "region", "segment", "status", "amount_yen", "key_person", "lost_reason")
RATE_KPIS = {"minutes_within_24h_rate", "key_person_rate", "review_capture_rate", "work_style_kpi_rate"}

# The workbook's own words live in the kpi-side strings table (kpi/messages.py REPORT_TEXT); a registry KPI is
# named by the registry (kpi_name), its layer / cadence / owner by LAYER_LABELS / CADENCE_LABELS / ROLE_LABELS.
L: dict[str, tuple[str, str]] = REPORT_TEXT


def label(key: str, lang: str = "ja", **params) -> str:
    """The workbook's words; enum labels (stage, region, …) come from the one table the pages use too."""
    if key not in L and key in ENUM_LABELS:
        return ENUM_LABELS[key]["en" if lang == "en" else "ja"]
    ja, en = L.get(key, (key, key))
    text = en if lang == "en" else ja
    return text.format(**params) if params else text


def kpi_name(key: str, lang: str = "ja") -> str:
    """A registry KPI's name as the registry says it (label[0] ja, label[1] en): the KPI sheet, the habits sheet
    and the causes all call a KPI the same."""
    from .registry import BY_KEY

    return BY_KEY[key].label[1 if lang == "en" else 0]


def _owners(key: str) -> tuple[str, ...]:
    """A registry KPI's owner role, then the roles it is shared with (``KPI.owners``)."""
    from .registry import BY_KEY

    return BY_KEY[key].owners


def role_name(role: str, lang: str = "ja") -> str:
    """Whose number a KPI is, in the registry's owner words (kpi.messages.ROLE_LABELS)."""
    return ROLE_LABELS[role][1 if lang == "en" else 0]


# ------------------------------------------------------------------ the weekly review
@dataclass(frozen=True)
class CauseEvidence:
    """One supporting number of a cause: value vs its guide (low: should be ≥, high: should be ≤)."""

    cause: str
    kpi: str
    value: float | None
    low: float | None
    high: float | None
    rag: str | None

    @property
    def flagged(self) -> bool:
        return self.rag in ("yellow", "red")


@dataclass(frozen=True)
class WeeklyReview:
    as_of: pd.Timestamp
    previous_as_of: pd.Timestamp
    table: pd.DataFrame
    previous_table: pd.DataFrame
    comparison: pd.DataFrame
    bottleneck: str | None
    lost_leads: pd.DataFrame
    stalled: pd.DataFrame
    stalled_in_step: pd.DataFrame
    habits: habits.HabitsSummary | None
    causes: tuple[CauseEvidence, ...]

    @property
    def step(self) -> tuple[str, str] | None:
        return funnel.step_label(self.bottleneck) if self.bottleneck else None

    def row(self, stage: str) -> pd.Series:
        return self.comparison.set_index("stage").loc[stage]


def compare_weeks(now: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    """Two funnel tables -> stage, reached, reached_prev, reached_delta, conversion, conversion_prev,
    conversion_delta, target, rag, lost (rows in stage order)."""
    before = before.set_index("stage").reindex(now["stage"])
    return pd.DataFrame({
        "stage": now["stage"].to_numpy(),
        "reached": now["reached"].to_numpy(),
        "reached_prev": before["reached"].to_numpy(),
        "reached_delta": now["reached"].to_numpy() - before["reached"].to_numpy(),
        "conversion": now["conversion"].to_numpy(),
        "conversion_prev": before["conversion"].to_numpy(),
        "conversion_delta": now["conversion"].to_numpy() - before["conversion"].to_numpy(),
        "target": now["target"].to_numpy(),
        "rag": now["rag"].to_numpy(),
        "lost": now["lost"].to_numpy(),
    })


def guide_of(kpi: str, targets: Targets) -> tuple[float | None, float | None]:
    """(low, high) guide of a habit KPI: the value should be ≥ low and ≤ high."""
    if kpi == "visits_per_day":
        return targets.visits_per_day_min, targets.visits_per_day_max
    if kpi == "travel_minutes_per_day":
        return None, targets.travel_minutes_per_day_max
    return getattr(targets, kpi), None


def cause_evidence(summary: habits.HabitsSummary | None, targets: Targets,
                   lead_rates: dict[str, float | None] | None = None) -> tuple[CauseEvidence, ...]:
    """``lead_rates``: the numbers that are not habits-summary numbers (work_style_kpi_rate), by key."""
    out = []
    lead_rates = lead_rates or {}
    for cause, kpis in CAUSES:
        for kpi in kpis:
            low, high = guide_of(kpi, targets)
            if kpi in lead_rates:
                value = lead_rates[kpi]
                out.append(CauseEvidence(cause, kpi, value, low, high, rag(value, low) if value is not None else None))
                continue
            value = summary.value(kpi) if summary is not None else None
            out.append(CauseEvidence(cause, kpi, value, low, high, habits.kpi_rag(kpi, value, targets)))
    return tuple(out)


def _lead_rows(rows: pd.DataFrame) -> pd.DataFrame:
    keep = [c for c in LEAD_COLUMNS if c in rows.columns]
    out = rows[keep]
    if "amount_yen" in out.columns:
        out = out.sort_values("amount_yen", ascending=False, na_position="last", kind="stable")
    return out.reset_index(drop=True)


def weekly_review(leads: pd.DataFrame, activities: pd.DataFrame | None, as_of: dt.date | pd.Timestamp | None,
                  targets: Targets | None = None) -> WeeklyReview:
    """This week (as_of, default: the latest leads date) vs last week (as_of − 7 days), the bottleneck, its leads."""
    targets = targets or Targets()
    now_as_of = pd.Timestamp(funnel.default_as_of(leads) if as_of is None else as_of).normalize()
    prev_as_of = now_as_of - WEEK
    table = funnel.funnel_table(leads, now_as_of, targets)
    previous = funnel.funnel_table(leads, prev_as_of, targets)
    neck = funnel.bottleneck(table)
    stalled = funnel.stalled_leads(leads, now_as_of, targets)
    if neck:
        before_stage = funnel.step_label(neck)[0]
        lost = _lead_rows(funnel.lost_at_step(leads, neck, now_as_of))
        in_step = stalled[stalled["stage"] == before_stage].reset_index(drop=True)
    else:
        lost, in_step = _lead_rows(leads.iloc[0:0]), stalled.iloc[0:0]
    summary = habits.habits_summary(activities, leads, now_as_of, targets) if activities is not None else \
        habits.HabitsSummary(now_as_of, None, habits.key_person_rate(leads, now_as_of), habits.review_capture_rate(leads, now_as_of),
                             None, None, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.DataFrame())
    return WeeklyReview(now_as_of, prev_as_of, table, previous, compare_weeks(table, previous), neck, lost, stalled, in_step,
                        summary, cause_evidence(summary, targets, {"work_style_kpi_rate": _work_style(leads, now_as_of)}))


def _work_style(leads: pd.DataFrame, as_of: pd.Timestamp) -> float | None:
    rate = funnel.work_style_kpi_rate(leads, as_of)
    return None if rate is None else rate.value


# ------------------------------------------------------------------ the workbook
class _Book:
    """The workbook being written: formats, unique sheet names, print setup."""

    def __init__(self, buffer: io.BytesIO, lang: str, as_of: str):
        self.wb = new_workbook(buffer)
        self.lang, self.as_of = lang, as_of
        self.names: set[str] = set()
        add = self.wb.add_format
        self.header = add({"bold": True, "bg_color": "#E8EEF7", "border": 1, "text_wrap": True, "valign": "vcenter"})
        self.title = add({"bold": True, "font_size": 14})
        self.bold = add({"bold": True})
        self.pct = add({"num_format": "0.0%"})
        self.num1 = add({"num_format": "#,##0.0"})
        self.num2 = add({"num_format": "0.00"})
        self.int = add({"num_format": "#,##0"})
        self.yen = add({"num_format": "¥#,##0"})
        self.rag = {k: add({"bg_color": c, "font_color": f, "bold": True, "border": 1, "align": "center"})
                    for k, c, f in (("green", "#C6EFCE", "#006100"), ("yellow", "#FFEB9C", "#9C5700"), ("red", "#FFC7CE", "#9C0006"))}

    def sheet(self, key_or_name: str, title: str | None = None):
        name = _sheet_name(label(key_or_name, self.lang) if key_or_name in L else key_or_name)
        base, i = name, 2
        while name.lower() in {n.lower() for n in self.names}:
            name = _sheet_name(f"{base[:28]}_{i}")
            i += 1
        self.names.add(name)
        ws = self.wb.add_worksheet(name)
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)  # one page wide, as tall as needed
        ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.6)
        ws.hide_gridlines(0)  # gridlines on screen and on paper: tables stay readable when printed
        safe = (title or name).replace("&", "&&")
        ws.set_header(f"&L&\"-,Bold\"{label('title', self.lang)}: {safe}&R{label('as_of', self.lang)} {self.as_of}")
        ws.set_footer("&C&P / &N")
        return ws

    def table(self, ws, frame: pd.DataFrame, row: int, formats: dict[str, object] | None = None, rag_column: str | None = None,
              widths: dict[int, int] | None = None) -> int:
        """Write a frame at ``row`` (header + rows) through kpi.export; RAG cells as coloured labels. Returns next row."""
        next_row = write_frame(self.wb, ws, frame, start_row=row, header_format=self.header)
        for j, col in enumerate(frame.columns):
            fmt = (formats or {}).get(col)
            if fmt is not None:  # re-write numbers with their display format
                for i, value in enumerate(frame[col].tolist(), start=row + 1):
                    if isinstance(value, (int, float)) and not math.isnan(value):
                        ws.write_number(i, j, float(value), fmt)
            if col == rag_column:
                for i, value in enumerate(frame[col].tolist(), start=row + 1):
                    if value in self.rag:
                        ws.write_string(i, j, label(f"rag.{value}", self.lang), self.rag[value])
            sample = [str(col)] + [str(v) for v in frame[col].head(200).tolist()]
            width = min(40, max(8, max(_display_width(s) for s in sample) + 2))
            if widths is not None:
                widths[j] = max(widths.get(j, 8), width)
            else:
                ws.set_column(j, j, width)
        return next_row

    def set_widths(self, ws, widths: dict[int, int]) -> None:
        for j, w in widths.items():
            ws.set_column(j, j, w)


def _labelled(frame: pd.DataFrame, lang: str, enums: tuple[str, ...] = ("stage", "region", "segment", "owner_role", "status")) -> pd.DataFrame:
    """Enum codes -> labels, column names -> the workbook's headers."""
    out = frame.copy()
    for col in enums:
        if col in out.columns:
            out[col] = out[col].map(lambda v, c=col: label(f"{c}.{v}", lang) if isinstance(v, str) and f"{c}.{v}" in ENUM_LABELS else v)
    from .registry import BY_KEY

    return out.rename(columns={c: label(f"col.{c}", lang) if f"col.{c}" in L else kpi_name(c, lang)
                               for c in out.columns if f"col.{c}" in L or c in BY_KEY})


def _kpi_rows(frames: dict[str, pd.DataFrame], as_of, targets: Targets, lang: str,
              previous_as_of: pd.Timestamp | None = None) -> list[dict]:
    """The KPI sheet: one row per registry KPI (``kpi.registry.REGISTRY``, in its order) whose dataset is present,
    so a KPI added to the registry appears here without a change to this module. Its name, layer, cadence and
    owner are the registry's; its value is ``registry.values`` (the ``metrics --json`` "kpis" numbers); target and
    RAG are the registry tile's (its target and direction). A null value is n/a, with the input columns the file
    lacks (as the file would name them) when that is why. ``previous_as_of``: last week's values of the leads
    KPIs (the same rule as of as_of − 7 days, as the funnel's comparison)."""
    from . import registry

    side = 1 if lang == "en" else 0
    present = [k for k in registry.REGISTRY if k.dataset in frames]
    if not present:
        return []
    now = registry.values(frames, as_of, targets)
    prev: dict[str, float | None] = {}
    if previous_as_of is not None and "leads" in frames:
        prev = registry.values({k: frames[k] for k in ("leads", "activities") if k in frames}, previous_as_of, targets)
    rows = []
    for kpi in present:
        value = now.get(kpi.key)
        view = registry.tile(kpi.key, value, targets, lang=lang)
        frame = frames[kpi.dataset]
        missing = [registry.input_hint(kpi.dataset, c) for c in kpi.inputs if c not in frame.columns] if view.value is None else []
        rows.append({"key": kpi.key, "unit": kpi.unit, "layer": LAYER_LABELS[kpi.layer][side], "kpi": view.label,
                     "cadence": CADENCE_LABELS[kpi.cadence][side], "owner_roles": ROLE_LABELS[kpi.owner_role][side],
                     "value": view.value, "target": view.target, "rag": view.rag,
                     "prev": prev.get(kpi.key) if kpi.dataset == "leads" else None,
                     "note": label("kpi.needs", lang, columns=", ".join(missing)) if missing else ""})
    return rows


KPI_COLUMNS: tuple[str, ...] = ("layer", "kpi", "cadence", "owner_roles", "value", "target", "rag", "prev", "note")


def _unit_format(book: _Book, unit: str, value: float):
    """A registry unit's number format (rates as %, yen with ¥, a count with a decimal only when it has one)."""
    if unit == "rate":
        return book.pct
    if unit == "yen":
        return book.yen
    if unit == "count":
        return book.int if float(value).is_integer() else book.num1
    if unit == "ratio":
        return book.num2
    return book.num1  # months, days, minutes, score


def _write_kpi_sheet(book: _Book, rows: list[dict]) -> None:
    lang = book.lang
    ws = book.sheet("sheet.kpi")
    ws.write_string(0, 0, f"{label('title', lang)} — {label('as_of', lang)} {book.as_of}", book.title)
    for j, c in enumerate(KPI_COLUMNS):
        ws.write_string(2, j, label(f"col.{c}", lang), book.header)
    for i, r in enumerate(rows, start=3):
        for j, key in enumerate(KPI_COLUMNS):
            v = r[key]
            if key == "rag":
                if v in book.rag:
                    ws.write_string(i, j, label(f"rag.{v}", lang), book.rag[v])
            elif key in ("value", "target", "prev"):
                if isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v):
                    ws.write_number(i, j, float(v), _unit_format(book, r["unit"], v))
                elif key == "value":
                    ws.write_string(i, j, label("kpi.na", lang))
            else:
                write_cell(ws, i, j, v)
    for j, w in enumerate([10, 26, 10, 20, 12, 12, 10, 12, 44]):
        ws.set_column(j, j, w)
    ws.repeat_rows(2)
    ws.freeze_panes(3, 0)


def _write_funnel_sheet(book: _Book, review: WeeklyReview) -> None:
    lang = book.lang
    ws = book.sheet("sheet.funnel")
    table = _labelled(review.table[["stage", "reached", "conversion", "target", "rag", "lost", "amount_yen"]], lang)
    conv, target, amount = label("col.conversion", lang), label("col.target", lang), label("col.amount_yen", lang)
    end = book.table(ws, table, 0, formats={conv: book.pct, target: book.pct, amount: book.yen}, rag_column=label("col.rag", lang))
    ws.repeat_rows(0)
    chart = book.wb.add_chart({"type": "bar"})
    name = _sheet_name(label("sheet.funnel", lang))
    chart.add_series({
        "name": label("col.reached", lang),
        "categories": [name, 1, 0, len(table), 0],
        "values": [name, 1, 1, len(table), 1],
        "fill": {"color": "#1F6FEB"},
        "data_labels": {"value": True},
    })
    chart.set_title({"name": label("chart.funnel", lang, as_of=book.as_of)})
    chart.set_y_axis({"reverse": True})  # lead on top, collected at the bottom
    chart.set_legend({"none": True})
    chart.set_size({"width": 720, "height": 320})
    ws.insert_chart(end + 1, 0, chart)


def _write_bottleneck_sheet(book: _Book, review: WeeklyReview, chosen: tuple[str, ...] | None = None) -> None:
    """``chosen``: the causes the team ticked on the page (codes of CAUSES). When given, they are listed first and
    marked, so the workbook says what the meeting decided, not only what the numbers suggested."""
    lang = book.lang
    ws = book.sheet("sheet.bottleneck")
    widths: dict[int, int] = {}
    if review.bottleneck:
        a, b = (label(f"stage.{s}", lang) for s in review.step)
        r = review.row(review.bottleneck)
        ws.write_string(0, 0, f"{label('bottleneck', lang)}: {a} → {b}", book.title)
        ratio = r["conversion"] / r["target"] if r["target"] else float("nan")
        ws.write_string(1, 0, label("bottleneck.detail", lang, conv=f"{r['conversion']:.1%}", target=f"{r['target']:.0%}", ratio=f"{ratio:.0%}", lost=int(r["lost"])))
    else:
        a = b = ""
        ws.write_string(0, 0, f"{label('bottleneck', lang)}: {label('bottleneck.none', lang)}", book.title)
    row = 3
    ws.write_string(row, 0, label("compare", lang, prev=review.previous_as_of.date()), book.bold)
    comp = _labelled(review.comparison.drop(columns=["lost"]), lang)
    pct_cols = [label(f"col.{c}", lang) for c in ("conversion", "conversion_prev", "conversion_delta", "target")]
    row = book.table(ws, comp, row + 1, formats={c: book.pct for c in pct_cols}, rag_column=label("col.rag", lang), widths=widths) + 1
    ev = review.causes
    ws.write_string(row, 0, label("causes" if chosen is None else "causes.chosen", lang), book.bold)
    lines = []
    order = [c for c, _ in CAUSES]
    if chosen is not None:  # the meeting's choice first, in the checklist's order
        order = [c for c in order if c in chosen] + [c for c in order if c not in chosen]
    for cause in order:  # every cause, with its supporting numbers (script gaps have none)
        mark = {} if chosen is None else {"chosen": label("chosen.yes", lang) if cause in chosen else ""}
        lines += [{**mark, "cause": label(f"cause.{cause}", lang), "kpi": kpi_name(e.kpi, lang), "value": e.value, "rag": e.rag, "key": e.kpi}
                  for e in ev if e.cause == cause] or [{**mark, "cause": label(f"cause.{cause}", lang), "kpi": "—", "value": None, "rag": None, "key": None}]
    causes = pd.DataFrame(lines).drop(columns=["key"]).rename(columns=lambda c: label(f"col.{c}", lang))
    value_col = list(causes.columns).index(label("col.value", lang))
    row = book.table(ws, causes, row + 1, formats={}, rag_column=label("col.rag", lang), widths=widths) + 1
    for i, line in enumerate(lines, start=row - len(lines) - 1):  # rates as %, the rest as numbers
        if line["value"] is not None and not math.isnan(line["value"]):
            ws.write_number(i, value_col, line["value"], book.pct if line["key"] in RATE_KPIS else book.num1)
    if review.bottleneck:
        ws.write_string(row, 0, label("lost_leads", lang, a=a, b=b, n=len(review.lost_leads)), book.bold)
        row = book.table(ws, _labelled(review.lost_leads, lang), row + 1, formats={label("col.amount_yen", lang): book.yen}, widths=widths) + 1
    book.set_widths(ws, widths)


def _write_habits_sheet(book: _Book, summary: habits.HabitsSummary, targets: Targets) -> None:
    lang = book.lang
    ws = book.sheet("sheet.habits")
    widths: dict[int, int] = {}
    rows = []
    for key in habits.HABIT_KPIS:
        low, high = guide_of(key, targets)
        rows.append({"kpi": kpi_name(key, lang), "value": summary.value(key),
                     "target": f"{low:g}–{high:g}" if low is not None and high is not None else (low if low is not None else high),
                     "rag": summary.rags.get(key), "owner_roles": " / ".join(role_name(r, lang) for r in _owners(key))})
    head = pd.DataFrame(rows).rename(columns=lambda c: label(f"col.{c}", lang))
    row = book.table(ws, head, 0, rag_column=label("col.rag", lang), widths=widths)
    for i, key in enumerate(habits.HABIT_KPIS, start=1):  # rates as %, the rest as numbers
        v = summary.value(key)
        if v is not None:
            ws.write_number(i, 1, v, book.pct if key in RATE_KPIS else book.num1)
    ws.repeat_rows(0)
    if len(summary.reps):
        ws.write_string(row + 1, 0, label("reps", lang), book.bold)
        reps = summary.reps[["rep", "region", "visits", "visit_days", "visits_per_day", "travel_minutes_per_day", "minutes_within_24h_rate"]]
        reps = _labelled(reps, lang)
        row = book.table(ws, reps, row + 2, formats={kpi_name("visits_per_day", lang): book.num1, kpi_name("travel_minutes_per_day", lang): book.num1,
                                                     kpi_name("minutes_within_24h_rate", lang): book.pct}, widths=widths)
    if summary.review is not None:
        ws.write_string(row + 1, 0, label("committees", lang), book.bold)
        comm = pd.DataFrame([{"committee": label(f"committee.{c}", lang), "captured": r.numerator, "n": r.denominator, "rate": r.value}
                             for c, r in summary.review.committees.items() if r is not None]).rename(columns=lambda c: label(f"col.{c}", lang))
        row = book.table(ws, comm, row + 2, formats={label("col.rate", lang): book.pct}, widths=widths)
    book.set_widths(ws, widths)


MARK = "✓"


def _write_remedies_sheet(book: _Book, values: dict[str, float | None], review: WeeklyReview | None, targets: Targets,
                          playbook: pd.DataFrame | None) -> None:
    """Issue 15: the playbook's remedies (kpi.playbook.remedies_for) for the bottleneck and every red registry KPI,
    the KPIs named by the registry. No sheet when nothing calls for a remedy."""
    from . import playbook as pb

    lang = book.lang
    calling = pb.kpis_calling(values, review.bottleneck if review is not None else None, targets)
    found = pb.remedies_for(pb.default_playbook() if playbook is None else playbook, calling, lang)
    if not found:
        return
    ws = book.sheet("sheet.remedies")
    ws.write_string(0, 0, label("remedies", lang), book.bold)
    table = pd.DataFrame([{"kpi": " / ".join(kpi_name(k, lang) for k in r.kpis), "remedy": r.text,
                           "for_bottleneck": MARK if r.bottleneck else "", "red": MARK if r.red else ""} for r in found])
    book.table(ws, table.rename(columns=lambda c: label(f"col.{c}", lang)), 1)
    ws.set_column(1, 1, 60)
    ws.repeat_rows(1)


def _write_hospital_b2b_sheet(book: _Book, leads: pd.DataFrame, as_of: pd.Timestamp, targets: Targets) -> None:
    """Issue 15: the cohort funnel of hospital and of general B2B leads side by side (kpi.funnel.hospital_b2b_funnel)."""
    table = funnel.hospital_b2b_funnel(leads, as_of, targets)
    if table is None or table.empty:
        return
    lang = book.lang
    keep = [c for c in ("segment", "stage", "reached", "conversion", "target", "rag", "lost", "amount_yen") if c in table.columns]
    ws = book.sheet("sheet.hospital_b2b")
    shown = _labelled(table[keep], lang)
    pct = {label(f"col.{c}", lang): book.pct for c in ("conversion", "target")}
    book.table(ws, shown, 0, formats={**pct, label("col.amount_yen", lang): book.yen}, rag_column=label("col.rag", lang))
    ws.repeat_rows(0)
    ws.freeze_panes(1, 0)


def _write_send_backs_sheet(book: _Book, leads: pd.DataFrame, as_of: pd.Timestamp) -> None:
    """Issue 15: send-backs per month of the PoC date (kpi.funnel.sent_back_trend; the rate named by the registry)
    and the lost / send-back reasons classified (kpi.funnel.reason_ranking). No sheet when both are empty."""
    trend, reasons = funnel.sent_back_trend(leads, as_of), funnel.reason_ranking(leads, as_of)
    if trend.empty and reasons.empty:
        return
    lang = book.lang
    ws = book.sheet("sheet.send_backs")
    widths: dict[int, int] = {}
    row = 0
    if not trend.empty:
        ws.write_string(row, 0, label("send_backs.trend", lang), book.bold)
        rate = kpi_name("sent_back_rate", lang)
        shown = trend.assign(period=trend["period"].map(lambda d: pd.Timestamp(d).strftime("%Y-%m") if pd.notna(d) else d))
        shown = shown.rename(columns=lambda c: rate if c == "rate" else label(f"col.{c}", lang))
        row = book.table(ws, shown, row + 1, formats={rate: book.pct}, widths=widths) + 1
    if not reasons.empty:
        side = 1 if lang == "en" else 0
        ws.write_string(row, 0, label("reasons", lang), book.bold)
        shown = reasons.assign(kind=reasons["kind"].map(lambda k: label(f"kind.{k}", lang)),
                               reason_class=reasons["reason_class"].map(lambda c: REASON_LABELS.get(c, (c, c))[side]))
        shown = shown.rename(columns=lambda c: label(f"col.{c}", lang))
        book.table(ws, shown, row + 1, formats={label("col.share", lang): book.pct}, widths=widths)
    book.set_widths(ws, widths)


def weekly_workbook(frames: dict[str, pd.DataFrame], as_of: dt.date | pd.Timestamp | None, targets: Targets | None,
                    lang: str = "ja", actions: pd.DataFrame | None = None, causes: tuple[str, ...] | None = None,
                    playbook: pd.DataFrame | None = None) -> bytes:
    """The weekly review workbook (xlsx bytes): KPI table (RAG fills), funnel + native bar chart, bottleneck,
    stalled leads, actions, habits, then each other domain's ``report_tables``. Every sheet A4 landscape, one
    page wide. ``actions``: columns action, owner, deadline (the Weekly review page's form), optional.
    ``causes``: the cause codes ticked on the page (None: no choice made, e.g. the CLI's report).
    ``playbook``: the team's playbook (kpi.playbook columns kpi, remedy_ja, remedy_en); None: the default one.
    Issue 15 sheets after the habits: remedies, hospital vs general B2B, send-backs — each only when it has rows."""
    targets = targets or Targets()
    leads, activities = frames.get("leads"), frames.get("activities")
    review = weekly_review(leads, activities, as_of, targets) if leads is not None and len(leads) else None
    summary = None
    if activities is not None:
        summary = review.habits if review is not None and as_of is not None else habits.habits_summary(activities, leads, as_of, targets)
    elif review is not None:
        summary = review.habits
    shown_as_of = review.as_of if review is not None else (summary.as_of if summary is not None else (pd.Timestamp(as_of) if as_of else None))
    buffer = io.BytesIO()
    book = _Book(buffer, lang, "" if shown_as_of is None else str(pd.Timestamp(shown_as_of).date()))
    kpi_rows = _kpi_rows(frames, as_of, targets, lang, review.previous_as_of if review is not None else None)
    _write_kpi_sheet(book, kpi_rows)
    if review is not None:
        _write_funnel_sheet(book, review)
        _write_bottleneck_sheet(book, review, causes)
        ws = book.sheet("sheet.stalled")
        book.table(ws, _labelled(review.stalled, lang), 0, formats={label("col.amount_yen", lang): book.yen})
        ws.repeat_rows(0)
        ws.freeze_panes(1, 0)
    ws = book.sheet("sheet.actions")
    acts = actions if actions is not None and len(actions) else pd.DataFrame({"action": [label("no_actions", lang)], "owner": [""], "deadline": [None]})
    columns = ["action", "owner", "deadline"] + [c for c in ("status", "week_raised", "kpi_or_bottleneck", "cause") if c in acts.columns]
    if "status" in acts.columns:  # stored actions (the workspace): open / done / dropped in the reader's words
        acts = acts.assign(status=acts["status"].map(lambda v: label(f"action_status.{v}", lang) if isinstance(v, str) else v))
    book.table(ws, acts[columns].rename(columns=lambda c: label(f"col.{c}", lang)), 0)
    ws.set_column(0, 0, 60)
    ws.repeat_rows(0)
    if summary is not None:
        _write_habits_sheet(book, summary, targets)
    if kpi_rows:
        _write_remedies_sheet(book, {r["key"]: r["value"] for r in kpi_rows}, review, targets, playbook)
    if review is not None:
        _write_hospital_b2b_sheet(book, leads, review.as_of, targets)
        _write_send_backs_sheet(book, leads, review.as_of)
    for domain in OTHER_DOMAINS:  # every domain module has report_tables: a missing one is an error, not a lost sheet
        for name, table in importlib.import_module(f"kpi.{domain}").report_tables(frames, as_of, targets, lang).items():
            ws = book.sheet(name)
            book.table(ws, table, 0)
            ws.repeat_rows(0)
            ws.freeze_panes(1, 0)
    book.wb.close()
    return buffer.getvalue()
