"""The weekly review (this week vs last, the bottleneck and the leads behind it, cause evidence) and its workbook.

``weekly_review`` is what the Weekly review page shows; ``weekly_workbook`` writes the same numbers to xlsx
(the page's download and ``python -m kpi report``). Both call kpi.funnel and kpi.habits; nothing is re-derived.

Readings chosen here:

* "Last week" is the same cohort rule as of ``as_of − 7 days`` (leads created by then, stage dates after it ignored).
* The leads behind the bottleneck step (k−1 → k) are ``kpi.funnel.lost_at_step`` (reached k−1, not k; open and
  lost) and the stalled leads whose current stage is k−1 (they are the ones waiting in front of the step).
* Causes and their supporting habit numbers: key person unknown → key_person_rate; review materials missing →
  review_capture_rate; work-style KPI weak → minutes_within_24h_rate and visits_per_day; travel inefficiency →
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
from .targets import STAGES, Targets, rag
from .messages import ENUM_LABELS

WEEK = pd.Timedelta(days=7)
OTHER_DOMAINS: tuple[str, ...] = ("clinic", "onboarding", "adoption", "referrals")
CAUSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("script", ()),
    ("key_person", ("key_person_rate",)),
    ("review", ("review_capture_rate",)),
    ("habits", ("minutes_within_24h_rate", "visits_per_day")),
    ("travel", ("travel_minutes_per_day",)),
)
LEAD_COLUMNS: tuple[str, ...] = ("lead_id", "account", "owner", "owner_role", "region", "segment", "status", "amount_yen", "key_person", "lost_reason")
RATE_KPIS = {"minutes_within_24h_rate", "key_person_rate", "review_capture_rate"}

# The workbook's own words (kpi has no Streamlit, so no ui.i18n); the same labels the pages use.
L: dict[str, tuple[str, str]] = {
    "sheet.kpi": ("KPI表", "KPI table"), "sheet.funnel": ("ファネル", "Funnel"), "sheet.bottleneck": ("ボトルネック", "Bottleneck"),
    "sheet.stalled": ("停滞案件", "Stalled leads"), "sheet.actions": ("アクション", "Actions"), "sheet.habits": ("習慣KPI", "Habits"),
    "title": ("週次レビュー", "Weekly review"), "as_of": ("基準日", "As of"), "prev": ("先週", "Last week"),
    "col.area": ("区分", "Area"), "col.kpi": ("KPI", "KPI"), "col.value": ("値", "Value"), "col.target": ("目標", "Target"),
    "col.rag": ("判定", "Status"), "col.prev": ("先週", "Last week"), "col.n": ("対象件数", "Rows"), "col.owner_roles": ("責任者", "Owner"),
    "col.stage": ("段階", "Stage"), "col.reached": ("到達数", "Reached"), "col.conversion": ("転換率", "Conversion"),
    "col.lost": ("離脱数", "Lost"), "col.amount_yen": ("金額（円）", "Amount (¥)"),
    "col.reached_prev": ("到達数（先週）", "Reached (last week)"), "col.reached_delta": ("増減", "Change"),
    "col.conversion_prev": ("転換率（先週）", "Conversion (last week)"), "col.conversion_delta": ("転換率の増減", "Conversion change"),
    "col.lead_id": ("案件ID", "Lead ID"), "col.account": ("取引先", "Account"), "col.owner": ("担当者", "Owner"),
    "col.owner_role": ("担当区分", "Role"), "col.region": ("地域", "Region"), "col.segment": ("区分", "Segment"),
    "col.status": ("ステータス", "Status"), "col.key_person": ("キーマン", "Key person"), "col.lost_reason": ("失注理由", "Lost reason"),
    "col.stage_date": ("段階の日付", "Stage date"), "col.days_in_stage": ("滞留日数", "Days in stage"), "col.limit_days": ("上限日数", "Limit (days)"),
    "col.action": ("アクション", "Action"), "col.deadline": ("期限", "Deadline"),
    "col.rep": ("担当者", "Rep"), "col.visits": ("訪問件数", "Visits"), "col.visit_days": ("訪問日数", "Visit days"),
    "col.visits_per_day": ("訪問/日", "Visits/day"), "col.travel_minutes_per_day": ("移動分/日", "Travel min/day"),
    "col.minutes_within_24h_rate": ("議事録24h以内率", "Minutes ≤24 h"), "col.committee": ("審査", "Committee"),
    "col.captured": ("把握件数", "Captured"), "col.rate": ("把握率", "Rate"),
    "area.funnel": ("営業ファネル", "Funnel"), "area.habits": ("習慣", "Habits"),
    "kpi.step": ("転換率 {a}→{b}", "Conversion {a}→{b}"), "kpi.overall": ("全体転換率（リード→回収）", "Overall conversion"),
    "kpi.payback": ("回収期間 中央値（月）", "Payback median (months)"), "kpi.stalled": ("停滞案件数", "Stalled leads"),
    "kpi.minutes_within_24h_rate": ("議事録24時間以内送付率", "Minutes sent within 24 h"), "kpi.key_person_rate": ("キーマン把握率", "Key person known"),
    "kpi.review_capture_rate": ("審査日キャッチ率", "Review dates captured"), "kpi.visits_per_day": ("1日あたり訪問件数", "Visits per day"),
    "kpi.travel_minutes_per_day": ("1日あたり移動時間（分）", "Travel minutes per day"),
    "committee.ethics_review_on": ("倫理審査", "Ethics review"), "committee.it_review_on": ("情報審査", "IT review"),
    "committee.purchasing_review_on": ("購買審査", "Purchasing review"), "committee.board_on": ("役員会", "Board"),
    "bottleneck": ("今週のボトルネック", "This week's bottleneck"), "bottleneck.none": ("判定できません", "none"),
    "bottleneck.detail": ("転換率 {conv}（目標 {target}、目標比 {ratio}）、この段階で止まっている案件 {lost}件", "conversion {conv} (target {target}, {ratio} of target), {lost} leads stopped at the step"),
    "compare": ("今週と先週の比較", "This week vs last week"), "lost_leads": ("{a}まで進んで{b}に届いていない案件", "Leads that reached {a} but not {b}"),
    "stalled_step": ("{a}段階で停滞している案件", "Leads stalled in {a}"), "reps": ("担当者別", "By rep"), "committees": ("審査会ごとの審査日把握率", "Review-date capture per committee"),
    "cause.script": ("トークスクリプトの穴", "Gaps in the sales script"), "cause.key_person": ("キーマン不明", "Key person unknown"),
    "cause.review": ("審査資料の不足", "Review materials missing"), "cause.habits": ("働き方KPIの弱さ", "Weak work-style KPIs"),
    "cause.travel": ("移動の非効率", "Travel inefficiency"), "causes": ("原因の候補と裏付けの数字", "Possible causes and their numbers"),
    "col.cause": ("原因", "Cause"), "no_actions": ("（アクションは未入力）", "(no actions entered)"),
    "col.week_raised": ("起票週", "Week raised"), "col.kpi_or_bottleneck": ("対象（KPI・ボトルネック）", "KPI or bottleneck"),
    "action_status.open": ("継続中", "Open"), "action_status.done": ("完了", "Done"), "action_status.dropped": ("取りやめ", "Dropped"),
    "col.chosen": ("会議で選んだ原因", "Chosen in the meeting"), "chosen.yes": ("✓ 選択", "✓ chosen"),
    "causes.chosen": ("原因（会議で選んだもの ✓ と、裏付けの数字）", "Causes (✓ = chosen in the meeting) and their numbers"),
    }


def label(key: str, lang: str = "ja", **params) -> str:
    """The workbook's words; enum labels (stage, region, …) come from the one table the pages use too."""
    if key not in L and key in ENUM_LABELS:
        return ENUM_LABELS[key]["en" if lang == "en" else "ja"]
    ja, en = L.get(key, (key, key))
    text = en if lang == "en" else ja
    return text.format(**params) if params else text


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


