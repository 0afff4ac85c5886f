"""Targets page (目標設定): step targets, stall limits and guides in st.session_state["targets"]; JSON save / load;
headline KPIs (at most six). The sections, their checks and callbacks are in ui/targets_sections.py."""
from __future__ import annotations

import dataclasses

import streamlit as st

from kpi.targets import Targets
from ui import targets_sections as sections
from ui.i18n import t

st.title(t("targets.title"))
st.caption(t("targets.intro"))


targets: Targets = st.session_state.get("targets", Targets())

step_conversion = sections.step_targets(targets)
stall_days = sections.stall_limits(targets)
guides = sections.guide_inputs(targets)
headlines = sections.headline_picker(targets)

new = dataclasses.replace(targets, step_conversion={**targets.step_conversion, **step_conversion}, stall_days=stall_days, headline_kpis=headlines, **guides)
if new != targets:
    st.session_state["targets"] = new
    targets = new

sections.file_section(targets)
