"""Sales funnel page (営業ファネル): filters → kpi.funnel → headline tiles, the six stages, tabs of detail."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import funnel
from kpi.confidence import confidence
from kpi.targets import STAGE_DATE_COLUMNS, STAGES, Targets, rag
from ui.charts import bar_ranked
from ui.charts_funnel import conversion_heatmap, conversion_trend, days_box, funnel_bars, payback_histogram
from kpi.registry import BY_KEY, CADENCE_LABELS, LAYER_LABELS
from ui.data import cached, require
from ui.workspace import cached_trend, cached_unmoved, current_store
from ui.i18n import label_of, label_series, lang, t
from ui.widgets import (fmt_kpi, data_table, empty_state, fmt_delta_pct_points, fmt_pct, fmt_signed, fmt_yen, kpi_tile,
                        missing_column_note, pct_column, show_chart)

P = "funnel"
# headline tile -> its registry KPI (kpi/registry.py): the layer, cadence and owner it shows, the history it reads
REGISTRY_KEY = {"overall": "overall_rate", "contact": "contact_rate", "meeting": "meeting_rate", "poc": "poc_rate",
                "approval": "approval_rate", "collected": "collection_rate", "stalled": "stalled_count", "payback": "payback_months_median"}
funnel_roles = ("agency", "inside_sales", "field_sales", "consultant", "partner")
PRESETS = ("fiscal_year", "fiscal_quarter", "month", "last_12_weeks", "all", "custom")
FILTERS = ("region", "segment", "owner_role", "owner", "source")
ENUMS = ("region", "segment", "owner_role", "status")


@cached(max_entries=16)
def compute(leads: pd.DataFrame, as_of: pd.Timestamp, targets_json: str, mode: str, start, end) -> dict:
    targets = Targets.from_json(targets_json)
    table = funnel.funnel_table(leads, as_of, targets, mode, start, end)
    scope = funnel.leads_in_scope(leads, as_of, mode, start, end)
    out = {"table": table, "scope": scope, "bottleneck": funnel.bottleneck(table), "previous": None, "prev_scope": None,
           "stalled": funnel.stalled_leads(scope if mode == "cohort" else leads, as_of, targets),
           "payback": funnel.payback(scope, targets, as_of), "warnings": funnel.data_warnings(scope, as_of)}
    if start is not None and end is not None:
        length = end - start + pd.Timedelta(days=1)
        p_start, p_end = out["prev_range"] = funnel.previous_period(start, end)
        prev_scope = funnel.leads_in_scope(leads, as_of - length, mode, p_start, p_end)
        if len(prev_scope):  # no comparison against a period without data (it would show +100%)
            out |= {"previous": funnel.previous_table(leads, as_of, targets, mode, start, end), "prev_scope": prev_scope,
                    "prev_stalled": funnel.stalled_leads(prev_scope if mode == "cohort" else leads, as_of - length, targets),
                    "prev_payback": funnel.payback(prev_scope, targets, as_of - length)}
    return out


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
def tile_badges(scope: pd.DataFrame, as_of: pd.Timestamp, language: str) -> dict:
    """The confidence badge of each headline tile. Confidence reads the columns every row of the denominator
    must have (a later stage's empty date is an outcome, not a gap), plus the freshness of updated_on."""
    date_cols = list(STAGE_DATE_COLUMNS.values())
    grade = lambda frame, columns: confidence(frame, columns, as_of, updated_column="updated_on", lang=language)
    reached = funnel.reached_flags(scope, as_of)
    out = {"overall": grade(scope, ["created_at", "status"]), "payback": grade(scope, ["payback_months"]),
           "stalled": grade(scope[scope["status"].eq("open")], ["status", "next_action_on"])}
    out |= {STAGES[i]: grade(scope[reached[STAGES[i - 1]]], [date_cols[i - 1], "status"]) for i in range(1, len(STAGES))}
    return out


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


frames = require("leads")
leads = frames["leads"]
targets: Targets = st.session_state.get("targets") or Targets()
as_of = funnel.default_as_of(leads)
stage_names = [label_of("stage", s) for s in STAGES]

st.title(t(f"{P}.title"))
st.caption(t(f"{P}.intro"))

# ---------------------------------------------------------------- filters (one row)
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

filtered = funnel.filter_leads(leads, **selected)
res = compute(filtered, as_of, targets.to_json(), mode, start, end)
table, scope, prev = res["table"], res["scope"], res["previous"]
if start is not None and end is not None:
    ps, pe = res["prev_range"]
    period_text = t(f"{P}.period_range", start=f"{start:%Y/%m/%d}", end=f"{end:%Y/%m/%d}", pstart=f"{ps:%Y/%m/%d}", pend=f"{pe:%Y/%m/%d}") if prev is not None \
        else t(f"{P}.period_only", start=f"{start:%Y/%m/%d}", end=f"{end:%Y/%m/%d}")
    st.caption(t("funnel.as_of", date=f"{as_of:%Y/%m/%d}") + "　" + period_text)
else:
    st.caption(t("funnel.as_of", date=f"{as_of:%Y/%m/%d}") + "　" + t(f"{P}.period_all"))
if scope.empty:
    empty_state()
    st.stop()
warn = res["warnings"]
if warn.skipped or warn.out_of_order:
    st.caption(":material/warning: " + t(f"{P}.warnings", skipped=warn.skipped, disorder=warn.out_of_order))

# ---------------------------------------------------------------- headline tiles (Targets.headline_kpis)
row = table.set_index("stage")
prow = prev.set_index("stage") if prev is not None else None
badges = tile_badges(scope, as_of, lang())
tiles = [k for k in targets.headline_kpis if k in ("overall", "stalled", "payback", "bottleneck") or k in STAGES[1:]]
store = current_store()
stored = cached_trend(store, [REGISTRY_KEY[k] for k in tiles if k in REGISTRY_KEY]) if store is not None else None
side = 0 if lang() == "ja" else 1


def tile_extras(key: str) -> dict:
    """The registry's line for a tile (layer · cadence · owner) and, with a workspace, its stored weeks."""
    kpi = BY_KEY.get(REGISTRY_KEY.get(key, ""))
    if kpi is None:
        return {}
    out = {"meta": t(f"{P}.tile_meta", layer=LAYER_LABELS[kpi.layer][side], cadence=CADENCE_LABELS[kpi.cadence][side],
                     owner=label_of("owner_role", kpi.owner_role) if kpi.owner_role in funnel_roles else t(f"{P}.owner.{kpi.owner_role}"))}
    if stored is not None and kpi.key in stored.columns and stored[kpi.key].notna().sum() >= 2:
        series = stored[kpi.key].astype("float64")
        last = fmt_kpi(kpi.unit, series.iloc[-2]) if len(series) >= 2 and pd.notna(series.iloc[-2]) else "—"
        four = fmt_kpi(kpi.unit, series.iloc[-5]) if len(series) >= 5 and pd.notna(series.iloc[-5]) else "—"
        out |= {"trend": series.dropna().tolist(), "trend_note": t(f"{P}.tile_trend", last=last, four=four, n=int(series.notna().sum()))}
    return out


# the tiles grouped by the team's layers: 結果 (quarterly) first, then what feeds it (手前, 習慣)
layer_of = {k: BY_KEY[REGISTRY_KEY[k]].layer if k in REGISTRY_KEY else "leading" for k in tiles}
tile_cols = []
for layer in ("result", "leading", "habit"):
    group = [k for k in tiles if layer_of[k] == layer]
    if not group:
        continue
    st.markdown(f"**{LAYER_LABELS[layer][side]}**　" + t(f"{P}.layer.{layer}"))
    per_row = 3 if len(group) > 4 else max(1, len(group))
    tile_cols += list(zip([c for i in range(0, len(group), per_row) for c in st.columns(per_row if len(group) > 1 else 3)], group))
unrecorded = set(funnel.unrecorded_stages(leads))
for col, key in tile_cols:
    extras = tile_extras(key)
    with col:
        if key == "overall":
            value = funnel.overall_conversion(table)
            target = pd.Series([targets.step_conversion[s] for s in STAGES[1:]]).prod()
            before = funnel.overall_conversion(prev) if prev is not None else None
            kpi_tile(t(f"{P}.kpi.overall"), fmt_pct(value), fmt_delta_pct_points(value, before), rag=rag(value, target),
                     confidence=badges["overall"], **extras, help=t(f"{P}.kpi.overall_help") + f" ({t(f'{P}.col.target')} {target:.1%})")
        elif key in STAGES:
            i = STAGES.index(key)
            value = row.loc[key, "conversion"]
            before = prow.loc[key, "conversion"] if prow is not None else None
            # the team's names (商談化率, 稟議通過率 …) from the registry
            kpi_tile(BY_KEY[REGISTRY_KEY[key]].label[side], fmt_pct(value), fmt_delta_pct_points(value, before), rag=row.loc[key, "rag"],
                     confidence=badges[key], **extras,
                     help=t(f"{P}.kpi.step_help", stage=stage_names[i], prev=stage_names[i - 1], target=f"{targets.step_conversion[key]:.0%}"))
            if key in unrecorded:  # n/a for lack of a column (SPEC 2): say which column would enable it
                missing_column_note(funnel.stage_column_hint(key))
        elif key == "stalled":
            n = len(res["stalled"])
            delta = t(f"{P}.delta_count", value=n - len(res["prev_stalled"])) if prev is not None else None
            kpi_tile(t(f"{P}.kpi.stalled"), t(f"{P}.count", value=n), delta, delta_color="inverse",
                     confidence=badges["stalled"], **extras, help=t(f"{P}.kpi.stalled_help"))
        elif key == "payback":
            pay, before = res["payback"], res.get("prev_payback")
            if pay is None:
                kpi_tile(t(f"{P}.kpi.payback"), "n/a", **extras, help=t(f"{P}.kpi.payback_help", max=targets.payback_months_max))
                missing_column_note("回収期間(月) / payback_months")
                continue
            delta = t(f"{P}.delta_months", value=fmt_signed(pay.median - before.median)) if before and before.median is not None and pay.median is not None else None
            kpi_tile(t(f"{P}.kpi.payback"), "n/a" if pay.median is None else t(f"{P}.months", value=pay.median), delta, delta_color="inverse",
                     rag=rag(pay.median, targets.payback_months_max, higher_is_better=False),
                     confidence=badges["payback"], **extras, help=t(f"{P}.kpi.payback_help", max=targets.payback_months_max))
        elif key == "bottleneck":
            kpi_tile(t(f"{P}.kpi.bottleneck"), label_of("stage", res["bottleneck"]) if res["bottleneck"] else "—")

# ---------------------------------------------------------------- the six stages in one row
neck = res["bottleneck"]
for col, (stage, r) in zip(st.columns(len(STAGES)), row.iterrows()):
    with col.container(border=True):
        st.metric(label_of("stage", stage), f"{int(r['reached']):,}", help=t(f"{P}.stage_help", stage=label_of("stage", stage)))
        amount = fmt_yen(r["amount_yen"])
        st.caption(t(f"{P}.stage_caption_lead", amount=amount) if stage == "lead" else t(f"{P}.stage_caption", conv=fmt_pct(r["conversion"]), amount=amount))
        if stage == neck:
            st.markdown(f":red-badge[:material/block: {t(f'{P}.kpi.bottleneck')}]")
if neck:
    i = STAGES.index(neck)
    st.warning(t(f"{P}.bottleneck_note", prev=stage_names[i - 1], stage=stage_names[i], conv=fmt_pct(row.loc[neck, "conversion"]),
                 target=fmt_pct(row.loc[neck, "target"], 0), lost=int(row.loc[neck, "lost"])), icon=":material/block:")
if "amount_yen" not in leads.columns:
    missing_column_note("金額 / amount_yen")

rag_labels = {k: t(f"rag.{k}") for k in ("green", "yellow", "red")} | {"none": t(f"{P}.chart.no_target")}
titles = {k: t(f"{P}.chart.{k}") for k in ("reached", "stage", "conversion", "rag", "amount", "step")} | {"step": t(f"{P}.col.step")}


def funnel_frame(tab: pd.DataFrame, neck: str | None) -> pd.DataFrame:
    out = tab.assign(stage_label=label_series("stage", tab["stage"]), is_bottleneck=tab["stage"].eq(neck))
    out["label"] = [f"{r:,} · {fmt_pct(c)}" if pd.notna(c) else f"{r:,}" for r, c in zip(out["reached"], out["conversion"])]
    out.loc[out["is_bottleneck"], "label"] += "  " + t(f"{P}.bottleneck_label")
    return out


tabs = st.tabs([t(f"{P}.tab.{k}") for k in ("funnel", "lost", "stalled", "speed", "payback", "trend", "breakdown", "fiscal")])
with tabs[0]:
    if st.toggle(t(f"{P}.split_segment"), key=f"{P}.split"):
        seg = funnel_by(filtered, "segment", as_of, targets.to_json(), mode, start, end)
        seg = pd.concat([funnel_frame(g, funnel.bottleneck(g)) for _, g in seg.groupby("segment")])
        seg["segment_label"] = label_series("segment", seg["segment"])
        order = [label_of("segment", s) for s in ("hospital", "medical", "healthcare", "general", "other")]
        show_chart(funnel_bars, seg, stage_names, rag_labels, titles, facet="segment_label", facet_order=order, columns=2, width=330, height=200, st_width=None)
    else:
        show_chart(funnel_bars, funnel_frame(table, neck), stage_names, rag_labels, titles | {"title": t(f"{P}.chart.funnel")}, st_width="stretch")
    show_table(table, "funnel", "table")

with tabs[1]:
    steps = list(STAGES[1:])
    step = st.selectbox(t(f"{P}.lost_step"), steps, index=steps.index(neck) if neck else 0, key=f"{P}.lost_step",
                        format_func=lambda s: t(f"{P}.lost_step_option", prev=stage_names[STAGES.index(s) - 1], stage=label_of("stage", s), lost=int(row.loc[s, "lost"])))
    lost, reasons = lost_detail(filtered, step, scope, as_of, mode, start, end)
    st.caption(t(f"{P}.lost_leads", prev=stage_names[STAGES.index(step) - 1], stage=label_of("stage", step), n=len(lost)))
    keep = [c for c in ("lead_id", "account", "region", "segment", "owner", "status", "created_at", "lost_reason", "amount_yen", "next_action_on") if c in lost.columns]
    show_table(lost[keep], f"lost_{step}", "lost")
    if reasons is None:
        missing_column_note("失注理由 / lost_reason")
    elif len(reasons):
        reasons["reason"] = reasons["reason"].fillna(t(f"{P}.unset"))
        show_chart(bar_ranked, reasons, "reason", "leads", t(f"{P}.chart.leads"), t(f"{P}.chart.reason"), st_width="stretch", properties=dict(title=t(f"{P}.chart.lost_reasons")))
        show_table(reasons, "lost_reasons", "reasons")

with tabs[2]:
    st.caption(t(f"{P}.stalled_intro"))
    stalled = res["stalled"]
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
            view = stuck.drop(columns=["stalled"]).assign(stage=lambda f: label_series("stage", f["stage"]),
                                                          region=lambda f: label_series("region", f["region"]), since=lambda f: f["since"].dt.date)
            data_table(view.head(500).rename(columns={c: t(f"memory.col.{c}") for c in view.columns}), height=min(320, 38 + 35 * len(view)))
            if len(view) > 500:
                st.caption(t("memory.first_rows", n=500, total=len(view)))
        st.page_link("app_pages/memory.py", label=t(f"{P}.unmoved_link"), icon=":material/history:")

with tabs[3]:
    st.caption(t(f"{P}.speed_intro"))
    dis, in_stage, to_convert = stage_times(scope, as_of)
    left, right = st.columns(2)
    for col, data, title in ((left, in_stage, "days_in_stage"), (right, to_convert, "time_to_convert")):
        if len(data):
            data = data.assign(stage_label=label_series("stage", data["stage"]))
            show_chart(days_box, data, stage_names[1:], t(f"{P}.chart.{title}"), t(f"{P}.chart.days"), None, where=col, st_width="stretch")
    show_table(dis, "days_in_stage", "speed")

with tabs[4]:
    pay = res["payback"]
    if pay is None:
        missing_column_note("回収期間(月) / payback_months")
    elif pay.leads:
        st.caption(t(f"{P}.payback_summary", n=pay.leads, within=pay.within, rate=fmt_pct(pay.within_rate), max=pay.max_months))
        show_chart(payback_histogram, scope, pay.max_months, t(f"{P}.chart.payback", max=pay.max_months), t(f"{P}.chart.payback_x"),
                   t(f"{P}.chart.leads"), t("rag.green"), t("rag.red"), st_width="stretch")

with tabs[5]:
    grain = st.segmented_control(t(f"{P}.grain"), ("week", "month"), format_func=lambda g: t(f"{P}.grain.{g}"), default="month", key=f"{P}.grain") or "month"
    trend = funnel_by(filtered, grain, as_of, targets.to_json(), "cohort", start, end)
    trend = trend[trend["stage"].ne("lead") & trend["conversion"].notna()].rename(columns={grain: "period"})
    trend["step_label"] = label_series("stage", trend["stage"])
    show_chart(conversion_trend, trend, t(f"{P}.chart.{grain}"), t(f"{P}.chart.conversion"), stage_names[1:],
               t(f"{P}.chart.trend", grain=t(f"{P}.grain.{grain}")), "%m/%d" if grain == "week" else "%Y/%m", st_width="stretch")

with tabs[6]:
    by = st.selectbox(t(f"{P}.breakdown_by"), FILTERS, format_func=lambda b: t(f"{P}.breakdown.{b}"), key=f"{P}.by")
    part = funnel_by(filtered, by, as_of, targets.to_json(), mode, start, end)
    if part is None:
        missing_column_note(by)
    else:
        part["group"] = label_series(by, part[by]) if by in ENUMS else part[by].astype(str)
        sizes = part[part["stage"].eq("lead")].set_index("group")["reached"]
        order = [label_of("region", r) for r in funnel.REGIONS] if by == "region" else sizes.sort_values(ascending=False, kind="stable").index.tolist()
        cells = part[part["stage"].ne("lead")].assign(step_label=lambda f: label_series("stage", f["stage"]))
        show_chart(conversion_heatmap, cells, "group", t(f"{P}.breakdown.{by}"), stage_names[1:], order, rag_labels,
                   titles | {"title": t(f"{P}.breakdown_chart", by=t(f"{P}.breakdown.{by}"))}, st_width="stretch")
        wide = part.pivot_table(index="group", columns="stage", values="reached", sort=False)[list(STAGES)]
        wide.columns = stage_names
        show_table(wide.reset_index().rename(columns={"group": t(f"{P}.breakdown.{by}")}), f"funnel_by_{by}", "by")

with tabs[7]:
    st.caption(t(f"{P}.fiscal_intro", days=funnel.FISCAL_END_WINDOW_DAYS))
    fq = funnel_by(filtered, "fiscal_quarter", as_of, targets.to_json(), "cohort", None, None)
    wide = fq.pivot_table(index="fiscal_quarter", columns="stage", values="reached")[list(STAGES)]
    wide.columns = stage_names
    wide.index = [t(f"{P}.fy_label", year=k[:4], q=k[-1]) for k in wide.index]
    st.markdown(f"**{t(f'{P}.fiscal_table')}**")
    show_table(wide.rename_axis(t(f"{P}.col.period")).reset_index(), "fiscal_quarters", "fy")
    deals = fiscal_deals(filtered, as_of)
    end_day, left_days = funnel.fiscal_quarter_end(as_of), int((funnel.fiscal_quarter_end(as_of) - as_of).days)
    st.markdown(f"**{t(f'{P}.fiscal_deals', end=f'{end_day:%Y/%m/%d}', left=left_days)}**")
    if deals.empty:
        st.info(t(f"{P}.fiscal_none"))
    else:
        if deals["near_end"].any():
            st.error(t(f"{P}.fiscal_flag", left=left_days, n=len(deals)), icon=":material/alarm:")
        show_table(deals, "poc_before_approval", "fiscal")
