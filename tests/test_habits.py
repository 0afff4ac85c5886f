"""Habit KPIs (kpi/habits.py) on small hand-made frames, each number worked out in a comment."""
from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from kpi import habits
from kpi.targets import Targets


def ts(values):
    return pd.to_datetime(pd.Series(values, dtype="object"), format="ISO8601").astype("datetime64[ns]")


def activities(rows: list[tuple], with_travel: bool = True, with_minutes: bool = True) -> pd.DataFrame:
    """rows: (activity_at, has_time, rep, type, region, travel_minutes, minutes_sent_at)."""
    at, has_time, rep, kind, region, travel, sent = zip(*rows)
    df = pd.DataFrame({"activity_at": ts(list(at)), "activity_at_has_time": list(has_time), "rep": list(rep),
                       "type": list(kind), "region": list(region)})
    if with_travel:
        df["travel_minutes"] = pd.Series(travel, dtype="float64")
    if with_minutes:
        df["minutes_sent_at"] = ts(list(sent))
    return df


# A: 3 visits on 2 days (11-02 x2, 11-03), travel 30 + blank + 60 = 90
# B: 1 online (not a visit) + 1 visit on 11-04, travel 90
# C: 1 call only (no visit day)
SIX = activities([
    ("2026-11-02 10:00", True, "A", "visit", "osaka", 30, "2026-11-03 10:00"),   # exactly 24 h -> within
    ("2026-11-02 14:00", True, "A", "visit", "osaka", None, "2026-11-03 14:01"),  # 24 h 1 min -> late
    ("2026-11-03", False, "A", "visit", "kyoto", 60, "2026-11-04"),              # date only, next day -> within
    ("2026-11-03", False, "B", "online", "nara", None, None),                     # never sent -> late
    ("2026-11-04 09:00", True, "B", "visit", "nara", 90, "2026-11-04"),          # date-only sent = 00:00, before -> within
    ("2026-11-05", False, "C", "call", "other", None, "2026-11-05"),             # a call: not counted
])


def test_minutes_within_24h_rate_hand_computed():
    # eligible = 4 visits + 1 online = 5; within = rows 1, 3, 5 -> 3 / 5
    assert habits.minutes_within_24h_rate(SIX) == habits.Rate(3, 5)
    assert habits.minutes_within_24h_rate(SIX).value == 0.6


def test_minutes_rate_is_na_without_the_column():
    assert habits.minutes_within_24h_rate(SIX.drop(columns="minutes_sent_at")) is None
    assert habits.activities_section(SIX.drop(columns="minutes_sent_at"))["minutes_within_24h_rate"] is None


@pytest.mark.parametrize(
    "activity_at, has_time, sent, within",
    [
        ("2026-11-02 10:00", True, "2026-11-03 10:00", True),    # exactly 24 h counts as within
        ("2026-11-02 10:00", True, "2026-11-03 10:00:01", False),  # one second later is late
        ("2026-11-02 10:00", True, "2026-11-01 18:00", True),    # sent before the activity counts as within
        ("2026-11-02 10:00", True, "2026-11-03", True),          # date-only sent = 00:00 of 11-03 (< 24 h)
        ("2026-11-02 23:30", True, "2026-11-04", False),         # date-only sent = 11-04 00:00 > 11-03 23:30
        ("2026-11-02", False, "2026-11-03 23:59", True),         # activity without time: next calendar day
        ("2026-11-02", False, "2026-11-04 00:00", False),        # ... the day after next is late
        ("2026-11-02", False, "2026-11-02", True),               # same day
        ("2026-11-02", False, None, False),                      # never sent
    ],
)
def test_minutes_window_edge_rules(activity_at, has_time, sent, within):
    df = activities([(activity_at, has_time, "A", "visit", "osaka", 0, sent)])
    assert habits.minutes_within_24h_rate(df) == habits.Rate(int(within), 1)


def test_as_of_keeps_the_whole_day_and_drops_later_activities():
    # as_of 11-03 keeps rows 1-4 (row 3 and 4 are 11-03 at 00:00); within = rows 1, 3 -> 2 / 4
    assert habits.minutes_within_24h_rate(SIX, pd.Timestamp("2026-11-03")) == habits.Rate(2, 4)
    assert habits.default_as_of(SIX) == pd.Timestamp("2026-11-05")