def cause_evidence(summary: habits.HabitsSummary | None, targets: Targets) -> tuple[CauseEvidence, ...]:
    out = []
    for cause, kpis in CAUSES:
        for kpi in kpis:
            value = summary.value(kpi) if summary is not None else None
            low, high = guide_of(kpi, targets)
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
                        summary, cause_evidence(summary, targets))


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
    return out.rename(columns={c: label(f"col.{c}", lang) for c in out.columns if f"col.{c}" in L})


def _kpi_rows(review: WeeklyReview | None, leads: pd.DataFrame | None, summary: habits.HabitsSummary | None,
              targets: Targets, lang: str) -> list[dict]:
    rows: list[dict] = []
    if review is not None:
        prev = review.comparison.set_index("stage")
        for stage in STAGES[1:]:
            r = prev.loc[stage]
            a = label(f"stage.{STAGES[STAGES.index(stage) - 1]}", lang)
            rows.append({"area": label("area.funnel", lang), "kpi": label("kpi.step", lang, a=a, b=label(f"stage.{stage}", lang)),
                         "value": r["conversion"], "target": r["target"], "rag": r["rag"], "prev": r["conversion_prev"], "n": r["reached"], "kind": "pct"})
        overall = funnel.overall_conversion(review.table)
        rows.append({"area": label("area.funnel", lang), "kpi": label("kpi.overall", lang), "value": overall, "target": None, "rag": None,
                     "prev": funnel.overall_conversion(review.previous_table), "n": int(review.table["reached"].iloc[-1]), "kind": "pct"})
        pay = funnel.payback(leads, targets, review.as_of)
        if pay is not None:
            rows.append({"area": label("area.funnel", lang), "kpi": label("kpi.payback", lang), "value": pay.median, "target": targets.payback_months_max,
                         "rag": rag(pay.median, targets.payback_months_max, higher_is_better=False), "prev": None, "n": pay.leads, "kind": "num1"})
        rows.append({"area": label("area.funnel", lang), "kpi": label("kpi.stalled", lang), "value": len(review.stalled), "target": None,
                     "rag": None, "prev": None, "n": None, "kind": "int"})
    if summary is not None:
        for key in habits.HABIT_KPIS:
            low, high = guide_of(key, targets)
            target = f"{low:g}–{high:g}" if low is not None and high is not None else (low if low is not None else high)
            rows.append({"area": label("area.habits", lang), "kpi": label(f"kpi.{key}", lang), "value": summary.value(key), "target": target,
                         "rag": summary.rags.get(key), "prev": None, "n": None, "kind": "pct" if key in RATE_KPIS else "num1"})
    return rows


