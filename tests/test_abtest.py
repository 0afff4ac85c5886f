"""kpi.abtest: reply rate by send-hour band, region and pattern; two-proportion z-test; "too few" (hand-made frames)."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from kpi import abtest
from kpi.abtest import AbSettings, ab_view, compare, holm, parse_bands, reply_rate, sends, two_proportion_ztest


def test_ztest_by_hand():
    """30 % of 200 vs 18 % of 200: pooled 96/400 = 0.24, se = sqrt(0.24 × 0.76 × (1/200 + 1/200)) = 0.042708,
    z = 0.12 / 0.042708 = 2.8098, two-sided p = erfc(2.8098 / sqrt 2) = 0.00496."""
    r = two_proportion_ztest(60, 200, 36, 200)
    assert r.z == pytest.approx(0.12 / math.sqrt(0.24 * 0.76 * 0.01))
    assert r.z == pytest.approx(2.8098, abs=1e-4) and r.p_value == pytest.approx(0.00496, abs=1e-5)
    assert two_proportion_ztest(0, 50, 0, 50).p_value == 1.0  # no variance: no evidence


@pytest.mark.parametrize("a, b, verdict", [
    ((60, 200), (36, 200), "a_wins"),    # p = 0.005
    ((36, 200), (60, 200), "b_wins"),
    ((50, 200), (46, 200), "tie"),       # 25 % vs 23 %: p = 0.64
    ((10, 29), (3, 200), "too_few"),     # 29 < min n 30
    ((1, 100), (2, 100), "too_few"),     # pooled 1.5 %: expected replies 1.5 < 5
])
def test_compare_verdicts(a, b, verdict):
    assert compare(a, b, AbSettings())["verdict"] == verdict


def test_holm_by_hand():
    """p = 0.01, 0.04, 0.03 (m = 3): sorted 0.01×3 = 0.03, 0.03×2 = 0.06, 0.04×1 = 0.04 -> running max 0.06."""
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


def test_parse_bands():
    assert parse_bands("7-8, 18-19") == ((7, 8), (18, 19))
    assert parse_bands("7\u301c9\u300118-20") == ((7, 9), (18, 20))  # 〜 and 、 as typed in Japanese
    assert parse_bands("9-7") is None and parse_bands("morning") is None and parse_bands("") is None


def frame() -> pd.DataFrame:
    """Emails: 7時台 40 sends (A: 20, 14 replied; B: 20, 2 replied), 18時台 40 sends (same split); a date-only call;
    a visit (not a send); one email after as_of."""
    rows = []
    for hour in (7, 18):
        for variant, replied in (("A", 14), ("B", 2)):
            for i in range(20):
                rows.append({"activity_at": pd.Timestamp(f"2026-11-{10 + i % 5:02d} {hour:02d}:15"), "type": "email", "region": "osaka",
                             "variant": variant, "replied_at": pd.Timestamp(f"2026-11-{10 + i % 5:02d} 20:00") if i < replied else pd.NaT})
    rows.append({"activity_at": pd.Timestamp("2026-11-12"), "type": "call", "region": "kyoto", "variant": None, "replied_at": pd.Timestamp("2026-11-12 11:00")})
    rows.append({"activity_at": pd.Timestamp("2026-11-12 10:00"), "type": "visit", "region": "kyoto", "variant": None, "replied_at": pd.NaT})
    rows.append({"activity_at": pd.Timestamp("2026-11-30 10:00"), "type": "email", "region": "kyoto", "variant": "A", "replied_at": pd.NaT})
    out = pd.DataFrame(rows)
    out["activity_at_has_time"] = out["activity_at"].ne(out["activity_at"].dt.normalize())
    return out


def test_sends_and_reply_rate():
    s = sends(frame(), pd.Timestamp("2026-11-20"))
    assert len(s) == 81  # 80 emails + the call; not the visit, not the email after as_of
    assert s["band"].isna().sum() == 1  # the date-only call has no hour
    # replies: 4 × (14 or 2) / 2 groups = 2 × 14 + 2 × 2 = 32 emails + the call = 33 of 81
    assert reply_rate(frame(), pd.Timestamp("2026-11-20")) == pytest.approx(33 / 81)
    assert reply_rate(frame().drop(columns="replied_at"), None) is None


def test_view_winner_and_tie():
    """Pattern A 28/40 = 70 % vs B 4/40 = 10 %: a winner. 7-9 vs 17-20: 16/40 each: a tie."""
    view = ab_view(frame(), pd.Timestamp("2026-11-20"), AbSettings(bands=((7, 9), (17, 20))))
    overall = view.tests[view.tests["region"].isna()].set_index("dimension")
    assert overall.loc["variant", "verdict"] == "a_wins"
    assert overall.loc["variant", ["rate_a", "rate_b"]].tolist() == [0.7, 0.1]
    band = overall.loc["band"]
    assert (band["a"], band["b"], band["verdict"], band["p_value"]) == ("7-9", "17-20", "tie", 1.0)
    assert view.by_band.set_index(["channel", "band"]).loc[("email", "7-9"), "sent"] == 40
    # per region: osaka has the same 80 emails; kyoto has no email up to as_of
    osaka = view.tests[view.tests["region"].eq("osaka")]
    assert set(osaka["verdict"]) == {"a_wins", "tie"}


def test_small_groups_say_too_few():
    view = ab_view(frame().iloc[::4], pd.Timestamp("2026-11-20"), AbSettings(bands=((7, 9), (17, 20))))
    assert set(view.tests["verdict"]) == {"too_few"}


def test_band_of_other():
    hours = pd.Series([6, 7, 8, 9, 18])
    assert abtest.band_of(hours, ((7, 9), (18, 19))).tolist() == ["other", "7-9", "7-9", "other", "18-19"]


def test_all_too_few_still_gives_numeric_columns():
    """When every comparison has too few sends, the p-values are NaN (a float column), so tables can round them
    (the habits page crashed on a file without 返信日時 in one of two activities files)."""
    import pandas as pd

    from kpi import abtest

    acts = pd.DataFrame({"activity_at": pd.to_datetime(["2026-11-02 07:30", "2026-11-02 18:30"] * 3), "type": "email",
                         "region": "osaka", "replied_at": pd.to_datetime([None, "2026-11-02 20:00"] * 3)})
    view = abtest.ab_view(acts, pd.Timestamp("2026-11-10").date(), abtest.AbSettings())
    assert view is not None and len(view.tests) == 2
    assert view.tests["p_adjusted"].dtype == "float64" and view.tests["p_adjusted"].isna().all()
    assert set(view.tests["verdict"]) == {"too_few"}
