"""Sales funnel page (営業ファネル): filters → kpi.funnel.funnel_view (one frozen FunnelView) → headline tiles, the six
stages, tabs of detail (ui/funnel_sections.py)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import funnel
from kpi.targets import Targets
from ui import funnel_sections as sections
from ui.data import cached, require
from ui.i18n import t
from ui.workspace import current_store

P = "funnel"


@cached(max_entries=16)
def compute(leads: pd.DataFrame, as_of: pd.Timestamp, targets_json: str, mode: str, start, end) -> funnel.FunnelView:
    return funnel.funnel_view(leads, as_of, Targets.from_json(targets_json), mode, start, end)


frames = require("leads")
leads = frames["leads"]
targets: Targets = st.session_state.get("targets") or Targets()
as_of = funnel.default_as_of(leads)

st.title(t(f"{P}.title"))
st.caption(t(f"{P}.intro"))
mode, selected, start, end = sections.filters(leads, as_of)
filtered = funnel.filter_leads(leads, **selected)
view = compute(filtered, as_of, targets.to_json(), mode, start, end)
query = sections.Query(filtered, as_of, targets.to_json(), mode, start, end)

sections.header(view, start, end)
store = current_store()
sections.headline_tiles(view, targets, store)
sections.stages(view, leads)
sections.detail_tabs(view, query, store)
