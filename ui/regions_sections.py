"""The sections of the regions page (app_pages/regions.py), drawing from the page's kpi.regions.RegionsView: the
funnel per region (small multiples and the conversion heatmap), visits and travel per region, and the drill-down
region → account → lead (its tables and the lead's timeline).

The period and the drill-down (region, account, lead) live in ``st.query_params`` so a shared link opens the
same view: read with :func:`url_state` before each widget, written back with :func:`write_url` after them.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import funnel
from kpi.regions import RegionsView
from kpi.targets import STAGES, Targets
from ui.charts import REGION_COLORS
from ui.charts_funnel import conversion_heatmap, funnel_bars, region_bars, timeline
from ui.i18n import label_of, label_series, t
from ui.widgets import data_table, fmt_pct, fmt_yen, missing_column_note, plain, show_chart

P = "regions"
MAIN_REGIONS = ("osaka", "kyoto", "kobe", "nara")
PERIODS = ("fiscal_year", "fiscal_quarter", "last_12_weeks", "all")
NONE = ""


def url_state(name: str, key: str, options: list[str]) -> None:
    """A link opened (or edited) with ?name=value moves the widget; an invalid value is ignored."""
    value = st.query_params.get(name)
    if value is not None and value != st.session_state.get(f"{P}._url.{name}") and value in options:
        st.session_state[key] = value
    if st.session_state.get(key) not in options:
        st.session_state[key] = options[0]


def write_url(**values: str) -> None:
    for name, value in values.items():
        st.session_state[f"{P}._url.{name}"] = value
        if value:
            st.query_params[name] = value
        elif name in st.query_params:
            del st.query_params[name]


def show_table(frame: pd.DataFrame, name: str, key: str, config: dict | None = None) -> None:
    data_table(frame, key=f"{P}.df.{key}", column_config=config, download=name, download_key=f"{P}.dl.{key}")


def region_labels() -> dict[str, str]:
    return {r: label_of("region", r) for r in funnel.REGIONS}


def funnels(view: RegionsView) -> None:
    """Small multiples: the funnel per main region (its bottleneck marked), then the conversion heatmap."""
    by_region, region_label = view.by_region, region_labels()
    stage_names = [label_of("stage", s) for s in STAGES]
    rag_labels = {k: t(f"rag.{k}") for k in ("green", "yellow", "red")} | {"none": t("funnel.chart.no_target")}
    titles = {k: t(f"funnel.chart.{k}") for k in ("reached", "stage", "conversion", "rag", "amount")} | {"step": t(f"{P}.col.step")}
    present = [r for r in MAIN_REGIONS if r in set(by_region["region"])]
    st.subheader(t(f"{P}.funnels"))
    if not present:  # an export without a region column (or none in Kansai): the drill-down below still works
        st.info(t(f"{P}.no_regions"))
        missing_column_note(t(f"{P}.region_column"))
        return
    bars = by_region[by_region["region"].isin(present)].copy()
    bars["stage_label"] = label_series("stage", bars["stage"])
    bars["is_bottleneck"] = [view.necks.get(r) == s for r, s in zip(bars["region"], bars["stage"])]
    bars["label"] = [f"{n:,} · {fmt_pct(c, 0)}" if pd.notna(c) else f"{n:,}" for n, c in zip(bars["reached"], bars["conversion"])]
    bars.loc[bars["is_bottleneck"], "label"] += " ◀"
    bars["region_label"] = bars["region"].map(region_label)
    order = [region_label[r] for r in present]
    show_chart(funnel_bars, bars, stage_names, rag_labels, titles, facet="region_label", facet_order=order, columns=4, width=205, height=200, st_width=None)
    st.caption("◀ " + t("funnel.kpi.bottleneck"))

    cells = by_region[by_region["stage"].ne("lead")].assign(
        step_label=lambda f: label_series("stage", f["stage"]), region_label=lambda f: f["region"].map(region_label))
    all_regions = [region_label[r] for r in funnel.REGIONS if r in set(by_region["region"])]
    show_chart(conversion_heatmap, cells, "region_label", t(f"{P}.region"), stage_names[1:], all_regions, rag_labels,
               titles | {"title": t(f"{P}.conversion")}, st_width="stretch")


def activity(view: RegionsView, targets: Targets) -> None:
    """Visits and travel per day per region, against the guides."""
    st.subheader(t(f"{P}.activity"), help=t(f"{P}.activity_help"))
    act, region_label = view.activity, region_labels()
    if act is None or act.empty:
        st.info(t(f"{P}.no_activities"))
        return
    act = act.assign(region_label=act["region"].map(region_label))
    act_order = [region_label[r] for r in funnel.REGIONS if r in set(act["region"])]
    colors = [REGION_COLORS[r] for r in funnel.REGIONS if r in set(act["region"])]
    left, right = st.columns(2)
    show_chart(region_bars, act, "visits_per_day", act_order, t(f"{P}.visits_per_day", lo=targets.visits_per_day_min, hi=targets.visits_per_day_max),
               t(f"{P}.visits_value"), (targets.visits_per_day_min, targets.visits_per_day_max), colors, where=left, st_width="stretch")
    if act["travel_minutes"].notna().any():
        show_chart(region_bars, act, "travel_minutes_per_day", act_order, t(f"{P}.travel_per_day", max=targets.travel_minutes_per_day_max),
                   t(f"{P}.travel_value"), (None, targets.travel_minutes_per_day_max), colors, fmt=",.0f", where=right, st_width="stretch")
    else:
        with right:
            missing_column_note(t(f"{P}.travel_column"))


def drill_down(leads: pd.DataFrame, activities: pd.DataFrame | None, as_of: pd.Timestamp, period: str, start, end) -> None:
    """Region → account → lead: three selectors kept in the URL, the region's accounts, the account's deals and the
    lead's timeline. Stops the page when the file has no account column."""
    st.divider()
    st.subheader(t(f"{P}.drill"))
    region_label = region_labels()
    regions_present = [r for r in funnel.REGIONS if r in set(leads["region"].dropna())]
    url_state("region", f"{P}.region", regions_present)
    c1, c2, c3 = st.columns(3)
    region = c1.selectbox(t(f"{P}.region"), regions_present, format_func=region_label.get, key=f"{P}.region")
    scope = funnel.leads_in_scope(leads, as_of, "cohort", start, end)
    in_region = scope[scope["region"].eq(region)]
    accounts = funnel.accounts_summary(in_region, as_of)
    if accounts is None:
        missing_column_note(t(f"{P}.account_column"))
        write_url(period=period, region=region, account=NONE, lead=NONE)
        st.stop()
    account_options = [NONE] + accounts["account"].tolist()
    url_state("account", f"{P}.account", account_options)
    account = c2.selectbox(t(f"{P}.account"), account_options, format_func=lambda a: a or t(f"{P}.none"), key=f"{P}.account")
    lead_rows = in_region[in_region["account"].eq(account)] if account else in_region.iloc[0:0]
    lead_options = [NONE] + lead_rows.sort_values("created_at")["lead_id"].tolist()
    url_state("lead", f"{P}.lead", lead_options)
    stage_of = funnel.current_stage(lead_rows, as_of)
    lead = c3.selectbox(t(f"{P}.lead"), lead_options, key=f"{P}.lead",
                        format_func=lambda i: t(f"{P}.none") if not i else f"{i}　{label_of('stage', stage_of[lead_rows['lead_id'].eq(i)].iloc[0])}")
    write_url(period=period, region=region, account=account, lead=lead)

    st.markdown(f"**{t(f'{P}.accounts_title', region=plain(region_label[region]), n=len(accounts))}**")
    shown = accounts.assign(furthest_stage=label_series("stage", accounts["furthest_stage"]))
    shown = shown.rename(columns={c: t(f"{P}.col.{c}") for c in shown.columns})
    show_table(shown, f"accounts_{region}", "accounts", {t(f"{P}.col.amount_yen"): st.column_config.NumberColumn(format="¥%,.0f"),
                                                       t(f"{P}.col.last_date"): st.column_config.DateColumn(format="YYYY/MM/DD")})
    if account:
        deals(account, lead_rows, stage_of)
    if lead:
        lead_timeline(leads, activities, as_of, lead, lead_rows)


