"""The KPI registry (SPEC section 6): every KPI the product shows, declared once.

Each :class:`KPI` says what a number is (key, dataset, layer 結果/手前/習慣, cadence, whose number it is, unit,
direction, default target, label and definition in ja/en, the fields it reads) and how it is computed. The
CLI (``python -m kpi kpis``, ``metrics --json`` → ``"kpis"``) reads it today; the pages, the workbook and the
weekly history (SPEC section 5) are to loop over the same list.

How values are computed: :func:`values` runs ``kpi.metrics.metrics`` once (the SPEC section 3 sections, the
same functions the pages call) and each KPI reads its number from those sections, or, for the few numbers the
sections do not carry (key person rate, review-date capture, stalled deals), from the same KPI module the
habits and funnel pages call. So a registry value is by construction the section's number
(``meeting_rate`` = the funnel's conversion of ``meeting``).

Readings of the SPEC chosen here:
* A stage count (``contact_count`` …) is null, not 0, when the file has no date column for that stage nor for
  any later one (the funnel marks such stages unrecorded): the count is unknown, not zero.
* Clinic KPIs are those of the latest full month (``kpi.clinic.latest_full_month``), as on the clinic page's
  headline tiles; null when that month is not in the data.
* ``stalled_count`` counts open leads past their stage's limit over every lead created ≤ as_of (SPEC 2).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

import pandas as pd

from .messages import CADENCE_LABELS, LAYER_LABELS, ROLE_LABELS, TILE_TEXT
from .targets import STAGES, Rag, Targets, rag

LAYERS = ("result", "leading", "habit")
CADENCES = ("quarter", "month", "week", "day")
OWNER_ROLES = ("agency", "inside_sales", "field_sales", "consultant", "partner", "manager", "clinic", "cs", "liaison")
UNITS = ("count", "rate", "yen", "months", "days", "minutes", "score", "ratio")


@dataclass(frozen=True)
class Context:
    """What a KPI's compute function reads: the frames, the metrics sections computed once, the targets."""

    frames: dict[str, pd.DataFrame]
    sections: dict[str, Any]
    targets: Targets
    as_of: dt.date | None = None


@dataclass(frozen=True)
class KPI:
    key: str
    dataset: str
    layer: str
    cadence: str
    owner_role: str
    unit: str
    direction: str  # "up": higher is better; "down"
    label: tuple[str, str]  # (ja, en)
    definition: tuple[str, str]
    inputs: tuple[str, ...]
    compute: Callable[[Context], float | None] = field(repr=False, compare=False)
    target: Callable[[Targets], float | None] = field(default=lambda _t: None, repr=False, compare=False)
    # confidence (kpi.confidence): the rows behind the number and the columns each of them must have. Default:
    # every row of the dataset and the KPI's inputs. A rate whose input *is* the outcome (a key person noted or
    # not) names the columns every row of its denominator needs instead.
    basis: tuple[str, ...] | None = None
    basis_rows: Callable[[pd.DataFrame, pd.Timestamp | None], pd.DataFrame] | None = field(default=None, repr=False, compare=False)

    def describe(self, targets: Targets | None = None) -> dict[str, Any]:
        """The JSON entry of ``python -m kpi kpis`` (SPEC section 6)."""
        return {
            "key": self.key, "dataset": self.dataset, "layer": self.layer, "cadence": self.cadence,
            "owner_role": self.owner_role, "unit": self.unit, "direction": self.direction,
            "target": self.target(targets or Targets()),
            "label": {"ja": self.label[0], "en": self.label[1]},
            "definition": {"ja": self.definition[0], "en": self.definition[1]},
            "inputs": list(self.inputs),
        }


# ------------------------------------------------------------------ readers of the metrics sections
def _stage(section: dict, stage: str) -> dict | None:
    return next((row for row in section.get("funnel", []) if row["stage"] == stage), None)


def _unrecorded(ctx: Context) -> set[str]:
    from .funnel import unrecorded_stages

    return set(unrecorded_stages(ctx.frames["leads"]))


def _reached(stage: str) -> Callable[[Context], float | None]:
    def compute(ctx: Context) -> float | None:
        section = ctx.sections.get("leads")
        if section is None or stage in _unrecorded(ctx):
            return None
        row = _stage(section, stage)
        return None if row is None else row["reached"]
    return compute


def _conversion(stage: str) -> Callable[[Context], float | None]:
    def compute(ctx: Context) -> float | None:
        row = _stage(ctx.sections.get("leads", {}), stage)
        return None if row is None else row["conversion"]
    return compute


