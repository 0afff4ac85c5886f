"""Regions page (地域別): period → kpi.regions.regions_view (one frozen RegionsView) → Osaka / Kyoto / Kobe / Nara side
by side, then region → account → deal timeline (ui/regions_sections.py).

The period and the drill-down (region, account, lead) live in ``st.query_params`` so a shared link opens the
same view: read at the top, written back after the widgets.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import funnel, regions
from kpi.targets import Targets
from ui import regions_sections as sections
from ui.data import cached, require
from ui.i18n import t

P = sections.P


@cached(max_entries=16)
def compute(leads: pd.DataFrame, activities: pd.DataFrame | None, as_of: pd.Timestamp, targets_json: str, start, end) -> regions.RegionsView:
    return regions.regions_view(leads, activities, as_of, Targets.from_json(targets_json), start, end)


frames = require("leads")
leads, activities = frames["leads"], frames.get("activities")
targets: Targets = st.session_state.get("targets") or Targets()
as_of = funnel.default_as_of(leads)

# ---------------------------------------------------------------- URL → widgets (read at the top)
sections.url_state("period", f"{P}.period", list(sections.PERIODS))
st.title(t(f"{P}.title"))
st.caption(t(f"{P}.intro") + "　" + t("funnel.as_of", date=f"{as_of:%Y/%m/%d}"))
period = st.selectbox(t(f"{P}.period"), sections.PERIODS, format_func=lambda p: t(f"funnel.preset.{p}"), key=f"{P}.period", width=260)
start, end = funnel.period_bounds(period, as_of)
view = compute(leads, activities, as_of, targets.to_json(), start, end)

sections.funnels(view)
sections.activity(view, targets)
sections.drill_down(leads, activities, as_of, period, start, end)  # writes the URL back after its widgets
