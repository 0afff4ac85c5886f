"""Weekly review page (週次レビュー): the bottleneck, this week vs last, the leads behind it, the 60-minute agenda,
a cause checklist with its habit numbers, and the actions (owner + deadline). With a workspace (or in the demo) the
actions are stored and last week's open ones open the page: done, carried over or dropped (SPEC 5).

Issue 15: the one-line diary and minutes saved beside the numbers (kpi.diary); hospitals vs general B2B (committee
calendar, 働き方KPI記入率, 決算月 flags) and 差し戻し (rate, trend, reasons beside lost reasons) from kpi.funnel; in ④ the
playbook's remedies for the bottleneck and every red KPI (kpi.playbook), one click each to a stored action.

Issue 12: the page reads its inputs (frames, targets, the week, the workspace), asks ``kpi.weekly.weekly_view`` for
one frozen view (cached) and renders it section by section (ui/weekly_sections.py)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from kpi import funnel
from kpi.targets import Targets
from kpi.weekly import WeeklyView, weekly_view
from ui import weekly_sections as sections
from ui.data import cached, require
from ui.i18n import lang, t
from ui.workspace import current_store

frames = require("leads")
leads, activities = frames["leads"], frames.get("activities")
targets: Targets = st.session_state.get("targets", Targets())
actions: list[dict] = st.session_state.setdefault("weekly.actions", [])


@cached(max_entries=16)
def view_of(lds: pd.DataFrame, acts: pd.DataFrame | None, as_of: dt.date, targets_json: str, language: str,
            trend: pd.DataFrame | None) -> WeeklyView:
    return weekly_view(lds, acts, as_of, Targets.from_json(targets_json), language, trend)


st.title(t("weekly.title"))
st.caption(t("weekly.intro"))
as_of = st.date_input(t("app.as_of"), value=funnel.default_as_of(leads).date(), key="weekly.as_of")
as_of_line = st.empty()  # the week's caption, once the view is known (the workspace's message, if any, below it)
store = current_store()  # the workspace (or the demo's, in memory): actions are kept there and carried over
view = view_of(leads, activities, as_of, targets.to_json(), lang(), store.trend_frame() if store is not None else None)
as_of_line.caption(t("weekly.as_of_caption", now=view.review.as_of.date(), prev=view.review.previous_as_of.date()))

if store is not None:
    sections.carried_actions(view, store)
sections.layers(view)
sections.bottleneck(view)
sections.agenda()
sections.compare(view)
sections.leads_behind(view)
sections.story(view)
sections.hospital_b2b(view)
sections.send_backs(view, targets)
chosen_causes = sections.causes(view)
st.subheader(t("weekly.actions_title"))
playbook = sections.playbook_editor()
sections.remedies(view, playbook, store, actions)
sections.action_form(view, store, actions, chosen_causes)
actions_frame = sections.actions_table(view, store, actions)
if store is not None:
    sections.stocktake(view, targets)
sections.downloads(view, frames, as_of, targets, actions_frame, chosen_causes)
