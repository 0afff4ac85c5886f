"""The regions page's view (pure pandas): the funnel per region over a period, each region's bottleneck step, and
visits / travel per day per region. The drill-down (region → account → lead) reads kpi.funnel directly."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from . import funnel
from .targets import Targets


@dataclass(frozen=True)
class RegionsView:
    """Everything the regions page's overview shows, computed once (the page only renders it)."""

    by_region: pd.DataFrame  # funnel.funnel_by(..., "region", ...): one row per region and stage
    necks: dict[str, str | None]  # region -> its bottleneck stage
    activity: pd.DataFrame | None  # funnel.activity_by_region; None without activities


def regions_view(leads: pd.DataFrame, activities: pd.DataFrame | None, as_of: pd.Timestamp, targets: Targets, start, end) -> RegionsView:
    """The regions page's view of ``leads`` (cohort mode, leads created in [start, end]) as of ``as_of``."""
    by_region = funnel.funnel_by(leads, "region", as_of, targets, "cohort", start, end)
    return RegionsView(by_region, {r: funnel.bottleneck(g) for r, g in by_region.groupby("region")},
                       funnel.activity_by_region(activities, as_of) if activities is not None else None)
