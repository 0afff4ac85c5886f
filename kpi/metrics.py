"""The `metrics` JSON of SPEC section 3: one section per dataset kind, from the same KPI functions the
pages call. Also the helpers the CLI and the pages share to turn several files into one frame per kind.
"""
from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd

from .targets import Targets


def combine(frames: list[tuple[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """Several loaded files -> one frame per kind (files of the same kind are stacked in order)."""
    by_kind: dict[str, list[pd.DataFrame]] = {}
    for kind, frame in frames:
        by_kind.setdefault(kind, []).append(frame)
    return {k: v[0] if len(v) == 1 else pd.concat(v, ignore_index=True) for k, v in by_kind.items()}


def metrics(frames: dict[str, pd.DataFrame], as_of: dt.date | None = None, targets: Targets | None = None) -> dict[str, Any]:
    """SPEC section 3 `metrics`: a section per dataset kind present (adoption when leads are present).

    ``as_of`` None means each section's own default (the latest date in its dataset, SPEC section 2).
    """
    from . import adoption, clinic, funnel, habits, onboarding, referrals

    targets = targets or Targets()
    out: dict[str, Any] = {}
    if "leads" in frames:
        out["leads"] = funnel.leads_section(frames["leads"], as_of, targets)
    if "activities" in frames:
        out["activities"] = habits.activities_section(frames["activities"], as_of)
    if "visits" in frames:
        out["visits"] = clinic.visits_section(frames["visits"], as_of)
    if "onboarding" in frames:
        out["onboarding"] = onboarding.onboarding_section(frames["onboarding"], as_of, targets)
    if "leads" in frames:
        out["adoption"] = adoption.adoption_section(frames["leads"], frames.get("activities"), as_of, targets)
    if "referrals" in frames:
        out["referrals"] = referrals.referrals_section(frames["referrals"], as_of)
    return json_ready(out)


def json_ready(value: Any) -> Any:
    """Plain JSON types: numpy scalars -> Python, NaN -> None, dates -> ISO strings."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if value is pd.NaT or value is None:
        return None
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return value.date().isoformat() if value == pd.Timestamp(value).normalize() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value
