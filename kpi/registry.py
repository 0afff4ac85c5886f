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

from .messages import CADENCE_LABELS, KPI_TEXT, TEXT, LAYER_LABELS, ROLE_LABELS, TILE_TEXT
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
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)  # views shared by KPIs of one call


@dataclass(frozen=True)
class KPI:
    key: str
    dataset: str
    layer: str
    cadence: str
    owner_role: str
    unit: str
    direction: str  # "up": higher is better; "down"
    inputs: tuple[str, ...]
    compute: Callable[[Context], float | None] = field(repr=False, compare=False)
    target: Callable[[Targets], float | None] = field(default=lambda _t: None, repr=False, compare=False)
    # confidence (kpi.confidence): the rows behind the number and the columns each of them must have. Default:
    # every row of the dataset and the KPI's inputs. A rate whose input *is* the outcome (a key person noted or
    # not) names the columns every row of its denominator needs instead.
    basis: tuple[str, ...] | None = None
    basis_rows: Callable[[pd.DataFrame, pd.Timestamp | None], pd.DataFrame] | None = field(default=None, repr=False, compare=False)
    # roles that act on the number beside its owner (the habits page's table of who owns which habit)
    shared_with: tuple[str, ...] = ()

    @property
    def owners(self) -> tuple[str, ...]:
        """Whose number it is (``owner_role``) first, then the roles it is shared with."""
        return (self.owner_role, *self.shared_with)

    @property
    def label(self) -> tuple[str, str]:
        """(ja, en): the team's name for the KPI, from the strings table (kpi/messages.py KPI_TEXT)."""
        return KPI_TEXT[self.key]["label"]

    @property
    def definition(self) -> tuple[str, str]:
        """(ja, en): numerator / denominator in words, from kpi/messages.py KPI_TEXT."""
        return KPI_TEXT[self.key]["definition"]

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


def _overall_target(t: Targets) -> float:
    """The overall conversion's target: the product of the step targets (one place, not worked out by a page)."""
    out = 1.0
    for stage in STAGES[1:]:
        out *= float(t.step_conversion[stage])
    return out


def _field(section: str, name: str) -> Callable[[Context], float | None]:
    return lambda ctx: (ctx.sections.get(section) or {}).get(name)


def _view_of(kind: str, ctx: Context, build: Callable[[], Any]) -> Any:
    """One page view per :func:`values` call (several KPIs read the same view), memoised on the Context itself, so
    nothing outlives the call (no module-level state holding a user's frames)."""
    if kind not in ctx.memo:
        ctx.memo[kind] = build()
    return ctx.memo[kind]


def _onboarding_view(name: str) -> Callable[[Context], float | None]:
    """A number of the onboarding page's view (kpi.onboarding.onboarding_view), so the tile and the CLI agree."""
    def compute(ctx: Context) -> float | None:
        from .onboarding import onboarding_view

        frame = ctx.frames.get("onboarding")
        if frame is None:
            return None
        return _view_of("onboarding", ctx, lambda: onboarding_view(frame, ctx.as_of, ctx.targets)).kpis[name]
    return compute


def _liaison_view(name: str) -> Callable[[Context], float | None]:
    """A number of the liaison page's view (kpi.referrals.liaison_view). The hospital's first-visit counts
    (``frames["referral_counts"]``, kpi.referrals.read_counts' shape) and the institution master
    (``frames["institution_master"]``) are optional frames beside the datasets: without them 紹介率 / 逆紹介率 and
    the never-referring count are null."""
    def compute(ctx: Context) -> float | None:
        from .referrals import liaison_view

        frame = ctx.frames.get("referrals")
        if frame is None:
            return None
        view = _view_of("referrals", ctx, lambda: liaison_view(frame, ctx.frames.get("activities"), ctx.frames.get("referral_counts"),
                                                                ctx.frames.get("institution_master"), as_of=ctx.as_of))
        return view.kpis[name]
    return compute


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


def _sla(role: str | None) -> Callable[[Context], float | None]:
    """Partner SLA compliance (kpi.sla) with the SLA hours of the team's Targets."""
    def compute(ctx: Context) -> float | None:
        from .sla import SlaSettings, sla_compliance_rate

        return sla_compliance_rate(ctx.frames.get("leads"), ctx.as_of, role, SlaSettings.from_targets(ctx.targets))
    return compute


def _sla_target(t: Targets) -> float:
    return t.sla_compliance_target


