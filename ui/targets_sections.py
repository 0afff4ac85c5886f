"""The sections of the targets page (app_pages/targets.py): step conversion targets, stall limits, the guides, the
headline KPIs (six at most) and the JSON save / reset / load, with the checks and callbacks they use. Each input
section returns what its widgets hold; the page combines them into one Targets."""
from __future__ import annotations

import streamlit as st

from kpi.registry import BY_KEY
from kpi.targets import STAGES, Targets
from ui.i18n import lang, t
from ui.widgets import plain

MAX_HEADLINES = 6
HEADLINE_OPTIONS = ("overall", "contact", "meeting", "poc", "approval", "collected", "stalled", "payback", "amount", "days_in_stage")
# headline option (Targets.headline_kpis) -> its registry KPI, as the funnel page's tiles: their names are the
# registry's (商談化率, 稟議通過率 …); amount and days_in_stage are not registry KPIs and keep their own strings.
HEADLINE_REGISTRY_KEY = {"overall": "overall_rate", "contact": "contact_rate", "meeting": "meeting_rate", "poc": "poc_rate",
                         "approval": "approval_rate", "collected": "collection_rate", "stalled": "stalled_count",
                         "payback": "payback_months_median"}
PERCENT_FIELDS = {"minutes_within_24h_rate", "key_person_rate", "review_capture_rate", "cancel_rate_max", "second_visit_rate_min",
                  "same_day_record_rate_min", "guidance_use_rate_min", "win_rate_reference", "work_style_kpi_rate", "sent_back_rate_max",
                  "sla_compliance_target", "self_pay_ratio_min", "homework_rate_min"}
GUIDE_GROUPS = {
    "sales": ("payback_months_max", "minutes_within_24h_rate", "key_person_rate", "review_capture_rate", "visits_per_day_min",
              "visits_per_day_max", "travel_minutes_per_day_max", "work_style_kpi_rate", "new_leads_per_week_min", "sent_back_rate_max"),
    "partner": ("sla_agency_hours", "sla_partner_hours", "sla_compliance_target"),
    "clinic": ("frequency_min", "price_per_10min_min", "cancel_rate_max", "second_visit_rate_min", "self_pay_ratio_min"),
    "cs": ("same_day_record_rate_min", "guidance_use_rate_min", "onboarding_drop_days", "win_rate_reference", "homework_rate_min"),
}
WIDGET_PREFIXES = ("targets.step.", "targets.stall.", "targets.f.", "targets.headline")


def checked(targets: Targets) -> Targets:
    """Reject a loaded file whose values are not numbers in range (from_json keeps types as written)."""
    if not isinstance(targets.business_days, bool):
        raise ValueError(f"business_days: {targets.business_days!r}")
    for name in (f for group in GUIDE_GROUPS.values() for f in group):
        value = getattr(targets, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"{name}: {value!r}")
        if name in PERCENT_FIELDS and value > 1:
            raise ValueError(f"{name}: {value!r} > 1")
    for stage, value in targets.step_conversion.items():
        if not 0 <= value <= 1:
            raise ValueError(f"step_conversion.{stage}: {value!r}")
    if any(v < 0 for v in targets.stall_days.values()):
        raise ValueError("stall_days < 0")
    return targets


def replace_targets(new: Targets) -> None:
    """Store new targets and drop the widgets' own state so they show the new values."""
    st.session_state["targets"] = new
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(WIDGET_PREFIXES)]:
        del st.session_state[key]


def headline_label(option: str) -> str:
    """A headline option as the team names it: the registry's label in the page's language, else the page's string."""
    kpi = BY_KEY.get(HEADLINE_REGISTRY_KEY.get(option, ""))
    return kpi.label[0 if lang() == "ja" else 1] if kpi is not None else t(f"targets.hk.{option}")


def trim_headlines(key: str) -> None:
    picked = st.session_state.get(key, [])
    st.session_state["targets.too_many"] = len(picked) > MAX_HEADLINES
    st.session_state[key] = picked[:MAX_HEADLINES]


def load_upload() -> None:
    """on_change of the uploader: runs before the rerun, so the widgets below are built from the loaded file."""
    upload = st.session_state.get("targets.upload")
    st.session_state.pop("targets.upload_error", None)
    if upload is None:
        return
    try:
        loaded = checked(Targets.from_json(upload.getvalue()))
    except (ValueError, TypeError, AttributeError) as exc:  # JSON and Unicode errors are ValueErrors
        st.session_state["targets.upload_error"] = t("targets.upload_error", name=plain(upload.name), reason=plain(str(exc)[:120]))
        st.session_state.pop("targets.loaded_name", None)
        return
    replace_targets(loaded)
    st.session_state["targets.loaded_name"] = upload.name


