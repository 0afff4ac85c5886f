"""The `metrics` JSON of SPEC section 3: one section per dataset kind, from the same KPI functions the
pages call (several files of one kind are combined before, by kpi.combine).
"""
from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd

from .targets import Targets


def metrics(frames: dict[str, pd.DataFrame], as_of: dt.date | None = None, targets: Targets | None = None) -> dict[str, Any]:
    """SPEC section 3 `metrics`: a section per dataset kind present (adoption when leads are present).

    ``as_of`` None means each section's own default (the latest date in its dataset, SPEC section 2).
    """
    import importlib

    targets = targets or Targets()
    out: dict[str, Any] = {}
    # (section, module, function, positional frames): a section per dataset kind present, in SPEC order.
    sections = [
        ("leads", "funnel", "leads_section", ("leads",), True),
        ("activities", "habits", "activities_section", ("activities",), True),
        ("visits", "clinic", "visits_section", ("visits",), False),
        ("onboarding", "onboarding", "onboarding_section", ("onboarding",), True),
        ("adoption", "adoption", "adoption_section", ("leads", "activities"), True),
        ("referrals", "referrals", "referrals_section", ("referrals",), False),
    ]
    leads_as_of = as_of
    if as_of is None and "leads" in frames:
        # The leads and adoption sections both default to the funnel's as_of (the latest date in the leads):
        # resolved once here instead of once per section (a scan of every stage date: ~30 ms per 100k leads).
        from .funnel import default_as_of

        leads_as_of = default_as_of(frames["leads"])
    for name, module, function, kinds, takes_targets in sections:
        if kinds[0] not in frames:
            continue
        compute = getattr(importlib.import_module(f"kpi.{module}"), function)
        day = leads_as_of if kinds[0] == "leads" else as_of
        args = [frames.get(k) for k in kinds] + [day] + ([targets] if takes_targets else [])
        out[name] = compute(*args)
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