def _sla_rows(role: str | None) -> Callable[[pd.DataFrame, pd.Timestamp | None], pd.DataFrame]:
    def rows(leads: pd.DataFrame, _as_of: pd.Timestamp | None) -> pd.DataFrame:
        roles = ("agency", "partner") if role is None else (role,)
        return leads[leads["owner_role"].isin(roles)] if "owner_role" in leads.columns else leads.iloc[0:0]
    return rows


def _reply_rate(ctx: Context) -> float | None:
    from .abtest import reply_rate

    return reply_rate(ctx.frames.get("activities"), ctx.as_of)


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


def _clinic_latest(name: str) -> Callable[[Context], float | None]:
    """A figure of the visits section's ``latest_month`` (kpi.clinic.latest_month_figures, issue 16)."""
    return lambda ctx: ((ctx.sections.get("visits") or {}).get("latest_month") or {}).get(name)


def _habit_basis(key: str) -> dict[str, Any]:
    """A habit KPI's confidence basis, as kpi.habits defines it: the denominator's rows (kpi.habits.kpi_rows) and the
    columns each must have (kpi.habits.CONFIDENCE_COLUMNS)."""
    from .habits import CONFIDENCE_COLUMNS, kpi_rows

    leads_kpi = key in ("key_person_rate", "review_capture_rate")

    def rows(frame: pd.DataFrame, as_of: pd.Timestamp | None) -> pd.DataFrame:
        out = kpi_rows(key, None if leads_kpi else frame, frame if leads_kpi else None, as_of)
        return frame.iloc[0:0] if out is None else out
    return {"basis": CONFIDENCE_COLUMNS[key], "basis_rows": rows}


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


STAGE_DATE = {"lead": "created_at", "contact": "contacted_on", "meeting": "meeting_on", "poc": "poc_on", "approval": "approved_on",
              "collected": "collected_on"}
# (layer, cadence, owner) per stage count and per step rate, as the team's method sets them (SPEC 6 table)
COUNT_ROLE = {"lead": ("leading", "week", "agency"), "contact": ("leading", "week", "agency"),
              "meeting": ("leading", "week", "inside_sales"), "poc": ("result", "quarter", "field_sales"),
              "approval": ("result", "quarter", "field_sales"), "collected": ("result", "quarter", "consultant")}
RATE_KEY = {"contact": "contact_rate", "meeting": "meeting_rate", "poc": "poc_rate", "approval": "approval_rate",
            "collected": "collection_rate"}
RATE_ROLE = {"contact": ("leading", "week", "agency"), "meeting": ("leading", "week", "inside_sales"),
             "poc": ("leading", "week", "field_sales"), "approval": ("result", "quarter", "field_sales"),
             "collected": ("result", "quarter", "consultant")}


def _funnel_kpis() -> list[KPI]:
    out = []
    for stage in STAGES:
        layer, cadence, owner = COUNT_ROLE[stage]
        later = tuple(STAGE_DATE[s] for s in STAGES[STAGES.index(stage):])
        out.append(KPI(
            f"{stage}_count", "leads", layer, cadence, owner, "count", "up", ("lead_id",) + later, _reached(stage), basis=("lead_id", "created_at")))
    for stage in STAGES[1:]:
        layer, cadence, owner = RATE_ROLE[stage]
        prev = STAGES[STAGES.index(stage) - 1]
        out.append(KPI(
            RATE_KEY[stage], "leads", layer, cadence, owner, "rate", "up", (STAGE_DATE[prev], STAGE_DATE[stage]), _conversion(stage),
            target=lambda t, stage=stage: float(t.step_conversion[stage]),
            basis=(STAGE_DATE[prev], "status"), basis_rows=_reached_rows(prev)))
    out += [
        KPI("overall_rate", "leads", "result", "quarter", "manager", "rate", "up", ("created_at", "collected_on"), _overall,
            target=_overall_target, basis=("created_at", "status")),
        KPI("stalled_count", "leads", "leading", "week", "manager", "count", "down", ("status", "created_at"), _stalled, basis=("status", "next_action_on"), basis_rows=_open_rows),
        KPI("payback_months_median", "leads", "result", "quarter", "consultant", "months", "down", ("payback_months",), _field("leads", "payback_months_median"),
            target=lambda t: float(t.payback_months_max)),
    ]
    return out


def _lead_rate(name: str) -> Callable[[Context], float | None]:
    """A kpi.funnel rate (issue 15: work-style capture, send-backs) of the leads frame."""
    def compute(ctx: Context) -> float | None:
        from . import funnel

        leads = ctx.frames.get("leads")
        result = None if leads is None else getattr(funnel, name)(leads, ctx.as_of)
        return None if result is None else result.value
    return compute


