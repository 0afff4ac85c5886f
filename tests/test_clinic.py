"""Clinic KPIs (kpi/clinic.py) on small hand-made visits frames, SPEC section 2 "Clinic" and section 4."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, realdata
from kpi import clinic
from kpi.targets import Targets

D = pd.Timestamp


def visits(rows: list[tuple], **extra: list) -> pd.DataFrame:
    """rows: (patient_id, visit_on, status); extra: optional columns, one value per row."""
    frame = pd.DataFrame(rows, columns=["patient_id", "visit_on", "status"])
    frame["patient_id"] = frame["patient_id"].astype("str")
    frame["visit_on"] = pd.to_datetime(frame["visit_on"], format="mixed").astype("datetime64[ns]")
    frame["visit_on_has_time"] = frame["visit_on"].dt.normalize() != frame["visit_on"]
    for name, values in extra.items():
        frame[name] = pd.to_datetime(pd.Series(values, dtype="object")).astype("datetime64[ns]") if name.endswith("_on") else values
    return frame


# Jan: P1 ×2, P2 · Feb: P1, P3 ×3 (two on one day), P4 cancelled · Mar: P5 03-01, P2 03-02, P4 no_show 03-05
BASIC = visits([
    ("P1", "2026-01-05", "attended"), ("P1", "2026-01-10", "attended"), ("P2", "2026-01-20", "attended"),
    ("P1", "2026-02-03", "attended"), ("P3", "2026-02-10 09:00", "attended"), ("P3", "2026-02-10 17:00", "attended"),
    ("P3", "2026-02-28", "attended"), ("P4", "2026-02-15", "cancelled"),
    ("P5", "2026-03-01", "attended"), ("P2", "2026-03-02", "attended"), ("P4", "2026-03-05", "no_show"),
])


def test_default_as_of_is_latest_attended_visit():
    # the no_show on 03-05 is later, but as_of is the latest *attended* day
    assert clinic.default_as_of(BASIC) == D("2026-03-02")


def test_monthly_counts_and_identity_without_first_visit_column():
    t = clinic.monthly_table(BASIC).set_index("month")
    assert list(t.index) == ["2026-01", "2026-02", "2026-03"]
    # Jan: P1 P1 P2 = 3 visits, 2 patients, both new (earliest visit in the data) -> history incomplete
    # Feb: P1 + P3 ×3 = 4 visits, patients P1 P3; P3 new, P1 carryover (also in Jan)
    # Mar (≤ as_of 03-02): P5 new, P2 returning (seen in Jan, not in Feb); the 03-05 no_show is after as_of
    assert t[["visits", "patients", "new", "carryover", "returning"]].to_dict("index") == {
        "2026-01": {"visits": 3, "patients": 2, "new": 2, "carryover": 0, "returning": 0},
        "2026-02": {"visits": 4, "patients": 2, "new": 1, "carryover": 1, "returning": 0},
        "2026-03": {"visits": 2, "patients": 2, "new": 1, "carryover": 0, "returning": 1},
    }
    assert (t["patients"] == t["new"] + t["carryover"] + t["returning"]).all()
    assert list(t["history_incomplete"]) == [True, False, False]
    assert list(t["frequency"]) == [3 / 2, 4 / 2, 2 / 2]
    # cancel_rate: Feb 1 cancelled / (4 attended + 1) = 0.2; Mar 0 / 2
    assert list(t["cancel_rate"]) == [0.0, 0.2, 0.0]


def test_second_visit_rate_and_pending_cohorts():
    t = clinic.monthly_table(BASIC).set_index("month")
    # Jan: P1 back on 01-10 (5 days) yes, P2 next on 03-02 (41 days) no -> 1/2, both eligible (01-19, 02-03 ≤ 03-02)
    # Feb: P3 first 02-10; the 17:00 visit is the same day; next day 02-28 is 18 days later -> 0/1
    # Mar: P5 first 03-01, 03-15 > as_of -> pending; rate n/a, not 0
    assert t.loc["2026-01", ["new_eligible", "new_pending", "second_visits", "second_visit_rate"]].tolist() == [2, 0, 1, 0.5]
    assert t.loc["2026-02", ["new_eligible", "new_pending", "second_visits", "second_visit_rate"]].tolist() == [1, 0, 0, 0.0]
    assert t.loc["2026-03", ["new_eligible", "new_pending", "second_visits"]].tolist() == [0, 1, 0]
    assert pd.isna(t.loc["2026-03", "second_visit_rate"])


@pytest.mark.parametrize(
    "second, counts",
    [
        ("2026-01-15", True),   # first + 14 days: inside (first, first + 14]
        ("2026-01-16", False),  # day 15
        ("2026-01-01 18:00", False),  # later the same day: dates, not times
        ("2026-01-02", True),   # day 1
    ],
)
def test_second_visit_window_edges(second, counts):
    frame = visits([("A", "2026-01-01 09:00", "attended"), ("A", second, "attended"), ("Z", "2026-03-01", "attended")])
    row = clinic.monthly_table(frame, as_of=D("2026-03-01")).set_index("month").loc["2026-01"]
    assert row["new_eligible"] == 1
    assert row["second_visit_rate"] == (1.0 if counts else 0.0)


@pytest.mark.parametrize("first, pending", [("2026-03-17", 0), ("2026-03-18", 1)])
def test_pending_when_first_plus_14_days_after_as_of(first, pending):
    # as_of 03-31: 03-17 + 14 = 03-31 ≤ as_of -> eligible; 03-18 + 14 = 04-01 > as_of -> pending
    frame = visits([("A", first, "attended"), ("B", "2026-03-31", "attended")])
    row = clinic.monthly_table(frame, as_of=D("2026-03-31")).iloc[0]
    assert (row["new"], row["new_pending"], row["new_eligible"]) == (2, 1 + pending, 1 - pending)


def test_second_visit_not_seen_beyond_as_of():
    # the return visit on 01-10 is after as_of 01-08: not counted, and the cohort is pending anyway
    frame = visits([("A", "2026-01-01", "attended"), ("A", "2026-01-10", "attended")])
    t = clinic.monthly_table(frame, as_of=D("2026-01-08"))
    assert t["visits"].tolist() == [1] and t["new_pending"].tolist() == [1]


def test_first_visit_flag_decides_new_and_first_month_has_no_carryover():
    frame = visits(
        [("P1", "2026-01-05", "attended"), ("P2", "2026-01-06", "attended"),
         ("P1", "2026-02-02", "attended"), ("P2", "2026-02-03", "attended"), ("P3", "2026-02-04", "attended"),
         ("P4", "2026-02-05", "cancelled")],
        first_visit=[False, True, False, False, True, True],
    )
    t = clinic.monthly_table(frame).set_index("month")
    # Jan: P2 flagged new; P1 not flagged and no Jan−1 -> returning (SPEC: first month has no carryover)
    # Feb: P3 flagged new; P1, P2 also in Jan -> carryover 2; P4's flag is on a cancelled row -> not counted
    assert t[["patients", "new", "carryover", "returning"]].values.tolist() == [[2, 1, 0, 1], [3, 1, 2, 0]]
    assert not t["history_incomplete"].any()
    # P2 (new 01-06) next visit 02-03 = 28 days -> 0/1; P3 pending? 02-04 + 14 = 02-18 > as_of 02-04 -> pending
    assert t.loc["2026-01", "second_visit_rate"] == 0.0
    assert t.loc["2026-02", ["new_eligible", "new_pending"]].tolist() == [0, 1]


def test_by_clinic_counts_inside_each_clinic():
    frame = visits(
        [("P1", "2026-01-05", "attended"), ("P1", "2026-02-05", "attended"), ("P2", "2026-02-06", "attended")],
        clinic=["本院", "分院", "本院"],
    )
    t = clinic.monthly_table(frame, by_clinic=True)
    # 本院: Jan P1 new; Feb P2 new (P1 went to 分院). 分院 starts in Feb: P1 new to 分院 (first month, incomplete)
    assert t[["clinic", "month", "patients", "new", "carryover", "returning"]].values.tolist() == [
        ["分院", "2026-02", 1, 1, 0, 0], ["本院", "2026-01", 1, 1, 0, 0], ["本院", "2026-02", 1, 1, 0, 0]]
    assert (t["patients"] == t["new"] + t["carryover"] + t["returning"]).all()


def test_empty_month_is_listed_with_null_ratios():
    frame = visits([("A", "2026-01-05", "attended"), ("A", "2026-03-05", "attended")])
    t = clinic.monthly_table(frame).set_index("month")
    assert t.loc["2026-02", ["visits", "patients"]].tolist() == [0, 0]
    assert pd.isna(t.loc["2026-02", "frequency"]) and pd.isna(t.loc["2026-02", "cancel_rate"])
    assert t.loc["2026-03", "returning"] == 1  # back after a gap month


def test_cancel_rate_counts_cancelled_and_no_show_over_booked_outcomes():
    frame = visits([("A", "2026-01-05", "attended"), ("B", "2026-01-06", "attended"), ("C", "2026-01-07", "cancelled"),
                    ("D", "2026-01-08", "no_show"), ("E", "2026-01-09", "booked")])
    # (1 cancelled + 1 no_show) / (2 attended + 1 + 1) = 0.5; the still-"booked" row counts nowhere
    assert clinic.monthly_table(frame, as_of=D("2026-01-31"))["cancel_rate"].tolist() == [0.5]


def test_money_kpis_over_attended_rows_price_per_10min_over_rows_with_both():
    frame = visits(
        [("A", "2026-01-05", "attended"), ("B", "2026-01-06", "attended"), ("C", "2026-01-07", "attended"),
         ("D", "2026-01-08", "attended"), ("E", "2026-01-09", "cancelled")],
        amount_yen=[3000.0, 2000.0, np.nan, 4000.0, 9999.0],
        treatment_minutes=[20.0, np.nan, 30.0, 20.0, 10.0],
        self_pay_yen=[1000.0, np.nan, np.nan, 500.0, 9999.0],
    )
    row = clinic.monthly_table(frame).iloc[0]
    assert row["revenue"] == 9000  # 3000 + 2000 + 4000 (cancelled row excluded)
    assert row["avg_price"] == 9000 / 4  # visits without an amount included
    assert row["price_per_10min"] == 10 * (3000 + 4000) / (20 + 20)  # only A and D have both = 1750
    assert row["self_pay_ratio"] == 1500 / 9000


def test_absent_money_columns_are_null_not_zero():
    section = clinic.visits_section(BASIC)
    for row in section["monthly"]:
        assert row["revenue"] is None and row["avg_price"] is None
        assert row["price_per_10min"] is None and row["self_pay_ratio"] is None
    only_amount = BASIC.assign(amount_yen=1000.0)
    row = clinic.visits_section(only_amount)["monthly"][0]
    assert row["revenue"] == 3000 and row["price_per_10min"] is None


# ---------------------------------------------------------------- booking backlog
BOOKED = visits(
    [
        ("A", "2026-03-03", "booked"),     # +2 days, booked 02-20 -> w1
        ("B", "2026-03-10", "booked"),     # +9 days, booked 03-02 (after d) -> not yet booked on d
        ("C", "2026-03-12", "booked"),     # +11 days, no booked_on -> booked earlier -> w2
        ("D", "2026-03-20", "cancelled"),  # +19 days, cancelled 03-05 (after d) -> still booked on d -> w3
        ("E", "2026-03-04", "cancelled"),  # cancelled 02-25 (before d) -> out
        ("F", "2026-03-06", "no_show"),    # no cancelled_on -> counts as cancelled -> out
        ("G", "2026-03-29", "attended"),   # +28 days = d + 28 (closed end) -> w4
        ("H", "2026-03-30", "booked"),     # +29 days -> beyond w4
        ("I", "2026-03-01", "attended"),   # = d (open start) -> out
        ("J", "2026-03-08", "booked"),     # +7 days, booked on d itself (booked_on ≤ d) -> w1
    ],
    booked_on=["2026-02-20", "2026-03-02", None, "2026-02-01", "2026-02-01", "2026-02-01", "2026-02-01", "2026-02-01",
               "2026-02-01", "2026-03-01"],
    cancelled_on=[None, None, None, "2026-03-05", "2026-02-25", None, None, None, None, None],
)


@pytest.mark.parametrize(
    "drop, expected",
    [
        ([], {"w1": 2, "w2": 3, "w3": 4, "w4": 5}),                               # A J | C | D | G
        (["booked_on"], {"w1": 2, "w2": 4, "w3": 5, "w4": 6}),                    # B now counts (w2)
        (["cancelled_on"], {"w1": 2, "w2": 3, "w3": 3, "w4": 4}),                 # D has no cancel date -> out
        (["booked_on", "cancelled_on"], {"w1": 2, "w2": 4, "w3": 4, "w4": 5}),
    ],
    ids=["both", "no_booked_on", "no_cancelled_on", "neither"],
)
def test_backlog_with_and_without_booked_on_and_cancelled_on(drop, expected):
    assert clinic.booking_backlog(BOOKED.drop(columns=drop), D("2026-03-01")) == expected


def test_backlog_day_after_cancellation_drops_the_row():
    # D cancelled on 03-05: on 03-04 it still counts, on 03-05 it does not
    s = clinic.backlog_series(BOOKED, pd.DatetimeIndex([D("2026-03-04"), D("2026-03-05")])).set_index("date")
    assert s.loc["2026-03-04", "w3"] - s.loc["2026-03-05", "w3"] == 1


def brute_backlog(frame: pd.DataFrame, d: pd.Timestamp, w: int) -> int:
    """The SPEC rule row by row (reference for the vectorised series)."""
    n = 0
    for r in frame.itertuples():
        visit = r.visit_on.normalize()
        booked = getattr(r, "booked_on", pd.NaT)
        cancelled_on = getattr(r, "cancelled_on", pd.NaT)
        if not (d < visit <= d + pd.Timedelta(days=7 * w)):
            continue
        if pd.notna(booked) and booked > d:
            continue
        if r.status in ("cancelled", "no_show") and (pd.isna(cancelled_on) or cancelled_on <= d):
            continue
        n += 1
    return n


def test_backlog_trend_matches_the_rule_row_by_row():
    rng = np.random.default_rng(7)
    n = 300
    visit = D("2026-01-01") + pd.to_timedelta(rng.integers(0, 120, n), unit="D")
    booked = visit - pd.to_timedelta(rng.integers(0, 40, n), unit="D")
    status = rng.choice(["attended", "booked", "cancelled", "no_show"], n)
    cancelled = booked + pd.to_timedelta(rng.integers(0, 30, n), unit="D")
    frame = pd.DataFrame({"patient_id": [f"P{i % 50}" for i in range(n)], "visit_on": visit, "status": status,
                          "booked_on": pd.Series(booked).where(rng.random(n) > 0.2),
                          "cancelled_on": pd.Series(cancelled).where((rng.random(n) > 0.3) & np.isin(status, ["cancelled", "no_show"]))})
    as_of = D("2026-03-15")
    trend = clinic.backlog_trend(frame, as_of)
    assert len(trend) == 56 and trend["date"].iloc[-1] == as_of and trend["date"].iloc[0] == D("2026-01-19")
    for i in (0, 17, 55):
        d = trend["date"].iloc[i]
        assert [trend[f"w{w}"].iloc[i] for w in (1, 2, 3, 4)] == [brute_backlog(frame, d, w) for w in (1, 2, 3, 4)]


def test_net_bookings_per_day():
    frame = visits(
        [("A", "2026-03-01", "attended"), ("B", "2026-03-05", "booked"), ("C", "2026-03-06", "cancelled"),
         ("D", "2026-03-07", "booked")],
        booked_on=["2026-02-20", "2026-03-01", "2026-02-25", "2026-03-01"],
        cancelled_on=[None, None, "2026-03-01", None],
    )
    net = clinic.net_bookings(frame, D("2026-03-01")).set_index("date")
    # 03-01: bookings B, D = 2; cancellations C = 1; attended A = 1 -> net 0
    assert net.loc["2026-03-01"].tolist() == [2, 1, 1, 0]
    assert net.loc["2026-02-25", "net"] == 1  # C booked
    assert len(net) == 56
    # without booked_on, bookings (and so net) are n/a, not 0
    assert clinic.net_bookings(frame.drop(columns="booked_on"), D("2026-03-01"))["net"].isna().all()


# ---------------------------------------------------------------- call list, continuation, churn, cohorts
def test_call_list_new_patients_without_return_or_booking():
    frame = visits(
        [("N1", "2026-03-01", "attended"),                                  # no return -> call (day 30 since? no: 13)
         ("N2", "2026-03-02", "attended"), ("N2", "2026-03-05", "attended"),  # came back -> no call
         ("N3", "2026-03-03", "attended"), ("N3", "2026-03-20", "booked"),    # booked ahead -> no call
         ("N4", "2026-02-20", "attended"),                                   # 22 days, window closed -> call
         ("N5", "2026-01-10", "attended"),                                   # older than 30 days -> not listed
         ("X", "2026-03-14", "attended")],
        staff=["佐藤", "佐藤", "佐藤", "田中", "田中", "田中", "鈴木", "鈴木"],
    )
    calls = clinic.call_list(frame)  # as_of 03-14 (latest attended)
    assert calls[["patient_id", "days_since", "staff", "window_closed"]].values.tolist() == [
        ["N4", 22, "田中", True], ["N1", 13, "佐藤", False], ["X", 0, "鈴木", False]]
    assert calls["first_visit_on"].iloc[0] == D("2026-02-20")
    assert "patient_name" not in calls.columns and "phone" not in calls.columns  # only when the file has them


def test_call_list_carries_name_and_phone_when_the_visits_have_them():
    """Issue 17 item 12: the optional 患者名 / 電話 columns reach the call list (the patient's latest non-empty
    value), by the page's path (page_results, shared patient codes) exactly as by call_list alone."""
    frame = visits(
        [("N1", "2026-02-01", "cancelled"), ("N1", "2026-03-01", "attended"),  # the name only on an older row
         ("N4", "2026-02-20", "attended"),
         ("N2", "2026-03-02", "attended"), ("N2", "2026-03-05", "attended"),  # came back -> no call
         ("X", "2026-03-10", "attended"), ("X", "2026-03-14", "attended"),     # X came back: not listed
         ("Y", "2026-03-14", "attended")],
        patient_name=["山田 太郎", None, "佐藤 花子", "鈴木 一", "鈴木 一", "高橋", "高橋", None],
        phone=["06-1111-2222", "06-1111-3333", None, "075-000-0000", None, "0742-00-0000", None, None],
    )
    calls = clinic.call_list(frame)
    assert list(calls.columns[:3]) == ["patient_id", "patient_name", "phone"]
    got = calls[["patient_id", "patient_name", "phone"]].astype(object)
    assert got.where(got.notna(), None).values.tolist() == [
        ["N4", "佐藤 花子", None], ["N1", "山田 太郎", "06-1111-3333"], ["Y", None, None]]
    r = clinic.page_results(frame)
    pd.testing.assert_frame_equal(r["calls"], calls)
    # one of the two columns alone; and an empty list keeps its columns
    only_phone = clinic.call_list(frame.drop(columns="patient_name"))
    assert "patient_name" not in only_phone.columns and only_phone["phone"].tolist()[1] == "06-1111-3333"
    assert list(clinic.call_list(frame, as_of=D("2025-01-01")).columns[:3]) == ["patient_id", "patient_name", "phone"]


