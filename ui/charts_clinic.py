"""Clinic charts: patient mix, KPI lines with their guide, clinics side by side, second-visit cohorts with
pending shown as pending, continuation, cohort heatmap, booking backlog and net bookings.

Builders take frames and already-translated titles and return Altair charts; no ``st`` here.
"""
from __future__ import annotations

import altair as alt
import pandas as pd

from ui.charts import PALETTE, RAG_COLORS, guide_rule

PENDING_COLOR = "#D0D7DE"
UNDETERMINED_COLOR = "#8C959F"


def patient_mix_bars(frame: pd.DataFrame, month: str, parts: dict[str, str], colors: dict[str, str], title: str,
                     x_title: str, y_title: str, height: int = 380) -> alt.Chart:
    """Monthly stacked bars; ``parts`` maps column -> label in stacking order (bottom first)."""
    long = frame[[month, *parts]].melt(id_vars=[month], var_name="part", value_name="patients")
    long["label"] = long["part"].map(parts)
    long["order"] = long["part"].map({p: i for i, p in enumerate(parts)})
    long = long[long["patients"] > 0]
    labels = list(parts.values())
    return alt.Chart(long).mark_bar().encode(
        x=alt.X(f"{month}:O", title=x_title, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("patients:Q", title=y_title, stack="zero"),
        color=alt.Color("label:N", title=None, scale=alt.Scale(domain=labels, range=[colors[p] for p in parts]),
                        legend=alt.Legend(orient="bottom")),
        order=alt.Order("order:Q", sort="ascending"),
        tooltip=[alt.Tooltip(f"{month}:O", title=x_title), alt.Tooltip("label:N", title=None), alt.Tooltip("patients:Q", title=y_title, format=",")],
    ).properties(title=title, height=height)


def line_with_guide(frame: pd.DataFrame, x: str, y: str, guide: float | None, title: str, x_title: str, y_title: str,
                    value_format: str = ",.1f", color: str | None = None, height: int = 320) -> alt.LayerChart:
    """A monthly KPI line (one per ``color`` group) and the dashed guide line it is compared against."""
    data = frame[[c for c in (x, y, color) if c]].dropna(subset=[y])
    enc_color = alt.Color(f"{color}:N", title=None, legend=alt.Legend(orient="bottom")) if color else alt.value(PALETTE[0])
    line = alt.Chart(data).mark_line(point=True, strokeWidth=2.5).encode(
        x=alt.X(f"{x}:O", title=x_title, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=value_format), scale=alt.Scale(zero=False)),
        color=enc_color,
        tooltip=[alt.Tooltip(f"{x}:O", title=x_title), alt.Tooltip(f"{y}:Q", title=y_title, format=value_format)]
        + ([alt.Tooltip(f"{color}:N")] if color else []),
    )
    layers: list = [line]
    if guide is not None:
        layers.insert(0, guide_rule(guide, strokeWidth=1.5))
    return alt.layer(*layers).properties(title=title, height=height)