def _overall(ctx: Context) -> float | None:
    section = ctx.sections.get("leads")
    if section is None or "collected" in _unrecorded(ctx):
        return None
    lead, collected = _stage(section, "lead")["reached"], _stage(section, "collected")["reached"]
    return None if not lead else collected / lead


def _field(section: str, name: str) -> Callable[[Context], float | None]:
    return lambda ctx: (ctx.sections.get(section) or {}).get(name)


def _stalled(ctx: Context) -> float | None:
    from .funnel import _resolve_as_of, leads_in_scope, stalled_leads

    leads = ctx.frames.get("leads")
    if leads is None:
        return None
    as_of = _resolve_as_of(leads, ctx.as_of)
    if as_of is None:
        return None
    scope = leads_in_scope(leads, as_of, "cohort", None, None)
    return len(stalled_leads(scope, as_of, ctx.targets))


def _habit_rate(name: str) -> Callable[[Context], float | None]:
    def compute(ctx: Context) -> float | None:
        from . import habits

        leads = ctx.frames.get("leads")
        if leads is None:
            return None
        result = getattr(habits, name)(leads, ctx.as_of)
        if result is None:
            return None
        rate = getattr(result, "total", result)  # review capture carries its committees beside the total
        return rate.value
    return compute


def _clinic(name: str) -> Callable[[Context], float | None]:
    def compute(ctx: Context) -> float | None:
        from .clinic import latest_full_month

        section = ctx.sections.get("visits")
        if not section or not section.get("as_of"):
            return None
        month = latest_full_month(pd.Timestamp(section["as_of"]))
        row = next((m for m in section["monthly"] if m["month"] == month), None)
        return None if row is None else row.get(name)
    return compute


def _reached_rows(stage: str) -> Callable[[pd.DataFrame, pd.Timestamp | None], pd.DataFrame]:
    """The denominator of a step rate: the leads that reached the previous stage (a later stage's empty date is
    an outcome, not a gap, so confidence reads only the columns every one of these rows must have)."""
    def rows(leads: pd.DataFrame, as_of: pd.Timestamp | None) -> pd.DataFrame:
        from .funnel import reached_flags

        return leads[reached_flags(leads, as_of)[stage]]
    return rows


def _open_rows(leads: pd.DataFrame, _as_of: pd.Timestamp | None) -> pd.DataFrame:
    return leads[leads["status"].eq("open")] if "status" in leads.columns else leads


def _ja_en(ja: str, en: str) -> tuple[str, str]:
    return (ja, en)


STAGE_JA = {"lead": "リード", "contact": "接触", "meeting": "商談", "poc": "PoC合意", "approval": "稟議通過", "collected": "回収"}
STAGE_EN = {"lead": "Leads", "contact": "Contacted", "meeting": "Meetings", "poc": "PoC agreed", "approval": "Approved", "collected": "Collected"}
STAGE_DATE = {"lead": "created_at", "contact": "contacted_on", "meeting": "meeting_on", "poc": "poc_on", "approval": "approved_on",
              "collected": "collected_on"}
# (layer, cadence, owner) per stage count and per step rate, as the team's method sets them (SPEC 6 table)
COUNT_ROLE = {"lead": ("leading", "week", "agency"), "contact": ("leading", "week", "agency"),
              "meeting": ("leading", "week", "inside_sales"), "poc": ("result", "quarter", "field_sales"),
              "approval": ("result", "quarter", "field_sales"), "collected": ("result", "quarter", "consultant")}
RATE_KEY = {"contact": "contact_rate", "meeting": "meeting_rate", "poc": "poc_rate", "approval": "approval_rate",
            "collected": "collection_rate"}
RATE_JA = {"contact": "接触率", "meeting": "商談化率", "poc": "PoC合意率", "approval": "稟議通過率", "collected": "回収率"}
RATE_EN = {"contact": "Contact rate", "meeting": "Meeting rate", "poc": "PoC rate", "approval": "Approval rate",
           "collected": "Collection rate"}
RATE_ROLE = {"contact": ("leading", "week", "agency"), "meeting": ("leading", "week", "inside_sales"),
             "poc": ("leading", "week", "field_sales"), "approval": ("result", "quarter", "field_sales"),
             "collected": ("result", "quarter", "consultant")}


