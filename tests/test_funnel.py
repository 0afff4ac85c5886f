"""kpi.funnel on small hand-made frames: every expected number is worked out in a comment."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kpi import funnel
from kpi.targets import STAGES, Targets


def D(*values):
    return pd.to_datetime(list(values), format="ISO8601").astype("datetime64[ns]")


def leads_frame() -> pd.DataFrame:
    """Six leads, as_of 2026-03-01 in most tests.

    a: lead 01-01 10:00, contact 01-05, meeting 01-10, (poc, approval skipped), collected 02-10  → all six stages
    b: lead 01-02, (contact skipped), meeting 01-12                                             → lead, contact, meeting
    c: lead 01-03, contact 01-06                                                                → lead, contact
    d: lead 01-04, lost                                                                         → lead
    e: lead 02-01                                                                               → lead
    f: lead 03-01, collected 04-01 (after as_of: ignored)                                       → lead
    """
    return pd.DataFrame({
        "lead_id": list("abcdef"),
        "account": ["A病院", "A病院", "B社", "C社", "D医院", "A病院"],
        "created_at": D("2026-01-01T10:00", "2026-01-02", "2026-01-03", "2026-01-04", "2026-02-01", "2026-03-01"),
        "contacted_on": D("2026-01-05", None, "2026-01-06", None, None, None),
        "meeting_on": D("2026-01-10", "2026-01-12", None, None, None, None),
        "poc_on": D(None, None, None, None, None, None),
        "collected_on": D("2026-02-10", None, None, None, None, "2026-04-01"),
        "status": ["won", "open", "open", "lost", "open", "open"],
        "region": ["osaka", "osaka", "kyoto", "kyoto", "nara", "osaka"],
        "segment": ["hospital", "hospital", "general", "general", "medical", "hospital"],
        "amount_yen": [100.0, 200.0, np.nan, 50.0, 10.0, 1.0],
        "payback_months": [10.0, 14.0, np.nan, np.nan, np.nan, 9.0],
        "lost_reason": [None, None, None, "価格", None, None],
    })


AS_OF = "2026-03-01"


def test_default_as_of_is_latest_stage_or_created_date():
    # latest of every date column: collected_on 2026-04-01 (lead f)
    assert funnel.default_as_of(leads_frame()) == pd.Timestamp("2026-04-01")


def test_reached_counts_skipped_dates_and_ignores_dates_after_as_of():
    flags = funnel.reached_flags(leads_frame(), AS_OF)
    # a skipped poc/approval but has collected → reached all; b skipped contact but has meeting → contact
    assert flags.loc[0].tolist() == [True] * 6
    assert flags.loc[1].tolist() == [True, True, True, False, False, False]
    # f's collected 04-01 is after as_of → only lead
    assert flags.loc[5].tolist() == [True, False, False, False, False, False]
    assert flags.index.equals(leads_frame().index)


def test_funnel_table_cohort():
    t = funnel.funnel_table(leads_frame(), AS_OF).set_index("stage")
    # reached: lead 6; contact a,b,c = 3; meeting a,b = 2; poc a; approval a; collected a
    assert t["reached"].tolist() == [6, 3, 2, 1, 1, 1]
    assert math.isnan(t.loc["lead", "conversion"]) and t.loc["lead", "rag"] is None
    assert t.loc["contact", "conversion"] == 0.5          # 3 / 6
    assert t.loc["meeting", "conversion"] == pytest.approx(2 / 3)
    assert t.loc["poc", "conversion"] == 0.5              # 1 / 2
    assert t["lost"].tolist() == [0, 3, 1, 1, 0, 0]
    # contact 0.5 vs 0.6 → 0.5 ≥ 0.48 → yellow; meeting 0.667 ≥ 0.2 → green
    assert t["rag"].tolist() == [None, "yellow", "green", "green", "green", "green"]
    # amount: lead 100+200+50+10+1 = 361 (c blank); contact a,b,c = 300; poc a = 100
    assert t["amount_yen"].tolist() == [361.0, 300.0, 300.0, 100.0, 100.0, 100.0]
    assert list(t.columns) == ["reached", "conversion", "target", "rag", "lost", "amount_yen", "recorded"]


def test_funnel_table_cohort_window_and_period_mode():
    df = leads_frame()
    # cohort created in January: a, b, c, d
    t = funnel.funnel_table(df, AS_OF, start="2026-01-01", end="2026-01-31")
    assert t["reached"].tolist() == [4, 3, 2, 1, 1, 1]
    # period mode, events in 01-05..01-31: contact a (01-05), b (implied 01-12), c (01-06); meeting a, b; no lead created
    p = funnel.funnel_table(df, AS_OF, mode="period", start="2026-01-05", end="2026-01-31")
    assert p["reached"].tolist() == [0, 3, 2, 0, 0, 0]
    assert p["lost"].tolist() == [0, 0, 1, 2, 0, 0]  # floored at 0 where flow rises


def test_funnel_table_amount_absent_is_nan_and_empty_frame_is_zero():
    df = leads_frame().drop(columns="amount_yen")
    assert funnel.funnel_table(df, AS_OF)["amount_yen"].isna().all()
    empty = funnel.funnel_table(leads_frame(), AS_OF, start="2030-01-01", end="2030-12-31")
    assert empty["reached"].tolist() == [0] * 6 and empty["conversion"].isna().all()


@pytest.mark.parametrize("conversion, target, expected", [
    (0.60, 0.60, "green"),       # exactly target
    (0.48, 0.60, "yellow"),      # exactly 0.8 × target
    (0.4799, 0.60, "red"),
    (0.20, 0.20, "green"),
    (0.16, 0.20, "yellow"),      # 0.8 × 0.2
    (0.1599, 0.20, "red"),
])
def test_rag_edges(conversion, target, expected):
    # build a two-stage funnel: 10 000 leads, conversion × 10 000 contacted
    n = 10_000
    k = round(conversion * n)
    df = pd.DataFrame({"lead_id": [str(i) for i in range(n)], "created_at": D(*["2026-01-01"] * n),
                       "contacted_on": D(*(["2026-01-02"] * k + [None] * (n - k)))})
    targets = Targets(step_conversion={**Targets().step_conversion, "contact": target})
    t = funnel.funnel_table(df, "2026-01-31", targets).set_index("stage")
    assert t.loc["contact", "rag"] == expected


def table(conv: dict[str, float], lost: dict[str, int]) -> pd.DataFrame:
    rows = [{"stage": "lead", "conversion": np.nan, "target": np.nan, "lost": 0}]
    targets = Targets().step_conversion
    for s in STAGES[1:]:
        rows.append({"stage": s, "conversion": conv.get(s, 1.0), "target": targets[s], "lost": lost.get(s, 0)})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("conv, lost, expected", [
    ({"contact": 0.30}, {}, "contact"),                                           # 0.3/0.6 = 0.5 lowest
    ({"contact": 0.30, "meeting": 0.10}, {"contact": 5, "meeting": 9}, "meeting"),  # tie 0.5 → more lost
    ({"contact": 0.30, "meeting": 0.10}, {"contact": 9, "meeting": 5}, "contact"),
    ({"contact": 0.30, "meeting": 0.10}, {"contact": 5, "meeting": 5}, "contact"),  # still tied → earlier
    ({"poc": 0.2, "approval": 0.35}, {"poc": 3, "approval": 3}, "poc"),            # 0.2/0.4 = 0.35/0.7 = 0.5
])
def test_bottleneck_rule(conv, lost, expected):
    assert funnel.bottleneck(table(conv, lost)) == expected


def test_bottleneck_none_without_conversions():
    t = table({}, {})
    t["conversion"] = np.nan
    assert funnel.bottleneck(t) is None


def test_stalled_by_limit():
    df = leads_frame()
    # as_of 03-01: c contact 01-06 → 54 d > 21 (over 33); b meeting 01-12 → 48 > 30 (over 18);
    # e lead 02-01 → 28 > 14 (over 14); f lead 03-01 → 0; a won, d lost → not open
    s = funnel.stalled_leads(df, AS_OF, Targets())
    assert s["lead_id"].tolist() == ["c", "b", "e"]
    assert s["stage"].tolist() == ["contact", "meeting", "lead"]
    assert s["days_in_stage"].tolist() == [54, 48, 28]
    assert s["limit_days"].tolist() == [21, 30, 14]
    assert list(s.columns) == funnel.STALLED_COLUMNS


def test_stalled_exactly_at_limit_is_not_stalled():
    # e: lead 02-01, as_of 02-15 → 14 days = limit → not stalled; 02-16 → 15 > 14 → stalled
    df = leads_frame()
    assert "e" not in funnel.stalled_leads(df, "2026-02-15")["lead_id"].tolist()
    assert "e" in funnel.stalled_leads(df, "2026-02-16")["lead_id"].tolist()


def test_by_region_omits_empty_regions_and_leads_section():
    df = leads_frame()
    by = funnel.funnel_by(df, "region", AS_OF)
    assert sorted(by["region"].unique()) == ["kyoto", "nara", "osaka"]  # no kobe / other row
    osaka = by[by["region"] == "osaka"]["reached"].tolist()
    assert osaka == [3, 2, 2, 1, 1, 1]  # a, b, f; f's collected ignored
    sec = funnel.leads_section(df, AS_OF, Targets())
    assert sec["rows"] == 6
    assert [r["reached"] for r in sec["funnel"]] == [6, 3, 2, 1, 1, 1]
    assert sec["funnel"][0]["conversion"] is None
    assert set(sec["by_region"]) == {"osaka", "kyoto", "nara"}
    # ratios: contact 0.5/0.6 = 0.833, meeting 3.33, others ≥ 1.1 → contact
    assert sec["bottleneck"] == "contact"
    assert sec["payback_months_median"] == 10.0  # median(10, 14, 9)


def test_leads_section_cohort_excludes_leads_created_after_as_of():
    sec = funnel.leads_section(leads_frame(), "2026-01-03", Targets())
    # created ≤ 01-03: a, b, c; contact a (01-05) after as_of → no contacts yet
    assert sec["rows"] == 3
    assert [r["reached"] for r in sec["funnel"]] == [3, 0, 0, 0, 0, 0]


def test_payback():
    p = funnel.payback(leads_frame(), Targets(), AS_OF)
    # 10, 14, 9 → median 10; within 12: 10 and 9 → 2 of 3
    assert (p.median, p.leads, p.within) == (10.0, 3, 2)
    assert p.within_rate == pytest.approx(2 / 3)
    assert funnel.payback(leads_frame().drop(columns="payback_months")) is None


def test_days_in_stage_and_time_to_convert():
    d = funnel.days_in_stage(leads_frame(), AS_OF).set_index("stage")
    # lead→contact: a 4 days (01-01→01-05), c 3 days (01-03→01-06) → median 3.5; contact→meeting: a 5 days
    assert d.loc["contact", "n"] == 2 and d.loc["contact", "median_days"] == 3.5
    assert d.loc["meeting", "median_days"] == 5.0
    assert d.loc["poc", "n"] == 0 and math.isnan(d.loc["poc", "median_days"])
    ttc = funnel.time_to_convert(leads_frame(), AS_OF)
    # collected a: 01-01 → 02-10 = 40 days; meeting: a 9, b 10
    assert ttc[ttc["stage"] == "collected"]["days"].tolist() == [40]
    assert sorted(ttc[ttc["stage"] == "meeting"]["days"]) == [9, 10]


def test_data_warnings_skipped_and_out_of_order():
    df = leads_frame()
    df.loc[2, "meeting_on"] = pd.Timestamp("2026-01-04")  # c: contact 01-06 then meeting 01-04 → out of order
    w = funnel.data_warnings(df, AS_OF)
    # skipped: a (poc, approval), b (contact) → 2; out of order: c → 1
    assert (w.skipped, w.out_of_order) == (2, 1)


def test_lost_reasons_and_lost_at_step():
    r = funnel.lost_reasons(leads_frame(), AS_OF)
    assert r.to_dict("records") == [{"reason": "価格", "leads": 1, "share": 1.0, "amount_yen": 50.0}]
    assert funnel.lost_reasons(leads_frame().drop(columns="lost_reason")) is None
    # reached lead but not contact: d, e, f
    assert funnel.lost_at_step(leads_frame(), "contact", AS_OF)["lead_id"].tolist() == ["d", "e", "f"]
    assert funnel.lost_at_step(leads_frame(), "meeting", AS_OF)["lead_id"].tolist() == ["c"]


def test_fiscal_calendar():
    s = pd.Series(D("2026-03-31", "2026-04-01", "2026-12-31", "2027-01-01"))
    assert funnel.fiscal_year(s).tolist() == [2025, 2026, 2026, 2026]
    assert funnel.fiscal_quarter(s).tolist() == [4, 1, 3, 4]
    assert funnel.fiscal_quarter_end("2026-11-25") == pd.Timestamp("2026-12-31")
    assert funnel.fiscal_quarter_end("2026-03-31") == pd.Timestamp("2026-03-31")
    assert funnel.period_bounds("fiscal_year", "2027-02-10") == (pd.Timestamp("2026-04-01"), pd.Timestamp("2027-02-10"))
    assert funnel.period_bounds("last_12_weeks", "2026-11-25")[0] == pd.Timestamp("2026-09-03")  # 84 days incl.
    assert funnel.previous_period("2026-11-01", "2026-11-30") == (pd.Timestamp("2026-10-02"), pd.Timestamp("2026-10-31"))


def test_funnel_by_month_and_fiscal_quarter():
    by = funnel.funnel_by(leads_frame(), "month", AS_OF)
    leads_per_month = by[by["stage"] == "lead"].set_index("month")["reached"]
    # January a–d = 4, February e = 1, March f = 1
    assert leads_per_month.tolist() == [4, 1, 1]
    q = funnel.funnel_by(leads_frame(), "fiscal_quarter", AS_OF)
    assert q["fiscal_quarter"].unique().tolist() == ["2025Q4"]
    assert funnel.funnel_by(leads_frame(), "owner", AS_OF) is None  # column absent → n/a


def test_previous_table_uses_same_length_and_shifted_as_of():
    # current 01-03..01-04 (2 days) as of 01-12 → previous 01-01..01-02 (a, b) as of 01-10:
    # a contact 01-05, meeting 01-10 (collected 02-10 too late); b meeting 01-12 too late → [2, 1, 1, 0, 0, 0]
    prev = funnel.previous_table(leads_frame(), "2026-01-12", Targets(), start="2026-01-03", end="2026-01-04")
    assert prev["reached"].tolist() == [2, 1, 1, 0, 0, 0]
    assert funnel.previous_table(leads_frame(), AS_OF) is None  # unbounded period: nothing to compare


def test_near_fiscal_end():
    df = leads_frame()
    df.loc[2, "poc_on"] = pd.Timestamp("2026-02-20")  # c open, at PoC, no approval
    # as_of 03-01 → quarter end 03-31, 30 days left → near (≤ 30)
    n = funnel.near_fiscal_end(df, AS_OF)
    assert n["lead_id"].tolist() == ["c"] and n["days_to_end"].tolist() == [30] and bool(n["near_end"].iloc[0])
    assert not bool(funnel.near_fiscal_end(df, "2026-02-28")["near_end"].iloc[0])  # 31 days left


def test_accounts_and_timeline():
    acc = funnel.accounts_summary(leads_frame(), AS_OF).set_index("account")
    # A病院: a, b, f → 3 leads, furthest collected, amount 100+200+1
    assert acc.loc["A病院", "leads"] == 3 and acc.loc["A病院", "furthest_stage"] == "collected"
    assert acc.loc["A病院", "amount_yen"] == 301.0 and acc.loc["C社", "lost"] == 1
    acts = pd.DataFrame({"activity_at": D("2026-01-05T09:00", "2026-01-08", "2026-05-01"), "rep": ["佐藤", "佐藤", "佐藤"],
                         "type": ["visit", "call", "visit"], "lead_id": ["a", "a", "a"], "note": ["初回訪問", None, "未来"]})
    tl = funnel.lead_timeline(leads_frame(), "a", acts, AS_OF)
    assert tl["code"].tolist() == ["lead", "contact", "visit", "call", "meeting", "collected"]
    assert tl["detail"].tolist()[2:4] == ["佐藤：初回訪問", "佐藤"]


def test_activity_by_region():
    acts = pd.DataFrame({"activity_at": D("2026-01-05T09:00", "2026-01-05T13:00", "2026-01-06", "2026-01-06"),
                         "rep": ["佐藤", "佐藤", "佐藤", "田中"], "type": ["visit", "visit", "visit", "call"],
                         "region": ["osaka", "osaka", "osaka", "nara"], "travel_minutes": [30.0, np.nan, 60.0, 10.0]})
    r = funnel.activity_by_region(acts).set_index("region")
    # osaka: 3 visits on 2 rep-days → 1.5; travel 30 + 0 + 60 = 90 / 2 = 45; nara has only a call → no row
    assert r.index.tolist() == ["osaka"]
    assert r.loc["osaka", "visits_per_day"] == 1.5 and r.loc["osaka", "travel_minutes_per_day"] == 45.0


def test_data_warnings_on_an_empty_period():
    """A period without leads (the page's scope can be empty) has no warnings instead of a crash."""
    from kpi.funnel import data_warnings

    empty = pd.DataFrame({"lead_id": pd.Series([], dtype="str"), "created_at": pd.Series([], dtype="datetime64[ns]"),
                          "contacted_on": pd.Series([], dtype="datetime64[ns]"), "status": pd.Series([], dtype="str")})
    w = data_warnings(empty, pd.Timestamp("2026-11-22"))
    assert (w.skipped, w.out_of_order) == (0, 0)
