"""Altair builders of the funnel and regions pages (no ``st``, no cache: tests call ``chart.to_dict()``).

Builders take already-labelled frames (the page translates codes to Japanese labels) plus the titles.
Heights include room for title, axes and legend: with ``width="stretch"`` Streamlit fits the whole chart
(padding included) into the height, so a bare plot height would squash the marks.
"""
from __future__ import annotations

import math

import altair as alt
import pandas as pd

from ui.charts import PALETTE, RAG_COLORS, guide_rule

RAG_ORDER = ("green", "yellow", "red", "none")


def _rag_color(rag_labels: dict[str, str], title: str) -> alt.Color:
    """Colour by the 'rag' code column, legend in the user's language."""
    domain = [rag_labels[k] for k in RAG_ORDER]
    colors = [RAG_COLORS["green"], RAG_COLORS["yellow"], RAG_COLORS["red"], RAG_COLORS[None]]
    return alt.Color("rag_label:N", title=title, scale=alt.Scale(domain=domain, range=colors),
                     legend=alt.Legend(orient="bottom"))


def funnel_bars(frame: pd.DataFrame, stage_order: list[str], rag_labels: dict[str, str], titles: dict[str, str],
                facet: str | None = None, facet_order: list[str] | None = None, columns: int = 4,
                width: int | None = None, height: int = 220) -> alt.Chart:
    """Horizontal funnel: a bar per stage (top to bottom in stage order), coloured by the step's RAG, with
    a label "reached · conversion" at the end of each bar; the bottleneck row's label is red and bold.

    ``frame`` columns: stage_label, reached, rag (green/yellow/red/None), label (text), is_bottleneck (bool),
    conversion, amount_yen, and ``facet`` when given (small multiples, e.g. by region or segment group).
    """
    data = frame.copy()
    data["rag_label"] = data["rag"].fillna("none").map(rag_labels)
    top = max(float(data["reached"].max() or 0), 1.0)
    x = alt.X("reached:Q", title=titles["reached"], scale=alt.Scale(domain=[0, top * (1.9 if facet else 1.6)]),
              axis=alt.Axis(format=",d", tickMinStep=1))
    y = alt.Y("stage_label:N", sort=stage_order, title=None)
    tooltip = [alt.Tooltip("stage_label:N", title=titles["stage"]), alt.Tooltip("reached:Q", title=titles["reached"], format=","),
               alt.Tooltip("conversion:Q", title=titles["conversion"], format=".1%"),
               alt.Tooltip("amount_yen:Q", title=titles["amount"], format=",.0f")]
    base = alt.Chart(data)
    bars = base.mark_bar(cornerRadiusEnd=3).encode(x=x, y=y, color=_rag_color(rag_labels, titles["rag"]), tooltip=tooltip)
    text = base.mark_text(align="left", dx=4, fontSize=12, color="#24292F").encode(x=x, y=y, text="label:N").transform_filter("!datum.is_bottleneck")
    neck = base.mark_text(align="left", dx=4, fontSize=13, fontWeight="bold", color=RAG_COLORS["red"]).encode(
        x=x, y=y, text="label:N").transform_filter("datum.is_bottleneck")
    layer = alt.layer(bars, text, neck).properties(height=height if facet else height + 120, **({"width": width} if width else {}))
    if facet:
        return layer.facet(facet=alt.Facet(f"{facet}:N", title=None, sort=facet_order, header=alt.Header(labelFontSize=13, labelFontWeight="bold")),
                           columns=columns).resolve_scale(x="shared")
    return layer.properties(title=titles.get("title", ""))


