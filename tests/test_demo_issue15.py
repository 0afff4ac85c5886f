"""The demo data tells issue 15's stories: a partner missing its SLA, one A/B winner and one tie."""
from __future__ import annotations

import pandas as pd
import pytest
from conftest import SAMPLE

from kpi.abtest import ab_view
from kpi.load import load
from kpi.sla import sla_view


@pytest.fixture(scope="module")
def demo() -> dict[str, pd.DataFrame]:
    if not (SAMPLE / "leads.xlsx").exists():
        pytest.skip("demo data not generated")
    return {name.split(".")[0]: load((SAMPLE / name).read_bytes(), name).frame for name in ("leads.xlsx", "activities.csv")}


def test_one_partner_misses_its_sla(demo):
    owners = sla_view(demo["leads"], None).by_owner.set_index("owner")
    assert owners.loc["井上 拓也", "owner_role"] == "agency" and owners.loc["井上 拓也", "meets_target"] == False  # noqa: E712
    assert owners.loc["松田 彩", "owner_role"] == "partner" and owners.loc["松田 彩", "meets_target"] == True  # noqa: E712


def test_pattern_a_wins_and_morning_vs_evening_is_a_tie(demo):
    tests = ab_view(demo["activities"], None).tests
    overall = tests[tests["region"].isna() & tests["channel"].eq("email")].set_index(["dimension", "a", "b"])
    winner = overall.loc[("variant", "A", "B")]
    assert winner["verdict"] == "a_wins" and winner["n_a"] >= 300 and winner["n_b"] >= 300
    tie = overall.loc[("band", "7-9", "17-20")]  # 7時台 vs 18時台 sends
    assert tie["verdict"] == "tie" and tie["n_a"] >= 200 and tie["n_b"] >= 200
    assert set(tests["verdict"]) >= {"too_few"}  # small per-region groups are called too few, not a result
