"""CRM adoption score (kpi.adoption): every sub-score, the layer / overall means and the SPEC edge rules,
on a hand-made frame whose arithmetic is written next to each assertion."""
from __future__ import annotations

import pandas as pd
import pytest

from kpi import adoption as A
from kpi.metrics import metrics
from kpi.targets import Targets

AS_OF = pd.Timestamp("2026-03-31")          # window (03-03, 03-31], freshness (03-17, 03-31]
TARGETS = Targets(step_conversion={**Targets().step_conversion, "meeting": 0.75}, win_rate_reference=0.5)
NaT = None


def ts(values):
    return pd.to_datetime(pd.Series(values, dtype="object"), format="mixed")


def make_leads() -> pd.DataFrame:
    """Six leads created ≤ as_of (L1–L6) and one created after (L7, out of scope)."""
    rows = [
        # id,  account,           contact, segment,    region,  owner, status, created,            has_time, updated,      next,         lost_reason, first_response,      contacted,   meeting,     collected
        ("L1", "医療法人 さくら会", "山田",   "hospital", "osaka", "A",  "open", "2026-03-01 09:00", True,  "2026-03-30", "2026-04-05", None, "2026-03-02 09:00", "2026-03-05", "2026-03-20", None),
        ("L2", "さくら会",          "山田 ",  "medical",  "kyoto", "A",  "open", "2026-03-10",       False, "2026-03-10", None,         None, "2026-03-11 18:00", "2026-03-12", None,         None),
        ("L3", "(株)ABC",           None,     "general",  "other", "B",  "open", "2026-02-01 10:00", True,  "2026-02-20", "2026-03-31", None, "2026-02-02 10:01", None,         None,         None),
        ("L4", "株式会社ＡＢＣ",     None,     "general",  "nara",  "B",  "lost", "2026-02-01 15:00", True,  "2026-03-31", None,         "価格", None,               "2026-02-05", None,         None),
        ("L5", "ＸＹＺ病院",         "佐藤",   "hospital", "kobe",  None, "lost", "2026-01-15",       False, "2026-01-20", None,         None, "2026-01-17",       "2026-01-16", "2026-01-20", None),
        ("L6", "ＸＹＺ病院",         "鈴木",   "hospital", "kobe",  "C",  "won",  "2026-01-10 08:00", True,  "2026-03-25", None,         None, "2026-01-10 07:00", "2026-01-11", "2026-01-15", "2026-03-01"),
        ("L7", "Z社",               "田中",   "general",  "osaka", "D",  "open", "2026-04-05 09:00", True,  "2026-04-05", None,         None, None,               None,         None,         None),
    ]
    cols = ["lead_id", "account", "contact", "segment", "region", "owner", "status", "created_at", "created_at_has_time",
            "updated_on", "next_action_on", "lost_reason", "first_response_at", "contacted_on", "meeting_on", "collected_on"]
    df = pd.DataFrame(rows, columns=cols)
    for c in ("created_at", "updated_on", "next_action_on", "first_response_at", "contacted_on", "meeting_on", "collected_on"):
        df[c] = ts(df[c])
    for c in ("lead_id", "account", "contact", "segment", "region", "owner", "status", "lost_reason"):
        df[c] = df[c].astype("str").where(df[c].notna())
    df["_row"] = range(2, 2 + len(df))
    return df


def make_activities() -> pd.DataFrame:
    return pd.DataFrame({
        "activity_at": ts(["2026-03-20 10:00", "2026-03-04", "2026-03-03", "2026-04-02"]),
        "rep": ["A", "E", "F", "G"],          # E, F: reps without leads; G's activity is after as_of
        "type": ["visit", "call", "call", "call"],
        "region": ["osaka", "other", "other", "other"],
        "lead_id": ["L1", "L3", "L2", "L2"],  # F's activity on 03-03 is exactly as_of − 28 d: outside the window
    })


@pytest.fixture
def score():
    return A.adoption_score(make_leads(), make_activities(), AS_OF, TARGETS)


