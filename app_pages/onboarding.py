"""Onboarding page (オンボーディング): who started and graduated, where users drop, trainers, success and NPS."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import onboarding as ob
from kpi.confidence import confidence
from kpi.targets import Targets
from ui.charts_onboarding import LEVEL_COLORS, NPS_COLORS, progress_heatmap, reach_bars, stacked_share, workload_lines
from ui.data import cached, require
from ui.i18n import lang, t
from ui.widgets import data_table, empty_state, fmt_num, fmt_pct, kpi_tile, missing_column_note, pct_column, show_chart

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
def computed(frame: pd.DataFrame, as_of, targets: Targets):
    return (ob.summary(frame, as_of, targets), ob.progress_grid(frame, as_of), ob.dropped_users(frame, as_of, targets),
            ob.trainer_workload(frame, as_of), ob.success_levels(frame, as_of, targets), ob.nps_scores(frame))


s, grid, dropped, workload, levels, nps = computed(df, as_of, targets)
st.caption(t("onboarding.intro", as_of=f"{as_of:%Y-%m-%d}" if as_of is not None else "—"))

# ---- headline tiles
cols = [c for row in (st.columns(3), st.columns(3)) for c in row]
with cols[0]:
    kpi_tile(t("onboarding.tile.users"), fmt_num(s.users), confidence=confidence(df, ["customer", "user"], as_of, lang=lang()), help=t("onboarding.tile.users_help"))
with cols[1]:
    kpi_tile(t("onboarding.tile.started"), fmt_num(s.started), confidence=confidence(df, ["session_no", "status", "held_on"], as_of, lang=lang()),
             help=t("onboarding.tile.started_help"))
with cols[2]:
    kpi_tile(t("onboarding.tile.graduation"), fmt_pct(s.graduation_rate), confidence=confidence(df, ["session_no", "status", "held_on"], as_of, lang=lang()),
             help=t("onboarding.tile.graduation_help"))
    st.caption(t("onboarding.tile.graduation_delta", graduated=s.graduated, started=s.started))
with cols[3]:
    kpi_tile(t("onboarding.tile.attendance"), fmt_pct(s.attendance_rate), confidence=confidence(df[df["status"].isin(["done", "missed"])], ["status"], as_of, lang=lang()),
             help=t("onboarding.tile.attendance_help"))
    st.caption(t("onboarding.tile.attendance_delta", missed=s.missed_rows))
with cols[4]:
    days = t("onboarding.tile.days_value", days=s.days_to_graduate) if s.days_to_graduate is not None else "n/a"
    kpi_tile(t("onboarding.tile.days"), days, confidence=confidence(df[df["session_no"].isin([1, 12])], ["held_on"], as_of, lang=lang()),
             help=t("onboarding.tile.days_help"))
    if "held_on" not in df.columns:
        missing_column_note("実施日 (held_on)")
with cols[5]:
    kpi_tile(t("onboarding.tile.nps"), fmt_num(s.nps, 1), confidence=confidence(nps, ["nps_score"], as_of, lang=lang()) if nps is not None else None,
             help=t("onboarding.tile.nps_help"))
    if nps is not None:
        st.caption(t("onboarding.tile.nps_delta", n=s.nps_respondents))
    else:
        missing_column_note("NPS (nps_score)")

# ---- progress grid
st.subheader(t("onboarding.grid.title"))
st.caption(t("onboarding.grid.caption"))
states = {k: t(f"onboarding.state.{k}") for k in ob.GRID_STATES}
phases = {p: t(f"onboarding.phase.{p}") for p, _, _ in ob.PHASES}
titles = {k: t(f"onboarding.grid.{k}") for k in ("session", "user", "customer", "state", "phase")}
show_chart(progress_heatmap, grid, states, phases, titles, st_width="content")

# ---- reach by session and stalled users
left, right = st.columns(2)
with left:
    st.subheader(t("onboarding.dropoff.title"))
    reached = pd.DataFrame({"session_no": range(1, 13), "reached": s.reached_by_session})
    reached["share"] = reached["reached"] / s.users if s.users else 0.0
    show_chart(reach_bars, reached, {"session": t("onboarding.grid.session"), "share": t("onboarding.dropoff.share"),
                                     "count": t("onboarding.dropoff.count")}, st_width="stretch")
    st.caption(t("onboarding.dropoff.caption", users=s.users))
with right:
    st.subheader(t("onboarding.stalled.title", days=targets.onboarding_drop_days))
    st.caption(t("onboarding.stalled.caption", days=targets.onboarding_drop_days))
    if dropped is None:
        missing_column_note("実施日 (held_on)")
    elif dropped.empty:
        st.success(t("onboarding.stalled.none"))
    else:
        table = dropped.assign(last_done_on=dropped["last_done_on"].dt.date).rename(columns={c: t(f"onboarding.col.{c}") for c in dropped.columns})
        data_table(table, column_config={t(f"onboarding.col.{c}"): st.column_config.NumberColumn(width="small") for c in ("last_session", "days_since")},
                   download="stalled_users", download_key="onboarding.dl.stalled")

# ---- trainer workload
st.subheader(t("onboarding.workload.title"))
if workload is None:
    missing_column_note("トレーナー (trainer)")
elif workload.empty:
    empty_state()
else:
    st.caption(t("onboarding.workload.caption"))
    wl_titles = {k: t(f"onboarding.col.{k}") for k in ("week", "trainer", "done", "scheduled", "missed")} | {"sessions": t("onboarding.col.sessions")}
    show_chart(workload_lines, workload, wl_titles, st_width="stretch")
    table = workload.assign(week=workload["week"].dt.date).rename(columns={c: t(f"onboarding.col.{c}") for c in workload.columns})
    with st.expander(t("onboarding.workload.title")):
        data_table(table, download="trainer_workload", download_key="onboarding.dl.workload")

# ---- success levels and NPS
left, right = st.columns(2)
with left:
    st.subheader(t("onboarding.success.title"))
    st.caption(t("onboarding.success.caption", sdr=fmt_pct(targets.same_day_record_rate_min, 0), gur=fmt_pct(targets.guidance_use_rate_min, 0)))
    if levels is None:
        missing_column_note("当日記載率 / 指導文利用率 / 運用ステージ")
    elif levels.empty:
        st.info(t("onboarding.success.none"))
    else:
        counts = ob.counts_by_customer(levels, "level", t("onboarding.nps.all"))
        show_chart(stacked_share, counts, "customer", "level", "users", LEVEL_COLORS, {k: t(f"onboarding.level.{k}") for k in LEVEL_COLORS},
                   {"share": t("onboarding.share"), "category": t("onboarding.col.level"), "group": t("onboarding.col.customer"),
                    "count": t("onboarding.nps.users")}, st_width="stretch")
        needs = levels[levels["level"] == "needs_support"].drop(columns="level")
        st.markdown(f"**{t('onboarding.success.needs_title')}**")
        table = needs.rename(columns={c: t(f"onboarding.col.{c}") for c in needs.columns})
        data_table(table, column_config={t(f"onboarding.col.{c}"): pct_column() for c in ("same_day_record_rate", "guidance_use_rate")},
                   download="needs_support", download_key="onboarding.dl.needs")
with right:
    st.subheader(t("onboarding.nps.title"))
    if nps is None:
        missing_column_note("NPS (nps_score)")
    elif nps.empty:
        empty_state()
    else:
        counts = ob.counts_by_customer(nps, "nps_class", t("onboarding.nps.all"))
        labels = {k: t(f"onboarding.nps.{k}") for k in NPS_COLORS}
        short = {k: t(f"onboarding.nps.short.{k}") for k in NPS_COLORS}
        show_chart(stacked_share, counts, "customer", "nps_class", "users", NPS_COLORS, short,
                   {"share": t("onboarding.share"), "category": t("onboarding.nps.group"), "group": t("onboarding.col.customer"),
                    "count": t("onboarding.nps.users")}, st_width="stretch")
        table = pd.DataFrame({t("onboarding.nps.group"): [labels[k] for k in NPS_COLORS],
                              t("onboarding.nps.users"): [s.promoters, s.passives, s.detractors]})
        data_table(table, download="nps", download_key="onboarding.dl.nps")
