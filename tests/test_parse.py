"""Value parsing rules of SPEC section 1, value by value."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from kpi import parse
from kpi.schemas import REGION_LABELS, label_lookup

D = dt.datetime


@pytest.mark.parametrize(
    "raw, expected, has_time",
    [
        ("2026-11-20", D(2026, 11, 20), False),
        ("2026/11/20", D(2026, 11, 20), False),
        ("2026/1/5", D(2026, 1, 5), False),
        ("2026年11月20日", D(2026, 11, 20), False),
        ("R8.11.20", D(2026, 11, 20), False),
        ("令和8年11月20日", D(2026, 11, 20), False),
        ("令和 4年 5月 1日", D(2022, 5, 1), False),  # the government workbook pads with spaces
        ("平成20年 8月 1日", D(2008, 8, 1), False),
        ("昭和64年1月7日", D(1989, 1, 7), False),
        ("令和元年5月1日", D(2019, 5, 1), False),
        ("Ｒ８．１１．２０", D(2026, 11, 20), False),  # full width
        ("２０２６／１１／２０", D(2026, 11, 20), False),
        ("2026/11/20 14:30", D(2026, 11, 20, 14, 30), True),
        ("2026-11-20 09:05:07", D(2026, 11, 20, 9, 5, 7), True),
        ("2026-01-05T09:30:00", D(2026, 1, 5, 9, 30), True),
        ("2026-01-05T09:30:00Z", D(2026, 1, 5, 18, 30), True),  # UTC -> Japan time (SPEC 7), then naive
        ("2026-01-05T09:30:00+00:00", D(2026, 1, 5, 18, 30), True),
        ("2026-01-05T09:30:00+09:00", D(2026, 1, 5, 9, 30), True),
        ("2026-01-05T20:30:00-05:00", D(2026, 1, 6, 10, 30), True),  # across midnight
        ("2026-01-05T09:30:00+0530", D(2026, 1, 5, 13, 0), True),
        ("2016-04-29T00:00:00Z", D(2016, 4, 29, 9), True),  # a time was written, even if midnight
        ("2026年5月1日(金)", D(2026, 5, 1), False),  # a weekday in brackets is ignored
        ("2026/5/1（金）", D(2026, 5, 1), False),
        ("2026/05/01 (金) 10:00", D(2026, 5, 1, 10), True),
        ("令和8年5月1日(金曜日)", D(2026, 5, 1), False),
        ("R8.5.1(金)", D(2026, 5, 1), False),
        ("平成31年4月30日", D(2019, 4, 30), False),  # each era's last and first day
        ("令和元年5月1日", D(2019, 5, 1), False),
        ("平成元年1月8日", D(1989, 1, 8), False),
        ("昭和元年12月25日", D(1926, 12, 25), False),
        ("32874", D(1990, 1, 1), False),  # the first and last day an Excel serial may name
        ("73415", D(2100, 12, 31), False),
        (pd.Timestamp("2026-01-05 09:30", tz="UTC"), D(2026, 1, 5, 18, 30), True),  # an aware datetime likewise
        ("2026年11月20日 14時30分", D(2026, 11, 20, 14, 30), True),
        ("20261120", D(2026, 11, 20), False),
        (46346, D(2026, 11, 20), False),  # Excel serial
        (46346.5, D(2026, 11, 20, 12), True),
        ("46346", D(2026, 11, 20), False),
        (D(2026, 11, 20, 8, 0), D(2026, 11, 20, 8, 0), True),  # a real Excel datetime cell
        (dt.date(2026, 11, 20), D(2026, 11, 20), False),
    ],
)
def test_dates(raw, expected, has_time):
    parsed = parse.parse_dates(pd.Series([raw], dtype=object))
    assert parsed.values.iloc[0] == pd.Timestamp(expected)
    assert bool(parsed.has_time.iloc[0]) is has_time
    assert not parsed.bad.iloc[0]


@pytest.mark.parametrize("raw", ["", "-", "未定", "―", None, np.nan, "  "])
def test_missing_dates_are_missing_not_bad(raw):
    parsed = parse.parse_dates(pd.Series([raw], dtype=object))
    assert pd.isna(parsed.values.iloc[0]) and not parsed.bad.iloc[0]


@pytest.mark.parametrize("raw", ["不明", "2026/2/30", "2026/13/01", "令和0年1月1日", "abc", "12:00", -5,
                                 # SPEC 7: a bare number outside 32874..73415 is no Excel serial (a year, an ID)
                                 "2026", "12345", 2026, 12345, 12345.0, "32873", "73416", 1, 0,
                                 # an era date outside its era
                                 "平成32年1月1日", "昭和64年1月8日", "令和1年4月30日", "令和元年4月30日", "H32.1.1", "S64.1.8",
                                 "平成1年1月7日", "昭和元年12月24日",
                                 # a weekday anywhere else, or not a weekday; an offset that is none
                                 "2026/5/1 10:00(金)", "(金)2026/5/1", "2026/5/1(祝)", "2026-01-05T09:30:00+25:00"])
def test_unparseable_dates_are_flagged(raw):
    parsed = parse.parse_dates(pd.Series([raw], dtype=object))
    assert pd.isna(parsed.values.iloc[0]) and parsed.bad.iloc[0]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("12000", 12000.0),
        ("１２０００", 12000.0),
        ("12,000", 12000.0),
        ("¥12,000", 12000.0),
        ("￥12,000", 12000.0),
        ("12,000円", 12000.0),
        ("12万円", 120000.0),
        ("12万", 120000.0),
        ("1.5万円", 15000.0),
        ("12万3000円", 123000.0),
        ("85%", 0.85),
        ("８５％", 0.85),
        ("-5", -5.0),
        ("▲500", -500.0),
        ("△500", -500.0),
        (3, 3.0),
        (2.5, 2.5),
    ],
)
def test_numbers(raw, expected):
    parsed = parse.parse_numbers(pd.Series([raw], dtype=object))
    assert parsed.values.iloc[0] == pytest.approx(expected)
    assert not parsed.bad.iloc[0]


@pytest.mark.parametrize("raw", ["abc", "12万円くらい", "1.2.3", "万"])
def test_bad_numbers(raw):
    parsed = parse.parse_numbers(pd.Series([raw], dtype=object))
    assert np.isnan(parsed.values.iloc[0]) and parsed.bad.iloc[0]


def test_numeric_column_passes_through():
    parsed = parse.parse_numbers(pd.Series([1, 2, None], dtype="float64"))
    assert parsed.values.iloc[:2].tolist() == [1.0, 2.0] and not parsed.bad.any()


@pytest.mark.parametrize("raw", ["○", "◯", "✓", "はい", "有", "済", "1", "TRUE", "true", "yes", "y", "Y", 1, True])
def test_true_tokens(raw):
    parsed = parse.parse_bools(pd.Series([raw], dtype=object))
    assert parsed.values.iloc[0] is np.True_ and not parsed.bad.iloc[0]


@pytest.mark.parametrize("raw", ["×", "✗", "いいえ", "無", "未", "0", "FALSE", "no", "n", "", None, 0, False])
def test_false_tokens(raw):
    parsed = parse.parse_bools(pd.Series([raw], dtype=object))
    assert parsed.values.iloc[0] is np.False_ and not parsed.bad.iloc[0]


def test_unknown_bool_is_flagged():
    assert parse.parse_bools(pd.Series(["たぶん"], dtype=object)).bad.iloc[0]


def test_text_is_nfkc_and_stripped_ids_stay_text():
    out = parse.parse_text(pd.Series(["  ＡＢＣ　１ ", "9377952927E-5", "00123", 12345.0, "-", ""], dtype=object))
    assert out.tolist()[:4] == ["ABC 1", "9377952927E-5", "00123", "12345"]
    assert out.iloc[4:].isna().all()


@pytest.mark.parametrize(
    "raw, code",
    [
        ("大阪", "osaka"), ("大阪府", "osaka"), ("大阪府大阪市北区梅田1-1", "osaka"), ("大阪市北区", "osaka"),
        ("京都府京都市", "kyoto"), ("京都", "kyoto"), ("兵庫県神戸市中央区", "kobe"), ("神戸市東灘区", "kobe"),
        ("兵庫", "kobe"), ("奈良県奈良市", "nara"), ("Osaka", "osaka"), ("NARA", "nara"),
        ("東京都港区", None),  # never by substring: 東京都 is not 京都
        ("東京都", None), ("北海道札幌市", None),
    ],
)
def test_region_from_label_or_address(raw, code):
    assert parse.region_scalar(raw, label_lookup(REGION_LABELS)) == code


def test_enum_labels_and_unknown():
    lookup = {"来院": "attended", "キャンセル": "cancelled", "noshow": "no_show"}
    parsed = parse.parse_enum(pd.Series(["来院", "キャンセル", "NoShow", "謎", ""], dtype=object), lookup)
    assert parsed.values.tolist()[:3] == ["attended", "cancelled", "no_show"]
    assert parsed.bad.tolist() == [False, False, False, True, False]
    assert pd.isna(parsed.values.iloc[4])


def test_distinct_values_parsed_once_broadcast_back():
    series = pd.Series(["2026/11/20", "R8.11.21", None] * 1000, dtype=object)
    parsed = parse.parse_dates(series)
    assert parsed.values.iloc[3] == pd.Timestamp("2026-11-20")
    assert parsed.values.iloc[4] == pd.Timestamp("2026-11-21")
    assert parsed.values.isna().sum() == 1000


def test_many_distinct_texts_take_the_arrow_path_with_the_same_result():
    """Above 2,000 distinct values parse_text normalises in Arrow; it must equal the scalar rule cell by cell."""
    from kpi.parse import _clean_text, parse_text

    values = [f"ＡＢＣ{i}\u3000" for i in range(2500)] + ["-", "未定", "  N/A ", "株式会社　テスト", "ｶﾀｶﾅ", "", "㈱ＸＹＺ"]
    series = pd.Series(values * 2)
    expected = pd.Series([_clean_text(v) for v in values * 2], dtype="str")
    pd.testing.assert_series_equal(parse_text(series), expected)
    assert parse_text(series).iloc[0] == "ABC0" and parse_text(series).isna().sum() == 8


@pytest.mark.parametrize("seed", range(3))
def test_common_date_forms_parsed_at_once_agree_with_the_cell_parser(seed):
    """parse_dates reads the common forms of many distinct values with one vectorised call per form; the result
    (date, has_time, bad) equals the cell-by-cell parser's on every value, odd ones included (month 13, :60
    seconds, 24:00, years past 2262 or before 1900-03-01, padded and compact forms)."""
    import random

    rnd = random.Random(seed)
    values = []
    for _ in range(4000):
        y, m, d = rnd.randint(1890, 2300), rnd.randint(0, 13), rnd.randint(0, 32)
        H, M, S = rnd.randint(0, 25), rnd.randint(0, 61), rnd.randint(0, 61)
        era, ey = rnd.choice(["令和", "平成", "昭和", "R", "H", "S"]), rnd.choice([str(rnd.randint(0, 66)), "元"])
        wd = rnd.choice(["(金)", "（月）", " (日)", "(水曜日)", "(土曜)", "(祝)"])
        tz = rnd.choice(["Z", "+00:00", "+09:00", "-05:00", "+0530", "+24:00", "-12:60"])
        serial = rnd.choice([rnd.randint(0, 100_000), rnd.randint(32_800, 32_900), rnd.randint(73_380, 73_450), rnd.randint(1800, 2300)])
        values.append(rnd.choice([
            f"{y}/{m:02d}/{d:02d} {H:02d}:{M:02d}", f"{y}/{m}/{d}", f"{y}-{m:02d}-{d:02d}", f"{y}-{m:02d}-{d:02d} {H:02d}:{M:02d}:{S:02d}",
            f"{y}-{m:02d}-{d:02d} {H}:{M:02d}", f"{y}/{m:02d}/{d:02d} {H:02d}:{M:02d}:{S:02d}", f" {y}/{m:02d}/{d:02d}",
            f"{y}/{m:02d}/{d:02d}T{H:02d}:{M:02d}", f"{y}{m:02d}{d:02d}", f"{y}/{m}/{d} {H}:{M}", f"{y}/{m:02d}/{d:02d} {H:02d}:{M:02d}:{S:02d}.5",
            # SPEC 7 forms: Excel serials in and out of range, era dates in and out of their era, weekdays, UTC offsets
            f"{serial}", f"{serial}.25", f"{era}{ey}年{m}月{d}日", f"{era}.{ey}.{m}.{d}", f"{era}{ey}年{m}月{d}日{wd}",
            f"{y}年{m}月{d}日{wd}", f"{y}/{m}/{d}{wd}", f"{y}/{m:02d}/{d:02d}{wd} {H:02d}:{M:02d}", f"{y}-{m:02d}-{d:02d}{wd}",
            f"{y}-{m:02d}-{d:02d}T{H:02d}:{M:02d}:{S:02d}{tz}", f"{y}-{m:02d}-{d:02d} {H:02d}:{M:02d}:{S:02d}{tz}",
            f"{y}-{m:02d}-{d:02d} {H:02d}:{M:02d}{tz}"]))
    series = pd.Series(values, dtype="str")
    at_once = parse.parse_dates(series)
    cell_by_cell = [parse.parse_dates(series.iloc[i : i + 30]) for i in range(0, len(series), 30)]  # < 64 distinct: no vectorised pass
    for field in ("values", "has_time", "bad"):
        assert getattr(at_once, field).equals(pd.concat([getattr(p, field) for p in cell_by_cell])), field
    assert 0 < at_once.bad.sum() < len(series)