# ------------------------------------------------------------------ usage
def test_active_rate(score):
    """users = owners {A, B, C} (L5 has none; L7's D is created after as_of) ∪ reps ≤ as_of {A, E, F} = 5;
    active: A (activity 03-20), E (activity 03-04), B (owns L4 updated 03-31), C (owns L6 updated 03-25);
    F's only activity is on 03-03 = as_of − 28 d, outside (as_of − 28, as_of] → 4 / 5."""
    s = score.sub("active_rate")
    assert (s.numerator, s.denominator, s.value) == (4, 5, 0.8)


def test_usage_sub_scores(score):
    """open in scope = L1, L2, L3.
    logging: L1 (A 03-20), L3 (E 03-04); L2's activities are 03-03 (out) and 04-02 (after as_of) → 2/3.
    stage update: updated_on 03-30 ✓, 03-10 ✓, 02-20 ✗ → 2/3.  next action ≥ as_of: 04-05 ✓, blank ✗, 03-31 ✓ → 2/3."""
    for key in ("activity_logging_rate", "stage_update_rate", "next_action_rate"):
        s = score.sub(key)
        assert (s.numerator, s.denominator) == (2, 3), key
        assert s.value == pytest.approx(2 / 3)


def test_usage_layer(score):
    # (0.8 + 2/3 + 2/3 + 2/3) / 4 × 100 = 2.8 / 4 × 100 = 70
    assert score.layers["usage"] == pytest.approx(70.0)


# ------------------------------------------------------------------ data
def test_required_fill_rate(score):
    """L1 ✓; L2 open without next action ✗; L3 region other ✗; L4 ✓ (lost: next action not needed);
    L5 no owner ✗; L6 ✓ → 3 / 6."""
    s = score.sub("required_fill_rate")
    assert (s.numerator, s.denominator, s.value) == (3, 6, 0.5)


def test_unique_rate(score):
    """keys: L1 = L2 = 'さくら会|c:山田' (医療法人 and the trailing space removed); L3 = L4 = 'abc|d:2026-02-01'
    ((株) / 株式会社 and full width removed, no contact → account + created date); L5 'xyz病院|c:佐藤' ≠
    L6 'xyz病院|c:鈴木'. distinct 4 of 6 rows → 1 − (6 − 4) / 6 = 4/6."""
    s = score.sub("unique_rate")
    assert (s.numerator, s.denominator) == (4, 6)
    assert s.value == pytest.approx(4 / 6)


def test_lost_reason_and_freshness(score):
    """lost: L4 価格 ✓, L5 blank ✗ → 1/2.  freshness: open updated in (03-17, 03-31]: L1 03-30 ✓, L2 03-10 ✗,
    L3 02-20 ✗ → 1/3."""
    lost, fresh = score.sub("lost_reason_rate"), score.sub("freshness")
    assert (lost.numerator, lost.denominator, lost.value) == (1, 2, 0.5)
    assert (fresh.numerator, fresh.denominator) == (1, 3)


def test_data_layer(score):
    # (0.5 + 4/6 + 0.5 + 1/3) / 4 × 100 = 2.0 / 4 × 100 = 50
    assert score.layers["data"] == pytest.approx(50.0)


# ------------------------------------------------------------------ outcomes
def test_first_response_rate(score):
    """L1 exactly 24 h ✓; L2 date-only created 03-10, answered 03-11 ✓; L3 24 h 01 min ✗; L4 none ✗;
    L5 date-only 01-15, answered 01-17 ✗; L6 answered before creation ✓ → 3 / 6 (every lead in the denominator)."""
    s = score.sub("first_response_rate")
    assert (s.numerator, s.denominator, s.value) == (3, 6, 0.5)


