"""Regional medical liaison KPIs (SPEC section 2 "Referrals"): who refers to us, who we refer back to, and
which institutions to visit this week.

Input: the validated ``referrals`` frame (referred_on, institution, direction in/out, optional department,
area); optionally ``activities`` (visits to institutions, matched on ``account``), the hospital's own monthly
first-visit counts (紹介率 / 逆紹介率, :func:`read_counts`; never a clinic visits file's new patients) and the
institution master (kpi.institutions). Pure, vectorised pandas; ``as_of`` is always passed in.

Readings chosen where SPEC is silent:
* Institution names are matched on NFKC + stripped + inner whitespace collapsed to one space (so 全角 /
  半角 and stray spaces merge); the display name is the normalised one. Activities' accounts use the same key.
* Every count uses rows with referred_on ≤ as_of; as_of defaults to the latest referred_on. The
  institution count covers the same rows.
* trend: "last 3 months" = (as_of − 3 months, as_of], "the 3 before" = (as_of − 6 months, as_of − 3 months],
  rolling by calendar offset (the month of as_of is partial, so calendar months would show a false fall).
  Counts referrals **in** (紹介受); out counts are given beside them.
* "fell" (for the visit list) = in-referrals down by at least ``fall_share`` (20 %) and at least
  ``min_fall`` (2) referrals, so that a 10 → 9 wobble does not flood the list; the trend table lists all (its chart the 20 biggest changes).
* "refers in but had no visit in 90 days": ≥ 1 in-referral in (as_of − 90 days, as_of] and no activity of
  type ``visit`` (訪問) for that account in the same 90 days.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from . import asof
from .messages import REFERRALS_REPORT_HEADERS, REFERRALS_REPORT_METRICS, REFERRALS_SHEETS
from .targets import Targets

TREND_MONTHS = 3
VISIT_WINDOW_DAYS = 90
FALL_SHARE = 0.20
MIN_FALL = 2
TREND_CHART_MAX = 20  # institutions drawn in the change ranking; the table below it holds them all
REASONS: tuple[str, ...] = ("fell", "no_visit")


def normalise_name(names: pd.Series) -> pd.Series:
    """NFKC, stripped, runs of whitespace -> one space: ``'ＡＢＣ病院 '`` and ``'ABC病院'`` are one institution."""
    codes, uniques = pd.factorize(names)  # normalise each distinct name once: a million rows hold a few hundred names
    clean = pd.Series(uniques, dtype="str").str.normalize("NFKC").str.strip().str.replace(r"\s+", " ", regex=True)
    return pd.Series(clean.to_numpy(dtype=object)[codes], index=names.index, dtype="str").where(codes >= 0)


def default_as_of(df: pd.DataFrame | None) -> pd.Timestamp | None:
    """The latest referred_on (None for an empty frame; kpi.asof, the one rule)."""
    return asof.default_as_of("referrals", df)


def _as_of(df: pd.DataFrame | None, as_of) -> pd.Timestamp | None:
    return asof.resolve("referrals", df, as_of)


def prepared(df: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """Rows up to as_of with the normalised institution name and the month (first day) of referred_on."""
    as_of = _as_of(df, as_of)
    rows = df[df["referred_on"] <= as_of] if as_of is not None else df
    rows = rows.assign(institution=normalise_name(rows["institution"]))
    rows = rows[rows["institution"].notna() & (rows["institution"] != "")]
    return rows.assign(month=rows["referred_on"].dt.to_period("M").dt.to_timestamp())


def filter_referrals(df: pd.DataFrame, departments: Sequence[str] | None = None, areas: Sequence[str] | None = None) -> pd.DataFrame:
    """Rows of the chosen departments / areas (an empty or None choice keeps every row)."""
    keep = pd.Series(True, index=df.index)
    if departments and "department" in df.columns:
        keep &= df["department"].isin(list(departments))
    if areas and "area" in df.columns:
        keep &= df["area"].isin(list(areas))
    return df[keep]


@dataclass(frozen=True)
class ReferralSummary:
    as_of: pd.Timestamp | None
    institutions: int
    in_: int
    out: int
    reverse_ratio: float | None


def summary(df: pd.DataFrame, as_of=None) -> ReferralSummary:
    """Totals over rows with referred_on ≤ as_of: distinct institutions, in, out, reverse_ratio = out / in
    (None when nothing was referred in)."""
    as_of = _as_of(df, as_of)
    rows = prepared(df, as_of)
    n_in = int((rows["direction"] == "in").sum())
    n_out = int((rows["direction"] == "out").sum())
    return ReferralSummary(as_of, int(rows["institution"].nunique()), n_in, n_out, n_out / n_in if n_in else None)


def _counts(rows: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    counts = pd.crosstab([rows[c] for c in by], rows["direction"]) if len(rows) else pd.DataFrame(index=pd.MultiIndex.from_arrays([[]] * len(by), names=by))
    for d in ("in", "out"):
        if d not in counts.columns:
            counts[d] = 0
    out = counts[["in", "out"]].reset_index()
    out.columns.name = None
    return out


def monthly_by_institution(df: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """institution, month (first day), in, out — months without a referral of an institution are absent."""
    return _counts(prepared(df, as_of), ["institution", "month"]).sort_values(["institution", "month"]).reset_index(drop=True)


def _profile(rows: pd.DataFrame) -> pd.DataFrame:
    """Per institution its most frequent department and area (when the columns exist)."""
    out = pd.DataFrame({"institution": rows["institution"].drop_duplicates()})
    for col in ("department", "area"):
        if col in rows.columns:
            top = rows.groupby(["institution", col]).size().rename("n").reset_index().sort_values(["institution", "n", col], ascending=[True, False, True])
            out = out.merge(top.drop_duplicates("institution")[["institution", col]], on="institution", how="left")
    return out


def institution_table(df: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """Per institution: department, area, in, out, reverse_ratio (None when in = 0); most referrals in first."""
    rows = prepared(df, as_of)
    out = _profile(rows).merge(_counts(rows, ["institution"]), on="institution", how="left")
    out["reverse_ratio"] = (out["out"] / out["in"].where(out["in"] > 0)).astype("float64")
    return out.sort_values(["in", "out", "institution"], ascending=[False, False, True]).reset_index(drop=True)


def trend(df: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """Per institution: in_last3, in_prior3, change = last − prior, change_rate = change / prior (None when
    prior = 0), out_last3, out_prior3. Sorted falling first (change, then change_rate, ascending)."""
    as_of = _as_of(df, as_of)
    rows = prepared(df, as_of)
    if as_of is None:
        return pd.DataFrame(columns=["institution", "in_last3", "in_prior3", "change", "change_rate", "out_last3", "out_prior3"])
    start_last = as_of - pd.DateOffset(months=TREND_MONTHS)
    start_prior = as_of - pd.DateOffset(months=2 * TREND_MONTHS)
    window = pd.Series(pd.NA, index=rows.index, dtype="object")
    window = window.mask(rows["referred_on"] > start_last, "last3").mask((rows["referred_on"] > start_prior) & (rows["referred_on"] <= start_last), "prior3")
    counts = pd.crosstab([rows["institution"]], [rows["direction"], window]).reindex(
        columns=pd.MultiIndex.from_product([["in", "out"], ["last3", "prior3"]]), fill_value=0)
    counts.columns = [f"{d}_{w}" for d, w in counts.columns]
    out = pd.DataFrame({"institution": rows["institution"].drop_duplicates()}).merge(counts.reset_index(), on="institution", how="left")
    cols = ["in_last3", "in_prior3", "out_last3", "out_prior3"]
    out[cols] = out[cols].fillna(0).astype("int64")
    out["change"] = out["in_last3"] - out["in_prior3"]
    out["change_rate"] = (out["change"] / out["in_prior3"].where(out["in_prior3"] > 0)).astype("float64")
    out = out[["institution", "in_last3", "in_prior3", "change", "change_rate", "out_last3", "out_prior3"]]
    return out.sort_values(["change", "change_rate", "institution"], ascending=True, na_position="last").reset_index(drop=True)


def biggest_changes(trend_table: pd.DataFrame, n: int = TREND_CHART_MAX) -> pd.DataFrame:
    """The ``n`` rows of :func:`trend` with the largest change in referrals in, either way (ties: more referrals
    in the six months, then the name), in the trend's own order (falling first). Institutions without a change
    are left out: a bar of length 0 says nothing. For the ranking chart; the page lists every row in a table."""
    moved = trend_table[trend_table["change"] != 0]
    ranked = moved.assign(_size=moved["change"].abs(), _volume=moved["in_last3"] + moved["in_prior3"]).sort_values(
        ["_size", "_volume", "institution"], ascending=[False, False, True], kind="stable")
    return trend_table[trend_table.index.isin(ranked.index[:n])]


def last_visits(activities: pd.DataFrame | None, as_of) -> pd.DataFrame | None:
    """institution key -> last_visit_on (date of the latest activity of type visit ≤ as_of); None when the
    activities frame or its account column is absent."""
    if activities is None or "account" not in activities.columns:
        return None
    acts = activities
    if "type" in acts.columns:
        acts = acts[acts["type"] == "visit"]
    day = acts["activity_at"].dt.normalize()
    if as_of is not None:
        acts, day = acts[day <= as_of], day[day <= as_of]
    keyed = pd.DataFrame({"institution": normalise_name(acts["account"]), "last_visit_on": day}).dropna(subset=["institution"])
    return keyed.groupby("institution", as_index=False)["last_visit_on"].max()


def priority_list(df: pd.DataFrame, activities: pd.DataFrame | None = None, as_of=None,
                  fall_share: float = FALL_SHARE, min_fall: int = MIN_FALL, visit_window_days: int = VISIT_WINDOW_DAYS) -> pd.DataFrame:
    """The "visit this week" list: institutions whose referrals in fell, or that referred in within the last
    ``visit_window_days`` without a visit (activities type 訪問, account = institution) in those days.

    Columns: institution, department, area, reasons (tuple of codes "fell" / "no_visit" the page renders
    with the numbers beside them), in_last3, in_prior3, change, change_rate, in_last90, last_visit_on,
    days_since_visit (NaN = no visit on record). ``no_visit`` is only checked when activities with an
    account column are given. Order: both reasons first, then falls (largest first), then unvisited referrers
    (most referrals in the last 90 days first).
    """
    as_of = _as_of(df, as_of)
    rows = prepared(df, as_of)
    tr = trend(df, as_of)
    out = _profile(rows).merge(tr, on="institution", how="left")
    if as_of is None or out.empty:
        return out.assign(reasons=pd.Series(dtype="object"), in_last90=0, last_visit_on=pd.NaT, days_since_visit=float("nan")).iloc[0:0]
    recent_in = rows[(rows["direction"] == "in") & (rows["referred_on"] > as_of - pd.Timedelta(days=visit_window_days))]
    out = out.merge(recent_in.groupby("institution").size().rename("in_last90").reset_index(), on="institution", how="left")
    out["in_last90"] = out["in_last90"].fillna(0).astype("int64")
    fell = (out["change"] <= -min_fall) & (out["change"] <= -fall_share * out["in_prior3"])
    visits = last_visits(activities, as_of)
    if visits is not None:
        out = out.merge(visits, on="institution", how="left")
        out["days_since_visit"] = (as_of - out["last_visit_on"]).dt.days.astype("float64")
        no_visit = (out["in_last90"] > 0) & ~(out["days_since_visit"] < visit_window_days)
    else:
        out["last_visit_on"] = pd.NaT
        out["days_since_visit"] = float("nan")
        no_visit = pd.Series(False, index=out.index)
    codes = fell.map({True: "fell;", False: ""}) + no_visit.map({True: "no_visit;", False: ""})
    out["reasons"] = codes.str.rstrip(";").str.split(";").map(tuple)
    out["_n"] = fell.astype(int) + no_visit.astype(int)
    out["_fell"] = fell
    out["_fall"] = out["change"].where(fell, 0)
    out = out[out["_n"] > 0].sort_values(["_n", "_fell", "_fall", "in_last90", "institution"], ascending=[False, False, True, False, True])
    cols = ["institution"] + [c for c in ("department", "area") if c in out.columns] + [
        "reasons", "in_last3", "in_prior3", "change", "change_rate", "in_last90", "last_visit_on", "days_since_visit"]
    return out[cols].reset_index(drop=True)


# ------------------------------------------------------------------ 紹介率 / 逆紹介率 from the hospital's own counts
@dataclass(frozen=True)
class RateBasis:
    """One published definition of 紹介率 / 逆紹介率, as numerator and denominator recipes over a month's counts
    (``in``/``out`` from the referral ledger; ``first_visits``, ``emergency``, ``revisits`` entered by the user)."""

    key: str
    referral_numerator: tuple[str, ...]  # summed
    referral_denominator: tuple[tuple[str, int], ...]  # (count, sign) summed
    reverse_numerator: tuple[str, ...]
    reverse_denominator: tuple[tuple[str, int], ...]
    needs: tuple[str, ...]  # counts that must be entered


# The two definitions a hospital reports against. What is implemented, and from where:
# * "medical_care_act" — 医療法の地域医療支援病院の承認要件（医療法第4条、医療法施行規則第9条の19; 厚生労働省通知
#   「地域医療支援病院の承認について」、2014年4月の改正後）:
#   紹介率 = 紹介患者の数 ÷ 初診患者の数、逆紹介率 = 逆紹介患者の数 ÷ 初診患者の数、where 初診患者の数 excludes the
#   patients brought by ambulance and the emergency patients seen on holidays / at night. Implemented as
#   in ÷ (first_visits − emergency) and out ÷ (first_visits − emergency): the user enters 初診患者数 (all first
#   visits) and 救急患者数 (those excluded). (Until March 2014 the law read 紹介率 = (紹介患者 + 救急患者) ÷ 初診患者.)
# * "fee_schedule" — 診療報酬（医科点数表 A000 初診料の注2・注3 / A002 外来診療料, 紹介割合・逆紹介割合, 2018年改定以降の
#   留意事項通知）: 紹介割合 = (紹介患者数 + 救急患者数) ÷ 初診の患者数、逆紹介割合 = 逆紹介患者数 ÷ (初診の患者数 +
#   再診の患者数), which the fee schedule states per mille (‰; 30‰ = 3.0 %). Implemented as (in + emergency) ÷
#   first_visits and out ÷ (first_visits + revisits); without 再診患者数 the 逆紹介割合 is n/a.
# Each hospital's 医事課 should confirm the edition it reports under; the recipes are data, so a revision is a
# one-line change here.
RATE_BASES: dict[str, RateBasis] = {
    "medical_care_act": RateBasis("medical_care_act", ("in",), (("first_visits", 1), ("emergency", -1)),
                                  ("out",), (("first_visits", 1), ("emergency", -1)), ("first_visits", "emergency")),
    "fee_schedule": RateBasis("fee_schedule", ("in", "emergency"), (("first_visits", 1),),
                              ("out",), (("first_visits", 1), ("revisits", 1)), ("first_visits", "emergency")),
}
COUNT_COLUMNS = ("first_visits", "emergency", "revisits")
YEAR_MONTH_MARKS = (("年", "-"), ("月", ""))  # a month as files write it: 2026年10月
# headers a hospital's own monthly table may carry (NFKC, spaces removed, lower case)
COUNT_ALIASES = {
    "month": ("month", "月", "年月", "対象月"),
    "first_visits": ("first_visits", "初診患者数", "初診患者", "初診数", "初診"),
    "emergency": ("emergency", "救急患者数", "救急患者", "救急", "救急搬送・休日夜間"),
    "revisits": ("revisits", "再診患者数", "再診患者", "再診数", "再診"),
}


def read_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """A hospital's monthly counts table → month (first day), first_visits, emergency, revisits (float, NaN when
    blank). Headers in English or Japanese (``COUNT_ALIASES``); month as 2026-10, 2026/10, 2026年10月 or a date.
    Rows without a readable month are left out; negative counts are treated as blank."""
    import unicodedata

    norm = {c: unicodedata.normalize("NFKC", str(c)).replace(" ", "").lower() for c in frame.columns}
    out = pd.DataFrame(index=frame.index)
    for field_name, aliases in COUNT_ALIASES.items():
        col = next((c for c in frame.columns if norm[c] in aliases), None)
        out[field_name] = frame[col] if col is not None else None
    text = out["month"].astype("string").str.normalize("NFKC")
    for mark, replacement in YEAR_MONTH_MARKS:  # 2026年10月 → 2026-10
        text = text.str.replace(mark, replacement)
    text = text.str.replace("/", "-").str.strip()
    out["month"] = pd.to_datetime(text.str.slice(0, 7), format="%Y-%m", errors="coerce")
    for col in COUNT_COLUMNS:
        value = pd.to_numeric(out[col].astype("string").str.replace(",", ""), errors="coerce").astype("float64")
        out[col] = value.where(value >= 0)
    out = out[out["month"].notna()]
    return out.groupby("month", as_index=False)[list(COUNT_COLUMNS)].sum(min_count=1).sort_values("month").reset_index(drop=True)


def _combine(frame: pd.DataFrame, parts: tuple[tuple[str, int], ...]) -> pd.Series:
    total = pd.Series(0.0, index=frame.index)
    for col, sign in parts:
        total = total + sign * frame[col]
    return total


def referral_rates(df: pd.DataFrame, counts: pd.DataFrame | None, as_of=None, basis: str = "medical_care_act") -> pd.DataFrame:
    """Per month of the referrals data (≤ as_of): in, out, first_visits, emergency, revisits, referral_rate,
    reverse_referral_rate under ``RATE_BASES[basis]``. A rate is NaN when a count it needs is blank or its
    denominator is ≤ 0. ``counts``: :func:`read_counts`' shape (None = nothing entered: every rate NaN).

    The denominator is always the hospital's own first-visit count, never new patients of a clinic visits file:
    a referral ledger divided by another institution's first visits is not 紹介率."""
    spec = RATE_BASES[basis]
    rows = prepared(df, _as_of(df, as_of))
    out = _counts(rows, ["month"])
    entered = counts if counts is not None else pd.DataFrame(columns=["month", *COUNT_COLUMNS])
    out = out.merge(entered[["month", *COUNT_COLUMNS]].astype({c: "float64" for c in COUNT_COLUMNS}), on="month", how="left")
    for numerator, denominator, name in ((spec.referral_numerator, spec.referral_denominator, "referral_rate"),
                                         (spec.reverse_numerator, spec.reverse_denominator, "reverse_referral_rate")):
        top = out[list(numerator)].sum(axis=1, min_count=len(numerator))
        bottom = _combine(out, denominator)
        out[name] = (top / bottom.where(bottom > 0)).astype("float64")
    return out.sort_values("month").reset_index(drop=True)


