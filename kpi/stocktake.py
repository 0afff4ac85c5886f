"""The monthly stocktake (月次棚卸し: 削る・足す) of the weekly review (issue 13): which registry KPIs to consider
cutting, from the stored weekly values (kpi.history ``trend_frame``).

A KPI is proposed for cutting when
* **it did not move**: its value is the same (within ``tolerance`` of its own scale) in each of the last
  ``still_weeks`` stored weeks (4 by default), or
* **it moves in lockstep with another**: over the stored weeks (at least ``min_weeks``) its week-to-week changes
  correlate with another KPI's at |r| ≥ ``lockstep_r`` (0.98): one of the two says what the other says. The pair is
  named once, the later KPI of the registry being the one proposed (the earlier one is kept).
KPIs with fewer stored values than needed are not judged. The stocktake also reminds that at most six KPIs are
headlines (Targets.headline_kpis); a proposal is a question for the meeting, never an automatic change.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

HEADLINE_MAX = 6
STILL_WEEKS = 4
LOCKSTEP_R = 0.98
MIN_WEEKS = 5


@dataclass(frozen=True)
class Proposal:
    key: str
    reason: str  # "still" | "lockstep"
    partner: str | None = None  # the KPI it moves with (lockstep)
    r: float | None = None


def propose_cuts(trend: pd.DataFrame, still_weeks: int = STILL_WEEKS, lockstep_r: float = LOCKSTEP_R,
                 min_weeks: int = MIN_WEEKS, tolerance: float = 1e-9) -> list[Proposal]:
    """``trend``: one row per stored week (oldest first), a ``week`` column and one column per KPI key."""
    values = trend.drop(columns=["week"], errors="ignore").apply(pd.to_numeric, errors="coerce")
    out: list[Proposal] = []
    still: set[str] = set()
    for key in values.columns:
        last = values[key].dropna().tail(still_weeks)
        if len(last) == still_weeks and len(values[key].tail(still_weeks).dropna()) == still_weeks:
            scale = max(abs(float(last.iloc[-1])), 1.0)
            if float(last.max() - last.min()) <= tolerance * scale:
                out.append(Proposal(key, "still"))
                still.add(key)
    changes = values.diff().iloc[1:]
    keys = [k for k in values.columns if k not in still and changes[k].notna().sum() >= min_weeks - 1 and changes[k].std(skipna=True) > 0]
    proposed: set[str] = set()
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            if b in proposed or a in proposed:
                continue
            both = changes[[a, b]].dropna()
            if len(both) < min_weeks - 1:
                continue
            r = float(np.corrcoef(both[a], both[b])[0, 1])
            if np.isfinite(r) and abs(r) >= lockstep_r:
                out.append(Proposal(b, "lockstep", a, r))
                proposed.add(b)
    return out


def is_stocktake_week(week) -> bool:
    """The first review of a month (its week's date falls on the month's first seven days)."""
    return pd.Timestamp(week).day <= 7