def test_meeting_conversion_score_uses_the_funnel(score):
    """reached(contact) = L1, L2, L4, L5, L6 = 5; reached(meeting) = L1, L5, L6 = 3; conversion 0.6;
    target 0.75 → min(1, 0.6 / 0.75) = 0.8."""
    s = score.sub("meeting_conversion_score")
    assert (s.numerator, s.denominator, s.raw, s.reference) == (3, 5, 0.6, 0.75)
    assert s.value == pytest.approx(0.8)


def test_win_rate_score(score):
    # won 1 (L6), lost 2 → 1/3; reference 0.5 → min(1, (1/3) / 0.5) = 2/3
    s = score.sub("win_rate_score")
    assert (s.numerator, s.denominator) == (1, 3)
    assert s.value == pytest.approx(2 / 3)


def test_not_stalled_rate(score):
    """L1 at meeting 03-20: 11 d ≤ 30; L2 at contact 03-12: 19 d ≤ 21; L3 at lead 02-01: 58 d > 14 → stalled.
    1 − 1/3 = 2/3."""
    s = score.sub("not_stalled_rate")
    assert (s.numerator, s.denominator) == (2, 3)


def test_outcomes_and_overall(score):
    # outcomes (0.5 + 0.8 + 2/3 + 2/3) / 4 × 100 = 65.8333…; overall (70 + 50 + 65.8333…) / 3 = 61.9444…
    assert score.layers["outcomes"] == pytest.approx((0.5 + 0.8 + 4 / 3) / 4 * 100)
    assert score.overall == pytest.approx((70 + 50 + (0.5 + 0.8 + 4 / 3) / 4 * 100) / 3)


def test_section_is_the_spec_json():
    section = A.adoption_section(make_leads(), make_activities(), AS_OF, TARGETS)
    assert list(section) == ["usage", "data", "outcomes", "overall"]
    assert section["usage"] == pytest.approx(70.0) and section["data"] == pytest.approx(50.0)


def test_cli_metrics_has_the_adoption_section():
    out = metrics({"leads": make_leads(), "activities": make_activities()}, AS_OF.date(), TARGETS)
    assert out["adoption"]["usage"] == pytest.approx(70.0)
    assert out["adoption"]["overall"] == pytest.approx((70 + 50 + (0.5 + 0.8 + 4 / 3) / 4 * 100) / 3)


# ------------------------------------------------------------------ n/a and null rules
def test_absent_column_is_null_and_excluded_from_the_mean():
    """Without next_action_on: next_action_rate and required_fill_rate are n/a (not 0) and say which column.
    usage = (0.8 + 2/3 + 2/3) / 3 × 100 = 71.11…; data = (4/6 + 1/2 + 1/3) / 3 × 100 = 50."""
    score = A.adoption_score(make_leads().drop(columns="next_action_on"), make_activities(), AS_OF, TARGETS)
    for key in ("next_action_rate", "required_fill_rate"):
        s = score.sub(key)
        assert s.value is None and s.numerator is None and s.enabling_column == "next_action_on"
    assert score.layers["usage"] == pytest.approx((0.8 + 4 / 3) / 3 * 100)
    assert score.layers["data"] == pytest.approx(50.0)


def test_without_activities():
    """activity logging is n/a (enabled by activities.lead_id); active users come from lead updates:
    owners A, B, C all own a lead updated in the window → 3/3."""
    score = A.adoption_score(make_leads(), None, AS_OF, TARGETS)
    assert score.sub("activity_logging_rate").enabling_column == "activities.lead_id"
    s = score.sub("active_rate")
    assert (s.numerator, s.denominator, s.value) == (3, 3, 1.0)
    # usage = (1 + 2/3 + 2/3) / 3 × 100
    assert score.layers["usage"] == pytest.approx((1 + 4 / 3) / 3 * 100)