def test_continuation_shares_of_new_patients():
    rows = [("A", f"2026-02-{d:02d}", "attended") for d in (1, 2, 3, 4, 5)]       # 5 visits
    rows += [("B", "2026-02-01", "attended"), ("B", "2026-02-01", "attended"), ("B", "2026-02-09", "attended")]  # 2 days
    rows += [("C", "2026-02-10", "attended")]                                        # 1
    rows += [("Z", "2026-01-05", "attended")]  # the data's first month: history incomplete, left out
    c = clinic.continuation(visits(rows)).set_index("visit_no")
    # of A, B, C: 2nd = A B (2/3), 3rd = A (1/3), 5th = A (1/3), 10th = none
    assert c["reached"].tolist() == [2, 1, 1, 0] and c["new_patients"].iloc[0] == 3
    assert c["share"].tolist() == [2 / 3, 1 / 3, 1 / 3, 0.0]


def test_cohort_grid_shares():
    rows = [("Z", "2026-01-05", "attended"),  # first month: history incomplete, no row
            ("A", "2026-02-01", "attended"), ("A", "2026-03-01", "attended"), ("A", "2026-04-01", "attended"),
            ("B", "2026-02-02", "attended"), ("B", "2026-04-02", "attended"),
            ("C", "2026-03-03", "attended")]
    g = clinic.cohort_grid(visits(rows))
    # cohort Feb (A, B): m0 2/2, m1 A 1/2, m2 A B 2/2; cohort Mar (C): m0 1/1, m1 nobody in Apr -> 0 (a known 0)
    # no m2 cell for March: May is after as_of (04-02), not yet known
    assert g[["cohort", "months_since", "active", "share"]].values.tolist() == [
        ["2026-02", 0, 2, 1.0], ["2026-02", 1, 1, 0.5], ["2026-02", 2, 2, 1.0], ["2026-03", 0, 1, 1.0], ["2026-03", 1, 0, 0.0]]


