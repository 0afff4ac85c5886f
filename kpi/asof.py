"""The one as_of rule (SPEC section 2): the date the numbers are for.

Given, it is that day at midnight. Not given, it is the latest date in the dataset, read from the dataset's
event columns below; where a dataset records whether the event happened (a visit attended, a session done),
the latest date of rows that happened wins, and the other rows are the fallback (SPEC 2: "for visits: the
latest attended visit_on"; the onboarding reading — the latest done session — is the same rule). Every kpi
module asks here instead of finding its own.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .targets import STAGE_DATE_COLUMNS


@dataclass(frozen=True)
class Rule:
    columns: tuple[str, ...]  # the event dates, latest wins
    happened: tuple[str, str] | None = None  # (column, code): rows that happened, preferred when any has a date
    fallback: tuple[str, ...] = ()  # dates read when no row that happened has one (planned dates)
    happened_when_absent: bool = False  # no status column: every row happened (visits: SPEC 1 default attended)


RULES: dict[str, Rule] = {
    "leads": Rule(tuple(STAGE_DATE_COLUMNS.values())),
    "activities": Rule(("activity_at",)),
    "visits": Rule(("visit_on",), happened=("status", "attended"), happened_when_absent=True),
    "onboarding": Rule(("held_on",), happened=("status", "done"), fallback=("scheduled_on",)),
    "referrals": Rule(("referred_on",)),
}

AsOf = dt.date | dt.datetime | pd.Timestamp | str | None


def at_midnight(value: AsOf) -> pd.Timestamp | None:
    """A date, datetime or ISO text as a Timestamp at midnight; None for None / NaT."""
    if value is None:
        return None
    ts = pd.Timestamp(value)
    return None if pd.isna(ts) else ts.normalize()


def _latest(frame: pd.DataFrame, columns: tuple[str, ...], mask: np.ndarray | None = None) -> pd.Timestamp | None:
    """The latest date over ``columns`` (of the rows in ``mask``: one column at a time, never a copy of the frame)."""
    present = [c for c in columns if c in frame.columns]
    if not present or frame.empty:
        return None
    latest = []
    for c in present:
        col = frame[c] if frame[c].dtype.kind == "M" else pd.to_datetime(frame[c], errors="coerce")
        m = (col[mask] if mask is not None else col).max()
        if not pd.isna(m):
            latest.append(m)
    return at_midnight(max(latest)) if latest else None


def default_as_of(kind: str, frame: pd.DataFrame | None) -> pd.Timestamp | None:
    """The latest date of ``kind``'s events in ``frame`` at midnight (None without dates).

    >>> visits = pd.DataFrame({"visit_on": pd.to_datetime(["2026-11-01", "2026-11-20"]), "status": ["attended", "cancelled"]})
    >>> default_as_of("visits", visits)
    Timestamp('2026-11-01 00:00:00')
    """
    if frame is None or frame.empty:
        return None
    rule = RULES[kind]
    if rule.happened is not None:
        column, code = rule.happened
        if column in frame.columns:
            mask = frame[column].eq(code).fillna(False).to_numpy(dtype=bool)
        else:
            mask = np.full(len(frame), rule.happened_when_absent)
        done = _latest(frame, rule.columns, mask) if mask.any() else None
        if done is not None:
            return done
        dates = [d for d in (_latest(frame, rule.columns), _latest(frame, rule.fallback)) if d is not None]
        return max(dates) if dates else None
    return _latest(frame, rule.columns)


def resolve(kind: str, frame: pd.DataFrame | None, as_of: AsOf = None) -> pd.Timestamp | None:
    """``as_of`` at midnight when given, else :func:`default_as_of`."""
    return at_midnight(as_of) if as_of is not None else default_as_of(kind, frame)