def _new_leads_week(ctx: Context) -> float | None:
    """Leads created in the 7 days up to as_of (as_of − 6 … as_of)."""
    from .funnel import _resolve_as_of

    leads = ctx.frames.get("leads")
    as_of = None if leads is None else _resolve_as_of(leads, ctx.as_of)
    if as_of is None:
        return None
    created = pd.to_datetime(leads["created_at"]).dt.normalize()
    return int(((created > as_of - pd.Timedelta(days=7)) & (created <= as_of)).sum())


def _issue15_kpis() -> list[KPI]:
    """The weekly review's story numbers (issue 15): new leads this week, 働き方KPI capture, 差し戻し率. Their
    targets are kpi.playbook.ReviewSettings (not yet in Targets)."""
    return [
        KPI("new_leads_week", "leads", "leading", "week", "agency", "count", "up", ("created_at",),
            _new_leads_week, target=lambda t: float(t.new_leads_per_week_min), basis=("lead_id", "created_at")),
        KPI("work_style_kpi_rate", "leads", "habit", "day", "inside_sales", "rate", "up", ("meeting_on", "work_style_kpi"), _lead_rate("work_style_kpi_rate"), target=lambda t: t.work_style_kpi_rate,
            basis=("meeting_on", "status"), basis_rows=_reached_rows("meeting")),
        KPI("sent_back_rate", "leads", "leading", "month", "field_sales", "rate", "down", ("poc_on", "sent_back_count"), _lead_rate("sent_back_rate"), target=lambda t: t.sent_back_rate_max,
            basis=("poc_on", "sent_back_count"), basis_rows=_reached_rows("poc")),
    ]