def conversion_heatmap(frame: pd.DataFrame, row: str, row_title: str, step_order: list[str], row_order: list[str] | None,
                       rag_labels: dict[str, str], titles: dict[str, str]) -> alt.Chart:
    """Cells = step × group, coloured by RAG, text = conversion %. ``frame`` columns: ``row``, step_label,
    conversion, rag, reached."""
    data = frame.copy()
    data["rag_label"] = data["rag"].fillna("none").map(rag_labels)
    data["text"] = data["conversion"].map(lambda v: "–" if pd.isna(v) else f"{v:.0%}")
    base = alt.Chart(data).encode(
        x=alt.X("step_label:N", sort=step_order, title=titles["step"], axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y(f"{row}:N", sort=row_order, title=None),  # row labels speak for themselves; a rotated CJK title is unreadable
    )
    cells = base.mark_rect(stroke="white", strokeWidth=2, opacity=0.85).encode(
        color=_rag_color(rag_labels, titles["rag"]),
        tooltip=[alt.Tooltip(f"{row}:N", title=row_title), alt.Tooltip("step_label:N", title=titles["step"]),
                 alt.Tooltip("conversion:Q", title=titles["conversion"], format=".1%"),
                 alt.Tooltip("reached:Q", title=titles["reached"], format=",")],
    )
    text = base.mark_text(fontSize=12, color="white", fontWeight="bold").encode(text="text:N")
    n_rows = data[row].nunique()
    return alt.layer(cells, text).properties(height=40 * n_rows + 170, title=titles.get("title", ""))


def days_box(frame: pd.DataFrame, stage_order: list[str], title: str, x_title: str, y_title: str) -> alt.LayerChart:
    """Box plot of days per step (``frame``: stage_label, days): whiskers min–max, box Q1–Q3, white median.

    The five numbers are computed here (linear quantiles, as Vega-Lite's boxplot computes them), so the chart
    carries one row per step instead of one per lead (100,000 leads made a multi-megabyte chart)."""
    days = frame.groupby("stage_label", sort=False)["days"]
    stats = pd.DataFrame({"min": days.min(), "q1": days.quantile(0.25), "median": days.median(), "q3": days.quantile(0.75),
                          "max": days.max(), "n": days.size()}).reset_index()
    base = alt.Chart(stats).encode(y=alt.Y("stage_label:N", sort=stage_order, title=y_title))
    tooltip = [alt.Tooltip("stage_label:N", title=y_title or " ")] + [
        alt.Tooltip(f"{k}:Q", title=k, format=",.0f" if k in ("min", "max", "n") else ",.1f") for k in ("n", "min", "q1", "median", "q3", "max")]
    whisker = base.mark_rule(color=PALETTE[0]).encode(x=alt.X("min:Q", title=x_title), x2="max:Q", tooltip=tooltip)
    box = base.mark_bar(size=18, color=PALETTE[0]).encode(x="q1:Q", x2="q3:Q", tooltip=tooltip)
    median = base.mark_tick(color="white", size=18, thickness=2).encode(x="median:Q", tooltip=tooltip)
    return alt.layer(whisker, box, median).properties(title=title, height=44 * max(1, len(stage_order)) + 90)


def payback_histogram(frame: pd.DataFrame, max_months: float, title: str, x_title: str, y_title: str,
                      within_label: str, over_label: str) -> alt.LayerChart:
    """Payback months in 1-month bins, bars within the rule in green and beyond in red, with a dashed rule."""
    data = frame[["payback_months"]].dropna().copy()
    # bins (k−1, k]: a bar lies wholly on one side of an integer rule (12.0 is within 12 months)
    data["bin_end"] = data["payback_months"].clip(lower=0).apply(math.ceil).clip(lower=1)
    data["bin"] = data["bin_end"] - 1
    data["band"] = data["bin_end"].le(max_months).map({True: within_label, False: over_label})
    counts = data.groupby(["bin", "bin_end", "band"]).size().rename("leads").reset_index()
    bars = alt.Chart(counts).mark_bar(binSpacing=1).encode(
        x=alt.X("bin:Q", bin=alt.Bin(binned=True, step=1), title=x_title), x2="bin_end:Q",
        y=alt.Y("leads:Q", title=y_title, axis=alt.Axis(tickMinStep=1)),
        color=alt.Color("band:N", title=None, scale=alt.Scale(domain=[within_label, over_label], range=[RAG_COLORS["green"], RAG_COLORS["red"]]),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("bin:Q", title=x_title), alt.Tooltip("bin_end:Q", title=x_title), alt.Tooltip("leads:Q", title=y_title)],
    )
    rule = guide_rule(max_months, axis="x", size=2)
    return alt.layer(bars, rule).properties(title=title, height=340)


def conversion_trend(frame: pd.DataFrame, x_title: str, y_title: str, step_order: list[str], title: str,
                     date_format: str = "%Y/%m") -> alt.Chart:
    """Conversion per creation week/month, a line per step (``frame``: period, step_label, conversion, reached).
    Dates are formatted numerically (no English month names in the Japanese UI)."""
    return alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("period:T", title=x_title, axis=alt.Axis(format=date_format, labelAngle=0)),
        y=alt.Y("conversion:Q", title=y_title, axis=alt.Axis(format=".0%")),
        color=alt.Color("step_label:N", title=None, sort=step_order, scale=alt.Scale(range=PALETTE), legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("period:T", title=x_title, format="%Y/%m/%d"), alt.Tooltip("step_label:N"), alt.Tooltip("conversion:Q", title=y_title, format=".1%"),
                 alt.Tooltip("reached:Q", format=",")],
    ).properties(title=title, height=400)


