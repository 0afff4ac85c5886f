"""CRM adoption score page (CRM定着スコア): three layers and overall, sub-scores, weekly trend, owners, fix lists."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import adoption as kpi
from kpi.targets import Targets
from ui import adoption_sections as sections
from ui.data import cached, require
from ui.i18n import lang, t

frames = require("leads")
leads, activities = frames["leads"], frames.get("activities")
targets: Targets = st.session_state.get("targets", Targets())
default_as_of = kpi.resolve_as_of(leads)

st.title(t("adoption.title"))
as_of = pd.Timestamp(st.date_input(t("adoption.as_of"), value=default_as_of.date() if default_as_of is not None else None,
                                   key="adoption.as_of", help=t("adoption.as_of_help"), width=200) or default_as_of)


@cached(max_entries=16)
def compute(leads: pd.DataFrame, activities: pd.DataFrame | None, as_of: pd.Timestamp, targets_json: str, language: str) -> kpi.AdoptionView:
    return kpi.adoption_view(leads, activities, as_of, Targets.from_json(targets_json), language)


view = compute(leads, activities, as_of, targets.to_json(), lang())
st.caption(t("adoption.intro", as_of=as_of.strftime("%Y-%m-%d")))
if activities is None:
    st.info(t("adoption.no_activities"))


sections.headline_tiles(view)
sections.subscores(view)
sections.trend(view)
sections.owners(view)
sections.fix_lists(view)