def test_churn_not_seen_for_30_days_without_booking():
    frame = visits([("A", "2026-01-10", "attended"),   # 50 days before as_of -> churned
                    ("B", "2026-02-14", "attended"),   # 15 days -> active
                    ("C", "2026-01-20", "attended"), ("C", "2026-03-10", "booked"),  # booked ahead -> not churned
                    ("D", "2025-06-01", "attended"),   # outside the 120-day base window
                    ("E", "2026-03-01", "attended")])
    ch = clinic.churn(frame)  # as_of 03-01; base = last visit after 2025-11-01: A B C E
    assert (ch.base, ch.churned, ch.rate) == (4, 1, 0.25)
    assert ch.patients["patient_id"].tolist() == ["A"] and ch.patients["days_since"].tolist() == [50]


# ---------------------------------------------------------------- early warnings
def _warning(warnings, key):
    return next(w for w in warnings if w.key == key)


@pytest.mark.parametrize(
    "offsets, thin",
    [([2, 2, 2, 23, 23, 23], False),  # w1 3, w2 3, w3 3, w4 6: increments 0 0 3; 3 ≥ 50% × 3 -> not thin
     ([2, 2, 2, 23], True),           # increments 0 0 1, all < 1.5 -> thin
     ([23, 23], False)],              # w1 = 0: week 1 is not full -> no warning
)
def test_thin_backlog_rule(offsets, thin):
    as_of = D("2026-03-01")
    rows = [("X", "2026-03-01", "attended")] + [(f"P{i}", as_of + pd.Timedelta(days=k), "booked") for i, k in enumerate(offsets)]
    w = _warning(clinic.early_warnings(visits(rows)), "thin_backlog")
    assert w.triggered is thin and w.numbers["threshold"] == 0.5 * w.numbers["w1"]


