"""Japanese business days (営業日): weekends, national holidays (祝日, from ``jpholiday``) and 年末年始 (Dec 29 – Jan 3).

Vectorised with numpy's business-day calendar (``np.busday_count``), so a column of 100,000 dates costs one call.
Used by the 24-hour minutes rule and the partner SLA when the business-day setting is on, and offered to the
funnel's stall limits (``business_days_between(stage_date, as_of)``). Calendar days stay the default (SPEC 2).

Readings chosen here:
* ``business_days_between(start, end)`` counts the business days in (start, end] — the days that *passed* after
  ``start``: a lead dated Friday is 1 business day old on Monday (3 calendar days). Negative when end < start;
  NaN where either side is missing. Times of day are ignored (dates are compared).
* ``business_hours_between(start, end)`` runs a clock that stops on non-business days: hours on business days
  only. A reply at 09:00 Monday to a lead created 17:00 Friday took 16 business hours (64 calendar hours).
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import pandas as pd

YEAR_END_DAYS: tuple[tuple[int, int], ...] = ((12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3))  # 年末年始
_FIRST_YEAR, _LAST_YEAR = 1990, 2100  # the range of dates the app accepts (SPEC 7: Excel serials 1990–2100)


@lru_cache(maxsize=None)
def _year_days_off(year: int) -> tuple[dt.date, ...]:
    """祝日 and 振替休日 of one year (jpholiday, ~70 ms a year, so years are read only when data reaches them) + 年末年始."""
    import jpholiday

    days = {d for d, _name in jpholiday.year_holidays(year)} | {dt.date(year, m, d) for m, d in YEAR_END_DAYS}
    return tuple(sorted(days))


def holidays(first_year: int, last_year: int) -> np.ndarray:
    """Sorted ``datetime64[D]`` array of the days off besides weekends (祝日, 振替休日, 年末年始) in those years."""
    days = [d for year in range(first_year, last_year + 1) for d in _year_days_off(year)]
    return np.array(days, dtype="datetime64[D]")


def holiday_names(start: dt.date, end: dt.date) -> list[tuple[dt.date, str]]:
    """The 祝日 between two dates with their names as the library gives them (for a page's caption)."""
    import jpholiday

    return list(jpholiday.between(start, end))


@lru_cache(maxsize=16)
def _calendar_for(first_year: int, last_year: int) -> np.busdaycalendar:
    return np.busdaycalendar(weekmask="1111100", holidays=holidays(first_year, last_year))


def _span(*arrays: np.ndarray) -> tuple[int, int]:
    """The calendar years the (non-placeholder) days reach, within the app's date range."""
    years = [a.astype("datetime64[Y]").astype(int) + 1970 for a in arrays if len(a)]
    if not years:
        return (2000, 2000)
    lo = min(int(y.min()) for y in years)
    hi = max(int(y.max()) for y in years)
    return max(lo, _FIRST_YEAR), min(max(hi, lo), _LAST_YEAR)


def _days(values) -> tuple[np.ndarray, np.ndarray]:
    """(datetime64[D] values with NaT replaced by a placeholder — the first present day —, mask of missing)."""
    series = pd.Series(pd.to_datetime(pd.Series(values) if not isinstance(values, pd.Series) else values))
    missing = series.isna().to_numpy()
    days = series.dt.normalize().to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    placeholder = days[~missing][0] if (~missing).any() else np.datetime64("2000-01-03")
    return np.where(missing, placeholder, days), missing


def is_business_day(values) -> pd.Series:
    """Per value: a weekday that is neither a 祝日 nor in 年末年始 (False for a missing value)."""
    index = values.index if isinstance(values, pd.Series) else None
    days, missing = _days(values)
    return pd.Series(np.is_busday(days, busdaycal=_calendar_for(*_span(days))) & ~missing, index=index)


def _broadcast(value, index: pd.Index) -> pd.Series:
    return value if isinstance(value, pd.Series) else pd.Series([value] * len(index), index=index, dtype="datetime64[ns]")


def business_days_between(start, end) -> pd.Series:
    """Business days in (start, end] per row (vectorised; scalars broadcast); NaN where either is missing.

    >>> business_days_between(pd.Series(pd.to_datetime(["2026-12-25"])), pd.Timestamp("2027-01-05")).tolist()
    [3.0]
    """
    index = next((v.index for v in (start, end) if isinstance(v, pd.Series)), pd.RangeIndex(1))
    s_days, s_missing = _days(_broadcast(start, index))
    e_days, e_missing = _days(_broadcast(end, index))
    one = np.timedelta64(1, "D")
    cal = _calendar_for(*_span(s_days, e_days, s_days + one, e_days + one))
    forward = s_days <= e_days  # numpy counts a reversed range differently: count (end, start] and negate it
    counts = np.where(forward, np.busday_count(s_days + one, np.maximum(e_days, s_days) + one, busdaycal=cal),
                      -np.busday_count(e_days + one, np.maximum(s_days, e_days) + one, busdaycal=cal)).astype("float64")
    counts[s_missing | e_missing] = np.nan
    return pd.Series(counts, index=index)


def _business_clock(values: pd.Series, cal: np.busdaycalendar, epoch: np.datetime64) -> np.ndarray:
    """Hours on a clock that runs only on business days (business hours since ``epoch``)."""
    days, missing = _days(values)
    times = pd.to_datetime(values)
    business = np.is_busday(days, busdaycal=cal)
    full_days = np.busday_count(epoch, days, busdaycal=cal).astype("float64")
    into_day = ((times - times.dt.normalize()) / pd.Timedelta(hours=1)).to_numpy(dtype="float64", na_value=np.nan)
    hours = full_days * 24 + np.where(business, into_day, 0.0)  # on a day off the clock stands at the next business day's 00:00
    hours[missing] = np.nan
    return hours


def business_hours_between(start: pd.Series, end: pd.Series) -> pd.Series:
    """Elapsed hours from start to end counting business days only (NaN where either is missing)."""
    first, last = _span(_days(start)[0], _days(end)[0])
    cal, epoch = _calendar_for(first, last), np.datetime64(f"{first:04d}-01-01")
    return pd.Series(_business_clock(end, cal, epoch) - _business_clock(start, cal, epoch), index=start.index)


def business_days_since(day_numbers: np.ndarray, end_day: int) -> np.ndarray:
    """``business_days_between`` for days given as numbers since 1970-01-01 (the funnel's int64 day arrays) against
    one end day: business days in (day, end_day] per element; NaN where the day is missing (NaT's int64 value).

    >>> business_days_since(np.array([20777]), 20781)  # Fri 2026-11-20 -> Tue 2026-11-24 (Mon 11/23 is a holiday)
    array([1.])
    """
    days = np.asarray(day_numbers, dtype="int64")
    missing = days == np.iinfo(np.int64).min
    start = np.where(missing, end_day, days).astype("datetime64[D]")
    out = business_days_between(pd.Series(start.astype("datetime64[ns]")), pd.Timestamp(np.datetime64(int(end_day), "D"))).to_numpy(copy=True)
    out[missing] = np.nan
    return out
