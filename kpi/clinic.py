"""Clinic KPIs from the visits dataset (SPEC section 2 "Clinic", section 4 "Clinic"): monthly table,
second-visit rate, call list, continuation, churn, cohort grid, booking backlog, net bookings, early warnings.

Every function is pure and vectorised: frames + ``as_of`` (+ ``targets``) in, DataFrames / frozen dataclasses
out. Days are compared as calendar dates (``visit_on`` is normalised to midnight), never as times.

Readings of the SPEC chosen here (also listed in each function's docstring):

* ``as_of`` default: the latest attended visit_on (falls back to the latest visit_on of any row).
* Months: every calendar month from the (clinic's) first row up to the month of as_of is listed, empty
  months included (visits 0, ratios null). Rows with status ``booked`` dated ≤ as_of count nowhere in the
  monthly table (neither attended nor cancelled).
* Per clinic (``by_clinic=True``) every count is computed inside the clinic: "new" = new to that clinic,
  carryover = also attended that clinic in M−1. A page filter (clinic, staff) restricts the rows first.
* With the first_visit column, a patient is new in every month where one of their attended rows carries
  the flag; the cohort date is the earliest flagged attended day of that month. Without it, a patient is new
  in the month of their earliest attended visit in the data, and that first month is ``history_incomplete``.
* Visit counts for continuation and the cohort grid count distinct attended days (two rows on one day = one
  visit, as in the second-visit rule). History-incomplete cohorts are left out of continuation and the grid.
"""
from __future__ import annotations

import datetime as dt
import json
import unicodedata
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from . import asof
from .messages import CLINIC_MONTHLY_HEADERS, CLINIC_SHEET, MACHINE_ONLY_MENUS
from .targets import Targets

ATTENDED = "attended"
CANCELLED = ("cancelled", "no_show")
SECOND_VISIT_DAYS = 14
CALL_CONTACT_COLUMNS = ("patient_name", "phone")  # optional visits fields, shown in the call list only
CHURN_DAYS = 30
CONTINUATION_STEPS = (2, 3, 5, 10)
BACKLOG_WEEKS = (1, 2, 3, 4)
BACKLOG_TREND_DAYS = 56  # 8 weeks
THIN_BACKLOG_SHARE = 0.5
_DAY_SPAN = 1 << 20  # days packed under the patient key (about 2,800 years of dates)
ALL = "__all__"

MONTHLY_COLUMNS = (
    "month", "visits", "patients", "new", "carryover", "returning", "frequency", "second_visit_rate", "cancel_rate",
    "revenue", "avg_price", "price_per_10min", "self_pay_ratio",
)

# Japanese / English headers of the monthly table (workbook and page downloads): kpi.messages holds the words.
MONTHLY_HEADERS = CLINIC_MONTHLY_HEADERS


# ------------------------------------------------------------------ basics
def is_attended(visits: pd.DataFrame) -> pd.Series:
    """Attended rows. A file without a status column holds attended visits only (SPEC 1 default ``attended``);
    the column is then absent from the frame, so that KPIs reading it (cancel_rate) are n/a, never 0."""
    if "status" not in visits.columns:
        return pd.Series(True, index=visits.index)
    return visits["status"] == ATTENDED


def is_cancelled(visits: pd.DataFrame) -> pd.Series:
    """Cancelled or no-show rows (none without a status column; see :func:`is_attended`)."""
    if "status" not in visits.columns:
        return pd.Series(False, index=visits.index)
    return visits["status"].isin(CANCELLED)


def default_as_of(visits: pd.DataFrame) -> pd.Timestamp | None:
    """SPEC: the latest attended visit_on (date). Without attended rows: the latest visit_on; empty: None (kpi.asof)."""
    return asof.default_as_of("visits", visits)


def resolve_as_of(visits: pd.DataFrame, as_of: dt.date | pd.Timestamp | str | None) -> pd.Timestamp | None:
    return asof.resolve("visits", visits, as_of)


def _month_index(days: pd.Series) -> pd.Series:
    """Calendar month as one integer (year × 12 + month − 1): month arithmetic by plain addition."""
    return (days.dt.year * 12 + days.dt.month - 1).astype("int64")


def month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def latest_full_month(as_of: pd.Timestamp) -> str:
    """The month of as_of when as_of is its last day, else the month before (the month of as_of is partial)."""
    idx = as_of.year * 12 + as_of.month - 1
    return month_label(idx if as_of.is_month_end else idx - 1)


def _labels(index: pd.Series) -> pd.Series:
    """Month indices -> "YYYY-MM" (formatted once per distinct month, not per row)."""
    names = {int(m): month_label(int(m)) for m in pd.unique(index)}
    return index.map(names).astype("str")