def region_bars(frame: pd.DataFrame, value: str, region_order: list[str], title: str, value_title: str,
                guide: tuple[float | None, float | None], colors: list[str], fmt: str = ",.1f") -> alt.LayerChart:
    """One bar per region (``frame``: region_label, ``value``) with the guide band/line drawn as dashed rules."""
    bars = alt.Chart(frame).mark_bar(size=28).encode(
        x=alt.X("region_label:N", sort=region_order, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{value}:Q", title=value_title),
        color=alt.Color("region_label:N", sort=region_order, scale=alt.Scale(domain=region_order, range=colors), legend=None),
        tooltip=[alt.Tooltip("region_label:N", title=None), alt.Tooltip(f"{value}:Q", title=value_title, format=fmt)],
    )
    labels = bars.mark_text(dy=-8, fontSize=12).encode(text=alt.Text(f"{value}:Q", format=fmt), color=alt.value("#24292F"))
    rules = [guide_rule(g)
             for g in guide if g is not None]
    return alt.layer(bars, labels, *rules).properties(title=title, height=320)


def timeline(frame: pd.DataFrame, kind_order: list[str], title: str, date_title: str) -> alt.Chart:
    """One deal's events on a time axis: a row per kind, a labelled point per event
    (``frame``: date, kind (stage / review / activity), kind_label, event, detail)."""
    # the labels start right of their point: room after the last event, or its label runs past the chart's edge
    dates = pd.to_datetime(frame["date"]).dropna()
    span = max(dates.max() - dates.min(), pd.Timedelta(days=7)) if len(dates) else pd.Timedelta(days=7)
    domain = [(dates.min() - span * 0.03).isoformat(), (dates.max() + span * 0.18).isoformat()] if len(dates) else None
    base = alt.Chart(frame).encode(
        x=alt.X("date:T", title=date_title, axis=alt.Axis(format="%Y/%m/%d", labelAngle=0),
                scale=alt.Scale(domain=domain) if domain else alt.Undefined),
        y=alt.Y("kind_label:N", sort=kind_order, title=None),
    )
    points = base.mark_point(filled=True, size=140).encode(
        color=alt.Color("kind_label:N", sort=kind_order, scale=alt.Scale(range=PALETTE), legend=None),
        shape=alt.Shape("kind_label:N", sort=kind_order, legend=None),
        tooltip=[alt.Tooltip("date:T", title=date_title, format="%Y/%m/%d"), alt.Tooltip("event:N"), alt.Tooltip("detail:N")],
    )
    # stage and review points are few and get a label; activities are many and keep theirs in the tooltip.
    # Events of one day share one label (リード / 接触): two labels at one point would print over each other.
    named = frame[frame["kind"].ne("activity")]
    # Neighbouring labels of a row alternate above and below their points, so that close dates do not collide.
    labels = named.groupby(["date", "kind_label"], sort=False)["event"].agg(lambda e: " / ".join(dict.fromkeys(map(str, e)))).reset_index()
    labels = labels.sort_values(["kind_label", "date"], kind="stable")
    labels["below"] = labels.groupby("kind_label").cumcount() % 2 == 1
    texts = [alt.Chart(labels).mark_text(align="left", dx=8, dy=dy, fontSize=11, angle=0).encode(
        x="date:T", y=alt.Y("kind_label:N", sort=kind_order), text="event:N").transform_filter(f"{'' if below else '!'}datum.below")
        for below, dy in ((False, -10), (True, 12))]
    return alt.layer(points, *texts).properties(title=title, height=70 * max(1, len(kind_order)) + 40)


# ------------------------------------------------------------------ weekly review, issue 15
SEGMENT_COLORS = {"hospital": "#1F77B4", "general": "#E07B39"}  # hospital blue, general B2B orange, on every chart


def segment_funnel(frame: pd.DataFrame, stage_order: list[str], segment_order: list[str], segment_colors: list[str],
                   titles: dict[str, str], height: int = 400) -> alt.Chart:
    """Hospital vs general B2B funnel: a bar per stage and segment, side by side, coloured by segment.
    ``frame`` columns: stage_label, segment_label, reached, conversion."""
    return alt.Chart(frame).mark_bar(cornerRadiusEnd=3).encode(
        x=alt.X("reached:Q", title=titles["reached"], axis=alt.Axis(format=",d", tickMinStep=1)),
        y=alt.Y("stage_label:N", sort=stage_order, title=None),
        yOffset=alt.YOffset("segment_label:N", sort=segment_order),
        color=alt.Color("segment_label:N", title=titles["segment"], scale=alt.Scale(domain=segment_order, range=segment_colors),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("segment_label:N", title=titles["segment"]), alt.Tooltip("stage_label:N", title=titles["stage"]),
                 alt.Tooltip("reached:Q", title=titles["reached"], format=","),
                 alt.Tooltip("conversion:Q", title=titles["conversion"], format=".1%")],
    ).properties(height=height)


def committee_calendar(frame: pd.DataFrame, start, end, committee_order: list[str], titles: dict[str, str],
                       color: str = SEGMENT_COLORS["hospital"]) -> alt.Chart:
    """The next days' hospital committees: a row per committee, a point per lead's date, the account on hover (the page
    lists them below: labels on the chart overlap when committees cluster). ``frame`` columns: date, committee_label,
    account, lead_id, days_ahead."""
    x = alt.X("date:T", title=titles["date"], scale=alt.Scale(domain=[pd.Timestamp(start).isoformat(), pd.Timestamp(end).isoformat()]),
              axis=alt.Axis(format="%m/%d", tickCount="week"))
    y = alt.Y("committee_label:N", sort=committee_order, title=None)
    return alt.Chart(frame).mark_point(filled=True, size=140, shape="diamond", color=color, opacity=0.8).encode(
        x=x, y=y, tooltip=[alt.Tooltip("date:T", title=titles["date"], format="%Y/%m/%d"), alt.Tooltip("committee_label:N", title=titles["committee"]),
                           alt.Tooltip("account:N", title=titles["account"]), alt.Tooltip("lead_id:N", title=titles["lead_id"]),
                           alt.Tooltip("days_ahead:Q", title=titles["days_ahead"])],
    ).properties(height=70 + 40 * max(len(committee_order), 1), title=titles.get("title", ""))


def rate_trend(frame: pd.DataFrame, x_title: str, y_title: str, guide: float | None = None, monthly: bool = True) -> alt.Chart:
    """A rate per period (line + points), with the guide as a red rule. ``frame`` columns: period, rate, leads."""
    axis = alt.Axis(format="%Y/%m", tickCount="month") if monthly else alt.Axis(format="%m/%d", tickCount="week")
    base = alt.Chart(frame).encode(
        x=alt.X("period:T", title=x_title, axis=axis),
        y=alt.Y("rate:Q", title=y_title, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("period:T", title=x_title, format="%Y/%m/%d"), alt.Tooltip("rate:Q", title=y_title, format=".0%"),
                 alt.Tooltip("leads:Q", title="n")])
    chart = base.mark_line(point=True, color=PALETTE[0])
    return alt.layer(chart, guide_rule(guide)) if guide is not None else chart
