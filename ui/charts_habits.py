"""Habit charts: a daily trend inside its guide band, per-rep bars against the guide, committee capture rates.

Builders take a frame and column names (already translated titles) and return Altair charts; no ``st`` here.
"""
from __future__ import annotations

import altair as alt
import pandas as pd

from ui.charts import PALETTE, RAG_COLORS, guide_rule

BAND_COLOR = "#2DA44E"
LABEL_ROOM = 1.22  # x domain = the longest bar × this: its value label (dx 3 px, ~40 px wide) stays inside the chart


def trend_with_band(frame: pd.DataFrame, x: str, y: str, low: float | None, high: float | None, title: str,
                    x_title: str, y_title: str, percent: bool = False, height: int = 260) -> alt.LayerChart:
    """Daily values as points + a 7-day rolling mean line, over a shaded guide band [low, high]
    (low or high None: a one-sided guide drawn as a dashed rule)."""
    fmt = ".0%" if percent else ",.1f"
    data = frame[[x, y]].dropna().sort_values(x).copy()
    data["rolling"] = data[y].rolling(7, min_periods=1).mean()
    base = alt.Chart(data).encode(x=alt.X(f"{x}:T", title=x_title, axis=alt.Axis(format="%m/%d")))
    points = base.mark_circle(size=28, opacity=0.45, color=PALETTE[0]).encode(
        y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=fmt)),
        tooltip=[alt.Tooltip(f"{x}:T", title=x_title, format="%Y/%m/%d"), alt.Tooltip(f"{y}:Q", title=y_title, format=fmt)],
    )
    line = base.mark_line(color=PALETTE[0], strokeWidth=2.5).encode(y=alt.Y("rolling:Q"))
    layers: list[alt.Chart] = []
    if low is not None and high is not None:
        band = pd.DataFrame({"low": [low], "high": [high]})
        layers.append(alt.Chart(band).mark_rect(color=BAND_COLOR, opacity=0.12).encode(y="low:Q", y2="high:Q"))
    for value in (low, high):
        if value is not None:
            layers.append(guide_rule(value, color=BAND_COLOR))
    return alt.layer(*layers, points, line).properties(title=title, height=height)


def rep_bars_with_guide(frame: pd.DataFrame, rep: str, value: str, status: str, status_labels: dict[str, str],
                        guides: list[float], title: str, value_title: str, percent: bool = False) -> alt.LayerChart:
    """Horizontal bars per rep sorted by value, coloured by inside / outside the guide, with guide rules."""
    fmt = ".0%" if percent else ",.1f"
    data = frame[[rep, value, status]].dropna(subset=[value]).copy()
    data["status_label"] = data[status].map(status_labels)
    domain = [status_labels["ok"], status_labels["off"]]
    order = data.sort_values(value, ascending=False)[rep].tolist()  # explicit: a layer's "-x" sort is dropped
    # room right of the longest bar (and of the guide) for its label: a label past the chart's edge is cut
    top = max([float(data[value].max()) if len(data) else 0.0] + [float(g) for g in guides]) or 1.0
    bars = alt.Chart(data).mark_bar().encode(
        y=alt.Y(f"{rep}:N", sort=order, title=None),
        x=alt.X(f"{value}:Q", title=value_title, scale=alt.Scale(domain=[0, top * LABEL_ROOM], nice=False),
                axis=alt.Axis(format=fmt, values=[i / 5 for i in range(int(top * 5) + 1)]) if percent else alt.Axis(format=fmt)),
        color=alt.Color("status_label:N", title=None, scale=alt.Scale(domain=domain, range=[RAG_COLORS["green"], RAG_COLORS["red"]]),
                        legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip(f"{rep}:N"), alt.Tooltip(f"{value}:Q", title=value_title, format=fmt)],
    )
    labels = bars.mark_text(align="left", dx=3, fontSize=12).encode(text=alt.Text(f"{value}:Q", format=fmt), color=alt.value("#333"))
    rules = alt.Chart(pd.DataFrame({"guide": guides})).mark_rule(strokeDash=[6, 4], color="#555").encode(x="guide:Q")
    # Streamlit fits the whole chart (title, axis, legend included) into ``height``: reserve ~120 px for those
    return alt.layer(bars, labels, rules).properties(title=title, height=120 + 30 * len(data))


def committee_bars(frame: pd.DataFrame, label: str, rate: str, target: float, title: str, value_title: str) -> alt.LayerChart:
    """Each committee's review-date fill rate (0–100 %) with the capture target as a dashed rule."""
    data = frame[[label, rate]].dropna().copy()
    top = max([1.0] + data[rate].tolist())  # 0–100 %, with room right of a 100 % bar for its label
    bars = alt.Chart(data).mark_bar(color=PALETTE[1]).encode(
        y=alt.Y(f"{label}:N", sort=data.sort_values(rate, ascending=False)[label].tolist(), title=None),
        x=alt.X(f"{rate}:Q", title=value_title, scale=alt.Scale(domain=[0, top * 1.15], nice=False),
                axis=alt.Axis(format=".0%", values=[i / 5 for i in range(int(top * 5) + 1)])),
        tooltip=[alt.Tooltip(f"{label}:N", title=None), alt.Tooltip(f"{rate}:Q", title=value_title, format=".1%")],
    )
    text = bars.mark_text(align="left", dx=3, fontSize=12).encode(text=alt.Text(f"{rate}:Q", format=".0%"), color=alt.value("#333"))
    rule = guide_rule(target, axis="x")
    return alt.layer(bars, text, rule).properties(title=title, height=90 + 40 * len(data))


