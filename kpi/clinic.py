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
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .targets import Targets

ATTENDED = "attended"
CANCELLED = ("cancelled", "no_show")
SECOND_VISIT_DAYS = 14
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

# Japanese / English headers of the monthly table (workbook and page downloads).
MONTHLY_HEADERS = {
    "ja": {
        "clinic": "院名", "month": "月", "visits": "来院数", "patients": "患者数", "new": "新患", "carryover": "継続",
        "returning": "再来（再新患）", "frequency": "来院頻度", "second_visit_rate": "2回目リピート率",
        "new_eligible": "判定対象の新患", "new_pending": "判定待ちの新患", "second_visits": "14日以内に2回目",
        "cancel_rate": "キャンセル率", "cancelled": "キャンセル・無断", "revenue": "売上", "avg_price": "客単価",
        "price_per_10min": "10分単価", "self_pay_ratio": "自費率", "history_incomplete": "履歴不完全",
    },
    "en": {
        "clinic": "Clinic", "month": "Month", "visits": "Visits", "patients": "Patients", "new": "New",
        "carryover": "Carry-over", "returning": "Returning", "frequency": "Frequency",
        "second_visit_rate": "2nd-visit rate", "new_eligible": "New (eligible)", "new_pending": "New (pending)",
        "second_visits": "2nd visit ≤14 days", "cancel_rate": "Cancel rate", "cancelled": "Cancelled + no-show",
        "revenue": "Revenue", "avg_price": "Avg price", "price_per_10min": "Price / 10 min",
        "self_pay_ratio": "Self-pay ratio", "history_incomplete": "History incomplete",
    },
}


# ------------------------------------------------------------------ basics
def default_as_of(visits: pd.DataFrame) -> pd.Timestamp | None:
    """SPEC: the latest attended visit_on (date). Without attended rows: the latest visit_on; empty: None."""
    if visits is None or visits.empty:
        return None
    days = visits["visit_on"]
    attended = days[visits["status"] == ATTENDED].dropna()
    pick = attended if len(attended) else days.dropna()
    return None if pick.empty else pick.max().normalize()


def resolve_as_of(visits: pd.DataFrame, as_of: dt.date | pd.Timestamp | str | None) -> pd.Timestamp | None:
    return default_as_of(visits) if as_of is None else pd.Timestamp(as_of).normalize()


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


def _prepared(visits: pd.DataFrame, by_clinic: bool) -> tuple[pd.DataFrame, np.ndarray]:
    """A working copy with integer keys (patient and group codes: fast to sort, group and join on a million
    rows), calendar day, month index and status flags. Returns it with the group names (clinic or one group)."""
    out = pd.DataFrame({"pid": pd.factorize(visits["patient_id"])[0]}, index=visits.index)
    out["day"] = visits["visit_on"].dt.normalize()
    out["mi"] = _month_index(out["day"])
    out["attended"] = (visits["status"] == ATTENDED).to_numpy()
    out["cancelled"] = visits["status"].isin(CANCELLED).to_numpy()
    if by_clinic and "clinic" in visits.columns:
        codes, names = pd.factorize(visits["clinic"].fillna("—").astype(str))
        out["g"] = codes
        return out, np.asarray(names, dtype=object)
    out["g"] = 0
    return out, np.asarray([ALL], dtype=object)


# ------------------------------------------------------------------ new patients and their first visits
def new_patients(visits: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None, by_clinic: bool = False) -> pd.DataFrame:
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
    cols = ["g", "group", "pid", "patient_id", "mi", "month", "first_day", "clinic", "staff", "next_day", "visits_from_first",
            "second_within_14", "eligible", "history_incomplete"]
    if as_of is None:
        return pd.DataFrame(columns=cols)
    base, groups = _prepared(visits, by_clinic)
    has_flag = "first_visit" in visits.columns
    attended_rows = np.flatnonzero(base["attended"].to_numpy() & (base["day"] <= as_of).to_numpy())
    if len(attended_rows) == 0:
        return pd.DataFrame(columns=cols)
    # One int64 per (group, patient, day), so a million rows sort and search as plain integers.
    day_num = base["day"].to_numpy(dtype="datetime64[D]").astype("int64")
    d0 = int(day_num[attended_rows].min())
    key = base["g"].to_numpy().astype("int64") * (int(base["pid"].max()) + 1) + base["pid"].to_numpy()
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
    mi = base["mi"].to_numpy()
    k_sorted = c_sorted // _DAY_SPAN
    new_key = np.r_[True, k_sorted[1:] != k_sorted[:-1]] if len(order) else np.zeros(0, dtype=bool)
    if has_flag and len(order):
        m_sorted = mi[order]
        new_key |= np.r_[True, m_sorted[1:] != m_sorted[:-1]]
    rows = order[new_key]
    pos = np.searchsorted(uniq, c_sorted[new_key])

    out = pd.DataFrame({"g": base["g"].to_numpy()[rows], "pid": base["pid"].to_numpy()[rows], "mi": mi[rows],
                        "first_day": base["day"].to_numpy()[rows]})
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
        first_month = base.iloc[attended_rows].groupby("g")["mi"].min()
        out["history_incomplete"] = out["mi"].eq(out["g"].map(first_month))
    return out[cols].reset_index(drop=True)


