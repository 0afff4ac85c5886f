"""The weekly review page's numbers (週次レビュー), computed once as one frozen :class:`WeeklyView` (issue 12: a page
reads its filters, asks for its view, renders it).

:func:`weekly_view` composes what the page shows from the kpi modules it already had: the review of the week
(kpi.report.weekly_review: bottleneck, this week vs last, the leads behind it, the causes), the registry's values and
tiles (the three layers, the bottleneck step's rate and the overall conversion as registry tiles, 働き方KPI, 差し戻し),
the one-line diary (kpi.diary), hospitals vs general B2B and the send-backs (kpi.funnel), the KPIs calling for a
playbook remedy (kpi.playbook.kpis_calling) and the monthly stocktake (kpi.stocktake). Pure computation: the words are
the strings tables', the widgets the page's (ui/weekly_sections.py).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from . import diary, funnel, registry, report
from . import playbook as pb
from .stocktake import Proposal, is_stocktake_week, propose_cuts
from .targets import Targets

# the week in the team's three layers: 結果 first, then what feeds it (手前), then the habits
LAYER_TILES = {"result": ("poc_count", "approval_rate", "payback_months_median"),
               "leading": ("new_leads_week", "lead_count", "contact_count", "meeting_rate"),
               "habit": ("minutes_within_24h_rate", "key_person_rate", "work_style_kpi_rate", "review_capture_rate")}
# registry tiles of the hospital / B2B block and of 差し戻し
HB_TILES = ("key_person_rate", "work_style_kpi_rate", "review_capture_rate")
SENT_BACK_TILE = "sent_back_rate"
TREND_BY = ("month", "week")


@dataclass(frozen=True)
class Bottleneck:
    """The one problem of the week: the step (a, b stage codes), its rate and the overall conversion as registry
    tiles (this week vs the week before), the leads stopped at the step (this week and last) and the stall limit."""

    stage: str
    step: tuple[str, str]
    row: pd.Series                   # the stage's row of this week vs last (conversion, target, rag, lost …)
    conversion: registry.TileView    # kpi.playbook.BOTTLENECK_KPI[stage] (poc_rate …)
    overall: registry.TileView       # overall_rate
    lost_prev: float                 # the leads stopped at the step the week before (row["lost"] is this week's)
    stall_days: int | None           # the stage's stall limit


@dataclass(frozen=True)
class WeeklyView:
    """Everything the weekly review page shows for one week."""

    week: dt.date                                  # the review's as_of (a day)
    review: report.WeeklyReview
    values: dict[str, float | None]                # every registry KPI this week (kpi.registry.values)
    layers: tuple[tuple[str, tuple[registry.TileView, ...]], ...]   # (layer, tiles) 結果 / 手前 / 習慣, no 信頼度
    tiles: dict[str, registry.TileView]            # registry tiles with 信頼度: HB_TILES and SENT_BACK_TILE
    bottleneck: Bottleneck | None
    story: diary.Story | None                      # None without activities
    settings: pb.ReviewSettings
    segment_funnel: pd.DataFrame | None            # hospitals vs general B2B (kpi.funnel.hospital_b2b_funnel)
    committees: pd.DataFrame                       # committee dates ahead (kpi.funnel.committee_calendar)
    fiscal: pd.DataFrame                           # general B2B fiscal year ends (kpi.funnel.b2b_fiscal_flags)
    sent_back_trend: dict[str, pd.DataFrame]       # "month" / "week" -> kpi.funnel.sent_back_trend
    reasons: pd.DataFrame                          # lost and send-back reasons ranked (kpi.funnel.reason_ranking)
    calling: tuple[tuple[str, bool, bool], ...]    # KPIs calling for a playbook remedy (kpi.playbook.kpis_calling)
    stocktake_week: bool                           # the monthly stocktake is due (kpi.stocktake.is_stocktake_week)
    cuts: tuple[Proposal, ...] | None              # KPIs to cut (kpi.stocktake.propose_cuts); None without a trend


def _bottleneck(review: report.WeeklyReview, leads: pd.DataFrame, targets: Targets, lang: str) -> Bottleneck | None:
    if review.bottleneck is None:
        return None
    week = review.as_of.date()
    row = review.row(review.bottleneck)
    prev_lost = review.previous_table.set_index("stage").loc[review.bottleneck, "lost"]
    conversion = registry.tile(pb.BOTTLENECK_KPI[review.bottleneck], _number(row["conversion"]), targets,
                               _number(row["conversion_prev"]), frames={"leads": leads}, as_of=week, lang=lang)
    overall = registry.tile("overall_rate", _number(funnel.overall_conversion(review.table)), targets,
                            _number(funnel.overall_conversion(review.previous_table)), frames={"leads": leads}, as_of=week,
                            lang=lang)
    return Bottleneck(review.bottleneck, review.step, row, conversion, overall, prev_lost, targets.stall_days.get(review.step[0]))


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def weekly_view(leads: pd.DataFrame, activities: pd.DataFrame | None, as_of: dt.date | pd.Timestamp | None,
                targets: Targets | None = None, lang: str = "ja", trend: pd.DataFrame | None = None) -> WeeklyView:
    """The weekly review as of ``as_of`` (None: the leads' default). ``trend``: the stored weeks' KPI trend (the
    workspace's ``Store.trend_frame``) for the stocktake, None without a workspace."""
    targets = targets or Targets()
    review = report.weekly_review(leads, activities, as_of, targets)
    week = review.as_of.date()
    sales = {"leads": leads} | ({"activities": activities} if activities is not None else {})
    values = registry.values(sales, week, targets)
    layers = tuple((layer, tuple(registry.tile(k, values.get(k), targets, lang=lang) for k in keys)) for layer, keys in LAYER_TILES.items())
    tiles = {k: registry.tile(k, values.get(k), targets, frames=sales, as_of=week, lang=lang) for k in (*HB_TILES, SENT_BACK_TILE)}
    settings = pb.SETTINGS
    return WeeklyView(
        week=week, review=review, values=values, layers=layers, tiles=tiles,
        bottleneck=_bottleneck(review, leads, targets, lang),
        story=diary.story(activities, week) if activities is not None else None,
        settings=settings,
        segment_funnel=funnel.hospital_b2b_funnel(leads, week, targets),
        committees=funnel.committee_calendar(leads, week, settings.committee_horizon_days),
        fiscal=funnel.b2b_fiscal_flags(leads, week, settings.fiscal_heavy_months),
        sent_back_trend={by: funnel.sent_back_trend(leads, week, by) for by in TREND_BY},
        reasons=funnel.reason_ranking(leads, week),
        calling=tuple(pb.kpis_calling(values, review.bottleneck, targets)),
        stocktake_week=is_stocktake_week(week),
        cuts=tuple(propose_cuts(trend)) if trend is not None else None,
    )