def _other_kpis() -> list[KPI]:
    return [
        # habits (daily, as the habits page: whose number it is)
        KPI("minutes_within_24h_rate", "activities", "habit", "day", "field_sales", "rate", "up",
            ("activity_at", "type", "minutes_sent_at"), _field("activities", "minutes_within_24h_rate"),
            target=lambda t: t.minutes_within_24h_rate, **_habit_basis("minutes_within_24h_rate")),
        KPI("key_person_rate", "leads", "habit", "day", "inside_sales", "rate", "up", ("meeting_on", "key_person"), _habit_rate("key_person_rate"),
            target=lambda t: t.key_person_rate, shared_with=("field_sales",), **_habit_basis("key_person_rate")),
        KPI("review_capture_rate", "leads", "habit", "day", "field_sales", "rate", "up",
            ("segment", "meeting_on", "ethics_review_on", "it_review_on", "purchasing_review_on", "board_on"),
            _habit_rate("review_capture_rate"), target=lambda t: t.review_capture_rate, shared_with=("consultant",),
            **_habit_basis("review_capture_rate")),
        KPI("visits_per_day", "activities", "habit", "day", "field_sales", "ratio", "up", ("activity_at", "rep", "type"),
            _field("activities", "visits_per_day"), target=lambda t: t.visits_per_day_min, **_habit_basis("visits_per_day")),
        KPI("travel_minutes_per_day", "activities", "habit", "day", "field_sales", "minutes", "down",
            ("activity_at", "rep", "type", "travel_minutes"), _field("activities", "travel_minutes_per_day"),
            target=lambda t: t.travel_minutes_per_day_max, **_habit_basis("travel_minutes_per_day")),
        # partner SLA and contact-rate A/B (issue 15 items 5-6: kpi.sla, kpi.abtest)
        KPI("sla_compliance_rate", "leads", "habit", "week", "manager", "rate", "up", ("owner_role", "created_at", "first_response_at"), _sla(None), target=_sla_target,
            basis=("owner", "created_at"), basis_rows=_sla_rows(None)),
        KPI("agency_sla_compliance_rate", "leads", "habit", "week", "agency", "rate", "up", ("owner_role", "created_at", "first_response_at"), _sla("agency"), target=_sla_target,
            basis=("owner", "created_at"), basis_rows=_sla_rows("agency")),
        KPI("partner_sla_compliance_rate", "leads", "habit", "week", "partner", "rate", "up", ("owner_role", "created_at", "first_response_at"), _sla("partner"), target=_sla_target,
            basis=("owner", "created_at"), basis_rows=_sla_rows("partner")),
        KPI("reply_rate", "activities", "leading", "week", "inside_sales", "rate", "up", ("activity_at", "type", "replied_at"), _reply_rate, basis=("activity_at", "type")),
        # clinic (the latest full month)
        KPI("clinic_visits", "visits", "result", "month", "clinic", "count", "up", ("patient_id", "visit_on"), _clinic("visits")),
        KPI("clinic_patients", "visits", "result", "month", "clinic", "count", "up", ("patient_id", "visit_on"), _clinic("patients")),
        KPI("clinic_new_patients", "visits", "leading", "month", "clinic", "count", "up", ("patient_id", "visit_on"), _clinic("new")),
        KPI("visit_frequency", "visits", "leading", "month", "clinic", "ratio", "up", ("patient_id", "visit_on"), _clinic("frequency"),
            target=lambda t: t.frequency_min),
        KPI("second_visit_rate", "visits", "leading", "month", "clinic", "rate", "up", ("patient_id", "visit_on"), _clinic("second_visit_rate"), target=lambda t: t.second_visit_rate_min),
        KPI("cancel_rate", "visits", "habit", "month", "clinic", "rate", "down", ("visit_on", "status"), _clinic("cancel_rate"), target=lambda t: t.cancel_rate_max),
        KPI("price_per_10min", "visits", "result", "month", "clinic", "yen", "up", ("amount_yen", "treatment_minutes"),
            _clinic("price_per_10min"), target=lambda t: t.price_per_10min_min),
        KPI("clinic_revenue", "visits", "result", "month", "clinic", "yen", "up", ("amount_yen",), _clinic("revenue")),
        # clinic, issue 16: the revenue tree (売上 = 患者数 × 来院頻度 × 平均単価), self-pay, the method's guides,
        # machine-only treatments left out, what becomes of new patients
        KPI("clinic_avg_price", "visits", "result", "month", "clinic", "yen", "up", ("amount_yen",), _clinic("avg_price")),
        KPI("self_pay_ratio", "visits", "result", "month", "clinic", "rate", "up", ("amount_yen", "self_pay_yen"), _clinic("self_pay_ratio"),
            target=lambda t: t.self_pay_ratio_min),
        KPI("returning_share", "visits", "leading", "month", "clinic", "rate", "up", ("patient_id", "visit_on"), _clinic_latest("returning_share")),
        KPI("price_per_10min_excl_machine", "visits", "result", "month", "clinic", "yen", "up",
            ("amount_yen", "treatment_minutes"), _clinic_latest("price_per_10min_excl_machine"),
            target=lambda t: t.price_per_10min_min),
        KPI("first_visit_dropout_rate", "visits", "leading", "month", "clinic", "rate", "down", ("patient_id", "visit_on"), _clinic_latest("first_visit_dropout_rate")),
        KPI("new_patient_retention_rate", "visits", "result", "month", "clinic", "rate", "up", ("patient_id", "visit_on"), _clinic_latest("new_patient_retention_rate")),
        # onboarding
        KPI("graduation_rate", "onboarding", "result", "quarter", "cs", "rate", "up", ("customer", "user", "session_no", "status"), _field("onboarding", "graduation_rate")),
        KPI("attendance_rate", "onboarding", "habit", "week", "cs", "rate", "up", ("status",), _field("onboarding", "attendance_rate")),
        KPI("onboarding_dropped", "onboarding", "leading", "week", "cs", "count", "down", ("held_on", "status"), _field("onboarding", "dropped")),
        KPI("nps", "onboarding", "result", "quarter", "cs", "score", "up", ("nps_score",),
            _field("onboarding", "nps"), basis=("nps_score",), basis_rows=lambda f, _a: f[f["nps_score"].notna()] if "nps_score" in f.columns else f),
        KPI("homework_rate", "onboarding", "habit", "week", "cs", "rate", "up", ("status", "session_no", "homework_done"), _onboarding_view("homework_rate"),
            target=lambda t: t.homework_rate_min),
        KPI("onboarding_below_level1", "onboarding", "leading", "week", "cs", "count", "down",
            ("session_no", "status", "same_day_record_rate", "guidance_use_rate"), _onboarding_view("onboarding_below_level1"),
            basis=("same_day_record_rate", "guidance_use_rate"),  # the rates are recorded at sessions 9-11 only
            basis_rows=lambda f, _a: f[f["session_no"].between(9, 11) & f["status"].eq("done")]),
        KPI("nps_latest_programme", "onboarding", "result", "quarter", "cs", "score", "up", ("program", "nps_score"), _onboarding_view("nps_latest_programme"), basis=("nps_score",),
            basis_rows=lambda f, _a: f[f["nps_score"].notna()] if "nps_score" in f.columns else f),
        # CRM adoption (0–100)
        KPI("adoption_overall", "leads", "result", "month", "manager", "score", "up", ("lead_id", "created_at"),
            _field("adoption", "overall"), target=lambda _t: 80.0),
        KPI("adoption_usage", "leads", "habit", "week", "manager", "score", "up", ("owner", "updated_on", "next_action_on"),
            _field("adoption", "usage"), target=lambda _t: 80.0, basis_rows=_open_rows),
        KPI("adoption_data", "leads", "leading", "week", "manager", "score", "up", ("account", "segment", "region", "owner", "updated_on"), _field("adoption", "data"), target=lambda _t: 80.0,
            basis=("account", "owner", "contact")),
        KPI("adoption_outcomes", "leads", "result", "month", "manager", "score", "up", ("first_response_at", "meeting_on", "status"), _field("adoption", "outcomes"), target=lambda _t: 80.0, basis=("status", "first_response_at")),
        # referrals
        KPI("referrals_in", "referrals", "result", "month", "liaison", "count", "up", ("referred_on", "institution", "direction"), _field("referrals", "in")),
        KPI("referrals_out", "referrals", "leading", "month", "liaison", "count", "up", ("referred_on", "institution", "direction"), _field("referrals", "out")),
        KPI("reverse_ratio", "referrals", "leading", "month", "liaison", "ratio", "up", ("direction",), _field("referrals", "reverse_ratio")),
        KPI("referral_rate", "referrals", "result", "month", "liaison", "rate", "up", ("referred_on", "direction"), _liaison_view("referral_rate")),
        KPI("reverse_referral_rate", "referrals", "result", "month", "liaison", "rate", "up", ("referred_on", "direction"), _liaison_view("reverse_referral_rate")),
        KPI("visit_referral_change", "referrals", "leading", "month", "liaison", "ratio", "up", ("referred_on", "institution", "direction"), _liaison_view("visit_referral_change")),
        KPI("institutions_never_referring", "referrals", "leading", "month", "liaison", "count", "down",
            ("institution", "area"), _liaison_view("institutions_never_referring")),
    ]


