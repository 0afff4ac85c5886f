"""Default targets, stall limits and guides (SPEC section 2), and the red/yellow/green rule.

A team can keep its own targets as a JSON file: ``Targets.from_json`` / ``Targets.to_json``.
Every page, the CLI and the workbook take a ``Targets`` object; nothing hard-codes a target.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Literal

import numpy as np

STAGES: tuple[str, ...] = ("lead", "contact", "meeting", "poc", "approval", "collected")
STAGE_DATE_COLUMNS: dict[str, str] = {
    "lead": "created_at",
    "contact": "contacted_on",
    "meeting": "meeting_on",
    "poc": "poc_on",
    "approval": "approved_on",
    "collected": "collected_on",
}

Rag = Literal["green", "yellow", "red"]


class FrozenDict(dict):
    """A dict that cannot change after it is made, hence hashable: what lets ``Targets`` be a cache key itself.
    Still a ``dict`` for every reader (``[]``, ``.get``, ``.items``, ``{**x}``, ``json.dumps``, ``pd.Series.map``)."""

    __slots__ = ("_hash",)

    def __hash__(self) -> int:  # type: ignore[override]
        try:
            return self._hash
        except AttributeError:
            self._hash = hash(tuple(sorted(self.items())))
            return self._hash

    def _frozen(self, *args, **kwargs):
        raise TypeError("Targets are immutable: make a new one with dataclasses.replace")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _frozen  # type: ignore[assignment]

    def __reduce__(self):
        return (FrozenDict, (dict(self),))

    def __repr__(self) -> str:
        return f"FrozenDict({dict.__repr__(self)})"


def _default_step_targets() -> FrozenDict:
    return FrozenDict({"contact": 0.60, "meeting": 0.20, "poc": 0.40, "approval": 0.70, "collected": 0.90})


def _default_stall_days() -> FrozenDict:
    return FrozenDict({"lead": 14, "contact": 21, "meeting": 30, "poc": 60, "approval": 90})


@dataclass(frozen=True)
class Targets:
    """Every target the app compares against. Defaults are the SPEC's.

    Immutable and hashable (its mappings are ``FrozenDict``, its lists tuples, whatever a caller passes in), so a
    ``Targets`` can be a cache key as it is; equal targets hash equal."""

    step_conversion: Mapping[str, float] = field(default_factory=_default_step_targets)
    stall_days: Mapping[str, int] = field(default_factory=_default_stall_days)
    payback_months_max: float = 12.0
    # habits
    minutes_within_24h_rate: float = 0.90
    key_person_rate: float = 0.80
    review_capture_rate: float = 0.80
    visits_per_day_min: float = 2.0
    visits_per_day_max: float = 3.0
    travel_minutes_per_day_max: float = 60.0
    # clinic
    frequency_min: float = 4.0
    price_per_10min_min: float = 1000.0
    cancel_rate_max: float = 0.10
    second_visit_rate_min: float = 0.70
    # onboarding
    same_day_record_rate_min: float = 0.90
    guidance_use_rate_min: float = 0.60
    onboarding_drop_days: int = 21
    homework_rate_min: float = 0.80
    # clinic, issue 16 (the page's other clinic settings — guides, machine-only menus — are kpi.clinic.ClinicSettings)
    self_pay_ratio_min: float = 0.20
    # adoption
    win_rate_reference: float = 0.25
    # the weekly review, issue 15 (kpi.playbook.ReviewSettings keeps the calendar horizons)
    new_leads_per_week_min: float = 30.0
    work_style_kpi_rate: float = 0.80
    sent_back_rate_max: float = 0.30
    # partner first-response SLA, issue 15 (kpi.sla): hours per owner role and the share that must meet it
    sla_agency_hours: float = 24.0
    sla_partner_hours: float = 48.0
    sla_compliance_target: float = 0.75
    # count Japanese business days (weekends, 祝日, 年末年始) in the 24-hour minutes rule, the SLA and the stall
    # limits; SPEC 2's calendar days stay the default
    business_days: bool = False
    # headline KPIs chosen for the top of the funnel page (at most six are recommended)
    headline_kpis: tuple[str, ...] = ("overall", "meeting", "poc", "approval", "stalled", "payback")

    def __post_init__(self) -> None:
        for name in ("step_conversion", "stall_days"):
            value = getattr(self, name)
            if not isinstance(value, FrozenDict):
                object.__setattr__(self, name, FrozenDict(value))
        if not isinstance(self.headline_kpis, tuple):
            object.__setattr__(self, "headline_kpis", tuple(self.headline_kpis))

    def to_json(self) -> str:
        data = asdict(self)
        data["headline_kpis"] = list(self.headline_kpis)
        data["step_conversion"], data["stall_days"] = dict(self.step_conversion), dict(self.stall_days)
        return json.dumps(data, ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str | bytes) -> "Targets":
        """Read a targets file; unknown keys are ignored, missing keys keep their defaults."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("targets file must hold a JSON object")
        base = cls()
        known = {k: v for k, v in data.items() if k in base.__dataclass_fields__}
        if "step_conversion" in known:
            known["step_conversion"] = {**base.step_conversion, **{k: float(v) for k, v in known["step_conversion"].items()}}
        if "stall_days" in known:
            known["stall_days"] = {**base.stall_days, **{k: int(v) for k, v in known["stall_days"].items()}}
        if "headline_kpis" in known:
            known["headline_kpis"] = tuple(known["headline_kpis"])
        return replace(base, **known)


