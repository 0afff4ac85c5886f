"""Value parsing rules of SPEC section 1, column-wise.

Every parser takes a pandas Series of raw cells (strings from a CSV, or str / int / float / datetime
from a workbook) and returns the parsed column plus a mask of cells that were *present but could not
be parsed*. Empty cells are missing, never errors here; the validator decides what missing means.

Speed: exports repeat the same strings (dates, labels, amounts) endlessly, so each parser works on the
distinct values (``pd.factorize``) and broadcasts back. A 1,000,000-row column with a few thousand
distinct values costs one factorize plus a few thousand scalar parses.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

# Cells that mean "no value" in Japanese exports.
MISSING_TOKENS = frozenset({"", "-", "−", "ー", "―", "‐", "未定", "なし", "n/a", "na", "null", "none", "nan", "nat"})

TRUE_TOKENS = frozenset({"○", "◯", "〇", "✓", "✔", "はい", "有", "有り", "あり", "済", "1", "true", "yes", "y", "t"})
FALSE_TOKENS = frozenset({"×", "✗", "✕", "いいえ", "無", "無し", "なし", "未", "0", "false", "no", "n", "f"})

ERAS = {"令和": 2018, "r": 2018, "平成": 1988, "h": 1988, "昭和": 1925, "s": 1925}

_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
# A bare number in a date column is an Excel serial only from 1990-01-01 to 2100-12-31 (SPEC 7): `2026` or `12345`
# (a year, an ID in a swapped column) is no date, never 1905 or 1933.
_SERIAL_MIN, _SERIAL_MAX = 32874, 73415
# Each era's first and last day (SPEC 7): 平成32年, 昭和64年1月8日 or 令和1年4月30日 name no real day.
_ERA_SPANS = {"令和": (dt.date(2019, 5, 1), None), "平成": (dt.date(1989, 1, 8), dt.date(2019, 4, 30)),
              "昭和": (dt.date(1926, 12, 25), dt.date(1989, 1, 7))}
_ERA_NAMES = {"r": "令和", "h": "平成", "s": "昭和", "令和": "令和", "平成": "平成", "昭和": "昭和"}
JST_MINUTES = 9 * 60  # a datetime with a UTC offset is read as Japan time (+09:00), then made naive
# Before 1900-03-01 Excel's serial dates are off by a day (its 1900 leap-year bug), and a time-only or a
# duration cell reads as such a date (1899-12-31 09:30): none is a real date in these exports.
_FIRST_DATE = dt.datetime(1900, 3, 1)
_LAST_DATE = dt.datetime(2262, 4, 11, 23, 47, 16)  # pd.Timestamp.max: later dates would wrap in datetime64[ns]


def nfkc(value: str) -> str:
    """NFKC-normalise and strip (full-width digits and letters become half-width). ASCII is its own NFKC."""
    return value.strip() if value.isascii() else unicodedata.normalize("NFKC", value).strip()


def _factorize(series: pd.Series) -> tuple[np.ndarray, pd.Index]:
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return codes, pd.Index(uniques, dtype=object)


def _broadcast(codes: np.ndarray, values: np.ndarray, fill) -> np.ndarray:
    """values[codes] with `fill` where code == -1 (NA cell)."""
    out = np.empty(len(codes), dtype=values.dtype if len(values) else object)
    if len(values):
        out[:] = values[np.where(codes < 0, 0, codes)]
    if (codes < 0).any():
        out[codes < 0] = fill
    return out


def _take_str(codes: np.ndarray, values: np.ndarray, index: pd.Index) -> pd.Series:
    """Text Series (pandas ``str`` dtype) of values[codes], NA where code == -1 or the value is None.

    Done by Arrow's ``take`` in C++: building a str Series from a 1M-element object array costs ~3x more.
    """
    import pyarrow as pa

    if not len(values):
        return pd.Series([None] * len(codes), index=index, dtype="str")
    if not isinstance(values, pa.Array):
        values = pa.array(values, type=pa.string(), from_pandas=True)
    taken = values.take(pa.array(codes, mask=codes < 0))
    return pd.Series(pd.array(taken, dtype="str"), index=index)


def _take_float(codes: np.ndarray, values: np.ndarray, index: pd.Index) -> pd.Series:
    """float64 Series of values[codes], NaN where code == -1."""
    numbers = np.append(np.asarray(values, dtype="float64"), np.nan)  # position -1 reads the NaN
    return pd.Series(numbers[codes], index=index)


def is_missing_scalar(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    if value is pd.NaT:
        return True
    if isinstance(value, str):
        return nfkc(value).lower() in MISSING_TOKENS
    return False


def _cell_text(value) -> str:
    """A workbook cell as the text a user would type (12345.0 -> '12345')."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------- text
