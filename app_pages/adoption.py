"""CRM adoption score page (CRM定着スコア): three layers and overall, sub-scores, weekly trend, owners, fix lists."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from kpi import adoption as kpi
from kpi.registry import input_hint
from kpi.targets import Targets
from ui.charts_adoption import owner_heatmap, trend_chart
from ui.data import cached, require
from ui.i18n import label_series, lang, t
from ui.widgets import data_table, fmt_pct, missing_column_note, registry_tile, show_chart

frames = require("leads")
leads, activities = frames["leads"], frames.get("activities")
targets: Targets = st.session_state.get("targets", Targets())
default_as_of = kpi.resolve_as_of(leads)

st.title(t("adoption.title"))
as_of = pd.Timestamp(st.date_input(t("adoption.as_of"), value=default_as_of.date() if default_as_of is not None else None,
                                   key="adoption.as_of", help=t("adoption.as_of_help"), width=200) or default_as_of)


@cached(max_entries=16)
def compute(leads: pd.DataFrame, activities: pd.DataFrame | None, as_of: pd.Timestamp, targets_json: str, language: str) -> kpi.AdoptionView:
    return kpi.adoption_view(leads, activities, as_of, Targets.from_json(targets_json), language)


view = compute(leads, activities, as_of, targets.to_json(), lang())
score, trend, owners, fix_lists = view.score, view.trend, view.owners, view.fix_lists
st.caption(t("adoption.intro", as_of=as_of.strftime("%Y-%m-%d")))
if activities is None:
    st.info(t("adoption.no_activities"))


def column_label(column: str) -> str:
    if "." in column:
        return t(f"adoption.column.{column}")
    return input_hint("leads", column) if lang() == "ja" else column  # 次回アクション日 / next_action_on


def sub_value(s: kpi.SubScore) -> str:
    return fmt_pct(s.value, 0)


def sub_help(s: kpi.SubScore) -> str:
    parts = [t(s.definition)]
    if s.enabling_column:
        parts.append(t("app.column_enables", column=column_label(s.enabling_column)))
    elif s.denominator:
        parts.append(t("adoption.fraction", num=s.numerator, den=s.denominator))
        if s.raw is not None:
            parts.append(t("adoption.raw_vs_ref", raw=fmt_pct(s.raw), ref=fmt_pct(s.reference, 0)))
    else:
        parts.append(t("adoption.no_denominator"))
    return "\n\n".join(parts)


# ---- headline tiles: overall and the three layers (registry tiles), with the week-on-week change
for col, layer, tile_view in zip(st.columns(4), ("overall", *kpi.LAYERS), view.tiles):
    if layer == "overall":
        help_text = t("adoption.overall_help")
    else:
        items = "\n".join(f"- {t(f'adoption.sub.{s.key}')}: {sub_value(s)}" for s in score.layer_subscores(layer))
        help_text = t("adoption.layer_help", layer=t(f"adoption.layer.{layer}"), items=items)
    with col:
        registry_tile(replace(tile_view, definition=tile_view.definition + "\n\n" + help_text))

# ---- sub-scores per layer (definition and numerator / denominator on hover)
layer_cols = st.columns(3)
for col, layer in zip(layer_cols, kpi.LAYERS):
    with col, st.expander(f"{t(f'adoption.layer.{layer}')}: {t('adoption.subscores')}", expanded=True):
        for s in score.layer_subscores(layer):
            st.metric(t(f"adoption.sub.{s.key}"), sub_value(s), help=sub_help(s))
            if s.enabling_column:
                missing_column_note(column_label(s.enabling_column))

subs = kpi.subscores_table(score)
sub_table = pd.DataFrame({
    t("adoption.col.layer"): subs["layer"].map(lambda k: t(f"adoption.layer.{k}")),
    t("adoption.col.subscore"): subs["key"].map(lambda k: t(f"adoption.sub.{k}")),
    t("adoption.col.value"): subs["value"] * 100,
    t("adoption.col.numerator"): subs["numerator"],
    t("adoption.col.denominator"): subs["denominator"],
    t("adoption.col.enabling"): subs["enabling_column"].map(lambda c: column_label(c) if isinstance(c, str) else None),
    t("adoption.col.definition"): subs["key"].map(lambda k: t(f"adoption.def.{k}")),
})
with st.expander(t("adoption.subscores_table")):
    data_table(sub_table, column_config={t("adoption.col.value"): st.column_config.NumberColumn(format="%.1f")}, download=t("adoption.file.subscores"), download_key="adoption.dl.subscores")

# ---- weekly trend per layer
st.subheader(t("adoption.trend"))
layer_order = [t(f"adoption.layer.{k}") for k in (*kpi.LAYERS, "overall")]
long = trend.melt(id_vars="week_end", value_vars=[*kpi.LAYERS, "overall"], var_name="layer", value_name="score").dropna(subset=["score"])
long["layer"] = long["layer"].map(lambda k: t(f"adoption.layer.{k}"))
show_chart(trend_chart, long, "week_end", "score", "layer", layer_order, t("adoption.chart.week"),
           t("adoption.chart.score"), t("adoption.chart.layer"), st_width="stretch")
st.caption(t("adoption.trend_note"))

# ---- per-owner heat table, worst first
st.subheader(t("adoption.owners"))
st.caption(t("adoption.owners_note"))
value_cols = [*kpi.OWNER_SUBSCORES, "usage", "data"]
names = {k: t(f"adoption.sub.{k}") for k in kpi.OWNER_SUBSCORES} | {k: t(f"adoption.layer.{k}") for k in ("usage", "data")}
heat = owners.assign(**{k: owners[k] * 100 for k in kpi.OWNER_SUBSCORES})
heat_long = heat.melt(id_vars="user", value_vars=value_cols, var_name="metric", value_name="value").dropna(subset=["value"])
heat_long["metric"] = heat_long["metric"].map(names)
show_chart(owner_heatmap, heat_long, "user", "metric", "value", heat["user"].tolist(), [names[k] for k in value_cols],
           t("adoption.col.user"), t("adoption.col.subscore"), t("adoption.col.value"), st_width="stretch")
owner_table = heat.rename(columns={"user": t("adoption.col.user"), "leads": t("adoption.col.leads"), "open_leads": t("adoption.col.open_leads"),
                                   "score": t("adoption.col.score"), **names})
with st.expander(t("adoption.owners_table")):
    data_table(owner_table, column_config={c: st.column_config.NumberColumn(format="%.0f") for c in [*names.values(), t("adoption.col.score")]},
               download=t("adoption.file.owners"), download_key="adoption.dl.owners")

# ---- data-quality fix lists, each downloadable
st.subheader(t("adoption.quality"))
st.caption(t("adoption.quality_note"))
enabling = {"duplicates": "account", "next_action": "next_action_on", "stale": "updated_on", "lost_reason": "lost_reason"}
tabs = st.tabs([t(f"adoption.tab.{k}", n=0 if fix_lists[k] is None else len(fix_lists[k])) for k in enabling])
for tab, (name, column) in zip(tabs, enabling.items()):
    with tab:
        frame = fix_lists[name]
        if frame is None:
            missing_column_note(column_label(column))
            continue
        st.caption(t(f"adoption.tab.{name}_note"))
        if frame.empty:
            st.success(t("adoption.none_found"))
            continue
        shown = frame.assign(status=label_series("status", frame["status"]))
        shown = shown.rename(columns={c: t(f"adoption.col.{c}") for c in shown.columns})
        dates = [t(f"adoption.col.{c}") for c in ("created_at", "updated_on", "next_action_on")]
        data_table(shown, column_config={c: st.column_config.DateColumn(format="YYYY-MM-DD") for c in dates},
                   download=t(f"adoption.file.{name}"), download_key=f"adoption.dl.{name}")
