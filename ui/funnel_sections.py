"""The sections of the sales funnel page (app_pages/funnel.py), each drawing from the page's kpi.funnel.FunnelView:
the date line, the headline tiles, the six stages and the tabs of detail (with their own cached breakdowns)."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from kpi import funnel, registry
from kpi.funnel import FunnelView
from kpi.registry import BY_KEY, LAYER_LABELS, input_hint
from kpi.targets import STAGES, Targets
from ui.charts import bar_ranked
from ui.charts_funnel import conversion_heatmap, conversion_trend, days_box, funnel_bars, payback_histogram
from ui.data import cached
from ui.i18n import label_of, label_series, lang, t
from ui.widgets import (data_table, empty_state, fmt_kpi, fmt_pct, fmt_yen, kpi_tile, missing_column_note, pct_column,
                        registry_tile, show_chart)
from ui.workspace import cached_trend, cached_unmoved

P = "funnel"
# headline tile -> its registry KPI (kpi/registry.py): the layer, cadence and owner it shows, the history it reads
REGISTRY_KEY = {"overall": "overall_rate", "contact": "contact_rate", "meeting": "meeting_rate", "poc": "poc_rate",
                "approval": "approval_rate", "collected": "collection_rate", "stalled": "stalled_count", "payback": "payback_months_median"}
PRESETS = ("fiscal_year", "fiscal_quarter", "month", "last_12_weeks", "all", "custom")
FILTERS = ("region", "segment", "owner_role", "owner", "source")
ENUMS = ("region", "segment", "owner_role", "status")


@dataclass(frozen=True)
class Query:
    """What the page asked for: the filtered leads, the date, the targets (JSON, a cache key), the mode and period."""
    filtered: pd.DataFrame
    as_of: pd.Timestamp
    targets_json: str
    mode: str
    start: pd.Timestamp | None
    end: pd.Timestamp | None


@cached(max_entries=32)
def funnel_by(leads: pd.DataFrame, by: str, as_of: pd.Timestamp, targets_json: str, mode: str, start, end) -> pd.DataFrame | None:
    """kpi.funnel.funnel_by, cached: a filter change or a tab switch reruns the page, not the breakdown."""
    return funnel.funnel_by(leads, by, as_of, Targets.from_json(targets_json), mode, start, end)


@cached(max_entries=16)
def stage_times(scope: pd.DataFrame, as_of: pd.Timestamp) -> tuple:
    """Days in stage and time to convert (kpi.funnel), cached like the rest of the page's numbers."""
    return funnel.days_in_stage(scope, as_of), funnel.time_in_stage(scope, as_of), funnel.time_to_convert(scope, as_of)


@cached(max_entries=32)
def lost_detail(leads: pd.DataFrame, step: str, scope: pd.DataFrame, as_of: pd.Timestamp, mode: str, start, end) -> tuple:
    """The leads lost at ``step`` and the lost reasons of the scope (kpi.funnel), cached."""
    return funnel.lost_at_step(leads, step, as_of, mode, start, end), funnel.lost_reasons(scope, as_of)


