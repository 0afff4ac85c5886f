"""Clinic page (院KPI): settings, early warnings, the revenue tree (売上 = 患者数 × 来院頻度 × 平均単価) and the month's
registry tiles with the method's guides, the call list, then tabs — monthly trend, new patients (drop-out and
retention by first-visit month), per staff, retention, bookings. Every number comes from kpi.clinic.clinic_view (one
frozen ClinicView); the sections are drawn by ui/clinic_sections.py."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import clinic
from kpi.targets import Targets
from ui import clinic_sections as sections
from ui.data import cached, require
from ui.i18n import lang, t
from ui.widgets import empty_state

frames = require("visits")
targets: Targets = st.session_state.get("targets", Targets())


@cached(max_entries=16)
def compute(visits: pd.DataFrame, as_of: pd.Timestamp, targets_json: str) -> dict:
    return clinic.page_results(visits, as_of, Targets.from_json(targets_json))


@cached(max_entries=16)
def choices(visits: pd.DataFrame, column: str) -> list:
    """The distinct values of a filter column, sorted (once per file and filter, not on every rerun)."""
    return sorted(visits[column].dropna().unique()) if column in visits.columns else []


@cached(max_entries=16)
def file_as_of(visits: pd.DataFrame) -> pd.Timestamp | None:
    """kpi.clinic.default_as_of of the whole file, once per file."""
    return clinic.default_as_of(visits)


@cached(max_entries=16)
def has_blank(visits: pd.DataFrame, column: str) -> bool:
    """Whether some rows have no value in ``column`` (a clinic filter leaves them out, even with every clinic)."""
    return bool(visits[column].isna().any())


@cached(max_entries=16)
def build_view(visits: pd.DataFrame, as_of: pd.Timestamp, targets_json: str, settings_json: str, language: str) -> clinic.ClinicView | None:
    """kpi.clinic.clinic_view of the filtered rows (page_results from its own cache)."""
    return clinic.clinic_view(visits, as_of, Targets.from_json(targets_json), clinic.ClinicSettings.from_json(settings_json),
                              language, results=compute(visits, as_of, targets_json))


# ---- filters (rows), as_of from the whole file so a filter never moves the date
visits = frames["visits"]
as_of = file_as_of(visits)
st.title(t("clinic.title"))
cols = st.columns(2)
if "clinic" in visits.columns:
    clinics = choices(visits, "clinic")
    chosen = cols[0].multiselect(t("clinic.filter_clinic"), clinics, default=clinics, key="clinic.clinics")
    # all clinics (the default) is the whole file, unless rows without a clinic must go: then no copy of a million rows
    if len(chosen) < len(clinics) or has_blank(visits, "clinic"):
        visits = visits[visits["clinic"].isin(chosen)]
if "staff" in visits.columns:
    everyone = t("clinic.all_staff")
    staff = cols[1].selectbox(t("clinic.filter_staff"), [everyone] + choices(visits, "staff"), key="clinic.staff")
    if staff != everyone:
        visits = visits[visits["staff"] == staff]
if visits.empty or as_of is None:
    empty_state()
    st.stop()
settings = sections.settings_from_widgets()
view = build_view(visits, as_of, targets.to_json(), settings.to_json(), lang())
if view is None:
    empty_state()
    st.stop()

sections.header(view, as_of)
sections.warnings(view)
sections.revenue_tree(view)
sections.month_tiles(view, settings)
sections.call_list(view)
sections.detail_tabs(view, targets, settings, visits, sections.other_badges(visits, as_of, lang()))