def test_null_layer_is_excluded_from_overall():
    """No activities, no updated_on, no next_action_on: every usage sub-score is n/a, so usage is null and
    overall = mean(data, outcomes). data = (4/6 + 1/2) / 2 (required and freshness n/a)."""
    leads = make_leads().drop(columns=["updated_on", "next_action_on"])
    score = A.adoption_score(leads, None, AS_OF, TARGETS)
    assert score.layers["usage"] is None
    assert score.sub("active_rate").enabling_column == "updated_on"
    data = (4 / 6 + 0.5) / 2 * 100
    assert score.layers["data"] == pytest.approx(data)
    assert score.overall == pytest.approx((data + score.layers["outcomes"]) / 2)


def test_win_rate_null_without_closed_leads():
    leads = make_leads()
    leads["status"] = "open"
    s = A.adoption_score(leads, make_activities(), AS_OF, TARGETS).sub("win_rate_score")
    assert s.value is None and s.denominator == 0 and s.enabling_column is None


def test_no_dates_gives_nulls():
    empty = make_leads().iloc[0:0]
    assert A.adoption_section(empty, None) == {"usage": None, "data": None, "outcomes": None, "overall": None}


def test_default_as_of_is_the_latest_lead_date():
    # latest stage date among leads = L7 created 2026-04-05 → L7 is in scope (7 leads)
    score = A.adoption_score(make_leads(), make_activities(), None, TARGETS)
    assert score.as_of == pd.Timestamp("2026-04-05")
    assert score.sub("required_fill_rate").denominator == 7


# ------------------------------------------------------------------ SPEC edge rules as tables
@pytest.mark.parametrize("raw, expected", [
    ("医療法人 さくら会", "さくら会"),
    ("さくら会", "さくら会"),
    ("(株)ABC", "abc"),
    ("株式会社ＡＢＣ", "abc"),
    ("（株）ＡＢＣ", "abc"),            # full-width brackets → NFKC → (株)
    ("㈱ABC", "abc"),                  # ㈱ → NFKC → (株)
    ("社会医療法人 愛仁会", "愛仁会"),    # 社会医療法人 before 医療法人, else 「社会愛仁会」
    ("Ａ Ｂ　Ｃ 病院", "abc病院"),        # width, case, half- and full-width spaces
    ("株式会社 医療法人 X", "x"),
])
def test_duplicate_key_normalisation(raw, expected):
    assert A.normalise_name(pd.Series([raw])).iloc[0] == expected


@pytest.mark.parametrize("pair, duplicate", [
    (("医療法人 さくら会", "さくら会"), True),
    (("(株)ABC", "株式会社ＡＢＣ"), True),
    (("社会医療法人 愛仁会", "医療法人 愛仁会"), True),
    (("さくら会", "さくら会病院"), False),
])
def test_duplicate_pairs(pair, duplicate):
    leads = pd.DataFrame({"account": list(pair), "contact": ["山田", "山田"],
                          "created_at": pd.to_datetime(["2026-03-01", "2026-03-02"])})
    key = A.duplicate_key(leads)
    assert (key.iloc[0] == key.iloc[1]) is duplicate


def test_duplicate_key_without_contact_uses_the_created_date():
    # same account, no contact: same created day → same key; another day → another key; no account → no key
    leads = pd.DataFrame({"account": ["A社", "A社", "A社", None], "contact": [None, None, None, None],
                          "created_at": ts(["2026-03-01 09:00", "2026-03-01 17:00", "2026-03-02", "2026-03-01"])})
    key = A.duplicate_key(leads)
    assert key.iloc[0] == key.iloc[1] == "a社|d:2026-03-01"
    assert key.iloc[2] == "a社|d:2026-03-02" and pd.isna(key.iloc[3])


