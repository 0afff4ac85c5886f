"""The sections of the clinic page (app_pages/clinic.py), each drawing from the page's kpi.clinic.ClinicView: the
settings expander, early warnings, the revenue tree, the month's registry tiles, the call list and the five tabs."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import clinic
from kpi.clinic import ClinicSettings, ClinicView
from kpi.messages import LAYER_LABELS
from kpi.registry import by_layer
from kpi.targets import Targets
from ui import charts_clinic as cc
from ui.charts import PALETTE
from ui.data import cached
from ui.i18n import lang, t
from ui.widgets import (plain, data_table, download_table, pct_column, fmt_kpi, fmt_pct, fmt_signed, kpi_tile,
                        mask_ids, mask_names, mask_phones, missing_column_note, registry_tile, show_chart)


@cached(max_entries=16)
def other_badges(visits: pd.DataFrame, as_of: pd.Timestamp, language: str) -> dict:
    """The confidence badges of the tiles outside the registry (kpi.clinic.tile_confidence), cached per view."""
    return clinic.tile_confidence(visits, as_of, language)


def settings_from_widgets() -> ClinicSettings:
    """The clinic settings expander (kept in session state by widget keys; folded into Targets later)."""
    base = ClinicSettings()
    with st.expander(t("clinic.settings.title"), icon=":material/tune:"):
        left, mid, right = st.columns(3)
        self_pay = left.number_input(t("clinic.settings.self_pay"), 0.0, 100.0, base.self_pay_ratio_min * 100, 1.0, key="clinic.set.self_pay")
        new_guide = mid.number_input(t("clinic.settings.new_guide"), 0, 10_000, int(base.new_patients_guide), 1, key="clinic.set.new_guide")
        returning = right.number_input(t("clinic.settings.returning_guide"), 0.0, 100.0, base.returning_share_guide * 100, 0.5, key="clinic.set.returning")
        exclude = st.toggle(t("clinic.settings.exclude"), value=base.exclude_machine_only, key="clinic.set.exclude")
        menus = st.text_input(t("clinic.settings.menus"), ", ".join(base.machine_only_menus), key="clinic.set.menus")
        st.caption(t("clinic.settings.note"))
    names = tuple(m.strip() for m in menus.replace("、", ",").split(",") if m.strip())
    return ClinicSettings(self_pay_ratio_min=self_pay / 100, new_patients_guide=float(new_guide), returning_share_guide=returning / 100,
                          machine_only_menus=names, exclude_machine_only=exclude)


def header(view: ClinicView, as_of: pd.Timestamp) -> None:
    if view.month != clinic.latest_full_month(as_of):
        st.caption(t("clinic.no_full_month"))
    st.caption(t("clinic.caption", as_of=f"{as_of:%Y-%m-%d}", month=view.month, as_of_month=f"{as_of:%Y-%m}") + "　" + t("clinic.filter_note"))


def warnings(view: ClinicView) -> None:
    """Early warnings, the whole file's then each clinic's (named)."""
    r = view.results
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


def guide_note(view: ClinicView, key: str) -> str | None:
    """The method's guide as a grey line (never RAG)."""
    guide = view.guides.get(key)
    if guide is None:
        return None
    return t(f"clinic.guide.{guide.direction}", value=fmt_kpi(view.tiles[key].unit, guide.value))


def change_text(change: float | None) -> str:
    return fmt_signed(None if change is None else change * 100, 1, "%") or "n/a"


def machine_note(view: ClinicView, settings: ClinicSettings) -> str:
    if not settings.exclude_machine_only:
        return t("clinic.machine.off")
    if not view.machine_exclusion:
        return t("clinic.machine.inactive")
    how = " + ".join(t(f"clinic.machine.{source}") for source in view.machine_exclusion)
    return t("clinic.machine.active", n=view.machine_only_visits, how=how)


