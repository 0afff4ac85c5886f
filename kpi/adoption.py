"""CRM adoption score (CRM定着スコア, SPEC section 2 "CRM adoption score", section 4 "CRM adoption").

Three layers, each 0–100 = the mean of its non-null sub-scores × 100; overall = the mean of the non-null
layers. Inputs: the validated ``leads`` frame and (optionally) the ``activities`` frame (kpi/__init__.py).
The meeting conversion and the stalled leads come from :mod:`kpi.funnel`; nothing here re-derives them.

Readings of the SPEC chosen here (where two were possible):

* ``as_of`` default: the one rule of :mod:`kpi.asof` for the leads (the leads section's as_of), so the
  meeting conversion is the same number as the funnel's.
* Dates are compared as calendar dates: window = activity / update *date* in (as_of − 28 d, as_of];
  freshness = updated_on in (as_of − 14 d, as_of] (the same half-open shape as the SPEC window).
* Scope: leads created on or before as_of (every sub-score); "open" is the file's ``status`` (the file is a
  snapshot, so the weekly trend recomputes past weeks from today's status / updated_on / next_action_on —
  an approximation that the page says so).
* users = distinct non-empty owners of in-scope leads ∪ reps of activities dated ≤ as_of. active_rate is
  available when either an ``activities`` frame or ``updated_on`` exists (each evidences activity).
* activity_logging_rate needs activities with ``lead_id`` (its enabling column is ``activities.lead_id``).
* required_fill_rate needs ``account``, ``owner`` and ``next_action_on`` (n/a without one of them).
* Duplicates: a lead without an account has no key and is never a duplicate; a lead without a contact is
  keyed by account + created date. In the per-owner table the *later* copies (by created_at, then file row)
  count against their owner, so the owners' extra copies add up to rows − distinct keys.
* first_response_rate: a date-only ``first_response_at`` is 00:00 of that day (as in the habits rule);
  a response dated after as_of is not yet a response; a response before created_at counts as within.
  Without ``created_at_has_time`` (hand-made frames) a created_at at exactly midnight is taken as date-only.
* The meeting-conversion sub-score needs ``meeting_on``; it is min(1, conversion(meeting) / target) with the
  funnel's cohort (every lead created ≤ as_of) and ``targets.step_conversion["meeting"]``.
* A sub-score with an empty denominator (no open leads, no lost leads …) is null without an enabling column.
* Score bands for colour: the one RAG rule (kpi.targets.rag) against 80: ≥ 80 green, ≥ 64 (0.8 × 80) yellow, below
  red (:func:`score_band`); the registry's adoption KPIs carry 80 as their target, so tiles and workbook agree.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .asof import resolve
from .funnel import funnel_table, stalled_leads
from .messages import TEXT, text
from .targets import YELLOW_SHARE, Targets, rag

WINDOW_DAYS = 28
FRESH_DAYS = 14
TREND_WEEKS = 12
LAYERS: tuple[str, ...] = ("usage", "data", "outcomes")
BAND_GOOD = 80.0
BAND_WATCH = YELLOW_SHARE * BAND_GOOD  # 64: the one RAG rule's yellow edge
# removed after NFKC / lower case / whitespace removal, in this order (SPEC section 4)
LEGAL_FORMS: tuple[str, ...] = ("社会医療法人", "医療法人", "株式会社", "(株)")


@dataclass(frozen=True)
class Definition:
    """One sub-score as the page, the CLI and the workbook name and explain it; the words are in kpi/messages.py
    (``TEXT["adoption.sub.<key>"]`` and ``TEXT["adoption.def.<key>"]``)."""

    key: str
    layer: str

    def name(self, lang: str = "ja") -> str:
        return text(f"adoption.sub.{self.key}", lang)

    def definition(self, lang: str = "ja") -> str:
        return text(f"adoption.def.{self.key}", lang)


DEFINITIONS: tuple[Definition, ...] = tuple(Definition(key, layer) for key, layer in (
    ("active_rate", "usage"),
    ("activity_logging_rate", "usage"),
    ("stage_update_rate", "usage"),
    ("next_action_rate", "usage"),
    ("required_fill_rate", "data"),
    ("unique_rate", "data"),
    ("lost_reason_rate", "data"),
    ("freshness", "data"),
    ("first_response_rate", "outcomes"),
    ("meeting_conversion_score", "outcomes"),
    ("win_rate_score", "outcomes"),
    ("not_stalled_rate", "outcomes"),
))
DEFINITION_BY_KEY: dict[str, Definition] = {d.key: d for d in DEFINITIONS}
SUBSCORE_KEYS: tuple[str, ...] = tuple(d.key for d in DEFINITIONS)
LAYER_NAMES: dict[str, tuple[str, str]] = {k: TEXT[f"adoption.layer.{k}"] for k in (*LAYERS, "overall")}
# the lead columns any sub-score reads (the rest are dropped before the row filters, which copy columns)
USED_COLUMNS: frozenset[str] = frozenset({
    "lead_id", "account", "contact", "segment", "region", "owner", "status", "created_at", "created_at_has_time",
    "updated_on", "next_action_on", "lost_reason", "first_response_at", "contacted_on", "meeting_on", "poc_on",
    "approved_on", "collected_on", "_row", "_dup_key",
})
OWNER_SUBSCORES: tuple[str, ...] = tuple(d.key for d in DEFINITIONS if d.layer in ("usage", "data"))


@dataclass(frozen=True)
class SubScore:
    """One sub-score: value 0–1 (None = n/a), its numerator / denominator, the definition text key, and the
    column that would enable it when it is n/a because a column is absent. ``raw`` / ``reference`` hold the
    underlying rate and the target it is compared to (meeting conversion, win rate)."""

    key: str
    layer: str
    value: float | None
    numerator: float | None
    denominator: float | None
    definition: str
    enabling_column: str | None = None
    raw: float | None = None
    reference: float | None = None


@dataclass(frozen=True)
class AdoptionScore:
    as_of: pd.Timestamp | None
    subscores: tuple[SubScore, ...]
    layers: dict[str, float | None]   # usage / data / outcomes, 0–100
    overall: float | None

    def sub(self, key: str) -> SubScore:
        return next(s for s in self.subscores if s.key == key)

    def layer_subscores(self, layer: str) -> tuple[SubScore, ...]:
        return tuple(s for s in self.subscores if s.layer == layer)


# ------------------------------------------------------------------ small helpers
def resolve_as_of(leads: pd.DataFrame, as_of=None) -> pd.Timestamp | None:
    """The given as_of at midnight, else the leads' default (kpi.asof, the one rule: latest date in the leads)."""
    return resolve("leads", leads, as_of)


