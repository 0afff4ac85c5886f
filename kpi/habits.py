"""Habit KPIs (SPEC section 2 "Habits"): minutes within 24 h, key person, review capture, visits and travel per day.

Pure pandas: frames + ``as_of`` + ``Targets`` in, small frozen results or DataFrames out. The Habits page,
the weekly review, the CLI (``activities_section``) and the workbook all call these functions.

Readings of the SPEC chosen here (where it leaves room):

* ``as_of`` for activities defaults to the date of the latest ``activity_at``; "up to as_of" includes the
  whole as_of day. For leads it defaults to ``kpi.funnel.default_as_of``.
* minutes_within_24h_rate compares ``minutes_sent_at`` as recorded, even when it is after as_of (the
  activity is what is filtered by as_of); an eligible activity without ``minutes_sent_at`` is not within.
* key_person_rate / review_capture_rate use the funnel cohort (leads created on or before as_of, stage dates
  after as_of ignored, ``kpi.funnel.reached_flags``). A review date counts when filled, even if it lies after
  as_of: a committee date that is known in advance is exactly what "審査日キャッチ" means.
* review_capture_rate looks at the review-date columns present in the file; with none of the four it is n/a.
* Per region, visits_per_day = visit rows of the region / distinct (rep, day) pairs with a visit there.
* "Below the guide" means outside any guide: visits/day below the minimum *or above the maximum* (the
  guide is a 2–3 band), travel minutes/day above the maximum, or minutes-within-24h below its target.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import asof
from .abtest import AbSettings, AbView, ab_view
from .sla import SlaSettings, SlaView, sla_view
from .targets import Targets, rag, rag_band

HABIT_MEETING_TYPES: tuple[str, ...] = ("visit", "online", "demo")
REVIEW_COLUMNS: tuple[str, ...] = ("ethics_review_on", "it_review_on", "purchasing_review_on", "board_on")
DAY = pd.Timedelta(days=1)

# Who owns each number (the role that can move it), by owner_role code. The table the pages and README show:
#   minutes within 24 h  -> field sales (the person in the meeting writes and sends the minutes)
#   key person           -> field sales + inside sales (IS names the key person before the meeting, FS confirms it)
#   review capture       -> field sales + consultant (both ask the hospital when its committees sit)
#   visits / travel      -> field sales (their own day plan)
# The input columns behind each KPI (for confidence grading and the "needs column X" note).
KPI_COLUMNS: dict[str, tuple[str, ...]] = {
    "minutes_within_24h_rate": ("activity_at", "type", "minutes_sent_at"),
    "key_person_rate": ("meeting_on", "key_person"),
    "review_capture_rate": ("meeting_on", "segment") + REVIEW_COLUMNS,
    "visits_per_day": ("activity_at", "rep", "type"),
    "travel_minutes_per_day": ("activity_at", "rep", "type", "travel_minutes"),
}
HABIT_KPIS: tuple[str, ...] = tuple(KPI_COLUMNS)  # (whose each is: the registry's KPI.owners)

# Columns graded for the confidence badge. Not the column the KPI itself measures (a blank minutes_sent_at or
# key_person *is* the finding, not bad data), but what tells whether the rows can be trusted: a blank
# travel_minutes counts as 0 (SPEC), so its fill rate is a real quality signal.
CONFIDENCE_COLUMNS: dict[str, tuple[str, ...]] = {
    "minutes_within_24h_rate": ("rep", "lead_id"),
    "key_person_rate": ("owner", "account"),
    "review_capture_rate": ("owner", "account"),
    "visits_per_day": ("rep", "region"),
    "travel_minutes_per_day": ("travel_minutes",),
}


@dataclass(frozen=True)
class Rate:
    """numerator / denominator; ``value`` is None when nothing is counted (never 0 by default)."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True)
class ReviewCapture:
    """Hospital leads that reached meeting with >= 1 review date, and each committee's own fill rate."""

    total: Rate
    committees: dict[str, Rate | None]  # None: that committee's column is absent from the file


@dataclass(frozen=True)
class HabitsSummary:
    """Everything the Habits page shows, computed once."""

    as_of: pd.Timestamp | None
    minutes: Rate | None
    key_person: Rate | None
    review: ReviewCapture | None
    visits_per_day: float | None
    travel_minutes_per_day: float | None
    reps: pd.DataFrame
    regions: pd.DataFrame
    daily: pd.DataFrame
    off_guide: pd.DataFrame
    rags: dict[str, str | None] = field(default_factory=dict)

    def value(self, key: str) -> float | None:
        return {
            "minutes_within_24h_rate": self.minutes.value if self.minutes else None,
            "key_person_rate": self.key_person.value if self.key_person else None,
            "review_capture_rate": self.review.total.value if self.review else None,
            "visits_per_day": self.visits_per_day,
            "travel_minutes_per_day": self.travel_minutes_per_day,
        }[key]


