"""Charts of the onboarding page (progress grid, reach, workload, success, NPS) and the referral liaison
page (monthly in/out per institution, trend ranking). Builders: frame + labels in, ``alt.Chart`` out."""
from __future__ import annotations

import altair as alt
import pandas as pd

from kpi.onboarding import GRID_STATES, PHASES
from ui.charts import PALETTE, RAG_COLORS

STATE_COLORS = {"done": "#2DA44E", "missed": "#CF222E", "scheduled": "#54AEFF", "not_yet": "#EAEEF2"}
PHASE_COLORS = {"kickoff": "#D0D7DE", "purpose": "#C8E1FF", "features": "#FFE3A3", "operation": "#D1F0D6"}
NPS_COLORS = {"promoter": "#2DA44E", "passive": "#D4A72C", "detractor": "#CF222E"}
LEVEL_COLORS = {"level1": "#2DA44E", "level2": "#54AEFF", "needs_support": "#CF222E"}
DIRECTION_COLORS = {"in": PALETTE[0], "out": PALETTE[1]}
CELL = 20  # px per user row: one readable label per row


def progress_heatmap(grid: pd.DataFrame, state_labels: dict[str, str], phase_labels: dict[str, str], titles: dict[str, str]) -> alt.LayerChart:
    """User × session 0–12 heatmap, users grouped by customer, with the four phases as a band above.

    ``grid``: customer, user, session_no, state (kpi.onboarding.progress_grid). ``titles``: session, user,
    state, phase, customer, title.
    """
    data = grid.assign(
        row=grid["customer"].astype(str) + "｜" + grid["user"].astype(str),
        state_label=grid["state"].map(state_labels),
        x0=grid["session_no"] - 0.45,
        x1=grid["session_no"] + 0.45,
    )
    order = data.sort_values(["customer", "user"])["row"].drop_duplicates().tolist()
    band_row = titles["phase"]
    bands = pd.DataFrame([{"phase": p, "label": phase_labels[p], "x0": lo - 0.5, "x1": hi + 0.5, "mid": (lo + hi) / 2, "row": band_row} for p, lo, hi in PHASES])
    y = alt.Y("row:N", sort=[band_row] + order, title=None, scale=alt.Scale(paddingInner=0.15), axis=alt.Axis(labelLimit=260, labelOverlap=False, ticks=False, domain=False))
    x_scale = alt.Scale(domain=[-0.5, 12.5], nice=False, zero=False)
    x = alt.X("x0:Q", scale=x_scale, title=titles["session"], axis=alt.Axis(values=list(range(13)), format="d", orient="top", grid=False))
    band = alt.Chart(bands).mark_rect(stroke="white", strokeWidth=2).encode(
        x=x, x2="x1:Q", y=y, color=alt.Color("phase:N", scale=alt.Scale(domain=list(PHASE_COLORS), range=list(PHASE_COLORS.values())), legend=None),
        tooltip=[alt.Tooltip("label:N", title=titles["phase"])],
    )
    band_text = alt.Chart(bands).mark_text(fontSize=10, color="#24292F").encode(x=alt.X("mid:Q", scale=x_scale), y=y, text="label:N")
    states = [state_labels[s] for s in GRID_STATES]
    cells = alt.Chart(data).mark_rect(cornerRadius=2).encode(
        x=x, x2="x1:Q", y=y,
        color=alt.Color("state_label:N", title=titles["state"], scale=alt.Scale(domain=states, range=[STATE_COLORS[s] for s in GRID_STATES]),
                        legend=alt.Legend(orient="bottom", direction="horizontal")),
        tooltip=[alt.Tooltip("customer:N", title=titles["customer"]), alt.Tooltip("user:N", title=titles["user"]),
                 alt.Tooltip("session_no:Q", title=titles["session"]), alt.Tooltip("state_label:N", title=titles["state"])],
    )
    return alt.layer(band, band_text, cells).resolve_scale(color="independent").properties(
        width=780, height=alt.Step(CELL), title=titles.get("title", ""))


def reach_bars(reached: pd.DataFrame, titles: dict[str, str]) -> alt.LayerChart:
    """Bars of the share of users who reached each session 1–12, labelled with the count.

    ``reached``: session_no, reached, share."""
    base = alt.Chart(reached).encode(x=alt.X("session_no:O", title=titles["session"], axis=alt.Axis(labelAngle=0)))
    bars = base.mark_bar(color=PALETTE[0]).encode(
        y=alt.Y("share:Q", title=titles["share"], axis=alt.Axis(format=".0%"), scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("session_no:O", title=titles["session"]), alt.Tooltip("reached:Q", title=titles["count"]),
                 alt.Tooltip("share:Q", title=titles["share"], format=".0%")],
    )
    text = base.mark_text(dy=-7, fontSize=11).encode(y="share:Q", text=alt.Text("reached:Q", format=","))  # 1,497
    return alt.layer(bars, text).properties(height=240)


def workload_lines(workload: pd.DataFrame, titles: dict[str, str]) -> alt.Chart:
    """Sessions (done + scheduled) per trainer per week. ``workload``: trainer, week, done, missed, scheduled."""
    data = workload.assign(sessions=workload["done"] + workload["scheduled"])
    return alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("week:T", title=titles["week"], axis=alt.Axis(format="%m/%d")),
        y=alt.Y("sessions:Q", title=titles["sessions"]),
        color=alt.Color("trainer:N", title=titles["trainer"], scale=alt.Scale(range=PALETTE)),
        tooltip=[alt.Tooltip("trainer:N", title=titles["trainer"]), alt.Tooltip("week:T", title=titles["week"], format="%Y/%m/%d"),
                 alt.Tooltip("done:Q", title=titles["done"]), alt.Tooltip("scheduled:Q", title=titles["scheduled"]),
                 alt.Tooltip("missed:Q", title=titles["missed"])],
    ).properties(height=240)


