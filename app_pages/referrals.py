"""Referral liaison page (地域連携): who refers to us, whom we refer back, 紹介率 / 逆紹介率 from the hospital's own
first-visit counts, one institution's record, whether visits brought referrals, and who never referred. Every number
comes from kpi.referrals.liaison_view (one frozen LiaisonView); the sections are drawn by ui/referrals_sections.py."""
from __future__ import annotations

import streamlit as st

from kpi import referrals as rf
from kpi.targets import Targets
from ui import referrals_sections as sections
from ui.data import cached, require
from ui.i18n import t
from ui.widgets import empty_state

frames = require("referrals")
targets: Targets = st.session_state.get("targets", Targets())
activities = frames.get("activities")
df = frames["referrals"]
as_of = rf.default_as_of(df)  # the dataset's latest referral: filters do not move the date


@cached(max_entries=16)
def computed(frame, acts, counts, master, confirmed_items, settings, as_of):
    return rf.liaison_view(frame, acts, counts, master, dict(confirmed_items), as_of=as_of, settings=settings)


st.title(t("referrals.title"))
st.caption(t("referrals.intro", as_of=f"{as_of:%Y-%m-%d}" if as_of is not None else "—"))
df = sections.filters(df)
if df.empty:
    empty_state()
    st.stop()
tiles_box = st.container()  # the tiles above the optional inputs they depend on
basis, counts, master = sections.inputs(df, as_of)
confirmed: dict[str, str] = st.session_state.setdefault("referrals.confirmed", {})
view = computed(df, activities, counts, master, tuple(sorted(confirmed.items())), rf.LiaisonSettings(rate_basis=basis), as_of)

with tiles_box:
    sections.headline_tiles(view, df, targets, as_of)
sections.visit_this_week(view, activities)
sections.rates(view)
sections.record(view, df, activities, as_of)
sections.visit_effect(view)
sections.monthly(view)
sections.trend(view)
sections.master(view, confirmed)