def agenda_bar(frame: pd.DataFrame, step: str, minutes: str, title: str) -> alt.LayerChart:
    """The 60-minute review as one stacked horizontal bar: each step's share of the hour, labelled."""
    data = frame[[step, minutes]].copy()
    data["order"] = range(len(data))
    data["end"] = data[minutes].cumsum()
    data["start"] = data["end"] - data[minutes]
    data["mid"] = (data["start"] + data["end"]) / 2
    # a step shorter than 10 minutes is too narrow for its name (the cards below the bar name every step)
    data["text"] = [f"{name} {m}'" if m >= 10 else f"{m}'" for name, m in zip(data[step], data[minutes])]
    base = alt.Chart(data)
    bars = base.mark_bar(height=34, stroke="white", strokeWidth=2).encode(
        x=alt.X("start:Q", title=None, scale=alt.Scale(domain=[0, 60]), axis=alt.Axis(values=[0, 10, 20, 40, 55, 60], format="d")),
        x2="end:Q",
        color=alt.Color(f"{step}:N", sort=alt.SortField("order"), scale=alt.Scale(range=PALETTE[:5]), legend=None),
        tooltip=[alt.Tooltip(f"{step}:N"), alt.Tooltip(f"{minutes}:Q")],
    )
    text = base.mark_text(color="white", fontSize=12, fontWeight="bold").encode(x="mid:Q", text="text:N")
    return alt.layer(bars, text).properties(title=title, height=90)


def weekly_rate_lines(frame: pd.DataFrame, week: str, rate: str, series: str, target: float | None, title: str,
                      x_title: str, y_title: str, height: int = 260) -> alt.LayerChart:
    """A weekly rate per series (one line per owner role) with the target as a dashed rule (0–100 %)."""
    data = frame[[week, rate, series]].dropna(subset=[rate]).copy()
    base = alt.Chart(data).encode(
        x=alt.X(f"{week}:T", title=x_title, axis=alt.Axis(format="%m/%d")),
        y=alt.Y(f"{rate}:Q", title=y_title, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format=".0%")),
        color=alt.Color(f"{series}:N", title=None, scale=alt.Scale(range=PALETTE), legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip(f"{week}:T", title=x_title, format="%Y/%m/%d"), alt.Tooltip(f"{series}:N", title=None),
                 alt.Tooltip(f"{rate}:Q", title=y_title, format=".0%")],
    )
    layers: list[alt.Chart] = [base.mark_line(strokeWidth=2), base.mark_circle(size=36)]
    if target is not None:
        layers.append(guide_rule(target))
    return alt.layer(*layers).properties(title=title, height=height)


def rate_bars_with_n(frame: pd.DataFrame, category: str, rate: str, label: str, title: str, value_title: str,
                     color: str | None = None, target: float | None = None) -> alt.LayerChart:
    """Horizontal bars of a rate per group (kept in the frame's order), each labelled with its text (rate and n),
    coloured by ``color`` (e.g. the channel or the verdict), with an optional target rule."""
    data = frame[[c for c in dict.fromkeys([category, rate, label] + ([color] if color else []))]].dropna(subset=[rate]).copy()
    top = max([float(data[rate].max()) if len(data) else 0.0, target or 0.0, 0.2])
    bars = alt.Chart(data).mark_bar().encode(
        y=alt.Y(f"{category}:N", sort=data[category].tolist(), title=None),
        x=alt.X(f"{rate}:Q", title=value_title, scale=alt.Scale(domain=[0, min(1.0, top) * 1.45], nice=False), axis=alt.Axis(format=".0%", tickCount=5)),
        color=alt.Color(f"{color}:N", title=None, scale=alt.Scale(range=PALETTE), legend=alt.Legend(orient="top")) if color else alt.value(PALETTE[0]),
        tooltip=[alt.Tooltip(f"{category}:N", title=None), alt.Tooltip(f"{rate}:Q", title=value_title, format=".1%"), alt.Tooltip(f"{label}:N", title=None)],
    )
    text = bars.mark_text(align="left", dx=3, fontSize=12).encode(text=alt.Text(f"{label}:N"), color=alt.value("#333"))
    layers: list[alt.Chart] = [bars, text]
    if target is not None:
        layers.append(guide_rule(target, axis="x"))
    # Streamlit fits the whole chart into ``height`` (see rep_bars_with_guide): title, axis and, when coloured, the
    # legend take ~130 / ~160 px before the first bar (at 90 px two coloured bars were squashed to nothing)
    return alt.layer(*layers).properties(title=title, height=(170 if color else 130) + 34 * len(data))


def rate_heatmap(frame: pd.DataFrame, x: str, y: str, rate: str, label: str, title: str, value_title: str,
                 x_order: list[str] | None = None) -> alt.LayerChart:
    """A grid of rates (send band × region), each cell labelled with its text (rate and n)."""
    data = frame[[x, y, rate, label]].copy()
    base = alt.Chart(data).encode(x=alt.X(f"{x}:N", sort=x_order, title=None, axis=alt.Axis(labelAngle=0)), y=alt.Y(f"{y}:N", title=None))
    cells = base.mark_rect().encode(
        color=alt.Color(f"{rate}:Q", title=value_title, scale=alt.Scale(scheme="blues", domain=[0, max(0.5, float(data[rate].max() or 0))]),
                        legend=alt.Legend(format=".0%")),
        tooltip=[alt.Tooltip(f"{x}:N"), alt.Tooltip(f"{y}:N"), alt.Tooltip(f"{rate}:Q", format=".1%"), alt.Tooltip(f"{label}:N")],
    )
    text = base.mark_text(fontSize=11, color="#111").encode(text=alt.Text(f"{label}:N"))
    return alt.layer(cells, text).properties(title=title, height=50 + 36 * data[y].nunique())