def test_second_visit_falling_and_price_under_guide():
    rows, amounts, minutes = [], [], []
    # cohorts Jan..Apr, 2 new patients each; returns within 14 days: Jan 2, Feb 2, Mar 1, Apr 0
    for month, returns in ((1, 2), (2, 2), (3, 1), (4, 0)):
        for p in range(2):
            pid = f"M{month}P{p}"
            rows.append((pid, f"2026-{month:02d}-0{p + 1}", "attended"))
            if p < returns:
                rows.append((pid, f"2026-{month:02d}-1{p + 1}", "attended"))
    rows.append(("Z", "2025-12-01", "attended"))  # the history-incomplete month, excluded from the comparison
    rows.append(("Y", "2026-05-20", "attended"))  # as_of 05-20: April cohort fully eligible
    frame = visits(rows, amount_yen=[1500.0] * len(rows), treatment_minutes=[20.0] * len(rows))
    ws = clinic.early_warnings(frame, targets=Targets())
    falling = _warning(ws, "second_visit_falling")
    # April 0/2 = 0 < mean(Jan 1.0, Feb 1.0, Mar 0.5) = 0.8333
    assert falling.triggered is True and falling.numbers["month"] == "2026-04"
    assert falling.numbers["mean_3_before"] == pytest.approx(2.5 / 3)
    price = _warning(ws, "price_under_guide")
    # latest full month before 05-20 is April: 10 × 1500 / 20 = 750 < 1000
    assert price.triggered is True and price.numbers == {"month": "2026-04", "price_per_10min": 750.0, "guide": 1000.0}
    assert _warning(clinic.early_warnings(BASIC), "price_under_guide").triggered is None  # no columns: n/a