def _day(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, errors="coerce").dt.normalize()


def _in_window(dates: pd.Series, as_of: pd.Timestamp, days: int) -> pd.Series:
    d = _day(dates)
    return (d > as_of - pd.Timedelta(days=days)) & (d <= as_of)


def _filled(frame: pd.DataFrame, column: str) -> pd.Series:
    s = frame[column]
    return s.notna() & s.astype("string").str.len().fillna(0).gt(0)


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if not denominator else float(numerator) / float(denominator)


def mean_score(values) -> float | None:
    """Mean of the non-null values; None when all are null."""
    vals = [float(v) for v in values if v is not None and not (isinstance(v, float) and np.isnan(v))]
    return sum(vals) / len(vals) if vals else None


def score_band(score: float | None) -> str | None:
    """Colour band of a 0–100 score by the one RAG rule against 80: green ≥ 80, yellow ≥ 64, red below (None for n/a)."""
    if score is None or pd.isna(score):
        return None
    return rag(score, BAND_GOOD)


def _slim(leads: pd.DataFrame) -> pd.DataFrame:
    return leads[[c for c in leads.columns if c in USED_COLUMNS]]


def leads_in_scope(leads: pd.DataFrame, as_of: pd.Timestamp | None) -> pd.DataFrame:
    """Leads created on or before as_of (the population of every sub-score)."""
    if as_of is None:
        return leads.iloc[0:0]
    return leads[_day(leads["created_at"]) <= as_of]


