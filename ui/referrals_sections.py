"""The sections of the referral liaison page (app_pages/referrals.py), each drawing from the page's
kpi.referrals.LiaisonView: the optional inputs, headline tiles, visit this week, 紹介率 / 逆紹介率, one institution's
record, the visit effect, monthly in / out, the trend ranking and the institution master."""
from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from kpi import referrals as rf
from kpi.institutions import read_master
from kpi.referrals import LiaisonView
from kpi.registry import tile
from kpi.targets import Targets
from ui.charts_onboarding import monthly_in_out, trend_bars
from ui.i18n import lang, t
from ui.widgets import data_table, download_table, fmt_pct, pct_column, plain, registry_tiles, show_chart

COLUMNS = ("institution", "department", "area", "in_last3", "in_prior3", "change", "change_rate", "out_last3", "out_prior3", "in_last90",
           "last_visit_on", "days_since_visit", "month", "in", "out", "reverse_ratio", "first_visits", "emergency", "revisits", "referral_rate",
           "reverse_referral_rate", "rep", "visit_on", "in_before", "in_after", "complete", "visits", "incomplete", "type", "note", "activity_at",
           "code9", "address", "name", "master_name", "score")


def col_names() -> dict[str, str]:
    """Column → header in the session's language."""
    return {c: t(f"referrals.col.{c}") for c in COLUMNS}


def filters(df: pd.DataFrame) -> pd.DataFrame:
    """The department / area filters (where the ledger has the column): the rows chosen."""
    choices = {}
    for col, (field, key) in zip(st.columns(2), (("department", "referrals.department"), ("area", "referrals.area"))):
        if field in df.columns:
            with col:
                choices[field] = st.multiselect(t(f"referrals.filter.{field}"), sorted(df[field].dropna().unique()), key=key, placeholder=t("referrals.filter.all"))
    return rf.filter_referrals(df, choices.get("department"), choices.get("area"))


def inputs(df: pd.DataFrame, as_of) -> tuple[str, pd.DataFrame | None, pd.DataFrame | None]:
    """Optional inputs: the 紹介率 definition and the hospital's own counts, the institution master (memory only).
    (basis, counts or None, master or None)."""
    with st.expander(t("referrals.inputs.title"), expanded=False):
        basis_labels = {k: t(f"referrals.basis.{k}") for k in rf.RATE_BASES}  # looked up now, in the session's language
        basis = st.radio(t("referrals.rates.basis"), list(rf.RATE_BASES), format_func=basis_labels.__getitem__, key="referrals.rate_basis", horizontal=True)
        st.caption(t(f"referrals.basis.{basis}.formula"))
        upload = st.file_uploader(t("referrals.counts.upload"), type=["csv"], key="referrals.counts_upload")
        months = rf.monthly_by_institution(df, as_of)["month"].drop_duplicates().sort_values()
        blank = pd.DataFrame({"month": months.dt.strftime("%Y-%m"), "first_visits": None, "emergency": None, "revisits": None}).astype(
            {c: "float64" for c in rf.COUNT_COLUMNS})
        edited = st.data_editor(blank, key="referrals.counts_editor", hide_index=True, disabled=["month"],
                                column_config={c: st.column_config.NumberColumn(t(f"referrals.col.{c}"), min_value=0, step=1) for c in rf.COUNT_COLUMNS}
                                | {"month": st.column_config.TextColumn(t("referrals.col.month"))})
        counts = rf.read_counts(pd.read_csv(io.BytesIO(upload.getvalue()), dtype=str) if upload is not None else edited)
        counts = counts if counts[list(rf.COUNT_COLUMNS)].notna().any().any() else None
        master_file = st.file_uploader(t("referrals.master.upload"), type=["csv"], key="referrals.master_upload")
        st.caption(t("referrals.master.caption"))
    master = None
    if master_file is not None:
        try:
            master = read_master(master_file.getvalue())
        except ValueError:
            st.warning(t("referrals.master.not_utf8"))
    return basis, counts, master


def headline_tiles(view: LiaisonView, df: pd.DataFrame, targets: Targets, as_of) -> None:
    """The registry tiles, the institutions line and, without the hospital's counts, why two rates are empty."""
    keys = ("referrals_in", "referrals_out", "reverse_ratio", "referral_rate", "reverse_referral_rate", "visit_referral_change", "institutions_never_referring")
    registry_tiles([tile(k, view.kpis[k], targets, frames={"referrals": df}, as_of=as_of, lang=lang()) for k in keys])
    st.caption(t("referrals.tile.institutions_line", n=view.summary.institutions, basis=t(f"referrals.basis.{view.rate_basis}")))
    if not view.counts_entered:
        st.caption("ⓘ " + t("referrals.tile.rates_need_counts"))