def deals(account: str, lead_rows: pd.DataFrame, stage_of: pd.Series) -> None:
    st.markdown(f"**{t(f'{P}.leads_title', account=plain(account))}**")
    cols = [c for c in ("lead_id", "segment", "owner", "status", "created_at", "amount_yen", "lost_reason") if c in lead_rows.columns]
    table = lead_rows[cols].assign(stage=label_series("stage", stage_of, "—"))
    for c in ("segment", "status"):
        if c in table.columns:
            table[c] = label_series(c, table[c])
    show_table(table.rename(columns={c: t(f"funnel.col.{c}") for c in table.columns}), f"deals_{account}", "deals",
               {t("funnel.col.amount_yen"): st.column_config.NumberColumn(format="¥%,.0f"),
                t("funnel.col.created_at"): st.column_config.DatetimeColumn(format="YYYY/MM/DD HH:mm")})


def event_label(kind: str, code: str) -> str:
    if kind == "stage":
        return label_of("stage", code)
    return t(f"{P}.{'review' if kind == 'review' else 'type'}.{code}")


def lead_timeline(leads: pd.DataFrame, activities: pd.DataFrame | None, as_of: pd.Timestamp, lead: str, lead_rows: pd.DataFrame) -> None:
    events = funnel.lead_timeline(leads, lead, activities, as_of)
    st.markdown(f"**{t(f'{P}.timeline_title', lead=plain(lead))}**")
    if events.empty:
        st.info(t(f"{P}.timeline_empty"))
    else:
        events["kind_label"] = events["kind"].map(lambda k: t(f"{P}.kind.{k}"))
        events["event"] = [event_label(k, c) for k, c in zip(events["kind"], events["code"])]
        kinds = [t(f"{P}.kind.{k}") for k in ("stage", "review", "activity") if k in set(events["kind"])]
        show_chart(timeline, events, kinds, "", t(f"{P}.col.date"), st_width="stretch")
        listing = events[["date", "kind_label", "event", "detail", "saved", "minutes"]].rename(columns={
            "date": t(f"{P}.col.date"), "kind_label": t(f"{P}.col.kind"), "event": t(f"{P}.col.event"),
            "detail": t(f"{P}.col.detail"), "saved": t(f"{P}.col.saved"), "minutes": t(f"{P}.col.minutes")})
        show_table(listing, f"timeline_{lead}", "timeline", {t(f"{P}.col.date"): st.column_config.DatetimeColumn(format="YYYY/MM/DD HH:mm")})
    amount = lead_rows.loc[lead_rows["lead_id"].eq(lead), "amount_yen"] if "amount_yen" in lead_rows.columns else None
    if amount is not None and len(amount):
        st.caption(f"{t('funnel.chart.amount')}: {fmt_yen(amount.iloc[0])}")
