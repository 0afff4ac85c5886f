"""The sections of the Habit KPIs page (app_pages/habits.py), each drawing from the page's kpi.habits.HabitsView:
the filters, headline tiles, the daily trend, per-rep bars, reps off the guide, committees and regions, owners.
(The settings panel, the partner SLA and the A/B are in ui/habits_partner.py.) Renders only; computes nothing."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
import streamlit as st

from kpi import habits, registry
from kpi.habits import HabitsView
from kpi.targets import Targets
from ui.chart_png import show_chart_png
from ui.charts_habits import committee_bars, rep_bars_with_guide, trend_with_band
from ui.i18n import label_of, label_series, lang, t  # widget keys with translated labels carry the language (labels change)
from ui.widgets import data_table, fmt_num, fmt_pct, join_list, missing_column_note, pct_column, registry_tile

NEEDS = {"minutes_within_24h_rate": "minutes_sent_at", "key_person_rate": "key_person",
         "review_capture_rate": "ethics_review_on / it_review_on / purchasing_review_on / board_on", "travel_minutes_per_day": "travel_minutes"}


def filters(activities: pd.DataFrame, default: pd.Timestamp) -> tuple[dt.date, list, int]:
    """The date, the regions (none: all) and the trend window."""
    f1, f2, f3 = st.columns([1, 2, 1])
    as_of = f1.date_input(t("app.as_of"), value=default.date(), key="habits.as_of")
    regions = f2.multiselect(t("habits.filter_region"), sorted(activities["region"].dropna().unique()), format_func=lambda r: label_of("region", r), placeholder=t("habits.region_all"), key=f"habits.region.{lang()}")
    days = f3.selectbox(t("habits.trend_window"), [28, 56, 91, 182], index=1, format_func=lambda n: t("habits.days", n=n), key=f"habits.days.{lang()}")
    return as_of, regions, days


def headline_tiles(view: HabitsView, targets: Targets, activities: pd.DataFrame, leads: pd.DataFrame | None) -> None:
    """Registry tiles (the team's names, layer · cadence · owner, 信頼度 from the registry's basis); RAG as kpi.habits
    rates it (visits per day against its 2–3 band)."""
    now, prev = view.now, view.prev
    rows_of = {"activities": activities} | ({"leads": leads} if leads is not None else {})
    for col, key in zip(st.columns(len(habits.HABIT_KPIS)), habits.HABIT_KPIS):
        with col:
            tile = registry.tile(key, now.value(key), targets, prev.value(key), frames=rows_of, as_of=now.as_of, lang=lang())
            registry_tile(replace(tile, rag=now.rags.get(key), missing=()))
            if now.value(key) is None:
                if key in ("key_person_rate", "review_capture_rate") and leads is None:
                    st.caption("ⓘ " + t("habits.needs_leads"))
                elif key in NEEDS:
                    missing_column_note(NEEDS[key])


def trend(view: HabitsView, targets: Targets, activities: pd.DataFrame) -> None:
    """The daily trend with the guide band."""
    now = view.now
    st.subheader(t("habits.trend_title"))
    x = t("habits.axis.date")
    c1, c2, c3 = st.columns(3)
    show_chart_png(trend_with_band, now.daily, "date", "visits_per_rep", targets.visits_per_day_min, targets.visits_per_day_max, t("habits.trend.visits"), x, t("habits.trend.visits"), where=c1, name="habits_trend_visits", key="habits.png.trend_visits")
    if "travel_minutes" in activities.columns:
        show_chart_png(trend_with_band, now.daily, "date", "travel_minutes_per_rep", None, targets.travel_minutes_per_day_max, t("habits.trend.travel"), x, t("habits.trend.travel"), where=c2, name="habits_trend_travel", key="habits.png.trend_travel")
    if "minutes_sent_at" in activities.columns:
        show_chart_png(trend_with_band, now.daily, "date", "minutes_within_24h_rate", targets.minutes_within_24h_rate, None, t("habits.trend.minutes"), x, t("habits.trend.minutes"), percent=True, where=c3, name="habits_trend_minutes", key="habits.png.trend_minutes")


def rep_bars(view: HabitsView, targets: Targets, activities: pd.DataFrame) -> None:
    """Per rep against the guide."""
    st.subheader(t("habits.reps_title"))
    reps = view.now.reps.assign(
        visits_status=lambda d: d["visits_per_day"].between(targets.visits_per_day_min, targets.visits_per_day_max).map({True: "ok", False: "off"}),
        travel_status=lambda d: d["travel_minutes_per_day"].le(targets.travel_minutes_per_day_max).map({True: "ok", False: "off"}),
        minutes_status=lambda d: d["minutes_within_24h_rate"].ge(targets.minutes_within_24h_rate).map({True: "ok", False: "off"}),
    ).rename(columns={"rep": t("habits.col.rep")})
    status = {"ok": t("habits.status.ok"), "off": t("habits.status.off")}
    rep_col = t("habits.col.rep")
    b1, b2, b3 = st.columns(3)
    show_chart_png(rep_bars_with_guide, reps, rep_col, "visits_per_day", "visits_status", status, [targets.visits_per_day_min, targets.visits_per_day_max], t("habits.reps.visits"), t("habits.reps.visits"), where=b1, name="habits_reps_visits", key="habits.png.reps_visits")
    if "travel_minutes" in activities.columns:
        show_chart_png(rep_bars_with_guide, reps, rep_col, "travel_minutes_per_day", "travel_status", status, [targets.travel_minutes_per_day_max], t("habits.reps.travel"), t("habits.reps.travel"), where=b2, name="habits_reps_travel", key="habits.png.reps_travel")
    if "minutes_sent_at" in activities.columns:
        show_chart_png(rep_bars_with_guide, reps, rep_col, "minutes_within_24h_rate", "minutes_status", status, [targets.minutes_within_24h_rate], t("habits.reps.minutes"), t("habits.reps.minutes"), percent=True, where=b3, name="habits_reps_minutes", key="habits.png.reps_minutes")


def off_guide(view: HabitsView, targets: Targets) -> None:
    """Who is outside the guide (a list to act on)."""
    st.subheader(t("habits.off_title"))
    off = view.now.off_guide
    if off.empty:
        st.success(t("habits.off_none"))
        return
    issue_text = {
        "visits_low": lambda r: t("habits.issue.visits_low", v=fmt_num(r.visits_per_day, 1), low=fmt_num(targets.visits_per_day_min, 1)),
        "visits_high": lambda r: t("habits.issue.visits_high", v=fmt_num(r.visits_per_day, 1), high=fmt_num(targets.visits_per_day_max, 1)),
        "travel_high": lambda r: t("habits.issue.travel_high", v=fmt_num(r.travel_minutes_per_day), high=fmt_num(targets.travel_minutes_per_day_max)),
        "minutes_low": lambda r: t("habits.issue.minutes_low", v=fmt_pct(r.minutes_within_24h_rate, 0), target=fmt_pct(targets.minutes_within_24h_rate, 0)),
    }
    # one short sentence per rep (a handful of rows: the loop is over reps, not over data rows)
    issues = [join_list(f(r) for flag, f in issue_text.items() if getattr(r, flag)) for r in off.itertuples()]
    table = pd.DataFrame({
        t("habits.col.rep"): off["rep"], t("habits.col.region"): label_series("region", off["region"]),
        t("habits.col.visits_per_day"): off["visits_per_day"].round(2), t("habits.col.travel_per_day"): off["travel_minutes_per_day"].round(0),
        t("habits.col.minutes_rate"): off["minutes_within_24h_rate"], t("habits.col.issues"): issues,
    })
    data_table(table, column_config={t("habits.col.minutes_rate"): pct_column()}, download="habits_off_guide", download_key="habits.dl.off")


def committees_and_regions(view: HabitsView, targets: Targets, leads: pd.DataFrame | None) -> None:
    """Each committee's capture rate, beside the regions."""
    now = view.now
    left, right = st.columns(2)
    with left:
        st.subheader(registry.BY_KEY["review_capture_rate"].label[0 if lang() == "ja" else 1])
        if now.review is None:
            if leads is None:
                st.caption("ⓘ " + t("habits.needs_leads"))
            else:
                missing_column_note(NEEDS["review_capture_rate"])
        else:
            st.caption(t("habits.committee_caption", num=now.review.total.numerator, den=now.review.total.denominator))
            committees = pd.DataFrame([
                {t("habits.col.committee"): t(f"habits.committee.{c}"), "rate": r.value, t("habits.col.captured"): r.numerator, t("habits.col.leads"): r.denominator}
                for c, r in now.review.committees.items() if r is not None
            ])
            show_chart_png(committee_bars, committees, t("habits.col.committee"), "rate", targets.review_capture_rate, t("habits.committee_title"), t("habits.col.rate"), name="habits_committees", key="habits.png.committees")
            shown_committees = committees.rename(columns={"rate": t("habits.col.rate")})
            data_table(shown_committees, column_config={t("habits.col.rate"): pct_column()}, download="habits_committees", download_key="habits.dl.committees")
    with right:
        st.subheader(t("habits.regions_title"))
        region_table = pd.DataFrame({
            t("weekly.col.region"): label_series("region", now.regions["region"]), t("habits.col.reps"): now.regions["reps"],
            t("habits.col.visits"): now.regions["visits"], t("habits.col.rep_days"): now.regions["rep_days"],
            t("habits.col.visits_per_day"): now.regions["visits_per_day"].round(2), t("habits.col.travel_per_day"): now.regions["travel_minutes_per_day"].round(0),
        })
        data_table(region_table, download="habits_regions", download_key="habits.dl.regions")


def owners() -> None:
    with st.expander(t("habits.owners_title")):
        table = pd.DataFrame({
            t("habits.owners.kpi"): [registry.BY_KEY[k].label[0 if lang() == "ja" else 1] for k in habits.HABIT_KPIS],
            t("habits.owners.roles"): [" / ".join(label_of("owner_role", r) for r in registry.BY_KEY[k].owners) for k in habits.HABIT_KPIS],
            t("habits.owners.why"): [t(f"habits.why.{k}") for k in habits.HABIT_KPIS],
        })
        data_table(table, download="habits_owners", download_key="habits.dl.owners")
