"""The sections of the onboarding page (app_pages/onboarding.py), each drawing from the page's
kpi.onboarding.OnboardingView: headline tiles, the progress grid, reach and stalled users, trainer workload, users
below success level 1, homework, programme versions, success levels and NPS. Renders only; computes nothing."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import onboarding as ob
from kpi.registry import tile
from kpi.targets import Targets
from ui.charts_onboarding import LEVEL_COLORS, NPS_COLORS, progress_heatmap, reach_bars, stacked_share, workload_lines
from ui.i18n import lang, t
from ui.widgets import data_table, empty_state, fmt_pct, missing_column_note, pct_column, registry_tiles, show_chart

TILE_KEYS = ("graduation_rate", "nps", "nps_latest_programme", "onboarding_dropped", "onboarding_below_level1", "attendance_rate", "homework_rate")


def headline_tiles(view: ob.OnboardingView, targets: Targets, df: pd.DataFrame, as_of) -> None:
    s = view.summary
    registry_tiles([tile(k, view.kpis[k], targets, frames={"onboarding": df}, as_of=as_of, lang=lang()) for k in TILE_KEYS])
    days = t("onboarding.tile.days_value", days=s.days_to_graduate) if s.days_to_graduate is not None else "n/a"
    st.caption(t("onboarding.tiles.line", users=s.users, started=s.started, graduated=s.graduated, days=days, respondents=s.nps_respondents))


def progress_grid(view: ob.OnboardingView) -> None:
    st.subheader(t("onboarding.grid.title"))
    st.caption(t("onboarding.grid.caption"))
    states = {k: t(f"onboarding.state.{k}") for k in ob.GRID_STATES}
    phases = {p: t(f"onboarding.phase.{p}") for p, _, _ in ob.PHASES}
    titles = {k: t(f"onboarding.grid.{k}") for k in ("session", "user", "customer", "state", "phase")}
    show_chart(progress_heatmap, view.grid, states, phases, titles, st_width="content")


def reach_and_stalled(view: ob.OnboardingView, targets: Targets) -> None:
    s, dropped = view.summary, view.dropped
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
            missing_column_note(t("onboarding.column.held_on"))
        elif dropped.empty:
            st.success(t("onboarding.stalled.none"))
        else:
            table = dropped.assign(last_done_on=dropped["last_done_on"].dt.date).rename(columns={c: t(f"onboarding.col.{c}") for c in dropped.columns})
            data_table(table, column_config={t(f"onboarding.col.{c}"): st.column_config.NumberColumn(width="small") for c in ("last_session", "days_since")},
                       download="stalled_users", download_key="onboarding.dl.stalled")


def trainer_workload(view: ob.OnboardingView) -> None:
    workload = view.workload
    st.subheader(t("onboarding.workload.title"))
    if workload is None:
        missing_column_note(t("onboarding.column.trainer"))
    elif workload.empty:
        empty_state()
    else:
        st.caption(t("onboarding.workload.caption"))
        wl_titles = {k: t(f"onboarding.col.{k}") for k in ("week", "trainer", "done", "scheduled", "missed")} | {"sessions": t("onboarding.col.sessions")}
        show_chart(workload_lines, workload, wl_titles, st_width="stretch")
        table = workload.assign(week=workload["week"].dt.date).rename(columns={c: t(f"onboarding.col.{c}") for c in workload.columns})
        with st.expander(t("onboarding.workload.title")):
            data_table(table, download="trainer_workload", download_key="onboarding.dl.workload")


def below_level1(view: ob.OnboardingView, targets: Targets) -> None:
    """Users at sessions 9-11 below success level 1, while they are still in the programme."""
    st.subheader(t("onboarding.below.title"))
    st.caption(t("onboarding.below.caption", sdr=fmt_pct(targets.same_day_record_rate_min, 0), gur=fmt_pct(targets.guidance_use_rate_min, 0)))
    below = view.below_level1
    if below is None:
        missing_column_note(t("onboarding.success.columns"))
    elif below.empty:
        st.success(t("onboarding.below.none"))
    else:
        shown = below.assign(level=below["level"].map(lambda k: t(f"onboarding.level.{k}")))
        data_table(shown.rename(columns={c: t(f"onboarding.col.{c}") for c in shown.columns}),
                   column_config={t(f"onboarding.col.{c}"): pct_column() for c in ("same_day_record_rate", "guidance_use_rate")},
                   download="below_level1", download_key="onboarding.dl.below")


def homework(view: ob.OnboardingView, targets) -> None:
    """Homework by session and by trainer."""
    st.subheader(t("onboarding.homework.title"))
    if view.homework_by_session is None:
        missing_column_note(t("onboarding.homework.column"))
        return
    st.caption(t("onboarding.homework.caption", target=fmt_pct(targets.homework_rate_min, 0)))
    left, right = st.columns(2)
    hw_names = {c: t(f"onboarding.col.{c}") for c in ("session_no", "trainer", "sessions", "homework", "rate")}
    with left:
        data_table(view.homework_by_session.rename(columns=hw_names), column_config={hw_names["rate"]: pct_column()})
    with right:
        if view.homework_by_trainer is None:
            missing_column_note(t("onboarding.col.trainer"))
        else:
            data_table(view.homework_by_trainer.rename(columns=hw_names), column_config={hw_names["rate"]: pct_column()},
                       download="homework_by_trainer", download_key="onboarding.dl.homework")


def programmes(view: ob.OnboardingView) -> None:
    """NPS and graduation per programme version."""
    st.subheader(t("onboarding.programme.title"))
    if view.programmes is None:
        missing_column_note(t("onboarding.programme.column"))
        return
    st.caption(t("onboarding.programme.caption"))
    table = view.programmes.assign(first_session_on=view.programmes["first_session_on"].dt.date)
    data_table(table.rename(columns={c: t(f"onboarding.col.{c}") for c in table.columns}),
               column_config={t("onboarding.col.graduation_rate"): pct_column(), t("onboarding.col.nps"): st.column_config.NumberColumn(format="%.1f")})


def levels_and_nps(view: ob.OnboardingView, targets: Targets) -> None:
    """Success levels (and who needs support) beside the NPS split."""
    s, levels, nps = view.summary, view.levels, view.nps
    left, right = st.columns(2)
    with left:
        st.subheader(t("onboarding.success.title"))
        st.caption(t("onboarding.success.caption", sdr=fmt_pct(targets.same_day_record_rate_min, 0), gur=fmt_pct(targets.guidance_use_rate_min, 0)))
        if levels is None:
            missing_column_note(t("onboarding.success.columns"))
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
            missing_column_note(t("onboarding.column.nps_score"))
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