def test_visits_and_travel_per_rep():
    reps = habits.rep_habits(SIX).set_index("rep")
    # A: 3 visits / 2 days = 1.5; travel (30 + 0 + 60) / 2 = 45
    assert (reps.loc["A", "visits"], reps.loc["A", "visit_days"]) == (3, 2)
    assert reps.loc["A", "visits_per_day"] == 1.5 and reps.loc["A", "travel_minutes_per_day"] == 45.0
    # B: 1 visit / 1 day; travel 90 / 1
    assert reps.loc["B", "visits_per_day"] == 1.0 and reps.loc["B", "travel_minutes_per_day"] == 90.0
    # C: no visit day -> n/a, not 0
    assert math.isnan(reps.loc["C", "visits_per_day"])
    # minutes per rep: A 2 of 3, B 1 of 2
    assert reps.loc["A", "minutes_within_24h_rate"] == pytest.approx(2 / 3) and reps.loc["B", "minutes_within_24h_rate"] == 0.5
    assert reps.loc["A", "region"] == "osaka"  # 2 of its 3 visits


def test_activities_section_is_the_mean_over_reps_with_a_visit_day():
    # visits/day (1.5 + 1.0) / 2 = 1.25 ; travel (45 + 90) / 2 = 67.5 ; C (no visit day) excluded
    assert habits.activities_section(SIX) == {"minutes_within_24h_rate": 0.6, "visits_per_day": 1.25, "travel_minutes_per_day": 67.5}


def test_travel_is_na_without_the_column_and_blank_travel_is_zero():
    assert habits.activities_section(SIX.drop(columns="travel_minutes"))["travel_minutes_per_day"] is None
    # all blanks: 0 minutes per day, not n/a
    blank = SIX.assign(travel_minutes=float("nan"))
    assert habits.activities_section(blank)["travel_minutes_per_day"] == 0.0


def test_region_habits_counts_rep_days():
    regions = habits.region_habits(SIX).set_index("region")
    # osaka: A's 2 visits on 11-02 = 1 rep-day -> 2.0 visits/day, travel 30 / 1
    assert regions.loc["osaka", "visits_per_day"] == 2.0 and regions.loc["osaka", "travel_minutes_per_day"] == 30.0
    # kyoto: 1 visit, 1 rep-day, 60 min ; nara: 1 visit, 90 min
    assert regions.loc["kyoto", "visits_per_day"] == 1.0 and regions.loc["nara", "travel_minutes_per_day"] == 90.0
    assert "other" not in regions.index  # a call is not a visit


def test_daily_trend():
    daily = habits.daily_trend(SIX).set_index("date")
    # 11-02: 1 rep, 2 visits, travel 30 -> 2.0 visits / rep, 30 min / rep; minutes 1 of 2
    assert daily.loc["2026-11-02", "visits_per_rep"] == 2.0 and daily.loc["2026-11-02", "travel_minutes_per_rep"] == 30.0
    assert daily.loc["2026-11-02", "minutes_within_24h_rate"] == 0.5
    # 11-03: A's visit + B's online -> 1 visit, minutes 1 of 2
    assert daily.loc["2026-11-03", "visits"] == 1 and daily.loc["2026-11-03", "minutes_within_24h_rate"] == 0.5
    # 11-05: only a call -> not in the trend
    assert list(daily.index.strftime("%m-%d")) == ["11-02", "11-03", "11-04"]
    assert list(habits.daily_trend(SIX, days=2)["date"].dt.strftime("%m-%d")) == ["11-04"]


def test_reps_off_guide_and_rag():
    targets = Targets()
    off = habits.reps_off_guide(habits.rep_habits(SIX), targets)
    # A: 1.5 < 2 visits, minutes 0.67 < 0.9 -> 2 issues; B: 1.0 < 2, travel 90 > 60, minutes 0.5 -> 3 issues; C: none
    assert list(off["rep"]) == ["B", "A"] and list(off["issues"]) == [3, 2]
    assert bool(off.loc[0, "travel_high"]) and not bool(off.loc[1, "travel_high"])