# ---------------------------------------------------------------- CLI section and workbook
def test_visits_section_matches_spec_json():
    s = clinic.visits_section(BASIC)
    assert set(s) == {"as_of", "monthly", "backlog", "latest_month"} and s["as_of"] == "2026-03-02"
    assert set(s["backlog"]) == {"w1", "w2", "w3", "w4"}
    keys = ["month", "visits", "patients", "new", "carryover", "returning", "frequency", "second_visit_rate",
            "cancel_rate", "revenue", "avg_price", "price_per_10min", "self_pay_ratio"]
    assert all(list(row) == keys for row in s["monthly"])
    assert s["monthly"][0]["month"] == "2026-01" and s["monthly"][2]["second_visit_rate"] is None
    json.dumps(s)  # plain JSON types
    # as_of given: the month of as_of is partial, rows after it are ignored
    assert [r["visits"] for r in clinic.visits_section(BASIC, as_of=pd.Timestamp("2026-02-10").date())["monthly"]] == [3, 3]


def test_visits_section_through_metrics_unrounded():
    from kpi.metrics import metrics

    out = metrics({"visits": BASIC})
    assert out["visits"]["monthly"][0]["frequency"] == 1.5 and out["visits"]["backlog"]["w1"] == 0


def test_report_tables_japanese_headers_and_empty_without_visits():
    tables = clinic.report_tables({"visits": BASIC}, None, Targets(), "ja")
    (name, table), = tables.items()
    assert name == "院KPI" and list(table.columns[:4]) == ["月", "来院数", "患者数", "新患"]
    assert table["来院数"].tolist() == [3, 4, 2]
    assert "Visits" in next(iter(clinic.report_tables({"visits": BASIC}, None, Targets(), "en").values())).columns
    assert clinic.report_tables({"leads": pd.DataFrame()}, None, Targets(), "ja") == {}


def test_large_file_is_vectorised():
    import time

    n = 400_000
    rng = np.random.default_rng(1)
    day = D("2025-01-01") + pd.to_timedelta(rng.integers(0, 600, n), unit="D")
    frame = pd.DataFrame({"patient_id": pd.Series(rng.integers(0, 60_000, n)).astype("str"), "visit_on": day,
                          "status": rng.choice(["attended", "cancelled", "booked"], n, p=[0.85, 0.1, 0.05]),
                          "booked_on": day - pd.to_timedelta(rng.integers(0, 30, n), unit="D")})
    started = time.perf_counter()
    clinic.visits_section(frame)
    clinic.backlog_trend(frame)
    assert time.perf_counter() - started < 10