def rate_totals(rates: pd.DataFrame, basis: str = "medical_care_act") -> tuple[float | None, float | None]:
    """紹介率 and 逆紹介率 over every month whose counts make the rate computable: Σ numerators ÷ Σ denominators
    (a year's report is the ratio of the year's sums, not the mean of monthly rates). None when no month has them."""
    spec = RATE_BASES[basis]
    result = []
    for numerator, denominator, name in ((spec.referral_numerator, spec.referral_denominator, "referral_rate"),
                                         (spec.reverse_numerator, spec.reverse_denominator, "reverse_referral_rate")):
        usable = rates[rates[name].notna()]
        bottom = float(_combine(usable, denominator).sum())
        result.append(float(usable[list(numerator)].sum(axis=1).sum()) / bottom if len(usable) and bottom > 0 else None)
    return result[0], result[1]


# ------------------------------------------------------------------ one institution's record
@dataclass(frozen=True)
class InstitutionRecord:
    institution: str
    department: str | None
    area: str | None
    monthly: pd.DataFrame  # month, in, out (every month of the data up to as_of, zeros included)
    contacts: pd.DataFrame | None  # activity_at, rep, type, note (newest first); None without activities' account
    total_in: int
    total_out: int


def institution_record(df: pd.DataFrame, institution: str, activities: pd.DataFrame | None = None, as_of=None) -> InstitutionRecord:
    """One institution's referrals in / out by month (every month from the data's first to as_of, zeros included)
    and its contacts from the activities file (account = institution, same name key), newest first."""
    as_of = _as_of(df, as_of)
    rows = prepared(df, as_of)
    mine = rows[rows["institution"] == institution]
    months = pd.DataFrame({"month": pd.date_range(rows["month"].min(), rows["month"].max(), freq="MS")}) if len(rows) else pd.DataFrame({"month": pd.Series(dtype="datetime64[ns]")})
    monthly = months.merge(_counts(mine, ["month"]), on="month", how="left").fillna({"in": 0, "out": 0}).astype({"in": "int64", "out": "int64"})
    profile = _profile(mine)
    pick = lambda col: profile[col].iloc[0] if col in profile.columns and len(profile) and pd.notna(profile[col].iloc[0]) else None  # noqa: E731
    contacts = None
    if activities is not None and "account" in activities.columns:
        acts = activities[normalise_name(activities["account"]) == institution]
        if as_of is not None:
            acts = acts[acts["activity_at"].dt.normalize() <= as_of]
        cols = [c for c in ("activity_at", "rep", "type", "note") if c in acts.columns]
        contacts = acts[cols].sort_values("activity_at", ascending=False).reset_index(drop=True)
    return InstitutionRecord(institution, pick("department"), pick("area"), monthly, contacts,
                             int(monthly["in"].sum()), int(monthly["out"].sum()))


