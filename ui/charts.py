"""Chart conventions shared by every page: the Altair theme (Japanese font), RAG colours, a few builders.

Builders take a frame and column names and return an ``alt.Chart``; no ``st`` and no cache inside, so tests
check them with ``chart.to_dict()``. Domain charts live beside this module (ui/charts_<domain>.py).
"""
from __future__ import annotations

import altair as alt
import pandas as pd

FONT = "'Noto Sans CJK JP', 'Noto Sans JP', 'Hiragino Sans', 'Yu Gothic', 'Meiryo', sans-serif"
RAG_COLORS = {"green": "#2DA44E", "yellow": "#D4A72C", "red": "#CF222E", None: "#8C959F"}
PALETTE = ["#1F6FEB", "#8250DF", "#2DA44E", "#D4A72C", "#CF222E", "#0A7B83", "#BF3989", "#6E7781"]
REGION_COLORS = {"osaka": "#1F6FEB", "kyoto": "#8250DF", "kobe": "#0A7B83", "nara": "#2DA44E", "other": "#8C959F"}


def theme(chart: alt.Chart | alt.LayerChart) -> alt.Chart:
    """Japanese-capable font, readable sizes, no chart border."""
    return (
        chart.configure(font=FONT)
        .configure_axis(labelFontSize=12, titleFontSize=12, labelLimit=220)
        .configure_legend(labelFontSize=12, titleFontSize=12, labelLimit=220)
        .configure_title(fontSize=14, anchor="start")
        .configure_view(strokeWidth=0)
    )






def bar_ranked(frame: pd.DataFrame, category: str, value: str, value_title: str, category_title: str | None = None,
               percent: bool = False, color: str | None = None) -> alt.Chart:
    """Horizontal bars sorted by value: lost reasons, institutions, reps."""
    fmt = ".0%" if percent else ",.0f"
    return alt.Chart(frame).mark_bar().encode(
        y=alt.Y(f"{category}:N", sort="-x", title=category_title),
        x=alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(format=fmt)),
        color=alt.Color(f"{color}:N") if color else alt.value(PALETTE[0]),
        tooltip=[alt.Tooltip(f"{category}:N", title=category_title), alt.Tooltip(f"{value}:Q", title=value_title, format=".1%" if percent else ",.0f")],
    )


def guide_rule(value: float, axis: str = "y", color: str = RAG_COLORS["red"], **mark) -> alt.Chart:
    """The dashed line of a target or guide (¥1,000 per 10 min, 4.0 visits, 12 months …) across a chart."""
    return alt.Chart(pd.DataFrame({"guide": [value]})).mark_rule(strokeDash=[6, 4], color=color, **mark).encode(**{axis: "guide:Q"})
