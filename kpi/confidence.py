"""Confidence of a headline KPI (信頼度 high / medium / low) from the rows that feed it.

A conversion computed from half-empty or stale rows is not the same number as one from clean rows, so every
headline tile carries a badge. The badge is derived from three measurable things of the *input rows*:

* fill rate   — share of non-missing cells over the columns the KPI reads (a column absent from the file
                counts as empty);
* freshness   — share of rows updated within ``fresh_days`` of ``as_of`` (only when an update-date column is
                given and present; leads use ``updated_on``). Where the rows have a ``status``, only the open
                ones are measured: a won or lost deal is final, not stale (SPEC 7 names freshness; this reading,
                the adoption score's own for its freshness sub-score, is ours);
* sample size — how many rows feed the number (fewer than 10 → low, fewer than 30 → at most medium).

Level rule (documented choice; SPEC section 2 names the inputs, not the thresholds): each measured
component is graded high ≥ 0.90, medium ≥ 0.70, low below; the KPI takes the worst grade of its components
and of its sample size. Reasons are returned in both languages so the CLI and pages show the same text.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, Sequence

import pandas as pd

from .messages import text

Level = Literal["high", "medium", "low"]
_ORDER: dict[str, int] = {"high": 2, "medium": 1, "low": 0}
HIGH, MEDIUM = 0.90, 0.70
MIN_ROWS_MEDIUM, MIN_ROWS_HIGH = 10, 30


@dataclass(frozen=True)
class Confidence:
    level: Level
    rows: int
    fill_rate: float | None
    freshness: float | None
    reasons: tuple[str, ...]
    owner_hint: str | None = None


def _grade(value: float) -> Level:
    return "high" if value >= HIGH else "medium" if value >= MEDIUM else "low"


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def confidence(
    frame: pd.DataFrame | None,
    columns: Sequence[str],
    as_of: dt.date | pd.Timestamp | None = None,
    updated_column: str | None = None,
    fresh_days: int = 14,
    owner_hint: str | None = None,
    lang: str = "ja",
) -> Confidence:
    """Grade the rows behind one KPI.

    >>> df = pd.DataFrame({"a": range(40), "b": [1.0] * 40})
    >>> confidence(df, ["a", "b"]).level
    'high'
    >>> confidence(df.head(5), ["a"]).level   # too few rows
    'low'
    """
    rows = 0 if frame is None else len(frame)
    if rows == 0:
        return Confidence("low", 0, None, None, (text("confidence.no_rows", lang),), owner_hint)
    cols = list(columns)
    filled = [frame[c].notna().mean() if c in frame.columns else 0.0 for c in cols]
    fill_rate = float(sum(filled) / len(filled)) if filled else None
    freshness = None
    if updated_column and updated_column in frame.columns and as_of is not None:
        measured = frame[frame["status"].eq("open").fillna(False).astype(bool)] if "status" in frame.columns else frame
        if len(measured):
            updated = pd.to_datetime(measured[updated_column])
            cutoff = pd.Timestamp(as_of) - pd.Timedelta(days=fresh_days)
            freshness = float((updated >= cutoff).mean())

    grades: list[Level] = []
    reasons: list[str] = []
    if fill_rate is not None:
        grades.append(_grade(fill_rate))
        reasons.append(text("confidence.fill_rate", lang, pct=_pct(fill_rate)))
        worst = [c for c, f in zip(cols, filled) if f < HIGH]
        if worst:
            reasons.append(text("confidence.sparse", lang, columns=", ".join(worst)))
    if freshness is not None:
        grades.append(_grade(freshness))
        key = "confidence.fresh_open" if "status" in frame.columns else "confidence.fresh"
        reasons.append(text(key, lang, days=fresh_days, pct=_pct(freshness)))
    size_level: Level = "low" if rows < MIN_ROWS_MEDIUM else "medium" if rows < MIN_ROWS_HIGH else "high"
    grades.append(size_level)
    reasons.append(text("confidence.rows", lang, rows=f"{rows:,}"))
    level = min(grades, key=_ORDER.__getitem__)
    return Confidence(level, rows, fill_rate, freshness, tuple(reasons), owner_hint)