@pytest.mark.parametrize(
    "key, value, expected",
    [
        ("visits_per_day", 2.5, "green"),
        ("visits_per_day", 1.7, "yellow"),   # >= 0.8 x 2
        ("visits_per_day", 1.5, "red"),
        ("visits_per_day", 3.5, "yellow"),   # 3.5 x 0.8 = 2.8 <= 3
        ("visits_per_day", 4.0, "red"),
        ("travel_minutes_per_day", 60, "green"),
        ("travel_minutes_per_day", 70, "yellow"),  # 70 x 0.8 = 56 <= 60
        ("travel_minutes_per_day", 80, "red"),
        ("minutes_within_24h_rate", 0.9, "green"),
        ("minutes_within_24h_rate", 0.73, "yellow"),  # >= 0.8 x 0.9 = 0.72
        ("key_person_rate", None, None),
    ],
)
def test_kpi_rag(key, value, expected):
    assert habits.kpi_rag(key, value, Targets()) == expected


def leads_frame() -> pd.DataFrame:
    """Six leads, created 11-01. Reached meeting: L1-L4 (L3 via a later poc date, L4 meeting after as_of is not)."""
    nat = None
    return pd.DataFrame({
        "lead_id": ["L1", "L2", "L3", "L4", "L5", "L6"],
        "created_at": ts(["2026-11-01"] * 5 + ["2026-11-20"]),
        "status": ["open"] * 6,
        "region": ["osaka"] * 6,
        "segment": ["hospital", "hospital", "medical", "hospital", "hospital", "hospital"],
        "meeting_on": ts(["2026-11-05", "2026-11-06", nat, "2026-11-12", nat, "2026-11-05"]),
        "poc_on": ts([nat, nat, "2026-11-09", nat, nat, nat]),
        "key_person": ["山田部長", " ", "佐藤課長", "鈴木", "田中", "高橋"],
        "ethics_review_on": ts(["2026-12-01", nat, nat, "2026-12-01", nat, "2026-12-01"]),
        "it_review_on": ts(["2026-12-10", "2026-11-30", nat, nat, nat, nat]),
    })


AS_OF = pd.Timestamp("2026-11-10")


def test_key_person_rate():
    # reached meeting by 11-10 and created by 11-10: L1, L2, L3 (poc implies meeting); L4 meets 11-12; L6 created 11-20
    # key person filled: L1, L3 (L2 is blank text) -> 2 / 3
    assert habits.key_person_rate(leads_frame(), AS_OF) == habits.Rate(2, 3)
    assert habits.key_person_rate(leads_frame().drop(columns="key_person"), AS_OF) is None


def test_review_capture_rate_and_committees():
    review = habits.review_capture_rate(leads_frame(), AS_OF)
    # hospital leads that reached meeting: L1, L2 (L3 is medical) -> both have a review date -> 2 / 2
    assert review.total == habits.Rate(2, 2)
    # ethics: L1 only -> 1 / 2 ; it: L1, L2 -> 2 / 2 ; purchasing, board: columns absent -> n/a
    assert review.committees == {"ethics_review_on": habits.Rate(1, 2), "it_review_on": habits.Rate(2, 2),
                                 "purchasing_review_on": None, "board_on": None}
    # a later as_of brings L4 (meeting 11-12, ethics date) and L6 (created 11-20): 4 of 4
    assert habits.review_capture_rate(leads_frame(), pd.Timestamp("2026-11-30")).total == habits.Rate(4, 4)
    assert habits.review_capture_rate(leads_frame().drop(columns=["ethics_review_on", "it_review_on"]), AS_OF) is None


def test_habits_summary_ties_it_together():
    s = habits.habits_summary(SIX, leads_frame(), AS_OF, Targets())
    assert s.as_of == AS_OF
    assert s.minutes == habits.Rate(3, 5) and s.key_person == habits.Rate(2, 3)
    assert s.visits_per_day == 1.25 and s.rags["visits_per_day"] == "red"  # 1.25 < 0.8 x 2
    assert s.rags["review_capture_rate"] == "green"
    # without leads the lead-based KPIs are n/a, never 0
    s2 = habits.habits_summary(SIX, None, None)
    assert s2.key_person is None and s2.review is None and s2.value("key_person_rate") is None
    assert s2.as_of == pd.Timestamp("2026-11-05")