# ------------------------------------------------------------------ duplicate key
def normalise_name(series: pd.Series) -> pd.Series:
    """SPEC section 4: NFKC, lower case, all whitespace removed, then 社会医療法人, 医療法人, 株式会社, (株)
    removed in that order. Missing stays missing.

    >>> normalise_name(pd.Series(["医療法人 さくら会", "（株）ＡＢＣ", "株式会社 abc"])).tolist()
    ['さくら会', 'abc', 'abc']
    """
    text = series.astype("string")
    codes, uniques = pd.factorize(text, use_na_sentinel=True)  # names repeat: normalise each once, then take
    norm = pd.Series(uniques, dtype="string").str.normalize("NFKC").str.lower().str.replace(r"\s+", "", regex=True)
    for form in LEGAL_FORMS:
        norm = norm.str.replace(form, "", regex=False)
    values = norm.to_numpy(dtype=object, na_value=None)
    out = np.empty(len(codes), dtype=object)
    out[codes >= 0] = values[codes[codes >= 0]]
    out[codes < 0] = None
    return pd.Series(out, index=series.index, dtype="string")


def duplicate_key(leads: pd.DataFrame) -> pd.Series:
    """Normalised account + normalised contact, or account + created date (YYYY-MM-DD) when the lead has no
    contact. NA for a lead without an account (it cannot be matched)."""
    account = normalise_name(leads["account"])
    account = account.where(account.str.len() > 0)
    if "contact" in leads.columns:
        contact = normalise_name(leads["contact"])
        contact = contact.where(contact.str.len() > 0)
    else:
        contact = pd.Series(pd.NA, index=leads.index, dtype="string")
    day = _day(leads["created_at"])
    day_codes, days = pd.factorize(day, use_na_sentinel=True)  # a few hundred distinct days: format each once
    labels = np.array([d.strftime("%Y-%m-%d") for d in days] + [None], dtype=object)
    created = pd.Series(labels[day_codes], index=leads.index, dtype="string")
    key = (account + "|c:" + contact).fillna(account + "|d:" + created)
    return key.where(account.notna())


def _duplicate_extra(leads: pd.DataFrame, key: pd.Series) -> pd.Series:
    """True for each later copy of a key (the first by created_at, then file row, is the original)."""
    order = [c for c in ("created_at", "_row") if c in leads.columns]
    ordered = key.loc[leads.sort_values(order, kind="stable").index] if order else key
    extra = ordered.notna() & ordered.duplicated(keep="first")
    return extra.reindex(key.index)


# ------------------------------------------------------------------ per-lead flags (one place per definition)
@dataclass(frozen=True)
class _Flags:
    """Per in-scope lead, the bools every lead-level sub-score counts, plus the n/a columns."""

    frame: pd.DataFrame
    missing: dict[str, str]   # sub-score key -> enabling column