def _funnel_kpis() -> list[KPI]:
    out = []
    for stage in STAGES:
        layer, cadence, owner = COUNT_ROLE[stage]
        later = tuple(STAGE_DATE[s] for s in STAGES[STAGES.index(stage):])
        ja = "リード数" if stage == "lead" else f"{STAGE_JA[stage]}数"
        out.append(KPI(
            f"{stage}_count", "leads", layer, cadence, owner, "count", "up", (ja, STAGE_EN[stage]),
            (f"{STAGE_JA[stage]}に到達した案件数（その段階かそれ以降の日付がある案件）",
             f"Leads that reached {stage} (a date of that stage or of any later stage)"),
            ("lead_id",) + later, _reached(stage), basis=("lead_id", "created_at")))
    for stage in STAGES[1:]:
        layer, cadence, owner = RATE_ROLE[stage]
        prev = STAGES[STAGES.index(stage) - 1]
        out.append(KPI(
            RATE_KEY[stage], "leads", layer, cadence, owner, "rate", "up", (RATE_JA[stage], RATE_EN[stage]),
            (f"{STAGE_JA[stage]}到達数 ÷ {STAGE_JA[prev]}到達数", f"reached({stage}) / reached({prev})"),
            (STAGE_DATE[prev], STAGE_DATE[stage]), _conversion(stage),
            target=lambda t, stage=stage: float(t.step_conversion[stage]),
            basis=(STAGE_DATE[prev], "status"), basis_rows=_reached_rows(prev)))
    out += [
        KPI("overall_rate", "leads", "result", "quarter", "manager", "rate", "up", ("全体転換率", "Overall conversion"),
            ("回収到達数 ÷ リード数", "reached(collected) / reached(lead)"), ("created_at", "collected_on"), _overall,
            basis=("created_at", "status")),
        KPI("stalled_count", "leads", "leading", "week", "manager", "count", "down", ("停滞案件数", "Stalled deals"),
            ("進行中で、最新段階の日付から段階ごとの上限日数を超えた案件", "Open leads whose latest stage date is older than the stage's limit"),
            ("status", "created_at"), _stalled, basis=("status", "next_action_on"), basis_rows=_open_rows),
        KPI("payback_months_median", "leads", "result", "quarter", "consultant", "months", "down", ("回収期間", "Payback period"),
            ("回収期間（月）の中央値", "Median payback months"), ("payback_months",), _field("leads", "payback_months_median"),
            target=lambda t: float(t.payback_months_max)),
    ]
    return out