# ------------------------------------------------------------------ as_of and filtering
def default_as_of(activities: pd.DataFrame) -> pd.Timestamp | None:
    """The latest activity date (midnight), or None for an empty frame (kpi.asof, the one rule)."""
    return asof.default_as_of("activities", activities)


def _as_of(activities: pd.DataFrame, as_of: dt.date | pd.Timestamp | None) -> pd.Timestamp | None:
    return asof.resolve("activities", activities, as_of)


def activities_up_to(activities: pd.DataFrame, as_of: dt.date | pd.Timestamp | None) -> pd.DataFrame:
    """Rows with activity_at on or before the as_of day (the whole day included)."""
    as_of = _as_of(activities, as_of)
    if as_of is None:
        return activities.iloc[0:0]
    return activities[activities["activity_at"] < as_of + DAY]


# ------------------------------------------------------------------ minutes within 24 h
def minutes_within_flags(activities: pd.DataFrame, business_days: bool = False) -> pd.Series:
    """Per row: minutes sent within the SPEC window (rows of any type; callers pick visit/online/demo).

    With a time on activity_at: minutes_sent_at <= activity_at + 24 h (a date-only minutes_sent_at is 00:00 of
    its day, as loaded). Without a time: sent on the same or the next calendar day. Sent before the activity
    counts as within; no minutes_sent_at is not within.

    ``business_days`` (a setting, off by default): the 24 h are counted on Japanese business days only
    (weekends, 祝日 and 年末年始 stop the clock, ``kpi.business_days``), and "the next day" is the next business day:
    minutes for a Friday-afternoon visit sent on Monday morning are within.
    """
    at = activities["activity_at"]
    sent = activities["minutes_sent_at"]
    has_time = activities["activity_at_has_time"] if "activity_at_has_time" in activities.columns else at.ne(at.dt.normalize())
    if business_days:
        from .business_days import business_days_between, business_hours_between

        timed = business_hours_between(at, sent).le(24) | (sent <= at)
        dated = business_days_between(at, sent).le(1)
    else:
        timed = sent <= at + pd.Timedelta(hours=24)
        dated = sent.dt.normalize() <= at.dt.normalize() + DAY
    return sent.notna() & timed.where(has_time.astype(bool), dated)


def minutes_within_24h_rate(activities: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None, business_days: bool = False) -> Rate | None:
    """Activities of type visit/online/demo up to as_of with minutes sent within 24 h / those activities.

    None (n/a) when the file has no minutes_sent_at column.

    >>> df = pd.DataFrame({"activity_at": pd.to_datetime(["2026-11-02 10:00", "2026-11-02 00:00"]),
    ...     "activity_at_has_time": [True, False], "type": ["visit", "online"], "rep": ["a", "a"],
    ...     "minutes_sent_at": pd.to_datetime(["2026-11-03 10:00", "2026-11-04 00:00"])})
    >>> minutes_within_24h_rate(df)
    Rate(numerator=1, denominator=2)
    """
    if "minutes_sent_at" not in activities.columns:
        return None
    acts = activities_up_to(activities, as_of)
    acts = acts[acts["type"].isin(HABIT_MEETING_TYPES)]
    return Rate(int(minutes_within_flags(acts, business_days).sum()), len(acts))


# ------------------------------------------------------------------ leads-based habits
def _meeting_cohort(leads: pd.DataFrame, as_of) -> pd.DataFrame:
    """Leads created on or before as_of that reached meeting by as_of (the funnel's own reached rule)."""
    from .funnel import default_as_of as leads_default_as_of
    from .funnel import reached_flags

    as_of = pd.Timestamp(leads_default_as_of(leads) if as_of is None else as_of).normalize()
    flags = reached_flags(leads, as_of)
    in_cohort = leads["created_at"] < as_of + DAY
    return leads[flags["meeting"].astype(bool) & in_cohort]


