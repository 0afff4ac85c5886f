"""Partner SLA (初回対応SLA): first-response time of the leads that partners own — agencies (代行会社) and support
companies (支援会社, owner_role ``partner``) — against an SLA in hours per owner role; compliance per owner and week.

Pure pandas: leads + as_of + :class:`SlaSettings` in, a frozen :class:`SlaView` out.

Readings chosen here (SPEC 1 gives the fields, not the rule):
* response hours = first_response_at − created_at (leads fields); with ``business_days`` on, only hours on
  Japanese business days count (``kpi.business_days.business_hours_between``).
* A lead is *met* when it was answered within its role's SLA; *missed* when answered later, or still unanswered
  with its SLA already over at the end of the as_of day; *pending* (left out of the rate) when unanswered and
  its SLA not yet over. A response recorded before created_at counts as met (0 h; the data warning is the
  funnel's business).
* Leads created on or before as_of; a first_response_at after as_of is treated as not yet answered.
* Week = the Monday-started week of created_at (the week the lead came in is the week its SLA belongs to).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .business_days import business_hours_between

DAY = pd.Timedelta(days=1)
SLA_ROLES: tuple[str, ...] = ("agency", "partner")


@dataclass(frozen=True)
class SlaSettings:
    """SLA hours per owner role, the compliance target, and whether hours count on business days only; the
    defaults are Targets' (``from_targets``), which is where the team sets them."""

    agency_hours: float = 24.0
    partner_hours: float = 48.0
    compliance_target: float = 0.75
    business_days: bool = False

    @classmethod
    def from_targets(cls, targets) -> "SlaSettings":
        """The SLA as the team's targets set it (kpi.targets.Targets: sla_* and business_days)."""
        return cls(targets.sla_agency_hours, targets.sla_partner_hours, targets.sla_compliance_target, targets.business_days)

    def hours_for(self, role: str) -> float | None:
        return {"agency": self.agency_hours, "partner": self.partner_hours}.get(role)


@dataclass(frozen=True)
class SlaView:
    """What the SLA section shows: the overall rate, per owner, per week, and the leads behind it."""

    as_of: pd.Timestamp | None
    settings: SlaSettings
    met: int
    missed: int
    pending: int
    by_owner: pd.DataFrame  # owner, owner_role, sla_hours, leads, met, missed, pending, rate, median_hours, meets_target
    by_week: pd.DataFrame   # week, owner_role, met, missed, rate
    leads: pd.DataFrame     # lead_id, account, owner, owner_role, created_at, first_response_at, response_hours, sla_hours, outcome

    @property
    def rate(self) -> float | None:
        counted = self.met + self.missed
        return self.met / counted if counted else None

    def role_rate(self, role: str) -> float | None:
        rows = self.leads[self.leads["owner_role"].eq(role)]
        met, missed = int(rows["outcome"].eq("met").sum()), int(rows["outcome"].eq("missed").sum())
        return met / (met + missed) if met + missed else None


def available(leads: pd.DataFrame | None) -> bool:
    """The SLA needs owner_role and first_response_at (created_at is required)."""
    return leads is not None and {"owner_role", "first_response_at"} <= set(leads.columns)