@pytest.mark.parametrize("created, has_time, response, within", [
    ("2026-03-01 09:00", True, "2026-03-02 09:00", True),    # exactly 24 h
    ("2026-03-01 09:00", True, "2026-03-02 09:01", False),   # 24 h 1 min
    ("2026-03-01 09:00", True, "2026-03-01 08:00", True),    # before creation
    ("2026-03-01 09:00", True, "2026-03-02", True),          # date-only response = 00:00 → 15 h
    ("2026-03-01 09:00", True, None, False),                 # none yet (still in the denominator)
    ("2026-03-01", False, "2026-03-01 23:00", True),         # date-only created: same day
    ("2026-03-01", False, "2026-03-02 23:59", True),         # date-only created: next day
    ("2026-03-01", False, "2026-03-03 00:00", False),        # date-only created: the day after next
    ("2026-03-05 09:00", True, "2026-03-06 08:00", False),   # answered after as_of (03-05): not yet
])
def test_first_response_rule(created, has_time, response, within):
    leads = pd.DataFrame({"created_at": ts([created]), "created_at_has_time": [has_time],
                          "first_response_at": ts([response])})
    assert bool(A.first_response_within(leads, pd.Timestamp("2026-03-05")).iloc[0]) is within


def test_first_response_without_has_time_column_infers_date_only_from_midnight():
    leads = pd.DataFrame({"created_at": ts(["2026-03-01", "2026-03-01 09:00"]),
                          "first_response_at": pd.to_datetime(["2026-03-02 20:00", "2026-03-02 20:00"])})
    assert A.first_response_within(leads, pd.Timestamp("2026-03-05")).tolist() == [True, False]


@pytest.mark.parametrize("updated, in_window, fresh", [
    ("2026-03-03", False, False),   # as_of − 28 d: outside (as_of − 28, as_of]
    ("2026-03-04", True, False),    # as_of − 27 d
    ("2026-03-17", True, False),    # as_of − 14 d: not within 14 days
    ("2026-03-18", True, True),     # as_of − 13 d
    ("2026-03-31", True, True),     # as_of
    ("2026-04-01", False, False),   # after as_of
])
def test_window_edges(updated, in_window, fresh):
    leads = pd.DataFrame({"lead_id": ["X"], "created_at": pd.to_datetime(["2026-01-01"]), "status": ["open"],
                          "region": ["osaka"], "segment": ["hospital"], "updated_on": pd.to_datetime([updated])})
    score = A.adoption_score(leads, None, AS_OF)
    assert score.sub("stage_update_rate").value == float(in_window)
    assert score.sub("freshness").value == float(fresh)


@pytest.mark.parametrize("score, band", [(80.0, "green"), (79.9, "yellow"), (64.0, "yellow"), (63.9, "red"), (None, None)])
def test_score_band(score, band):
    """The one RAG rule (SPEC 2) against 80: yellow from 0.8 × 80 = 64 (was a page-only 60 before the registry)."""
    assert A.score_band(score) == band


# ------------------------------------------------------------------ trend, owners, fix lists, workbook
def test_weekly_trend_ends_at_the_section():
    trend = A.weekly_trend(make_leads(), make_activities(), AS_OF, TARGETS)
    assert len(trend) == 12
    assert trend["week_end"].iloc[-1] == AS_OF and trend["week_end"].iloc[0] == AS_OF - pd.Timedelta(days=77)
    assert trend["usage"].iloc[-1] == pytest.approx(70.0)
    # a week earlier (03-24): next_action ≥ 03-24: L1, L3 (L2 blank) → 2/3, like the others recomputed there
    week_before = A.adoption_section(make_leads(), make_activities(), AS_OF - pd.Timedelta(days=7), TARGETS)
    assert trend["overall"].iloc[-2] == pytest.approx(week_before["overall"])