REGISTRY: tuple[KPI, ...] = tuple(_funnel_kpis() + _issue15_kpis() + _other_kpis())
BY_KEY: dict[str, KPI] = {k.key: k for k in REGISTRY}


# The registry KPIs each page shows as headline tiles (tests/test_registry_pages.py finds every one on its page,
# with its ja and en name). The funnel's are Targets.headline_kpis' defaults (a team can choose others).
PAGE_TILES: dict[str, tuple[str, ...]] = {
    "funnel": ("overall_rate", "meeting_rate", "poc_rate", "approval_rate", "stalled_count", "payback_months_median"),
    "habits": ("minutes_within_24h_rate", "key_person_rate", "review_capture_rate", "visits_per_day", "travel_minutes_per_day",
               "sla_compliance_rate", "agency_sla_compliance_rate", "partner_sla_compliance_rate", "reply_rate"),
    "clinic": ("clinic_visits", "clinic_patients", "clinic_new_patients", "visit_frequency", "second_visit_rate", "cancel_rate",
               "price_per_10min", "clinic_revenue", "clinic_avg_price", "self_pay_ratio", "returning_share",
               "price_per_10min_excl_machine", "first_visit_dropout_rate", "new_patient_retention_rate"),
    "onboarding": ("graduation_rate", "attendance_rate", "onboarding_dropped", "nps", "homework_rate", "onboarding_below_level1",
                   "nps_latest_programme"),
    "adoption": ("adoption_overall", "adoption_usage", "adoption_data", "adoption_outcomes"),
    "weekly": ("overall_rate", "key_person_rate", "work_style_kpi_rate", "review_capture_rate", "sent_back_rate"),
    "referrals": ("referrals_in", "referrals_out", "reverse_ratio", "referral_rate", "reverse_referral_rate", "visit_referral_change",
                  "institutions_never_referring"),
}


def _check(registry: tuple[KPI, ...]) -> None:
    keys = [k.key for k in registry]
    dupes = {k for k in keys if keys.count(k) > 1}
    assert not dupes, f"duplicate KPI keys: {dupes}"
    for k in registry:
        assert k.layer in LAYERS and k.cadence in CADENCES and k.owner_role in OWNER_ROLES and k.unit in UNITS, k.key
        assert k.direction in ("up", "down") and k.label[0] and k.label[1], k.key
    by_key = {k.key for k in registry}
    assert all(key in by_key for keys in PAGE_TILES.values() for key in keys), "PAGE_TILES names a key not in the registry"


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
    lines = ["| key | " + TEXT["registry.readme_ja"][0] + " | English | layer | cadence | owner | unit | better | default target | inputs |",
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