def reason_text(row) -> str:
    parts = []
    if "fell" in row.reasons:
        parts.append(t("referrals.reason.fell", last=row.in_last3, prior=row.in_prior3, change=int(row.change)))
    if "no_visit" in row.reasons:
        if pd.isna(row.last_visit_on):
            parts.append(t("referrals.reason.never_visited"))
        else:
            parts.append(t("referrals.reason.no_visit", days=rf.VISIT_WINDOW_DAYS, last_visit=t("referrals.reason.days_ago", days=int(row.days_since_visit))))
    return t("referrals.reason.sep").join(parts)


def visit_this_week(view: LiaisonView, activities: pd.DataFrame | None) -> None:
    """First, what to do: the institutions to visit and why (the top on screen, all in the download)."""
    st.subheader(t("referrals.visit.title"))
    st.caption(t("referrals.visit.caption", share=fmt_pct(rf.FALL_SHARE, 0), min=rf.MIN_FALL, days=rf.VISIT_WINDOW_DAYS))
    has_visits = activities is not None and "account" in activities.columns
    if not has_visits:
        st.caption("ⓘ " + t("referrals.visit.no_activities", days=rf.VISIT_WINDOW_DAYS))
    priority = view.priority
    if priority.empty:
        st.success(t("referrals.visit.none"))
        return
    shown = priority.assign(reason=[reason_text(r) for r in priority.itertuples()], last_visit_on=priority["last_visit_on"].dt.date)
    keep = ["institution"] + [c for c in ("department", "area") if c in shown.columns] + ["reason", "in_last3", "in_prior3", "change", "in_last90"]
    keep += ["last_visit_on", "days_since_visit"] if has_visits else []
    names = col_names() | {"reason": t("referrals.col.reason")}
    table = shown[keep].rename(columns=names)
    on_screen = ["institution", "reason", "in_prior3", "in_last3", "change"]  # visit dates and areas: in the download
    top = 15
    data_table(table[[names[c] for c in on_screen]].head(top), column_config={names["reason"]: st.column_config.TextColumn(width="large")})
    if len(table) > top:
        st.caption(t("referrals.visit.more", shown=top, total=len(table)))
    download_table(table, "visit_this_week", key="referrals.dl.visit")


def rates(view: LiaisonView) -> None:
    """紹介率 / 逆紹介率 per month, from the hospital's own counts."""
    basis, names = view.rate_basis, col_names()
    st.subheader(t("referrals.rates.title"))
    st.caption(t("referrals.rates.caption", basis=t(f"referrals.basis.{basis}"), formula=t(f"referrals.basis.{basis}.formula")))
    if not view.counts_entered:
        st.info(t("referrals.rates.no_counts"))
        return
    if view.rate_missing:
        st.caption("ⓘ " + t("referrals.rates.missing", columns=", ".join(t(f"referrals.col.{c}") for c in view.rate_missing)))
    table = view.rates.assign(month=view.rates["month"].dt.strftime("%Y-%m")).rename(columns=names)
    data_table(table, column_config={names["referral_rate"]: pct_column(), names["reverse_referral_rate"]: pct_column()},
               download="referral_rates", download_key="referrals.dl.rates")


def record(view: LiaisonView, df: pd.DataFrame, activities: pd.DataFrame | None, as_of) -> None:
    """One institution's record: its monthly in / out and its contacts."""
    names = col_names()
    st.subheader(t("referrals.record.title"))
    chosen = st.selectbox(t("referrals.record.pick"), view.institutions["institution"].tolist(), key="referrals.record")
    rec = rf.institution_record(df, chosen, activities, as_of)
    st.caption(t("referrals.record.caption", department=plain(rec.department or "—"), area=plain(rec.area or "—"), n_in=rec.total_in, n_out=rec.total_out))
    left, right = st.columns(2)
    with left:
        data_table(rec.monthly.assign(month=rec.monthly["month"].dt.strftime("%Y-%m")).rename(columns=names))
    with right:
        if rec.contacts is None:
            st.caption("ⓘ " + t("referrals.visit.no_activities", days=rf.VISIT_WINDOW_DAYS))
        elif rec.contacts.empty:
            st.caption(t("referrals.record.no_contacts"))
        else:
            data_table(rec.contacts.rename(columns=names))


