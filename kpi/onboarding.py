"""Onboarding KPIs (SPEC section 2 "Onboarding"): who started, who graduated, where users drop, NPS.

Input: the validated ``onboarding`` frame (one row per user per session; kpi/__init__.py). A user is the
pair (customer, user). Everything here is vectorised pandas and takes ``as_of`` / ``targets`` explicitly.

Readings chosen where SPEC is silent (also in the docstrings below):
* as_of default: the latest ``held_on`` of a done session (else the latest held_on / scheduled_on at all).
* Rows dated after as_of do not count: a done / missed row counts when its date (held_on, else
  scheduled_on) is on or before as_of, or when it carries no date at all.
* ``graduation_rate`` is graduated / started literally (a graduate without a session-1 row still counts
  as graduated).
* A done session without held_on can start / graduate a user but cannot keep them from "dropped"
  (we cannot tell when it happened).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from . import asof
from .messages import ONBOARDING_REPORT_HEADERS, ONBOARDING_REPORT_METRICS, ONBOARDING_SHEETS
from .targets import Targets

SESSIONS: tuple[int, ...] = tuple(range(13))
PHASES: tuple[tuple[str, int, int], ...] = (("kickoff", 0, 0), ("purpose", 1, 2), ("features", 3, 8), ("operation", 9, 12))
GRID_STATES: tuple[str, ...] = ("done", "missed", "scheduled", "not_yet")
SUCCESS_LEVELS: tuple[str, ...] = ("level1", "level2", "needs_support")
USER_KEYS = ["customer", "user"]


def phase_of(session_no: pd.Series) -> pd.Series:
    """0 kickoff, 1–2 purpose, 3–8 features, 9–12 operation."""
    bins = [-1, 0, 2, 8, 12]
    return pd.cut(session_no, bins=bins, labels=[p[0] for p in PHASES]).astype("str")


def default_as_of(df: pd.DataFrame) -> pd.Timestamp | None:
    """The latest held_on of a done session; else the latest held_on or scheduled_on; None without dates (kpi.asof)."""
    return asof.default_as_of("onboarding", df)


def _as_of(df: pd.DataFrame, as_of) -> pd.Timestamp | None:
    return asof.resolve("onboarding", df, as_of)


def _row_date(df: pd.DataFrame) -> pd.Series:
    """The date a row happened (held_on) or was planned for (scheduled_on)."""
    date = df["held_on"] if "held_on" in df.columns else pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    if "scheduled_on" in df.columns:
        date = date.fillna(df["scheduled_on"])
    return date


def counted_rows(df: pd.DataFrame, as_of: pd.Timestamp | None) -> pd.DataFrame:
    """Rows that had happened by as_of: dated on or before as_of, or undated."""
    if as_of is None:
        return df
    date = _row_date(df)
    return df[date.isna() | (date <= as_of)]


def _users(df: pd.DataFrame) -> pd.DataFrame:
    return df[USER_KEYS].drop_duplicates().reset_index(drop=True)


def _latest_non_null(df: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per user, the value of ``column`` on its latest row where it is filled (session, held_on, row order)."""
    order = [c for c in ("session_no", "held_on", "_row") if c in df.columns]
    rows = df[df[column].notna()].sort_values(order, kind="stable")
    return rows.groupby(USER_KEYS, sort=False).tail(1)[USER_KEYS + [column]]


@dataclass(frozen=True)
class OnboardingSummary:
    as_of: pd.Timestamp | None
    users: int
    started: int
    graduated: int
    graduation_rate: float | None
    reached_by_session: tuple[int, ...]
    dropped: int | None
    attendance_rate: float | None
    done_rows: int
    missed_rows: int
    days_to_graduate: float | None
    nps: float | None
    promoters: int
    passives: int
    detractors: int
    nps_respondents: int
    missing: tuple[str, ...] = field(default=())  # columns that would enable a KPI shown as n/a