def parse_text(series: pd.Series) -> pd.Series:
    """NFKC-normalised, stripped text; empty and missing tokens become NA. IDs stay as written.

    A text column that cleaning leaves as it is (the usual ID column) is returned as read, without rebuilding
    a million strings."""
    codes, uniques = _factorize(series)
    cleaned, unchanged = _clean_texts(uniques)
    if unchanged and series.dtype == "str":
        return series.copy(deep=False)
    return _take_str(codes, cleaned, series.index)


def _clean_texts(uniques: pd.Index) -> tuple:
    """``_clean_text`` over distinct values, and whether every value came out as it went in (none became NA).
    Many plain strings go through Arrow's NFKC/trim kernels in C++."""
    if len(uniques) > 2000:
        import pyarrow as pa
        import pyarrow.compute as pc

        try:
            arr = pa.array(uniques.to_numpy(), type=pa.string())
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # numbers or dates from a workbook: the scalar path
            arr = None
        if arr is not None:
            norm = pc.utf8_trim_whitespace(pc.utf8_normalize(arr, "NFKC"))
            missing = pc.is_in(pc.utf8_lower(norm), value_set=pa.array(sorted(MISSING_TOKENS)))
            cleaned = pc.if_else(missing, pa.scalar(None, pa.string()), norm)
            return cleaned, cleaned.null_count == arr.null_count == 0 and bool(pc.all(pc.equal(cleaned, arr)).as_py())
    cleaned = np.array([_clean_text(v) for v in uniques], dtype=object)
    return cleaned, all(c is not None and c == u for c, u in zip(cleaned, uniques))


def _clean_text(value) -> str | None:
    if isinstance(value, str):
        text = nfkc(value)  # normalised once, then checked against the missing tokens
        return None if text.lower() in MISSING_TOKENS else text or None
    if is_missing_scalar(value):
        return None
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    text = nfkc(_cell_text(value))
    return text or None


# ---------------------------------------------------------------- dates
_TIME = r"(?:[ T]+(?P<H>\d{1,2})(?:[:時](?P<M>\d{1,2})(?:[:分](?P<S>\d{1,2}(?:\.\d+)?))?)?(?:秒|分)?\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?)?"
# A weekday in brackets right after the date, `2026年5月1日(金)` / `2026/5/1（金）` (NFKC makes the brackets ASCII): ignored.
_WEEKDAY = r"(?:\s?\([月火水木金土日](?:曜日?)?\))?"
_ISO_LIKE = re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})" + _WEEKDAY + _TIME + r"$")
_KANJI = re.compile(r"^(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日" + _WEEKDAY + _TIME + r"$")
_ERA = re.compile(
    r"^(?P<era>令和|平成|昭和|[RrHhSs])\.?(?P<y>\d{1,2}|元)[年./-](?P<m>\d{1,2})[月./-](?P<d>\d{1,2})日?" + _WEEKDAY + _TIME + r"$"
)
_COMPACT = re.compile(r"^(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})$")
_SERIAL = re.compile(r"^\d{1,7}(?:\.\d+)?$")


def _date_from_match(m: re.Match, year: int) -> tuple[dt.datetime, bool] | None:
    try:
        hour = int(m.group("H")) if "H" in m.groupdict() and m.group("H") else None
        minute = int(m.group("M")) if "M" in m.groupdict() and m.group("M") else 0
        sec_txt = m.group("S") if "S" in m.groupdict() else None
        second = float(sec_txt) if sec_txt else 0.0
        value = dt.datetime(year, int(m.group("m")), int(m.group("d")))
        if hour is not None:
            if hour == 24 and minute == 0 and second == 0:  # 24:00 as written by some systems
                value = value + dt.timedelta(days=1)
            else:
                value = value.replace(hour=hour, minute=minute, second=int(second), microsecond=int(round((second % 1) * 1e6)))
            tz = m.groupdict().get("tz")
            if tz:  # `Z` / `+00:00` / `-0500`: the same instant in Japan time, without the offset
                offset = 0 if tz == "Z" else int(tz[1:3]) * 60 + int(tz[-2:])
                if offset and (int(tz[1:3]) > 23 or int(tz[-2:]) > 59):
                    return None
                value = value + dt.timedelta(minutes=JST_MINUTES - (-offset if tz[0] == "-" else offset))
            return value, True
        return value, False
    except (ValueError, OverflowError):
        return None