# ------------------------------------------------------------------ the monthly table
def monthly_table(visits: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None, by_clinic: bool = False,
                  news: pd.DataFrame | None = None) -> pd.DataFrame:
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
      rows with both, self_pay_ratio = Σ self_pay_yen / revenue. Null when the column is absent.
    """
    as_of = resolve_as_of(visits, as_of)
    base, groups = _prepared(visits, by_clinic)
    if as_of is None:
        return pd.DataFrame(columns=(["clinic"] if by_clinic else []) + list(MONTHLY_COLUMNS))
    base = base[base["day"] <= as_of]
    for col in ("amount_yen", "self_pay_yen", "treatment_minutes"):
        if col in visits.columns:
            base[col] = visits[col]
    attended = base[base["attended"]]
    gm = ["g", "mi"]

    # Month grid: each group from its first row's month to the month of as_of.
    last_mi = as_of.year * 12 + as_of.month - 1
    starts = base.groupby("g")["mi"].min()
    grid = pd.DataFrame(
        [(g, m) for g, start in starts.items() for m in range(int(start), last_mi + 1)], columns=gm
    ) if len(starts) else pd.DataFrame(columns=gm)
    grid = grid.astype({"mi": "int64"}).set_index(gm)

    t = pd.DataFrame(index=grid.index)
    t["visits"] = attended.groupby(gm).size()
    present = attended[gm + ["pid"]].drop_duplicates()
    t["patients"] = present.groupby(gm).size()
    news = new_patients(visits, as_of, by_clinic) if news is None else news  # passed in when already computed
    t["new"] = news.groupby(gm).size()
    # carryover: attended in M and in M−1, and not new in M
    previous = present.assign(mi=present["mi"] + 1)
    both = present.merge(previous, on=gm + ["pid"])
    both = both.merge(news[gm + ["pid"]].assign(_new=True), on=gm + ["pid"], how="left")
    t["carryover"] = both[both["_new"].isna()].groupby(gm).size()
    counts = ["visits", "patients", "new", "carryover"]
    t[counts] = t[counts].fillna(0).astype("int64")
    t["returning"] = t["patients"] - t["new"] - t["carryover"]
    t["frequency"] = t["visits"] / t["patients"].where(t["patients"] > 0)

    eligible = news[news["eligible"]]
    t["new_eligible"] = eligible.groupby(gm).size()
    t["second_visits"] = eligible[eligible["second_within_14"]].groupby(gm).size()
    t[["new_eligible", "second_visits"]] = t[["new_eligible", "second_visits"]].fillna(0).astype("int64")
    t["new_pending"] = t["new"] - t["new_eligible"]
    t["second_visit_rate"] = t["second_visits"] / t["new_eligible"].where(t["new_eligible"] > 0)

    t["cancelled"] = base[base["cancelled"]].groupby(gm).size()
    t["cancelled"] = t["cancelled"].fillna(0).astype("int64")
    booked = t["visits"] + t["cancelled"]
    t["cancel_rate"] = t["cancelled"] / booked.where(booked > 0)

    nan = pd.Series(np.nan, index=t.index)
    if "amount_yen" in attended.columns:
        t["revenue"] = attended.groupby(gm)["amount_yen"].sum(min_count=1)
        t["avg_price"] = t["revenue"] / t["visits"].where(t["visits"] > 0)
    else:
        t["revenue"], t["avg_price"] = nan, nan
    if {"amount_yen", "treatment_minutes"} <= set(attended.columns):
        both_cols = attended.dropna(subset=["amount_yen", "treatment_minutes"])
        sums = both_cols.groupby(gm)[["amount_yen", "treatment_minutes"]].sum()
        t["price_per_10min"] = 10 * sums["amount_yen"] / sums["treatment_minutes"].where(sums["treatment_minutes"] > 0)
    else:
        t["price_per_10min"] = nan
    if {"amount_yen", "self_pay_yen"} <= set(attended.columns):
        self_pay = attended.groupby(gm)["self_pay_yen"].sum(min_count=1)
        t["self_pay_ratio"] = self_pay / t["revenue"].where(t["revenue"] > 0)
    else:
        t["self_pay_ratio"] = nan

    first_mi = attended.groupby("g")["mi"].min()
    t = t.reset_index()
    t["history_incomplete"] = ("first_visit" not in visits.columns) & t["mi"].eq(t["g"].map(first_mi))
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
              news: pd.DataFrame | None = None) -> pd.DataFrame:
    """New patients to phone: first visit in the last ``lookback_days`` up to as_of, no attended visit after it
    (to as_of) and no live booking after as_of (status booked, or cancelled/no_show whose cancelled_on is
    after as_of). Oldest first visit first. "Without a second visit within 14 days" therefore includes
    patients still inside their 14 days (the call that prevents the miss) — window_closed tells them apart.

    Columns: patient_id, clinic, first_visit_on, days_since, staff, window_closed.
    """
    as_of = resolve_as_of(visits, as_of)
    cols = ["patient_id", "clinic", "first_visit_on", "days_since", "staff", "window_closed"]
    if as_of is None:
        return pd.DataFrame(columns=cols)
    news = new_patients(visits, as_of) if news is None else news
    recent = news[(news["first_day"] > as_of - pd.Timedelta(days=lookback_days)) & news["next_day"].isna()]
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
    return out.sort_values(["first_visit_on", "patient_id"]).reset_index(drop=True)


def _live_at(visits: pd.DataFrame, d: pd.Timestamp) -> pd.Series:
    """Row not cancelled by day d: not cancelled/no_show, or cancelled after d (missing cancelled_on = cancelled)."""
    cancelled = visits["status"].isin(CANCELLED)
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


def churn(visits: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None, days: int = CHURN_DAYS, window_days: int = 90) -> Churn:
    """Patients not seen for ``days`` days (default 30) among those seen in the last ``days + window_days``.

    A patient with a live booking after as_of is not churned (they are coming back).
    """
    as_of = resolve_as_of(visits, as_of)
    if as_of is None:
        return Churn(None, days, window_days, 0, 0, None)
    day = visits["visit_on"].dt.normalize()
    attended = visits[(visits["status"] == ATTENDED) & (day <= as_of)]
    last = attended.assign(day=day).groupby("patient_id")["day"].max()
    base = last[last > as_of - pd.Timedelta(days=days + window_days)]
    upcoming = set(visits.loc[(day > as_of) & _live_at(visits, as_of), "patient_id"])
    gone = base[(base <= as_of - pd.Timedelta(days=days)) & ~base.index.isin(upcoming)]
    table = pd.DataFrame({"patient_id": gone.index, "last_visit_on": gone.values,
                          "days_since": (as_of - gone).dt.days.to_numpy()}).sort_values("last_visit_on").reset_index(drop=True)
    return Churn(as_of, days, window_days, len(base), len(gone), len(gone) / len(base) if len(base) else None, table)


def cohort_grid(visits: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None, max_months: int = 12,
                news: pd.DataFrame | None = None) -> pd.DataFrame:
    """Month of first visit × months since → share of the cohort with an attended visit in that month.

    Long format: cohort ("YYYY-MM"), months_since (0…max_months), cohort_size, active, share. Month 0 is 100 %
    by construction; a month with nobody back is 0; cells after the month of as_of are absent (not yet known).
    History-incomplete cohorts are left out.
    """
    as_of = resolve_as_of(visits, as_of)
    cols = ["cohort", "months_since", "cohort_size", "active", "share"]
    if as_of is None:
        return pd.DataFrame(columns=cols)
    news = new_patients(visits, as_of) if news is None else news
    news = news[~news["history_incomplete"]].drop_duplicates("pid", keep="first")
    base, _ = _prepared(visits, by_clinic=False)
    present = base.loc[base["attended"] & (base["day"] <= as_of), ["pid", "mi"]].drop_duplicates()
    joined = present.merge(news[["pid", "mi"]].rename(columns={"mi": "cohort_mi"}), on="pid")
    joined["months_since"] = joined["mi"] - joined["cohort_mi"]
    joined = joined[(joined["months_since"] >= 0) & (joined["months_since"] <= max_months)]
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


def backlog_series(visits: pd.DataFrame, days: pd.DatetimeIndex, weeks: tuple[int, ...] = BACKLOG_WEEKS) -> pd.DataFrame:
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
    lo, hi = np.iinfo("int64").min // 4, np.iinfo("int64").max // 4
    visit = _day_numbers(visits["visit_on"])
    valid = ~visits["visit_on"].isna().to_numpy()
    if "booked_on" in visits.columns:
        booked = np.where(visits["booked_on"].isna().to_numpy(), lo, _day_numbers(visits["booked_on"].fillna(pd.Timestamp(0))))
    else:
        booked = np.full(len(visits), lo)
    cancelled = visits["status"].isin(CANCELLED).to_numpy()
    if "cancelled_on" in visits.columns:
        known = ~visits["cancelled_on"].isna().to_numpy()
        c_day = _day_numbers(visits["cancelled_on"].fillna(pd.Timestamp(0)))
        cancel = np.where(cancelled, np.where(known, c_day, lo), hi)
    else:
        cancel = np.where(cancelled, lo, hi)
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


def booking_backlog(visits: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None) -> dict[str, int]:
    """backlog(as_of, w) for w = 1…4 as {"w1": …, "w4": …} (cumulative: w2 includes w1)."""
    as_of = resolve_as_of(visits, as_of)
    if as_of is None:
        return {f"w{w}": 0 for w in BACKLOG_WEEKS}
    row = backlog_series(visits, pd.DatetimeIndex([as_of])).iloc[0]
    return {f"w{w}": int(row[f"w{w}"]) for w in BACKLOG_WEEKS}


def backlog_trend(visits: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None, days: int = BACKLOG_TREND_DAYS) -> pd.DataFrame:
    """The daily backlog over the last 8 weeks to as_of (56 days, as_of included)."""
    as_of = resolve_as_of(visits, as_of)
    if as_of is None:
        return backlog_series(visits, pd.DatetimeIndex([]))
    return backlog_series(visits, pd.date_range(end=as_of, periods=days, freq="D"))


def net_bookings(visits: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None, days: int = BACKLOG_TREND_DAYS) -> pd.DataFrame:
    """net_bookings(d) = bookings made on d − cancellations made on d − attended visits on d, per day.

    bookings need booked_on (rows without it are not counted as made on any day); cancellations are
    cancelled/no_show rows by their cancelled_on. net is null (n/a) without booked_on, and without
    cancelled_on when the data holds cancelled/no_show rows (their day is unknown). Columns: date,
    bookings, cancellations, attended, net.
    """
    as_of = resolve_as_of(visits, as_of)
    grid = pd.date_range(end=as_of, periods=days, freq="D") if as_of is not None else pd.DatetimeIndex([])

    def per_day(series: pd.Series) -> pd.Series:
        return series.dt.normalize().value_counts().reindex(grid, fill_value=0).astype("int64")

    out = pd.DataFrame({"date": grid})
    cancelled = visits["status"].isin(CANCELLED)
    out["attended"] = per_day(visits.loc[visits["status"] == ATTENDED, "visit_on"]).to_numpy()
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
                   monthly: pd.DataFrame | None = None) -> tuple[EarlyWarning, ...]:
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

    b = booking_backlog(visits, as_of)
    increments = [b["w2"] - b["w1"], b["w3"] - b["w2"], b["w4"] - b["w3"]]
    thin = b["w1"] > 0 and all(inc < THIN_BACKLOG_SHARE * b["w1"] for inc in increments)
    out.append(EarlyWarning("thin_backlog", bool(thin), {**b, "increments": increments, "threshold": THIN_BACKLOG_SHARE * b["w1"]}))

    rated = monthly[monthly["second_visit_rate"].notna() & ~monthly["history_incomplete"]]
    complete = rated[rated["new_pending"] == 0]
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
    """
    targets = targets or Targets()
    as_of = resolve_as_of(visits, as_of)
    news = new_patients(visits, as_of)  # computed once, shared by every table below
    monthly = monthly_table(visits, as_of, news=news)
    by_clinic = monthly_table(visits, as_of, by_clinic=True) if "clinic" in visits.columns else None
    warnings_by_clinic = {}
    if by_clinic is not None and visits["clinic"].nunique() > 1:
        for name, rows in visits.groupby("clinic"):
            warnings_by_clinic[name] = early_warnings(rows, as_of, targets, monthly=by_clinic[by_clinic["clinic"] == name].reset_index(drop=True))
    return {
        "monthly": monthly,
        "by_clinic": by_clinic,
        "warnings": early_warnings(visits, as_of, targets, monthly=monthly),
        "warnings_by_clinic": warnings_by_clinic,
        "calls": call_list(visits, as_of, news=news),
        "continuation": continuation(visits, as_of, news=news),
        "churn": churn(visits, as_of),
        "cohorts": cohort_grid(visits, as_of, news=news),
        "backlog": booking_backlog(visits, as_of),
        "trend": backlog_trend(visits, as_of),
        "net": net_bookings(visits, as_of),
    }


# ------------------------------------------------------------------ CLI and workbook
def visits_section(visits: pd.DataFrame, as_of: dt.date | None = None) -> dict[str, Any]:
    """SPEC section 3 ``visits`` JSON: as_of, monthly rows (the SPEC keys only), backlog w1–w4 as of as_of.

    Numbers are not rounded; a KPI whose column is absent (or whose denominator is empty) is None.
    """
    as_of_ts = resolve_as_of(visits, as_of)
    table = monthly_table(visits, as_of_ts)
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
    return {("院KPI" if lang == "ja" else "Clinic"): labelled(table[keep], lang)}
