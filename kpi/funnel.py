"""Sales funnel KPIs of the leads dataset (SPEC section 2 "Sales funnel", section 4 "Funnel").

Pure computation: frames + ``as_of`` / ``targets`` in, DataFrames or frozen dataclasses out. Every number the
funnel page, the regions page, the weekly review, the CRM adoption score and the CLI show comes from here.

Readings of the SPEC chosen here (where two were possible):

* Stage dates are compared as calendar dates: ``created_at`` with a time of day counts as its day.
* A stage's *implied date* is its own date, or — when it was skipped — the date of the next later stage that
  has one. ``reached(k)`` in cohort mode is "implied date present"; in period mode it is "implied date inside
  [start, end]" (so period-mode conversions are flow ratios and can exceed 1).
* Previous-period comparison: the period of the same length just before [start, end], computed as of
  ``as_of`` shifted back by that length, so both periods had the same time to convert.
* Days in stage / time to convert ignore negative intervals (out-of-order dates); those are counted in
  :func:`data_warnings` instead.
* 期末: the Japanese fiscal year runs April–March; fiscal quarters end on 6/30, 9/30, 12/31 and 3/31.
  A PoC-stage deal is "near 期末" when the quarter end on or after ``as_of`` is within
  ``FISCAL_END_WINDOW_DAYS`` (30) days.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from . import asof
from .messages import TEXT
from .targets import STAGE_DATE_COLUMNS, STAGES, Targets, rag_array

Mode = Literal["cohort", "period"]
BREAKDOWNS: tuple[str, ...] = ("region", "segment", "owner_role", "owner", "source", "week", "month", "fiscal_year", "fiscal_quarter")
REGIONS: tuple[str, ...] = ("osaka", "kyoto", "kobe", "nara", "other")
REVIEW_COLUMNS: tuple[str, ...] = ("ethics_review_on", "it_review_on", "purchasing_review_on", "board_on")
FISCAL_END_WINDOW_DAYS = 30
TABLE_COLUMNS = ["stage", "reached", "conversion", "target", "rag", "lost", "amount_yen", "recorded"]
STALLED_COLUMNS = ["lead_id", "account", "region", "segment", "owner", "owner_role", "stage", "stage_date",
                   "days_in_stage", "limit_days", "amount_yen"]


# ------------------------------------------------------------------ dates
_as_ts = asof.at_midnight  # a date / datetime / text as a Timestamp at midnight (None for None / NaT)


def default_as_of(leads: pd.DataFrame) -> pd.Timestamp | None:
    """Latest date in the leads data (any stage date or created_at), at midnight; None without dates (kpi.asof, the
    one rule).

    >>> default_as_of(pd.DataFrame({"created_at": pd.to_datetime(["2026-01-05 10:00"]), "meeting_on": pd.to_datetime(["2026-02-01"])}))
    Timestamp('2026-02-01 00:00:00')
    """
    return asof.default_as_of("leads", leads)


def _resolve_as_of(leads: pd.DataFrame, as_of) -> pd.Timestamp | None:
    return asof.resolve("leads", leads, as_of)


def stage_dates(leads: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """One datetime column per stage (calendar dates); absent columns and dates after ``as_of`` are NaT."""
    as_of = _resolve_as_of(leads, as_of)
    out = {}
    for stage, col in STAGE_DATE_COLUMNS.items():
        if col in leads.columns:
            d = pd.to_datetime(leads[col], errors="coerce").dt.normalize()
            out[stage] = d.where(d <= as_of) if as_of is not None else d
        else:
            out[stage] = pd.Series(pd.NaT, index=leads.index, dtype="datetime64[ns]")
    return pd.DataFrame(out, index=leads.index)


# The KPIs below work on a per-lead matrix of int64 day numbers (days since 1970-01-01, one column per
# stage, ``_NO_DAY`` where the date is absent or after as_of): the same calendar-date reading as
# :func:`stage_dates`, without building datetime frames. It is rebuilt per call (a few ms on 100k leads) —
# no cache keyed on the frame, so a filtered or edited frame can never see another frame's dates.
_NO_DAY = np.iinfo(np.int64).min  # what NaT becomes as int64, so a missing date stays missing through the casts


def _day_number(ts: pd.Timestamp) -> int:
    """Days since 1970-01-01 of a timestamp's calendar date (its wall-clock date when tz-aware)."""
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return int(ts.to_datetime64().astype("datetime64[D]").astype(np.int64))


def _column_days(values: pd.Series, as_of: pd.Timestamp | None) -> np.ndarray:
    """One stage column → int64 day numbers, ``_NO_DAY`` where unparseable, missing or after ``as_of``
    (stage_dates' reading: to_datetime(errors="coerce"), calendar date, ≤ as_of)."""
    dtype = values.dtype
    d = values if isinstance(dtype, np.dtype) and dtype.kind == "M" else pd.to_datetime(values, errors="coerce")
    if isinstance(d.dtype, np.dtype) and d.dtype.kind == "M" and (as_of is None or as_of.tzinfo is None):
        days = d.to_numpy().astype("datetime64[D]").view(np.int64)  # floors to the day; NaT → _NO_DAY
        if as_of is not None:
            days = np.where(days > _day_number(as_of), _NO_DAY, days)
        return days
    # tz-aware dates (or an as_of that cannot be compared with them): stage_dates' own datetime path,
    # which raises the same errors, then the wall-clock calendar date
    d = d.dt.normalize()
    if as_of is not None:
        d = d.where(d <= as_of)
    if d.dt.tz is not None:
        d = d.dt.tz_localize(None)
    return d.to_numpy().astype("datetime64[D]").view(np.int64)


def _stage_days(leads: pd.DataFrame, as_of: pd.Timestamp | None) -> np.ndarray:
    """(len(leads), 6) int64 day numbers per stage, the values of :func:`stage_dates` (``as_of`` resolved)."""
    out = np.full((len(leads), len(STAGES)), _NO_DAY, dtype=np.int64, order="F")  # stage columns contiguous
    for i, col in enumerate(STAGE_DATE_COLUMNS.values()):
        if col in leads.columns:
            out[:, i] = _column_days(leads[col], as_of)
    return out


def _implied_days(days: np.ndarray) -> np.ndarray:
    """Implied stage days: a missing stage takes the next later stage's day (SPEC 2: a skipped date still counts
    as passed)."""
    implied = days.copy(order="F")
    for i in range(len(STAGES) - 2, -1, -1):
        implied[:, i] = np.where(implied[:, i] == _NO_DAY, implied[:, i + 1], implied[:, i])
    return implied


def _furthest(days: np.ndarray) -> np.ndarray:
    """Index of the furthest stage with a day per lead; -1 when none."""
    present = days != _NO_DAY
    last = len(STAGES) - 1 - np.argmax(present[:, ::-1], axis=1)
    return np.where(present.any(axis=1), last, -1)