YELLOW_SHARE = 0.8  # yellow from 0.8 × target (SPEC 2's RAG rule)
_EPS = 1e-9  # 0.16 must read as exactly 0.8 x 0.2 (floating point says 0.16000000000000003)
_ORDER = {"green": 0, "yellow": 1, "red": 2}


def rag_array(values, target, higher_is_better: bool = True) -> np.ndarray:
    """The one RAG rule (SPEC 2), for any number of values: green ≥ target, yellow ≥ 0.8 × target, red below;
    mirrored when lower is better (yellow up to target / 0.8). ``target`` a number or an array like ``values``.
    Object array of "green" / "yellow" / "red", None where the value or the target is missing."""
    v = np.asarray(values, dtype="float64")
    t = np.broadcast_to(np.asarray(target, dtype="float64"), v.shape)
    valid = ~np.isnan(v) & ~np.isnan(t)
    with np.errstate(invalid="ignore"):
        if higher_is_better:
            green, yellow = v >= t - _EPS, v >= YELLOW_SHARE * t - _EPS
        else:
            green, yellow = v <= t + _EPS, v * YELLOW_SHARE <= t + _EPS
        out = np.select([valid & green, valid & yellow, valid], ["green", "yellow", "red"], default="").astype(object)
    out[~valid] = None
    return out


def rag(value: float | None, target: float, higher_is_better: bool = True) -> Rag | None:
    """The RAG of one value (:func:`rag_array`'s rule).

    >>> rag(0.6, 0.6), rag(0.5, 0.6), rag(0.4, 0.6)
    ('green', 'yellow', 'red')
    >>> rag(0.16, 0.2)
    'yellow'
    >>> rag(11, 12, higher_is_better=False), rag(14, 12, higher_is_better=False)
    ('green', 'yellow')
    """
    if value is None or value != value:  # None or NaN
        return None
    return rag_array([value], target, higher_is_better)[0]


def rag_band(value: float | None, low: float, high: float) -> Rag | None:
    """RAG of a value that should lie in [low, high] (visits per day 2–3): the worse of the two one-sided rules.

    >>> rag_band(2.5, 2, 3), rag_band(1.7, 2, 3), rag_band(3.5, 2, 3), rag_band(1.5, 2, 3)
    ('green', 'yellow', 'yellow', 'red')
    """
    sides = [rag(value, low, True), rag(value, high, False)]
    if None in sides:
        return None
    return max(sides, key=_ORDER.__getitem__)
