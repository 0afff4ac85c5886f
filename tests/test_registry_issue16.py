"""The issue-16 KPIs in the registry: declared with owner cs / liaison, present in ``metrics --json``'s "kpis", and
equal to the page views' numbers (the optional counts and master as frames beside the datasets)."""
from __future__ import annotations

import pandas as pd
import pytest

from conftest import ROOT
from kpi import institutions as inst
from kpi import referrals as rf
from kpi import registry

NEW = {"homework_rate": "cs", "onboarding_below_level1": "cs", "nps_latest_programme": "cs", "referral_rate": "liaison",
       "reverse_referral_rate": "liaison", "visit_referral_change": "liaison", "institutions_never_referring": "liaison"}


def test_declared():
    for key, role in NEW.items():
        kpi = registry.BY_KEY[key]
        assert kpi.owner_role == role and kpi.label[0] and kpi.label[1] and kpi.definition[0] and kpi.definition[1]
    assert registry.BY_KEY["homework_rate"].target(registry.Targets()) == registry.Targets().homework_rate_min == 0.80


def _frames() -> dict[str, pd.DataFrame]:
    refs = pd.DataFrame({"referred_on": pd.to_datetime(["2026-05-01", "2026-07-01", "2026-08-20", "2026-09-01", "2026-10-01"]),
                         "institution": ["ミドリ内科医院", "A", "A", "A", "A"], "direction": ["in", "in", "in", "in", "out"],
                         "area": ["大阪市北区"] * 5})
    acts = pd.DataFrame({"activity_at": pd.to_datetime(["2026-08-10 10:00"]), "rep": ["R"], "type": ["visit"], "account": ["A"], "region": ["other"]})
    onboarding = pd.DataFrame({"customer": "P", "user": "U", "session_no": range(0, 13), "status": "done",
                               "held_on": pd.date_range("2026-08-03", periods=13, freq="7D"), "homework_done": [True] * 6 + [False] * 7})
    return {"referrals": refs, "activities": acts, "onboarding": onboarding}


def test_values_in_metrics_json_kpis():
    """Referrals: visit on 08-10 (complete by as_of 2026-11-08? no: as_of = latest referral 10-01 -> incomplete) ->
    null change. Onboarding: homework done at sessions 1-5 of 1-12 -> 5/12. Without counts / master / program: null."""
    values = registry.values(_frames())
    assert values["homework_rate"] == pytest.approx(5 / 12)
    assert values["onboarding_below_level1"] is None  # no rate or stage column
    assert values["nps_latest_programme"] is None
    assert values["referral_rate"] is None and values["reverse_referral_rate"] is None
    assert values["visit_referral_change"] is None and values["institutions_never_referring"] is None


def test_values_with_counts_and_master():
    """Counts for 2026-07..10: only July has in (1) and 初診 10, 救急 5 -> 1 / 5 = 0.2 (医療法); out in October 1 / (10 − 5).
    Master (tests/data) areas of the ledger = 大阪市北区 -> rows あおば and ミドリ; ミドリ referred in -> never: あおば = 1."""
    frames = _frames()
    frames["referral_counts"] = rf.read_counts(pd.DataFrame({"month": ["2026-07", "2026-10"], "first_visits": [10, 10], "emergency": [5, 5]}))
    frames["institution_master"] = inst.read_master((ROOT / "tests" / "data" / "institution_master_sample.csv").read_bytes())
    values = registry.values(frames)
    assert values["referral_rate"] == pytest.approx(1 / 5 / 2)  # Σ in (1 + 0) / Σ (5 + 5)
    assert values["reverse_referral_rate"] == pytest.approx(1 / 10)
    assert values["institutions_never_referring"] == 1