class _Rows:
    """Integer working arrays of one visits frame (patient codes, day numbers, month index, status flags, clinic
    codes), each computed on first use and then shared: page_results builds one and hands it to every KPI, so a
    million rows are factorised and converted once instead of once per function. Day numbers are int64 days since
    1970-01-01 of the normalised visit_on (NaT -> the int64 minimum, excluded through ``valid``)."""

    def __init__(self, visits: pd.DataFrame):
        self.visits = visits
        self.n = len(visits)
        self._as_of: dict[Any, Any] = {}

    @cached_property
    def _patients(self) -> tuple[np.ndarray, Any]:
        codes, uniques = pd.factorize(self.visits["patient_id"])
        return codes.astype("int64", copy=False), uniques

    @property
    def pid(self) -> np.ndarray:
        return self._patients[0]

    @property
    def patient_ids(self) -> Any:
        return self._patients[1]

    @cached_property
    def n_pid(self) -> int:
        return int(self.pid.max()) + 2 if self.n else 1  # codes + 1 (missing patient_id = -1) fit below this

    @cached_property
    def day_ts(self) -> np.ndarray:
        return self.visits["visit_on"].dt.normalize().to_numpy()

    @cached_property
    def day(self) -> np.ndarray:
        return _day_numbers(self.visits["visit_on"])

    @cached_property
    def valid(self) -> np.ndarray:
        return self.visits["visit_on"].notna().to_numpy()

    @cached_property
    def mi(self) -> np.ndarray:
        if not self.valid.all():
            return _month_index(self.visits["visit_on"].dt.normalize()).to_numpy()  # raises on NaT, as always
        if self.n == 0:
            return np.zeros(0, dtype="int64")
        first, last = int(self.day.min()), int(self.day.max())
        if last - first > 4 * self.n:  # few rows over a long span: convert each row
            return self.day.astype("datetime64[D]").astype("datetime64[M]").astype("int64") + 1970 * 12
        # one calendar conversion per day of the span, then a table lookup per row
        table = np.arange(first, last + 1).astype("datetime64[D]").astype("datetime64[M]").astype("int64") + 1970 * 12
        return table[self.day - first]

    @cached_property
    def attended(self) -> np.ndarray:
        return is_attended(self.visits).to_numpy()

    @cached_property
    def cancelled(self) -> np.ndarray:
        return is_cancelled(self.visits).to_numpy()

    def prime(self) -> "_Rows":
        """Compute the arrays every KPI reads, before two threads share this object (page_results)."""
        for name in ("pid", "n_pid", "day", "valid", "mi", "attended", "cancelled"):
            getattr(self, name)
        return self

    def groups(self, by_clinic: bool) -> tuple[np.ndarray, np.ndarray]:
        """Group code per row and the group names (clinic, missing as "—"; or one group ``ALL``)."""
        if by_clinic and "clinic" in self.visits.columns:
            return self._clinic_groups
        return np.zeros(self.n, dtype="int64"), np.asarray([ALL], dtype=object)

    @cached_property
    def _clinic_groups(self) -> tuple[np.ndarray, np.ndarray]:
        codes, names = pd.factorize(self.visits["clinic"].fillna("—").astype(str))
        return codes.astype("int64", copy=False), np.asarray(names, dtype=object)

    @cached_property
    def clinics_sorted(self) -> tuple[np.ndarray, Any]:
        """Clinic codes in sorted-name order, as ``visits.groupby("clinic")`` meets them (missing clinic = -1)."""
        codes, names = pd.factorize(self.visits["clinic"], sort=True)
        return codes.astype("int64", copy=False), names

    def other_day(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """Day numbers of another date column (booked_on, cancelled_on) and where it is known."""
        key = ("day", column)
        if key not in self._as_of:
            self._as_of[key] = (_day_numbers(self.visits[column]), self.visits[column].notna().to_numpy())
        return self._as_of[key]

    @cached_property
    def backlog_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """visit, valid, booked, cancel day numbers for backlog_series (see there for the open ends)."""
        visits = self.visits
        lo, hi = np.iinfo("int64").min // 4, np.iinfo("int64").max // 4
        if "booked_on" in visits.columns:
            b_day, b_known = self.other_day("booked_on")
            booked = np.where(b_known, b_day, lo)
        else:
            booked = np.full(self.n, lo)
        if "cancelled_on" in visits.columns:
            c_day, known = self.other_day("cancelled_on")
            cancel = np.where(self.cancelled, np.where(known, c_day, lo), hi)
        else:
            cancel = np.where(self.cancelled, lo, hi)
        return self.day, self.valid, booked, cancel

    def amounts(self, column: str) -> tuple[np.ndarray | None, bool]:
        """A float64 column as an array and whether every value is an integer with Σ|value| < 2**53 (then any
        sum of its values is exact in float64, whatever the order). (None, False) for other dtypes."""
        key = ("amounts", column)
        if key not in self._as_of:
            v = self.visits[column].to_numpy()
            if v.dtype != np.float64:
                self._as_of[key] = (None, False)
            else:
                known = v[~np.isnan(v)]
                self._as_of[key] = (v, bool(np.all(known == np.trunc(known))) and float(np.abs(known).sum()) < 2.0**53)
        return self._as_of[key]

    def upcoming(self, as_of: pd.Timestamp) -> np.ndarray:
        """Per patient code + 1 (slot 0: missing patient_id): a row after as_of not cancelled by as_of."""
        key = ("upcoming", as_of)
        if key not in self._as_of:
            rows = self.valid & (self.day > _day_of(as_of)) & _live_at(self.visits, as_of).to_numpy()
            flag = np.zeros(self.n_pid, dtype=bool)
            flag[self.pid[rows] + 1] = True
            self._as_of[key] = flag
        return self._as_of[key]


def _day_of(ts: pd.Timestamp) -> int:
    """A (normalised) Timestamp as an int64 day number."""
    return int(ts.normalize().to_datetime64().astype("datetime64[D]").astype("int64"))


_BITMAP_MAX = 1 << 26  # code spaces up to this size are handled with a bool array instead of a sort


class _CodeSet:
    """A set of non-negative int codes below ``size``: ``codes`` (sorted, distinct) and membership tests.
    A bitmap when the code space is small (no sort), else np.unique + searchsorted."""

    def __init__(self, codes: np.ndarray, size: int):
        self.bitmap = None
        if size <= max(_BITMAP_MAX, 8 * len(codes)):
            self.bitmap = np.zeros(size, dtype=bool)
            self.bitmap[codes] = True
            self._codes = None
        else:
            self._codes = np.unique(codes)

    @property
    def codes(self) -> np.ndarray:
        if self._codes is None:
            self._codes = np.flatnonzero(self.bitmap)
        return self._codes

    def contains(self, values: np.ndarray) -> np.ndarray:
        """Membership of each value (any int; outside the code space = absent)."""
        if self.bitmap is not None:
            inside = (values >= 0) & (values < len(self.bitmap))
            out = np.zeros(len(values), dtype=bool)
            out[inside] = self.bitmap[values[inside]]
            return out
        if len(self._codes) == 0:
            return np.zeros(len(values), dtype=bool)
        pos = np.minimum(np.searchsorted(self._codes, values), len(self._codes) - 1)
        return self._codes[pos] == values


def _distinct(codes: np.ndarray, size: int) -> np.ndarray:
    """The sorted distinct values of non-negative int codes below ``size``."""
    return _CodeSet(codes, size).codes


def _sum_by(work: _Rows, column: str, rows: np.ndarray, keys: np.ndarray, size: int, min_count: int = 0) -> np.ndarray:
    """Per-key sum of ``column`` over ``rows`` (keys: one per row; NaN skipped; NaN where fewer than min_count
    values), as ``groupby(keys).sum(min_count=...)`` gives it. np.bincount when the column's sums are exact (every
    value an integer, Σ|value| < 2**53: then equal to pandas' compensated sum); otherwise pandas, same row order."""
    v, exact = work.amounts(column)
    if exact:
        v = v[rows]
        ok = ~np.isnan(v)
        out = np.bincount(keys[ok], weights=v[ok], minlength=size)[:size].astype("float64")
        if min_count > 0:
            out[np.bincount(keys[ok], minlength=size)[:size] < min_count] = np.nan
        return out
    summed = work.visits[column].iloc[rows].groupby(keys).sum(min_count=min_count)
    return summed.reindex(range(size)).to_numpy(dtype="float64", na_value=np.nan)


# ------------------------------------------------------------------ new patients and their first visits
# No new patients, with the column types every caller relies on (dates stay dates in an empty table).
_NO_NEW_PATIENTS = pd.DataFrame({
    "g": pd.Series(dtype="int64"), "group": pd.Series(dtype="str"), "pid": pd.Series(dtype="int64"),
    "patient_id": pd.Series(dtype="str"), "mi": pd.Series(dtype="int64"), "month": pd.Series(dtype="str"),
    "first_day": pd.Series(dtype="datetime64[ns]"), "clinic": pd.Series(dtype="str"), "staff": pd.Series(dtype="str"),
    "next_day": pd.Series(dtype="datetime64[ns]"), "visits_from_first": pd.Series(dtype="int64"),
    "second_within_14": pd.Series(dtype="bool"), "eligible": pd.Series(dtype="bool"), "history_incomplete": pd.Series(dtype="bool"),
})


def new_patients(visits: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None, by_clinic: bool = False,
                 *, work: _Rows | None = None) -> pd.DataFrame:
    """One row per (group, patient, cohort month) new patient, with their first visit and what followed.

    Columns: g (group code), group (clinic or "__all__"), pid (patient code), patient_id, mi (month index),
    month ("YYYY-MM"), first_day, clinic, staff (of the first-visit row), next_day (next attended day after
    first_day, NaT when none ≤ as_of), visits_from_first (distinct attended days from first_day to as_of),
    second_within_14 (next_day ≤ first_day + 14 days), eligible (first_day + 14 days ≤ as_of; the others are
    pending), history_incomplete.

    New: first_visit flag on attended rows where the column exists (cohort date = earliest flagged day of
    the month), else the earliest attended visit in the data; then the data's (group's) first month is
    history-incomplete. Only rows with visit_on ≤ as_of count. Same-day visits never count as a second visit.
    """
    as_of = resolve_as_of(visits, as_of)
    if as_of is None:
        return _NO_NEW_PATIENTS.copy()
    r = _Rows(visits) if work is None else work
    g, groups = r.groups(by_clinic)
    pid, mi, day_num = r.pid, r.mi, r.day
    has_flag = "first_visit" in visits.columns
    attended_rows = np.flatnonzero(r.attended & r.valid & (day_num <= _day_of(as_of)))
    if len(attended_rows) == 0:
        return _NO_NEW_PATIENTS.copy()
    # One int64 per (group, patient, day), so a million rows sort and search as plain integers.
    d0 = int(day_num[attended_rows].min())
    key = g * (int(pid.max()) + 1) + pid
    comp = key * _DAY_SPAN + (day_num - d0)

    # Distinct attended days per patient (sorted), the next one and how many remain up to as_of.
    uniq = np.sort(comp[attended_rows])
    uniq = uniq[np.r_[True, uniq[1:] != uniq[:-1]]]  # sort + diff: faster than np.unique's hashing here
    u_key = uniq // _DAY_SPAN
    same_patient_next = np.r_[u_key[1:] == u_key[:-1], False]
    next_num = np.r_[uniq[1:] % _DAY_SPAN + d0, 0]
    remaining = np.searchsorted(u_key, u_key, side="right") - np.arange(len(uniq))

    # First-visit rows: earliest (file order within a day) attended row per patient, or per patient and month
    # among flagged rows when the first_visit column exists.
    candidates = attended_rows
    if has_flag:
        flag = visits["first_visit"].fillna(False).astype(bool).to_numpy()
        candidates = attended_rows[flag[attended_rows]]
    order = candidates[np.argsort(comp[candidates], kind="stable")]
    c_sorted = comp[order]
    k_sorted = c_sorted // _DAY_SPAN
    new_key = np.r_[True, k_sorted[1:] != k_sorted[:-1]] if len(order) else np.zeros(0, dtype=bool)
    if has_flag and len(order):
        m_sorted = mi[order]
        new_key |= np.r_[True, m_sorted[1:] != m_sorted[:-1]]
    rows = order[new_key]
    pos = np.searchsorted(uniq, c_sorted[new_key])

    out = pd.DataFrame({"g": g[rows], "pid": pid[rows], "mi": mi[rows], "first_day": r.day_ts[rows]})
    has_next = same_patient_next[pos]
    out["next_day"] = pd.to_datetime(np.where(has_next, next_num[pos], 0).astype("datetime64[D]")).astype("datetime64[ns]")
    out.loc[~has_next, "next_day"] = pd.NaT
    out["visits_from_first"] = remaining[pos].astype("int64")
    out["group"] = groups[out["g"].to_numpy()] if len(out) else pd.Series(dtype="str")
    # take the rows first: converting a whole million-row Arrow text column to objects costs ~1 s
    out["patient_id"] = visits["patient_id"].iloc[rows].to_numpy()
    for extra in ("clinic", "staff"):
        out[extra] = visits[extra].iloc[rows].to_numpy() if extra in visits.columns else pd.Series(pd.NA, index=out.index, dtype="str")
    out["month"] = _labels(out["mi"]) if len(out) else pd.Series(dtype="str")
    out["second_within_14"] = (out["next_day"] <= out["first_day"] + pd.Timedelta(days=SECOND_VISIT_DAYS)).fillna(False).astype(bool)
    out["eligible"] = out["first_day"] + pd.Timedelta(days=SECOND_VISIT_DAYS) <= as_of
    if has_flag:
        out["history_incomplete"] = False
    else:
        first_month = np.full(len(groups), np.iinfo("int64").max)
        np.minimum.at(first_month, g[attended_rows], mi[attended_rows])
        out["history_incomplete"] = out["mi"].to_numpy() == first_month[out["g"].to_numpy()]
    return out[list(_NO_NEW_PATIENTS.columns)].reset_index(drop=True)


# ------------------------------------------------------------------ the monthly table
def monthly_table(visits: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None, by_clinic: bool = False,
                  news: pd.DataFrame | None = None, *, work: _Rows | None = None) -> pd.DataFrame:
    """SPEC monthly clinic KPIs per calendar month (and per clinic when ``by_clinic``), rows with visit_on ≤ as_of.

    Columns: [clinic], month ("YYYY-MM"), visits, patients, new, carryover, returning, frequency,
    new_eligible, new_pending, second_visits, second_visit_rate, cancelled, cancel_rate, revenue, avg_price,
    price_per_10min, self_pay_ratio, history_incomplete.

    * patients == new + carryover + returning (carryover excludes new; the first month has no carryover).
    * second_visit_rate = second_visits / new_eligible (null when no eligible new patient); new_pending
      counts the new patients whose first visit + 14 days is after as_of.
    * cancel_rate = (cancelled + no_show) / (attended + cancelled + no_show), null when nothing was booked.
    * revenue (Σ amount_yen over attended rows; null when the month has no amount), avg_price = revenue /
      visits (visits without an amount included), price_per_10min = 10 × Σ amount / Σ minutes over attended
      rows with both, self_pay_ratio = Σ self_pay_yen / revenue (without self_pay_yen but with a payment_type
      column: Σ amount of the rows marked 自費 / revenue). Null when the column is absent.
    """
    as_of = resolve_as_of(visits, as_of)
    r = _Rows(visits) if work is None else work
    g_all, groups = r.groups(by_clinic)
    if as_of is None:
        return pd.DataFrame(columns=(["clinic"] if by_clinic else []) + list(MONTHLY_COLUMNS))
    gm = ["g", "mi"]
    # Every count is a bincount over one integer cell key per row: group × month offset (a rectangle of
    # n_groups × n_months cells; the grid below picks each group's months from its first row to as_of).
    keep = np.flatnonzero(r.valid & (r.day <= _day_of(as_of)))
    mi_all = r.mi
    g_k, mi_k = g_all[keep], mi_all[keep]
    last_mi = as_of.year * 12 + as_of.month - 1
    n_groups = len(groups)
    mi0 = int(mi_k.min()) if len(keep) else last_mi
    n_months = last_mi - mi0 + 1
    size = n_groups * n_months
    cell = g_k * n_months + (mi_k - mi0)
    att = r.attended[keep]
    att_cell = cell[att]

    # Month grid: each group from its first row's month to the month of as_of.
    rows_per_cell = np.bincount(cell, minlength=size).reshape(n_groups, n_months)
    present_groups = np.flatnonzero(rows_per_cell.any(axis=1))
    if len(present_groups):
        start = (rows_per_cell[present_groups] > 0).argmax(axis=1)
        grid_g = np.repeat(present_groups, n_months - start)
        grid_off = np.concatenate([np.arange(s0, n_months) for s0 in start])
        grid = pd.MultiIndex.from_arrays([grid_g.astype("int64"), (grid_off + mi0).astype("int64")], names=gm)
    else:
        grid_g = grid_off = np.zeros(0, dtype="int64")
        grid = pd.DataFrame(columns=gm).astype({"mi": "int64"}).set_index(gm).index
    grid_cell = grid_g * n_months + grid_off

    def per_cell(keys: np.ndarray) -> np.ndarray:
        return np.bincount(keys, minlength=size)[grid_cell].astype("int64")

    t = pd.DataFrame(index=grid)
    t["visits"] = per_cell(att_cell)
    # distinct (cell, patient) pairs among attended rows, as one sorted int code each
    n_pid = r.n_pid
    present_set = _CodeSet(att_cell * n_pid + (r.pid[keep][att] + 1), size * n_pid)
    present = present_set.codes
    present_cell = present // n_pid
    t["patients"] = per_cell(present_cell)
    news = new_patients(visits, as_of, by_clinic, work=r) if news is None else news  # passed in when already computed
    n_g, n_mi = news["g"].to_numpy().astype("int64"), news["mi"].to_numpy().astype("int64")
    inside = (n_g >= 0) & (n_g < n_groups) & (n_mi >= mi0) & (n_mi <= last_mi)
    news_cell = n_g[inside] * n_months + (n_mi[inside] - mi0)
    t["new"] = per_cell(news_cell)
    # carryover: attended in M and in M−1, and not new in M
    news_set = _CodeSet(news_cell * n_pid + (news["pid"].to_numpy().astype("int64")[inside] + 1), size * n_pid)
    carried = (present_cell % n_months > 0) & present_set.contains(present - n_pid) & ~news_set.contains(present)
    t["carryover"] = per_cell(present_cell[carried])
    t["returning"] = t["patients"] - t["new"] - t["carryover"]
    t["frequency"] = t["visits"] / t["patients"].where(t["patients"] > 0)

    eligible = news["eligible"].to_numpy(dtype=bool)[inside]
    second = news["second_within_14"].to_numpy(dtype=bool)[inside]
    t["new_eligible"] = per_cell(news_cell[eligible])
    t["second_visits"] = per_cell(news_cell[eligible & second])
    t["new_pending"] = t["new"] - t["new_eligible"]
    t["second_visit_rate"] = t["second_visits"] / t["new_eligible"].where(t["new_eligible"] > 0)

    t["cancelled"] = per_cell(cell[r.cancelled[keep]])
    booked = t["visits"] + t["cancelled"]
    t["cancel_rate"] = t["cancelled"] / booked.where(booked > 0)
    if "status" not in visits.columns:  # no status column: cancellations are unknown, not zero (SPEC 2)
        t["cancel_rate"] = np.nan

    att_rows = keep[att]
    money = {col for col in ("amount_yen", "self_pay_yen", "treatment_minutes") if col in visits.columns}
    nan = pd.Series(np.nan, index=t.index)
    if "amount_yen" in money:
        t["revenue"] = _sum_by(r, "amount_yen", att_rows, att_cell, size, min_count=1)[grid_cell]
        t["avg_price"] = t["revenue"] / t["visits"].where(t["visits"] > 0)
    else:
        t["revenue"], t["avg_price"] = nan, nan
    if {"amount_yen", "treatment_minutes"} <= money:
        both = (visits["amount_yen"].notna() & visits["treatment_minutes"].notna()).to_numpy()[att_rows]
        amount = pd.Series(_sum_by(r, "amount_yen", att_rows[both], att_cell[both], size)[grid_cell], index=t.index)
        minutes = pd.Series(_sum_by(r, "treatment_minutes", att_rows[both], att_cell[both], size)[grid_cell], index=t.index)
        t["price_per_10min"] = 10 * amount / minutes.where(minutes > 0)
    else:
        t["price_per_10min"] = nan
    if {"amount_yen", "self_pay_yen"} <= money:
        self_pay = pd.Series(_sum_by(r, "self_pay_yen", att_rows, att_cell, size, min_count=1)[grid_cell], index=t.index)
        t["self_pay_ratio"] = self_pay / t["revenue"].where(t["revenue"] > 0)
    elif "amount_yen" in money and "payment_type" in visits.columns:
        # no self-pay amounts, but rows marked 保険 / 自費 (issue 16): the self-pay amount is the amount of the 自費 rows
        # (rows without a mark count as insurance)
        marked = (visits["payment_type"] == "self_pay").fillna(False).to_numpy(dtype=bool)[att_rows]
        self_pay = pd.Series(_sum_by(r, "amount_yen", att_rows[marked], att_cell[marked], size)[grid_cell], index=t.index)
        t["self_pay_ratio"] = self_pay / t["revenue"].where(t["revenue"] > 0)
    else:
        t["self_pay_ratio"] = nan

    attended_cells = np.bincount(att_cell, minlength=size).reshape(n_groups, n_months) > 0
    first_mi = np.where(attended_cells.any(axis=1), attended_cells.argmax(axis=1) + mi0, -1)
    t = t.reset_index()
    t["history_incomplete"] = ("first_visit" not in visits.columns) & (t["mi"].to_numpy() == first_mi[t["g"].to_numpy().astype("int64")])
    t["month"] = _labels(t["mi"])
    t["g"] = groups[t["g"].to_numpy()] if len(t) else t["g"]
    t = t.sort_values(["g", "mi"]).reset_index(drop=True)
    ordered = ["month", "visits", "patients", "new", "carryover", "returning", "frequency", "new_eligible", "new_pending",
               "second_visits", "second_visit_rate", "cancelled", "cancel_rate", "revenue", "avg_price", "price_per_10min",
               "self_pay_ratio", "history_incomplete"]
    if by_clinic:
        return t.rename(columns={"g": "clinic"})[["clinic"] + ordered]
    return t[ordered]


# ------------------------------------------------------------------ call list, continuation, churn, cohorts
def call_list(visits: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None, lookback_days: int = 30,
              news: pd.DataFrame | None = None, *, work: _Rows | None = None) -> pd.DataFrame:
    """New patients to phone: first visit in the last ``lookback_days`` up to as_of, no attended visit after it
    (to as_of) and no live booking after as_of (status booked, or cancelled/no_show whose cancelled_on is
    after as_of). Oldest first visit first. "Without a second visit within 14 days" therefore includes
    patients still inside their 14 days (the call that prevents the miss) — window_closed tells them apart.

    Columns: patient_id, [patient_name, phone,] clinic, first_visit_on, days_since, staff, window_closed.
    patient_name and phone come only where the visits have those columns: the patient's latest non-empty
    value (by visit_on, any status). They are personal data: this list is the only table that carries them.
    """
    as_of = resolve_as_of(visits, as_of)
    contact = [c for c in CALL_CONTACT_COLUMNS if c in visits.columns]
    cols = ["patient_id", *contact, "clinic", "first_visit_on", "days_since", "staff", "window_closed"]
    if as_of is None:
        return pd.DataFrame(columns=cols)
    news = new_patients(visits, as_of, work=work) if news is None else news
    recent = news[(news["first_day"] > as_of - pd.Timedelta(days=lookback_days)) & news["next_day"].isna()]
    if work is not None:  # news carries the patient codes of ``work``
        recent = recent[~work.upcoming(as_of)[recent["pid"].to_numpy().astype("int64") + 1]]
    else:
        upcoming = visits[(visits["visit_on"].dt.normalize() > as_of) & _live_at(visits, as_of)]
        recent = recent[~recent["patient_id"].isin(upcoming["patient_id"])]
    out = pd.DataFrame({
        "patient_id": recent["patient_id"],
        "clinic": recent["clinic"],
        "first_visit_on": recent["first_day"],
        "days_since": (as_of - recent["first_day"]).dt.days.astype("int64"),
        "staff": recent["staff"],
    })
    out["window_closed"] = out["days_since"] > SECOND_VISIT_DAYS
    if contact:
        if work is not None:  # patient codes: no string comparison over a million rows
            wanted = np.zeros(work.n_pid, dtype=bool)
            wanted[recent["pid"].to_numpy().astype("int64") + 1] = True
            theirs = visits[wanted[work.pid + 1]]
        else:
            theirs = visits[visits["patient_id"].isin(out["patient_id"])]
        latest = theirs.sort_values("visit_on", kind="stable").groupby("patient_id")[contact].last()  # last non-empty
        for column in contact:
            out[column] = out["patient_id"].map(latest[column]).astype("str") if len(out) else pd.Series(dtype="str")
    return out[cols].sort_values(["first_visit_on", "patient_id"]).reset_index(drop=True)


def _live_at(visits: pd.DataFrame, d: pd.Timestamp) -> pd.Series:
    """Row not cancelled by day d: not cancelled/no_show, or cancelled after d (missing cancelled_on = cancelled)."""
    cancelled = is_cancelled(visits)
    if "cancelled_on" in visits.columns:
        return ~cancelled | (visits["cancelled_on"] > d)
    return ~cancelled


def continuation(visits: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None,
                 steps: tuple[int, ...] = CONTINUATION_STEPS, news: pd.DataFrame | None = None) -> pd.DataFrame:
    """Of the new patients (history-incomplete cohorts left out), the share reaching their k-th visit.

    A visit is a distinct attended day from the first visit up to as_of. Columns: visit_no, new_patients,
    reached, share. Young cohorts have had less time to reach a 10th visit; the share is as of as_of.
    """
    news = new_patients(visits, as_of) if news is None else news
    news = news[~news["history_incomplete"]]
    n = len(news)
    reached = [int((news["visits_from_first"] >= k).sum()) for k in steps]
    return pd.DataFrame({"visit_no": list(steps), "new_patients": n, "reached": reached,
                         "share": [r / n if n else np.nan for r in reached]})


@dataclass(frozen=True)
class Churn:
    """離反: patients whose last attended visit is more than ``days`` days before as_of (within the base
    window), with no live booking after as_of. rate = churned / base; base = patients with an attended
    visit in the ``days + window_days`` days up to as_of."""

    as_of: pd.Timestamp | None
    days: int
    window_days: int
    base: int
    churned: int
    rate: float | None
    patients: pd.DataFrame = field(repr=False, compare=False, default_factory=pd.DataFrame)


def churn(visits: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None, days: int = CHURN_DAYS, window_days: int = 90,
          *, work: _Rows | None = None) -> Churn:
    """Patients not seen for ``days`` days (default 30) among those seen in the last ``days + window_days``.

    A patient with a live booking after as_of is not churned (they are coming back).
    """
    as_of = resolve_as_of(visits, as_of)
    if as_of is None:
        return Churn(None, days, window_days, 0, 0, None)
    r = _Rows(visits) if work is None else work
    a = _day_of(as_of)
    # last attended day per patient code (+1; slot 0 = missing patient_id, which has no group here)
    seen = r.attended & r.valid & (r.day <= a) & (r.pid >= 0)
    none = np.iinfo("int64").min
    last = np.full(r.n_pid, none)
    np.maximum.at(last, r.pid[seen] + 1, r.day[seen])
    base = (last != none) & (last > a - (days + window_days))
    gone = np.flatnonzero(base & (last <= a - days) & ~r.upcoming(as_of))
    ids = pd.Index(r.patient_ids.take(gone - 1))
    by_id = ids.argsort()  # the patient_id order a groupby gives, before the sort by last visit
    last_days = last[gone][by_id]
    table = pd.DataFrame({"patient_id": ids[by_id], "last_visit_on": last_days.astype("datetime64[D]").astype(r.day_ts.dtype),
                          "days_since": (a - last_days).astype("int64")}).sort_values("last_visit_on").reset_index(drop=True)
    n_base = int(base.sum())
    return Churn(as_of, days, window_days, n_base, len(gone), len(gone) / n_base if n_base else None, table)


def cohort_grid(visits: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None, max_months: int = 12,
                news: pd.DataFrame | None = None, *, work: _Rows | None = None) -> pd.DataFrame:
    """Month of first visit × months since → share of the cohort with an attended visit in that month.

    Long format: cohort ("YYYY-MM"), months_since (0…max_months), cohort_size, active, share. Month 0 is 100 %
    by construction; a month with nobody back is 0; cells after the month of as_of are absent (not yet known).
    History-incomplete cohorts are left out.
    """
    as_of = resolve_as_of(visits, as_of)
    cols = ["cohort", "months_since", "cohort_size", "active", "share"]
    if as_of is None:
        return pd.DataFrame(columns=cols)
    r = _Rows(visits) if work is None else work
    news = new_patients(visits, as_of, work=r) if news is None else news
    news = news[~news["history_incomplete"]].drop_duplicates("pid", keep="first")
    # each patient's cohort month (by patient code + 1), then the distinct (patient, months since) pairs
    span = max_months + 1
    cohort_of = np.full(r.n_pid, np.iinfo("int64").min // 2)
    cohort_of[news["pid"].to_numpy().astype("int64") + 1] = news["mi"].to_numpy()
    rows = np.flatnonzero(r.attended & r.valid & (r.day <= _day_of(as_of)))
    p1 = r.pid[rows] + 1
    since = r.mi[rows] - cohort_of[p1]
    inside = (since >= 0) & (since <= max_months)
    pairs = _distinct(p1[inside] * span + since[inside], r.n_pid * span)
    joined = pd.DataFrame({"cohort_mi": cohort_of[pairs // span], "months_since": pairs % span})
    size = news.groupby("mi").size().rename("cohort_size")
    last_mi = as_of.year * 12 + as_of.month - 1
    cells = pd.MultiIndex.from_tuples(
        [(int(c), k) for c in size.index for k in range(0, min(max_months, last_mi - int(c)) + 1)],
        names=["cohort_mi", "months_since"],
    )
    counted = joined.groupby(["cohort_mi", "months_since"]).size()
    active = counted.reindex(cells, fill_value=0).rename("active").reset_index()
    active["cohort_size"] = active["cohort_mi"].map(size)
    active["share"] = active["active"] / active["cohort_size"]
    active["cohort"] = active["cohort_mi"].map(month_label).astype("str")
    return active.sort_values(["cohort_mi", "months_since"])[cols].reset_index(drop=True)


# ------------------------------------------------------------------ booking backlog and net bookings
def _day_numbers(series: pd.Series) -> np.ndarray:
    return series.dt.normalize().to_numpy(dtype="datetime64[D]").astype("int64")


def backlog_series(visits: pd.DataFrame, days: pd.DatetimeIndex, weeks: tuple[int, ...] = BACKLOG_WEEKS,
                   *, work: _Rows | None = None) -> pd.DataFrame:
    """backlog(d, w) for every day d in ``days`` (SPEC 予約残数): rows with visit_on in (d, d + 7w days],
    booked_on ≤ d (missing booked_on = booked earlier), and not cancelled by d (cancelled/no_show rows count
    until their cancelled_on; without a cancelled_on they never count). Any status counts otherwise.

    Vectorised: each row is counted on the interval of days [max(booked, visit − 7w), min(cancelled, visit) − 1];
    interval starts and ends are binned on the day grid and cumulatively summed. Columns: date, w1…w4.
    """
    grid = pd.DatetimeIndex(days).normalize()
    out = pd.DataFrame({"date": grid})
    if len(grid) == 0:
        return out.assign(**{f"w{w}": pd.Series(dtype="int64") for w in weeks})
    g0 = int(grid[0].to_datetime64().astype("datetime64[D]").astype("int64"))
    n = int((grid[-1] - grid[0]).days) + 1
    visit, valid, booked, cancel = (_Rows(visits) if work is None else work).backlog_arrays
    for w in weeks:
        start = np.maximum(booked, visit - 7 * w) - g0
        end = np.minimum(cancel, visit) - 1 - g0
        start, end = np.clip(start, 0, n), np.clip(end, -1, n - 1)
        ok = valid & (start <= end)
        diff = np.bincount(start[ok], minlength=n + 1)[: n + 1] - np.bincount(end[ok] + 1, minlength=n + 1)[: n + 1]
        counts = np.cumsum(diff)[:n]
        index = (grid - grid[0]).days.to_numpy()
        out[f"w{w}"] = counts[index].astype("int64")
    return out


def booking_backlog(visits: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None, *, work: _Rows | None = None) -> dict[str, int]:
    """backlog(as_of, w) for w = 1…4 as {"w1": …, "w4": …} (cumulative: w2 includes w1)."""
    as_of = resolve_as_of(visits, as_of)
    if as_of is None:
        return {f"w{w}": 0 for w in BACKLOG_WEEKS}
    row = backlog_series(visits, pd.DatetimeIndex([as_of]), work=work).iloc[0]
    return {f"w{w}": int(row[f"w{w}"]) for w in BACKLOG_WEEKS}


def _backlog_by_group(work: _Rows, as_of: pd.Timestamp, codes: np.ndarray, n_groups: int) -> list[dict[str, int]]:
    """booking_backlog(as_of) of each group's rows at once (codes per row, -1 = no group): a row counts on
    as_of when its backlog_series interval [max(booked, visit − 7w), min(cancelled, visit) − 1] covers it."""
    visit, valid, booked, cancel = work.backlog_arrays
    a = _day_of(as_of)
    open_until = np.minimum(cancel, visit) - 1 >= a
    counted = valid & open_until & (codes >= 0)
    per_week = {w: np.bincount(codes[counted & (np.maximum(booked, visit - 7 * w) <= a)], minlength=n_groups)
                for w in BACKLOG_WEEKS}
    return [{f"w{w}": int(per_week[w][i]) for w in BACKLOG_WEEKS} for i in range(n_groups)]


def backlog_trend(visits: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None, days: int = BACKLOG_TREND_DAYS,
                  *, work: _Rows | None = None) -> pd.DataFrame:
    """The daily backlog over the last 8 weeks to as_of (56 days, as_of included)."""
    as_of = resolve_as_of(visits, as_of)
    if as_of is None:
        return backlog_series(visits, pd.DatetimeIndex([]))
    return backlog_series(visits, pd.date_range(end=as_of, periods=days, freq="D"), work=work)


def net_bookings(visits: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None, days: int = BACKLOG_TREND_DAYS,
                 *, work: _Rows | None = None) -> pd.DataFrame:
    """net_bookings(d) = bookings made on d − cancellations made on d − attended visits on d, per day.

    bookings need booked_on (rows without it are not counted as made on any day); cancellations are
    cancelled/no_show rows by their cancelled_on. net is null (n/a) without booked_on, and without
    cancelled_on when the data holds cancelled/no_show rows (their day is unknown). Columns: date,
    bookings, cancellations, attended, net.
    """
    as_of = resolve_as_of(visits, as_of)
    grid = pd.date_range(end=as_of, periods=days, freq="D") if as_of is not None else pd.DatetimeIndex([])

    if work is not None and len(grid):
        g0 = _day_of(grid[0])

        def per_day_numbers(day_numbers: np.ndarray, rows: np.ndarray) -> np.ndarray:
            offset = day_numbers[rows] - g0
            return np.bincount(offset[(offset >= 0) & (offset < len(grid))], minlength=len(grid)).astype("int64")

        out = pd.DataFrame({"date": grid})
        cancelled = work.cancelled
        out["attended"] = per_day_numbers(work.day, work.attended & work.valid)
        if "booked_on" in visits.columns:
            out["bookings"] = per_day_numbers(*work.other_day("booked_on"))
        else:
            out["bookings"] = np.nan
        if "cancelled_on" in visits.columns:
            c_day, known = work.other_day("cancelled_on")
            out["cancellations"] = per_day_numbers(c_day, cancelled & known)
        else:
            out["cancellations"] = 0 if not cancelled.any() else np.nan
        out["net"] = out["bookings"] - out["cancellations"] - out["attended"]
        return out[["date", "bookings", "cancellations", "attended", "net"]]

    def per_day(series: pd.Series) -> pd.Series:
        return series.dt.normalize().value_counts().reindex(grid, fill_value=0).astype("int64")

    out = pd.DataFrame({"date": grid})
    cancelled = is_cancelled(visits)
    out["attended"] = per_day(visits.loc[is_attended(visits), "visit_on"]).to_numpy()
    out["bookings"] = per_day(visits["booked_on"].dropna()).to_numpy() if "booked_on" in visits.columns else np.nan
    if "cancelled_on" in visits.columns:
        out["cancellations"] = per_day(visits.loc[cancelled, "cancelled_on"].dropna()).to_numpy()
    else:
        out["cancellations"] = 0 if not cancelled.any() else np.nan
    out["net"] = out["bookings"] - out["cancellations"] - out["attended"]
    return out[["date", "bookings", "cancellations", "attended", "net"]]


# ------------------------------------------------------------------ early warnings
@dataclass(frozen=True)
class EarlyWarning:
    """One early-warning rule: key (thin_backlog / second_visit_falling / price_under_guide), whether it fired
    (None = could not be evaluated: columns or history missing) and the numbers behind it."""

    key: str
    triggered: bool | None
    numbers: dict[str, Any]


def early_warnings(visits: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None, targets: Targets | None = None,
                   monthly: pd.DataFrame | None = None, *, backlog: dict[str, int] | None = None) -> tuple[EarlyWarning, ...]:
    """Three warnings, each with its numbers (documented rules; SPEC names them, the thresholds are ours):

    * thin_backlog: week 1 is booked but weeks 2–4 are thin — backlog(as_of) w1 > 0 and each weekly
      increment (w2 − w1, w3 − w2, w4 − w3) is below 50 % of w1.
    * second_visit_falling: the last month whose new patients are all eligible (no pending, ≥ 1 eligible,
      not history-incomplete) has a second_visit_rate below the mean of the 3 months before it (each with a
      rate). Not evaluated (None) without 3 earlier rated months.
    * price_under_guide: price_per_10min of the latest full month < targets.price_per_10min_min (¥1,000).
    """
    targets = targets or Targets()
    as_of = resolve_as_of(visits, as_of)
    if monthly is None:
        monthly = monthly_table(visits, as_of)
    out: list[EarlyWarning] = []

    b = booking_backlog(visits, as_of) if backlog is None else dict(backlog)  # passed in when already computed
    increments = [b["w2"] - b["w1"], b["w3"] - b["w2"], b["w4"] - b["w3"]]
    thin = b["w1"] > 0 and all(inc < THIN_BACKLOG_SHARE * b["w1"] for inc in increments)
    out.append(EarlyWarning("thin_backlog", bool(thin), {**b, "increments": increments, "threshold": THIN_BACKLOG_SHARE * b["w1"]}))

    if len(monthly):
        rated = monthly[monthly["second_visit_rate"].notna() & ~monthly["history_incomplete"]]
        complete = rated[rated["new_pending"] == 0]
    else:  # no month at all (no visit up to as_of): nothing to compare
        rated = complete = monthly
    if len(complete):
        last = complete.iloc[-1]
        before = rated[rated["month"] < last["month"]].tail(3)
        if len(before) == 3:
            mean = float(before["second_visit_rate"].mean())
            out.append(EarlyWarning("second_visit_falling", bool(last["second_visit_rate"] < mean),
                                    {"month": last["month"], "rate": float(last["second_visit_rate"]), "mean_3_before": mean,
                                     "months_before": list(before["month"])}))
        else:
            out.append(EarlyWarning("second_visit_falling", None, {"month": last["month"], "rate": float(last["second_visit_rate"])}))
    else:
        out.append(EarlyWarning("second_visit_falling", None, {}))

    if as_of is not None:
        month = latest_full_month(as_of)
        row = monthly[monthly["month"] == month]
        price = float(row["price_per_10min"].iloc[0]) if len(row) and pd.notna(row["price_per_10min"].iloc[0]) else None
        out.append(EarlyWarning("price_under_guide", None if price is None else price < targets.price_per_10min_min,
                                {"month": month, "price_per_10min": price, "guide": targets.price_per_10min_min}))
    return tuple(out)


def page_results(visits: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None, targets: Targets | None = None) -> dict[str, Any]:
    """Everything the clinic page shows, in one call (the page caches it; the benchmark times it).

    Warnings are given for the rows as a whole and per clinic: one clinic's thin future hides in a chain's total.
    The per-clinic half (tables, backlogs, warnings) runs in a second thread beside the whole-chain half: both
    are mostly numpy sorts and searches, which release the GIL, so the two cores share the work. They read one
    ``_Rows``, primed first, and write nothing shared; the result is the same as computed one after the other.
    """
    from concurrent.futures import ThreadPoolExecutor

    targets = targets or Targets()
    as_of = resolve_as_of(visits, as_of)
    work = _Rows(visits).prime()  # patient codes, day numbers, months, flags: computed once, shared below
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="clinic-kpi") as pool:
        per_clinic = pool.submit(_per_clinic_results, visits, as_of, targets, work)
        news = new_patients(visits, as_of, work=work)  # computed once, shared by every table below
        monthly = monthly_table(visits, as_of, news=news, work=work)
        whole = {
            "monthly": monthly,
            "calls": call_list(visits, as_of, news=news, work=work),
            "continuation": continuation(visits, as_of, news=news),
            "churn": churn(visits, as_of, work=work),
            "cohorts": cohort_grid(visits, as_of, news=news, work=work),
        }
        side = per_clinic.result()
    return {
        "monthly": monthly,
        "by_clinic": side["by_clinic"],
        "warnings": early_warnings(visits, as_of, targets, monthly=monthly, backlog=side["backlog"]),
        "warnings_by_clinic": side["warnings_by_clinic"],
        "calls": whole["calls"],
        "continuation": whole["continuation"],
        "churn": whole["churn"],
        "cohorts": whole["cohorts"],
        "backlog": side["backlog"],
        "trend": side["trend"],
        "net": side["net"],
    }


def _per_clinic_results(visits: pd.DataFrame, as_of, targets: Targets, work: _Rows) -> dict[str, Any]:
    """page_results' per-clinic tables and warnings, and the bookings ahead (backlog, its trend, net bookings)."""
    by_clinic = monthly_table(visits, as_of, by_clinic=True, work=work) if "clinic" in visits.columns else None
    backlog = booking_backlog(visits, as_of, work=work)
    warnings_by_clinic = {}
    if by_clinic is not None and as_of is not None:
        codes, names = work.clinics_sorted  # the clinics of visits.groupby("clinic"), in its order
        if len(names) > 1:
            backlogs = _backlog_by_group(work, as_of, codes, len(names))
            for name, clinic_backlog in zip(names, backlogs):
                warnings_by_clinic[name] = early_warnings(visits, as_of, targets, backlog=clinic_backlog,
                                                          monthly=by_clinic[by_clinic["clinic"] == name].reset_index(drop=True))
    return {"by_clinic": by_clinic, "backlog": backlog, "warnings_by_clinic": warnings_by_clinic,
            "trend": backlog_trend(visits, as_of, work=work), "net": net_bookings(visits, as_of, work=work)}


# ------------------------------------------------------------------ issue 16: the owner's levers
# Revenue tree, self-pay ratio, the method's guides, per-staff numbers, price per 10 minutes without machine-only
# treatments, drop-out after the first visit and new-patient retention. All on the same rows as monthly_table.
@dataclass(frozen=True)
class ClinicSettings:
    """Clinic settings the method gives and :class:`kpi.targets.Targets` does not hold yet (to fold into Targets).

    * self_pay_ratio_min: target of 自費率 (self-pay amount / revenue), a target with RAG.
    * new_patients_guide, returning_share_guide: the method's guides 新患 20 per month, 再新患 ≈ 5 % of patients —
      shown as a grey guide line, never as RAG.
    * machine_only_menus / exclude_machine_only: which rows count as machine-only (EMS, メドマー…) besides a
      ``machine_only`` column, and whether the price per 10 minutes leaves them out.
    * retention_visits / retention_months: a new patient is retained with ≥ 5 distinct visit days within 2 calendar
      months of the first visit (first visit included); the same window decides drop-out after the first visit.
    * staff_months: the per-staff table covers the last N full months.
    """

    self_pay_ratio_min: float = 0.20
    new_patients_guide: float = 20.0
    returning_share_guide: float = 0.05
    machine_only_menus: tuple[str, ...] = MACHINE_ONLY_MENUS
    exclude_machine_only: bool = True
    retention_visits: int = 5
    retention_months: int = 2
    staff_months: int = 3

    def to_json(self) -> str:
        data = asdict(self)
        data["machine_only_menus"] = list(self.machine_only_menus)
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ClinicSettings":
        data = {k: v for k, v in json.loads(text).items() if k in cls.__dataclass_fields__}
        if "machine_only_menus" in data:
            data["machine_only_menus"] = tuple(str(m) for m in data["machine_only_menus"])
        return replace(cls(), **data)


@dataclass(frozen=True)
class Guide:
    """A number from the clinic method shown beside a KPI as a guide (目安): ``direction`` "up" (at least),
    "down" (at most) or "about" (roughly). A guide never colours a tile."""

    key: str
    value: float
    direction: str


def guides(targets: Targets | None = None, settings: ClinicSettings | None = None) -> dict[str, Guide]:
    """The method's guides by registry key: 新患 20/month, 再新患 ≈ 5 % of patients, frequency ≥ 4.0,
    cancellations ≤ 10 %, ¥1,000 per 10 minutes (the last three are also SPEC targets, from ``targets``)."""
    targets, settings = targets or Targets(), settings or ClinicSettings()
    out = [Guide("clinic_new_patients", settings.new_patients_guide, "up"),
           Guide("returning_share", settings.returning_share_guide, "about"),
           Guide("visit_frequency", targets.frequency_min, "up"),
           Guide("cancel_rate", targets.cancel_rate_max, "down"),
           Guide("price_per_10min", targets.price_per_10min_min, "up"),
           Guide("price_per_10min_excl_machine", targets.price_per_10min_min, "up")]
    return {g.key: g for g in out}


def _menu_key(value: Any) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip().casefold()


def machine_only_rows(visits: pd.DataFrame, settings: ClinicSettings | None = None) -> tuple[np.ndarray, tuple[str, ...]]:
    """Which rows are machine-only treatments, and by what: ``("column",)`` when the file has a machine_only
    column (機器のみ / 物療のみ), ``("menu",)`` when its menu column names a menu of the settings' list (whole name,
    NFKC, case-insensitive), both, or ``()`` — then nothing is excluded. Switched off by
    ``settings.exclude_machine_only``: all False and ``()``."""
    settings = settings or ClinicSettings()
    mask = np.zeros(len(visits), dtype=bool)
    sources: list[str] = []
    if not settings.exclude_machine_only:
        return mask, ()
    if "machine_only" in visits.columns:
        mask |= visits["machine_only"].fillna(False).astype(bool).to_numpy()
        sources.append("column")
    names = {_menu_key(m) for m in settings.machine_only_menus if str(m).strip()}
    if "menu" in visits.columns and names:
        menus = visits["menu"].dropna()
        keys = {m: _menu_key(m) in names for m in pd.unique(menus)}  # once per distinct menu, not per row
        mask |= visits["menu"].map(keys).fillna(False).astype(bool).to_numpy()
        sources.append("menu")
    return mask, tuple(sources)


def _month_numbers(labels: pd.Series) -> np.ndarray:
    """"YYYY-MM" labels -> month index (year × 12 + month − 1), as ``_Rows.mi``."""
    parts = labels.astype(str).str.split("-", expand=True).astype("int64") if len(labels) else pd.DataFrame([[0, 1]])
    return (parts[0] * 12 + parts[1] - 1).to_numpy().astype("int64")[: len(labels)]


def month_extras(visits: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None, settings: ClinicSettings | None = None,
                 monthly: pd.DataFrame | None = None, *, work: _Rows | None = None) -> pd.DataFrame:
    """Per month of ``monthly_table``: returning_share (再新患 / patients), machine_only_visits (attended rows
    marked machine-only), price_per_10min_excl_machine (10 × Σ amount ÷ Σ minutes over attended rows with both,
    machine-only rows left out; null without amount or minutes) and exclusion_active (a machine-only column or a
    menu column is there and exclusion is on)."""
    as_of = resolve_as_of(visits, as_of)
    monthly = monthly_table(visits, as_of) if monthly is None else monthly
    out = pd.DataFrame({"month": monthly["month"].astype(str)})
    out["returning_share"] = (monthly["returning"] / monthly["patients"].where(monthly["patients"] > 0)).to_numpy()
    machine, sources = machine_only_rows(visits, settings)
    out["exclusion_active"] = bool(sources)
    if as_of is None or not len(out):
        out["machine_only_visits"], out["price_per_10min_excl_machine"] = 0, np.nan
        return out
    r = _Rows(visits) if work is None else work
    wanted = _month_numbers(out["month"])
    lo, size = int(wanted.min()), int(wanted.max() - wanted.min()) + 1
    keep = r.attended & r.valid & (r.day <= _day_of(as_of))
    keep &= (r.mi >= lo) & (r.mi < lo + size)
    slot = wanted - lo

    def per_month(rows: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(r.mi[rows] - lo, weights=None if weights is None else weights[rows], minlength=size)[slot]

    out["machine_only_visits"] = per_month(keep & machine).astype("int64")
    if {"amount_yen", "treatment_minutes"} <= set(visits.columns):
        amount = visits["amount_yen"].to_numpy(dtype="float64", na_value=np.nan)
        minutes = visits["treatment_minutes"].to_numpy(dtype="float64", na_value=np.nan)
        both = keep & ~np.isnan(amount) & ~np.isnan(minutes) & ~machine
        total_minutes = per_month(both, minutes)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["price_per_10min_excl_machine"] = np.where(total_minutes > 0, 10 * per_month(both, amount) / total_minutes, np.nan)
    else:
        out["price_per_10min_excl_machine"] = np.nan
    return out


@dataclass(frozen=True)
class Factor:
    """One factor of the revenue tree in a month and the month before; change = value / previous − 1."""

    key: str
    value: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None or self.previous == 0:
            return None
        return self.value / self.previous - 1


@dataclass(frozen=True)
class RevenueTree:
    """売上 = 患者数 × 来院頻度 × 平均単価 for ``month`` against ``previous_month``. Exact by definition: frequency =
    visits / patients and avg_price = revenue / visits (visits without an amount included), so the product of the
    factors is the revenue and the product of (1 + change) of the factors is 1 + the revenue's change."""

    month: str
    previous_month: str | None
    revenue: Factor
    patients: Factor
    frequency: Factor
    avg_price: Factor

    @property
    def factors(self) -> tuple[Factor, Factor, Factor]:
        return (self.patients, self.frequency, self.avg_price)

    @property
    def largest_move(self) -> str | None:
        """The factor whose change moved revenue most (largest |log(1 + change)|), None without a previous month."""
        moves = {f.key: abs(np.log1p(f.change)) for f in self.factors if f.change is not None and f.change > -1}
        return max(moves, key=moves.get) if moves else None


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def revenue_tree(monthly: pd.DataFrame, month: str) -> RevenueTree:
    """The revenue tree of ``month`` from a ``monthly_table`` (whole chain, one row per month)."""
    rows = monthly.set_index("month")
    pos = rows.index.get_loc(month)
    cur, prev = rows.iloc[pos], (rows.iloc[pos - 1] if pos > 0 else None)

    def factor(key: str) -> Factor:
        return Factor(key, _num(cur[key]), None if prev is None else _num(prev[key]))

    return RevenueTree(month, None if prev is None else str(rows.index[pos - 1]), factor("revenue"), factor("patients"),
                       factor("frequency"), factor("avg_price"))


def new_patient_outcomes(visits: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None, settings: ClinicSettings | None = None,
                         news: pd.DataFrame | None = None, *, work: _Rows | None = None) -> pd.DataFrame:
    """Per new patient (history-incomplete cohorts left out): month, staff, first_day, window_end (first visit +
    ``retention_months`` calendar months), visits_in_window (distinct attended days in [first, window_end], the
    first included), came_back (≥ 2 of them), retained (≥ ``retention_visits``) and complete (the cohort month's
    last day + the window ≤ as_of: every patient of that month has had the whole window). Drop-out = complete and
    not came_back; an incomplete month counts no drop-out. ``news`` (when given) must come from the same ``work``."""
    settings = settings or ClinicSettings()
    as_of = resolve_as_of(visits, as_of)
    cols = ["patient_id", "month", "staff", "first_day", "window_end", "visits_in_window", "came_back", "retained", "complete"]
    if as_of is None:
        return pd.DataFrame(columns=cols)
    r = _Rows(visits) if work is None else work
    news = new_patients(visits, as_of, work=r) if news is None else news
    news = news[~news["history_incomplete"]].reset_index(drop=True)
    window = pd.DateOffset(months=settings.retention_months)
    out = news[["patient_id", "month", "staff", "first_day"]].copy()
    out["window_end"] = (out["first_day"] + window).astype("datetime64[ns]")
    # distinct attended (patient, day) keys, sorted: the days of one patient in [first, end] are one searchsorted pair
    rows = r.attended & r.valid & (r.day <= _day_of(as_of)) & (r.pid >= 0)
    d0 = int(r.day[rows].min()) if rows.any() else 0
    keys = np.sort(r.pid[rows] * _DAY_SPAN + (r.day[rows] - d0))
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys  # sort + diff, as new_patients
    pid = news["pid"].to_numpy().astype("int64")
    first = out["first_day"].to_numpy(dtype="datetime64[D]").astype("int64") - d0
    end = out["window_end"].to_numpy(dtype="datetime64[D]").astype("int64") - d0
    count = np.searchsorted(keys, pid * _DAY_SPAN + end, side="right") - np.searchsorted(keys, pid * _DAY_SPAN + first, side="left")
    out["visits_in_window"] = count.astype("int64")
    out["came_back"] = out["visits_in_window"] >= 2
    out["retained"] = out["visits_in_window"] >= settings.retention_visits
    month_end = pd.to_datetime(out["month"] + "-01") + pd.offsets.MonthEnd(0)
    out["complete"] = (month_end + window) <= as_of
    return out[cols]


def outcomes_by(outcomes: pd.DataFrame, by: str = "month") -> pd.DataFrame:
    """Drop-out after the first visit and retention per ``by`` ("month" of first visit, or "staff" of the first
    visit). Columns: by, new, complete, new_complete, dropped, retained, dropout_rate, retention_rate. Rates are
    over new patients of complete months only (null when none): a month still inside its window is marked
    incomplete (complete False), its patients are neither drop-outs nor retained yet."""
    cols = [by, "new", "complete", "new_complete", "dropped", "retained", "dropout_rate", "retention_rate"]
    if outcomes.empty:
        return pd.DataFrame(columns=cols)
    frame = outcomes.assign(dropped=outcomes["complete"] & ~outcomes["came_back"], kept=outcomes["complete"] & outcomes["retained"],
                            key=outcomes[by].fillna("—").astype(str))
    g = frame.groupby("key", sort=True)
    out = pd.DataFrame({"new": g.size(), "new_complete": g["complete"].sum(), "dropped": g["dropped"].sum(),
                        "retained": g["kept"].sum()}).astype("int64")
    out["complete"] = out["new_complete"] == out["new"] if by == "month" else out["new_complete"] > 0
    base = out["new_complete"].where(out["new_complete"] > 0)
    out["dropout_rate"] = out["dropped"] / base
    out["retention_rate"] = out["retained"] / base
    return out.rename_axis(by).reset_index()[cols]


def latest_complete_cohort(by_month: pd.DataFrame) -> pd.Series | None:
    """The latest month of first visit whose window is complete (the registry's drop-out and retention month)."""
    done = by_month[by_month["complete"] & (by_month["new"] > 0)] if len(by_month) else by_month
    return None if done.empty else done.iloc[-1]


def staff_table(visits: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None, months: tuple[str, ...] = (),
                settings: ClinicSettings | None = None, news: pd.DataFrame | None = None, *, work: _Rows | None = None) -> pd.DataFrame:
    """Per staff over the months given ("YYYY-MM"; rows with visit_on ≤ as_of): visits (attended), cancelled
    (cancelled + no-show), cancel_rate, price_per_10min (machine-only rows left out when the settings exclude
    them), new (new patients whose first visit they gave), new_eligible, second_visits, second_visit_rate (as
    SPEC 2, by the staff of the first visit). Rows without a staff are "—". Sorted by visits, most first."""
    as_of = resolve_as_of(visits, as_of)
    cols = ["staff", "visits", "cancelled", "cancel_rate", "price_per_10min", "new", "new_eligible", "second_visits",
            "second_visit_rate"]
    if as_of is None or "staff" not in visits.columns:
        return pd.DataFrame(columns=cols)
    machine, _ = machine_only_rows(visits, settings)
    r = _Rows(visits) if work is None else work
    keep = r.valid & (r.day <= _day_of(as_of)) & np.isin(r.mi, _month_numbers(pd.Series(list(months), dtype="str")))
    rows = visits[keep]
    staff = rows["staff"].fillna("—").astype(str)
    attended, cancelled = is_attended(rows), is_cancelled(rows)
    out = pd.DataFrame({"visits": attended.groupby(staff).sum(), "cancelled": cancelled.groupby(staff).sum()}).astype("int64")
    booked = out["visits"] + out["cancelled"]
    out["cancel_rate"] = out["cancelled"] / booked.where(booked > 0) if "status" in visits.columns else np.nan
    if {"amount_yen", "treatment_minutes"} <= set(visits.columns):
        both = attended & rows["amount_yen"].notna() & rows["treatment_minutes"].notna() & ~pd.Series(machine[keep], index=rows.index)
        sums = rows.loc[both, ["amount_yen", "treatment_minutes"]].groupby(staff[both]).sum()
        out["price_per_10min"] = 10 * sums["amount_yen"] / sums["treatment_minutes"].where(sums["treatment_minutes"] > 0)
    else:
        out["price_per_10min"] = np.nan
    news = new_patients(visits, as_of, work=r) if news is None else news
    news = news[news["month"].isin(months)].assign(key=lambda f: f["staff"].fillna("—").astype(str))
    g = news.groupby("key")
    out["new"] = g.size().reindex(out.index, fill_value=0).astype("int64")
    out["new_eligible"] = g["eligible"].sum().reindex(out.index, fill_value=0).astype("int64")
    second = news[news["eligible"] & news["second_within_14"]].groupby("key").size()
    out["second_visits"] = second.reindex(out.index, fill_value=0).astype("int64")
    out["second_visit_rate"] = out["second_visits"] / out["new_eligible"].where(out["new_eligible"] > 0)
    return out.rename_axis("staff").reset_index().sort_values(["visits", "staff"], ascending=[False, True])[cols].reset_index(drop=True)


def recent_months(monthly: pd.DataFrame, month: str, n: int) -> tuple[str, ...]:
    """``month`` and the n − 1 months before it that the monthly table lists."""
    listed = list(monthly["month"].astype(str))
    pos = listed.index(month) if month in listed else len(listed) - 1
    return tuple(listed[max(0, pos - n + 1): pos + 1])


def latest_month_figures(visits: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None, settings: ClinicSettings | None = None,
                         monthly: pd.DataFrame | None = None, *, work: _Rows | None = None,
                         news: pd.DataFrame | None = None) -> dict[str, Any]:
    """The issue-16 figures of the latest full month (the registry's month) for ``metrics``: month,
    revenue-tree changes (revenue_change, patients_change, frequency_change, avg_price_change; fractions, null
    without a previous month), returning_share, price_per_10min_excl_machine, machine_only_visits,
    machine_exclusion (the sources: "column", "menu"), and the latest complete first-visit cohort's drop-out and
    retention (cohort_month, cohort_new, first_visit_dropout_rate, new_patient_retention_rate). ``news``:
    :func:`new_patients` of the same ``work`` and as_of when the caller already has it."""
    settings = settings or ClinicSettings()
    as_of = resolve_as_of(visits, as_of)
    if as_of is None:
        return {}
    work = _Rows(visits) if work is None else work
    monthly = monthly_table(visits, as_of, work=work) if monthly is None else monthly
    month = latest_full_month(as_of)
    out: dict[str, Any] = {"month": month}
    if month in set(monthly["month"]):
        tree = revenue_tree(monthly, month)
        for f in (tree.revenue, *tree.factors):
            out[f"{f.key}_change"] = f.change
        extras = month_extras(visits, as_of, settings, monthly=monthly, work=work).set_index("month").loc[month]
        out.update(returning_share=_num(extras["returning_share"]),
                   price_per_10min_excl_machine=_num(extras["price_per_10min_excl_machine"]),
                   machine_only_visits=int(extras["machine_only_visits"]))
    out["machine_exclusion"] = list(machine_only_rows(visits, settings)[1])
    cohort = latest_complete_cohort(outcomes_by(new_patient_outcomes(visits, as_of, settings, news=news, work=work), "month"))
    out.update(cohort_month=None if cohort is None else cohort["month"], cohort_new=None if cohort is None else int(cohort["new"]),
               first_visit_dropout_rate=None if cohort is None else _num(cohort["dropout_rate"]),
               new_patient_retention_rate=None if cohort is None else _num(cohort["retention_rate"]))
    return out


@dataclass(frozen=True)
class ClinicView:
    """Everything the clinic page shows, built by :func:`clinic_view` (the page only renders it).

    ``results``: :func:`page_results` (monthly table, warnings, call list, retention, bookings). ``tiles``: registry
    TileViews by key for ``month`` (vs the month before), the drop-out / retention tiles for ``cohort_month``.
    ``guides``: the method's guide per registry key. ``tree``: the revenue tree. ``extras``: :func:`month_extras`.
    ``staff``: :func:`staff_table` over ``staff_months``. ``outcomes_by_month`` / ``outcomes_by_staff``:
    :func:`outcomes_by`. ``machine_exclusion``: the active sources of machine-only rows (() = none excluded)."""

    as_of: pd.Timestamp
    month: str
    previous_month: str | None
    settings: ClinicSettings
    results: dict[str, Any] = field(repr=False)
    tree: RevenueTree
    extras: pd.DataFrame = field(repr=False)
    tiles: dict[str, Any] = field(repr=False)
    guides: dict[str, Guide]
    staff: pd.DataFrame = field(repr=False)
    staff_months: tuple[str, ...]
    outcomes_by_month: pd.DataFrame = field(repr=False)
    outcomes_by_staff: pd.DataFrame = field(repr=False)
    cohort_month: str | None
    machine_exclusion: tuple[str, ...]
    machine_only_visits: int


TREE_KEYS = ("clinic_revenue", "clinic_patients", "visit_frequency", "clinic_avg_price")
HEADLINE_KEYS = ("clinic_visits", "self_pay_ratio", "clinic_new_patients", "returning_share", "second_visit_rate", "cancel_rate",
                 "price_per_10min", "price_per_10min_excl_machine", "first_visit_dropout_rate", "new_patient_retention_rate")


def clinic_view(visits: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None, targets: Targets | None = None,
                settings: ClinicSettings | None = None, lang: str = "ja", results: dict[str, Any] | None = None,
                month: str | None = None) -> ClinicView | None:
    """The clinic page's frozen view of ``visits`` (already filtered by the page): the latest full month (or
    ``month``) against the month before. ``results``: :func:`page_results` when the caller has it cached. None
    without any month to show."""
    from dataclasses import replace as _replace

    from .registry import tile
    from .targets import rag as _rag

    targets, settings = targets or Targets(), settings or ClinicSettings()
    as_of = resolve_as_of(visits, as_of)
    if as_of is None:
        return None
    results = page_results(visits, as_of, targets) if results is None else results
    monthly: pd.DataFrame = results["monthly"]
    if monthly.empty:
        return None
    months = list(monthly["month"].astype(str))
    month = month if month in months else latest_full_month(as_of)
    month = month if month in months else months[-1]
    pos = months.index(month)
    previous_month = months[pos - 1] if pos > 0 else None
    work = _Rows(visits)
    extras = month_extras(visits, as_of, settings, monthly=monthly, work=work)
    rows = monthly.assign(**{c: extras[c].to_numpy() for c in ("returning_share", "price_per_10min_excl_machine")}).set_index("month")
    cur, prev = rows.loc[month], (rows.loc[previous_month] if previous_month else None)
    news = new_patients(visits, as_of, work=work)
    outcomes = new_patient_outcomes(visits, as_of, settings, news=news, work=work)
    by_month, by_staff = outcomes_by(outcomes, "month"), outcomes_by(outcomes, "staff")
    cohort = latest_complete_cohort(by_month)

    def month_rows(label: str | None) -> pd.DataFrame:
        if label is None:
            return visits.iloc[0:0]
        start = pd.Timestamp(f"{label}-01")
        return visits[(visits["visit_on"] >= start) & (visits["visit_on"] < start + pd.offsets.MonthBegin(1))]

    in_month = month_rows(month)
    attended_month = in_month[is_attended(in_month)]
    column = {"clinic_visits": "visits", "clinic_patients": "patients", "clinic_new_patients": "new", "visit_frequency": "frequency",
              "second_visit_rate": "second_visit_rate", "cancel_rate": "cancel_rate", "price_per_10min": "price_per_10min",
              "clinic_revenue": "revenue", "clinic_avg_price": "avg_price", "self_pay_ratio": "self_pay_ratio",
              "returning_share": "returning_share", "price_per_10min_excl_machine": "price_per_10min_excl_machine"}
    views: dict[str, Any] = {}
    for key, col in column.items():
        basis = in_month[in_month["status"] != "booked"] if key == "cancel_rate" and "status" in in_month.columns else attended_month
        views[key] = tile(key, _num(cur[col]), targets, previous=None if prev is None else _num(prev[col]),
                          frames={"visits": basis}, as_of=as_of, lang=lang)
    cohort_rows = month_rows(None if cohort is None else cohort["month"])
    cohort_prev = by_month[by_month["complete"] & (by_month["month"] < cohort["month"])] if cohort is not None else by_month.iloc[0:0]
    for key, col in (("first_visit_dropout_rate", "dropout_rate"), ("new_patient_retention_rate", "retention_rate")):
        views[key] = tile(key, None if cohort is None else _num(cohort[col]), targets,
                          previous=None if cohort_prev.empty else _num(cohort_prev.iloc[-1][col]),
                          frames={"visits": cohort_rows[is_attended(cohort_rows)]}, as_of=as_of, lang=lang)
    # the self-pay target is a clinic setting until Targets holds it: the tile's target and RAG follow the setting
    sp = views["self_pay_ratio"]
    views["self_pay_ratio"] = _replace(sp, target=settings.self_pay_ratio_min, rag=_rag(sp.value, settings.self_pay_ratio_min))
    staff_months = recent_months(monthly, month, settings.staff_months)
    return ClinicView(
        as_of=as_of, month=month, previous_month=previous_month, settings=settings, results=results,
        tree=revenue_tree(monthly, month), extras=extras, tiles=views, guides=guides(targets, settings),
        staff=staff_table(visits, as_of, staff_months, settings, news=news, work=work), staff_months=staff_months,
        outcomes_by_month=by_month, outcomes_by_staff=by_staff, cohort_month=None if cohort is None else cohort["month"],
        machine_exclusion=machine_only_rows(visits, settings)[1],
        machine_only_visits=int(extras.set_index("month").loc[month, "machine_only_visits"]),
    )


# ------------------------------------------------------------------ CLI and workbook
def tile_confidence(visits: pd.DataFrame, as_of: dt.date | pd.Timestamp, lang: str = "ja") -> dict:
    """The 信頼度 of the clinic page's tiles outside the registry, chosen here rather than by the page: churn
    (every visit's patient_id and visit_on) and the bookings ahead (booked_on of the visits after ``as_of``)."""
    from .confidence import confidence

    day = pd.Timestamp(as_of).normalize()
    return {"churn": confidence(visits, ["patient_id", "visit_on"], day, lang=lang),
            "backlog": confidence(visits[visits["visit_on"].dt.normalize() > day], ["booked_on"], day, lang=lang)}


def visits_section(visits: pd.DataFrame, as_of: dt.date | None = None) -> dict[str, Any]:
    """SPEC section 3 ``visits`` JSON: as_of, monthly rows (the SPEC keys only), backlog w1–w4 as of as_of.

    Numbers are not rounded; a KPI whose column is absent (or whose denominator is empty) is None. Also
    ``latest_month``: :func:`latest_month_figures` (issue 16).
    """
    as_of_ts = resolve_as_of(visits, as_of)
    work = _Rows(visits)  # patient codes and day numbers once, for the table and the latest month's figures
    news = new_patients(visits, as_of_ts, work=work) if as_of_ts is not None else None  # once, for both (read only)
    table = monthly_table(visits, as_of_ts, news=news, work=work)
    monthly = []
    for rec in table[list(MONTHLY_COLUMNS)].to_dict("records"):
        row: dict[str, Any] = {}
        for key, value in rec.items():
            if key == "month":
                row[key] = str(value)
            elif key in ("visits", "patients", "new", "carryover", "returning"):
                row[key] = int(value)
            else:
                row[key] = None if pd.isna(value) else float(value)
        monthly.append(row)
    return {
        "as_of": None if as_of_ts is None else as_of_ts.date().isoformat(),
        "monthly": monthly,
        "backlog": booking_backlog(visits, as_of_ts),
        # issue 16 (beyond SPEC 3's keys): the latest full month's revenue tree, machine-only exclusion and the
        # latest complete first-visit cohort, with the default ClinicSettings (the registry reads them here)
        "latest_month": latest_month_figures(visits, as_of_ts, monthly=table, work=work, news=news),
    }


def labelled(table: pd.DataFrame, lang: str = "ja") -> pd.DataFrame:
    """The monthly table with the user's column headers."""
    return table.rename(columns=MONTHLY_HEADERS.get(lang, MONTHLY_HEADERS["en"]))


def report_tables(frames: dict[str, pd.DataFrame], as_of: dt.date | None, targets: Targets | None = None, lang: str = "ja") -> dict[str, pd.DataFrame]:
    """The weekly workbook's clinic sheet: the monthly table (Japanese headers when lang == "ja"); {} without visits."""
    visits = frames.get("visits")
    if visits is None:
        return {}
    table = monthly_table(visits, as_of)
    keep = ["month", "visits", "patients", "new", "carryover", "returning", "frequency", "second_visit_rate",
            "new_eligible", "new_pending", "cancel_rate", "revenue", "avg_price", "price_per_10min", "self_pay_ratio"]
    return {CLINIC_SHEET[0 if lang == "ja" else 1]: labelled(table[keep], lang)}
