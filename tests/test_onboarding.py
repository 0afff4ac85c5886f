"""kpi.onboarding on small hand-made frames: each KPI with its arithmetic, and SPEC section 4's edge rules."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from kpi import onboarding as ob
from kpi.targets import Targets

AS_OF = pd.Timestamp("2026-11-22")


def sessions(rows: list[tuple], **extra_columns) -> pd.DataFrame:
    """(customer, user, session_no, status, held_on) rows in the validated-frame contract."""
    df = pd.DataFrame(rows, columns=["customer", "user", "session_no", "status", "held_on"])
    df["customer"] = df["customer"].astype("str")
    df["user"] = df["user"].astype("str")
    df["session_no"] = df["session_no"].astype("int64")
    df["status"] = df["status"].astype("str")
    df["held_on"] = pd.to_datetime(df["held_on"])
    for name, values in extra_columns.items():
        df[name] = pd.Series(values, dtype="float64") if name != "trainer" else pd.Series(values, dtype="str")
    df["_row"] = range(2, len(df) + 2)
    return df


def user_done(customer: str, user: str, upto: int, start: str = "2026-06-01", every_days: int = 7, first: int = 0) -> list[tuple]:
    """Sessions first..upto done, one a week from start."""
    day = pd.Timestamp(start)
    return [(customer, user, k, "done", day + pd.Timedelta(days=every_days * (k - first))) for k in range(first, upto + 1)]


# ------------------------------------------------------------------ started / graduated / reached
def test_started_graduated_rate_and_reach():
    """A graduates, B stops after session 5, C never did session 1 but did 0, 2, 3."""
    df = sessions(
        user_done("P", "A", 12)
        + user_done("P", "B", 5)
        + [("Q", "C", 0, "done", "2026-06-01"), ("Q", "C", 2, "done", "2026-06-08"), ("Q", "C", 3, "done", "2026-06-15")]
    )
    s = ob.summary(df, AS_OF)
    assert s.users == 3
    assert s.started == 2  # A and B have session 1 done; C does not
    assert s.graduated == 1  # A
    assert s.graduation_rate == 0.5  # 1 / 2
    # highest done: A 12, B 5, C 3 -> k=1..3: 3 users, 4..5: 2, 6..12: 1
    assert s.reached_by_session == (3, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1)


def test_days_to_graduate_is_median_from_session_1_to_12():
    """A: weekly, 11 weeks = 77 days; B: every 10 days, 110 days; C: every 3 days, 33 days -> median 77."""
    df = sessions(user_done("P", "A", 12, every_days=7) + user_done("P", "B", 12, every_days=10) + user_done("P", "C", 12, every_days=3))
    assert ob.summary(df, AS_OF).days_to_graduate == 77.0


def test_attendance_counts_rows_missed_then_redone():
    """s1 done, s2 missed, s2 redone, s3 missed: done 2 / (done 2 + missed 2) = 0.5."""
    df = sessions([
        ("P", "A", 1, "done", "2026-11-01"), ("P", "A", 2, "missed", "2026-11-08"),
        ("P", "A", 2, "done", "2026-11-10"), ("P", "A", 3, "missed", "2026-11-17"), ("P", "A", 4, "scheduled", None),
    ])
    s = ob.summary(df, AS_OF)
    assert (s.done_rows, s.missed_rows, s.attendance_rate) == (2, 2, 0.5)


def test_rows_after_as_of_do_not_count():
    """Session 2 done on 11-25 is after as_of 11-22: A has reached session 1 only, and grid shows it scheduled."""
    df = sessions([("P", "A", 1, "done", "2026-11-15"), ("P", "A", 2, "done", "2026-11-25")])
    s = ob.summary(df, AS_OF)
    assert s.reached_by_session[:2] == (1, 0)
    grid = ob.progress_grid(df, AS_OF).set_index("session_no")["state"]
    assert (grid[1], grid[2], grid[3]) == ("done", "scheduled", "not_yet")


# ------------------------------------------------------------------ SPEC section 4 edge rules as one table
@pytest.mark.parametrize(
    "rows, as_of, key, expected",
    [
        # reached_by_session counts a user without session 1 (highest done 4 -> reached 1..4)
        ([("P", "A", 0, "done", "2026-11-01"), ("P", "A", 4, "done", "2026-11-08")], AS_OF, "reached", (1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0)),
        # a missed session redone = 1 missed + 1 done -> attendance 2 / 3
        ([("P", "A", 1, "done", "2026-11-01"), ("P", "A", 2, "missed", "2026-11-08"), ("P", "A", 2, "done", "2026-11-09")], AS_OF, "attendance", 2 / 3),
        # dropped exactly at 21 days: last done 11-01, as_of 11-22 -> 21 days, not > as_of - 21 -> dropped
        ([("P", "A", 1, "done", "2026-11-01")], AS_OF, "dropped", 1),
        # 20 days: last done 11-02 > 11-01 -> still active
        ([("P", "A", 1, "done", "2026-11-02")], AS_OF, "dropped", 0),
        # a graduate is never dropped, however long ago
        (user_done("P", "A", 12, start="2026-01-05"), AS_OF, "dropped", 0),
        # a user who never did session 1 is not "started", so not dropped
        ([("P", "A", 0, "done", "2026-06-01")], AS_OF, "dropped", 0),
    ],
    ids=["reach-without-session-1", "missed-redone", "dropped-at-21-days", "not-dropped-at-20-days", "graduate-not-dropped", "not-started-not-dropped"],
)
def test_spec_edge_rules(rows, as_of, key, expected):
    s = ob.summary(sessions(rows), as_of)
    value = {"reached": s.reached_by_session, "attendance": s.attendance_rate, "dropped": s.dropped}[key]
    assert value == pytest.approx(expected) if isinstance(expected, float) else value == expected


def test_drop_days_come_from_targets():
    """With a 30-day rule the user last seen 21 days ago is active again."""
    df = sessions([("P", "A", 1, "done", "2026-11-01")])
    assert ob.summary(df, AS_OF, Targets(onboarding_drop_days=30)).dropped == 0


def test_stalled_list_longest_silence_first():
    """B last done 10-01 (52 days), A last done 10-20 (33 days), C active (11-20, 2 days)."""
    df = sessions([
        ("P", "A", 1, "done", "2026-10-13"), ("P", "A", 2, "done", "2026-10-20"),
        ("P", "B", 1, "done", "2026-10-01"),
        ("P", "C", 1, "done", "2026-11-20"),
    ])
    out = ob.dropped_users(df, AS_OF)
    assert out[["user", "last_session", "days_since"]].values.tolist() == [["B", 1, 52], ["A", 2, 33]]


# ------------------------------------------------------------------ NPS
def test_nps_uses_each_users_latest_score():
    """A: 5 at session 6 then 9 at 12 -> promoter; B: 7 -> passive; C: 3 -> detractor; D: no score.
    nps = 100 x (1 promoter - 1 detractor) / 3 = 0."""
    df = sessions(
        [("P", "A", 6, "done", "2026-10-01"), ("P", "A", 12, "done", "2026-11-01"), ("P", "B", 6, "done", "2026-10-01"),
         ("P", "C", 6, "done", "2026-10-01"), ("P", "D", 6, "done", "2026-10-01")],
        nps_score=[5, 9, 7, 3, None],
    )
    s = ob.summary(df, AS_OF)
    assert (s.promoters, s.passives, s.detractors, s.nps_respondents, s.nps) == (1, 1, 1, 3, 0.0)


def test_nps_with_only_promoters_and_one_detractor():
    """scores 10, 9, 9, 6 -> 100 x (3/4 - 1/4) = 50."""
    df = sessions([("P", u, 12, "done", "2026-11-01") for u in "ABCD"], nps_score=[10, 9, 9, 6])
    assert ob.summary(df, AS_OF).nps == 50.0


def test_nps_without_column_is_na_not_zero():
    s = ob.summary(sessions([("P", "A", 1, "done", "2026-11-01")]), AS_OF)
    assert s.nps is None and "nps_score" in s.missing
    assert ob.nps_scores(sessions([("P", "A", 1, "done", "2026-11-01")])) is None


def test_dropped_without_held_on_is_na():
    df = sessions([("P", "A", 1, "done", None)]).drop(columns="held_on")
    s = ob.summary(df, None)
    assert s.dropped is None and s.days_to_graduate is None and s.started == 1


# ------------------------------------------------------------------ success level
def test_success_levels_per_graduate():
    """Graduates A, B, C, D (E not graduated, left out). Targets 0.90 / 0.60.
    A: latest at 9-11 = session 11 (0.92, 0.65) -> level1 (session 9's 0.50 is older).
    B: 0.95 / 0.55 fails guidance; latest usage_stage 2 -> level2.
    C: 0.80 / 0.70 fails same-day; usage_stage 3 at session 9 but 1 at session 12 (latest) -> needs_support.
    D: rates only at session 12 (outside 9-11) -> no level1; no usage stage -> needs_support."""
    rows, sdr, gur, stage = [], [], [], []

    def add(user, k, s, g, u):
        rows.append(("P", user, k, "done", f"2026-10-{k + 10:02d}"))
        sdr.append(s), gur.append(g), stage.append(u)

    for user in "ABCD":
        add(user, 1, None, None, None)
    add("A", 9, 0.50, 0.50, None), add("A", 11, 0.92, 0.65, None), add("A", 12, None, None, None)
    add("B", 10, 0.95, 0.55, 2), add("B", 12, None, None, None)
    add("C", 9, 0.80, 0.70, 3), add("C", 12, None, None, 1)
    add("D", 12, 0.99, 0.99, None)
    add("E", 11, 0.99, 0.99, 3)
    df = sessions(rows, same_day_record_rate=sdr, guidance_use_rate=gur, usage_stage=stage)
    levels = ob.success_levels(df, AS_OF).set_index("user")["level"].to_dict()
    assert levels == {"A": "level1", "B": "level2", "C": "needs_support", "D": "needs_support"}


def test_success_levels_need_a_column():
    assert ob.success_levels(sessions([("P", "A", 12, "done", "2026-11-01")]), AS_OF) is None


# ------------------------------------------------------------------ workload and grid
def test_trainer_workload_per_week():
    """Week of Mon 11-09: T1 done 2 (11-09, 11-13), missed 1 (11-11); week of 11-23: T1 scheduled 1 (after as_of, planned)."""
    df = sessions(
        [("P", "A", 1, "done", "2026-11-09"), ("P", "B", 1, "done", "2026-11-13"), ("P", "C", 1, "missed", "2026-11-11"),
         ("P", "A", 2, "scheduled", None)],
        trainer=["T1", "T1", "T1", "T1"],
    )
    df["scheduled_on"] = pd.to_datetime([None, None, None, "2026-11-24"])
    out = ob.trainer_workload(df, AS_OF)
    assert out.assign(week=out["week"].dt.strftime("%m-%d")).values.tolist() == [["T1", "11-09", 2, 1, 0], ["T1", "11-23", 0, 0, 1]]


def test_trainer_workload_without_trainer_is_na():
    assert ob.trainer_workload(sessions([("P", "A", 1, "done", "2026-11-01")]), AS_OF) is None


def test_progress_grid_states_and_phases():
    """13 cells per user; missed then redone = done; missed only = missed; scheduled; cancelled = not yet."""
    df = sessions([
        ("P", "A", 0, "done", "2026-11-01"), ("P", "A", 1, "missed", "2026-11-02"), ("P", "A", 1, "done", "2026-11-03"),
        ("P", "A", 2, "missed", "2026-11-10"), ("P", "A", 3, "scheduled", None), ("P", "A", 4, "cancelled", None),
    ])
    grid = ob.progress_grid(df, AS_OF)
    assert len(grid) == 13
    states = grid.set_index("session_no")["state"]
    assert [states[k] for k in range(6)] == ["done", "done", "missed", "scheduled", "not_yet", "not_yet"]
    phases = grid.set_index("session_no")["phase"]
    assert [phases[k] for k in (0, 1, 2, 3, 8, 9, 12)] == ["kickoff", "purpose", "purpose", "features", "features", "operation", "operation"]


# ------------------------------------------------------------------ as_of, CLI section, workbook
def test_default_as_of_is_latest_done_session():
    df = sessions([("P", "A", 1, "done", "2026-11-10"), ("P", "A", 2, "scheduled", None)])
    df["scheduled_on"] = pd.to_datetime([None, "2026-12-01"])
    assert ob.default_as_of(df) == pd.Timestamp("2026-11-10")


def test_onboarding_section_is_spec_json():
    """Two users: A graduates (weekly from 06-01), B did 1 and 2 then stopped in June -> dropped."""
    df = sessions(user_done("P", "A", 12) + user_done("P", "B", 2), nps_score=[None] * 12 + [10] + [None, None, 4])
    out = ob.onboarding_section(df, AS_OF.date(), Targets())
    assert out == {
        "users": 2, "started": 2, "graduated": 1, "graduation_rate": 0.5,
        "reached_by_session": [2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
        "dropped": 1, "attendance_rate": 1.0,
        "nps": 0.0,  # A 10 (promoter), B 4 (detractor): 100 x (1 - 1) / 2
    }


def test_report_tables():
    df = sessions(user_done("P", "A", 12) + user_done("P", "B", 2))
    assert ob.report_tables({}, None, Targets()) == {}
    sheets = ob.report_tables({"onboarding": df}, AS_OF, Targets(), lang="ja")
    head = sheets["オンボーディング"]
    assert list(head.columns) == ["指標", "値"]
    assert head.set_index("指標").loc["修了率", "値"] == 0.5
    assert sheets["離脱者"]["受講者"].tolist() == ["B"]
    assert list(ob.report_tables({"onboarding": df}, AS_OF, Targets(), lang="en")) == ["Onboarding", "Onboarding reach", "Stalled users"]
    assert not math.isnan(sheets["オンボーディング"].set_index("指標").loc["修了までの日数（中央値）", "値"])


def test_counts_by_customer_puts_the_all_customers_block_first():
    """Two customers: A has 2 promoters, B 1 promoter + 1 detractor -> all: 3 promoters, 1 detractor."""
    from kpi.onboarding import counts_by_customer

    users = pd.DataFrame({"customer": ["A", "A", "B", "B"], "nps_class": ["promoter", "promoter", "promoter", "detractor"]})
    out = counts_by_customer(users, "nps_class", "全体")
    assert out.values.tolist() == [["全体", "detractor", 1], ["全体", "promoter", 3], ["A", "promoter", 2],
                                   ["B", "detractor", 1], ["B", "promoter", 1]]


# ------------------------------------------------------------------ issue 16: sessions 9-11 while in the programme
def test_below_level1_in_programme():
    """As of 11-22, targets 0.90 / 0.60. In the programme past session 9:
    A (done 0-10 weekly from 09-01, last 11-10): latest 9-11 rates 0.85 / 0.70 -> fails same-day; stage 2 -> level2.
    B (done 0-9, last 11-03): 0.95 / 0.65 -> level1, not listed.
    C (done 0-9, last 11-03): no rates yet, stage 1 -> needs_support (listed first).
    G graduated (done to 12) with low rates: not in the programme any more. D done 0-9 but last on 08-04: dropped.
    E at session 8 only: not yet at session 9."""
    rows, sdr, gur, stage = [], [], [], []

    def user(name, upto, start, rates=None):
        for k, day in enumerate(pd.date_range(start, periods=upto + 1, freq="7D")):
            rows.append(("P", name, k, "done", day))
            r = rates.get(k, (None, None, None)) if rates else (None, None, None)
            sdr.append(r[0]), gur.append(r[1]), stage.append(r[2])

    user("A", 10, "2026-09-01", {9: (0.95, 0.65, 3), 10: (0.85, 0.70, 2)})
    user("B", 9, "2026-09-01", {9: (0.95, 0.65, 3)})
    user("C", 9, "2026-09-01", {5: (None, None, 1)})
    user("G", 12, "2026-08-18", {9: (0.5, 0.5, 1)})
    user("D", 9, "2026-06-02", {9: (0.5, 0.5, 1)})
    user("E", 8, "2026-09-22")
    df = sessions(rows, same_day_record_rate=sdr, guidance_use_rate=gur, usage_stage=stage)
    out = ob.below_level1_in_programme(df, AS_OF)
    assert out["user"].tolist() == ["C", "A"]
    assert out["level"].tolist() == ["needs_support", "level2"]
    a = out.set_index("user").loc["A"]
    assert (a["highest_done"], a["same_day_record_rate"], a["guidance_use_rate"], a["usage_stage"]) == (10, 0.85, 0.70, 2)
    assert ob.below_level1_in_programme(sessions([("P", "A", 9, "done", "2026-11-01")]), AS_OF) is None


def test_homework_rate_by_session_and_trainer():
    """Done sessions 1+ only (the kickoff and the missed row are left out): T1 has sessions 1, 2 of A (yes, no) and
    1 of B (yes) -> 2/3; T2 has 1, 2 of C (blank = not done, yes) -> 1/2. Overall 3/5 = 0.6.
    By session: 1 -> 2/3 (A yes, B yes, C blank), 2 -> 1/2."""
    df = sessions([("P", "A", 0, "done", "2026-10-01"), ("P", "A", 1, "done", "2026-10-08"), ("P", "A", 2, "done", "2026-10-15"),
                   ("P", "B", 1, "done", "2026-10-08"), ("P", "B", 2, "missed", "2026-10-15"),
                   ("P", "C", 1, "done", "2026-10-08"), ("P", "C", 2, "done", "2026-10-15")],
                  trainer=["T1", "T1", "T1", "T1", "T1", "T2", "T2"])
    df["homework_done"] = pd.Series([True, True, False, True, True, None, True], dtype="boolean")
    overall, by_session, by_trainer = ob.homework_rates(df, AS_OF)
    assert overall == pytest.approx(0.6)
    assert by_session[["session_no", "sessions", "homework"]].values.tolist() == [[1, 3, 2], [2, 2, 1]]
    assert by_trainer.set_index("trainer")["rate"].to_dict() == pytest.approx({"T1": 2 / 3, "T2": 0.5})
    assert by_trainer["trainer"].tolist() == ["T2", "T1"]  # lowest rate first
    assert ob.homework_rates(sessions([("P", "A", 1, "done", "2026-10-08")]), AS_OF) is None


def test_nps_and_graduation_by_programme():
    """期1 (from 06-01): A graduated, B started only; NPS A 6 (detractor), B 9 -> (1 − 1) / 2 = 0. 期2 (from 09-01):
    C graduated, scores 10 and, for D (started), 9 -> NPS 100; graduation 1/2 each. C's programme is its latest written
    value (期2, the blank row does not change it)."""
    rows = user_done("P", "A", 12, "2026-06-01") + user_done("P", "B", 3, "2026-06-01") + user_done("P", "C", 12, "2026-09-01", every_days=5) \
        + user_done("P", "D", 2, "2026-09-01")
    df = sessions(rows)
    program = {"A": "期1", "B": "期1", "C": "期2", "D": "期2"}
    df["program"] = df["user"].map(program).where(~((df["user"] == "C") & (df["session_no"] == 5)))
    scores = {("A", 12): 6, ("B", 3): 9, ("C", 12): 10, ("D", 2): 9}
    df["nps_score"] = [scores.get((u, k)) for u, k in zip(df["user"], df["session_no"])]
    df["nps_score"] = df["nps_score"].astype("float64")
    out = ob.by_programme(df, AS_OF)
    assert out["program"].tolist() == ["期1", "期2"]
    assert out["graduation_rate"].tolist() == [0.5, 0.5] and out["nps"].tolist() == [0.0, 100.0]
    assert out["respondents"].tolist() == [2, 2]
    view = ob.onboarding_view(df, AS_OF)
    assert view.kpis["nps_latest_programme"] == 100.0 and view.kpis["nps"] == 50.0  # (3 − 1) / 4 overall
    assert ob.by_programme(df.drop(columns="program"), AS_OF) is None and ob.onboarding_view(df.drop(columns="program"), AS_OF).kpis["nps_latest_programme"] is None