def _other_kpis() -> list[KPI]:
    return [
        # habits (daily, as the habits page: whose number it is)
        KPI("minutes_within_24h_rate", "activities", "habit", "day", "field_sales", "rate", "up",
            ("24時間以内議事録送付率", "Minutes sent within 24 h"),
            ("訪問・オンライン・デモのうち、24時間以内に議事録を送った割合", "Visits/online/demos with minutes sent within 24 h"),
            ("activity_at", "type", "minutes_sent_at"), _field("activities", "minutes_within_24h_rate"),
            target=lambda t: t.minutes_within_24h_rate),
        KPI("key_person_rate", "leads", "habit", "day", "inside_sales", "rate", "up", ("キーマン特定率", "Key person identified"),
            ("商談に到達した案件のうち、キーマンが記入された割合", "Leads that reached meeting with a key person noted"),
            ("meeting_on", "key_person"), _habit_rate("key_person_rate"), target=lambda t: t.key_person_rate,
            basis=("meeting_on", "status"), basis_rows=_reached_rows("meeting")),
        KPI("review_capture_rate", "leads", "habit", "day", "field_sales", "rate", "up", ("審査日記入率", "Review dates captured"),
            ("商談に到達した病院案件のうち、審査日（倫理・情報・購買・役員会）が1つ以上ある割合",
             "Hospital leads that reached meeting with at least one review-committee date"),
            ("segment", "meeting_on", "ethics_review_on", "it_review_on", "purchasing_review_on", "board_on"),
            _habit_rate("review_capture_rate"), target=lambda t: t.review_capture_rate,
            basis=("segment", "meeting_on"), basis_rows=_reached_rows("meeting")),
        KPI("visits_per_day", "activities", "habit", "day", "field_sales", "count", "up", ("1日あたり訪問件数", "Visits per day"),
            ("担当者ごとの 訪問数 ÷ 訪問日数 の平均", "Mean over reps of visits / visit days"), ("activity_at", "rep", "type"),
            _field("activities", "visits_per_day"), target=lambda t: t.visits_per_day_min),
        KPI("travel_minutes_per_day", "activities", "habit", "day", "field_sales", "minutes", "down",
            ("1日あたり移動時間", "Travel minutes per day"),
            ("担当者ごとの 移動時間 ÷ 訪問日数 の平均", "Mean over reps of travel minutes / visit days"),
            ("activity_at", "rep", "type", "travel_minutes"), _field("activities", "travel_minutes_per_day"),
            target=lambda t: t.travel_minutes_per_day_max),
        # clinic (the latest full month)
        KPI("clinic_visits", "visits", "result", "month", "clinic", "count", "up", ("来院数", "Visits"),
            ("締まった最新月の来院数", "Attended visits in the latest full month"), ("patient_id", "visit_on"), _clinic("visits")),
        KPI("clinic_patients", "visits", "result", "month", "clinic", "count", "up", ("患者数", "Patients"),
            ("締まった最新月に来院した患者の数", "Distinct patients in the latest full month"), ("patient_id", "visit_on"), _clinic("patients")),
        KPI("clinic_new_patients", "visits", "leading", "month", "clinic", "count", "up", ("新患数", "New patients"),
            ("締まった最新月に初めて来院した患者", "Patients whose first visit is in the latest full month"),
            ("patient_id", "visit_on"), _clinic("new")),
        KPI("visit_frequency", "visits", "leading", "month", "clinic", "ratio", "up", ("来院頻度", "Visit frequency"),
            ("来院数 ÷ 患者数", "visits / patients"), ("patient_id", "visit_on"), _clinic("frequency"),
            target=lambda t: t.frequency_min),
        KPI("second_visit_rate", "visits", "leading", "month", "clinic", "rate", "up", ("2回目リピート率", "Second-visit rate"),
            ("新患のうち14日以内に2回目の来院があった割合", "New patients with another visit within 14 days"),
            ("patient_id", "visit_on"), _clinic("second_visit_rate"), target=lambda t: t.second_visit_rate_min),
        KPI("cancel_rate", "visits", "habit", "month", "clinic", "rate", "down", ("キャンセル率", "Cancellation rate"),
            ("(キャンセル＋無断キャンセル) ÷ 予約", "(cancelled + no-show) / (attended + cancelled + no-show)"),
            ("visit_on", "status"), _clinic("cancel_rate"), target=lambda t: t.cancel_rate_max),
        KPI("price_per_10min", "visits", "result", "month", "clinic", "yen", "up", ("10分単価", "Price per 10 minutes"),
            ("10 × 会計金額 ÷ 施術時間", "10 × amount / treatment minutes"), ("amount_yen", "treatment_minutes"),
            _clinic("price_per_10min"), target=lambda t: t.price_per_10min_min),
        KPI("clinic_revenue", "visits", "result", "month", "clinic", "yen", "up", ("売上", "Revenue"),
            ("締まった最新月の会計金額の合計", "Sum of amounts in the latest full month"), ("amount_yen",), _clinic("revenue")),
        # onboarding
        KPI("graduation_rate", "onboarding", "result", "quarter", "cs", "rate", "up", ("卒業率", "Graduation rate"),
            ("第12回を終えた受講者 ÷ 第1回を終えた受講者", "users with session 12 done / users with session 1 done"),
            ("customer", "user", "session_no", "status"), _field("onboarding", "graduation_rate")),
        KPI("attendance_rate", "onboarding", "habit", "week", "cs", "rate", "up", ("出席率", "Attendance rate"),
            ("実施 ÷ (実施＋欠席)", "done / (done + missed)"), ("status",), _field("onboarding", "attendance_rate")),
        KPI("onboarding_dropped", "onboarding", "leading", "week", "cs", "count", "down", ("離脱者数", "Dropped users"),
            ("開始して未卒業、21日間受講のない受講者", "Started, not graduated, no session done in 21 days"),
            ("held_on", "status"), _field("onboarding", "dropped")),
        KPI("nps", "onboarding", "result", "quarter", "cs", "score", "up", ("NPS", "NPS"),
            ("推奨者(9–10)の割合 − 批判者(0–6)の割合（×100）", "100 × (share 9–10 − share 0–6)"), ("nps_score",),
            _field("onboarding", "nps"), basis=("nps_score",), basis_rows=lambda f, _a: f[f["nps_score"].notna()] if "nps_score" in f.columns else f),
        # CRM adoption (0–100)
        KPI("adoption_overall", "leads", "result", "month", "manager", "score", "up", ("CRM定着スコア", "CRM adoption score"),
            ("利用・データ品質・成果の3層の平均", "Mean of the usage, data and outcome layers"), ("lead_id", "created_at"),
            _field("adoption", "overall")),
        KPI("adoption_usage", "leads", "habit", "week", "manager", "score", "up", ("利用", "Usage"),
            ("直近28日の利用（活動・更新・次回予定）", "Usage over the last 28 days"), ("owner", "updated_on", "next_action_on"),
            _field("adoption", "usage")),
        KPI("adoption_data", "leads", "leading", "week", "manager", "score", "up", ("データ品質", "Data quality"),
            ("必須項目・重複・失注理由・鮮度", "Required fields, duplicates, lost reasons, freshness"),
            ("account", "segment", "region", "owner", "updated_on"), _field("adoption", "data")),
        KPI("adoption_outcomes", "leads", "result", "month", "manager", "score", "up", ("成果", "Outcomes"),
            ("初回対応・商談化・受注・停滞", "First response, meeting rate, win rate, stalled share"),
            ("first_response_at", "meeting_on", "status"), _field("adoption", "outcomes"), basis=("created_at", "status")),
        # referrals
        KPI("referrals_in", "referrals", "result", "month", "liaison", "count", "up", ("紹介数（受）", "Referrals in"),
            ("紹介を受けた件数", "Referrals received"), ("referred_on", "institution", "direction"), _field("referrals", "in")),
        KPI("referrals_out", "referrals", "leading", "month", "liaison", "count", "up", ("逆紹介数", "Referrals out"),
            ("逆紹介した件数", "Referrals sent back"), ("referred_on", "institution", "direction"), _field("referrals", "out")),
        KPI("reverse_ratio", "referrals", "leading", "month", "liaison", "ratio", "up", ("逆紹介比", "Reverse ratio"),
            ("逆紹介 ÷ 紹介", "out / in"), ("direction",), _field("referrals", "reverse_ratio")),
    ]