# ---------------------------------------------------------------- real public data
def test_real_kaggle_appointments_section_and_identity():
    from kpi.load import ColumnMapping, load

    path = realdata("noshow_kaggle", "KaggleV2-May-2016.csv")
    mapping = ColumnMapping.from_json((ROOT / "examples" / "mappings" / "kaggle_noshow_visits.json").read_text())
    frame = load(path.read_bytes(), path.name, mapping=mapping).frame
    s = clinic.visits_section(frame)
    assert s["as_of"] == "2016-06-08"
    assert [r["month"] for r in s["monthly"]] == ["2016-04", "2016-05", "2016-06"]
    for r in s["monthly"]:
        assert r["patients"] == r["new"] + r["carryover"] + r["returning"]
        assert r["revenue"] is None and r["price_per_10min"] is None  # no amount column in this export
    assert sum(r["visits"] for r in s["monthly"]) == 88208  # every attended ("No-show" = No) row
    # no appointment after the last attended day: nothing left in the book
    assert s["backlog"] == {"w1": 0, "w2": 0, "w3": 0, "w4": 0}
    # every "No-show = Yes" row is a no_show inside the three months
    assert clinic.monthly_table(frame)["cancelled"].sum() == 22319


@pytest.mark.parametrize("as_of", [pd.Timestamp("2026-10-30"), pd.Timestamp("2026-11-05"), None])
def test_page_results_without_any_attended_visit(as_of):
    """Only a booking and a cancellation (or no row at all): the page's results are empty tables, not a crash.

    As of 10-30 the booking on 11-01 is in every backlog week (w1..w4 = 1); the cancellation without a
    cancelled_on counts as cancelled. As of 11-05 nothing lies ahead."""
    from kpi.clinic import page_results

    rows = pd.DataFrame({"patient_id": pd.Series(["P1", "P2"], dtype="str"), "visit_on": pd.to_datetime(["2026-11-01", "2026-11-02"]),
                         "status": pd.Series(["booked", "cancelled"], dtype="str"), "clinic": pd.Series(["A", "B"], dtype="str")})
    frame = rows if as_of is not None else rows.iloc[0:0]
    r = page_results(frame, as_of)
    assert len(r["calls"]) == 0 and r["monthly"]["visits"].sum() == 0
    expected = 1 if as_of == pd.Timestamp("2026-10-30") else 0
    assert r["backlog"] == {"w1": expected, "w2": expected, "w3": expected, "w4": expected}


def test_page_results_equal_each_kpi_computed_on_its_own():
    """page_results shares one _Rows between two threads; every table equals the KPI function called alone."""
    from conftest import SAMPLE

    from kpi.load import load

    frame = load((SAMPLE / "visits.csv").read_bytes(), "visits.csv").frame
    as_of = clinic.default_as_of(frame)
    r = clinic.page_results(frame, as_of, Targets())
    pd.testing.assert_frame_equal(r["monthly"], clinic.monthly_table(frame, as_of))
    pd.testing.assert_frame_equal(r["by_clinic"], clinic.monthly_table(frame, as_of, by_clinic=True))
    pd.testing.assert_frame_equal(r["calls"], clinic.call_list(frame, as_of))
    pd.testing.assert_frame_equal(r["cohorts"], clinic.cohort_grid(frame, as_of))
    pd.testing.assert_frame_equal(r["trend"], clinic.backlog_trend(frame, as_of))
    assert r["backlog"] == clinic.booking_backlog(frame, as_of)
    assert r["warnings"] == clinic.early_warnings(frame, as_of, Targets())
    for name, group in frame.groupby("clinic"):
        assert r["warnings_by_clinic"][name] == clinic.early_warnings(group.reset_index(drop=True), as_of, Targets())


# ---------------------------------------------------------------- issue 16: revenue tree, guides, staff, machine-only, outcomes
# Feb: A 3000 ×2, B 2000 -> 3 visits, 2 patients, ¥8,000. Mar: A 3000 ×2, B 2000 ×2, C 4000 (all self-pay) + C without
# an amount -> 6 visits, 3 patients, ¥14,000.
TREE = visits(
    [("A", "2026-02-02", "attended"), ("A", "2026-02-09", "attended"), ("B", "2026-02-03", "attended"),
     ("A", "2026-03-02", "attended"), ("A", "2026-03-09", "attended"), ("B", "2026-03-03", "attended"),
     ("B", "2026-03-10", "attended"), ("C", "2026-03-04", "attended"), ("C", "2026-03-11", "attended")],
    amount_yen=[3000.0, 3000.0, 2000.0, 3000.0, 3000.0, 2000.0, 2000.0, 4000.0, np.nan],
    self_pay_yen=[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 4000.0, np.nan],
)


def test_revenue_tree_factors_and_their_changes_multiply_to_revenue():
    """売上 = 患者数 × 来院頻度 × 平均単価, and the factors' (1 + change) multiply to the revenue's."""
    tree = clinic.revenue_tree(clinic.monthly_table(TREE, as_of=D("2026-03-31")), "2026-03")
    assert (tree.month, tree.previous_month) == ("2026-03", "2026-02")
    assert (tree.revenue.value, tree.patients.value, tree.frequency.value) == (14000, 3, 2.0)
    assert tree.avg_price.value == pytest.approx(14000 / 6)  # the visit without an amount is in the denominator
    assert tree.patients.value * tree.frequency.value * tree.avg_price.value == pytest.approx(tree.revenue.value)
    # patients 3/2 − 1 = +50 %, frequency 2/1.5 − 1 = +33.3 %, avg price (14000/6)/(8000/3) − 1 = −12.5 %, revenue +75 %
    assert tree.patients.change == pytest.approx(0.5) and tree.frequency.change == pytest.approx(1 / 3)
    assert tree.avg_price.change == pytest.approx(-0.125) and tree.revenue.change == pytest.approx(0.75)
    product = np.prod([1 + f.change for f in tree.factors])
    assert product == pytest.approx(1 + tree.revenue.change)  # 1.5 × 4/3 × 0.875 = 1.75
    assert tree.largest_move == "patients"
    first = clinic.revenue_tree(clinic.monthly_table(TREE, as_of=D("2026-03-31")), "2026-02")
    assert first.previous_month is None and first.revenue.change is None and first.largest_move is None


