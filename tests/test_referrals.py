"""kpi.referrals on small hand-made frames: totals, trend, the visit list, 紹介率 / 逆紹介率, SPEC edge rules."""
from __future__ import annotations

import pandas as pd
import pytest

from kpi import referrals as rf

AS_OF = pd.Timestamp("2026-11-20")


def refs(rows: list[tuple], department: list | None = None, area: list | None = None) -> pd.DataFrame:
    """(referred_on, institution, direction) rows in the validated-frame contract."""
    df = pd.DataFrame(rows, columns=["referred_on", "institution", "direction"])
    df["referred_on"] = pd.to_datetime(df["referred_on"])
    df["institution"] = df["institution"].astype("str")
    df["direction"] = df["direction"].astype("str")
    if department is not None:
        df["department"] = pd.Series(department, dtype="str")
    if area is not None:
        df["area"] = pd.Series(area, dtype="str")
    df["_row"] = range(2, len(df) + 2)
    return df


def acts(rows: list[tuple]) -> pd.DataFrame:
    """(activity_at, account, type) activities."""
    df = pd.DataFrame(rows, columns=["activity_at", "account", "type"])
    df["activity_at"] = pd.to_datetime(df["activity_at"])
    df["rep"] = "R"
    return df


def many(day: str, institution: str, direction: str, n: int) -> list[tuple]:
    return [(day, institution, direction)] * n


# ------------------------------------------------------------------ totals (CLI section)
def test_totals_and_reverse_ratio():
    """in: A 3 + B 1 = 4; out: A 2 + C 1 = 3 -> reverse_ratio 3 / 4; a row after as_of is ignored."""
    df = refs(many("2026-10-01", "A", "in", 3) + many("2026-10-02", "A", "out", 2) + [("2026-10-03", "B", "in"), ("2026-10-04", "C", "out"),
                                                                                      ("2026-11-25", "D", "in")])
    assert rf.referrals_section(df, AS_OF.date()) == {"institutions": 3, "in": 4, "out": 3, "reverse_ratio": 0.75}


@pytest.mark.parametrize(
    "rows, expected",
    [
        # 全角 / 半角 and stray spaces are one institution (NFKC): ＡＢＣ病院 = ABC病院, ｻｸﾗ医院 = サクラ医院
        ([("2026-10-01", "ＡＢＣ病院", "in"), ("2026-10-02", "ABC病院 ", "in"), ("2026-10-03", "ｻｸﾗ医院", "out"), ("2026-10-04", "サクラ医院", "out")],
         {"institutions": 2, "in": 2, "out": 2, "reverse_ratio": 1.0}),
        # nothing referred in -> reverse_ratio null, never a division by zero or 0
        ([("2026-10-01", "A", "out"), ("2026-10-02", "A", "out")], {"institutions": 1, "in": 0, "out": 2, "reverse_ratio": None}),
        # referred_on exactly as_of counts; the day after does not
        ([("2026-11-20", "A", "in"), ("2026-11-21", "A", "out")], {"institutions": 1, "in": 1, "out": 0, "reverse_ratio": 0.0}),
    ],
    ids=["nfkc-merge", "zero-in-null", "as-of-inclusive"],
)
def test_spec_edge_rules(rows, expected):
    assert rf.referrals_section(refs(rows), AS_OF) == expected


def test_default_as_of_is_latest_referral():
    df = refs([("2026-10-01", "A", "in"), ("2026-11-03", "A", "out")])
    assert rf.referrals_section(df, None)["out"] == 1
    assert rf.default_as_of(df) == pd.Timestamp("2026-11-03")


def test_institution_table_reverse_ratio_null_without_in():
    df = refs(many("2026-10-01", "A", "in", 4) + many("2026-10-01", "A", "out", 1) + many("2026-10-01", "B", "out", 2))
    table = rf.institution_table(df, AS_OF).set_index("institution")
    assert table.loc["A", "reverse_ratio"] == 0.25  # 1 / 4
    assert pd.isna(table.loc["B", "reverse_ratio"])


def test_monthly_by_institution():
    df = refs([("2026-09-03", "A", "in"), ("2026-09-30", "A", "in"), ("2026-10-01", "A", "out"), ("2026-10-15", "B", "in")])
    out = rf.monthly_by_institution(df, AS_OF)
    assert out.assign(month=out["month"].dt.strftime("%Y-%m")).values.tolist() == [["A", "2026-09", 2, 0], ["A", "2026-10", 0, 1], ["B", "2026-10", 1, 0]]


