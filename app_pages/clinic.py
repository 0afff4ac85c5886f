"""Clinic page (院KPI): early warnings, headline tiles for the last full month, then tabs — monthly trend,
new-patient follow-up, retention, bookings. Every number comes from kpi.clinic."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import clinic
from kpi.confidence import confidence
from kpi.targets import Targets, rag
from ui import charts_clinic as cc
from ui.charts import PALETTE
from ui.data import cached, require
from ui.i18n import lang, t
from ui.widgets import (plain, data_table, download_table, pct_column, empty_state, fmt_delta_pct_points, fmt_num, fmt_pct, is_missing, kpi_tile,
                        mask_ids, mask_names, mask_phones, missing_column_note, show_chart)

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
def month_tiles(visits: pd.DataFrame, as_of: pd.Timestamp, month: str, language: str) -> dict:
    """The confidence badge of each tile: the rows behind each KPI (the month's, all, or the bookings ahead)."""
    month_start = pd.Timestamp(f"{month}-01")  # a date-range test: formatting a million dates cost ~0.5 s per rerun
    in_month = visits[(visits["visit_on"] >= month_start) & (visits["visit_on"] < month_start + pd.offsets.MonthBegin(1))]
    attended = in_month[clinic.is_attended(in_month)]
    first = attended[attended["first_visit"]] if "first_visit" in attended.columns else attended
    grade = lambda frame, columns: confidence(frame, columns, as_of, lang=language)
    return {"visits": grade(attended, ["patient_id", "visit_on"]), "patients": grade(attended, ["patient_id"]),
            "second_visit_rate": grade(first, ["patient_id", "first_visit"]),
            # no status column: the cancel rate is n/a, and an n/a has no confidence to grade
            "cancel_rate": grade(in_month[in_month["status"] != "booked"], ["status"]) if "status" in visits.columns else None,
            "price_per_10min": grade(attended, ["amount_yen", "treatment_minutes"]),
            "churn": grade(visits, ["patient_id", "visit_on"]),
            "backlog": grade(visits[visits["visit_on"].dt.normalize() > as_of], ["booked_on"])}


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
r = compute(visits, as_of, targets.to_json())
monthly: pd.DataFrame = r["monthly"]
month = clinic.latest_full_month(as_of)
if month not in set(monthly["month"]):
    st.caption(t("clinic.no_full_month"))
    month = monthly["month"].iloc[-1]
st.caption(t("clinic.caption", as_of=f"{as_of:%Y-%m-%d}", month=month, as_of_month=f"{as_of:%Y-%m}") + "　" + t("clinic.filter_note"))

# ---- early warnings
fired = [("", w) for w in r["warnings"] if w.triggered]
fired += [(f"{plain(name)}: ", w) for name, ws in r["warnings_by_clinic"].items() for w in ws if w.triggered and w.key != "price_under_guide"]
for where, w in fired:
    n = w.numbers
    if w.key == "thin_backlog":
        st.warning(where + t("clinic.warn.thin_backlog", w1=n["w1"], inc=" / ".join(f"{i:,}" for i in n["increments"]), threshold=n["threshold"]), icon=":material/event_busy:")
    elif w.key == "second_visit_falling":
        st.warning(where + t("clinic.warn.second_visit_falling", month=n["month"], rate=fmt_pct(n["rate"]), mean=fmt_pct(n["mean_3_before"])), icon=":material/trending_down:")
    else:
        st.warning(where + t("clinic.warn.price_under_guide", month=n["month"], price=n["price_per_10min"], guide=n["guide"]), icon=":material/payments:")
if not fired:
    st.success(t("clinic.warn.none"), icon=":material/check_circle:")

# ---- headline tiles: the last full month vs the month before
rows = monthly.set_index("month")
cur = rows.loc[month]
prev = rows.iloc[rows.index.get_loc(month) - 1] if rows.index.get_loc(month) > 0 else None
badges = month_tiles(visits, as_of, month, lang())


def delta(key: str, fmt) -> str | None:
    return None if prev is None or is_missing(prev[key]) or is_missing(cur[key]) else fmt(cur[key] - prev[key])


def pct_delta(key: str) -> str | None:
    return None if prev is None else fmt_delta_pct_points(cur[key], prev[key])


tiles = st.columns(3) + st.columns(3)
with tiles[0]:
    kpi_tile(t("clinic.tile.visits"), fmt_num(cur["visits"]), delta("visits", lambda d: f"{d:+,.0f}"),
             confidence=badges["visits"], help=t("clinic.help.visits", month=month))
with tiles[1]:
    kpi_tile(t("clinic.tile.patients"), fmt_num(cur["patients"]), delta("patients", lambda d: f"{d:+,.0f}"),
             confidence=badges["patients"],
             help=t("clinic.help.patients", month=month, new=cur["new"], carry=cur["carryover"], ret=cur["returning"]))
with tiles[2]:
    kpi_tile(t("clinic.tile.frequency", target=targets.frequency_min), fmt_num(cur["frequency"], 2), delta("frequency", lambda d: f"{d:+.2f}"),
             rag=rag(cur["frequency"], targets.frequency_min), confidence=badges["patients"],
             help=t("clinic.help.frequency", month=month, target=targets.frequency_min))
with tiles[3]:
    pending = t("clinic.pending_suffix", n=int(cur["new_pending"])) if cur["new_pending"] else ""
    kpi_tile(t("clinic.tile.second_visit_rate") + pending, fmt_pct(cur["second_visit_rate"]), pct_delta("second_visit_rate"),
             rag=rag(cur["second_visit_rate"], targets.second_visit_rate_min),
             confidence=badges["second_visit_rate"],
             help=t("clinic.help.second_visit_rate", month=month, eligible=int(cur["new_eligible"]), pending=int(cur["new_pending"])))
with tiles[4]:
    kpi_tile(t("clinic.tile.cancel_rate", target=targets.cancel_rate_max), fmt_pct(cur["cancel_rate"]), pct_delta("cancel_rate"),
             rag=rag(cur["cancel_rate"], targets.cancel_rate_max, higher_is_better=False), delta_color="inverse",
             confidence=badges["cancel_rate"], help=t("clinic.help.cancel_rate", month=month))
    if "status" not in visits.columns:
        missing_column_note(t("clinic.status_column"))
with tiles[5]:
    kpi_tile(t("clinic.tile.price_per_10min", target=targets.price_per_10min_min),
             "n/a" if is_missing(cur["price_per_10min"]) else f"¥{cur['price_per_10min']:,.0f}", delta("price_per_10min", lambda d: f"{d:+,.0f}"),
             rag=rag(cur["price_per_10min"], targets.price_per_10min_min),
             confidence=badges["price_per_10min"], help=t("clinic.help.price_per_10min", month=month))
    for column in ("amount_yen", "treatment_minutes"):
        if column not in visits.columns:
            missing_column_note(column)
incomplete = monthly[monthly["history_incomplete"]]
if len(incomplete):
    st.info(t("clinic.history_note", month=incomplete["month"].iloc[0]), icon=":material/history:")

# ---- the call list: the owner's main action, first after the tiles. Names and phones appear here only, masked
# with the IDs by the sidebar switch (also in this list's download, which is exactly the table shown).
calls = r["calls"]
st.subheader(t("clinic.calls.title", n=len(calls)))
st.caption(t("clinic.calls.caption"))
masks = {"patient_id": mask_ids, "patient_name": mask_names, "phone": mask_phones}
calls = calls.assign(**{c: mask(calls[c]) for c, mask in masks.items() if c in calls.columns}, first_visit_on=calls["first_visit_on"].dt.date)
calls = calls.rename(columns={c: t(f"clinic.col.{c}") for c in calls.columns})
if calls.empty:
    st.success(t("clinic.calls.empty"))
else:
    data_table(calls, hide_index=True, width="stretch", key="clinic.df.calls")
    download_table(calls, "clinic_call_list", key="clinic.dl.calls")

tab_monthly, tab_new, tab_retention, tab_backlog = st.tabs([t("clinic.tab.monthly"), t("clinic.tab.new"), t("clinic.tab.retention"), t("clinic.tab.backlog")])
m_title = t("clinic.month")
with tab_monthly:
    mix = monthly.assign(undetermined=monthly["new"].where(monthly["history_incomplete"], 0), new=monthly["new"].where(~monthly["history_incomplete"], 0))
    parts = {"carryover": t("clinic.mix.carryover"), "new": t("clinic.mix.new"), "returning": t("clinic.mix.returning")}
    if len(incomplete):
        parts["undetermined"] = t("clinic.mix.undetermined")
    colors = {"carryover": PALETTE[0], "new": PALETTE[2], "returning": PALETTE[3], "undetermined": cc.UNDETERMINED_COLOR}
    show_chart(cc.patient_mix_bars, mix, "month", parts, colors, t("clinic.mix.title"), m_title, t("clinic.patients_axis"), st_width="stretch")
    left, right = st.columns(2)
    show_chart(cc.line_with_guide, monthly, "month", "frequency", targets.frequency_min, t("clinic.frequency.title"), m_title, t("clinic.frequency.axis"), ",.1f", where=left, st_width="stretch")
    with right:
        if monthly["price_per_10min"].notna().any():
            show_chart(cc.line_with_guide, monthly, "month", "price_per_10min", targets.price_per_10min_min, t("clinic.price.title"), m_title, t("clinic.price.axis"), ",.0f", st_width="stretch")
        else:
            st.caption(t("clinic.price.title"))
            missing_column_note("treatment_minutes" if "amount_yen" in visits.columns else "amount_yen")
    st.subheader(t("clinic.clinics.title"))
    by_clinic = r["by_clinic"]
    if by_clinic is None or by_clinic["clinic"].nunique() < 2:
        if by_clinic is None:
            missing_column_note("clinic")
        else:
            st.caption(t("clinic.clinics.one"))
    else:
        options = {"visits": (t("clinic.tile.visits"), ",.0f", None), "frequency": (t("clinic.frequency.axis"), ",.1f", targets.frequency_min),
                   "second_visit_rate": (t("clinic.second.axis"), ".0%", targets.second_visit_rate_min),
                   "cancel_rate": (t("clinic.tile.cancel_rate", target=targets.cancel_rate_max), ".0%", targets.cancel_rate_max),
                   "price_per_10min": (t("clinic.price.axis"), ",.0f", targets.price_per_10min_min)}
        metric = st.segmented_control(t("clinic.clinics.metric"), list(options), default="visits", format_func=lambda k: options[k][0], key="clinic.compare")
        label, fmt, guide = options[metric or "visits"]
        show_chart(cc.clinic_bars, by_clinic, "clinic", "month", metric or "visits", label, m_title, label, fmt, guide, st_width="stretch")
    st.subheader(t("clinic.monthly_table"))
    shown = clinic.labelled(monthly.drop(columns=["history_incomplete"]), lang())
    headers = clinic.MONTHLY_HEADERS.get(lang(), clinic.MONTHLY_HEADERS["en"])
    formats = {**{k: "percent" for k in ("second_visit_rate", "cancel_rate", "self_pay_ratio")}, "frequency": "%.2f",
               **{k: "¥%,.0f" for k in ("revenue", "avg_price", "price_per_10min")}}
    data_table(shown, hide_index=True, width="stretch",
               column_config={headers[k]: pct_column() if f == "percent" else st.column_config.NumberColumn(format=f) for k, f in formats.items()})
    download_table(shown, "clinic_monthly", key="clinic.dl.monthly")

with tab_new:
    cohorts = monthly[~monthly["history_incomplete"]]
    show_chart(cc.second_visit_bars, cohorts, "month", "second_visit_rate", "new_eligible", "new_pending", targets.second_visit_rate_min,
               t("clinic.second.pending"), t("clinic.second.title"), m_title, t("clinic.second.axis"), st_width="stretch")
    st.caption(t("clinic.second.caption"))
    st.caption("ⓘ " + t("clinic.calls.at_top"))

with tab_retention:
    cont = r["continuation"].assign(label=lambda f: [t("clinic.continuation.visit", n=n) for n in f["visit_no"]])
    ch = r["churn"]
    left, right = st.columns([3, 1])
    show_chart(cc.continuation_bars, cont, "label", "share", t("clinic.continuation.title"), t("clinic.continuation.axis"), where=left, st_width="stretch")
    left.caption(t("clinic.continuation.caption", n=int(cont["new_patients"].iloc[0])))
    with right:
        kpi_tile(t("clinic.churn.tile"), t("clinic.churn.value", n=ch.churned, rate=fmt_pct(ch.rate)),
                 confidence=badges["churn"],
                 help=t("clinic.churn.help", base=ch.base, days=ch.days, window=ch.days + ch.window_days))
    if not r["cohorts"].empty:
        show_chart(cc.cohort_heatmap, r["cohorts"], "cohort", "months_since", "share", t("clinic.cohort.title"), t("clinic.cohort.x"),
                   t("clinic.cohort.y"), t("clinic.cohort.share"), st_width="stretch")

with tab_backlog:
    b = r["backlog"]
    week_labels = {f"w{w}": t("clinic.backlog.week", w=w) for w in clinic.BACKLOG_WEEKS}
    cols = st.columns(4)
    for i, (key, label) in enumerate(week_labels.items()):
        with cols[i]:
            kpi_tile(label, f"{b[key]:,}", confidence=badges["backlog"], help=t("clinic.backlog.help", w=i + 1))
    if "booked_on" not in visits.columns:
        missing_column_note("booked_on")
    show_chart(cc.backlog_trend_lines, r["trend"], "date", week_labels, t("clinic.backlog.trend"), t("clinic.date"), t("clinic.backlog.axis"), t("clinic.backlog.series"), st_width="stretch")
    if r["net"]["net"].notna().any():
        show_chart(cc.net_bookings_bars, r["net"], "date", "net", t("clinic.net.up"), t("clinic.net.down"), t("clinic.net.title"), t("clinic.date"), t("clinic.net.axis"), st_width="stretch")
    else:
        st.caption(t("clinic.net.title"))
        missing_column_note("booked_on" if "booked_on" not in visits.columns else "cancelled_on")