def clinic_bars(frame: pd.DataFrame, clinic: str, month: str, value: str, title: str, x_title: str, value_title: str,
                value_format: str = ",.0f", guide: float | None = None, height: int = 360) -> alt.LayerChart:
    """Grouped bars: each month, one bar per clinic side by side (optional dashed guide)."""
    data = frame[[clinic, month, value]].dropna(subset=[value])
    bars = alt.Chart(data).mark_bar().encode(
        x=alt.X(f"{month}:O", title=x_title, axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset(f"{clinic}:N"),
        y=alt.Y(f"{value}:Q", title=value_title, axis=alt.Axis(format=value_format)),
        color=alt.Color(f"{clinic}:N", title=None, scale=alt.Scale(range=PALETTE), legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip(f"{clinic}:N"), alt.Tooltip(f"{month}:O", title=x_title), alt.Tooltip(f"{value}:Q", title=value_title, format=value_format)],
    )
    layers: list = [bars]
    if guide is not None:
        layers.append(guide_rule(guide))
    return alt.layer(*layers).properties(title=title, height=height)


def second_visit_bars(frame: pd.DataFrame, month: str, rate: str, eligible: str, pending: str, target: float | None,
                      pending_label: str, title: str, x_title: str, y_title: str, height: int = 360) -> alt.LayerChart:
    """Second-visit rate per cohort month. Months with no eligible new patient get a grey 'pending' bar (never 0 %);
    months with some pending patients carry the pending count in their label."""
    data = frame[[month, rate, eligible, pending]].copy()
    data = data[(data[eligible] + data[pending]) > 0]
    data["is_pending"] = data[rate].isna()
    data["bar"] = data[rate].where(~data["is_pending"], 1.0)
    data["text"] = [
        (pending_label.format(n=int(p)) if pd.isna(r) else f"{r:.0%}" + (f"  ({pending_label.format(n=int(p))})" if p else ""))
        for r, p in zip(data[rate], data[pending])
    ]
    base = alt.Chart(data).encode(x=alt.X(f"{month}:O", title=x_title, axis=alt.Axis(labelAngle=0)))
    bars = base.mark_bar().encode(
        y=alt.Y("bar:Q", title=y_title, axis=alt.Axis(format=".0%"), scale=alt.Scale(domain=[0, 1.1])),
        color=alt.condition("datum.is_pending", alt.value(PENDING_COLOR), alt.value(PALETTE[0])),
        opacity=alt.condition("datum.is_pending", alt.value(0.6), alt.value(1.0)),
        tooltip=[alt.Tooltip(f"{month}:O", title=x_title), alt.Tooltip("text:N", title=y_title),
                 alt.Tooltip(f"{eligible}:Q"), alt.Tooltip(f"{pending}:Q")],
    )
    labels = base.mark_text(dy=-8, fontSize=11, color="#24292F").encode(y=alt.Y("bar:Q"), text="text:N")
    layers: list = [bars, labels]
    if target is not None:
        layers.append(guide_rule(target))
    return alt.layer(*layers).properties(title=title, height=height)


def continuation_bars(frame: pd.DataFrame, label: str, share: str, title: str, y_title: str, height: int = 320) -> alt.LayerChart:
    """Share of new patients reaching visit n, in visit order, with % labels."""
    order = list(frame[label])
    base = alt.Chart(frame).encode(x=alt.X(f"{label}:N", sort=order, title=None, axis=alt.Axis(labelAngle=0)))
    bars = base.mark_bar(color=PALETTE[0]).encode(
        y=alt.Y(f"{share}:Q", title=y_title, axis=alt.Axis(format=".0%"), scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip(f"{label}:N"), alt.Tooltip(f"{share}:Q", format=".1%")],
    )
    text = base.mark_text(dy=-8, fontSize=12).encode(y=f"{share}:Q", text=alt.Text(f"{share}:Q", format=".0%"))
    return alt.layer(bars, text).properties(title=title, height=height)


def cohort_heatmap(frame: pd.DataFrame, cohort: str, months_since: str, share: str, title: str, x_title: str,
                   y_title: str, share_title: str) -> alt.LayerChart:
    """Cohort grid: rows = month of first visit, columns = months since; sequential colour and % labels."""
    n_rows = max(1, frame[cohort].nunique())
    base = alt.Chart(frame).encode(
        x=alt.X(f"{months_since}:O", title=x_title, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{cohort}:O", title=y_title, sort="ascending"),
    )
    rect = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color(f"{share}:Q", title=share_title, scale=alt.Scale(scheme="blues", domain=[0, 1]),
                        legend=alt.Legend(format=".0%", orient="right")),
        tooltip=[alt.Tooltip(f"{cohort}:O", title=y_title), alt.Tooltip(f"{months_since}:O", title=x_title),
                 alt.Tooltip(f"{share}:Q", title=share_title, format=".1%"), alt.Tooltip("cohort_size:Q"), alt.Tooltip("active:Q")],
    )
    text = base.mark_text(fontSize=11).encode(
        text=alt.Text(f"{share}:Q", format=".0%"),
        color=alt.condition(f"datum.{share} > 0.55", alt.value("white"), alt.value("#24292F")),
    )
    return alt.layer(rect, text).properties(title=title, height=120 + 36 * n_rows)


def backlog_trend_lines(frame: pd.DataFrame, date: str, series: dict[str, str], title: str, x_title: str, y_title: str,
                        legend_title: str, height: int = 380) -> alt.Chart:
    """The daily backlog, one line per horizon (w1..w4 -> labels in ``series``)."""
    long = frame[[date, *series]].melt(id_vars=[date], var_name="w", value_name="backlog")
    long["label"] = long["w"].map(series)
    return alt.Chart(long).mark_line(strokeWidth=2).encode(
        x=alt.X(f"{date}:T", title=x_title, axis=alt.Axis(format="%m/%d")),
        y=alt.Y("backlog:Q", title=y_title),
        color=alt.Color("label:N", title=legend_title, sort=list(series.values()), scale=alt.Scale(range=PALETTE),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip(f"{date}:T", title=x_title, format="%Y/%m/%d"), alt.Tooltip("label:N", title=legend_title),
                 alt.Tooltip("backlog:Q", title=y_title, format=",")],
    ).properties(title=title, height=height)


def net_bookings_bars(frame: pd.DataFrame, date: str, net: str, up_label: str, down_label: str, title: str, x_title: str,
                      y_title: str, height: int = 340) -> alt.Chart:
    """Daily net bookings: green when the book grows, red when it shrinks."""
    data = frame[[date, net]].dropna().copy()
    data["direction"] = data[net].ge(0).map({True: up_label, False: down_label})
    return alt.Chart(data).mark_bar().encode(
        x=alt.X(f"{date}:T", title=x_title, axis=alt.Axis(format="%m/%d")),
        y=alt.Y(f"{net}:Q", title=y_title),
        color=alt.Color("direction:N", title=None, scale=alt.Scale(domain=[up_label, down_label], range=[RAG_COLORS["green"], RAG_COLORS["red"]]),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip(f"{date}:T", title=x_title, format="%Y/%m/%d"), alt.Tooltip(f"{net}:Q", title=y_title, format="+,")],
    ).properties(title=title, height=height)


def staff_bars(frame: pd.DataFrame, staff: str, value: str, title: str, value_title: str, value_format: str = ".0%",
               guide: float | None = None, height: int | None = None) -> alt.LayerChart:
    """One horizontal bar per staff member, in the table's order, value labels at the bar ends, an optional dashed
    guide. Staff without a value (no eligible new patient) are left out."""
    data = frame[[staff, value]].dropna(subset=[value])
    order = list(data[staff])
    base = alt.Chart(data).encode(y=alt.Y(f"{staff}:N", sort=order, title=None, axis=alt.Axis(labelLimit=200)))
    bars = base.mark_bar(color=PALETTE[0]).encode(
        x=alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(format=value_format)),
        tooltip=[alt.Tooltip(f"{staff}:N", title=None), alt.Tooltip(f"{value}:Q", title=value_title, format=value_format)],
    )
    text = base.mark_text(align="left", dx=4, fontSize=11, color="#24292F").encode(
        x=f"{value}:Q", text=alt.Text(f"{value}:Q", format=value_format))
    layers: list = [bars, text]
    if guide is not None:
        layers.append(guide_rule(guide, axis="x"))
    return alt.layer(*layers).properties(title=title, height=height or max(120, 36 * len(data)))