# ------------------------------------------------------------------ trend
def test_trend_last_three_months_vs_three_before():
    """as_of 11-20: last = (08-20, 11-20], prior = (05-20, 08-20].
    A: prior 10 (06-01), last 4 (10-01) -> change -6, rate -0.6. B: prior 0, last 2 -> rate null.
    An in-referral on 08-20 is in prior (boundary belongs to the earlier window); one on 05-20 is in neither."""
    df = refs(many("2026-06-01", "A", "in", 9) + [("2026-08-20", "A", "in"), ("2026-05-20", "A", "in")] + many("2026-10-01", "A", "in", 4)
              + many("2026-10-01", "A", "out", 3) + many("2026-11-01", "B", "in", 2))
    tr = rf.trend(df, AS_OF).set_index("institution")
    assert tr.loc["A", ["in_last3", "in_prior3", "change", "out_last3", "out_prior3"]].tolist() == [4, 10, -6, 3, 0]
    assert tr.loc["A", "change_rate"] == pytest.approx(-0.6)
    assert tr.loc["B", ["in_last3", "in_prior3", "change"]].tolist() == [2, 0, 2] and pd.isna(tr.loc["B", "change_rate"])
    assert rf.trend(df, AS_OF)["institution"].tolist() == ["A", "B"]  # falling first


# ------------------------------------------------------------------ the visit-this-week list
def _visit_list_data():
    """A: in 10 -> 4 (fell); B: in 5 -> 5, visited 30 days ago (not listed); C: in 3 -> 3, last visit 100 days ago
    (no_visit); D: in 2 -> 1 (a fall of 1 is below min_fall 2: not fell) and never visited (no_visit);
    E: only referred out (not a referrer: not listed)."""
    df = refs(many("2026-07-01", "A", "in", 10) + many("2026-10-01", "A", "in", 4)
              + many("2026-07-01", "B", "in", 5) + many("2026-10-01", "B", "in", 5)
              + many("2026-07-01", "C", "in", 3) + many("2026-10-01", "C", "in", 3)
              + many("2026-07-01", "D", "in", 2) + many("2026-10-01", "D", "in", 1)
              + many("2026-10-01", "E", "out", 4))
    activities = acts([("2026-10-21 10:00", "B", "visit"), ("2026-08-12 09:00", "Ｃ", "visit"),
                       ("2026-11-10 09:00", "D", "call"),  # a call is not a visit
                       ("2026-11-10 09:00", "A", "visit")])
    return df, activities


def test_priority_list_with_activities():
    df, activities = _visit_list_data()
    out = rf.priority_list(df, activities, AS_OF)
    assert out["institution"].tolist() == ["A", "C", "D"]
    rows = out.set_index("institution")
    assert rows.loc["A", "reasons"] == ("fell",)  # visited 10 days ago, so only the fall
    assert rows.loc["A", ["in_prior3", "in_last3", "change"]].tolist() == [10, 4, -6]
    assert rows.loc["C", "reasons"] == ("no_visit",) and rows.loc["C", "days_since_visit"] == 100  # 08-12 -> 11-20 (Ｃ = C)
    assert rows.loc["D", "reasons"] == ("no_visit",) and pd.isna(rows.loc["D", "days_since_visit"])


def test_priority_list_both_reasons_first():
    df, activities = _visit_list_data()
    activities = activities[activities["account"] != "A"]  # A now also has no visit
    out = rf.priority_list(df, activities, AS_OF)
    assert out.loc[0, "institution"] == "A" and out.loc[0, "reasons"] == ("fell", "no_visit")


def test_visit_exactly_90_days_ago_is_not_recent():
    """Window (as_of - 90, as_of]: a visit on 08-22 (90 days before 11-20) no longer counts."""
    df = refs(many("2026-10-01", "A", "in", 2))
    assert rf.priority_list(df, acts([("2026-08-22 09:00", "A", "visit")]), AS_OF)["institution"].tolist() == ["A"]
    assert rf.priority_list(df, acts([("2026-08-23 09:00", "A", "visit")]), AS_OF).empty


def test_priority_list_without_activities_only_falls():
    df, _ = _visit_list_data()
    out = rf.priority_list(df, None, AS_OF)
    assert out["institution"].tolist() == ["A"] and out.loc[0, "reasons"] == ("fell",)