def tile_notes(view: ClinicView, settings: ClinicSettings, key: str) -> str | None:
    cur = view.results["monthly"].set_index("month").loc[view.month]
    parts = [guide_note(view, key)]
    if key == "second_visit_rate" and cur["new_pending"]:
        parts.append(t("clinic.pending_note", n=int(cur["new_pending"])))
    if key == "price_per_10min_excl_machine":
        parts.append(machine_note(view, settings))
    if key in ("first_visit_dropout_rate", "new_patient_retention_rate"):
        cohort = view.outcomes_by_month.set_index("month")
        parts.append(t("clinic.cohort.note", month=view.cohort_month, n=int(cohort.loc[view.cohort_month, "new"]))
                     if view.cohort_month else t("clinic.cohort.none"))
    return "　".join(p for p in parts if p) or None


def revenue_tree(view: ClinicView) -> None:
    """売上 = 患者数 × 来院頻度 × 平均単価: four registry tiles, the identity and the month-on-month changes."""
    tree, month = view.tree, view.month
    st.subheader(t("clinic.tree.title", month=month))
    tree_changes = {"clinic_revenue": tree.revenue, "clinic_patients": tree.patients, "visit_frequency": tree.frequency,
                    "clinic_avg_price": tree.avg_price}
    for col, key in zip(st.columns(4), clinic.TREE_KEYS):
        with col:
            change = tree_changes[key].change
            note = t("clinic.tree.vs_prev", pct=change_text(change)) if change is not None else None
            registry_tile(view.tiles[key], trend_note="　".join(p for p in (note, guide_note(view, key)) if p) or None)
    value = {k: fmt_kpi(view.tiles[k].unit, view.tiles[k].value) for k in clinic.TREE_KEYS}
    st.caption(t("clinic.tree.identity", month=month, revenue=value["clinic_revenue"], patients=value["clinic_patients"],
                 frequency=value["visit_frequency"], avg_price=value["clinic_avg_price"]))
    if tree.previous_month is None:
        st.caption(t("clinic.tree.no_prev"))
    elif tree.revenue.change is not None:  # without amounts the revenue tile itself says which column enables it
        st.caption(t("clinic.tree.changes", prev=tree.previous_month, revenue=change_text(tree.revenue.change),
                     patients=change_text(tree.patients.change), frequency=change_text(tree.frequency.change),
                     avg_price=change_text(tree.avg_price.change),
                     largest=t(f"clinic.factor.{tree.largest_move}") if tree.largest_move else "n/a"))


def month_tiles(view: ClinicView, settings: ClinicSettings) -> None:
    """The month's registry tiles by layer (layer · cadence · owner, definition, target, RAG, 信頼度)."""
    st.subheader(t("clinic.tiles.title", month=view.month))
    side = 0 if lang() == "ja" else 1
    for layer, group in by_layer(tuple(view.tiles[k] for k in clinic.HEADLINE_KEYS)):
        st.markdown(f"**{LAYER_LABELS[layer][side]}**")
        for start in range(0, len(group), 4):
            for col, tile_view in zip(st.columns(4), group[start:start + 4]):
                with col:
                    registry_tile(tile_view, trend_note=tile_notes(view, settings, tile_view.key))
    monthly = view.results["monthly"]
    incomplete = monthly[monthly["history_incomplete"]]
    if len(incomplete):
        st.info(t("clinic.history_note", month=incomplete["month"].iloc[0]), icon=":material/history:")


def call_list(view: ClinicView) -> None:
    """The owner's main action, first after the tiles. Names and phones appear here only, masked with the IDs by the
    sidebar switch (also in this list's download, which is exactly the table shown)."""
    calls = view.results["calls"]
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


def tab_monthly(view: ClinicView, targets: Targets, visits: pd.DataFrame) -> None:
    monthly, m_title, r = view.results["monthly"], t("clinic.month"), view.results
    mix = monthly.assign(undetermined=monthly["new"].where(monthly["history_incomplete"], 0), new=monthly["new"].where(~monthly["history_incomplete"], 0))
    parts = {"carryover": t("clinic.mix.carryover"), "new": t("clinic.mix.new"), "returning": t("clinic.mix.returning")}
    if monthly["history_incomplete"].any():
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