def test_new_registry_kpis_are_the_latest_full_months_numbers():
    from kpi import registry

    values = registry.values({"visits": TREE}, as_of=D("2026-03-31").date())
    assert values["clinic_avg_price"] == pytest.approx(14000 / 6)
    assert values["self_pay_ratio"] == pytest.approx(4000 / 14000)
    assert values["returning_share"] == 0.0  # Mar: A and B carried over from Feb, C new (no first_visit column)
    assert values["price_per_10min_excl_machine"] is None  # no treatment_minutes: n/a, never 0
    latest = clinic.visits_section(TREE, as_of=D("2026-03-31").date())["latest_month"]
    assert latest["month"] == "2026-03" and latest["revenue_change"] == pytest.approx(0.75)
    assert latest["patients_change"] == pytest.approx(0.5) and latest["avg_price_change"] == pytest.approx(-0.125)
    json.dumps(latest)


def test_returning_share_is_returning_over_patients():
    extras = clinic.month_extras(BASIC).set_index("month")
    # Jan 0 / 2, Feb 0 / 2, Mar: P2 returning of P5 + P2 -> 1 / 2
    assert extras["returning_share"].tolist() == [0.0, 0.0, 0.5]


def test_guides_are_the_methods_numbers():
    g = clinic.guides()
    assert {k: (v.value, v.direction) for k, v in g.items()} == {
        "clinic_new_patients": (20.0, "up"), "returning_share": (0.05, "about"), "visit_frequency": (4.0, "up"),
        "cancel_rate": (0.10, "down"), "price_per_10min": (1000.0, "up"), "price_per_10min_excl_machine": (1000.0, "up")}
    assert clinic.guides(Targets(frequency_min=3.5))["visit_frequency"].value == 3.5


# Jan first visits (first_visit flag): A 01-10 then 01-12, 01-20, 02-01, 03-05 (5 days ≤ 03-10: retained);
# B 01-15 only (dropped); C 01-20 then 03-25, after its window end 03-20 (dropped); D 01-31 then 02-05 (came back,
# 2 visits). Feb: E 02-10 only — Feb's window ends 04-28, after as_of 04-01: incomplete, not a drop-out.
OUTCOMES = visits(
    [("A", "2026-01-10", "attended"), ("A", "2026-01-12", "attended"), ("A", "2026-01-20", "attended"),
     ("A", "2026-02-01", "attended"), ("A", "2026-03-05", "attended"), ("B", "2026-01-15", "attended"),
     ("C", "2026-01-20", "attended"), ("C", "2026-03-25", "attended"), ("D", "2026-01-31", "attended"),
     ("D", "2026-02-05", "attended"), ("X", "2026-01-25", "cancelled"), ("E", "2026-02-10", "attended")],
    first_visit=[True, False, False, False, False, True, True, False, True, False, False, True],
    staff=["S1", "S1", "S1", "S1", "S1", "S1", "S2", "S2", "S2", "S2", "S2", "S1"],
    amount_yen=[1000.0] * 8 + [500.0, 1000.0, np.nan, 1000.0],
    treatment_minutes=[10.0] * 8 + [20.0, 10.0, np.nan, 10.0],
    machine_only=[False] * 8 + [True] + [False] * 3,
)
AS_OF_OUT = D("2026-04-01")


def test_drop_out_and_retention_by_first_visit_month_incomplete_months_not_counted():
    per_patient = clinic.new_patient_outcomes(OUTCOMES, AS_OF_OUT).set_index("patient_id")
    assert per_patient["visits_in_window"].to_dict() == {"A": 5, "B": 1, "C": 1, "D": 2, "E": 1}
    by_month = clinic.outcomes_by(clinic.new_patient_outcomes(OUTCOMES, AS_OF_OUT), "month").set_index("month")
    jan, feb = by_month.loc["2026-01"], by_month.loc["2026-02"]
    # Jan: 4 new, B and C dropped (2/4), A retained (1/4)
    assert (jan["new"], jan["complete"], jan["dropped"], jan["retained"]) == (4, True, 2, 1)
    assert (jan["dropout_rate"], jan["retention_rate"]) == (0.5, 0.25)
    # Feb: E has had no second visit, but Feb's 2 months are not over: pending, not a drop-out
    assert (feb["new"], feb["complete"], feb["dropped"]) == (1, False, 0) and pd.isna(feb["dropout_rate"])
    assert clinic.latest_complete_cohort(by_month.reset_index())["month"] == "2026-01"


def test_drop_out_and_retention_by_staff_of_the_first_visit():
    by_staff = clinic.outcomes_by(clinic.new_patient_outcomes(OUTCOMES, AS_OF_OUT), "staff").set_index("staff")
    # S1: A (retained), B (dropped); E is in the incomplete month. S2: C (dropped), D (came back, 2 visits)
    assert by_staff[["new", "new_complete", "dropped", "retained"]].to_dict("index") == {
        "S1": {"new": 3, "new_complete": 2, "dropped": 1, "retained": 1},
        "S2": {"new": 2, "new_complete": 2, "dropped": 1, "retained": 0}}
    assert by_staff["dropout_rate"].tolist() == [0.5, 0.5] and by_staff["retention_rate"].tolist() == [0.5, 0.0]


def test_registry_drop_out_and_retention_are_the_latest_complete_cohort():
    from kpi import registry

    values = registry.values({"visits": OUTCOMES}, as_of=AS_OF_OUT.date())
    assert values["first_visit_dropout_rate"] == 0.5 and values["new_patient_retention_rate"] == 0.25