def test_owner_table_covers_every_kpi():
    """Whose habit is which comes from the registry alone: its owner first, then the roles sharing it."""
    from kpi import registry

    assert set(habits.KPI_COLUMNS) == set(habits.HABIT_KPIS) and not hasattr(habits, "KPI_OWNERS")
    assert all(registry.BY_KEY[k].layer == "habit" for k in habits.HABIT_KPIS)
    assert registry.BY_KEY["minutes_within_24h_rate"].owners == ("field_sales",)
    assert registry.BY_KEY["key_person_rate"].owners == ("inside_sales", "field_sales")
    assert registry.BY_KEY["review_capture_rate"].owners == ("field_sales", "consultant")


def test_a_million_visits_compute_in_seconds():
    import time

    n = 1_000_000
    big = pd.DataFrame({
        "activity_at": pd.Timestamp("2026-01-01") + pd.to_timedelta(pd.RangeIndex(n) % 300, unit="D") + pd.to_timedelta(pd.RangeIndex(n) % 600, unit="min"),
        "activity_at_has_time": True,
        "rep": pd.Series(pd.RangeIndex(n) % 50).astype(str).radd("rep"),
        "type": "visit",
        "region": "osaka",
        "travel_minutes": 20.0,
    })
    big["minutes_sent_at"] = big["activity_at"] + pd.Timedelta(hours=3)
    started = time.perf_counter()
    s = habits.habits_summary(big, None, None)
    assert time.perf_counter() - started < 20
    assert s.minutes.value == 1.0 and s.travel_minutes_per_day is not None


# ------------------------------------------------------------------ business days (issue 15 item 7: a setting, calendar by default)
BUSINESS = activities([
    # Fri 17:00 visit, minutes Mon 11/23 (勤労感謝の日) 10:00 and Tue 11/24 09:00: calendar 89 h / 88 h, business 7 + 9 = 16 h
    ("2026-11-20T17:00:00", True, "a", "visit", "osaka", 20, "2026-11-24T09:00:00"),
    # Thu 10:00 visit, minutes Fri 11:00: 25 h either way -> late in both modes
    ("2026-11-19T10:00:00", True, "a", "visit", "osaka", 20, "2026-11-20T11:00:00"),
    # date-only Fri visit, minutes dated Tue: calendar 4 days later (late); business: Tue is the next business day
    ("2026-11-20T00:00:00", False, "b", "online", "kyoto", None, "2026-11-24T00:00:00"),
    # date-only Wed visit, minutes Fri: 2 business days later -> late in both modes
    ("2026-11-18T00:00:00", False, "b", "demo", "kyoto", None, "2026-11-20T00:00:00"),
])


def test_minutes_rule_in_business_days():
    """Calendar days (the default): 0 of 4 within. Business days: the Friday visit (16 business hours) and the
    date-only Friday visit (next business day) are within: 2 of 4."""
    assert habits.minutes_within_24h_rate(BUSINESS, "2026-11-24") == habits.Rate(0, 4)
    assert habits.minutes_within_24h_rate(BUSINESS, "2026-11-24", business_days=True) == habits.Rate(2, 4)
    s = habits.habits_summary(BUSINESS, None, "2026-11-24", business_days=True)
    assert s.minutes == habits.Rate(2, 4)
    assert s.reps.set_index("rep")["minutes_within"].to_dict() == {"a": 1, "b": 1}


def test_the_teams_business_day_setting_reaches_every_caller():
    """Targets.business_days is the one place the setting lives: the page's summary, the CLI's metrics section,
    the registry value (tiles, history) and the workbook's habits sheet all follow it; off, all count calendar days."""
    from kpi import registry
    from kpi.metrics import metrics

    frames = {"activities": BUSINESS}
    for on, expected in ((False, 0.0), (True, 0.5)):
        targets = Targets(business_days=on)
        assert habits.habits_summary(BUSINESS, None, "2026-11-24", targets).minutes.value == expected
        assert habits.activities_section(BUSINESS, "2026-11-24", targets)["minutes_within_24h_rate"] == expected
        out = metrics(frames, dt.date(2026, 11, 24), targets)
        assert out["activities"]["minutes_within_24h_rate"] == expected
        assert registry.values(frames, dt.date(2026, 11, 24), targets, sections=out)["minutes_within_24h_rate"] == expected
    # an explicit argument still wins (the habits page's own toggle for one look)
    assert habits.habits_summary(BUSINESS, None, "2026-11-24", Targets(business_days=True), business_days=False).minutes.value == 0.0