def tab_new(view: ClinicView, targets: Targets, settings: ClinicSettings) -> None:
    monthly = view.results["monthly"]
    cohorts = monthly[~monthly["history_incomplete"]]
    show_chart(cc.second_visit_bars, cohorts, "month", "second_visit_rate", "new_eligible", "new_pending", targets.second_visit_rate_min,
               t("clinic.second.pending"), t("clinic.second.title"), t("clinic.month"), t("clinic.second.axis"), st_width="stretch")
    st.caption(t("clinic.second.caption"))
    st.caption("ⓘ " + t("clinic.calls.at_top"))
    outcomes = view.outcomes_by_month
    if not outcomes.empty:
        rates = {"dropout_rate": t("clinic.col.dropout_rate"), "retention_rate": t("clinic.col.retention_rate")}
        show_chart(cc.cohort_outcome_bars, outcomes, "month", rates, "complete", t("clinic.outcome.pending"), t("clinic.outcome.title"),
                   t("clinic.col.month"), t("clinic.outcome.axis"), st_width="stretch")
        st.caption(t("clinic.outcome.caption", visits=settings.retention_visits))
        shown_outcomes = outcomes.rename(columns={c: t(f"clinic.col.{c}") for c in outcomes.columns})
        data_table(shown_outcomes, hide_index=True, width="stretch", key="clinic.df.outcomes",
                   column_config={t("clinic.col.dropout_rate"): pct_column(), t("clinic.col.retention_rate"): pct_column()})
        download_table(shown_outcomes, "clinic_new_patient_outcomes", key="clinic.dl.outcomes")


def tab_staff(view: ClinicView, targets: Targets, settings: ClinicSettings) -> None:
    staff = view.staff
    if staff.empty:
        st.caption(t("clinic.staff.none"))
        return
    st.subheader(t("clinic.staff.title", first=view.staff_months[0], last=view.staff_months[-1]))
    price_how = machine_note(view, settings) if view.machine_exclusion or not settings.exclude_machine_only else t("clinic.machine.inactive")
    st.caption(t("clinic.staff.caption", machine=price_how))
    shown_staff = staff.rename(columns={c: t(f"clinic.col.{c}") for c in staff.columns})
    data_table(shown_staff, hide_index=True, width="stretch", key="clinic.df.staff",
               column_config={t("clinic.col.cancel_rate"): pct_column(), t("clinic.col.second_visit_rate"): pct_column(),
                              t("clinic.col.price_per_10min"): st.column_config.NumberColumn(format="¥%,.0f")})
    download_table(shown_staff, "clinic_staff", key="clinic.dl.staff")
    show_chart(cc.staff_bars, staff, "staff", "second_visit_rate", t("clinic.staff.chart"), t("clinic.col.second_visit_rate"), ".0%",
               targets.second_visit_rate_min, st_width="stretch")
    by_staff = view.outcomes_by_staff
    if not by_staff.empty:
        st.markdown(f"**{t('clinic.staff.outcomes')}**")
        cols_out = ["staff", "new_complete", "dropped", "retained", "dropout_rate", "retention_rate"]
        shown_out = by_staff[cols_out].rename(columns={c: t(f"clinic.col.{c}") for c in cols_out})
        data_table(shown_out, hide_index=True, width="stretch", key="clinic.df.staff_outcomes",
                   column_config={t("clinic.col.dropout_rate"): pct_column(), t("clinic.col.retention_rate"): pct_column()})
        download_table(shown_out, "clinic_staff_outcomes", key="clinic.dl.staff_outcomes")


def tab_retention(view: ClinicView, badges: dict) -> None:
    r = view.results
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


def tab_backlog(view: ClinicView, badges: dict, visits: pd.DataFrame) -> None:
    r = view.results
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


def detail_tabs(view: ClinicView, targets: Targets, settings: ClinicSettings, visits: pd.DataFrame, badges: dict) -> None:
    """Monthly trend, new patients (drop-out and retention by first-visit month), per staff, retention, bookings."""
    tabs = st.tabs([t("clinic.tab.monthly"), t("clinic.tab.new"), t("clinic.tab.staff"), t("clinic.tab.retention"), t("clinic.tab.backlog")])
    with tabs[0]:
        tab_monthly(view, targets, visits)
    with tabs[1]:
        tab_new(view, targets, settings)
    with tabs[2]:
        tab_staff(view, targets, settings)
    with tabs[3]:
        tab_retention(view, badges)
    with tabs[4]:
        tab_backlog(view, badges, visits)