REGISTRY: tuple[KPI, ...] = tuple(_funnel_kpis() + _other_kpis())
BY_KEY: dict[str, KPI] = {k.key: k for k in REGISTRY}


def _check(registry: tuple[KPI, ...]) -> None:
    keys = [k.key for k in registry]
    dupes = {k for k in keys if keys.count(k) > 1}
    assert not dupes, f"duplicate KPI keys: {dupes}"
    for k in registry:
        assert k.layer in LAYERS and k.cadence in CADENCES and k.owner_role in OWNER_ROLES and k.unit in UNITS, k.key
        assert k.direction in ("up", "down") and k.label[0] and k.label[1], k.key


_check(REGISTRY)


def describe(targets: Targets | None = None) -> list[dict[str, Any]]:
    """``python -m kpi kpis --json``: every registry entry, in registry order."""
    return [k.describe(targets) for k in REGISTRY]


def values(frames: dict[str, pd.DataFrame], as_of: dt.date | None = None, targets: Targets | None = None,
           sections: dict[str, Any] | None = None) -> dict[str, float | None]:
    """Every registry KPI's value (null where its dataset or inputs are absent). ``sections``: the metrics
    sections when already computed (``metrics --json`` passes its own, so nothing is computed twice)."""
    from .metrics import json_ready, metrics

    targets = targets or Targets()
    if sections is None:
        sections = metrics(frames, as_of, targets)
    ctx = Context(frames, sections, targets, as_of)
    out: dict[str, float | None] = {}
    for kpi in REGISTRY:
        out[kpi.key] = json_ready(kpi.compute(ctx)) if kpi.dataset in frames else None
    return out


def markdown_table(targets: Targets | None = None) -> str:
    """The README's KPI table (``python -m kpi kpis --markdown``); tests/test_registry.py fails when the README's
    copy is stale."""
    targets = targets or Targets()
    lines = ["| key | 日本語 | English | layer | cadence | owner | unit | better | default target | inputs |",
             "|---|---|---|---|---|---|---|---|---:|---|"]
    for k in REGISTRY:
        target = k.target(targets)
        lines.append(f"| `{k.key}` | {k.label[0]} | {k.label[1]} | {LAYER_LABELS[k.layer][0]} {k.layer} | {k.cadence} | "
                     f"{k.owner_role} | {k.unit} | {'↑' if k.direction == 'up' else '↓'} | {'' if target is None else f'{target:g}'} | "
                     f"{', '.join(k.inputs)} |")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ tiles: what a page shows of a KPI
