"""Habit KPIs page (習慣KPI): filters → kpi.habits.habits_view (one frozen HabitsView) → five headline habits vs their
guides, daily trend, per-rep bars, reps off the guide, committees, regions (ui/habits_sections.py), partner SLA and the
contact-rate A/B (ui/habits_partner.py)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from kpi import habits
from kpi.abtest import AbSettings
from kpi.funnel import default_as_of as leads_default_as_of
from kpi.sla import SlaSettings
from kpi.targets import Targets
from ui import habits_sections as sections
from ui.data import cached, require
from ui.habits_partner import ab_section, holiday_caption, settings_panel, sla_section
from ui.i18n import t

frames = require("activities")
activities, leads = frames["activities"], frames.get("leads")
targets: Targets = st.session_state.get("targets", Targets())


@cached(max_entries=16)
def computed(acts: pd.DataFrame, lds: pd.DataFrame | None, as_of: dt.date, targets_json: str, days: int | None, business_days: bool,
             sla_settings: SlaSettings, ab_settings: AbSettings) -> habits.HabitsView:
    return habits.habits_view(acts, lds, as_of, Targets.from_json(targets_json), days, business_days, sla_settings, ab_settings)


st.title(t("habits.title"))
st.caption(t("habits.intro"))
as_of, regions, days = sections.filters(activities, habits.summary_as_of(activities, leads))
sla_settings, ab_settings = settings_panel(targets)
business = sla_settings.business_days
if regions:
    activities = activities[activities["region"].isin(regions)]
    leads = leads[leads["region"].isin(regions)] if leads is not None else None
view = computed(activities, leads, as_of, targets.to_json(), days, business, sla_settings, ab_settings)
lead_day = "—" if leads is None else str(leads_default_as_of(frames["leads"]).date())
st.caption(t("habits.as_of_caption", date=as_of, act=habits.default_as_of(frames["activities"]).date(), lead=lead_day))
if business:
    holiday_caption(activities["activity_at"].min().date(), as_of)

sections.headline_tiles(view, targets, activities, leads)
sections.trend(view, targets, activities)
sections.rep_bars(view, targets, activities)
sections.off_guide(view, targets)
sections.committees_and_regions(view, targets, leads)
sections.owners()

# ---- partner SLA and the contact-rate A/B (settings above; computed in kpi.sla / kpi.abtest)
shown_frames = {"activities": activities, **({"leads": leads} if leads is not None else {})}
sla_section(view.sla, shown_frames, as_of)
ab_section(view.ab, shown_frames, as_of)