def test_staff_table_visits_cancellations_price_and_second_visit_rate():
    table = clinic.staff_table(OUTCOMES, AS_OF_OUT, ("2026-01",)).set_index("staff")
    assert list(table.index) == ["S1", "S2"]  # most visits first
    # S1 Jan: A ×3 + B = 4 visits; S2: C, D = 2 visits + X cancelled -> 1 / 3
    assert table["visits"].tolist() == [4, 2] and table["cancelled"].tolist() == [0, 1]
    assert table.loc["S2", "cancel_rate"] == pytest.approx(1 / 3)
    # price per 10 min: S2's machine-only row (¥500, 20 min) is left out -> 10 × 1000 / 10
    assert table["price_per_10min"].tolist() == [1000.0, 1000.0]
    # second visit within 14 days, by the staff of the first visit: S1 A yes, B no; S2 C no (03-25), D yes (02-05)
    assert table["new"].tolist() == [2, 2] and table["second_visits"].tolist() == [1, 1]
    assert table["second_visit_rate"].tolist() == [0.5, 0.5]
    kept = clinic.staff_table(OUTCOMES, AS_OF_OUT, ("2026-01",), clinic.ClinicSettings(exclude_machine_only=False)).set_index("staff")
    assert kept.loc["S2", "price_per_10min"] == pytest.approx(10 * 1500 / 30)  # = 500


def test_machine_only_rows_by_column_or_menu_name_and_the_price_without_them():
    mask, sources = clinic.machine_only_rows(OUTCOMES)
    assert sources == ("column",) and mask.sum() == 1
    jan = clinic.month_extras(OUTCOMES, AS_OF_OUT).set_index("month").loc["2026-01"]
    # Jan attended: A ×3, B, C, D — D's ¥500 / 20 min is machine-only: 10 × 5000 / 50 = 1000 (all rows: 10 × 5500 / 70)
    assert jan["machine_only_visits"] == 1 and jan["price_per_10min_excl_machine"] == 1000.0
    assert bool(jan["exclusion_active"])
    assert clinic.monthly_table(OUTCOMES, AS_OF_OUT).set_index("month").loc["2026-01", "price_per_10min"] == pytest.approx(10 * 5500 / 70)
    by_menu = OUTCOMES.drop(columns=["machine_only"]).assign(menu=["整体"] * 8 + ["ＥＭＳ"] + ["整体"] * 3)
    mask, sources = clinic.machine_only_rows(by_menu)  # full-width ＥＭＳ reads as EMS (NFKC)
    assert sources == ("menu",) and mask.tolist() == [False] * 8 + [True] + [False] * 3
    mask, sources = clinic.machine_only_rows(by_menu, clinic.ClinicSettings(machine_only_menus=("メドマー",)))
    assert sources == ("menu",) and not mask.any()
    mask, sources = clinic.machine_only_rows(BASIC)
    assert sources == () and not mask.any()
    none = clinic.month_extras(OUTCOMES.drop(columns=["machine_only"]), AS_OF_OUT).set_index("month").loc["2026-01"]
    assert none["price_per_10min_excl_machine"] == pytest.approx(10 * 5500 / 70) and not bool(none["exclusion_active"])


def test_machine_only_and_menu_headers_are_read():
    from kpi.load import load

    data = "患者ID,来院日,会計金額,施術時間(分),物療のみ,施術メニュー\nP1,2026/10/01,500,20,○,メドマー\nP1,2026/10/02,3000,30,,整体\n"
    frame = load(data.encode("utf-8"), "v.csv").frame
    assert frame["machine_only"].tolist() == [True, False] and frame["menu"].tolist() == ["メドマー", "整体"]


def test_clinic_settings_round_trip_and_clinic_view():
    settings = clinic.ClinicSettings(self_pay_ratio_min=0.3, machine_only_menus=("EMS",))
    assert clinic.ClinicSettings.from_json(settings.to_json()) == settings
    view = clinic.clinic_view(TREE, D("2026-03-31"), settings=settings, lang="en")
    assert view.month == "2026-03" and view.previous_month == "2026-02"
    sp = view.tiles["self_pay_ratio"]
    # 0.286 is under the setting's 0.30 but ≥ 0.8 × 0.30: yellow (the registry's RAG rule on the setting's target)
    assert sp.value == pytest.approx(4000 / 14000) and sp.target == 0.3 and sp.rag == "yellow" and sp.label == "Self-pay ratio"
    assert view.tiles["clinic_revenue"].value == 14000 and view.tiles["clinic_revenue"].previous == 8000
    assert view.tiles["clinic_patients"].value == 3 and view.tiles["clinic_new_patients"].target is None  # a guide, no target


def test_self_pay_ratio_from_rows_marked_self_pay_when_there_is_no_self_pay_amount():
    frame = visits([("A", "2026-01-05", "attended"), ("B", "2026-01-06", "attended"), ("C", "2026-01-07", "attended"),
                    ("D", "2026-01-08", "cancelled")],
                   amount_yen=[1000.0, 3000.0, 2000.0, 5000.0], payment_type=["insurance", "self_pay", None, "self_pay"])
    # 3000 (B, 自費) / (1000 + 3000 + 2000); the cancelled 自費 row counts nowhere; C without a mark counts as insurance
    assert clinic.monthly_table(frame)["self_pay_ratio"].tolist() == [0.5]
    assert pd.isna(clinic.monthly_table(frame.drop(columns=["payment_type"]))["self_pay_ratio"].iloc[0])
    from kpi.load import load

    data = "患者ID,来院日,会計金額,保険/自費\nP1,2026/10/01,1000,保険\nP1,2026/10/02,3000,自費診療\n"
    assert load(data.encode("utf-8"), "v.csv").frame["payment_type"].tolist() == ["insurance", "self_pay"]