def test_owner_scores_worst_first():
    """A (L1, L2): active 1, logging 1/2, update 2/2, next 1/2 → usage 75; required 1/2, unique 1 − 1/2 (L2 is the
    later copy of L1), lost n/a, fresh 1/2 → data 50; score 62.5.
    B (L3, L4): usage (1 + 1 + 0 + 1)/4 = 75; data (1/2 + 1/2 (L4 later copy of L3) + 1 + 0)/4 = 50 → 62.5.
    C (L6 won): usage = active 1 → 100; data (1 + 1)/2 → 100.  E (rep only): 100.  F (inactive rep): 0."""
    owners = A.owner_scores(make_leads(), make_activities(), AS_OF, TARGETS)
    assert owners["user"].tolist() == ["F", "A", "B", "C", "E"]
    assert owners["score"].tolist() == pytest.approx([0, 62.5, 62.5, 100, 100])
    a = owners.set_index("user").loc["A"]
    assert (a["leads"], a["open_leads"], a["usage"], a["data"], a["unique_rate"]) == (2, 2, 75.0, 50.0, 0.5)
    assert pd.isna(owners.set_index("user").loc["E", "data"])
    # the owners' later copies add up to the dataset's duplicates (rows − distinct keys = 2)
    extras = ((1 - owners["unique_rate"]) * owners["leads"]).fillna(0).sum()
    assert extras == pytest.approx(2)


def test_fix_lists():
    leads = make_leads()
    dups = A.duplicate_groups(leads, AS_OF)
    assert dups["lead_id"].tolist() == ["L3", "L4", "L1", "L2"]
    assert dups["extra"].tolist() == [False, True, False, True] and dups["copies"].tolist() == [2, 2, 2, 2]
    assert A.missing_next_action(leads, AS_OF)["lead_id"].tolist() == ["L2"]
    stale = A.stale_leads(leads, AS_OF)
    assert stale["lead_id"].tolist() == ["L3", "L2"] and stale["days_since_update"].tolist() == [39, 21]
    assert A.lost_without_reason(leads, AS_OF)["lead_id"].tolist() == ["L5"]
    assert A.lost_without_reason(leads.drop(columns="lost_reason"), AS_OF) is None


def test_report_tables():
    assert A.report_tables({"visits": pd.DataFrame()}, AS_OF, TARGETS) == {}
    sheets = A.report_tables({"leads": make_leads(), "activities": make_activities()}, AS_OF, TARGETS, lang="ja")
    assert list(sheets) == ["CRM定着スコア", "CRM定着スコア内訳"]
    head = sheets["CRM定着スコア"]
    assert head["層"].tolist() == ["利用", "データ品質", "成果", "総合"]
    assert head["スコア(0-100)"].iloc[:2].tolist() == pytest.approx([70.0, 50.0])
    en = A.report_tables({"leads": make_leads()}, AS_OF, TARGETS, lang="en")
    assert list(en) == ["CRM adoption", "CRM adoption detail"]
    assert en["CRM adoption detail"].set_index("Sub-score").loc["Activity logging", "Enabling column"] == "activities.lead_id"


def test_every_sub_score_has_its_definition_in_both_languages():
    from ui.strings import STRINGS

    assert len(A.SUBSCORE_KEYS) == 12
    for key in A.SUBSCORE_KEYS:
        for prefix in ("adoption.sub.", "adoption.def."):
            assert STRINGS[prefix + key]["ja"] and STRINGS[prefix + key]["en"]


def test_chart_builders():
    from ui.charts_adoption import owner_heatmap, trend_chart

    trend = pd.DataFrame({"week": pd.to_datetime(["2026-03-24", "2026-03-31"]), "layer": ["利用", "利用"], "score": [60.0, 70.0]})
    spec = trend_chart(trend, "week", "score", "layer", ["利用", "データ品質", "成果", "総合"], "週", "スコア", "層").to_dict()
    lines = spec["layer"][1]
    assert lines["encoding"]["y"]["scale"]["domain"] == [0, 100] and lines["encoding"]["y"]["title"] == "スコア"
    assert spec["layer"][0]["mark"]["type"] == "rule"
    heat = pd.DataFrame({"user": ["F", "A"], "metric": ["活動記録率", "活動記録率"], "value": [0.0, 50.0]})
    spec = owner_heatmap(heat, "user", "metric", "value", ["F", "A"], ["活動記録率"], "担当者", "指標", "スコア").to_dict()
    assert spec["layer"][0]["encoding"]["y"]["sort"] == ["F", "A"]
    assert spec["layer"][0]["encoding"]["color"]["scale"]["domain"] == [0, 100]
