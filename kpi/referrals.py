"""Regional medical liaison KPIs (SPEC section 2 "Referrals"): who refers to us, who we refer back to, and
which institutions to visit this week.

Input: the validated ``referrals`` frame (referred_on, institution, direction in/out, optional department,
area); optionally ``activities`` (visits to institutions, matched on ``account``) and clinic ``visits``
(new patients for 紹介率 / 逆紹介率). Pure, vectorised pandas; ``as_of`` is always passed in.

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
    """The latest referred_on (None for an empty frame)."""
    if df is None or df.empty:
        return None
    latest = df["referred_on"].max()
    return pd.Timestamp(latest).normalize() if pd.notna(latest) else None


def _as_of(df: pd.DataFrame | None, as_of) -> pd.Timestamp | None:
    return pd.Timestamp(as_of).normalize() if as_of is not None else default_as_of(df)


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


def new_patients_by_month(visits: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """month (first day), new_patients, history_incomplete — counted by the clinic page's own definition
    (``kpi.clinic.new_patients``: first_visit flag, else the earliest attended visit in the data)."""
    from .clinic import new_patients

    new = new_patients(visits, as_of)
    if new.empty:
        return pd.DataFrame({"month": pd.Series(dtype="datetime64[ns]"), "new_patients": pd.Series(dtype="int64"), "history_incomplete": pd.Series(dtype="bool")})
    out = new.groupby("month").agg(new_patients=("patient_id", "size"), history_incomplete=("history_incomplete", "any")).reset_index()
    out["month"] = pd.to_datetime(out["month"] + "-01")
    return out


def referral_rates(df: pd.DataFrame, visits: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """Per month: in, out, new_patients, referral_rate (紹介率) = in / new patients, reverse_referral_rate
    (逆紹介率) = out / new patients (None when no new patient). Months of the referrals data up to as_of.

    A referred-in patient is one of the institution's new patients, so 紹介率 cannot pass 100 %: a month with
    more referrals in than new patients means the two files are not one institution's counts (a hospital's
    referrals over a clinic's first visits); its referral_rate is None (n/a), never a rate above 1.
    逆紹介率 has no such bound (patients referred out need not be new) and is left as computed."""
    as_of = _as_of(df, as_of)
    rows = prepared(df, as_of)
    monthly = _counts(rows, ["month"])
    new = new_patients_by_month(visits, as_of)
    out = monthly.merge(new, on="month", how="left")
    out["new_patients"] = out["new_patients"].fillna(0).astype("int64")
    out["history_incomplete"] = out["history_incomplete"].astype("boolean").fillna(False).astype(bool)
    denominator = out["new_patients"].where(out["new_patients"] > 0)
    out["referral_rate"] = (out["in"] / denominator.where(out["in"] <= out["new_patients"])).astype("float64")
    out["reverse_referral_rate"] = (out["out"] / denominator).astype("float64")
    return out.sort_values("month").reset_index(drop=True)


def referrals_section(df: pd.DataFrame, as_of: dt.date | None = None) -> dict[str, Any]:
    """SPEC section 3 ``referrals``: institutions, in, out, reverse_ratio (rows with referred_on ≤ as_of)."""
    s = summary(df, as_of)
    return {"institutions": s.institutions, "in": s.in_, "out": s.out, "reverse_ratio": s.reverse_ratio}


_HEADERS = {
    "metric": ("指標", "Metric"), "value": ("値", "Value"), "institution": ("医療機関", "Institution"),
    "department": ("診療科", "Department"), "area": ("地域", "Area"), "in": ("紹介（受）", "Referred in"),
    "out": ("逆紹介", "Referred out"), "reverse_ratio": ("逆紹介比", "Reverse ratio"),
    "in_last3": ("直近3か月の紹介", "In, last 3 months"), "in_prior3": ("その前3か月の紹介", "In, 3 months before"),
    "change": ("増減", "Change"), "change_rate": ("増減率", "Change rate"),
    "out_last3": ("直近3か月の逆紹介", "Out, last 3 months"), "out_prior3": ("その前3か月の逆紹介", "Out, 3 months before"),
}


def report_tables(frames: dict[str, pd.DataFrame], as_of, targets: Targets | None = None, lang: str = "ja") -> dict[str, pd.DataFrame]:
    """Weekly workbook sheets: headline totals, per-institution totals, trend (falling first). {} without referrals."""
    df = frames.get("referrals")
    if df is None:
        return {}
    i = 0 if lang == "ja" else 1
    s = summary(df, as_of)
    names = [("医療機関数", "Institutions"), ("紹介（受）", "Referred in"), ("逆紹介", "Referred out"), ("逆紹介比（逆紹介÷紹介）", "Reverse ratio (out / in)")]
    headline = pd.DataFrame({_HEADERS["metric"][i]: [n[i] for n in names], _HEADERS["value"][i]: [s.institutions, s.in_, s.out, s.reverse_ratio]})
    rename = {k: v[i] for k, v in _HEADERS.items()}
    return {
        ("地域連携" if i == 0 else "Referrals"): headline,
        ("医療機関別" if i == 0 else "By institution"): institution_table(df, s.as_of).rename(columns=rename),
        ("紹介の増減" if i == 0 else "Referral trend"): trend(df, s.as_of).rename(columns=rename),
    }
