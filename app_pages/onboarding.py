"""Onboarding page (オンボーディング): filters → kpi.onboarding.onboarding_view (one frozen OnboardingView) → who started
and graduated, where users drop, trainers, success and NPS (ui/onboarding_sections.py)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import onboarding as ob
from kpi.targets import Targets
from ui import onboarding_sections as sections
from ui.data import cached, require
from ui.i18n import t
from ui.widgets import empty_state

frames = require("onboarding")
targets: Targets = st.session_state.get("targets", Targets())
df = frames["onboarding"]

st.title(t("onboarding.title"))
all_customers = t("onboarding.customer_all")
customer = st.selectbox(t("onboarding.customer_filter"), [all_customers] + sorted(df["customer"].dropna().unique()), key="onboarding.customer")
if customer != all_customers:
    df = df[df["customer"] == customer]
if df.empty:
    empty_state()
    st.stop()
as_of = ob.default_as_of(frames["onboarding"])  # one as_of for every customer: the dataset's latest session


@cached(max_entries=16)
def computed(frame: pd.DataFrame, as_of, targets: Targets) -> ob.OnboardingView:
    return ob.onboarding_view(frame, as_of, targets)


view = computed(df, as_of, targets)
st.caption(t("onboarding.intro", as_of=f"{as_of:%Y-%m-%d}" if as_of is not None else "—"))

sections.headline_tiles(view, targets, df, as_of)
sections.progress_grid(view)
sections.reach_and_stalled(view, targets)
sections.trainer_workload(view)
sections.below_level1(view, targets)
sections.homework(view, targets)
sections.programmes(view)
sections.levels_and_nps(view, targets)