def _stage_names(codes: np.ndarray, index: pd.Index) -> pd.Series:
    names = np.array(STAGES + (pd.NA,), dtype=object)  # code -1 → NA
    return pd.Series(names[codes], index=index, dtype="object")


def _flag_frame(flags: np.ndarray, index: pd.Index) -> pd.DataFrame:
    return pd.DataFrame({s: flags[:, i] for i, s in enumerate(STAGES)}, index=index)


def reached_flags(leads: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """Bool column per stage: the lead has the date of that stage or of any later stage (≤ as_of).
    Index aligned with ``leads``."""
    implied = _implied_days(_stage_days(leads, _resolve_as_of(leads, as_of)))
    return _flag_frame(implied != _NO_DAY, leads.index)


def current_stage(leads: pd.DataFrame, as_of=None) -> pd.Series:
    """Furthest stage with a date ≤ as_of (SPEC section 4 "Stalled"); NA when no date."""
    return _stage_names(_furthest(_stage_days(leads, _resolve_as_of(leads, as_of))), leads.index)


# ------------------------------------------------------------------ fiscal calendar (年度 April–March)
def fiscal_year(dates: pd.Series) -> pd.Series:
    """年度: April–March, named by the year it starts (2027-03-31 → 2026)."""
    d = pd.to_datetime(dates)
    return (d.dt.year - (d.dt.month < 4).astype(int)).astype("Int64").where(d.notna())


def fiscal_quarter(dates: pd.Series) -> pd.Series:
    """Fiscal quarter 1–4 (Q1 = Apr–Jun … Q4 = Jan–Mar)."""
    d = pd.to_datetime(dates)
    return (((d.dt.month - 4) % 12) // 3 + 1).astype("Int64").where(d.notna())


def fiscal_quarter_end(day) -> pd.Timestamp:
    """Last day of the fiscal quarter containing ``day`` (6/30, 9/30, 12/31 or 3/31)."""
    ts = pd.Timestamp(day).normalize()
    return (ts + pd.offsets.QuarterEnd(0, startingMonth=3)).normalize()


def fiscal_year_start(day) -> pd.Timestamp:
    ts = pd.Timestamp(day).normalize()
    return pd.Timestamp(ts.year - (ts.month < 4), 4, 1)


def period_bounds(preset: str, as_of, start=None, end=None) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """Page period presets → [start, end] (inclusive days), ending at ``as_of``.

    ``fiscal_year`` (this 年度 so far), ``fiscal_quarter``, ``month``, ``last_12_weeks`` (84 days),
    ``all`` (None, None), ``custom`` (the given start / end).

    >>> period_bounds("fiscal_quarter", "2026-11-25")
    (Timestamp('2026-10-01 00:00:00'), Timestamp('2026-11-25 00:00:00'))
    """
    as_of = pd.Timestamp(as_of).normalize()
    if preset == "all":
        return None, None
    if preset == "custom":
        return _as_ts(start), _as_ts(end)
    if preset == "fiscal_year":
        return fiscal_year_start(as_of), as_of
    if preset == "fiscal_quarter":
        return (fiscal_quarter_end(as_of) - pd.offsets.QuarterBegin(1, startingMonth=1)).normalize(), as_of
    if preset == "month":
        return as_of.replace(day=1), as_of
    if preset == "last_12_weeks":
        return as_of - pd.Timedelta(days=83), as_of
    raise ValueError(f"unknown period preset {preset!r}")


def previous_period(start, end) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The period of the same length (in days) ending the day before ``start``."""
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    length = end - start + pd.Timedelta(days=1)
    return start - length, start - pd.Timedelta(days=1)


# ------------------------------------------------------------------ filters
def filter_leads(leads: pd.DataFrame, **selected: Iterable[str] | None) -> pd.DataFrame:
    """Rows whose column values are in the selected lists (None / empty list = no filter; an absent column
    with a non-empty selection keeps nothing). No selection at all returns ``leads`` itself, not a copy."""
    if not any(list(values or []) for values in selected.values()):
        return leads
    mask = pd.Series(True, index=leads.index)
    for column, values in selected.items():
        values = list(values or [])
        if not values:
            continue
        mask &= leads[column].isin(values) if column in leads.columns else False
    return leads[mask]


def _bound_day(value) -> int:
    ts = _as_ts(value)
    if ts is None:  # as comparing dates with None does
        raise TypeError("Invalid comparison between dtype=datetime64[ns] and NoneType")
    return _day_number(ts)


def _window_days(days: np.ndarray, start, end) -> np.ndarray:
    """Present and inside [start, end] (inclusive calendar days; None = unbounded)."""
    mask = days != _NO_DAY
    if start is not None:
        mask &= days >= _bound_day(start)
    if end is not None:
        mask &= days <= _bound_day(end)
    return mask


# ------------------------------------------------------------------ the funnel table
def _flags_for(leads, as_of, mode: Mode, start, end) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(flags, rows) — the reached flags and the leads they refer to, for a mode and window."""
    implied = _implied_days(_stage_days(leads, _resolve_as_of(leads, as_of)))
    if mode == "cohort":
        keep = _window_days(implied[:, 0], start, end)
        return _flag_frame(implied[keep] != _NO_DAY, leads.index[keep]), leads[keep]
    if mode == "period":
        flags = np.column_stack([_window_days(implied[:, i], start, end) for i in range(len(STAGES))])
        keep = flags.any(axis=1)
        return _flag_frame(flags[keep], leads.index[keep]), leads[keep]
    raise ValueError(f"unknown mode {mode!r}")


def leads_in_scope(leads: pd.DataFrame, as_of=None, mode: Mode = "cohort", start=None, end=None) -> pd.DataFrame:
    """The leads that feed :func:`funnel_table` for the same arguments (for confidence and drill-downs)."""
    return _flags_for(leads, _resolve_as_of(leads, as_of), mode, start, end)[1]


def _rag_vector(conversion: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The RAG of every step (kpi.targets.rag_array: the one rule)."""
    return rag_array(conversion, target)


def _long_table(reached: pd.DataFrame, amount: pd.DataFrame | None, targets: Targets) -> pd.DataFrame:
    """reached (groups x stages) → long table (TABLE_COLUMNS), rows grouped then in stage order."""
    counts = reached.to_numpy()
    prev = np.empty(counts.shape, dtype=float)
    prev[:, 0] = np.nan
    prev[:, 1:] = counts[:, :-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        conversion = counts / np.where(prev > 0, prev, np.nan)
        lost = np.nan_to_num(prev - counts, nan=0.0).clip(min=0)  # period-mode flows can exceed the step before
    conversion[:, 0] = np.nan
    step_target = np.array(pd.Series(STAGES).map(targets.step_conversion).astype(float), dtype=float)
    step_target[0] = np.nan
    target = np.tile(step_target, len(counts))
    conversion = conversion.ravel()
    long = pd.DataFrame({
        "stage": np.tile(np.array(STAGES, dtype=object), len(counts)),
        "reached": counts.ravel().astype(int),
        "conversion": conversion,
        "target": target,
        "rag": pd.Series(_rag_vector(conversion, target), dtype="object"),  # object with None, not str
        "lost": lost.ravel().astype(int),
        "amount_yen": amount.to_numpy().ravel().astype(float) if amount is not None else np.nan,
    })
    return long, reached.index


def funnel_table(leads: pd.DataFrame, as_of=None, targets: Targets | None = None, mode: Mode = "cohort",
                 start=None, end=None) -> pd.DataFrame:
    """One row per stage (lead … collected): reached, conversion, target, rag, lost, amount_yen.

    * reached(k): leads with the date of stage k or of any later stage (≤ as_of).
    * conversion(k) = reached(k) / reached(k−1) (NaN for lead, NaN when reached(k−1) = 0).
    * lost(k) = reached(k−1) − reached(k) (0 for lead; floored at 0 in period mode, where flows can rise).
    * amount_yen: Σ amount_yen of the leads that reached k (NaN when the column is absent).
    * recorded: False for a stage the file has no date column for, nor for any later stage
      (:func:`unrecorded_stages`); its conversion and rag are then n/a.
    * Cohort mode: leads created in [start, end] (default all created ≤ as_of). Period mode: stage events
      (implied dates) in [start, end].

    >>> df = pd.DataFrame({"lead_id": ["a", "b"], "created_at": pd.to_datetime(["2026-01-01", "2026-01-02"]),
    ...                    "meeting_on": pd.to_datetime(["2026-01-10", None])})
    >>> funnel_table(df)[["stage", "reached"]].values.tolist()[:3]
    [['lead', 2], ['contact', 1], ['meeting', 1]]
    """
    return funnel_by(leads, None, as_of, targets, mode, start, end)


def _group_keys(rows: pd.DataFrame, by: str | None) -> pd.Series | None:
    if by is None:
        return pd.Series("all", index=rows.index)
    created = pd.to_datetime(rows["created_at"]).dt.normalize() if "created_at" in rows.columns else None
    if by in ("week", "month", "fiscal_year", "fiscal_quarter"):
        if created is None:
            return _date_keys(created, by)  # fails as before without created_at
        # computed once per distinct day (a few hundred), then spread to the rows
        codes, days = pd.factorize(created, use_na_sentinel=False)
        keys = _date_keys(pd.Series(days, name=created.name), by).take(codes)
        keys.index = rows.index
        return keys
    if by not in rows.columns:
        return None
    return rows[by]


def _date_keys(created: pd.Series, by: str) -> pd.Series:
    if by == "week":
        return created - pd.to_timedelta(created.dt.weekday, unit="D")  # Monday of the week
    if by == "month":
        return created.dt.to_period("M").dt.start_time
    if by == "fiscal_year":
        return fiscal_year(created)
    if by == "fiscal_quarter":
        return fiscal_year(created).astype(str) + "Q" + fiscal_quarter(created).astype(str)
    raise ValueError(by)




def funnel_by(leads: pd.DataFrame, by: str | None, as_of=None, targets: Targets | None = None, mode: Mode = "cohort",
              start=None, end=None) -> pd.DataFrame | None:
    """:func:`funnel_table` per group: region / segment / owner_role / owner / source of the lead, or the
    week (Monday) / month / fiscal_year (年度) / fiscal_quarter ("2026Q3") of created_at.

    Long frame with a first column named ``by`` then the funnel_table columns; groups without a lead are
    omitted; groups sorted by key. None when the column is absent (n/a). ``by=None`` is the whole table.
    """
    targets = targets or Targets()
    as_of = _resolve_as_of(leads, as_of)
    flags, rows = _flags_for(leads, as_of, mode, start, end)
    keys = _group_keys(rows, by)
    if keys is None:
        return None
    keys = keys.rename("_key")
    present = keys.notna()
    flags, rows, keys = flags[present], rows[present], keys[present]
    reached = flags.astype(int).groupby(keys, sort=True).sum().reindex(columns=list(STAGES))
    if by is None and reached.empty:
        reached = pd.DataFrame([[0] * len(STAGES)], columns=list(STAGES), index=pd.Index(["all"], name="_key"))
    amount = None
    if "amount_yen" in rows.columns:
        yen = pd.to_numeric(rows["amount_yen"], errors="coerce").fillna(0.0)
        amount = flags.mul(yen, axis=0).groupby(keys, sort=True).sum().reindex(index=reached.index, columns=list(STAGES))
    long, index = _long_table(reached, amount, targets)
    unrecorded = long["stage"].isin(unrecorded_stages(leads)).to_numpy()
    long["recorded"] = ~unrecorded
    if unrecorded.any():  # SPEC 2: a KPI whose input columns are absent is n/a, never 0
        long.loc[unrecorded, "conversion"] = np.nan
        long.loc[unrecorded, "rag"] = None
    if by is None:
        return long
    long.insert(0, by, np.repeat(index.to_numpy(), len(STAGES)))
    return long


def unrecorded_stages(leads: pd.DataFrame) -> list[str]:
    """Stages the file cannot say anything about: neither their date column nor a later stage's is present.

    Their conversion is n/a (SPEC 2), not 0 %: a CRM export without a 接触日 column has no leads "reached
    contact" for lack of a column, not for lack of contacts. A stage whose own column is absent while a later
    one is present still counts the leads that passed it (SPEC 2, "a skipped date still counts as passed").
    """
    columns = list(STAGE_DATE_COLUMNS.values())
    return [stage for i, stage in enumerate(STAGES) if i > 0 and not any(c in leads.columns for c in columns[i:])]


def stage_column_hint(stage: str) -> str:
    """The date column that would enable ``stage``'s conversion, as the user knows it: 接触日 / contacted_on."""
    from .schemas import field_specs

    field = STAGE_DATE_COLUMNS[stage]
    spec = next((s for s in field_specs("leads") if s.name == field), None)
    return f"{spec.aliases[0]} / {field}" if spec is not None and spec.aliases else field


def headline_values(table: pd.DataFrame, previous: pd.DataFrame | None, stalled: pd.DataFrame, prev_stalled: pd.DataFrame | None,
                    payback, prev_payback) -> dict[str, tuple[float | None, float | None]]:
    """The funnel page's headline numbers, (this period, the previous period) each, None where n/a: the overall
    conversion, each step's conversion, the stalled deals and the median payback months. The page turns them
    into registry tiles (kpi.registry.tile), which add the target, RAG and 信頼度."""
    def number(value) -> float | None:
        return None if value is None or pd.isna(value) else float(value)

    row = table.set_index("stage")
    prow = previous.set_index("stage") if previous is not None else None
    out = {"overall": (overall_conversion(table), overall_conversion(previous) if previous is not None else None)}
    out |= {s: (number(row.loc[s, "conversion"]), number(prow.loc[s, "conversion"]) if prow is not None else None) for s in STAGES[1:]}
    out["stalled"] = (float(len(stalled)), float(len(prev_stalled)) if previous is not None and prev_stalled is not None else None)
    out["payback"] = (None if payback is None else number(payback.median), None if prev_payback is None else number(prev_payback.median))
    return out


def overall_conversion(table: pd.DataFrame) -> float | None:
    """reached(collected) / reached(lead); None without leads, or when no column records collection (n/a)."""
    lead = table.loc[table["stage"] == "lead", "reached"].iloc[0]
    collected = table.loc[table["stage"] == "collected"].iloc[0]
    if lead == 0 or not collected.get("recorded", True):
        return None
    return float(collected["reached"] / lead)


def bottleneck(table: pd.DataFrame) -> str | None:
    """The step with the lowest conversion / target (its target stage's name); ties → more leads lost at the
    step; still tied → the earlier step. None when no step has a conversion and a positive target."""
    steps = table[(table["stage"] != "lead") & table["conversion"].notna() & (table["target"] > 0)].copy()
    if steps.empty:
        return None
    steps["ratio"] = (steps["conversion"] / steps["target"]).round(12)  # float noise must not break a tie
    steps["order"] = steps["stage"].map({s: i for i, s in enumerate(STAGES)})
    steps = steps.sort_values(["ratio", "lost", "order"], ascending=[True, False, True])
    return str(steps["stage"].iloc[0])


def step_label(stage: str) -> tuple[str, str]:
    """(from, to) stage codes of the step whose target stage is ``stage``."""
    i = STAGES.index(stage)
    return STAGES[i - 1], stage


# ------------------------------------------------------------------ lost, stalled
def lost_at_step(leads: pd.DataFrame, stage: str, as_of=None, mode: Mode = "cohort", start=None, end=None) -> pd.DataFrame:
    """The leads counted in lost(stage): they reached the stage before ``stage`` and not ``stage``
    (open leads still working on the step included; see their status)."""
    as_of = _resolve_as_of(leads, as_of)
    i = STAGES.index(stage)
    if i == 0:
        return leads.iloc[0:0]
    flags, rows = _flags_for(leads, as_of, mode, start, end)
    return rows[flags[STAGES[i - 1]] & ~flags[stage]]


def stalled_leads(leads: pd.DataFrame, as_of=None, targets: Targets | None = None) -> pd.DataFrame:
    """Open leads whose stage (furthest stage with a date ≤ as_of) is older than the stage's limit:
    as_of − stage_date > limit_days (business days in (stage_date, as_of] when ``targets.business_days``). Sorted by
    days over the limit, most overdue first. Collected has no limit.
    Columns absent from the file are NA."""
    targets = targets or Targets()
    as_of = _resolve_as_of(leads, as_of)
    if as_of is None or leads.empty:
        return pd.DataFrame(columns=STALLED_COLUMNS)
    days = _stage_days(leads, as_of)
    code = _furthest(days)  # the current stage, -1 without a date
    stage_day = np.where(code >= 0, days[np.arange(len(days)), code], _NO_DAY)
    in_stage = _day_number(as_of) - stage_day  # meaningful where code >= 0
    if targets.business_days:  # a setting (Targets.business_days): limits count Japanese business days, not calendar days
        from .business_days import business_days_since

        in_stage = np.where(code >= 0, business_days_since(stage_day, _day_number(as_of)), in_stage)
    step_limit = np.array(pd.Series(STAGES).map(targets.stall_days).astype(float), dtype=float)
    limit = np.where(code >= 0, step_limit[code], np.nan)
    open_ = leads["status"].eq("open") if "status" in leads.columns else pd.Series(True, index=leads.index)
    with np.errstate(invalid="ignore"):
        mask = open_ & ((code >= 0) & ~np.isnan(limit) & (in_stage > limit))
    rows = np.flatnonzero(mask.to_numpy(dtype=bool))
    # most days over the limit first, then the older stage date; stable (np.lexsort sorts by its last key first)
    rows = rows[np.lexsort((stage_day[rows], -(in_stage[rows] - limit[rows].astype(int))))]
    index = leads.index[rows]
    out = pd.DataFrame(index=index)
    for c in STALLED_COLUMNS:
        if c == "stage":
            out[c] = _stage_names(code[rows], index)
        elif c == "stage_date":
            out[c] = pd.Series((stage_day[rows] * 86_400_000_000_000).view("datetime64[ns]"), index=index)
        elif c == "days_in_stage":
            out[c] = pd.Series(in_stage[rows].astype(int), index=index)
        elif c == "limit_days":
            out[c] = pd.Series(limit[rows].astype(int), index=index)
        else:
            out[c] = leads[c].take(rows) if c in leads.columns else pd.NA
    return out.reset_index(drop=True)


def lost_reasons(leads: pd.DataFrame, as_of=None) -> pd.DataFrame | None:
    """Lost leads (status lost, created ≤ as_of) per lost_reason, most frequent first: reason (NA = blank),
    leads, share, amount_yen. None when lost_reason is absent."""
    if "lost_reason" not in leads.columns:
        return None
    as_of = _resolve_as_of(leads, as_of)
    created = pd.to_datetime(leads["created_at"]).dt.normalize()
    lost = leads[leads["status"].eq("lost") & (created <= as_of)]
    yen = pd.to_numeric(lost["amount_yen"], errors="coerce") if "amount_yen" in lost.columns else pd.Series(np.nan, index=lost.index)
    grouped = pd.DataFrame({"reason": lost["lost_reason"], "yen": yen}).groupby("reason", dropna=False)
    out = pd.DataFrame({"leads": grouped.size(), "amount_yen": grouped["yen"].sum(min_count=1)}).reset_index()
    out["share"] = out["leads"] / out["leads"].sum() if len(out) else []
    out = out.sort_values(["leads", "reason"], ascending=[False, True], na_position="last", kind="stable").reset_index(drop=True)
    return out[["reason", "leads", "share", "amount_yen"]]


# ------------------------------------------------------------------ durations
def time_in_stage(leads: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """Long frame of days between consecutive stage dates where both exist (and are in order):
    lead_id, stage (the step's target stage), days."""
    return _durations(leads, as_of, [(i - 1, i) for i in range(1, len(STAGES))])


def _durations(leads: pd.DataFrame, as_of, steps: list[tuple[int, int]]) -> pd.DataFrame:
    """Long frame lead_id, stage, days of day(to) − day(from) per (from, to) stage index, where both
    dates exist and are in order."""
    days = _stage_days(leads, _resolve_as_of(leads, as_of))
    parts = []
    for frm, to in steps:
        ok = (days[:, frm] != _NO_DAY) & (days[:, to] != _NO_DAY)
        ok &= days[:, to] >= days[:, frm]
        index = leads.index[ok]
        parts.append(pd.DataFrame({"lead_id": leads.loc[ok, "lead_id"], "stage": STAGES[to],
                                   "days": pd.Series(days[ok, to] - days[ok, frm], index=index)}))
    return pd.concat(parts, ignore_index=True)


def time_to_convert(leads: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """Long frame of days from created_at to each later stage's own date: lead_id, stage, days."""
    return _durations(leads, as_of, [(0, i) for i in range(1, len(STAGES))])


def days_in_stage(leads: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """Per step (stage = the step's target stage): n, median_days, p25, p75 of :func:`time_in_stage`
    (SPEC: median days between consecutive stage dates where both exist). Steps without data: n 0, NaN."""
    durations = time_in_stage(leads, as_of)
    g = durations.groupby("stage")["days"]
    out = pd.DataFrame({"n": g.size(), "median_days": g.median(), "p25": g.quantile(0.25), "p75": g.quantile(0.75)})
    out = out.reindex(list(STAGES[1:]))
    out["n"] = out["n"].fillna(0).astype(int)
    return out.rename_axis("stage").reset_index()


@dataclass(frozen=True)
class Payback:
    median: float | None
    leads: int
    within: int
    within_rate: float | None
    max_months: float


def payback(leads: pd.DataFrame, targets: Targets | None = None, as_of=None) -> Payback | None:
    """payback_months_median over leads (created ≤ as_of) with payback_months, and how many meet
    Targets.payback_months_max (≤). None when the column is absent."""
    targets = targets or Targets()
    if "payback_months" not in leads.columns:
        return None
    as_of = _resolve_as_of(leads, as_of)
    rows = leads[pd.to_datetime(leads["created_at"]).dt.normalize() <= as_of] if as_of is not None else leads
    months = pd.to_numeric(rows["payback_months"], errors="coerce").dropna()
    within = int((months <= targets.payback_months_max).sum())
    return Payback(float(months.median()) if len(months) else None, len(months), within,
                   within / len(months) if len(months) else None, float(targets.payback_months_max))


# ------------------------------------------------------------------ warnings, 期末, comparison
@dataclass(frozen=True)
class DataWarnings:
    skipped: int        # leads with a missing stage date before a later stage that has one
    out_of_order: int   # leads with a stage date earlier than an earlier stage's date


def data_warnings(leads: pd.DataFrame, as_of=None) -> DataWarnings:
    """Counts of leads with skipped and with out-of-order stage dates (dates ≤ as_of)."""
    days = _stage_days(leads, _resolve_as_of(leads, as_of))
    present = days != _NO_DAY
    later_present = np.zeros_like(present)  # some later stage has a date
    later_present[:, :-1] = np.logical_or.accumulate(present[:, ::-1], axis=1)[:, ::-1][:, 1:]
    skipped = (~present & later_present).any(axis=1)
    # out of order: a date earlier than the latest date of the stages before it — compared only when the
    # stage just before has a date (a skipped stage in between hides the comparison)
    running_max = np.maximum.accumulate(days, axis=1)  # _NO_DAY is the smallest int64: missing never wins
    out_of_order = (present[:, 1:] & present[:, :-1] & (days[:, 1:] < running_max[:, :-1])).any(axis=1)
    return DataWarnings(int(skipped.sum()), int(out_of_order.sum()))


def near_fiscal_end(leads: pd.DataFrame, as_of=None, days: int = FISCAL_END_WINDOW_DAYS) -> pd.DataFrame:
    """Open deals between PoC and 稟議 (reached poc, not approval, as of as_of) with the fiscal quarter end
    on or after as_of: lead_id, account, region, segment, owner, poc_on, amount_yen, quarter_end,
    days_to_end, near_end (days_to_end ≤ ``days``). Sorted by amount desc."""
    as_of = _resolve_as_of(leads, as_of)
    cols = ["lead_id", "account", "region", "segment", "owner", "poc_on", "amount_yen", "quarter_end", "days_to_end", "near_end"]
    if as_of is None:
        return pd.DataFrame(columns=cols)
    implied = _implied_days(_stage_days(leads, as_of))
    poc, approval = STAGES.index("poc"), STAGES.index("approval")
    open_ = leads["status"].eq("open") if "status" in leads.columns else True
    rows = leads[(implied[:, poc] != _NO_DAY) & (implied[:, approval] == _NO_DAY) & open_]
    end = fiscal_quarter_end(as_of)
    left = int((end - as_of).days)
    out = pd.DataFrame({c: rows[c] if c in rows.columns else pd.NA for c in cols[:7]}, index=rows.index)
    out["quarter_end"] = end
    out["days_to_end"] = left
    out["near_end"] = left <= days
    if "amount_yen" in rows.columns:
        out = out.sort_values("amount_yen", ascending=False, na_position="last", kind="stable")
    return out.reset_index(drop=True)


def previous_table(leads: pd.DataFrame, as_of, targets: Targets | None = None, mode: Mode = "cohort",
                   start=None, end=None) -> pd.DataFrame | None:
    """funnel_table of the previous period of the same length, as of ``as_of`` shifted back by that length
    (same time to convert). None without a bounded [start, end]."""
    if start is None or end is None:
        return None
    p_start, p_end = previous_period(start, end)
    length = pd.Timestamp(end).normalize() - pd.Timestamp(start).normalize() + pd.Timedelta(days=1)
    as_of = _resolve_as_of(leads, as_of)
    return funnel_table(leads, as_of - length, targets, mode, p_start, p_end)


@dataclass(frozen=True)
class FunnelView:
    """Everything the funnel page shows of one filter state (:func:`funnel_view`): the table of the six stages, the
    leads in scope, the bottleneck, stalled leads, payback, data warnings and, with a previous period holding data,
    the same numbers for that period (``prev_range`` is set whenever the period is bounded)."""
    as_of: pd.Timestamp
    table: pd.DataFrame
    scope: pd.DataFrame
    bottleneck: str | None
    stalled: pd.DataFrame
    payback: Payback | None
    warnings: DataWarnings
    prev_range: tuple[pd.Timestamp, pd.Timestamp] | None = None
    previous: pd.DataFrame | None = None
    prev_scope: pd.DataFrame | None = None
    prev_stalled: pd.DataFrame | None = None
    prev_payback: Payback | None = None

    def headline_values(self) -> dict:
        """:func:`headline_values` of this view (now and the previous period)."""
        return headline_values(self.table, self.previous, self.stalled, self.prev_stalled, self.payback, self.prev_payback)


def funnel_view(leads: pd.DataFrame, as_of: pd.Timestamp, targets: Targets, mode: Mode = "cohort", start=None, end=None) -> FunnelView:
    """The funnel page's numbers for ``leads`` (already filtered) in one frozen :class:`FunnelView`. No comparison
    against a previous period without data (it would show +100%)."""
    table = funnel_table(leads, as_of, targets, mode, start, end)
    scope = leads_in_scope(leads, as_of, mode, start, end)
    parts = dict(as_of=as_of, table=table, scope=scope, bottleneck=bottleneck(table),
                 stalled=stalled_leads(scope if mode == "cohort" else leads, as_of, targets),
                 payback=payback(scope, targets, as_of), warnings=data_warnings(scope, as_of))
    if start is not None and end is not None:
        length = end - start + pd.Timedelta(days=1)
        p_start, p_end = parts["prev_range"] = previous_period(start, end)
        prev_scope = leads_in_scope(leads, as_of - length, mode, p_start, p_end)
        if len(prev_scope):
            parts |= dict(previous=previous_table(leads, as_of, targets, mode, start, end), prev_scope=prev_scope,
                          prev_stalled=stalled_leads(prev_scope if mode == "cohort" else leads, as_of - length, targets),
                          prev_payback=payback(prev_scope, targets, as_of - length))
    return FunnelView(**parts)


# ------------------------------------------------------------------ regions page: accounts, timeline, activity
def accounts_summary(leads: pd.DataFrame, as_of=None) -> pd.DataFrame | None:
    """Per account (leads created ≤ as_of): leads, open, won, lost, amount_yen, furthest_stage (furthest
    stage reached by any of its leads), last_date. Sorted by furthest stage then amount. None without account."""
    if "account" not in leads.columns:
        return None
    as_of = _resolve_as_of(leads, as_of)
    flags = reached_flags(leads, as_of)
    keep = flags["lead"] & leads["account"].notna()
    rows, flags = leads[keep], flags[keep]
    depth = flags.sum(axis=1)
    dates = stage_dates(rows, as_of).max(axis=1)
    yen = pd.to_numeric(rows["amount_yen"], errors="coerce") if "amount_yen" in rows.columns else pd.Series(np.nan, index=rows.index)
    frame = pd.DataFrame({"account": rows["account"], "depth": depth, "yen": yen, "last": dates,
                          **{s: rows["status"].eq(s).astype(int) for s in ("open", "won", "lost")}})
    g = frame.groupby("account")
    out = pd.DataFrame({
        "leads": g.size(),
        "open": g["open"].sum(),
        "won": g["won"].sum(),
        "lost": g["lost"].sum(),
        "amount_yen": g["yen"].sum(min_count=1),
        "depth": g["depth"].max(),
        "last_date": g["last"].max(),
    }).reset_index()
    out["furthest_stage"] = out["depth"].map(lambda d: STAGES[int(d) - 1])
    out = out.sort_values(["depth", "amount_yen", "account"], ascending=[False, False, True], na_position="last").drop(columns="depth")
    return out.reset_index(drop=True)


def lead_timeline(leads: pd.DataFrame, lead_id: str, activities: pd.DataFrame | None = None, as_of=None) -> pd.DataFrame:
    """One lead's dated events in order: date, kind (stage / review / activity), code (stage name, review
    column, activity type), detail (activity note / rep), minutes (travel), saved (minutes_saved: the customer's
    time the activity saved; NaN when not noted). Dates after as_of are left out."""
    as_of = _resolve_as_of(leads, as_of)
    lead = leads[leads["lead_id"] == lead_id]
    events = []
    if len(lead):
        dates = stage_dates(lead, as_of).iloc[0]
        for s in STAGES:
            if pd.notna(dates[s]):
                events.append({"date": dates[s], "kind": "stage", "code": s, "detail": None, "minutes": np.nan, "saved": np.nan})
        row = lead.iloc[0]
        for c in REVIEW_COLUMNS:
            if c in lead.columns and pd.notna(row[c]) and (as_of is None or row[c] <= as_of):
                events.append({"date": pd.Timestamp(row[c]).normalize(), "kind": "review", "code": c, "detail": None, "minutes": np.nan,
                               "saved": np.nan})
    frame = pd.DataFrame(events, columns=["date", "kind", "code", "detail", "minutes", "saved"])
    if activities is not None and "lead_id" in activities.columns:
        acts = activities[activities["lead_id"] == lead_id]
        if as_of is not None:
            acts = acts[pd.to_datetime(acts["activity_at"]).dt.normalize() <= as_of]
        note = acts["note"] if "note" in acts.columns else pd.Series(pd.NA, index=acts.index)
        rep = acts["rep"].astype("object")
        detail = note.astype("object").where(note.notna(), None)
        sep = TEXT["timeline.rep_note"][0]
        detail = (rep + sep + detail.fillna("")).str.rstrip(sep)
        frame = pd.concat([frame.astype({"minutes": float, "saved": float}) if len(frame) else frame, pd.DataFrame({
            "date": pd.to_datetime(acts["activity_at"]), "kind": "activity", "code": acts["type"],
            "detail": detail, "minutes": pd.to_numeric(acts["travel_minutes"], errors="coerce") if "travel_minutes" in acts.columns else np.nan,
            "saved": pd.to_numeric(acts["minutes_saved"], errors="coerce") if "minutes_saved" in acts.columns else np.nan,
        })], ignore_index=True) if len(acts) else frame
    order = frame["kind"].map({"stage": 0, "review": 1, "activity": 2})
    return frame.assign(_o=order).sort_values(["date", "_o"], kind="stable").drop(columns="_o").reset_index(drop=True)


def activity_by_region(activities: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """Per region, over visits (type visit) up to as_of, the habit definitions of SPEC section 2 applied to
    the region's rows: visits_per_day = visits / distinct (rep, day) with a visit; travel_minutes_per_day =
    Σ travel_minutes (blank = 0) / the same days. travel is NaN when the column is absent."""
    acts = activities[activities["type"].eq("visit")]
    day = pd.to_datetime(acts["activity_at"]).dt.normalize()
    if as_of is not None:
        keep = day <= _as_ts(as_of)
        acts, day = acts[keep], day[keep]
    travel = pd.to_numeric(acts["travel_minutes"], errors="coerce").fillna(0) if "travel_minutes" in acts.columns else pd.Series(np.nan, index=acts.index)
    frame = pd.DataFrame({"region": acts["region"].fillna("other"), "rep": acts["rep"], "day": day, "travel": travel})
    g = frame.groupby("region")
    out = pd.DataFrame({
        "visits": g.size(),
        "rep_days": frame[["region", "rep", "day"]].drop_duplicates().groupby("region").size(),
        "travel_minutes": g["travel"].sum(min_count=1),
    })
    out["visits_per_day"] = out["visits"] / out["rep_days"]
    out["travel_minutes_per_day"] = out["travel_minutes"] / out["rep_days"]
    return out.rename_axis("region").reset_index()


# ------------------------------------------------------------------ CLI section
def leads_section(leads: pd.DataFrame, as_of=None, targets: Targets | None = None) -> dict:
    """SPEC section 3 ``leads``: rows, funnel, by_region (regions without a lead omitted), bottleneck,
    payback_months_median. The cohort is every lead created ≤ as_of; stage dates after as_of are ignored."""
    targets = targets or Targets()
    as_of = _resolve_as_of(leads, as_of)
    table = funnel_table(leads, as_of, targets)
    rows = int(table.loc[table["stage"] == "lead", "reached"].iloc[0])

    def as_list(t: pd.DataFrame) -> list[dict]:
        return [{"stage": s, "reached": int(r), "conversion": None if pd.isna(c) else float(c)}
                for s, r, c in zip(t["stage"], t["reached"], t["conversion"])]

    by_region = {}
    regional = funnel_by(leads, "region", as_of, targets)
    if regional is not None:
        for region, part in regional.groupby("region", sort=False):
            if part["reached"].iloc[0] > 0:
                by_region[str(region)] = as_list(part)
    pay = payback(leads, targets, as_of)
    return {
        "rows": rows,
        "funnel": as_list(table),
        "by_region": by_region,
        "bottleneck": bottleneck(table),
        "payback_months_median": None if pay is None else pay.median,
    }


# ------------------------------------------------------------------ hospital vs general B2B, 差し戻し (issue 15)
# Readings chosen here:
# * Hospital = segment "hospital"; general B2B = segment "general" (the other segments are in neither group).
# * 働き方KPI記入率 (work_style_kpi_rate): leads created ≤ as_of that reached meeting with ``work_style_kpi``
#   noted / leads that reached meeting — the same denominator as キーマン特定率. None without the column.
# * Committee calendar: open hospital leads' committee dates (倫理・情報・購買・役員会) in (as_of, as_of + horizon].
# * 決算月 (fiscal_month) is read as a month 1–12 from 3, "3", "03", "3月", "３月" or "March"/"Mar"; anything
#   else is unknown (blank), never an error. The fiscal year end is the last day of that month, the next one on or
#   after as_of. A general B2B lead is flagged when that end is at most ``months_before`` months away (稟議 is
#   heavy before the customer's year end).
# * 差し戻し率 (sent_back_rate): among leads created ≤ as_of that reached the PoC stage by as_of — the 稟議 is
#   submitted after PoC agreement, so these are the leads whose 稟議 has been under way — and whose
#   ``sent_back_count`` is filled, the share with sent_back_count ≥ 1. Blank counts are unknown and left out of
#   both sides. Its trend groups the same leads by the week or month of their PoC date.
# * Reasons (lost_reason, sent_back_reason) are classified by keywords (kpi.messages.REASON_CLASSES, first match
#   wins; nothing matches → "other"; blank → "blank").
HOSPITAL_B2B: tuple[str, ...] = ("hospital", "general")
MONTH_SUFFIX = "月"  # 決算月 as files write it: "3月"
_MONTH_WORDS = {m.lower(): i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}


def _segment_is(leads: pd.DataFrame, segment: str) -> pd.Series:
    return leads["segment"].eq(segment).fillna(False).astype(bool) if "segment" in leads.columns else pd.Series(False, index=leads.index)


def _created_by(leads: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    return pd.to_datetime(leads["created_at"]).dt.normalize() <= as_of


def hospital_b2b_funnel(leads: pd.DataFrame, as_of=None, targets: Targets | None = None) -> pd.DataFrame | None:
    """The cohort funnel of hospital and of general B2B leads side by side (``funnel_by`` segment, those two groups).
    None without segment."""
    table = funnel_by(leads, "segment", as_of, targets)
    if table is None:
        return None
    return table[table["segment"].isin(HOSPITAL_B2B)].reset_index(drop=True)


@dataclass(frozen=True)
class CaptureRate:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


def work_style_kpi_rate(leads: pd.DataFrame, as_of=None) -> CaptureRate | None:
    """働き方KPI記入率: leads that reached meeting with work_style_kpi noted / leads that reached meeting.

    >>> f = pd.DataFrame({"created_at": pd.to_datetime(["2026-01-01"] * 3), "meeting_on": pd.to_datetime(["2026-01-05", "2026-01-06", None]),
    ...                   "work_style_kpi": ["残業時間", None, "残業時間"]})
    >>> work_style_kpi_rate(f, "2026-02-01")
    CaptureRate(numerator=1, denominator=2)
    """
    if "work_style_kpi" not in leads.columns:
        return None
    as_of = _resolve_as_of(leads, as_of)
    met = leads[reached_flags(leads, as_of)["meeting"].astype(bool) & _created_by(leads, as_of)]
    noted = met["work_style_kpi"].astype("string").str.strip().fillna("").ne("")
    return CaptureRate(int(noted.sum()), len(met))


def committee_calendar(leads: pd.DataFrame, as_of=None, horizon_days: int = 90) -> pd.DataFrame:
    """Open hospital leads' committee dates in (as_of, as_of + horizon_days]: lead_id, account, region, owner,
    committee (the column name), date, days_ahead; by date."""
    cols = ["lead_id", "account", "region", "owner", "committee", "date", "days_ahead"]
    as_of = _resolve_as_of(leads, as_of)
    present = [c for c in REVIEW_COLUMNS if c in leads.columns]
    if as_of is None or not present:
        return pd.DataFrame(columns=cols)
    open_ = leads["status"].eq("open").fillna(False) if "status" in leads.columns else True
    rows = leads[_segment_is(leads, "hospital") & open_ & _created_by(leads, as_of)]
    parts = []
    for c in present:
        d = pd.to_datetime(rows[c], errors="coerce").dt.normalize()
        ok = (d > as_of) & (d <= as_of + pd.Timedelta(days=horizon_days))
        part = pd.DataFrame({k: rows.loc[ok, k] if k in rows.columns else pd.NA for k in cols[:4]})
        part["committee"], part["date"] = c, d[ok]
        parts.append(part)
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    out["days_ahead"] = (out["date"] - as_of).dt.days.astype("Int64") if len(out) else pd.Series(dtype="Int64")
    return out.sort_values(["date", "lead_id"], kind="stable").reset_index(drop=True)[cols]


def fiscal_month_number(values: pd.Series) -> pd.Series:
    """決算月 as a month number 1–12 (Int64; NA when unknown): 3, 3.0, "3", "03", "3月", "３月", "March", "Mar".

    >>> fiscal_month_number(pd.Series([3, "12月", "３月", "Sep", "13", None, "x"])).tolist()
    [3, 12, 3, 9, <NA>, <NA>, <NA>]
    """
    import unicodedata

    def one(v) -> int | None:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return None
        text = unicodedata.normalize("NFKC", str(v)).strip().lower().removesuffix(MONTH_SUFFIX).strip()
        if text[:3] in _MONTH_WORDS and text.isalpha():
            return _MONTH_WORDS[text[:3]]
        try:
            number = float(text)
        except ValueError:
            return None
        return int(number) if number.is_integer() and 1 <= number <= 12 else None

    return pd.Series([one(v) for v in values], index=values.index, dtype="Int64")


def fiscal_year_end(month: int, as_of) -> pd.Timestamp:
    """The last day of ``month`` on or after as_of (this year's, else next year's)."""
    as_of = pd.Timestamp(as_of).normalize()
    end = pd.Timestamp(year=as_of.year, month=month, day=1) + pd.offsets.MonthEnd(0)
    return end if end >= as_of else pd.Timestamp(year=as_of.year + 1, month=month, day=1) + pd.offsets.MonthEnd(0)


def b2b_fiscal_flags(leads: pd.DataFrame, as_of=None, months_before: int = 3) -> pd.DataFrame:
    """Open general B2B leads (created ≤ as_of) with a readable 決算月: lead_id, account, region, owner, stage
    (current), fiscal_month, fiscal_year_end, months_to_end (whole months from as_of's month), heavy
    (months_to_end ≤ months_before); heavy first, then the nearest end, then amount."""
    cols = ["lead_id", "account", "region", "owner", "stage", "amount_yen", "fiscal_month", "fiscal_year_end", "months_to_end", "heavy"]
    as_of = _resolve_as_of(leads, as_of)
    if as_of is None or "fiscal_month" not in leads.columns:
        return pd.DataFrame(columns=cols)
    open_ = leads["status"].eq("open").fillna(False) if "status" in leads.columns else True
    rows = leads[_segment_is(leads, "general") & open_ & _created_by(leads, as_of)]
    month = fiscal_month_number(rows["fiscal_month"])
    rows, month = rows[month.notna()], month[month.notna()]
    out = pd.DataFrame({k: rows[k] if k in rows.columns else pd.NA for k in cols[:6] if k != "stage"}, index=rows.index)
    out["stage"] = current_stage(rows, as_of) if len(rows) else pd.Series(dtype=object)
    out["fiscal_month"] = month.astype(int)
    ends = [fiscal_year_end(int(m), as_of) for m in month]
    out["fiscal_year_end"] = pd.to_datetime(pd.Series(ends, index=rows.index, dtype="datetime64[ns]"))
    out["months_to_end"] = [(e.year - as_of.year) * 12 + e.month - as_of.month for e in ends]
    out["heavy"] = out["months_to_end"] <= months_before
    out = out.sort_values(["heavy", "fiscal_year_end", "amount_yen"], ascending=[False, True, False], na_position="last", kind="stable")
    return out.reset_index(drop=True)[cols]


def _sent_back_rows(leads: pd.DataFrame, as_of) -> tuple[pd.DataFrame, pd.Series] | None:
    if "sent_back_count" not in leads.columns:
        return None
    as_of = _resolve_as_of(leads, as_of)
    rows = leads[reached_flags(leads, as_of)["poc"].astype(bool) & _created_by(leads, as_of)]
    count = pd.to_numeric(rows["sent_back_count"], errors="coerce")
    return rows[count.notna()], count[count.notna()]


def sent_back_rate(leads: pd.DataFrame, as_of=None) -> CaptureRate | None:
    """差し戻し率: leads with sent_back_count ≥ 1 / leads that reached the PoC stage (their 稟議 under way or done)
    with the count filled. None without sent_back_count.

    >>> f = pd.DataFrame({"created_at": pd.to_datetime(["2026-01-01"] * 4), "poc_on": pd.to_datetime(["2026-01-05"] * 3 + [None]),
    ...                   "sent_back_count": [0, 2, None, 1]})
    >>> sent_back_rate(f, "2026-02-01")
    CaptureRate(numerator=1, denominator=2)
    """
    found = _sent_back_rows(leads, as_of)
    if found is None:
        return None
    _rows, count = found
    return CaptureRate(int((count >= 1).sum()), len(count))


def sent_back_trend(leads: pd.DataFrame, as_of=None, by: str = "month") -> pd.DataFrame:
    """:func:`sent_back_rate` per month (or week, Monday) of the PoC date: period, leads, sent_back, rate."""
    cols = ["period", "leads", "sent_back", "rate"]
    found = _sent_back_rows(leads, as_of)
    if found is None or found[0].empty:
        return pd.DataFrame(columns=cols)
    rows, count = found
    # the PoC date, or — when it was skipped — the next later stage's date (the funnel's implied date)
    implied = _implied_days(_stage_days(rows, _resolve_as_of(leads, as_of)))[:, STAGES.index("poc")]
    poc = pd.Series(implied.astype("datetime64[D]").astype("datetime64[ns]"), index=rows.index)
    period = poc.dt.to_period("M").dt.start_time if by == "month" else poc - pd.to_timedelta(poc.dt.day_of_week, unit="D")
    frame = pd.DataFrame({"period": period, "back": (count >= 1).astype(int)}).dropna(subset=["period"])
    g = frame.groupby("period")["back"]
    out = pd.DataFrame({"leads": g.size(), "sent_back": g.sum()}).reset_index()
    out["rate"] = out["sent_back"] / out["leads"]
    return out[cols]


def classify_reason(values: pd.Series) -> pd.Series:
    """Each reason text → a class code of kpi.messages.REASON_CLASSES (keyword, first match), "other", or "blank"."""
    from .messages import REASON_CLASSES

    def one(v) -> str:
        if not isinstance(v, str) or not v.strip():
            return "blank"
        return next((code for code, words in REASON_CLASSES if any(w in v for w in words)), "other")

    labels = {v: one(v) for v in values.dropna().unique()}
    return values.map(labels).where(values.notna(), "blank").astype(object)


def reason_ranking(leads: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """失注理由 and 差し戻し理由 side by side, classified: kind (lost / sent_back), reason_class, leads, share (of the
    kind's leads with a reason, blanks left out), examples (up to 3 distinct texts); most frequent first per kind.
    Lost: status lost, created ≤ as_of. Sent back: sent_back_count ≥ 1 or a reason written, created ≤ as_of."""
    cols = ["kind", "reason_class", "leads", "share", "examples"]
    as_of = _resolve_as_of(leads, as_of)
    if as_of is None:
        return pd.DataFrame(columns=cols)
    created = _created_by(leads, as_of)
    parts = []
    if "lost_reason" in leads.columns and "status" in leads.columns:
        parts.append(("lost", leads.loc[leads["status"].eq("lost").fillna(False) & created, "lost_reason"]))
    if "sent_back_reason" in leads.columns:
        count = pd.to_numeric(leads["sent_back_count"], errors="coerce") if "sent_back_count" in leads.columns else pd.Series(np.nan, index=leads.index)
        back = (count >= 1) | leads["sent_back_reason"].notna()
        parts.append(("sent_back", leads.loc[back & created, "sent_back_reason"]))
    frames = []
    for kind, reasons in parts:
        cls = classify_reason(reasons)
        keep = cls.ne("blank")
        if not keep.any():
            continue
        frame = pd.DataFrame({"reason_class": cls[keep], "text": reasons[keep]})
        g = frame.groupby("reason_class")
        out = pd.DataFrame({"leads": g.size(), "examples": g["text"].agg(lambda s: " / ".join(list(dict.fromkeys(s))[:3]))}).reset_index()
        out["share"] = out["leads"] / out["leads"].sum()
        out.insert(0, "kind", kind)
        frames.append(out.sort_values(["leads", "reason_class"], ascending=[False, True], kind="stable"))
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)