def parse_date_scalar(value) -> tuple[dt.datetime, bool] | None:
    """One cell -> (datetime, has_time), or None when it cannot be read as a date.

    >>> parse_date_scalar("令和8年11月20日")
    (datetime.datetime(2026, 11, 20, 0, 0), False)
    >>> parse_date_scalar("R8.11.20 9:05")
    (datetime.datetime(2026, 11, 20, 9, 5), True)
    >>> parse_date_scalar(46346)
    (datetime.datetime(2026, 11, 20, 0, 0), False)
    """
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:  # Japan time, as for text with an offset
            try:
                value = value.astimezone(dt.timezone(dt.timedelta(minutes=JST_MINUTES)))
            except (OverflowError, ValueError):
                return None
        has_time = (value.hour, value.minute, value.second, value.microsecond) != (0, 0, 0, 0)
        return value.replace(tzinfo=None), has_time
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day), False
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return _from_serial(float(value))
    if not isinstance(value, str):
        return None
    text = re.sub(r"\s+", " ", nfkc(value))
    # Era strings are often padded: "令和 4年 5月 1日"
    text_nospace_date = re.sub(r"(?<=[年月日\d元和成和])\s+(?=[\d元年月日])", "", text)
    for candidate in (text, text_nospace_date):
        m = _ISO_LIKE.match(candidate) or _KANJI.match(candidate)
        if m:
            return _date_from_match(m, int(m.group("y")))
        m = _ERA.match(candidate)
        if m:
            era = _ERA_NAMES[m.group("era").lower() if len(m.group("era")) == 1 else m.group("era")]
            year_in_era = 1 if m.group("y") == "元" else int(m.group("y"))
            if year_in_era < 1:
                return None
            try:
                day = dt.date(ERAS[era] + year_in_era, int(m.group("m")), int(m.group("d")))
            except ValueError:
                return None
            first, last = _ERA_SPANS[era]
            if day < first or (last is not None and day > last):
                return None  # 平成32年, 昭和64年1月8日, 令和1年4月30日: outside the era
            return _date_from_match(m, ERAS[era] + year_in_era)
    m = _COMPACT.match(text)
    if m:
        return _date_from_match(m, int(m.group("y")))
    if _SERIAL.match(text):
        return _from_serial(float(text))
    return None


def _from_serial(serial: float) -> tuple[dt.datetime, bool] | None:
    if not (_SERIAL_MIN <= serial < _SERIAL_MAX + 1):  # any time of day on 2100-12-31 included
        return None
    value = (_EXCEL_EPOCH + pd.to_timedelta(round(serial * 86400), unit="s")).to_pydatetime()
    return value, serial % 1 != 0


@dataclass(frozen=True)
class ParsedDates:
    values: pd.Series  # datetime64[ns], NaT where missing or unparseable
    has_time: pd.Series  # bool
    bad: pd.Series  # bool: present but unparseable


def parse_dates(series: pd.Series) -> ParsedDates:
    """Dates and datetimes in every form of SPEC section 1, column-wise (distinct values parsed once).
    A date before 1900-03-01 or after 2262-04-11 (beyond datetime64[ns]) is present but wrong."""
    codes, uniques = _factorize(series)
    n_u = len(uniques)
    stamps = np.full(n_u, np.datetime64("NaT"), dtype="datetime64[ns]")
    has_time = np.zeros(n_u, dtype=bool)
    bad = np.zeros(n_u, dtype=bool)
    done = _parse_common_formats(uniques, stamps, has_time, bad)
    for i, raw in enumerate(uniques):
        if done[i] or is_missing_scalar(raw):
            continue
        parsed = parse_date_scalar(raw)
        if parsed is None or not _FIRST_DATE <= parsed[0] <= _LAST_DATE:
            bad[i] = True
            continue
        try:
            stamps[i] = np.datetime64(parsed[0], "ns")
        except (OverflowError, ValueError):
            bad[i] = True
            continue
        has_time[i] = parsed[1]
    idx = series.index
    return ParsedDates(
        values=pd.Series(_broadcast(codes, stamps, np.datetime64("NaT")), index=idx, dtype="datetime64[ns]"),
        has_time=pd.Series(_broadcast(codes, has_time, False), index=idx, dtype=bool),
        bad=pd.Series(_broadcast(codes, bad, False), index=idx, dtype=bool),
    )


