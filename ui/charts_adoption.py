"""Charts of the CRM adoption page: the weekly layer-score trend and the owner × sub-score heat table.

Builders take frames with display labels already applied (the page translates) and return Altair charts;
no ``st`` and no cache here, so tests check them with ``chart.to_dict()``.
"""
from __future__ import annotations

import altair as alt
import pandas as pd

from kpi.adoption import BAND_GOOD, BAND_WATCH
from ui.charts import PALETTE, RAG_COLORS

LAYER_COLORS = [PALETTE[0], PALETTE[5], PALETTE[1], "#24292F"]  # usage, data, outcomes, overall


def trend_chart(frame: pd.DataFrame, x: str, y: str, series: str, order: list[str], x_title: str, y_title: str,
                series_title: str) -> alt.LayerChart:
    """One line per layer over the weeks (0–100), with dashed guides at the score bands (80 good, 60 watch).
    ``order`` fixes the legend order and colours (usage, data, outcomes, overall)."""
    color = alt.Color(f"{series}:N", title=series_title, sort=order,
                      scale=alt.Scale(domain=order, range=LAYER_COLORS[: len(order)]),
                      legend=alt.Legend(orient="bottom"))
    lines = alt.Chart(frame).mark_line(point=True, strokeWidth=2).encode(
        x=alt.X(f"{x}:T", title=x_title, axis=alt.Axis(format="%m/%d", labelAngle=0)),
        y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(domain=[0, 100])),
        color=color,
        tooltip=[alt.Tooltip(f"{x}:T", title=x_title, format="%Y-%m-%d"), alt.Tooltip(f"{series}:N", title=series_title),
                 alt.Tooltip(f"{y}:Q", title=y_title, format=".1f")],
    )
    guides = alt.Chart(pd.DataFrame({"band": [BAND_GOOD, BAND_WATCH], "color": [RAG_COLORS["green"], RAG_COLORS["yellow"]]})).mark_rule(
        strokeDash=[6, 4], opacity=0.7).encode(y="band:Q", color=alt.Color("color:N", scale=None))
    return alt.layer(guides, lines).properties(height=320)


def owner_heatmap(frame: pd.DataFrame, row: str, column: str, value: str, row_order: list[str], column_order: list[str],
                  row_title: str, column_title: str, value_title: str) -> alt.LayerChart:
    """Heat table: one row per owner (``row_order``, worst first), one column per sub-score (``column_order``),
    sequential colours on 0–100 (light = low), the number printed in each cell; n/a cells stay blank."""
    base = alt.Chart(frame).encode(
        x=alt.X(f"{column}:N", sort=column_order, title=None,
                axis=alt.Axis(orient="top", labelAngle=-30, labelAlign="left", labelLimit=230, labelOverlap=False, labelPadding=6)),
        y=alt.Y(f"{row}:N", sort=row_order, title=None, axis=alt.Axis(labelOverlap=False, labelLimit=160)),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color(f"{value}:Q", title=value_title, scale=alt.Scale(scheme="blues", domain=[0, 100]),
                        legend=alt.Legend(orient="bottom", gradientLength=240)),
        tooltip=[alt.Tooltip(f"{row}:N", title=row_title), alt.Tooltip(f"{column}:N", title=column_title),
                 alt.Tooltip(f"{value}:Q", title=value_title, format=".0f")],
    )
    text = base.mark_text(fontSize=12).encode(
        text=alt.Text(f"{value}:Q", format=".0f"),
        color=alt.condition(f"datum['{value}'] >= 60", alt.value("white"), alt.value("#24292F")),
    )
    return alt.layer(cells, text).properties(height=alt.Step(32))