# ------------------------------------------------------------------ filters
def test_filters_by_department_and_area():
    df = refs([("2026-10-01", "A", "in"), ("2026-10-01", "B", "in"), ("2026-10-01", "C", "out")],
              department=["内科", "外科", "内科"], area=["北区", "北区", "南区"])
    assert rf.filter_referrals(df, ["内科"], None)["institution"].tolist() == ["A", "C"]
    assert rf.filter_referrals(df, ["内科"], ["北区"])["institution"].tolist() == ["A"]
    assert len(rf.filter_referrals(df, [], [])) == 3


# ------------------------------------------------------------------ 紹介率 / 逆紹介率 (the hospital's own counts)
def _counts() -> pd.DataFrame:
    """Oct: 初診 100, 救急 20, 再診 900; Nov: 初診 50, 救急 10, 再診 blank."""
    return rf.read_counts(pd.DataFrame({"月": ["2026年10月", "2026/11"], "初診患者数": ["100", "50"], "救急患者数": [20, 10],
                                        "再診患者数": [900, None]}))


def _rate_refs() -> pd.DataFrame:
    """Oct: in 40, out 30; Nov: in 20, out 10; Sep: in 1 (no counts entered for September)."""
    return refs(many("2026-09-05", "A", "in", 1) + many("2026-10-05", "A", "in", 40) + many("2026-10-06", "A", "out", 30)
                + many("2026-11-05", "B", "in", 20) + many("2026-11-06", "B", "out", 10))


def test_read_counts_japanese_headers_and_months():
    counts = _counts()
    assert counts["month"].dt.strftime("%Y-%m").tolist() == ["2026-10", "2026-11"]
    assert counts["first_visits"].tolist() == [100, 50] and counts["emergency"].tolist() == [20, 10]
    assert counts["revisits"].iloc[0] == 900 and pd.isna(counts["revisits"].iloc[1])


def test_medical_care_act_rates():
    """医療法: in ÷ (初診 − 救急). Oct 40 / (100 − 20) = 0.5, out 30 / 80 = 0.375; Nov 20 / 40 = 0.5, 10 / 40 = 0.25;
    Sep has no counts -> NaN. Totals: (40 + 20) / (80 + 40) = 0.5, (30 + 10) / 120 = 1/3."""
    out = rf.referral_rates(_rate_refs(), _counts(), AS_OF, "medical_care_act")
    assert out["month"].dt.strftime("%Y-%m").tolist() == ["2026-09", "2026-10", "2026-11"]
    assert pd.isna(out.loc[0, "referral_rate"]) and pd.isna(out.loc[0, "reverse_referral_rate"])
    assert out.loc[1:, "referral_rate"].tolist() == [0.5, 0.5]
    assert out.loc[1:, "reverse_referral_rate"].tolist() == [0.375, 0.25]
    assert rf.rate_totals(out, "medical_care_act") == (pytest.approx(0.5), pytest.approx(1 / 3))


def test_fee_schedule_rates():
    """診療報酬: (in + 救急) ÷ 初診: Oct (40 + 20) / 100 = 0.6, Nov (20 + 10) / 50 = 0.6; 逆紹介割合 = out ÷ (初診 + 再診):
    Oct 30 / 1000 = 0.03 (30‰), Nov n/a (再診 blank). Totals: 90 / 150 = 0.6 and 30 / 1000."""
    out = rf.referral_rates(_rate_refs(), _counts(), AS_OF, "fee_schedule")
    assert out.loc[1:, "referral_rate"].tolist() == [0.6, 0.6]
    assert out.loc[1, "reverse_referral_rate"] == pytest.approx(0.03) and pd.isna(out.loc[2, "reverse_referral_rate"])
    assert rf.rate_totals(out, "fee_schedule") == (pytest.approx(0.6), pytest.approx(0.03))


def test_no_counts_no_rate():
    """Without the hospital's own first-visit counts there is no rate (never referrals ÷ a clinic's new patients)."""
    out = rf.referral_rates(_rate_refs(), None, AS_OF)
    assert out["referral_rate"].isna().all() and rf.rate_totals(out) == (None, None)
    view = rf.liaison_view(_rate_refs(), as_of=AS_OF)
    assert not view.counts_entered and view.rate_missing == ("first_visits", "emergency")
    assert view.kpis["referral_rate"] is None and view.kpis["reverse_referral_rate"] is None


def test_liaison_view_rates_follow_the_chosen_basis():
    view = rf.liaison_view(_rate_refs(), counts=_counts(), as_of=AS_OF, settings=rf.LiaisonSettings(rate_basis="fee_schedule"))
    assert view.rate_basis == "fee_schedule" and view.kpis["referral_rate"] == pytest.approx(0.6)
    assert view.kpis["referrals_in"] == 61 and view.kpis["referrals_out"] == 40