# The forms exports write most, parsed for all distinct values at once. Each matches only strings the regexes
# of parse_date_scalar read the same way (y/m/d with an optional time; pandas' strptime needs the whole string).
_COMMON_FORMATS = (("%Y/%m/%d %H:%M", True), ("%Y/%m/%d", False), ("%Y-%m-%d", False), ("%Y-%m-%d %H:%M:%S", True),
                   ("%Y-%m-%d %H:%M", True), ("%Y/%m/%d %H:%M:%S", True))


def _parse_common_formats(uniques: pd.Index, stamps: np.ndarray, has_time: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """Fill stamps / has_time / bad for the distinct values written in a common form; True where done."""
    done = np.zeros(len(uniques), dtype=bool)
    if len(uniques) < 64:  # the scalar loop is as quick, and the only path for odd forms anyway
        return done
    text = pd.Series(uniques.to_numpy(), dtype=object)
    is_text = np.fromiter((isinstance(v, str) for v in text), dtype=bool, count=len(text))
    for fmt, timed in _COMMON_FORMATS:
        todo = np.flatnonzero(is_text & ~done)
        if not len(todo):
            break
        parsed = pd.to_datetime(text.iloc[todo], format=fmt, errors="coerce").to_numpy(dtype="datetime64[ns]")
        hit = ~np.isnat(parsed)
        if fmt.endswith("%S"):  # strptime takes :60 and :61 (leap seconds), the regex does not
            hit &= (text.iloc[todo].str[-2:] < "60").to_numpy(dtype=bool)
        rows = todo[hit]
        stamps[rows] = parsed[hit]
        has_time[rows] = timed
        done[rows] = True
    early = done & (stamps < np.datetime64(_FIRST_DATE, "ns"))
    stamps[early], has_time[early], bad[early] = np.datetime64("NaT"), False, True
    return done


# ---------------------------------------------------------------- numbers
_NUMBER = re.compile(r"^(?P<sign>[-+▲△])?(?P<num>\d+(?:\.\d+)?|\.\d+)(?P<man>万)?(?P<rest>\d+(?:\.\d+)?)?(?P<pct>%)?$")


def parse_number_scalar(value) -> float | None:
    """One cell -> float, or None when it is not a number.

    Full-width digits, ``¥``/``円``/commas, ``12万円`` = 120000, ``12万3000円`` = 123000,
    ``85%`` = 0.85, ``▲500`` / ``△500`` (Japanese accounting negatives) = -500.

    >>> parse_number_scalar("１２万円"), parse_number_scalar("¥1,200"), parse_number_scalar("85%")
    (120000.0, 1200.0, 0.85)
    """
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value) if np.isfinite(value) else None
    if not isinstance(value, str):
        return None
    text = nfkc(value).replace(",", "").replace("¥", "").replace("￥", "").replace("\\", "").replace(" ", "")
    text = text.removesuffix("円").removesuffix("yen")
    m = _NUMBER.match(text)
    if not m:
        return None
    number = float(m.group("num"))
    if m.group("man"):
        number = number * 10_000 + (float(m.group("rest")) if m.group("rest") else 0.0)
    elif m.group("rest"):
        return None
    if m.group("pct"):
        number /= 100.0
    if m.group("sign") in ("-", "▲", "△"):
        number = -number
    return number


@dataclass(frozen=True)
class Parsed:
    values: pd.Series
    bad: pd.Series  # present but unparseable
    # enums only: the distinct labels as written (cleaned text) with their row counts, most frequent first
    # (at most TALLY_LABELS): what the mapping screen offers to map to the field's codes
    tally: tuple[tuple[str, int], ...] = ()


TALLY_LABELS = 50


