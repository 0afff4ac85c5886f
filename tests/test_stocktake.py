"""The monthly stocktake (kpi/stocktake.py): KPIs that did not move for four stored weeks, or move in lockstep with
another, are proposed for cutting; short histories are not judged."""
from __future__ import annotations

import pandas as pd

from kpi.stocktake import is_stocktake_week, propose_cuts


def _trend(**columns):
    n = len(next(iter(columns.values())))
    return pd.DataFrame({"week": pd.date_range("2026-10-04", periods=n, freq="7D"), **columns})


def test_a_kpi_that_did_not_move_for_four_weeks_is_proposed():
    trend = _trend(flat=[0.3, 0.5, 0.5, 0.5, 0.5], moving=[1, 2, 4, 3, 5], short=[None, None, None, 0.2, 0.2])
    props = propose_cuts(trend)
    assert [(p.key, p.reason) for p in props] == [("flat", "still")]


def test_lockstep_pairs_name_the_later_kpi_once():
    a = [10, 12, 11, 15, 14, 18]
    trend = _trend(a=a, b=[2 * x + 1 for x in a], c=[5, 3, 6, 2, 7, 1], d=[-x for x in a])
    props = propose_cuts(trend)
    assert {(p.key, p.reason, p.partner) for p in props} == {("b", "lockstep", "a"), ("d", "lockstep", "a")}
    assert all(abs(p.r) > 0.99 for p in props)
    assert propose_cuts(trend.head(3)) == []  # too few weeks to judge lockstep


def test_the_first_review_of_a_month_is_the_stocktake_week():
    assert is_stocktake_week("2026-12-06") and not is_stocktake_week("2026-11-22")
