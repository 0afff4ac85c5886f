"""kpi.sla: first-response SLA of agency / partner leads, per owner and week (hand-made frames)."""
from __future__ import annotations

import pandas as pd
import pytest

from kpi import registry
from kpi.targets import Targets
from kpi.sla import SlaSettings, sla_compliance_rate, sla_outcomes, sla_view

T = pd.Timestamp


def leads() -> pd.DataFrame:
    """Six leads; as_of 2026-11-20 (end of day = 11-21 00:00)."""
    return pd.DataFrame({
        "lead_id": ["L1", "L2", "L3", "L4", "L5", "L6"],
        "owner": ["代行A", "代行A", "代行A", "支援B", "支援B", "社内C"],
        "owner_role": ["agency", "agency", "agency", "partner", "partner", "inside_sales"],
        "created_at": pd.to_datetime(["2026-11-16 10:00", "2026-11-16 10:00", "2026-11-20 09:00",
                                      "2026-11-13 17:00", "2026-11-18 09:00", "2026-11-16 10:00"]),
        "first_response_at": pd.to_datetime(["2026-11-17 10:00",   # L1: exactly 24 h -> met
                                             "2026-11-17 10:01",   # L2: 24 h 1 min -> missed
                                             None,                 # L3: unanswered, 15 h waited by end of as_of -> pending
                                             "2026-11-16 09:00",   # L4: 64 h (partner SLA 48 h) -> missed
                                             None,                 # L5: unanswered, 63 h waited > 48 h -> missed
                                             "2026-11-30 10:00"]),  # L6: inside sales, not a partner lead
    })


def test_outcomes_and_rate():
    out = sla_outcomes(leads(), T("2026-11-20"))
    assert list(out["lead_id"]) == ["L1", "L2", "L3", "L4", "L5"]
    assert list(out["outcome"]) == ["met", "missed", "pending", "missed", "missed"]
    assert out["response_hours"].round(3).tolist()[:2] == [24.0, 24.017]
    view = sla_view(leads(), T("2026-11-20"))
    assert (view.met, view.missed, view.pending) == (1, 3, 1)
    assert view.rate == pytest.approx(1 / 4)            # met / (met + missed)
    assert view.role_rate("agency") == pytest.approx(1 / 2)  # L1 met, L2 missed (L3 pending)
    assert view.role_rate("partner") == 0.0


def test_per_owner_and_week():
    view = sla_view(leads(), T("2026-11-20"))
    owners = view.by_owner.set_index("owner")
    assert owners.loc["代行A", ["met", "missed", "pending", "leads"]].tolist() == [1, 1, 1, 3]
    assert owners.loc["代行A", "sla_hours"] == 24 and owners.loc["支援B", "sla_hours"] == 48
    assert owners.loc["代行A", "meets_target"] == False  # noqa: E712 - 0.5 < 0.75
    weeks = view.by_week.set_index(["week", "owner_role"])
    assert weeks.loc[(T("2026-11-09"), "partner"), "missed"] == 1  # L4 created Fri 11-13: week of Mon 11-09
    assert weeks.loc[(T("2026-11-16"), "agency"), "rate"] == pytest.approx(0.5)


def test_settings_change_the_verdict():
    """A 72 h partner SLA turns L4 (64 h) into met; L5 (63 h waiting) becomes pending."""
    view = sla_view(leads(), T("2026-11-20"), SlaSettings(partner_hours=72))
    assert view.role_rate("partner") == 1.0 and view.pending == 2


def test_business_hours_setting():
    """L4: Fri 17:00 -> Mon 09:00 is 16 business hours (7 + 9): within 48 h when counting business days."""
    out = sla_outcomes(leads(), T("2026-11-20"), SlaSettings(business_days=True)).set_index("lead_id")
    assert out.loc["L4", "response_hours"] == 16 and out.loc["L4", "outcome"] == "met"


def test_not_available_without_columns():
    assert sla_view(leads().drop(columns="first_response_at"), None) is None
    assert sla_compliance_rate(None, None) is None


def test_registry_keys():
    ctx = registry.Context({"leads": leads()}, {}, Targets(), T("2026-11-20").date())
    vals = {k: registry.BY_KEY[k].compute(ctx) for k in ("sla_compliance_rate", "agency_sla_compliance_rate", "partner_sla_compliance_rate")}
    assert vals["sla_compliance_rate"] == pytest.approx(0.25)
    assert vals["agency_sla_compliance_rate"] == pytest.approx(0.5)
    assert vals["partner_sla_compliance_rate"] == 0.0
    entry = registry.BY_KEY["partner_sla_compliance_rate"].describe()
    assert entry["owner_role"] == "partner" and entry["target"] == 0.75 and entry["label"]["ja"] == "支援会社SLA遵守率"
