"""The one as_of rule (kpi.asof, SPEC 2): every dataset's default date comes from one place."""
from __future__ import annotations

import pandas as pd
import pytest

from kpi import asof


def test_given_as_of_is_that_day_at_midnight():
    assert asof.resolve("leads", None, "2026-11-20 15:30") == pd.Timestamp("2026-11-20")
    assert asof.at_midnight(None) is None and asof.at_midnight(pd.NaT) is None


def test_leads_take_the_latest_date_of_any_stage():
    leads = pd.DataFrame({"created_at": pd.to_datetime(["2026-01-05 10:00", "2026-01-07 00:00"]),
                          "meeting_on": pd.to_datetime([None, "2026-02-01"])})
    assert asof.default_as_of("leads", leads) == pd.Timestamp("2026-02-01")


def test_visits_prefer_the_latest_attended_visit():
    visits = pd.DataFrame({"visit_on": pd.to_datetime(["2026-11-01", "2026-11-20"]), "status": ["attended", "cancelled"]})
    assert asof.default_as_of("visits", visits) == pd.Timestamp("2026-11-01")
    # without a status column every visit is attended (SPEC 1 default)
    assert asof.default_as_of("visits", visits.drop(columns="status")) == pd.Timestamp("2026-11-20")
    # no attended row at all: the latest visit
    assert asof.default_as_of("visits", visits.assign(status="no_show")) == pd.Timestamp("2026-11-20")


def test_onboarding_prefers_done_sessions_then_planned_dates():
    ob = pd.DataFrame({"held_on": pd.to_datetime(["2026-10-01", None]), "scheduled_on": pd.to_datetime(["2026-10-01", "2026-12-01"]),
                       "status": ["done", "scheduled"]})
    assert asof.default_as_of("onboarding", ob) == pd.Timestamp("2026-10-01")
    assert asof.default_as_of("onboarding", ob.assign(status="scheduled")) == pd.Timestamp("2026-12-01")


@pytest.mark.parametrize("kind", ["leads", "activities", "visits", "onboarding", "referrals"])
def test_empty_or_dateless_frames_have_no_as_of(kind):
    assert asof.default_as_of(kind, pd.DataFrame()) is None
    assert asof.default_as_of(kind, None) is None


def test_every_page_module_uses_the_one_rule():
    """Each dataset module's default is kpi.asof's on the demo data (they delegate to it)."""
    from pathlib import Path

    from kpi import adoption, clinic, funnel, habits, onboarding, referrals
    from kpi.load import load

    sample = Path(__file__).resolve().parent.parent / "sample_data"
    demo_frames = {}
    for name in ("leads.xlsx", "activities.csv", "visits.csv", "onboarding.xlsx", "referrals.csv"):
        result = load((sample / name).read_bytes(), name)
        demo_frames[result.report.kind] = result.frame

    modules = {"leads": (funnel.default_as_of, adoption.resolve_as_of), "activities": (habits.default_as_of,),
               "visits": (clinic.default_as_of,), "onboarding": (onboarding.default_as_of,), "referrals": (referrals.default_as_of,)}
    for kind, functions in modules.items():
        for function in functions:
            assert function(demo_frames[kind]) == asof.default_as_of(kind, demo_frames[kind]) is not None, (kind, function)
