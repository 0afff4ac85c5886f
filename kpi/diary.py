"""Numbers with their story: the one-line diary (activities.note) and the minutes saved (activities.minutes_saved).

Readings chosen here:

* "This week" is the 7 days up to ``as_of`` (as_of − 6 … as_of, calendar dates of activity_at).
* ``minutes_saved`` is "whose time, how many minutes": the customer's staff time the activity saved, as the rep
  wrote it. Blank is unknown, not 0: it counts neither as a saving nor as an activity with a saving.
* Minutes saved per account and per lead sum every activity up to as_of (the story so far), with the number of
  activities that noted a saving and the latest note.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

WEEK_DAYS = 7
NOTE_COLUMNS = ["date", "region", "rep", "account", "lead_id", "type", "note", "minutes_saved"]
SAVED_COLUMNS = ["minutes_saved", "activities", "last_date", "last_note"]


def _day(activities: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(activities["activity_at"]).dt.normalize()


def week_notes(activities: pd.DataFrame, as_of, days: int = WEEK_DAYS) -> pd.DataFrame:
    """This week's diary lines (activities with a note in the ``days`` days up to as_of), by region, rep, then time:
    date, region, rep, account, lead_id, type, note, minutes_saved."""
    if "note" not in activities.columns:
        return pd.DataFrame(columns=NOTE_COLUMNS)
    as_of = pd.Timestamp(as_of).normalize()
    day = _day(activities)
    note = activities["note"].astype("string").str.strip()
    keep = (day > as_of - pd.Timedelta(days=days)) & (day <= as_of) & note.fillna("").ne("")
    rows = activities[keep]
    out = pd.DataFrame({c: rows[c] if c in rows.columns else pd.NA for c in NOTE_COLUMNS if c not in ("date", "note")}, index=rows.index)
    out.insert(0, "date", pd.to_datetime(rows["activity_at"]))
    out.insert(6, "note", note[keep])
    out["region"] = out["region"].fillna("other")
    out["minutes_saved"] = pd.to_numeric(out["minutes_saved"], errors="coerce")
    return out.sort_values(["region", "rep", "date"], kind="stable").reset_index(drop=True)[NOTE_COLUMNS]


def minutes_saved_by(activities: pd.DataFrame, by: str, as_of=None) -> pd.DataFrame | None:
    """Per ``by`` (account or lead_id), over activities up to as_of with minutes_saved filled: minutes_saved (sum),
    activities (how many noted a saving), last_date, last_note (the latest of those activities' note); most minutes
    first. None when minutes_saved or ``by`` is absent."""
    if "minutes_saved" not in activities.columns or by not in activities.columns:
        return None
    day = _day(activities)
    saved = pd.to_numeric(activities["minutes_saved"], errors="coerce")
    keep = saved.notna() & activities[by].notna() & (day <= pd.Timestamp(as_of).normalize() if as_of is not None else True)
    if by == "lead_id":
        keep &= activities[by].astype("string").str.strip().fillna("").ne("")
    rows = activities[keep]
    note = rows["note"] if "note" in rows.columns else pd.Series(pd.NA, index=rows.index)
    frame = pd.DataFrame({by: rows[by], "saved": saved[keep], "day": day[keep], "at": pd.to_datetime(rows["activity_at"]), "note": note})
    latest = frame.sort_values(["at"], kind="stable").groupby(by).tail(1).set_index(by)
    g = frame.groupby(by)
    out = pd.DataFrame({"minutes_saved": g["saved"].sum(), "activities": g.size()})
    out["last_date"], out["last_note"] = latest["day"], latest["note"]
    out = out.reset_index().sort_values(["minutes_saved", by], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)[[by] + SAVED_COLUMNS]


@dataclass(frozen=True)
class Story:
    """What the weekly page shows beside the numbers: this week's diary lines and the minutes saved."""

    notes: pd.DataFrame
    saved_total_week: float | None   # minutes saved noted this week (None without the column)
    by_account: pd.DataFrame | None
    by_lead: pd.DataFrame | None


def story(activities: pd.DataFrame | None, as_of) -> Story | None:
    """The diary and the minutes saved as of ``as_of``; None without activities."""
    if activities is None:
        return None
    as_of = pd.Timestamp(as_of).normalize()
    total = None
    if "minutes_saved" in activities.columns:
        day = _day(activities)
        week = (day > as_of - pd.Timedelta(days=WEEK_DAYS)) & (day <= as_of)
        total = float(pd.to_numeric(activities.loc[week, "minutes_saved"], errors="coerce").sum())
    return Story(week_notes(activities, as_of), total, minutes_saved_by(activities, "account", as_of),
                 minutes_saved_by(activities, "lead_id", as_of))