# ------------------------------------------------------------------ one institution's record
def test_institution_record_months_and_contacts():
    """A: Sep in 1, Nov out 1; the data runs Sep-Nov so October shows 0/0. Contacts: the two activities whose
    account is A (width and spaces merged), newest first; B's is not A's, and one after as_of is left out."""
    df = refs([("2026-09-05", "A", "in"), ("2026-11-06", "A", "out"), ("2026-10-01", "B", "in")])
    a = acts([("2026-09-01 10:00", "A", "visit"), ("2026-10-01 10:00", " Ａ ", "call"), ("2026-10-02 09:00", "B", "visit"),
              ("2026-12-01 09:00", "A", "visit")]).assign(note=["x", "y", "z", "later"])
    rec = rf.institution_record(df, "A", a, AS_OF)
    assert rec.monthly["month"].dt.strftime("%Y-%m").tolist() == ["2026-09", "2026-10", "2026-11"]
    assert rec.monthly["in"].tolist() == [1, 0, 0] and rec.monthly["out"].tolist() == [0, 0, 1]
    assert (rec.total_in, rec.total_out) == (1, 1)
    assert rec.contacts["note"].tolist() == ["y", "x"]
    assert rf.institution_record(df, "A", None, AS_OF).contacts is None


# ------------------------------------------------------------------ did visits bring referrals?
def test_visit_effect_before_and_after():
    """Data from 2026-05-01 (first referral) to as_of 2026-11-20. A visited 2026-08-10 (complete: 90 days after =
    11-08 ≤ as_of, 90 days before = 05-12 ≥ 05-01): before [05-12, 08-10) holds 1 (07-01), after (08-10, 11-08]
    holds 3 (08-20, 09-01, 10-01); the visit day's own referral counts in neither -> change +2.
    A visited 2026-10-01: incomplete (90 days after is 12-30). B visited 2026-06-01: incomplete (before window
    reaches 03-03, before the data) -> shown, out of the means."""
    df = refs([("2026-05-01", "B", "in"), ("2026-07-01", "A", "in"), ("2026-08-10", "A", "in"), ("2026-08-20", "A", "in"),
               ("2026-09-01", "A", "in"), ("2026-10-01", "A", "in"), ("2026-10-05", "A", "out"), ("2026-11-20", "B", "in")])
    a = acts([("2026-08-10 10:00", "A", "visit"), ("2026-10-01 11:00", "A", "visit"), ("2026-06-01 09:00", "B", "visit"),
              ("2026-08-11 09:00", "A", "call")])
    a["rep"] = ["R1", "R1", "R2", "R1"]
    effect = rf.visit_effect(df, a, AS_OF)
    assert len(effect) == 3  # the call is not a visit
    first = effect[effect["visit_on"] == "2026-08-10"].iloc[0]
    assert (first.in_before, first.in_after, first.change, first.complete) == (1, 3, 2, True)
    assert effect["complete"].tolist() == [False, True, False]  # ordered by visit date: B 06-01, A 08-10, A 10-01
    by_inst = rf.visit_effect_by(effect, "institution").set_index("institution")
    assert by_inst.loc["A", ["visits", "complete", "incomplete"]].tolist() == [2, 1, 1]
    assert by_inst.loc["A", "change"] == 2.0 and pd.isna(by_inst.loc["B", "change"])
    by_rep = rf.visit_effect_by(effect, "rep").set_index("rep")
    assert by_rep.loc["R1", "in_after"] == 3.0 and by_rep.loc["R2", "complete"] == 0
    assert rf.mean_visit_change(effect) == 2.0
    assert rf.visit_effect(df, None, AS_OF) is None and rf.mean_visit_change(None) is None


def test_report_tables():
    df = refs(many("2026-10-01", "A", "in", 2) + many("2026-10-01", "A", "out", 1))
    assert rf.report_tables({}, None) == {}
    sheets = rf.report_tables({"referrals": df}, AS_OF, None, lang="ja")
    assert list(sheets) == ["地域連携", "医療機関別", "紹介の増減"]
    assert sheets["地域連携"]["値"].tolist() == [1, 2, 1, 0.5]
    assert "逆紹介比" in sheets["医療機関別"].columns
    assert list(rf.report_tables({"referrals": df}, AS_OF, None, lang="en")) == ["Referrals", "By institution", "Referral trend"]
