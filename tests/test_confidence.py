"""Confidence badge of a KPI: fill rate, freshness and sample size grade it (kpi/confidence.py)."""
from __future__ import annotations

import doctest

import pandas as pd

import kpi.confidence as confidence_module
from kpi.confidence import confidence


def test_doctests():
    assert doctest.testmod(confidence_module).failed == 0


def test_clean_fresh_rows_are_high():
    df = pd.DataFrame({"a": range(50), "updated_on": pd.Timestamp("2026-11-20")})
    c = confidence(df, ["a"], as_of="2026-11-22", updated_column="updated_on")
    assert (c.level, c.rows, c.fill_rate, c.freshness) == ("high", 50, 1.0, 1.0)


def test_half_empty_column_is_low_and_named():
    # 50 rows, column b filled on 20 -> fill rate (1.0 + 0.4) / 2 = 0.70 -> medium; b is named as sparse
    df = pd.DataFrame({"a": range(50), "b": [1.0] * 20 + [None] * 30})
    c = confidence(df, ["a", "b"])
    assert c.fill_rate == 0.7 and c.level == "medium"
    assert any("b" in r for r in c.reasons)
    # a column absent from the file counts as empty: (1 + 0) / 2 = 0.5 -> low
    assert confidence(df, ["a", "missing"]).level == "low"


def test_stale_rows_lower_the_grade():
    # 40 rows, 10 updated within 14 days of as_of -> freshness 0.25 -> low
    updated = [pd.Timestamp("2026-11-20")] * 10 + [pd.Timestamp("2026-09-01")] * 30
    df = pd.DataFrame({"a": range(40), "updated_on": updated})
    c = confidence(df, ["a"], as_of="2026-11-22", updated_column="updated_on", lang="en")
    assert c.freshness == 0.25 and c.level == "low"
    assert "updated within 14 days 25%" in c.reasons


def test_sample_size_caps_the_grade():
    assert confidence(pd.DataFrame({"a": range(20)}), ["a"]).level == "medium"
    assert confidence(pd.DataFrame({"a": range(9)}), ["a"]).level == "low"
    assert confidence(pd.DataFrame({"a": []}), ["a"]).level == "low"
    assert confidence(None, ["a"]).rows == 0


def test_freshness_counts_open_deals_only():
    """A won or lost deal is final, not stale: freshness measures the open rows (closed ones never lower it)."""
    as_of = pd.Timestamp("2026-11-22")
    frame = pd.DataFrame({
        "status": ["open"] * 40 + ["won"] * 30 + ["lost"] * 30,
        "updated_on": [as_of] * 40 + [as_of - pd.Timedelta(days=200)] * 60,
        "created_at": [as_of] * 100,
    })
    c = confidence(frame, ["created_at"], as_of, updated_column="updated_on")
    assert c.freshness == 1.0 and c.level == "high"
    assert any("進行中の案件" in r for r in c.reasons)
    stale = frame.assign(updated_on=[as_of - pd.Timedelta(days=30)] * 20 + [as_of] * 80)  # half the open deals stale
    assert confidence(stale, ["created_at"], as_of, updated_column="updated_on").freshness == 0.5
    closed_only = frame[frame["status"] != "open"]
    assert confidence(closed_only, ["created_at"], as_of, updated_column="updated_on").freshness is None


def test_no_page_or_ui_module_chooses_the_rows_and_columns_of_a_badge():
    """Issue 12: confidence is computed in kpi/ (the registry's basis, or a kpi module's own choice such as
    kpi.clinic.tile_confidence), never by a page picking columns."""
    from conftest import ROOT

    offenders = [str(p.relative_to(ROOT)) for folder in ("app_pages", "ui") for p in (ROOT / folder).rglob("*.py")
                 if "kpi.confidence" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_clinic_tiles_outside_the_registry_grade_their_own_rows():
    from kpi.clinic import tile_confidence

    as_of = pd.Timestamp("2026-11-20")
    past = pd.DataFrame({"patient_id": [f"P{i}" for i in range(40)], "visit_on": [as_of - pd.Timedelta(days=i) for i in range(40)],
                         "booked_on": [pd.NaT] * 40})  # bookings of past visits are never graded for the backlog
    ahead = pd.DataFrame({"patient_id": [f"F{i}" for i in range(40)], "visit_on": [as_of + pd.Timedelta(days=1 + i % 20) for i in range(40)],
                          "booked_on": [as_of - pd.Timedelta(days=3)] * 10 + [pd.NaT] * 30})
    badges = tile_confidence(pd.concat([past, ahead], ignore_index=True), as_of, lang="en")
    assert (badges["churn"].level, badges["churn"].rows) == ("high", 80)
    assert (badges["backlog"].rows, badges["backlog"].fill_rate, badges["backlog"].level) == (40, 0.25, "low")
    assert any("booked_on" in r for r in badges["backlog"].reasons)