def sla_outcomes(leads: pd.DataFrame, as_of: dt.date | pd.Timestamp, settings: SlaSettings | None = None) -> pd.DataFrame:
    """One row per partner-owned lead created up to as_of: response_hours, sla_hours and outcome met/missed/pending."""
    settings = settings or SlaSettings()
    end = pd.Timestamp(as_of).normalize() + DAY  # the whole as_of day
    rows = leads[leads["owner_role"].isin(SLA_ROLES) & (leads["created_at"] < end)]
    created = rows["created_at"]
    answered = rows["first_response_at"].where(rows["first_response_at"] < end)
    sla_hours = rows["owner_role"].map({r: settings.hours_for(r) for r in SLA_ROLES}).astype("float64")
    if settings.business_days:
        hours = business_hours_between(created, answered)
        waited = business_hours_between(created, pd.Series(end, index=rows.index))
    else:
        hours = (answered - created) / pd.Timedelta(hours=1)
        waited = (end - created) / pd.Timedelta(hours=1)
    hours = hours.clip(lower=0)
    outcome = np.where(answered.notna(), np.where(hours <= sla_hours, "met", "missed"),
                       np.where(waited > sla_hours, "missed", "pending"))
    cols = [c for c in ("lead_id", "account", "owner", "owner_role") if c in rows.columns]
    out = rows[cols].copy()
    out["created_at"] = created
    out["first_response_at"] = answered
    out["response_hours"] = hours
    out["sla_hours"] = sla_hours
    out["outcome"] = outcome
    out["week"] = created.dt.normalize() - pd.to_timedelta(created.dt.day_of_week, unit="D")
    return out.reset_index(drop=True)


def _tally(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    counts = pd.crosstab([frame[k] for k in keys], frame["outcome"]).reindex(columns=["met", "missed", "pending"], fill_value=0)
    counts = counts.rename_axis(columns=None).astype("int64")
    counts["leads"] = counts.sum(axis=1)
    counted = counts["met"] + counts["missed"]
    counts["rate"] = counts["met"] / counted.where(counted > 0)
    return counts.reset_index()


def sla_view(leads: pd.DataFrame, as_of: dt.date | pd.Timestamp | None, settings: SlaSettings | None = None) -> SlaView | None:
    """The partner SLA as of a date (None: the funnel's default as_of); None when owner_role or first_response_at is absent."""
    settings = settings or SlaSettings()
    if not available(leads):
        return None
    if as_of is None:
        from .funnel import default_as_of

        as_of = default_as_of(leads)
    if as_of is None:
        return None
    as_of = pd.Timestamp(as_of).normalize()
    rows = sla_outcomes(leads, as_of, settings)
    owner_rows = rows.assign(owner=rows["owner"].fillna("—") if "owner" in rows.columns else "—")
    if len(rows):
        by_owner = _tally(owner_rows, ["owner", "owner_role"])
        median = owner_rows[owner_rows["response_hours"].notna()].groupby("owner")["response_hours"].median()
        by_owner["median_hours"] = by_owner["owner"].map(median)
        by_owner["sla_hours"] = by_owner["owner_role"].map(settings.hours_for).astype("float64")
        by_owner["meets_target"] = by_owner["rate"].ge(settings.compliance_target).where(by_owner["rate"].notna())
        by_owner = by_owner.sort_values(["rate", "owner"], na_position="last").reset_index(drop=True)
        by_week = _tally(rows, ["week", "owner_role"]).sort_values(["week", "owner_role"]).reset_index(drop=True)
    else:
        by_owner = pd.DataFrame(columns=["owner", "owner_role", "met", "missed", "pending", "leads", "rate", "median_hours", "sla_hours", "meets_target"])
        by_week = pd.DataFrame(columns=["week", "owner_role", "met", "missed", "pending", "leads", "rate"])
    by_owner = by_owner[["owner", "owner_role", "sla_hours", "leads", "met", "missed", "pending", "rate", "median_hours", "meets_target"]]
    counts = rows["outcome"].value_counts()
    return SlaView(as_of, settings, int(counts.get("met", 0)), int(counts.get("missed", 0)), int(counts.get("pending", 0)),
                   by_owner, by_week[["week", "owner_role", "met", "missed", "pending", "leads", "rate"]], rows)


def sla_compliance_rate(leads: pd.DataFrame | None, as_of: dt.date | pd.Timestamp | None, role: str | None = None,
                        settings: SlaSettings | None = None) -> float | None:
    """met / (met + missed) over partner-owned leads (one role, or both); None when the inputs are absent."""
    view = sla_view(leads, as_of, settings) if leads is not None else None
    if view is None:
        return None
    return view.rate if role is None else view.role_rate(role)