def _write_kpi_sheet(book: _Book, rows: list[dict]) -> None:
    lang = book.lang
    ws = book.sheet("sheet.kpi")
    ws.write_string(0, 0, f"{label('title', lang)} — {label('as_of', lang)} {book.as_of}", book.title)
    cols = ["area", "kpi", "value", "target", "rag", "prev", "n"]
    for j, c in enumerate(cols):
        ws.write_string(2, j, label(f"col.{c}" if c not in ("prev",) else "col.prev", lang), book.header)
    for i, r in enumerate(rows, start=3):
        fmt = {"pct": book.pct, "num1": book.num1, "int": book.int}[r["kind"]]
        ws.write_string(i, 0, r["area"])
        ws.write_string(i, 1, r["kpi"])
        for j, key in ((2, "value"), (3, "target"), (5, "prev")):
            v = r[key]
            if isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v):
                ws.write_number(i, j, float(v), fmt)
            else:
                write_cell(ws, i, j, v)
        if r["rag"] in book.rag:
            ws.write_string(i, 4, label(f"rag.{r['rag']}", lang), book.rag[r["rag"]])
        write_cell(ws, i, 6, r["n"])
    for j, w in enumerate([14, 34, 12, 12, 10, 12, 10]):
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
    chart.set_title({"name": f"{label('sheet.funnel', lang)}（{label('as_of', lang)} {book.as_of}）" if lang == "ja" else f"Funnel (as of {book.as_of})"})
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
    ws.write_string(row, 0, f"{label('compare', lang)}（{label('prev', lang)} = {review.previous_as_of.date()}）", book.bold)
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
        lines += [{**mark, "cause": label(f"cause.{cause}", lang), "kpi": label(f"kpi.{e.kpi}", lang), "value": e.value, "rag": e.rag}
                  for e in ev if e.cause == cause] or [{**mark, "cause": label(f"cause.{cause}", lang), "kpi": "—", "value": None, "rag": None}]
    causes = pd.DataFrame(lines).rename(columns=lambda c: label(f"col.{c}", lang))
    value_col = list(causes.columns).index(label("col.value", lang))
    row = book.table(ws, causes, row + 1, formats={}, rag_column=label("col.rag", lang), widths=widths) + 1
    for i, line in enumerate(lines, start=row - len(lines) - 1):  # rates as %, the rest as numbers
        if line["value"] is not None and not math.isnan(line["value"]):
            is_rate = any(line["kpi"] == label(f"kpi.{k}", lang) for k in RATE_KPIS)
            ws.write_number(i, value_col, line["value"], book.pct if is_rate else book.num1)
    if review.bottleneck:
        ws.write_string(row, 0, f"{label('lost_leads', lang, a=a, b=b)}（{len(review.lost_leads)}）", book.bold)
        row = book.table(ws, _labelled(review.lost_leads, lang), row + 1, formats={label("col.amount_yen", lang): book.yen}, widths=widths) + 1
    book.set_widths(ws, widths)