def parse_numbers(series: pd.Series) -> Parsed:
    """Numbers column-wise; a numeric column from a workbook passes straight through."""
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        values = series.astype("float64")
        return Parsed(values, pd.Series(False, index=series.index))
    return _parse_unique(series, parse_number_scalar, np.nan, "float64")


def _tally(codes: np.ndarray, uniques: pd.Index) -> tuple[tuple[str, int], ...]:
    """(label as written, rows) per distinct non-empty label, most frequent first (counted once per unique)."""
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    merged: dict[str, int] = {}
    for raw, count in zip(uniques, counts):
        text = None if is_missing_scalar(raw) else _clean_text(raw)
        if text:
            merged[text] = merged.get(text, 0) + int(count)
    return tuple(sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))[:TALLY_LABELS])


def _parse_unique(series: pd.Series, scalar: Callable, missing, dtype, tally: bool = False) -> Parsed:
    codes, uniques = _factorize(series)
    out = np.empty(len(uniques), dtype=object)
    bad = np.zeros(len(uniques), dtype=bool)
    for i, raw in enumerate(uniques):
        if is_missing_scalar(raw):
            out[i] = missing
            continue
        parsed = scalar(raw)
        if parsed is None:
            out[i] = missing
            bad[i] = True
        else:
            out[i] = parsed
    if dtype == "str":
        values = _take_str(codes, out, series.index)
    elif dtype == "float64":
        values = _take_float(codes, out, series.index)
    else:
        values = pd.Series(_broadcast(codes, out, missing), index=series.index).astype(dtype)
    return Parsed(values, pd.Series(_broadcast(codes, bad, False), index=series.index, dtype=bool),
                  _tally(codes, uniques) if tally else ())


# ---------------------------------------------------------------- booleans
def parse_bool_scalar(value) -> bool | None:
    """○ ◯ ✓ はい 有 済 1 TRUE yes y -> True; × ✗ いいえ 無 未 0 FALSE no n / empty -> False."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return {1.0: True, 0.0: False}.get(float(value))
    if not isinstance(value, str):
        return None
    token = nfkc(value).lower()
    if token in TRUE_TOKENS:
        return True
    if token in FALSE_TOKENS or token in MISSING_TOKENS:
        return False
    return None


def parse_bools(series: pd.Series) -> Parsed:
    codes, uniques = _factorize(series)
    out = np.zeros(len(uniques), dtype=bool)
    bad = np.zeros(len(uniques), dtype=bool)
    for i, raw in enumerate(uniques):
        parsed = parse_bool_scalar(raw) if not is_missing_scalar(raw) else False
        if parsed is None:
            bad[i] = True
        else:
            out[i] = parsed
    return Parsed(
        pd.Series(_broadcast(codes, out, False), index=series.index, dtype=bool),
        pd.Series(_broadcast(codes, bad, False), index=series.index, dtype=bool),
    )


# ---------------------------------------------------------------- enums
def label_key(value: str) -> str:
    """How enum labels are compared: NFKC, lower case, no spaces."""
    return re.sub(r"\s+", "", nfkc(value).lower())


REGION_PREFIXES: tuple[tuple[str, str], ...] = (
    ("大阪府", "osaka"), ("大阪市", "osaka"), ("京都府", "kyoto"), ("京都市", "kyoto"),
    ("兵庫県", "kobe"), ("神戸市", "kobe"), ("奈良県", "nara"), ("奈良市", "nara"),
)


def region_scalar(value: str, labels: dict[str, str]) -> str | None:
    """Region code from a label or an address: exact label, else a prefecture / listed city at the start.

    Never by substring: 東京都 is not 京都.

    >>> region_scalar("兵庫県神戸市中央区", {}), region_scalar("東京都港区", {})
    ('kobe', None)
    """
    key = label_key(value)
    if key in labels:
        return labels[key]
    for prefix, code in REGION_PREFIXES:
        if key.startswith(prefix):
            return code
    return None


def parse_enum(series: pd.Series, labels: dict[str, str], resolver: Callable[[str, dict], str | None] | None = None) -> Parsed:
    """Map labels (already keyed by ``label_key``) to codes; unknown labels are flagged ``bad``."""
    def scalar(raw):
        text = _clean_text(raw)
        if text is None:
            return None
        if resolver is not None:
            return resolver(text, labels)
        return labels.get(label_key(text))

    return _parse_unique(series, scalar, None, "str", tally=True)