def stacked_share(frame: pd.DataFrame, group: str, category: str, count: str, colors: dict[str, str], labels: dict[str, str],
                  titles: dict[str, str]) -> alt.Chart:
    """Horizontal 100 % bars per group (customer or "all"), stacked by category in a fixed order:
    NPS promoters / passives / detractors, or success levels."""
    order = list(colors)
    data = frame.assign(label=frame[category].map(labels), order=frame[category].map({c: i for i, c in enumerate(order)}))
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y(f"{group}:N", title=None, sort=list(dict.fromkeys(data[group]))),
        x=alt.X(f"{count}:Q", stack="normalize", title=titles["share"], axis=alt.Axis(format=".0%")),
        color=alt.Color("label:N", title=titles["category"], scale=alt.Scale(domain=[labels[c] for c in order], range=list(colors.values())),
                        legend=alt.Legend(orient="bottom")),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip(f"{group}:N", title=titles["group"]), alt.Tooltip("label:N", title=titles["category"]),
                 alt.Tooltip(f"{count}:Q", title=titles["count"])],
    ).properties(height=alt.Step(26))


# ------------------------------------------------------------------ referrals
MONTH_STEPS = (1, 2, 3, 6, 12, 24, 60, 120)  # tick spacing in months, the first that keeps a panel's labels apart


def month_axis(months: pd.Series, lang: str = "ja", max_ticks: int = 3) -> alt.Axis:
    """A month axis whose labels always carry the year (2026年4月 / Apr 2026; 2020年 / 2020 when ticks are a
    year or more apart), one tick per whole month or per whole years, at most ``max_ticks`` labels: a span of
    many years reads as years, never as a row of 4月 without their year."""
    valid = pd.to_datetime(months).dropna()
    span = (valid.max().year - valid.min().year) * 12 + valid.max().month - valid.min().month + 1 if len(valid) else 1
    step = next((s for s in MONTH_STEPS if span / s <= max_ticks), MONTH_STEPS[-1] * (span // (MONTH_STEPS[-1] * max_ticks) + 1))
    if step >= 12:
        return alt.Axis(format="%Y年" if lang != "en" else "%Y", tickCount={"interval": "year", "step": step // 12}, labelOverlap=True)
    return alt.Axis(format="%Y年%-m月" if lang != "en" else "%b %Y", tickCount={"interval": "month", "step": step}, labelOverlap=True)


def monthly_in_out(monthly: pd.DataFrame, direction_labels: dict[str, str], titles: dict[str, str], order: list[str] | None = None,
                   columns: int = 4) -> alt.FacetChart:
    """Small multiples: per institution, referrals in and out by month. ``monthly``: institution, month, in,
    out; ``order``: the institutions in the order to show (default: as they come)."""
    long = monthly.melt(id_vars=["institution", "month"], value_vars=["in", "out"], var_name="direction", value_name="count")
    long["direction_label"] = long["direction"].map(direction_labels)
    order = order or list(dict.fromkeys(monthly["institution"]))
    return alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("month:T", title=None, axis=month_axis(monthly["month"], titles.get("lang", "ja"))),
        y=alt.Y("count:Q", title=titles["count"]),
        color=alt.Color("direction_label:N", title=titles["direction"],
                        scale=alt.Scale(domain=[direction_labels["in"], direction_labels["out"]], range=[DIRECTION_COLORS["in"], DIRECTION_COLORS["out"]]),
                        legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("institution:N", title=titles["institution"]), alt.Tooltip("month:T", title=titles["month"], format="%Y-%m"),
                 alt.Tooltip("direction_label:N", title=titles["direction"]), alt.Tooltip("count:Q", title=titles["count"])],
    ).properties(width=190, height=120).facet(
        facet=alt.Facet("institution:N", title=None, sort=order, header=alt.Header(labelFontSize=12, labelLimit=190)), columns=columns)


def trend_bars(trend: pd.DataFrame, titles: dict[str, str]) -> alt.Chart:
    """Diverging bars of the change in referrals in (last 3 months − the 3 before), falling first."""
    data = trend.assign(direction=(trend["change"] < 0).map({True: "down", False: "up"}))
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y("institution:N", sort=data["institution"].tolist(), title=None, axis=alt.Axis(labelOverlap=False, labelLimit=280)),
        x=alt.X("change:Q", title=titles["change"]),
        color=alt.Color("direction:N", scale=alt.Scale(domain=["down", "up"], range=[RAG_COLORS["red"], RAG_COLORS["green"]]), legend=None),
        tooltip=[alt.Tooltip("institution:N", title=titles["institution"]), alt.Tooltip("in_prior3:Q", title=titles["in_prior3"]),
                 alt.Tooltip("in_last3:Q", title=titles["in_last3"]), alt.Tooltip("change:Q", title=titles["change"]),
                 alt.Tooltip("change_rate:Q", title=titles["change_rate"], format="+.0%")],
    ).properties(height=alt.Step(20))