# ------------------------------------------------------------------ did visits bring referrals?
def visit_effect(df: pd.DataFrame, activities: pd.DataFrame | None, as_of=None, window_days: int = VISIT_WINDOW_DAYS) -> pd.DataFrame | None:
    """Per visit (activities of type visit to a referring institution, on or before as_of): institution, rep,
    visit_on, in_before = referrals in during [visit − window, visit), in_after = during (visit, visit + window],
    change = after − before, complete = visit + window ≤ as_of and visit − window ≥ the ledger's first referral (a
    window still filling, or one reaching before the data, holds a floor, not a count: shown, but left out of
    every mean). Referrals on the visit day itself count in
    neither window. None without activities' account column."""
    if activities is None or "account" not in activities.columns:
        return None
    as_of = _as_of(df, as_of)
    rows = prepared(df, as_of)
    referred = rows[rows["direction"] == "in"][["institution", "referred_on"]]
    acts = activities[activities["type"] == "visit"] if "type" in activities.columns else activities
    visits = pd.DataFrame({"institution": normalise_name(acts["account"]), "rep": acts["rep"] if "rep" in acts.columns else None,
                           "visit_on": acts["activity_at"].dt.normalize()})
    visits = visits[visits["institution"].isin(set(rows["institution"]))]
    if as_of is not None:
        visits = visits[visits["visit_on"] <= as_of]
    visits = visits.drop_duplicates(["institution", "rep", "visit_on"]).reset_index(drop=True)
    empty = visits.assign(in_before=pd.Series(dtype="int64"), in_after=pd.Series(dtype="int64"), change=pd.Series(dtype="int64"), complete=pd.Series(dtype="bool"))
    if visits.empty:
        return empty
    pairs = visits.reset_index(names="_v").merge(referred, on="institution", how="left")
    gap = (pairs["referred_on"] - pairs["visit_on"]).dt.days
    window = pd.Timedelta(days=window_days).days
    pairs["before"] = (gap < 0) & (gap >= -window)
    pairs["after"] = (gap > 0) & (gap <= window)
    counts = pairs.groupby("_v")[["before", "after"]].sum()
    out = visits.assign(in_before=counts["before"].reindex(visits.index).fillna(0).astype("int64").to_numpy(),
                        in_after=counts["after"].reindex(visits.index).fillna(0).astype("int64").to_numpy())
    out["change"] = out["in_after"] - out["in_before"]
    start = rows["referred_on"].min()
    out["complete"] = ((out["visit_on"] + pd.Timedelta(days=window_days)) <= as_of) & ((out["visit_on"] - pd.Timedelta(days=window_days)) >= start) \
        if as_of is not None else False
    return out.sort_values(["visit_on", "institution"]).reset_index(drop=True)