@dataclass(frozen=True)
class TileView:
    """One KPI as a tile shows it, computed in ``kpi`` so every page says the same: the team's name, the layer ·
    cadence · owner line, the definition (numerator / denominator) and the target for the hover, the value and
    its previous value, RAG against the registry's target and direction, the 信頼度 of the rows behind it, and —
    when the value is n/a for lack of a column — the inputs the file does not have."""

    key: str
    label: str
    meta: str
    definition: str
    unit: str
    direction: str
    layer: str
    value: float | None
    previous: float | None
    target: float | None
    rag: Rag | None
    confidence: Any  # kpi.confidence.Confidence | None
    missing: tuple[str, ...]

    @property
    def delta(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return float(self.value) - float(self.previous)


def input_hint(dataset: str, column: str) -> str:
    """A registry input as the user knows it: the header the file would have, then the field name (接触日 / contacted_on)."""
    from .schemas import field_specs

    spec = next((s for s in field_specs(dataset) if s.name == column), None) if dataset in _datasets() else None
    return f"{spec.aliases[0]} / {column}" if spec is not None and spec.aliases else column


def _datasets() -> tuple[str, ...]:
    from .schemas import KINDS

    return tuple(KINDS)


def kpi_confidence(kpi: KPI, frames: dict[str, pd.DataFrame], as_of: dt.date | None, lang: str = "ja"):
    """The 信頼度 of one KPI from the registry's declaration (kpi.confidence's rule on the KPI's basis rows and
    columns; leads add the freshness of ``updated_on``); None when the dataset is absent."""
    from .confidence import confidence

    frame = frames.get(kpi.dataset)
    if frame is None:
        return None
    stamp = pd.Timestamp(as_of) if as_of is not None else None
    rows = kpi.basis_rows(frame, stamp) if kpi.basis_rows is not None else frame
    side = 0 if lang == "ja" else 1
    return confidence(rows, kpi.basis or kpi.inputs, as_of, updated_column="updated_on" if kpi.dataset == "leads" else None,
                      owner_hint=ROLE_LABELS[kpi.owner_role][side], lang=lang)


def tile(key: str, value: float | None, targets: Targets | None = None, previous: float | None = None,
         frames: dict[str, pd.DataFrame] | None = None, as_of: dt.date | None = None, lang: str = "ja",
         confidence: Any = None) -> TileView:
    """A :class:`TileView` of KPI ``key`` for a value the caller computed (a page's filtered scope) or took from
    :func:`values`. ``frames`` (the rows behind the value) give the 信頼度 and the missing inputs unless
    ``confidence`` is passed."""
    kpi = BY_KEY[key]
    side = 0 if lang == "ja" else 1
    target = kpi.target(targets or Targets())
    value = None if value is None or (isinstance(value, float) and value != value) else value
    frame = (frames or {}).get(kpi.dataset)
    missing = tuple(c for c in kpi.inputs if frame is not None and c not in frame.columns)
    if confidence is None and frames is not None:
        confidence = kpi_confidence(kpi, frames, as_of, lang)
    meta = TILE_TEXT["meta"][side].format(layer=LAYER_LABELS[kpi.layer][side], cadence=CADENCE_LABELS[kpi.cadence][side],
                                          owner=ROLE_LABELS[kpi.owner_role][side])
    return TileView(key, kpi.label[side], meta, kpi.definition[side], kpi.unit, kpi.direction, kpi.layer, value, previous,
                    target, rag(value, target, higher_is_better=kpi.direction == "up") if target is not None else None,
                    confidence, missing if value is None else ())


def tiles(keys: list[str] | tuple[str, ...], frames: dict[str, pd.DataFrame], as_of: dt.date | None = None,
          targets: Targets | None = None, previous: dict[str, float | None] | None = None, lang: str = "ja",
          computed: dict[str, float | None] | None = None) -> tuple[TileView, ...]:
    """The tiles of ``keys`` in the order given, values from :func:`values` (or ``computed``, when the caller has
    them), previous values from ``previous`` (last week's / last month's, when the page has them)."""
    vals = computed if computed is not None else values(frames, as_of, targets)
    return tuple(tile(k, vals.get(k), targets, (previous or {}).get(k), frames, as_of, lang) for k in keys)


def by_layer(views: tuple[TileView, ...]) -> list[tuple[str, list[TileView]]]:
    """Tiles grouped as the team reads them: 結果 first, then what feeds it (手前, 習慣); empty layers left out."""
    return [(layer, [v for v in views if v.layer == layer]) for layer in LAYERS if any(v.layer == layer for v in views)]