def _activities_up_to(activities: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.DataFrame | None:
    if activities is None:
        return None
    return activities[_day(activities["activity_at"]) <= as_of]


def _lead_flags(scope: pd.DataFrame, activities: pd.DataFrame | None, as_of: pd.Timestamp) -> _Flags:
    cols = scope.columns
    missing: dict[str, str] = {}
    f = pd.DataFrame(index=scope.index)
    f["owner"] = scope["owner"].where(_filled(scope, "owner")) if "owner" in cols else pd.Series(pd.NA, index=scope.index, dtype="string")
    f["open"] = scope["status"].eq("open")
    f["lost"] = scope["status"].eq("lost")

    acts = _activities_up_to(activities, as_of)
    if acts is not None and "lead_id" in acts.columns:
        logged_ids = acts.loc[_in_window(acts["activity_at"], as_of, WINDOW_DAYS), "lead_id"].dropna().unique()
        f["logged"] = scope["lead_id"].isin(logged_ids)
    else:
        missing["activity_logging_rate"] = "activities.lead_id"
    if "updated_on" in cols:
        f["updated"] = _in_window(scope["updated_on"], as_of, WINDOW_DAYS)
        f["fresh"] = _in_window(scope["updated_on"], as_of, FRESH_DAYS)
    else:
        missing["stage_update_rate"] = missing["freshness"] = "updated_on"
    if "next_action_on" in cols:
        f["next_set"] = _day(scope["next_action_on"]) >= as_of
    else:
        missing["next_action_rate"] = "next_action_on"

    absent = [c for c in ("account", "owner", "next_action_on") if c not in cols]
    if absent:
        missing["required_fill_rate"] = absent[0]
    else:
        f["required"] = (_filled(scope, "account") & scope["segment"].ne("other") & scope["region"].ne("other")
                         & _filled(scope, "owner") & (~f["open"] | scope["next_action_on"].notna()))
    if "account" in cols:
        key = scope["_dup_key"] if "_dup_key" in cols else duplicate_key(scope)  # precomputed by weekly_trend
        f["dup_extra"] = _duplicate_extra(scope, key)
    else:
        missing["unique_rate"] = "account"
    if "lost_reason" in cols:
        f["has_reason"] = _filled(scope, "lost_reason")
    else:
        missing["lost_reason_rate"] = "lost_reason"
    if "first_response_at" in cols:
        f["first_response"] = first_response_within(scope, as_of)
    else:
        missing["first_response_rate"] = "first_response_at"
    return _Flags(f, missing)


def first_response_within(leads: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Per lead: first response (dated ≤ as_of) within 24 h of created_at, or — when created_at has no time —
    on the same or the next calendar day. Exactly 24 h counts; a response before creation counts."""
    created = pd.to_datetime(leads["created_at"])
    if "created_at_has_time" in leads.columns:
        has_time = leads["created_at_has_time"].astype(bool)
    else:
        has_time = created.ne(created.dt.normalize())
    response = pd.to_datetime(leads["first_response_at"])
    response = response.where(response.dt.normalize() <= as_of)
    by_time = response <= created + pd.Timedelta(hours=24)
    by_day = response.dt.normalize() <= created.dt.normalize() + pd.Timedelta(days=1)
    return response.notna() & by_time.where(has_time, by_day).astype(bool)


# ------------------------------------------------------------------ users
def user_activity(leads: pd.DataFrame, activities: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.DataFrame | None:
    """One row per user (distinct non-empty owner of an in-scope lead ∪ rep of an activity ≤ as_of):
    ``user``, ``active`` (an activity in the window, or owns a lead with updated_on in the window),
    ``activities`` (count in the window), ``updated_leads`` (own leads updated in the window). None when
    neither activities nor updated_on exist (nothing shows activity)."""
    scope = leads_in_scope(leads, as_of)
    acts = _activities_up_to(activities, as_of)
    if acts is None and "updated_on" not in scope.columns:
        return None
    owners = scope.loc[_filled(scope, "owner"), "owner"] if "owner" in scope.columns else pd.Series([], dtype="string")
    reps = acts.loc[_filled(acts, "rep"), "rep"] if acts is not None else pd.Series([], dtype="string")
    users = pd.Index(pd.concat([owners.astype("string"), reps.astype("string")]).unique(), name="user").dropna()
    n_acts = pd.Series(0, index=users, dtype=int)
    if acts is not None:
        in_win = acts[_in_window(acts["activity_at"], as_of, WINDOW_DAYS) & _filled(acts, "rep")]
        n_acts = in_win.groupby(in_win["rep"].astype("string")).size().reindex(users, fill_value=0)
    n_upd = pd.Series(0, index=users, dtype=int)
    if "updated_on" in scope.columns and "owner" in scope.columns:
        upd = scope[_in_window(scope["updated_on"], as_of, WINDOW_DAYS) & _filled(scope, "owner")]
        n_upd = upd.groupby(upd["owner"].astype("string")).size().reindex(users, fill_value=0)
    out = pd.DataFrame({"activities": n_acts.astype(int), "updated_leads": n_upd.astype(int)}, index=users)
    out.insert(0, "active", (out["activities"] > 0) | (out["updated_leads"] > 0))
    return out.reset_index()


# ------------------------------------------------------------------ the score
def _sub(key: str, numerator, denominator, enabling: str | None = None, value=None, raw=None, reference=None) -> SubScore:
    d = DEFINITION_BY_KEY[key]
    if enabling is not None:
        return SubScore(key, d.layer, None, None, None, f"adoption.def.{key}", enabling)
    num = None if numerator is None else float(numerator)
    den = None if denominator is None else float(denominator)
    if value is None:
        value = _ratio(num or 0.0, den or 0.0) if den else None
    return SubScore(key, d.layer, value, num, den, f"adoption.def.{key}", None, raw, reference)


def _count(flags: pd.DataFrame, column: str, among: pd.Series | None = None) -> tuple[int, int]:
    rows = flags if among is None else flags[among]
    return int(rows[column].sum()), len(rows)


def adoption_score(leads: pd.DataFrame, activities: pd.DataFrame | None = None, as_of=None,
                   targets: Targets | None = None) -> AdoptionScore:
    """Every sub-score, the three layers (0–100) and the overall score as of ``as_of`` (module docstring:
    readings). ``activities`` may be None (its sub-scores are then n/a or use the leads alone)."""
    targets = targets or Targets()
    as_of = resolve_as_of(leads, as_of)
    leads = _slim(leads)
    if as_of is None:
        subs = tuple(_sub(d.key, None, 0) for d in DEFINITIONS)
        return AdoptionScore(None, subs, {layer: None for layer in LAYERS}, None)
    scope = leads_in_scope(leads, as_of)
    flags = _lead_flags(scope, activities, as_of)
    f, missing = flags.frame, flags.missing
    open_ = f["open"]
    subs: list[SubScore] = []

    users = user_activity(leads, activities, as_of)
    if users is None:
        subs.append(_sub("active_rate", None, None, enabling="updated_on"))
    else:
        subs.append(_sub("active_rate", int(users["active"].sum()), len(users)))
    for key, column, among in (
        ("activity_logging_rate", "logged", open_), ("stage_update_rate", "updated", open_),
        ("next_action_rate", "next_set", open_), ("required_fill_rate", "required", None),
    ):
        subs.append(_sub(key, None, None, enabling=missing[key]) if key in missing else _sub(key, *_count(f, column, among)))
    if "unique_rate" in missing:
        subs.append(_sub("unique_rate", None, None, enabling=missing["unique_rate"]))
    else:
        subs.append(_sub("unique_rate", int(len(f) - f["dup_extra"].sum()), len(f)))
    for key, column, among in (("lost_reason_rate", "has_reason", f["lost"]), ("freshness", "fresh", open_),
                               ("first_response_rate", "first_response", None)):
        subs.append(_sub(key, None, None, enabling=missing[key]) if key in missing else _sub(key, *_count(f, column, among)))

    # outcomes from the funnel (same cohort: every lead created ≤ as_of)
    if "meeting_on" not in leads.columns:
        subs.append(_sub("meeting_conversion_score", None, None, enabling="meeting_on"))
    else:
        table = funnel_table(leads, as_of, targets).set_index("stage")
        conv = table.at["meeting", "conversion"]
        target = float(targets.step_conversion["meeting"])
        conv = None if pd.isna(conv) else float(conv)
        value = None if conv is None or target <= 0 else min(1.0, conv / target)
        subs.append(_sub("meeting_conversion_score", int(table.at["meeting", "reached"]), int(table.at["contact", "reached"]),
                         value=value, raw=conv, reference=target))
    won, lost = int(scope["status"].eq("won").sum()), int(f["lost"].sum())
    win_rate = _ratio(won, won + lost)
    ref = float(targets.win_rate_reference)
    subs.append(_sub("win_rate_score", won, won + lost, value=None if win_rate is None else min(1.0, win_rate / ref),
                     raw=win_rate, reference=ref))
    n_open = int(open_.sum())
    n_stalled = len(stalled_leads(scope[open_], as_of, targets))  # stalled counts open leads only
    subs.append(_sub("not_stalled_rate", n_open - n_stalled, n_open))

    order = {k: i for i, k in enumerate(SUBSCORE_KEYS)}
    subs.sort(key=lambda s: order[s.key])
    layers = {layer: _layer_score([s.value for s in subs if s.layer == layer]) for layer in LAYERS}
    return AdoptionScore(as_of, tuple(subs), layers, mean_score(layers.values()))


def _layer_score(values) -> float | None:
    m = mean_score(values)
    return None if m is None else 100.0 * m


def adoption_section(leads: pd.DataFrame, activities: pd.DataFrame | None = None, as_of=None,
                     targets: Targets | None = None) -> dict[str, Any]:
    """SPEC section 3 ``adoption``: {"usage", "data", "outcomes", "overall"} (0–100, null = n/a, unrounded)."""
    score = adoption_score(leads, activities, as_of, targets)
    return {**score.layers, "overall": score.overall}


def subscores_table(score: AdoptionScore) -> pd.DataFrame:
    """One row per sub-score: layer, key, value (0–1), numerator, denominator, raw, reference, enabling_column."""
    return pd.DataFrame([{
        "layer": s.layer, "key": s.key, "value": s.value, "numerator": s.numerator, "denominator": s.denominator,
        "raw": s.raw, "reference": s.reference, "enabling_column": s.enabling_column,
    } for s in score.subscores])


# ------------------------------------------------------------------ trend and per-owner scores
def weekly_trend(leads: pd.DataFrame, activities: pd.DataFrame | None = None, as_of=None,
                 targets: Targets | None = None, weeks: int = TREND_WEEKS) -> pd.DataFrame:
    """The layer scores and the overall score as of as_of, as_of − 7 d, … (``weeks`` points, oldest first):
    columns week_end, usage, data, outcomes, overall. The last row equals :func:`adoption_section`."""
    as_of = resolve_as_of(leads, as_of)
    if as_of is None:
        return pd.DataFrame(columns=["week_end", *LAYERS, "overall"])
    leads = _slim(leads)
    if "account" in leads.columns:  # the key of a lead does not change week to week: normalise once
        leads = leads.assign(_dup_key=duplicate_key(leads))
    rows = []
    for k in range(weeks - 1, -1, -1):
        day = as_of - pd.Timedelta(days=7 * k)
        score = adoption_score(leads, activities, day, targets)
        rows.append({"week_end": day, **score.layers, "overall": score.overall})
    out = pd.DataFrame(rows)
    for c in (*LAYERS, "overall"):
        out[c] = out[c].astype(float)
    return out


def owner_scores(leads: pd.DataFrame, activities: pd.DataFrame | None = None, as_of=None,
                 targets: Targets | None = None) -> pd.DataFrame:
    """Per user (owner ∪ rep): the usage and data sub-scores over the user's own in-scope leads (0–1, NaN =
    n/a or no such lead), ``usage`` and ``data`` layer scores (0–100), ``score`` = their mean, ``leads`` and
    ``open_leads``. Sorted worst first (lowest score; users without any score last). A rep without leads has
    only active_rate. Same flags as :func:`adoption_score`, grouped by owner."""
    as_of = resolve_as_of(leads, as_of)
    cols = ["user", "leads", "open_leads", *OWNER_SUBSCORES, "usage", "data", "score"]
    if as_of is None:
        return pd.DataFrame(columns=cols)
    scope = leads_in_scope(leads, as_of)
    flags = _lead_flags(scope, activities, as_of)
    f, missing = flags.frame, flags.missing
    users = user_activity(leads, activities, as_of)
    owners = f["owner"].dropna().astype("string").unique()
    index = pd.Index(pd.concat([pd.Series(owners, dtype="string"), users["user"].astype("string") if users is not None else pd.Series([], dtype="string")]).unique(), name="user")
    out = pd.DataFrame(index=index)
    g = f[f["owner"].notna()].assign(owner=lambda x: x["owner"].astype("string"))
    by = g.groupby("owner")
    out["leads"] = by.size().reindex(index, fill_value=0).astype(int)
    out["open_leads"] = by["open"].sum().reindex(index, fill_value=0).astype(int)
    out["active_rate"] = np.nan if users is None else users.set_index(users["user"].astype("string"))["active"].astype(float).reindex(index)

    def rate(column: str, among: str | None) -> pd.Series:
        rows = g if among is None else g[g[among]]
        grouped = rows.groupby("owner")[column]
        return (grouped.sum() / grouped.size()).astype(float).reindex(index)

    for key, column, among in (("activity_logging_rate", "logged", "open"), ("stage_update_rate", "updated", "open"),
                               ("next_action_rate", "next_set", "open"), ("required_fill_rate", "required", None),
                               ("lost_reason_rate", "has_reason", "lost"), ("freshness", "fresh", "open")):
        out[key] = np.nan if key in missing else rate(column, among)
    out["unique_rate"] = np.nan if "unique_rate" in missing else 1.0 - rate("dup_extra", None)
    usage_keys = [d.key for d in DEFINITIONS if d.layer == "usage"]
    data_keys = [d.key for d in DEFINITIONS if d.layer == "data"]
    out["usage"] = out[usage_keys].mean(axis=1, skipna=True) * 100
    out["data"] = out[data_keys].mean(axis=1, skipna=True) * 100
    out["score"] = out[["usage", "data"]].mean(axis=1, skipna=True)
    out = out.reset_index().sort_values(["score", "user"], ascending=[True, True], na_position="last", kind="stable")
    return out[cols].reset_index(drop=True)


# ------------------------------------------------------------------ data-quality lists (what to fix)
LIST_COLUMNS = ["lead_id", "account", "owner", "status", "created_at", "updated_on", "next_action_on", "_row"]


def _list_frame(rows: pd.DataFrame, extra: dict[str, pd.Series] | None = None) -> pd.DataFrame:
    out = pd.DataFrame({c: rows[c] if c in rows.columns else pd.NA for c in LIST_COLUMNS}, index=rows.index)
    for name, values in (extra or {}).items():
        out[name] = values
    return out


def duplicate_groups(leads: pd.DataFrame, as_of=None) -> pd.DataFrame | None:
    """Leads (created ≤ as_of) whose duplicate key occurs more than once: ``key`` (normalised), ``copies``
    (rows with the key), ``contact``, ``extra`` (True for the later copies counted in duplicate_rate) and the
    list columns. Sorted by key, then created_at. None without ``account``."""
    if "account" not in leads.columns:
        return None
    as_of = resolve_as_of(leads, as_of)
    scope = leads_in_scope(leads, as_of)
    key = duplicate_key(scope)
    counts = key.map(key.value_counts())
    dup = key.notna() & counts.gt(1)
    rows = scope[dup]
    out = _list_frame(rows, {"contact": rows["contact"] if "contact" in rows.columns else pd.NA,
                             "key": key[dup], "copies": counts[dup].astype(int), "extra": _duplicate_extra(scope, key)[dup]})
    out = out[["key", "copies", "extra", "lead_id", "account", "contact", "owner", "status", "created_at", "updated_on", "next_action_on", "_row"]]
    return out.sort_values(["key", "created_at", "_row"] if "_row" in rows.columns else ["key", "created_at"], kind="stable").reset_index(drop=True)


def missing_next_action(leads: pd.DataFrame, as_of=None) -> pd.DataFrame | None:
    """Open leads (created ≤ as_of) without a next action on or after as_of (blank or overdue): the failures of
    next_action_rate. ``overdue_days`` = as_of − next_action_on (NaN when blank). Blank first, then most
    overdue. None without ``next_action_on``."""
    if "next_action_on" not in leads.columns:
        return None
    as_of = resolve_as_of(leads, as_of)
    scope = leads_in_scope(leads, as_of)
    nxt = _day(scope["next_action_on"])
    rows = scope[scope["status"].eq("open") & ~(nxt >= as_of)]
    out = _list_frame(rows, {"overdue_days": (as_of - _day(rows["next_action_on"])).dt.days.astype(float)})
    return out.sort_values("overdue_days", ascending=False, na_position="first", kind="stable").reset_index(drop=True)


def stale_leads(leads: pd.DataFrame, as_of=None) -> pd.DataFrame | None:
    """Open leads (created ≤ as_of) not updated in the last 14 days (the failures of freshness), with
    ``days_since_update`` (NaN when updated_on is blank). Blank first, then the oldest update. None without
    ``updated_on``."""
    if "updated_on" not in leads.columns:
        return None
    as_of = resolve_as_of(leads, as_of)
    scope = leads_in_scope(leads, as_of)
    rows = scope[scope["status"].eq("open") & ~_in_window(scope["updated_on"], as_of, FRESH_DAYS)]
    out = _list_frame(rows, {"days_since_update": (as_of - _day(rows["updated_on"])).dt.days.astype(float)})
    return out.sort_values("days_since_update", ascending=False, na_position="first", kind="stable").reset_index(drop=True)


def lost_without_reason(leads: pd.DataFrame, as_of=None) -> pd.DataFrame | None:
    """Lost leads (created ≤ as_of) with a blank lost_reason. None without ``lost_reason``."""
    if "lost_reason" not in leads.columns:
        return None
    as_of = resolve_as_of(leads, as_of)
    scope = leads_in_scope(leads, as_of)
    rows = scope[scope["status"].eq("lost") & ~_filled(scope, "lost_reason")]
    return _list_frame(rows).sort_values(["created_at"], kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------ weekly workbook
def report_tables(frames: dict[str, pd.DataFrame], as_of=None, targets: Targets | None = None, lang: str = "ja") -> dict[str, pd.DataFrame]:
    """Weekly workbook sheets: the layer scores and the sub-scores (Japanese headers when lang == "ja").
    {} without a leads dataset."""
    leads = frames.get("leads")
    if leads is None:
        return {}
    ja = lang != "en"
    score = adoption_score(leads, frames.get("activities"), as_of, targets)
    name = (lambda k: LAYER_NAMES[k][0 if ja else 1])
    h = lambda key: text(f"adoption.sheet.{key}", lang)  # noqa: E731
    headline = pd.DataFrame({
        h("layer"): [name(k) for k in (*LAYERS, "overall")],
        h("score"): [score.layers[k] for k in LAYERS] + [score.overall],
    })
    subs = subscores_table(score)
    detail = pd.DataFrame({
        h("layer"): subs["layer"].map(name),
        h("subscore"): subs["key"].map(lambda k: DEFINITION_BY_KEY[k].name(lang)),
        h("value"): subs["value"],
        h("numerator"): subs["numerator"],
        h("denominator"): subs["denominator"],
        h("enabling"): subs["enabling_column"],
        h("definition"): subs["key"].map(lambda k: DEFINITION_BY_KEY[k].definition(lang)),
    })
    return {h("title"): headline, h("title_detail"): detail}



# ------------------------------------------------------------------ the page's view
TILE_KEYS: dict[str, str] = {"overall": "adoption_overall", "usage": "adoption_usage", "data": "adoption_data",
                             "outcomes": "adoption_outcomes"}


@dataclass(frozen=True)
class AdoptionView:
    """Everything the adoption page shows for one as_of: the score, its weekly trend, the owners' table, the fix
    lists and the four headline tiles (kpi.registry.TileView: registry label, layer · cadence · owner, RAG by the one
    rule against 80, 信頼度 from the registry's basis; the overall tile takes its weakest layer's 信頼度)."""

    as_of: pd.Timestamp
    score: AdoptionScore
    trend: pd.DataFrame
    owners: pd.DataFrame
    fix_lists: dict[str, pd.DataFrame | None]
    tiles: tuple[Any, ...]


def adoption_view(leads: pd.DataFrame, activities: pd.DataFrame | None, as_of: pd.Timestamp, targets: Targets | None = None,
                  lang: str = "ja") -> AdoptionView:
    from .registry import tile

    targets = targets or Targets()
    score = adoption_score(leads, activities, as_of, targets)
    trend = weekly_trend(leads, activities, as_of, targets)
    before = trend.iloc[-2] if len(trend) >= 2 else None
    scope = leads_in_scope(leads, as_of)
    views = {layer: tile(TILE_KEYS[layer], score.layers[layer], targets,
                         None if before is None or pd.isna(before[layer]) else float(before[layer]),
                         frames={"leads": scope}, as_of=as_of.date(), lang=lang) for layer in LAYERS}
    weakest = min((v.confidence for v in views.values()), key=lambda c: ("low", "medium", "high").index(c.level))
    overall = tile(TILE_KEYS["overall"], score.overall, targets,
                   None if before is None or pd.isna(before["overall"]) else float(before["overall"]),
                   as_of=as_of.date(), lang=lang, confidence=weakest)
    fix_lists = {"duplicates": duplicate_groups(leads, as_of), "next_action": missing_next_action(leads, as_of),
                 "stale": stale_leads(leads, as_of), "lost_reason": lost_without_reason(leads, as_of)}
    return AdoptionView(as_of, score, trend, owner_scores(leads, activities, as_of, targets), fix_lists,
                        (overall, *(views[layer] for layer in LAYERS)))