@cached(max_entries=16)
def fiscal_deals(leads: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    return funnel.near_fiscal_end(leads, as_of)


@cached(max_entries=16)
def choices(leads: pd.DataFrame) -> dict[str, list]:
    """The distinct values of each filter column, once per file."""
    return {name: sorted(leads[name].dropna().unique().tolist()) if name in leads.columns else [] for name in FILTERS}


@cached(max_entries=16)
def tile_views(values: dict, scope: pd.DataFrame, as_of: pd.Timestamp, targets_json: str, language: str) -> dict:
    """The headline tiles as registry TileViews (FunnelView.headline_values → kpi.registry.tile): the registry's name,
    layer · cadence · owner, target and RAG, and the 信頼度 of the scope's rows behind each number."""
    targets = Targets.from_json(targets_json)
    return {k: registry.tile(REGISTRY_KEY[k], now, targets, before, frames={"leads": scope}, as_of=as_of.date(), lang=language)
            for k, (now, before) in values.items()}


@cached(max_entries=64)
def labelled(frame: pd.DataFrame, language: str) -> pd.DataFrame:
    """Enum codes → labels, stage codes → stage names, headers → the user's language (for tables shown);
    cached per table and language (a 100,000-row table took ~0.1 s to label on every rerun)."""
    out = frame.copy()
    for c in ENUMS + ("stage", "furthest_stage"):
        if c in out.columns:
            out[c] = label_series("stage" if "stage" in c else c, out[c])
    if "rag" in out.columns:
        out["rag"] = out["rag"].map(lambda v: t(f"rag.{v}") if isinstance(v, str) else None)  # empty: "—" (data_table)
    return out.rename(columns={c: t(f"{P}.col.{c}") for c in out.columns if f"{P}.col.{c}" != t(f"{P}.col.{c}")})


def show_table(frame: pd.DataFrame, name: str, key: str) -> None:
    shown = labelled(frame, lang())
    config = {t(f"{P}.col.{c}"): pct_column() for c in ("conversion", "target", "share") if c in frame.columns}
    config |= {t(f"{P}.col.amount_yen"): st.column_config.NumberColumn(format="¥%,.0f")} if "amount_yen" in frame.columns else {}
    config |= {t(f"{P}.col.{c}"): st.column_config.DateColumn(format="YYYY/MM/DD") for c in frame.columns if str(frame[c].dtype).startswith("datetime")}
    data_table(shown, key=f"{P}.df.{key}", column_config=config, download=name, download_key=f"{P}.dl.{key}")


def stage_names() -> list[str]:
    return [label_of("stage", s) for s in STAGES]


def filters(leads: pd.DataFrame, as_of: pd.Timestamp) -> tuple[str, dict, pd.Timestamp | None, pd.Timestamp | None]:
    """The filter row (mode, period, the filter columns) and the custom dates: (mode, selected, start, end)."""
    cols = st.columns([1.2, 1.5] + [1] * len(FILTERS))  # the period's options are the longer ones ("Fiscal year (Apr–)")
    mode = cols[0].selectbox(t(f"{P}.mode"), ("cohort", "period"), format_func=lambda m: t(f"{P}.mode.{m}"), key=f"{P}.mode", help=t(f"{P}.mode_help"))
    preset = cols[1].selectbox(t(f"{P}.period"), PRESETS, format_func=lambda p: t(f"{P}.preset.{p}"), key=f"{P}.preset")
    selected = {}
    for col, name in zip(cols[2:], FILTERS):
        options = choices(leads)[name]
        fmt = (lambda v, g=name: label_of(g, v)) if name in ENUMS else str
        selected[name] = col.multiselect(t(f"{P}.filter.{name}"), options, format_func=fmt, key=f"{P}.{name}", placeholder=t(f"{P}.filter.all"))
    start = end = None
    if preset == "custom":
        picked = st.date_input(t(f"{P}.dates"), value=(funnel.period_bounds("fiscal_quarter", as_of)[0].date(), as_of.date()), key=f"{P}.dates")
        if isinstance(picked, (tuple, list)) and len(picked) == 2:
            start, end = pd.Timestamp(picked[0]), pd.Timestamp(picked[1])
    else:
        start, end = funnel.period_bounds(preset, as_of)
    return mode, selected, start, end


def header(view: FunnelView, start, end) -> None:
    """The date line (as of, the period and the one compared), the empty state, the data warnings."""
    as_of = view.as_of
    if start is not None and end is not None:
        ps, pe = view.prev_range
        period_text = t(f"{P}.period_range", start=f"{start:%Y/%m/%d}", end=f"{end:%Y/%m/%d}", pstart=f"{ps:%Y/%m/%d}", pend=f"{pe:%Y/%m/%d}") if view.previous is not None \
            else t(f"{P}.period_only", start=f"{start:%Y/%m/%d}", end=f"{end:%Y/%m/%d}")
        st.caption(t("funnel.as_of", date=f"{as_of:%Y/%m/%d}") + "　" + period_text)
    else:
        st.caption(t("funnel.as_of", date=f"{as_of:%Y/%m/%d}") + "　" + t(f"{P}.period_all"))
    if view.scope.empty:
        empty_state()
        st.stop()
    warn = view.warnings
    if warn.skipped or warn.out_of_order:
        st.caption(":material/warning: " + t(f"{P}.warnings", skipped=warn.skipped, disorder=warn.out_of_order))


def headline_tiles(view: FunnelView, targets: Targets, store) -> None:
    """The headline tiles (Targets.headline_kpis) as registry tiles, grouped by the team's layers: 結果 (quarterly)
    first, then what feeds it (手前, 習慣); with a workspace, each with its stored weeks."""
    tiles = [k for k in targets.headline_kpis if k in ("overall", "stalled", "payback", "bottleneck") or k in STAGES[1:]]
    views = tile_views(view.headline_values(), view.scope, view.as_of, targets.to_json(), lang())
    stored = cached_trend(store, [REGISTRY_KEY[k] for k in tiles if k in REGISTRY_KEY]) if store is not None else None

    def stored_weeks(key: str) -> dict:
        """With a workspace: the KPI over its stored weeks (a sparkline) and last week's / four weeks ago's value."""
        kpi = BY_KEY.get(REGISTRY_KEY.get(key, ""))
        if kpi is None or stored is None or kpi.key not in stored.columns or stored[kpi.key].notna().sum() < 2:
            return {}
        series = stored[kpi.key].astype("float64")
        last = fmt_kpi(kpi.unit, series.iloc[-2]) if pd.notna(series.iloc[-2]) else "—"
        four = fmt_kpi(kpi.unit, series.iloc[-5]) if len(series) >= 5 and pd.notna(series.iloc[-5]) else "—"
        return {"trend": series.dropna().tolist(), "trend_note": t(f"{P}.tile_trend", last=last, four=four, n=int(series.notna().sum()))}

    side = 0 if lang() == "ja" else 1
    layer_of = {k: views[k].layer if k in views else "leading" for k in tiles}
    tile_cols = []
    for layer in ("result", "leading", "habit"):
        group = [k for k in tiles if layer_of[k] == layer]
        if not group:
            continue
        st.markdown(f"**{LAYER_LABELS[layer][side]}**　" + t(f"{P}.layer.{layer}"))
        per_row = 3 if len(group) > 4 else max(1, len(group))
        tile_cols += list(zip([c for i in range(0, len(group), per_row) for c in st.columns(per_row if len(group) > 1 else 3)], group))
    for col, key in tile_cols:
        with col:
            if key == "bottleneck":
                kpi_tile(t(f"{P}.kpi.bottleneck"), label_of("stage", view.bottleneck) if view.bottleneck else "—")
            else:
                registry_tile(views[key], **stored_weeks(key))


def stages(view: FunnelView, leads: pd.DataFrame) -> None:
    """The six stages in one row, the bottleneck flagged and explained."""
    row = view.table.set_index("stage")
    neck = view.bottleneck
    for col, (stage, r) in zip(st.columns(len(STAGES)), row.iterrows()):
        with col.container(border=True):
            st.metric(label_of("stage", stage), f"{int(r['reached']):,}", help=t(f"{P}.stage_help", stage=label_of("stage", stage)))
            amount = fmt_yen(r["amount_yen"])
            st.caption(t(f"{P}.stage_caption_lead", amount=amount) if stage == "lead" else t(f"{P}.stage_caption", conv=fmt_pct(r["conversion"]), amount=amount))
            if stage == neck:
                st.markdown(f":red-badge[:material/block: {t(f'{P}.kpi.bottleneck')}]")
    if neck:
        i, names = STAGES.index(neck), stage_names()
        st.warning(t(f"{P}.bottleneck_note", prev=names[i - 1], stage=names[i], conv=fmt_pct(row.loc[neck, "conversion"]),
                     target=fmt_pct(row.loc[neck, "target"], 0), lost=int(row.loc[neck, "lost"])), icon=":material/block:")
    if "amount_yen" not in leads.columns:
        missing_column_note(input_hint("leads", "amount_yen"))


def _rag_labels() -> dict:
    return {k: t(f"rag.{k}") for k in ("green", "yellow", "red")} | {"none": t(f"{P}.chart.no_target")}


def _titles() -> dict:
    return {k: t(f"{P}.chart.{k}") for k in ("reached", "stage", "conversion", "rag", "amount", "step")} | {"step": t(f"{P}.col.step")}


def funnel_frame(tab: pd.DataFrame, neck: str | None) -> pd.DataFrame:
    out = tab.assign(stage_label=label_series("stage", tab["stage"]), is_bottleneck=tab["stage"].eq(neck))
    out["label"] = [f"{r:,} · {fmt_pct(c)}" if pd.notna(c) else f"{r:,}" for r, c in zip(out["reached"], out["conversion"])]
    out.loc[out["is_bottleneck"], "label"] += "  " + t(f"{P}.bottleneck_label")
    return out


def tab_funnel(view: FunnelView, q: Query) -> None:
    if st.toggle(t(f"{P}.split_segment"), key=f"{P}.split"):
        seg = funnel_by(q.filtered, "segment", q.as_of, q.targets_json, q.mode, q.start, q.end)
        seg = pd.concat([funnel_frame(g, funnel.bottleneck(g)) for _, g in seg.groupby("segment")])
        seg["segment_label"] = label_series("segment", seg["segment"])
        order = [label_of("segment", s) for s in ("hospital", "medical", "healthcare", "general", "other")]
        show_chart(funnel_bars, seg, stage_names(), _rag_labels(), _titles(), facet="segment_label", facet_order=order, columns=2, width=330, height=200, st_width=None)
    else:
        show_chart(funnel_bars, funnel_frame(view.table, view.bottleneck), stage_names(), _rag_labels(), _titles() | {"title": t(f"{P}.chart.funnel")}, st_width="stretch")
    show_table(view.table, "funnel", "table")


def tab_lost(view: FunnelView, q: Query) -> None:
    row, neck, names = view.table.set_index("stage"), view.bottleneck, stage_names()
    steps = list(STAGES[1:])
    step = st.selectbox(t(f"{P}.lost_step"), steps, index=steps.index(neck) if neck else 0, key=f"{P}.lost_step",
                        format_func=lambda s: t(f"{P}.lost_step_option", prev=names[STAGES.index(s) - 1], stage=label_of("stage", s), lost=int(row.loc[s, "lost"])))
    lost, reasons = lost_detail(q.filtered, step, view.scope, q.as_of, q.mode, q.start, q.end)
    st.caption(t(f"{P}.lost_leads", prev=names[STAGES.index(step) - 1], stage=label_of("stage", step), n=len(lost)))
    keep = [c for c in ("lead_id", "account", "region", "segment", "owner", "status", "created_at", "lost_reason", "amount_yen", "next_action_on") if c in lost.columns]
    show_table(lost[keep], f"lost_{step}", "lost")
    if reasons is None:
        missing_column_note(input_hint("leads", "lost_reason"))
    elif len(reasons):
        reasons["reason"] = reasons["reason"].fillna(t(f"{P}.unset"))
        show_chart(bar_ranked, reasons, "reason", "leads", t(f"{P}.chart.leads"), t(f"{P}.chart.reason"), st_width="stretch", properties=dict(title=t(f"{P}.chart.lost_reasons")))
        show_table(reasons, "lost_reasons", "reasons")


def tab_stalled(view: FunnelView, store) -> None:
    st.caption(t(f"{P}.stalled_intro"))
    stalled = view.stalled
    if stalled.empty:
        st.success(t(f"{P}.none_stalled"))
    else:
        show_table(stalled.assign(over_days=stalled["days_in_stage"] - stalled["limit_days"]), "stalled", "stalled")
    # beside the date rule: the same deal at the same stage in N consecutive stored weeks (SPEC 5, history only)
    if store is not None:
        unmoved = cached_unmoved(store)
        stuck = unmoved[unmoved["stalled"]] if len(unmoved) else unmoved
        st.markdown(f"**{t(f'{P}.unmoved_title', n=store.settings.stalled_after)}**")
        both = int(stuck["lead_id"].isin(stalled["lead_id"]).sum()) if len(stuck) and len(stalled) else 0
        st.caption(t(f"{P}.unmoved_caption", n=len(stuck), both=both))
        if len(stuck):
            shown = stuck.drop(columns=["stalled"]).assign(stage=lambda f: label_series("stage", f["stage"]),
                                                           region=lambda f: label_series("region", f["region"]), since=lambda f: f["since"].dt.date)
            data_table(shown.head(500).rename(columns={c: t(f"memory.col.{c}") for c in shown.columns}), height=min(320, 38 + 35 * len(shown)))
            if len(shown) > 500:
                st.caption(t("memory.first_rows", n=500, total=len(shown)))
        st.page_link("app_pages/memory.py", label=t(f"{P}.unmoved_link"), icon=":material/history:")


def tab_speed(view: FunnelView) -> None:
    st.caption(t(f"{P}.speed_intro"))
    dis, in_stage, to_convert = stage_times(view.scope, view.as_of)
    left, right = st.columns(2)
    for col, data, title in ((left, in_stage, "days_in_stage"), (right, to_convert, "time_to_convert")):
        if len(data):
            data = data.assign(stage_label=label_series("stage", data["stage"]))
            show_chart(days_box, data, stage_names()[1:], t(f"{P}.chart.{title}"), t(f"{P}.chart.days"), None, where=col, st_width="stretch")
    show_table(dis, "days_in_stage", "speed")


def tab_payback(view: FunnelView) -> None:
    pay = view.payback
    if pay is None:
        missing_column_note(input_hint("leads", "payback_months"))
    elif pay.leads:
        st.caption(t(f"{P}.payback_summary", n=pay.leads, within=pay.within, rate=fmt_pct(pay.within_rate), max=pay.max_months))
        show_chart(payback_histogram, view.scope, pay.max_months, t(f"{P}.chart.payback", max=pay.max_months), t(f"{P}.chart.payback_x"),
                   t(f"{P}.chart.leads"), t("rag.green"), t("rag.red"), st_width="stretch")


def tab_trend(q: Query) -> None:
    grain = st.segmented_control(t(f"{P}.grain"), ("week", "month"), format_func=lambda g: t(f"{P}.grain.{g}"), default="month", key=f"{P}.grain") or "month"
    trend = funnel_by(q.filtered, grain, q.as_of, q.targets_json, "cohort", q.start, q.end)
    trend = trend[trend["stage"].ne("lead") & trend["conversion"].notna()].rename(columns={grain: "period"})
    trend["step_label"] = label_series("stage", trend["stage"])
    show_chart(conversion_trend, trend, t(f"{P}.chart.{grain}"), t(f"{P}.chart.conversion"), stage_names()[1:],
               t(f"{P}.chart.trend", grain=t(f"{P}.grain.{grain}")), "%m/%d" if grain == "week" else "%Y/%m", st_width="stretch")


def tab_breakdown(q: Query) -> None:
    by = st.selectbox(t(f"{P}.breakdown_by"), FILTERS, format_func=lambda b: t(f"{P}.breakdown.{b}"), key=f"{P}.by")
    part = funnel_by(q.filtered, by, q.as_of, q.targets_json, q.mode, q.start, q.end)
    if part is None:
        missing_column_note(by)
        return
    part["group"] = label_series(by, part[by]) if by in ENUMS else part[by].astype(str)
    sizes = part[part["stage"].eq("lead")].set_index("group")["reached"]
    order = [label_of("region", r) for r in funnel.REGIONS] if by == "region" else sizes.sort_values(ascending=False, kind="stable").index.tolist()
    cells = part[part["stage"].ne("lead")].assign(step_label=lambda f: label_series("stage", f["stage"]))
    show_chart(conversion_heatmap, cells, "group", t(f"{P}.breakdown.{by}"), stage_names()[1:], order, _rag_labels(),
               _titles() | {"title": t(f"{P}.breakdown_chart", by=t(f"{P}.breakdown.{by}"))}, st_width="stretch")
    wide = part.pivot_table(index="group", columns="stage", values="reached", sort=False)[list(STAGES)]
    wide.columns = stage_names()
    show_table(wide.reset_index().rename(columns={"group": t(f"{P}.breakdown.{by}")}), f"funnel_by_{by}", "by")


def tab_fiscal(q: Query) -> None:
    as_of = q.as_of
    st.caption(t(f"{P}.fiscal_intro", days=funnel.FISCAL_END_WINDOW_DAYS))
    fq = funnel_by(q.filtered, "fiscal_quarter", as_of, q.targets_json, "cohort", None, None)
    wide = fq.pivot_table(index="fiscal_quarter", columns="stage", values="reached")[list(STAGES)]
    wide.columns = stage_names()
    wide.index = [t(f"{P}.fy_label", year=k[:4], q=k[-1]) for k in wide.index]
    st.markdown(f"**{t(f'{P}.fiscal_table')}**")
    show_table(wide.rename_axis(t(f"{P}.col.period")).reset_index(), "fiscal_quarters", "fy")
    deals = fiscal_deals(q.filtered, as_of)
    end_day, left_days = funnel.fiscal_quarter_end(as_of), int((funnel.fiscal_quarter_end(as_of) - as_of).days)
    st.markdown(f"**{t(f'{P}.fiscal_deals', end=f'{end_day:%Y/%m/%d}', left=left_days)}**")
    if deals.empty:
        st.info(t(f"{P}.fiscal_none"))
    else:
        if deals["near_end"].any():
            st.error(t(f"{P}.fiscal_flag", left=left_days, n=len(deals)), icon=":material/alarm:")
        show_table(deals, "poc_before_approval", "fiscal")


def detail_tabs(view: FunnelView, q: Query, store) -> None:
    """The tabs of detail: funnel chart, lost, stalled, speed, payback, trend, breakdown, fiscal year."""
    tabs = st.tabs([t(f"{P}.tab.{k}") for k in ("funnel", "lost", "stalled", "speed", "payback", "trend", "breakdown", "fiscal")])
    for tab, draw in zip(tabs, (lambda: tab_funnel(view, q), lambda: tab_lost(view, q), lambda: tab_stalled(view, store),
                                lambda: tab_speed(view), lambda: tab_payback(view), lambda: tab_trend(q), lambda: tab_breakdown(q),
                                lambda: tab_fiscal(q))):
        with tab:
            draw()