def step_targets(targets: Targets) -> dict[str, float]:
    """Step conversion targets (percent inputs), stage -> rate."""
    st.subheader(t("targets.steps_title"))
    st.caption(t("targets.steps_caption"))
    step_conversion = {}
    for col, stage in zip(st.columns(len(STAGES) - 1), STAGES[1:]):
        label = f"{t(f'stage.{STAGES[STAGES.index(stage) - 1]}')} → {t(f'stage.{stage}')}"
        pct = col.number_input(label, 0.0, 100.0, round(targets.step_conversion.get(stage, 0.0) * 100, 1), step=1.0, format="%.1f", key=f"targets.step.{stage}")
        step_conversion[stage] = round(pct / 100, 4)
    return step_conversion


def stall_limits(targets: Targets) -> dict[str, int]:
    st.subheader(t("targets.stall_title"))
    st.caption(t("targets.stall_caption"))
    stall_days = {}
    for col, stage in zip(st.columns(len(targets.stall_days)), targets.stall_days):
        stall_days[stage] = int(col.number_input(t(f"stage.{stage}"), 1, 3650, int(targets.stall_days[stage]), step=1, key=f"targets.stall.{stage}"))
    return stall_days


def guide_inputs(targets: Targets) -> dict[str, float | int]:
    """The guides by group (sales, clinic, CS), field -> value; an error when the visits band is upside down."""
    st.subheader(t("targets.guides_title"))
    guides = {}
    for group, names in GUIDE_GROUPS.items():
        st.markdown(f"**{t(f'targets.group.{group}')}**")
        for col, name in zip(st.columns(4) * 3, names):
            value = getattr(targets, name)
            if name in PERCENT_FIELDS:
                guides[name] = round(col.number_input(t(f"targets.field.{name}"), 0.0, 100.0, round(value * 100, 1), step=1.0, format="%.1f", key=f"targets.f.{name}") / 100, 4)
            elif isinstance(value, int):
                guides[name] = int(col.number_input(t(f"targets.field.{name}"), 0, 3650, value, step=1, key=f"targets.f.{name}"))
            else:
                guides[name] = float(col.number_input(t(f"targets.field.{name}"), 0.0, 1_000_000.0, float(value), step=0.5 if value < 100 else 100.0, key=f"targets.f.{name}"))
    # the calendar: Japanese business days in the 24-hour rule, the partner SLA and the stall limits (SPEC 2: calendar days)
    guides["business_days"] = st.toggle(t("targets.field.business_days"), value=targets.business_days, key="targets.f.business_days",
                                        help=t("targets.field.business_days_help"))
    if guides["visits_per_day_min"] > guides["visits_per_day_max"]:
        st.error(t("targets.visits_range_error"))
    return guides


def headline_picker(targets: Targets) -> tuple[str, ...]:
    """Headline KPIs (six at most)."""
    st.subheader(t("targets.headline_title"))
    headline_key = f"targets.headline.{lang()}"  # the labels are translated: one widget per language
    current = None if headline_key in st.session_state else [k for k in targets.headline_kpis if k in HEADLINE_OPTIONS][:MAX_HEADLINES]
    st.multiselect(t("targets.headline_label"), HEADLINE_OPTIONS, default=current,
                   format_func=headline_label, key=headline_key, on_change=trim_headlines, args=(headline_key,))
    if st.session_state.get("targets.too_many"):
        st.warning(t("targets.headline_too_many"))
    return tuple(st.session_state.get(headline_key, [])[:MAX_HEADLINES])


def file_section(targets: Targets) -> None:
    """Save / reset / load the targets as JSON, and show the current file."""
    st.subheader(t("targets.file_title"))
    c1, c2 = st.columns(2)
    c1.download_button(t("targets.download"), data=targets.to_json().encode("utf-8"), file_name="targets.json", mime="application/json", key="targets.dl", icon=":material/download:")
    c2.button(t("targets.reset"), key="targets.reset", on_click=replace_targets, args=(Targets(),), icon=":material/restart_alt:")
    st.file_uploader(t("targets.upload"), type=["json"], key="targets.upload", on_change=load_upload)
    if st.session_state.get("targets.upload_error"):
        st.error(st.session_state["targets.upload_error"])
    elif st.session_state.get("targets.loaded_name"):
        st.success(t("targets.upload_ok", name=plain(st.session_state["targets.loaded_name"])))
    with st.expander(t("targets.current_title")):
        st.code(targets.to_json(), language="json")
