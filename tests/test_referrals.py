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


# ------------------------------------------------------------------ 紹介率 / 逆紹介率
def _new_patient_visits() -> pd.DataFrame:
    """New patients (first_visit flag, attended): Oct p1, p2, p3, p4 = 4; Nov p5, p6 = 2 (p7 cancelled: not new)."""
    visits = pd.DataFrame({
        "patient_id": pd.Series(["p1", "p2", "p3", "p4", "p1", "p5", "p6", "p7"], dtype="str"),
        "visit_on": pd.to_datetime(["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"]),
        "status": pd.Series(["attended"] * 7 + ["cancelled"], dtype="str"),
        "first_visit": [True, True, True, True, False, True, True, True],
    })
    visits["visit_on_has_time"] = False
    return visits


def test_referral_rates_per_new_patient():
    """Oct: in 2, out 1 of 4 new patients -> 2/4, 1/4. Nov: in 2, out 3 of 2 new -> 2/2 = 1 (the bound itself
    is possible), and 逆紹介率 3/2: patients referred out need not be new ones, so it may pass 1."""
    df = refs(many("2026-10-05", "A", "in", 2) + [("2026-10-06", "A", "out")] + many("2026-11-05", "B", "in", 2)
              + many("2026-11-06", "B", "out", 3))
    out = rf.referral_rates(df, _new_patient_visits(), AS_OF)
    assert out["new_patients"].tolist() == [4, 2]
    assert out["referral_rate"].tolist() == [0.5, 1.0]
    assert out["reverse_referral_rate"].tolist() == [0.25, 1.5]


def test_referral_rate_above_one_is_not_shown():
    """A referred-in patient is a new patient: more referrals in than new patients (Nov: 3 in, 2 new) means the
    two files are not one institution's counts, so the rate is n/a (NaN), never 150 %. Its counts stay."""
    df = refs(many("2026-10-05", "A", "in", 2) + [("2026-10-06", "A", "out")] + many("2026-11-05", "B", "in", 3))
    out = rf.referral_rates(df, _new_patient_visits(), AS_OF)
    assert out["in"].tolist() == [2, 3] and out["new_patients"].tolist() == [4, 2]
    assert out.loc[0, "referral_rate"] == 0.5
    assert pd.isna(out.loc[1, "referral_rate"])
    assert not (out["referral_rate"] > 1).any()
    assert out["reverse_referral_rate"].tolist() == [0.25, 0.0]
    # a month without new patients has no rate either way
    alone = rf.referral_rates(refs(many("2026-09-05", "A", "in", 1)), _new_patient_visits(), AS_OF)
    assert pd.isna(alone.loc[0, "referral_rate"]) and alone.loc[0, "new_patients"] == 0


def test_report_tables():
    df = refs(many("2026-10-01", "A", "in", 2) + many("2026-10-01", "A", "out", 1))
    assert rf.report_tables({}, None) == {}
    sheets = rf.report_tables({"referrals": df}, AS_OF, None, lang="ja")
    assert list(sheets) == ["地域連携", "医療機関別", "紹介の増減"]
    assert sheets["地域連携"]["値"].tolist() == [1, 2, 1, 0.5]
    assert "逆紹介比" in sheets["医療機関別"].columns
    assert list(rf.report_tables({"referrals": df}, AS_OF, None, lang="en")) == ["Referrals", "By institution", "Referral trend"]