def user_progress(df: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """One row per user: highest done session, started, graduated, first session-1 and session-12 dates,
    last done session (number and held_on), days since it."""
    as_of = _as_of(df, as_of)
    rows = counted_rows(df, as_of)
    users = _users(df)
    done = rows[rows["status"] == "done"]
    held = done["held_on"] if "held_on" in done.columns else pd.Series(pd.NaT, index=done.index, dtype="datetime64[ns]")
    done = done.assign(held_on=held)
    g = done.groupby(USER_KEYS)
    out = users.merge(g["session_no"].max().rename("highest_done").reset_index(), on=USER_KEYS, how="left")
    s1 = done[done["session_no"] == 1].groupby(USER_KEYS)["held_on"].min().rename("session1_on").reset_index()
    s12 = done[done["session_no"] == 12].groupby(USER_KEYS)["held_on"].min().rename("session12_on").reset_index()
    out = out.merge(s1, on=USER_KEYS, how="left").merge(s12, on=USER_KEYS, how="left")
    flags = done.assign(started=done["session_no"] == 1, graduated=done["session_no"] == 12).groupby(USER_KEYS)[["started", "graduated"]].any().reset_index()
    out = out.merge(flags, on=USER_KEYS, how="left")
    out[["started", "graduated"]] = out[["started", "graduated"]].fillna(False).astype(bool)
    dated = done[done["held_on"].notna()].sort_values(["held_on", "session_no"], kind="stable")
    last = dated.groupby(USER_KEYS).tail(1)[USER_KEYS + ["session_no", "held_on"]].rename(columns={"session_no": "last_session", "held_on": "last_done_on"})
    out = out.merge(last, on=USER_KEYS, how="left")
    out["days_since"] = (as_of - out["last_done_on"]).dt.days if as_of is not None else pd.NA
    return out


def dropped_users(df: pd.DataFrame, as_of=None, targets: Targets | None = None) -> pd.DataFrame | None:
    """Stalled users: started, not graduated, no done session with held_on > as_of − drop_days.

    Columns: customer, user, last_session, last_done_on, days_since (NaN when no done session is dated).
    Sorted longest silence first. None when held_on is absent (the rule needs dates).
    """
    targets = targets or Targets()
    if df is None or "held_on" not in df.columns:
        return None
    as_of = _as_of(df, as_of)
    prog = user_progress(df, as_of)
    if as_of is None:
        return prog.iloc[0:0][USER_KEYS + ["last_session", "last_done_on", "days_since"]]
    cutoff = as_of - pd.Timedelta(days=targets.onboarding_drop_days)
    recent = prog["last_done_on"] > cutoff  # NaT compares False
    out = prog[prog["started"] & ~prog["graduated"] & ~recent]
    out = out.sort_values(["days_since", "customer", "user"], ascending=[False, True, True], na_position="first")
    return out[USER_KEYS + ["last_session", "last_done_on", "days_since"]].reset_index(drop=True)


def nps_scores(df: pd.DataFrame) -> pd.DataFrame | None:
    """Each user's latest score and its class (promoter 9–10, passive 7–8, detractor 0–6); None without nps_score."""
    if df is None or "nps_score" not in df.columns:
        return None
    latest = _latest_non_null(df, "nps_score").reset_index(drop=True)
    score = latest["nps_score"]
    latest["nps_class"] = pd.Series("passive", index=latest.index).mask(score >= 9, "promoter").mask(score <= 6, "detractor")
    return latest


def _levels(rows: pd.DataFrame, users: pd.DataFrame, targets: Targets) -> pd.DataFrame:
    """``users`` (customer, user) with the latest same_day_record_rate and guidance_use_rate at sessions 9–11, the
    latest usage_stage (any session) and the level they give (SPEC 2: level1 / level2 / needs_support)."""
    out = users.reset_index(drop=True)
    late = rows[rows["session_no"].between(9, 11)]
    for col in ("same_day_record_rate", "guidance_use_rate"):
        if col in rows.columns:
            out = out.merge(_latest_non_null(late, col), on=USER_KEYS, how="left")
        else:
            out[col] = float("nan")
    if "usage_stage" in rows.columns:
        out = out.merge(_latest_non_null(rows, "usage_stage"), on=USER_KEYS, how="left")
    else:
        out["usage_stage"] = float("nan")
    level1 = (out["same_day_record_rate"] >= targets.same_day_record_rate_min) & (out["guidance_use_rate"] >= targets.guidance_use_rate_min)
    level2 = out["usage_stage"] >= 2
    out["level"] = pd.Series("needs_support", index=out.index).mask(level2, "level2").mask(level1, "level1")
    return out


def success_levels(df: pd.DataFrame, as_of=None, targets: Targets | None = None) -> pd.DataFrame | None:
    """Success level per graduate (users with session 12 done).

    level1: the latest same_day_record_rate and the latest guidance_use_rate among sessions 9–11 (each its
    own latest filled value) meet Targets.same_day_record_rate_min / guidance_use_rate_min;
    else level2: the user's latest usage_stage (any session) ≥ 2; else needs_support.
    A missing value fails its test. None when none of the three columns exists.
    """
    targets = targets or Targets()
    cols = ("same_day_record_rate", "guidance_use_rate", "usage_stage")
    if df is None or not any(c in df.columns for c in cols):
        return None
    as_of = _as_of(df, as_of)
    prog = user_progress(df, as_of)
    return _levels(counted_rows(df, as_of), prog.loc[prog["graduated"], USER_KEYS], targets)


def below_level1_in_programme(df: pd.DataFrame, as_of=None, targets: Targets | None = None) -> pd.DataFrame | None:
    """Users still in the programme (not graduated, not dropped) who have done session 9 or later and are below
    success level 1 now — checked while there are sessions left to help them (SPEC 2 success level, read at
    sessions 9–11 so far). Columns: customer, user, highest_done, same_day_record_rate, guidance_use_rate,
    usage_stage, level (level2 / needs_support). A rate not yet recorded fails its test (shown blank). Sorted
    needs_support first, then the lowest same-day record rate. None when none of the three columns exists."""
    targets = targets or Targets()
    if df is None or not any(c in df.columns for c in ("same_day_record_rate", "guidance_use_rate", "usage_stage")):
        return None
    as_of = _as_of(df, as_of)
    prog = user_progress(df, as_of)
    current = prog[~prog["graduated"] & (prog["highest_done"] >= 9)]
    drops = dropped_users(df, as_of, targets)
    if drops is not None and len(drops):
        current = current.merge(drops[USER_KEYS].assign(_drop=True), on=USER_KEYS, how="left")
        current = current[current["_drop"].isna()]
    out = _levels(counted_rows(df, as_of), current[USER_KEYS], targets)
    out = out.merge(current[USER_KEYS + ["highest_done"]], on=USER_KEYS, how="left")
    out = out[out["level"] != "level1"].assign(_rank=lambda f: (f["level"] == "level2").astype(int))
    out = out.sort_values(["_rank", "same_day_record_rate", "customer", "user"], na_position="first")
    cols = USER_KEYS + ["highest_done", "same_day_record_rate", "guidance_use_rate", "usage_stage", "level"]
    return out[cols].astype({"highest_done": "int64"}).reset_index(drop=True)


def homework_rates(df: pd.DataFrame, as_of=None) -> tuple[float | None, pd.DataFrame, pd.DataFrame] | None:
    """Homework done over done sessions 1–12 up to as_of (the kickoff sets no homework): the overall rate, and
    per session_no and per trainer the rows ``sessions``, ``homework`` and ``rate``. A blank 宿題 cell reads as
    not done (SPEC 1 booleans: empty → false). None without a homework_done column."""
    if df is None or "homework_done" not in df.columns:
        return None
    rows = counted_rows(df, _as_of(df, as_of))
    rows = rows[(rows["status"] == "done") & (rows["session_no"] >= 1)]
    done = rows["homework_done"].astype("boolean").fillna(False).astype(bool)
    frame = rows.assign(_hw=done)

    def per(by: str) -> pd.DataFrame:
        if by not in frame.columns:
            return pd.DataFrame(columns=[by, "sessions", "homework", "rate"])
        g = frame.groupby(by)["_hw"].agg(sessions="size", homework="sum").reset_index()
        g["rate"] = (g["homework"] / g["sessions"]).astype("float64")
        return g.astype({"homework": "int64"})

    overall = float(done.mean()) if len(done) else None
    by_trainer = per("trainer").sort_values(["rate", "trainer"]).reset_index(drop=True) if "trainer" in frame.columns else None
    return overall, per("session_no").astype({"session_no": "int64"}), by_trainer


def by_programme(df: pd.DataFrame, as_of=None, targets: Targets | None = None) -> pd.DataFrame | None:
    """NPS and graduation per programme version (the optional 期 / プログラム column): program, first_session_on
    (the earliest session of its users, so the versions read in the order they ran), users, started, graduated,
    graduation_rate, nps, respondents. A user's programme is the latest one written on their rows. None without
    a program column."""
    if df is None or "program" not in df.columns:
        return None
    as_of = _as_of(df, as_of)
    member = _latest_non_null(df, "program")
    rows = df.drop(columns="program").merge(member, on=USER_KEYS, how="inner")
    out = []
    for program, part in rows.groupby("program", sort=False):
        s = summary(part, as_of, targets)
        first = _row_date(part).min()
        out.append({"program": program, "first_session_on": first, "users": s.users, "started": s.started, "graduated": s.graduated,
                    "graduation_rate": s.graduation_rate, "nps": s.nps, "respondents": s.nps_respondents})
    cols = ["program", "first_session_on", "users", "started", "graduated", "graduation_rate", "nps", "respondents"]
    return pd.DataFrame(out, columns=cols).sort_values(["first_session_on", "program"]).reset_index(drop=True)


def trainer_workload(df: pd.DataFrame, as_of=None) -> pd.DataFrame | None:
    """Sessions per trainer per week (Monday start): done, missed and scheduled rows.

    The week of a row is its held_on, else scheduled_on; undated rows are left out. Scheduled rows are
    counted in any week (the coming weeks show the planned load); done / missed rows up to as_of.
    None without a trainer column.
    """
    if df is None or "trainer" not in df.columns:
        return None
    as_of = _as_of(df, as_of)
    date = _row_date(df)
    keep = date.notna() & df["trainer"].notna()
    if as_of is not None:
        keep &= (date <= as_of) | (df["status"] == "scheduled")
    rows = df[keep]
    week = (date[keep] - pd.to_timedelta(date[keep].dt.day_of_week, unit="D")).dt.normalize()
    counts = pd.crosstab([rows["trainer"], week.rename("week")], rows["status"])
    for s in ("done", "missed", "scheduled"):
        if s not in counts.columns:
            counts[s] = 0
    out = counts[["done", "missed", "scheduled"]].reset_index()
    out.columns.name = None
    return out.sort_values(["week", "trainer"]).reset_index(drop=True)


def progress_grid(df: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """Long frame user × session 0–12: customer, user, session_no, phase, state.

    state: done (a done row by as_of) > scheduled (a scheduled row, or a done row dated after as_of)
    > missed > not_yet (no row, or only cancelled). A missed session redone shows as done.
    """
    as_of = _as_of(df, as_of)
    users = _users(df)
    grid = users.merge(pd.DataFrame({"session_no": list(SESSIONS)}), how="cross")
    date = _row_date(df)
    future = date > as_of if as_of is not None else pd.Series(False, index=df.index)
    status = df["status"].mask((df["status"].isin(["done", "missed"])) & future, "scheduled")
    rank = status.map({"done": 3, "scheduled": 2, "missed": 1}).fillna(0)
    best = df[USER_KEYS + ["session_no"]].assign(rank=rank).groupby(USER_KEYS + ["session_no"])["rank"].max().reset_index()
    grid = grid.merge(best, on=USER_KEYS + ["session_no"], how="left")
    grid["state"] = grid["rank"].fillna(0).map({3: "done", 2: "scheduled", 1: "missed", 0: "not_yet"})
    grid["phase"] = phase_of(grid["session_no"])
    return grid.drop(columns="rank").sort_values(USER_KEYS + ["session_no"]).reset_index(drop=True)


def summary(df: pd.DataFrame, as_of=None, targets: Targets | None = None) -> OnboardingSummary:
    """Every headline number of the onboarding page (SPEC section 2 and 4)."""
    targets = targets or Targets()
    as_of = _as_of(df, as_of)
    prog = user_progress(df, as_of)
    rows = counted_rows(df, as_of)
    started = int(prog["started"].sum())
    graduated = int(prog["graduated"].sum())
    highest = prog["highest_done"]
    reached = tuple(int((highest >= k).sum()) for k in range(1, 13))
    drops = dropped_users(df, as_of, targets)
    done_rows = int((rows["status"] == "done").sum())
    missed_rows = int((rows["status"] == "missed").sum())
    days = (prog["session12_on"] - prog["session1_on"]).dt.days.dropna()
    nps = nps_scores(df)
    missing = tuple(c for c in ("held_on", "nps_score", "trainer", "same_day_record_rate", "guidance_use_rate", "usage_stage") if c not in df.columns)
    if nps is not None and len(nps):
        counts = nps["nps_class"].value_counts()
        promoters, passives, detractors = (int(counts.get(k, 0)) for k in ("promoter", "passive", "detractor"))
        n = len(nps)
        nps_value: float | None = 100.0 * (promoters - detractors) / n
    else:
        promoters = passives = detractors = n = 0
        nps_value = None
    return OnboardingSummary(
        as_of=as_of,
        users=len(prog),
        started=started,
        graduated=graduated,
        graduation_rate=graduated / started if started else None,
        reached_by_session=reached,
        dropped=None if drops is None else len(drops),
        attendance_rate=done_rows / (done_rows + missed_rows) if done_rows + missed_rows else None,
        done_rows=done_rows,
        missed_rows=missed_rows,
        days_to_graduate=float(days.median()) if len(days) else None,
        nps=nps_value,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        nps_respondents=n,
        missing=missing,
    )


def onboarding_section(df: pd.DataFrame, as_of: dt.date | None = None, targets: Targets | None = None) -> dict[str, Any]:
    """SPEC section 3 ``onboarding``: users, started, graduated, graduation_rate, reached_by_session,
    dropped, attendance_rate, nps."""
    s = summary(df, as_of, targets)
    return {
        "users": s.users,
        "started": s.started,
        "graduated": s.graduated,
        "graduation_rate": s.graduation_rate,
        "reached_by_session": list(s.reached_by_session),
        "dropped": s.dropped,
        "attendance_rate": s.attendance_rate,
        "nps": s.nps,
    }


@dataclass(frozen=True)
class OnboardingView:
    """Everything the onboarding page shows, computed once (the page only renders it)."""

    as_of: pd.Timestamp | None
    summary: OnboardingSummary
    grid: pd.DataFrame
    dropped: pd.DataFrame | None
    workload: pd.DataFrame | None
    levels: pd.DataFrame | None
    nps: pd.DataFrame | None
    below_level1: pd.DataFrame | None
    homework_rate: float | None
    homework_by_session: pd.DataFrame | None
    homework_by_trainer: pd.DataFrame | None
    programmes: pd.DataFrame | None
    kpis: dict[str, float | None]


def latest_programme_nps(programmes: pd.DataFrame | None) -> float | None:
    """NPS of the programme version that started last (None without a program column or its NPS)."""
    if programmes is None or programmes.empty:
        return None
    value = programmes["nps"].iloc[-1]
    return None if pd.isna(value) else float(value)


def onboarding_view(df: pd.DataFrame, as_of=None, targets: Targets | None = None) -> OnboardingView:
    """The onboarding page's view of ``df`` (one customer or all) as of ``as_of``."""
    targets = targets or Targets()
    as_of = _as_of(df, as_of)
    s = summary(df, as_of, targets)
    homework = homework_rates(df, as_of)
    below = below_level1_in_programme(df, as_of, targets)
    programmes = by_programme(df, as_of, targets)
    kpis = {"graduation_rate": s.graduation_rate, "attendance_rate": s.attendance_rate, "onboarding_dropped": s.dropped, "nps": s.nps,
            "homework_rate": None if homework is None else homework[0], "onboarding_below_level1": None if below is None else len(below),
            "nps_latest_programme": latest_programme_nps(programmes)}
    return OnboardingView(as_of, s, progress_grid(df, as_of), dropped_users(df, as_of, targets), trainer_workload(df, as_of),
                          success_levels(df, as_of, targets), nps_scores(df), below,
                          None if homework is None else homework[0], None if homework is None else homework[1],
                          None if homework is None else homework[2], programmes, kpis)


_HEADERS = ONBOARDING_REPORT_HEADERS
_METRIC_NAMES = ONBOARDING_REPORT_METRICS


def report_tables(frames: dict[str, pd.DataFrame], as_of, targets: Targets | None, lang: str = "ja") -> dict[str, pd.DataFrame]:
    """Weekly workbook sheets: headline numbers, reach by session, stalled users. {} without onboarding data."""
    df = frames.get("onboarding")
    if df is None:
        return {}
    i = 0 if lang == "ja" else 1
    s = summary(df, as_of, targets)
    values = {k: getattr(s, k) for k in _METRIC_NAMES}
    days = (targets or Targets()).onboarding_drop_days
    headline = pd.DataFrame({_HEADERS["metric"][i]: [_METRIC_NAMES[k][i].format(days=days) for k in values], _HEADERS["value"][i]: list(values.values())})
    reach = pd.DataFrame({_HEADERS["session"][i]: list(range(1, 13)), _HEADERS["reached"][i]: list(s.reached_by_session)})
    out = {ONBOARDING_SHEETS["headline"][i]: headline, ONBOARDING_SHEETS["reach"][i]: reach}
    drops = dropped_users(df, as_of, targets)
    if drops is not None:
        out[ONBOARDING_SHEETS["stalled"][i]] = drops.rename(columns={k: v[i] for k, v in _HEADERS.items()})
    return out


def counts_by_customer(users: pd.DataFrame, column: str, total_label: str) -> pd.DataFrame:
    """Users per value of ``column`` (success level, NPS class) for each customer, plus a first block for all
    customers together labelled ``total_label``. Columns: customer, <column>, users."""
    per_customer = users.groupby(["customer", column]).size().rename("users").reset_index()
    overall = users.groupby(column).size().rename("users").reset_index().assign(customer=total_label)
    return pd.concat([overall, per_customer], ignore_index=True)[["customer", column, "users"]]