def _write_habits_sheet(book: _Book, summary: habits.HabitsSummary, targets: Targets) -> None:
    lang = book.lang
    ws = book.sheet("sheet.habits")
    widths: dict[int, int] = {}
    rows = []
    for key in habits.HABIT_KPIS:
        low, high = guide_of(key, targets)
        rows.append({"kpi": label(f"kpi.{key}", lang), "value": summary.value(key),
                     "target": f"{low:g}–{high:g}" if low is not None and high is not None else (low if low is not None else high),
                     "rag": summary.rags.get(key), "owner_roles": " / ".join(label(f"owner_role.{r}", lang) for r in habits.KPI_OWNERS[key])})
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
        row = book.table(ws, reps, row + 2, formats={label("col.visits_per_day", lang): book.num1, label("col.travel_minutes_per_day", lang): book.num1,
                                                     label("col.minutes_within_24h_rate", lang): book.pct}, widths=widths)
    if summary.review is not None:
        ws.write_string(row + 1, 0, label("committees", lang), book.bold)
        comm = pd.DataFrame([{"committee": label(f"committee.{c}", lang), "captured": r.numerator, "n": r.denominator, "rate": r.value}
                             for c, r in summary.review.committees.items() if r is not None]).rename(columns=lambda c: label(f"col.{c}", lang))
        row = book.table(ws, comm, row + 2, formats={label("col.rate", lang): book.pct}, widths=widths)
    book.set_widths(ws, widths)


def weekly_workbook(frames: dict[str, pd.DataFrame], as_of: dt.date | pd.Timestamp | None, targets: Targets | None,
                    lang: str = "ja", actions: pd.DataFrame | None = None, causes: tuple[str, ...] | None = None) -> bytes:
    """The weekly review workbook (xlsx bytes): KPI table (RAG fills), funnel + native bar chart, bottleneck,
    stalled leads, actions, habits, then each other domain's ``report_tables``. Every sheet A4 landscape, one
    page wide. ``actions``: columns action, owner, deadline (the Weekly review page's form), optional.
    ``causes``: the cause codes ticked on the page (None: no choice made, e.g. the CLI's report)."""
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
    _write_kpi_sheet(book, _kpi_rows(review, leads, summary, targets, lang))
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
    for domain in OTHER_DOMAINS:  # every domain module has report_tables: a missing one is an error, not a lost sheet
        for name, table in importlib.import_module(f"kpi.{domain}").report_tables(frames, as_of, targets, lang).items():
            ws = book.sheet(name)
            book.table(ws, table, 0)
            ws.repeat_rows(0)
            ws.freeze_panes(1, 0)
    book.wb.close()
    return buffer.getvalue()