def cohort_outcome_bars(frame: pd.DataFrame, month: str, rates: dict[str, str], complete: str, pending_label: str, title: str,
                        x_title: str, y_title: str, height: int = 340) -> alt.LayerChart:
    """Drop-out and retention per month of first visit, side by side (``rates``: column -> label). A month whose
    window is not complete gets one grey 'pending' bar — never 0 %, never counted as drop-outs."""
    rows = []
    for _, r in frame.iterrows():
        if bool(r[complete]):
            rows += [{month: r[month], "label": label, "bar": r[col], "pending": False, "text": f"{r[col]:.0%}"}
                     for col, label in rates.items() if pd.notna(r[col])]
        else:
            rows.append({month: r[month], "label": pending_label, "bar": 1.0, "pending": True, "text": pending_label})
    data = pd.DataFrame(rows, columns=[month, "label", "bar", "pending", "text"])
    domain = list(rates.values()) + [pending_label]
    base = alt.Chart(data).encode(x=alt.X(f"{month}:O", title=x_title, axis=alt.Axis(labelAngle=0)), xOffset=alt.XOffset("label:N", sort=domain))
    bars = base.mark_bar().encode(
        y=alt.Y("bar:Q", title=y_title, axis=alt.Axis(format=".0%"), scale=alt.Scale(domain=[0, 1.1])),
        color=alt.Color("label:N", title=None, sort=domain, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=domain, range=[PALETTE[4], PALETTE[2], PENDING_COLOR][:len(domain)])),
        tooltip=[alt.Tooltip(f"{month}:O", title=x_title), alt.Tooltip("label:N", title=None), alt.Tooltip("text:N", title=y_title)],
    )
    labels = base.mark_text(dy=-8, fontSize=10, color="#24292F").encode(y="bar:Q", text="text:N")
    return alt.layer(bars, labels).properties(title=title, height=height)