def _filled(series: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return series.notna()
    return series.notna() & series.astype("string").str.strip().ne("").fillna(False)


def key_person_rate(leads: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None) -> Rate | None:
    """Leads that reached meeting with key_person filled / leads that reached meeting (n/a without key_person)."""
    if "key_person" not in leads.columns:
        return None
    met = _meeting_cohort(leads, as_of)
    return Rate(int(_filled(met["key_person"]).sum()), len(met))


def review_capture_rate(leads: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None) -> ReviewCapture | None:
    """審査日キャッチ率: hospital leads that reached meeting with >= 1 review date / hospital leads that reached meeting.

    Also each committee's own fill rate over the same denominator (None for a committee column that is absent).
    None (n/a) when none of the four review-date columns is in the file.
    """
    present = [c for c in REVIEW_COLUMNS if c in leads.columns]
    if not present:
        return None
    met = _meeting_cohort(leads, as_of)
    hospital = met[met["segment"].eq("hospital").fillna(False)]
    filled = pd.DataFrame({c: hospital[c].notna() for c in present}, index=hospital.index)
    total = Rate(int(filled.any(axis=1).sum()), len(hospital))
    committees = {c: (Rate(int(filled[c].sum()), len(hospital)) if c in present else None) for c in REVIEW_COLUMNS}
    return ReviewCapture(total, committees)


def kpi_rows(key: str, activities: pd.DataFrame | None, leads: pd.DataFrame | None, as_of) -> pd.DataFrame | None:
    """The rows that form the denominator of one habit KPI (for its confidence badge); None without the dataset."""
    if key in ("key_person_rate", "review_capture_rate"):
        if leads is None or not len(leads):
            return None
        met = _meeting_cohort(leads, as_of)
        return met[met["segment"].eq("hospital").fillna(False)] if key == "review_capture_rate" else met
    if activities is None:
        return None
    acts = activities_up_to(activities, as_of)
    types = HABIT_MEETING_TYPES if key == "minutes_within_24h_rate" else ("visit",)
    return acts[acts["type"].isin(types)]


# ------------------------------------------------------------------ visits and travel per day
def _visits(activities: pd.DataFrame, as_of) -> pd.DataFrame:
    acts = activities_up_to(activities, as_of)
    visits = acts[acts["type"].eq("visit")]
    travel = visits["travel_minutes"].fillna(0.0) if "travel_minutes" in visits.columns else pd.Series(np.nan, index=visits.index)
    return pd.DataFrame({"rep": visits["rep"], "region": visits["region"], "day": visits["activity_at"].dt.normalize(), "travel": travel})


def rep_habits(activities: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None, business_days: bool = False) -> pd.DataFrame:
    """One row per rep with any activity up to as_of, sorted by visits_per_day (lowest first).

    Columns: rep, region (where most of the rep's visits are), visits, visit_days, visits_per_day,
    travel_minutes, travel_minutes_per_day (NaN without the travel_minutes column; a blank cell is 0),
    minutes_activities, minutes_within, minutes_within_24h_rate (NaN without minutes_sent_at).
    A rep without a visit day has NaN visits_per_day / travel_minutes_per_day.
    """
    acts = activities_up_to(activities, as_of)
    reps = pd.Index(acts["rep"].dropna().unique(), name="rep")
    v = _visits(activities, as_of)
    grouped = v.groupby("rep")
    out = pd.DataFrame(index=reps)
    out["region"] = v.groupby(["rep", "region"]).size().sort_values(ascending=False).reset_index().drop_duplicates("rep").set_index("rep")["region"]
    out["visits"] = grouped.size().reindex(reps).fillna(0).astype("int64")
    out["visit_days"] = grouped["day"].nunique().reindex(reps).fillna(0).astype("int64")
    days = out["visit_days"].where(out["visit_days"] > 0)
    out["visits_per_day"] = out["visits"] / days
    has_travel = "travel_minutes" in activities.columns
    out["travel_minutes"] = grouped["travel"].sum().reindex(reps).fillna(0.0) if has_travel else np.nan
    out["travel_minutes_per_day"] = out["travel_minutes"] / days if has_travel else np.nan
    if "minutes_sent_at" in activities.columns:
        meet = acts[acts["type"].isin(HABIT_MEETING_TYPES)]
        within = minutes_within_flags(meet, business_days)
        out["minutes_activities"] = meet.groupby("rep").size().reindex(reps).fillna(0).astype("int64")
        out["minutes_within"] = within.groupby(meet["rep"]).sum().reindex(reps).fillna(0).astype("int64")
        out["minutes_within_24h_rate"] = out["minutes_within"] / out["minutes_activities"].where(out["minutes_activities"] > 0)
    else:
        out["minutes_activities"] = out["minutes_within"] = 0
        out["minutes_within_24h_rate"] = np.nan
    return out.reset_index().sort_values(["visits_per_day", "rep"], na_position="last").reset_index(drop=True)


def region_habits(activities: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None) -> pd.DataFrame:
    """Per region of the visit rows: reps, visits, rep_days, visits_per_day = visits / rep_days, travel_minutes_per_day."""
    v = _visits(activities, as_of)
    if not len(v):
        return pd.DataFrame(columns=["region", "reps", "visits", "rep_days", "visits_per_day", "travel_minutes_per_day"])
    g = v.groupby("region")
    out = pd.DataFrame({
        "reps": g["rep"].nunique(),
        "visits": g.size(),
        "rep_days": v.drop_duplicates(["region", "rep", "day"]).groupby("region").size(),
        "travel": g["travel"].sum(min_count=1),
    })
    out["visits_per_day"] = out["visits"] / out["rep_days"]
    out["travel_minutes_per_day"] = out["travel"] / out["rep_days"]
    return out.drop(columns="travel").reset_index().sort_values("visits_per_day").reset_index(drop=True)


def mean_over_reps(reps: pd.DataFrame, column: str) -> float | None:
    """SPEC: the mean over reps with at least one visit day (None when no rep has one or the column is n/a)."""
    values = reps.loc[reps["visit_days"] > 0, column].dropna()
    return float(values.mean()) if len(values) else None


def daily_trend(activities: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None, days: int | None = None,
                business_days: bool = False) -> pd.DataFrame:
    """Per calendar day up to as_of: reps with a visit, visits, visits_per_rep (visits / those reps),
    travel_minutes_per_rep, minutes_activities, minutes_within, minutes_within_24h_rate.
    ``days`` keeps only the last N calendar days (as_of included)."""
    as_of = _as_of(activities, as_of)
    cols = ["date", "reps", "visits", "visits_per_rep", "travel_minutes_per_rep", "minutes_activities", "minutes_within", "minutes_within_24h_rate"]
    if as_of is None:
        return pd.DataFrame(columns=cols)
    acts = activities_up_to(activities, as_of)
    if days is not None:
        acts = acts[acts["activity_at"] >= as_of - (days - 1) * DAY]
    v = _visits(acts, as_of)
    g = v.groupby("day")
    out = pd.DataFrame({"reps": g["rep"].nunique(), "visits": g.size(), "travel": g["travel"].sum(min_count=1)})
    if "minutes_sent_at" in acts.columns:
        meet = acts[acts["type"].isin(HABIT_MEETING_TYPES)]
        day = meet["activity_at"].dt.normalize()
        out = out.join(pd.DataFrame({"minutes_activities": meet.groupby(day).size(), "minutes_within": minutes_within_flags(meet, business_days).groupby(day).sum()}), how="outer")
        out["minutes_within_24h_rate"] = out["minutes_within"] / out["minutes_activities"]
    else:
        out["minutes_activities"] = out["minutes_within"] = out["minutes_within_24h_rate"] = np.nan
    out[["reps", "visits"]] = out[["reps", "visits"]].fillna(0).astype("int64")
    out["visits_per_rep"] = out["visits"] / out["reps"].where(out["reps"] > 0)
    out["travel_minutes_per_rep"] = out["travel"] / out["reps"].where(out["reps"] > 0)
    out.index.name = "date"
    return out.reset_index()[cols].sort_values("date").reset_index(drop=True)


# ------------------------------------------------------------------ guides and RAG
def kpi_rag(key: str, value: float | None, targets: Targets) -> str | None:
    """RAG of one habit KPI against its guide (SPEC RAG rule; visits/day is a band min..max)."""
    if value is None or math.isnan(value):
        return None
    if key == "visits_per_day":
        return rag_band(value, targets.visits_per_day_min, targets.visits_per_day_max)
    if key == "travel_minutes_per_day":
        return rag(value, targets.travel_minutes_per_day_max, higher_is_better=False)
    return rag(value, getattr(targets, key))


def reps_off_guide(reps: pd.DataFrame, targets: Targets) -> pd.DataFrame:
    """Reps outside any guide, most issues first: flags visits_low, visits_high, travel_high, minutes_low, issues."""
    out = reps.copy()
    out["visits_low"] = out["visits_per_day"].lt(targets.visits_per_day_min).fillna(False)
    out["visits_high"] = out["visits_per_day"].gt(targets.visits_per_day_max).fillna(False)
    out["travel_high"] = out["travel_minutes_per_day"].gt(targets.travel_minutes_per_day_max).fillna(False)
    out["minutes_low"] = out["minutes_within_24h_rate"].lt(targets.minutes_within_24h_rate).fillna(False)
    flags = ["visits_low", "visits_high", "travel_high", "minutes_low"]
    out[flags] = out[flags].astype(bool)
    out["issues"] = out[flags].sum(axis=1).astype("int64")
    out = out[out["issues"] > 0]
    return out.sort_values(["issues", "visits_per_day", "rep"], ascending=[False, True, True], na_position="last").reset_index(drop=True)


# ------------------------------------------------------------------ one call for the page, one for the CLI
def summary_as_of(activities: pd.DataFrame, leads: pd.DataFrame | None) -> pd.Timestamp | None:
    """The summary's default date: the later of the activities' and the leads' own defaults (midnight)."""
    candidates = [default_as_of(activities)]
    if leads is not None and len(leads):
        from .funnel import default_as_of as leads_default_as_of

        candidates.append(pd.Timestamp(leads_default_as_of(leads)).normalize())
    candidates = [c for c in candidates if c is not None]
    as_of = max(candidates) if candidates else None
    return None if as_of is None else pd.Timestamp(as_of).normalize()


def habits_summary(activities: pd.DataFrame, leads: pd.DataFrame | None, as_of: dt.date | pd.Timestamp | None,
                   targets: Targets | None = None, trend_days: int | None = None, business_days: bool | None = None) -> HabitsSummary:
    """All habit KPIs as of one date (None: the later of the activities' and the leads' own defaults).
    ``business_days``: the 24-hour minutes rule counts Japanese business days (None: as the team's Targets set it,
    ``Targets.business_days``; calendar days by default)."""
    targets = targets or Targets()
    business_days = targets.business_days if business_days is None else business_days
    as_of = summary_as_of(activities, leads) if as_of is None else pd.Timestamp(as_of).normalize()
    reps = rep_habits(activities, as_of, business_days)
    has_leads = leads is not None and len(leads) > 0 and as_of is not None
    summary = HabitsSummary(
        as_of=as_of,
        minutes=minutes_within_24h_rate(activities, as_of, business_days),
        key_person=key_person_rate(leads, as_of) if has_leads else None,
        review=review_capture_rate(leads, as_of) if has_leads else None,
        visits_per_day=mean_over_reps(reps, "visits_per_day"),
        travel_minutes_per_day=mean_over_reps(reps, "travel_minutes_per_day") if "travel_minutes" in activities.columns else None,
        reps=reps,
        regions=region_habits(activities, as_of),
        daily=daily_trend(activities, as_of, trend_days, business_days),
        off_guide=reps_off_guide(reps, targets),
    )
    rags = {k: kpi_rag(k, summary.value(k), targets) for k in HABIT_KPIS}
    return HabitsSummary(**{**summary.__dict__, "rags": rags})


@dataclass(frozen=True)
class HabitsView:
    """Everything the Habits page shows, computed once: the summary as of the day and a week before (the tiles'
    change), the partner SLA (None without leads or its columns) and the contact-rate A/B."""

    now: HabitsSummary
    prev: HabitsSummary
    sla: SlaView | None
    ab: AbView | None


def habits_view(activities: pd.DataFrame, leads: pd.DataFrame | None, as_of: dt.date, targets: Targets | None = None,
                days: int | None = None, business_days: bool | None = None, sla_settings: SlaSettings | None = None,
                ab_settings: AbSettings | None = None) -> HabitsView:
    """The Habits page's view of (already filtered) ``activities`` / ``leads`` as of ``as_of``."""
    now = habits_summary(activities, leads, as_of, targets, trend_days=days, business_days=business_days)
    prev = habits_summary(activities, leads, as_of - dt.timedelta(days=7), targets, trend_days=days, business_days=business_days)
    return HabitsView(now, prev, sla_view(leads, as_of, sla_settings) if leads is not None else None,
                      ab_view(activities, as_of, ab_settings))


def activities_section(activities: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None, targets: Targets | None = None) -> dict:
    """SPEC section 3 ``activities``: minutes_within_24h_rate, and the means over reps of visits/travel per day. The
    24-hour rule counts business days when the team's Targets say so (``Targets.business_days``), as on the page."""
    business_days = (targets or Targets()).business_days
    reps = rep_habits(activities, as_of, business_days)
    minutes = minutes_within_24h_rate(activities, as_of, business_days)
    return {
        "minutes_within_24h_rate": minutes.value if minutes else None,
        "visits_per_day": mean_over_reps(reps, "visits_per_day"),
        "travel_minutes_per_day": mean_over_reps(reps, "travel_minutes_per_day") if "travel_minutes" in activities.columns else None,
    }