def visit_effect_by(effect: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per institution or per rep: visits, complete (visits whose two windows lie inside the data), incomplete (the others),
    in_before / in_after = mean referrals in over the complete visits, change = in_after − in_before (NaN when no
    visit is complete). Biggest rise first."""
    done = effect[effect["complete"]]
    means = done.groupby(by)[["in_before", "in_after"]].mean()
    out = effect.groupby(by).agg(visits=("visit_on", "size"), complete=("complete", "sum")).join(means)
    out["incomplete"] = out["visits"] - out["complete"]
    out["change"] = out["in_after"] - out["in_before"]
    out = out.reset_index()[[by, "visits", "complete", "incomplete", "in_before", "in_after", "change"]]
    return out.sort_values(["change", by], ascending=[False, True], na_position="last").reset_index(drop=True)


def mean_visit_change(effect: pd.DataFrame | None) -> float | None:
    """The registry's visit_referral_change: mean over complete visits of (referrals in 90 days after − 90 days
    before); None without activities or without a complete visit."""
    if effect is None:
        return None
    done = effect[effect["complete"]]
    return float(done["change"].mean()) if len(done) else None


def referrals_section(df: pd.DataFrame, as_of: dt.date | None = None) -> dict[str, Any]:
    """SPEC section 3 ``referrals``: institutions, in, out, reverse_ratio (rows with referred_on ≤ as_of)."""
    s = summary(df, as_of)
    return {"institutions": s.institutions, "in": s.in_, "out": s.out, "reverse_ratio": s.reverse_ratio}


@dataclass(frozen=True)
class LiaisonSettings:
    """The liaison page's settings (to be folded into kpi.targets.Targets): the 紹介率 definition, the visit
    evaluation window and the master-matching thresholds."""

    rate_basis: str = "medical_care_act"
    visit_window_days: int = VISIT_WINDOW_DAYS
    match_min_score: float = 80.0
    match_suggestions: int = 3


@dataclass(frozen=True)
class LiaisonView:
    """Everything the liaison page shows, computed once (pages only render it)."""

    as_of: pd.Timestamp | None
    summary: ReferralSummary
    priority: pd.DataFrame
    institutions: pd.DataFrame
    monthly: pd.DataFrame
    trend: pd.DataFrame
    rate_basis: str
    rates: pd.DataFrame
    counts_entered: bool
    rate_missing: tuple[str, ...]  # counts the chosen definition needs that were not entered
    visit_effect: pd.DataFrame | None
    effect_by_institution: pd.DataFrame | None
    effect_by_rep: pd.DataFrame | None
    matches: pd.DataFrame | None  # with an institution master
    never_referring: pd.DataFrame | None
    kpis: dict[str, float | None]


def liaison_view(df: pd.DataFrame, activities: pd.DataFrame | None = None, counts: pd.DataFrame | None = None,
                 master: pd.DataFrame | None = None, confirmed: dict[str, str] | None = None,
                 areas: Sequence[str] | None = None, as_of=None, settings: LiaisonSettings | None = None) -> LiaisonView:
    """The liaison page's view: totals, visit list, per-institution tables, trend, 紹介率 / 逆紹介率 under the chosen
    definition from the hospital's own ``counts`` (:func:`read_counts`), the visit evaluation, and — with an
    institution ``master`` (:func:`kpi.institutions.read_master`) — name matches and the institutions in ``areas``
    that never referred (all of the ledger's areas when ``areas`` is None)."""
    from . import institutions as inst

    settings = settings or LiaisonSettings()
    as_of = _as_of(df, as_of)
    rows = prepared(df, as_of)
    matches = never = None
    if master is not None:
        matches = inst.match_names(rows["institution"], master, confirmed,
                                   inst.MatchSettings(settings.match_min_score, settings.match_suggestions))
        df = inst.fill_areas(df.assign(institution=normalise_name(df["institution"])), matches)
        rows = prepared(df, as_of)
        chosen = list(areas) if areas is not None else sorted(rows["area"].dropna().unique()) if "area" in rows.columns else []
        never = inst.never_referring(master, matches, rows.loc[rows["direction"] == "in", "institution"], chosen)
    rates = referral_rates(df, counts, as_of, settings.rate_basis)
    spec = RATE_BASES[settings.rate_basis]
    entered = counts is not None and len(counts) > 0
    missing = tuple(c for c in spec.needs + ("revisits",) * (settings.rate_basis == "fee_schedule")
                    if not entered or counts[c].isna().all())
    referral_rate, reverse_rate = rate_totals(rates, settings.rate_basis)
    effect = visit_effect(df, activities, as_of, settings.visit_window_days)
    s = summary(df, as_of)
    kpis = {"referrals_in": s.in_, "referrals_out": s.out, "reverse_ratio": s.reverse_ratio,
            "referral_rate": referral_rate, "reverse_referral_rate": reverse_rate,
            "visit_referral_change": mean_visit_change(effect),
            "institutions_never_referring": None if never is None else len(never)}
    return LiaisonView(
        as_of, s, priority_list(df, activities, as_of, visit_window_days=settings.visit_window_days), institution_table(df, as_of),
        monthly_by_institution(df, as_of), trend(df, as_of), settings.rate_basis, rates, entered, missing, effect,
        None if effect is None else visit_effect_by(effect, "institution"), None if effect is None else visit_effect_by(effect, "rep"),
        matches, never, kpis)


_HEADERS = REFERRALS_REPORT_HEADERS


def report_tables(frames: dict[str, pd.DataFrame], as_of, targets: Targets | None = None, lang: str = "ja") -> dict[str, pd.DataFrame]:
    """Weekly workbook sheets: headline totals, per-institution totals, trend (falling first). {} without referrals."""
    df = frames.get("referrals")
    if df is None:
        return {}
    i = 0 if lang == "ja" else 1
    s = summary(df, as_of)
    names = REFERRALS_REPORT_METRICS
    headline = pd.DataFrame({_HEADERS["metric"][i]: [n[i] for n in names], _HEADERS["value"][i]: [s.institutions, s.in_, s.out, s.reverse_ratio]})
    rename = {k: v[i] for k, v in _HEADERS.items()}
    return {
        REFERRALS_SHEETS["headline"][i]: headline,
        REFERRALS_SHEETS["institutions"][i]: institution_table(df, s.as_of).rename(columns=rename),
        REFERRALS_SHEETS["trend"][i]: trend(df, s.as_of).rename(columns=rename),
    }