def visit_effect(view: LiaisonView) -> None:
    """Did visits bring referrals? By institution, by rep, per visit."""
    names = col_names()
    st.subheader(t("referrals.effect.title", days=rf.VISIT_WINDOW_DAYS))
    if view.visit_effect is None:
        st.caption("ⓘ " + t("referrals.visit.no_activities", days=rf.VISIT_WINDOW_DAYS))
        return
    st.caption(t("referrals.effect.caption", days=rf.VISIT_WINDOW_DAYS))
    num = {names[c]: st.column_config.NumberColumn(format="%.1f") for c in ("in_before", "in_after", "change")}
    by_inst, by_rep, per_visit = st.tabs([t("referrals.effect.by_institution"), t("referrals.effect.by_rep"), t("referrals.effect.per_visit")])
    with by_inst:
        data_table(view.effect_by_institution.rename(columns=names), column_config=num, download="visit_effect_institutions", download_key="referrals.dl.effect_inst")
    with by_rep:
        data_table(view.effect_by_rep.rename(columns=names), column_config=num)
    with per_visit:
        data_table(view.visit_effect.assign(visit_on=view.visit_effect["visit_on"].dt.date).rename(columns=names),
                   download="visit_effect", download_key="referrals.dl.effect")


def monthly(view: LiaisonView) -> None:
    """Per-institution monthly in / out of the top institutions, every institution in the expander's table."""
    names = col_names()
    n_top = st.slider(t("referrals.monthly.top_n"), 4, 20, 8, step=4, key="referrals.top_n")
    st.subheader(t("referrals.monthly.title", n=n_top))
    top_names = view.institutions["institution"].head(n_top).tolist()
    top_monthly = view.monthly[view.monthly["institution"].isin(top_names)]
    directions = {"in": t("referrals.col.in"), "out": t("referrals.col.out")}
    titles = {k: t(f"referrals.col.{k}") for k in ("count", "direction", "institution", "month")} | {"lang": lang()}
    show_chart(monthly_in_out, top_monthly, directions, titles, order=top_names, st_width="content")
    with st.expander(t("referrals.tile.institutions")):
        data_table(view.institutions.rename(columns=names), column_config={names["reverse_ratio"]: st.column_config.NumberColumn(format="%.2f")},
                   download="institutions", download_key="referrals.dl.institutions")


def trend(view: LiaisonView) -> None:
    """The biggest changes drawn (falling first), every institution in the sortable table below."""
    names = col_names()
    biggest = rf.biggest_changes(view.trend)
    st.subheader(t("referrals.trend.title", n=len(biggest) or rf.TREND_CHART_MAX))
    st.caption(t("referrals.trend.caption"))
    if biggest.empty:
        st.caption("ⓘ " + t("referrals.trend.no_change"))
    else:
        show_chart(trend_bars, biggest, {k: names[k] for k in ("institution", "in_last3", "in_prior3", "change", "change_rate")}, st_width="stretch")
    st.caption(t("referrals.trend.table", shown=len(biggest), total=len(view.trend)))
    data_table(view.trend.rename(columns=names), key="referrals.df.trend", column_config={names["change_rate"]: pct_column()},
               download="referral_trend", download_key="referrals.dl.trend")


def master(view: LiaisonView, confirmed: dict[str, str]) -> None:
    """Institution master: names to confirm (a confirmation reruns the page), institutions that never referred."""
    names = col_names()
    st.subheader(t("referrals.master.title"))
    if view.matches is None:
        st.caption("ⓘ " + t("referrals.master.none"))
        return
    pending = view.matches[view.matches["code9"].isna() & view.matches["suggestions"].map(len).gt(0)]
    rows = [(r.name, code, name, score) for r in pending.itertuples() for code, name, score in r.suggestions[:1]]
    if rows:
        st.caption(t("referrals.master.confirm"))
        offer = pd.DataFrame(rows, columns=["institution", "code9", "master_name", "score"]).assign(ok=False)
        answer = st.data_editor(offer.rename(columns=names | {"ok": t("referrals.master.ok")}), key="referrals.master.editor", hide_index=True,
                                disabled=[names[c] for c in ("institution", "code9", "master_name", "score")])
        accepted = {r[0]: r[1] for r, ok in zip(rows, answer[t("referrals.master.ok")]) if ok}
        if accepted and any(confirmed.get(k) != v for k, v in accepted.items()):
            st.session_state["referrals.confirmed"] = confirmed | accepted
            st.rerun()
    st.caption(t("referrals.master.matched", exact=int((view.matches["how"] == "exact").sum()), confirmed=int((view.matches["how"] == "confirmed").sum()),
                 total=len(view.matches)))
    st.markdown(f"**{t('referrals.master.never_title', n=len(view.never_referring))}**")
    data_table(view.never_referring.rename(columns=names), download="never_referring", download_key="referrals.dl.never")
