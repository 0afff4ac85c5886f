"""先週からの動き (Since last week): moves between two leads snapshots, leads stuck across weeks, KPI trends over the
stored weeks, and the workspace's weeks (save this week, forget a week or the whole workspace).

Last week's data is always an explicit choice (SPEC 7): a stored week of the workspace, or a file the user uploads
here as last week's. All numbers come from kpi.moves / kpi.history / kpi.registry; the sections are drawn by
ui/memory_sections.py.
"""
from __future__ import annotations

import streamlit as st

from ui import memory_sections as sections
from ui.data import require
from ui.i18n import t
from ui.workspace import current_store

P = "memory"
st.title(t(f"{P}.title"))
st.caption(t(f"{P}.intro"))
frames = require("leads")
store = current_store()

moves = sections.pick_moves(store, frames["leads"])
if moves is not None:
    sections.moves_section(moves)
if store is None:
    st.divider()
    st.info(t(f"{P}.workspace_off"), icon=":material/history:")
    st.stop()
sections.unmoved_section(store)
sections.trend_section(store)
sections.weeks_section(store)
