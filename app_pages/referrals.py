"""Referral liaison page (地域連携): who refers to us, whom we refer back, which institutions to visit this week."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import referrals as rf
from kpi.confidence import confidence
from ui.charts_onboarding import monthly_in_out, trend_bars
from ui.data import cached, require
from ui.i18n import lang, t
from ui.widgets import data_table, download_table, pct_column, empty_state, fmt_num, fmt_pct, kpi_tile, show_chart

frames = require("referrals")
activities, visits = frames.get("activities"), frames.get("visits")
df = frames["referrals"]
as_of = rf.default_as_of(df)  # the dataset's latest referral: filters do not move the date

st.title(t("referrals.title"))
st.caption(t("referrals.intro", as_of=f"{as_of:%Y-%m-%d}" if as_of is not None else "—"))
filters = st.columns(2)
choices = {}
for col, (field, key) in zip(filters, (("department", "referrals.department"), ("area", "referrals.area"))):
    if field in df.columns:
        with col:
            choices[field] = st.multiselect(t(f"referrals.filter.{field}"), sorted(df[field].dropna().unique()), key=key, placeholder=t("referrals.filter.all"))
df = rf.filter_referrals(df, choices.get("department"), choices.get("area"))
if df.empty:
    empty_state()
    st.stop()


@cached(max_entries=16)
def computed(frame: pd.DataFrame, acts: pd.DataFrame | None, clinic_visits: pd.DataFrame | None, as_of):
    rates = rf.referral_rates(frame, clinic_visits, as_of) if clinic_visits is not None else None
    return (rf.summary(frame, as_of), rf.priority_list(frame, acts, as_of), rf.institution_table(frame, as_of),
            rf.monthly_by_institution(frame, as_of), rf.trend(frame, as_of), rates)


s, priority, institutions, monthly, trend, rates = computed(df, activities, visits, as_of)
col_names = {c: t(f"referrals.col.{c}") for c in (
    "institution", "department", "area", "in_last3", "in_prior3", "change", "change_rate", "out_last3", "out_prior3", "in_last90",
    "last_visit_on", "days_since_visit", "month", "in", "out", "reverse_ratio", "new_patients", "referral_rate",
    "reverse_referral_rate", "history_incomplete")}

# ---- headline tiles
cols = st.columns(4)
basis = confidence(df, ["referred_on", "institution", "direction"], as_of, lang=lang())
with cols[0]:
    kpi_tile(t("referrals.tile.institutions"), fmt_num(s.institutions), confidence=basis, help=t("referrals.tile.institutions_help"))
with cols[1]:
    kpi_tile(t("referrals.tile.in"), fmt_num(s.in_), confidence=basis, help=t("referrals.tile.in_help"))
    st.caption(t("referrals.tile.last3", n=int(trend["in_last3"].sum())))
with cols[2]:
    kpi_tile(t("referrals.tile.out"), fmt_num(s.out), confidence=basis, help=t("referrals.tile.out_help"))
    st.caption(t("referrals.tile.last3", n=int(trend["out_last3"].sum())))
with cols[3]:
    kpi_tile(t("referrals.tile.ratio"), fmt_num(s.reverse_ratio, 2), confidence=basis, help=t("referrals.tile.ratio_help"))

# ---- visit this week (first: what to do)
st.subheader(t("referrals.visit.title"))
st.caption(t("referrals.visit.caption", share=fmt_pct(rf.FALL_SHARE, 0), min=rf.MIN_FALL, days=rf.VISIT_WINDOW_DAYS))
has_visits = activities is not None and "account" in activities.columns
if not has_visits:
    st.caption("ⓘ " + t("referrals.visit.no_activities", days=rf.VISIT_WINDOW_DAYS))


def reason_text(row) -> str:
    parts = []
    if "fell" in row.reasons:
        parts.append(t("referrals.reason.fell", last=row.in_last3, prior=row.in_prior3, change=int(row.change)))
    if "no_visit" in row.reasons:
        if pd.isna(row.last_visit_on):
            parts.append(t("referrals.reason.never_visited"))
        else:
            parts.append(t("referrals.reason.no_visit", days=rf.VISIT_WINDOW_DAYS, last_visit=t("referrals.reason.days_ago", days=int(row.days_since_visit))))
    return "・".join(parts)


if priority.empty:
    st.success(t("referrals.visit.none"))
else:
    shown = priority.assign(reason=[reason_text(r) for r in priority.itertuples()], last_visit_on=priority["last_visit_on"].dt.date)
    keep = ["institution"] + [c for c in ("department", "area") if c in shown.columns] + ["reason", "in_last3", "in_prior3", "change", "in_last90"]
    keep += ["last_visit_on", "days_since_visit"] if has_visits else []
    names = col_names | {"reason": t("referrals.col.reason")}
    table = shown[keep].rename(columns=names)
    on_screen = ["institution", "reason", "in_prior3", "in_last3", "change"]  # visit dates and areas: in the download
    top = 15
    data_table(table[[names[c] for c in on_screen]].head(top), hide_index=True, width="stretch",
                 column_config={names["reason"]: st.column_config.TextColumn(width="large")})
    if len(table) > top:
        st.caption(t("referrals.visit.more", shown=top, total=len(table)))
    download_table(table, "visit_this_week", key="referrals.dl.visit")

# ---- per-institution monthly in / out
n_top = st.slider(t("referrals.monthly.top_n"), 4, 20, 8, step=4, key="referrals.top_n")
st.subheader(t("referrals.monthly.title", n=n_top))
top_names = institutions["institution"].head(n_top).tolist()
top_monthly = monthly[monthly["institution"].isin(top_names)]
directions = {"in": t("referrals.col.in"), "out": t("referrals.col.out")}
titles = {k: t(f"referrals.col.{k}") for k in ("count", "direction", "institution", "month")} | {"lang": lang()}
show_chart(monthly_in_out, top_monthly, directions, titles, order=top_names, st_width="content")
table = institutions.rename(columns=col_names)
with st.expander(t("referrals.tile.institutions")):
    data_table(table, hide_index=True, width="stretch", column_config={col_names["reverse_ratio"]: st.column_config.NumberColumn(format="%.2f")})
    download_table(table, "institutions", key="referrals.dl.institutions")

# ---- trend ranking: the biggest changes drawn (falling first), every institution in the sortable table below
biggest = rf.biggest_changes(trend)
st.subheader(t("referrals.trend.title", n=len(biggest) or rf.TREND_CHART_MAX))
st.caption(t("referrals.trend.caption"))
if biggest.empty:
    st.caption("ⓘ " + t("referrals.trend.no_change"))
else:
    show_chart(trend_bars, biggest, {k: col_names[k] for k in ("institution", "in_last3", "in_prior3", "change", "change_rate")}, st_width="stretch")
st.caption(t("referrals.trend.table", shown=len(biggest), total=len(trend)))
table = trend.rename(columns=col_names)
data_table(table, hide_index=True, width="stretch", key="referrals.df.trend",
             column_config={col_names["change_rate"]: pct_column()})
download_table(table, "referral_trend", key="referrals.dl.trend")

# ---- 紹介率 / 逆紹介率 per month (needs clinic visits for new patients)
st.subheader(t("referrals.rates.title"))
if rates is None:
    st.caption("ⓘ " + t("referrals.rates.needs_visits"))
else:
    st.caption(t("referrals.rates.caption"))
    shown = rates if rates["history_incomplete"].any() else rates.drop(columns="history_incomplete")
    table = shown.assign(month=shown["month"].dt.strftime("%Y-%m")).rename(columns=col_names)
    pct = pct_column()
    data_table(table, hide_index=True, width="stretch", column_config={col_names["referral_rate"]: pct, col_names["reverse_referral_rate"]: pct})
    impossible = rates[rates["referral_rate"].isna() & (rates["in"] > rates["new_patients"]) & (rates["new_patients"] > 0)]
    if len(impossible):  # 紹介率 would pass 100 %: the two files are not one institution's counts
        months = pd.to_datetime(impossible["month"]).dt.strftime("%Y-%m")
        st.caption("ⓘ " + t("referrals.rates.mismatch", months=("、" if lang() == "ja" else ", ").join(months)))
    download_table(table, "referral_rates", key="referrals.dl.rates")
