"""The sections of the CRM adoption page (app_pages/adoption.py), each drawing from the page's
kpi.adoption.AdoptionView: the headline tiles (registry tiles), the sub-scores per layer and their table, the
weekly trend, the per-owner heat table and the data-quality fix lists."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from kpi import adoption as kpi
from kpi.registry import input_hint
from ui.charts_adoption import owner_heatmap, trend_chart
from ui.i18n import label_series, lang, t
from ui.widgets import data_table, fmt_pct, missing_column_note, registry_tile, show_chart


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


def headline_tiles(view: kpi.AdoptionView) -> None:
    """Overall and the three layers as registry tiles, the sub-scores of each layer in its hover."""
    for col, layer, tile_view in zip(st.columns(4), ("overall", *kpi.LAYERS), view.tiles):
        if layer == "overall":
            help_text = t("adoption.overall_help")
        else:
            items = "\n".join(f"- {t(f'adoption.sub.{s.key}')}: {sub_value(s)}" for s in view.score.layer_subscores(layer))
            help_text = t("adoption.layer_help", layer=t(f"adoption.layer.{layer}"), items=items)
        with col:
            registry_tile(replace(tile_view, definition=tile_view.definition + "\n\n" + help_text))


def subscores(view: kpi.AdoptionView) -> None:
    """The sub-scores per layer (definition and numerator / denominator on hover), then their table."""
    layer_cols = st.columns(3)
    for col, layer in zip(layer_cols, kpi.LAYERS):
        with col, st.expander(f"{t(f'adoption.layer.{layer}')}: {t('adoption.subscores')}", expanded=True):
            for s in view.score.layer_subscores(layer):
                st.metric(t(f"adoption.sub.{s.key}"), sub_value(s), help=sub_help(s))
                if s.enabling_column:
                    missing_column_note(column_label(s.enabling_column))

    subs = kpi.subscores_table(view.score)
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


def trend(view: kpi.AdoptionView) -> None:
    """The weekly score per layer."""
    st.subheader(t("adoption.trend"))
    layer_order = [t(f"adoption.layer.{k}") for k in (*kpi.LAYERS, "overall")]
    long = view.trend.melt(id_vars="week_end", value_vars=[*kpi.LAYERS, "overall"], var_name="layer", value_name="score").dropna(subset=["score"])
    long["layer"] = long["layer"].map(lambda k: t(f"adoption.layer.{k}"))
    show_chart(trend_chart, long, "week_end", "score", "layer", layer_order, t("adoption.chart.week"),
               t("adoption.chart.score"), t("adoption.chart.layer"), st_width="stretch")
    st.caption(t("adoption.trend_note"))


def owners(view: kpi.AdoptionView) -> None:
    """The per-owner heat table, worst first, and its downloadable table."""
    st.subheader(t("adoption.owners"))
    st.caption(t("adoption.owners_note"))
    value_cols = [*kpi.OWNER_SUBSCORES, "usage", "data"]
    names = {k: t(f"adoption.sub.{k}") for k in kpi.OWNER_SUBSCORES} | {k: t(f"adoption.layer.{k}") for k in ("usage", "data")}
    heat = view.owners.assign(**{k: view.owners[k] * 100 for k in kpi.OWNER_SUBSCORES})
    heat_long = heat.melt(id_vars="user", value_vars=value_cols, var_name="metric", value_name="value").dropna(subset=["value"])
    heat_long["metric"] = heat_long["metric"].map(names)
    show_chart(owner_heatmap, heat_long, "user", "metric", "value", heat["user"].tolist(), [names[k] for k in value_cols],
               t("adoption.col.user"), t("adoption.col.subscore"), t("adoption.col.value"), st_width="stretch")
    owner_table = heat.rename(columns={"user": t("adoption.col.user"), "leads": t("adoption.col.leads"), "open_leads": t("adoption.col.open_leads"),
                                       "score": t("adoption.col.score"), **names})
    with st.expander(t("adoption.owners_table")):
        data_table(owner_table, column_config={c: st.column_config.NumberColumn(format="%.0f") for c in [*names.values(), t("adoption.col.score")]},
                   download=t("adoption.file.owners"), download_key="adoption.dl.owners")


def fix_lists(view: kpi.AdoptionView) -> None:
    """The data-quality fix lists, each downloadable; a list whose column is absent names the column."""
    st.subheader(t("adoption.quality"))
    st.caption(t("adoption.quality_note"))
    enabling = {"duplicates": "account", "next_action": "next_action_on", "stale": "updated_on", "lost_reason": "lost_reason"}
    tabs = st.tabs([t(f"adoption.tab.{k}", n=0 if view.fix_lists[k] is None else len(view.fix_lists[k])) for k in enabling])
    for tab, (name, column) in zip(tabs, enabling.items()):
        with tab:
            frame = view.fix_lists[name]
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
