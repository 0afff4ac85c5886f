"""Moves between two leads snapshots (SPEC section 5 "Moves between two leads snapshots").

Pure computation: two validated leads frames (each with its ``as_of``) in, one frozen :class:`Moves` out. The CLI
(``python -m kpi moves OLDER NEWER``), the history store (``kpi.history.Store.moves``) and the app's weekly page
read the same object: ``to_json()`` is SPEC's ``{"moves": {...}}``, :meth:`Moves.leads_in` lists the leads of one
category (account, owner, old → new stage), and ``amount_changes`` / ``next_action_pushed`` / ``owner_changes``
are the per-lead tables the page shows beside them.

Rules (SPEC 5, and section 4 "Stalled" for the stage):

* stage(lead) = the furthest stage with a date ≤ the snapshot's as_of (``kpi.funnel.stage_dates``: calendar
  dates, a created_at with a time counts as its day); status as loaded (default ``won`` if collected_on, else
  ``open``).
* Leads are matched by lead_id, NFKC-normalised and stripped. A lead_id that occurs more than once in one
  snapshot: its last row counts (the largest Excel row number, ``_row``), with a warning naming the rows.
* The two snapshots are ordered by their as_of, whatever the order given; equal as_of keeps the order given
  (with a warning, since then "which is last week's" is the caller's choice).

Readings of the SPEC chosen here (where two were possible):

* A lead whose last row has no stage date ≤ the snapshot's as_of (created after it, which only happens when
  the as_of is given, e.g. a ``--week`` earlier than the data) is not part of that snapshot: the funnel's cohort
  is "created on or before as_of" (SPEC 4). It is counted nowhere, and a warning says how many were left out.
* Rows with an empty lead_id (a hand-made frame; the loader rejects them) are ignored.
* An amount change is any difference in amount_yen between the two snapshots, a value entered or removed
  included (missing = missing is no change). A next action is "pushed later" when both snapshots have
  next_action_on and the newer one is later. An owner change is any difference in owner, an owner assigned or
  removed included. These three are over matched leads; each is ``None`` when either snapshot lacks the column.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .funnel import default_as_of, stage_dates
from .messages import message, text
from .targets import STAGES

CATEGORIES: tuple[str, ...] = ("forward", "jumped", "backward", "unchanged", "won", "lost", "new", "vanished")
COUNT_KEYS: tuple[str, ...] = ("matched", "new", "vanished", "forward", "jumped", "backward", "unchanged", "won", "lost")
LEAD_COLUMNS: list[str] = ["lead_id", "account", "owner", "region", "old_stage", "new_stage", "steps", "old_status",
                           "new_status", "presence"]
_CARRIED = ("account", "owner", "region", "amount_yen", "next_action_on")  # per-lead fields the lists show
_DETAILS_SHOWN = 10  # duplicate lead_ids named in a warning; the rest are counted


@dataclass(frozen=True)
class Notice:
    """A warning about a snapshot, rendered in the user's language by :meth:`text` (codes ``moves.*`` in
    kpi/messages.py)."""

    code: str
    params: dict = field(default_factory=dict)

    def text(self, lang: str = "ja") -> str:
        params = dict(self.params)
        if self.code == "duplicate_lead":
            params["details"] = _duplicate_details(params.pop("ids"), params.pop("more"), lang)
        return message(f"moves.{self.code}", lang, **params)


def _duplicate_details(ids: tuple, more: int, lang: str) -> str:
    rows_text = lambda rows: text("moves.dup_row_sep", lang).join(text("moves.dup_row", lang, row=r) for r in rows)  # noqa: E731
    joined = text("moves.dup_sep", lang).join(text("moves.dup_rows", lang, lead=lead, rows=rows_text(rows)) for lead, rows in ids)
    return joined + (text("moves.dup_more", lang, more=more) if more else "")


@dataclass(frozen=True, eq=False)
class Moves:
    """Moves from the older snapshot to the newer one. Counts are over matched leads except ``new`` and
    ``vanished``; ``matrix[old][new]`` holds all 36 cells."""

    old_as_of: pd.Timestamp | None
    new_as_of: pd.Timestamp | None
    matched: int
    new: int
    vanished: int
    forward: int
    jumped: int
    backward: int
    unchanged: int
    won: int
    lost: int
    matrix: dict[str, dict[str, int]]
    # one row per lead of either snapshot (LEAD_COLUMNS); presence: matched / new / vanished
    leads: pd.DataFrame = field(repr=False)
    # matched leads only; None when either snapshot lacks the column:
    # lead_id, account, owner, old_amount, new_amount, change (largest change first)
    amount_changes: pd.DataFrame | None = field(default=None, repr=False)
    # lead_id, account, owner, old_next_action_on, new_next_action_on, days_later (most days first)
    next_action_pushed: pd.DataFrame | None = field(default=None, repr=False)
    # lead_id, account, old_owner, new_owner
    owner_changes: pd.DataFrame | None = field(default=None, repr=False)
    warnings: tuple[Notice, ...] = ()
    swapped: bool = False  # the arguments came newer first and were put in order
    old_name: str = ""
    new_name: str = ""

    def counts(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in COUNT_KEYS}

    def to_json(self) -> dict[str, Any]:
        """SPEC 5: ``{"moves": {"old_as_of", "new_as_of", "matched", …, "matrix": {stage: {stage: n}}}}``."""
        return {"moves": {
            "old_as_of": _iso(self.old_as_of), "new_as_of": _iso(self.new_as_of), **self.counts(),
            "matrix": {a: dict(row) for a, row in self.matrix.items()},
        }}

    def leads_in(self, category: str) -> pd.DataFrame:
        """The leads of one category (``CATEGORIES``) with account, owner, region, old → new stage and status."""
        t = self.leads
        matched = t["presence"].eq("matched")
        steps = t["steps"]
        mask = {
            "forward": matched & steps.gt(0), "jumped": matched & steps.ge(2), "backward": matched & steps.lt(0),
            "unchanged": matched & steps.eq(0),
            "won": matched & t["new_status"].eq("won") & t["old_status"].ne("won"),
            "lost": matched & t["new_status"].eq("lost") & t["old_status"].ne("lost"),
            "new": t["presence"].eq("new"), "vanished": t["presence"].eq("vanished"),
        }.get(category)
        if mask is None:
            raise ValueError(f"unknown category {category!r}; one of {CATEGORIES}")
        return t[mask.fillna(False).to_numpy(dtype=bool)].reset_index(drop=True)

    def leads_in_cell(self, old_stage: str, new_stage: str) -> pd.DataFrame:
        """The matched leads behind ``matrix[old_stage][new_stage]`` (same columns as :meth:`leads_in`)."""
        t = self.leads
        mask = t["presence"].eq("matched") & t["old_stage"].eq(old_stage) & t["new_stage"].eq(new_stage)
        return t[mask.fillna(False).to_numpy(dtype=bool)].reset_index(drop=True)

    def summary_line(self) -> str:
        """The CLI's one-line summary (field names as in the JSON)."""
        counts = " ".join(f"{k}={v}" for k, v in self.counts().items())
        return f"moves {_iso(self.old_as_of) or '-'} -> {_iso(self.new_as_of) or '-'}: {counts}"


def _iso(ts) -> str | None:
    return None if ts is None or pd.isna(ts) else pd.Timestamp(ts).date().isoformat()


# ------------------------------------------------------------------ one snapshot
def normalise_ids(ids: pd.Series) -> pd.Series:
    """lead_id as matched: NFKC-normalised, stripped; empty → NA (Arrow's kernels, no Python loop per value)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = ids.astype("str")
    try:
        arr = pa.array(text, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # pragma: no cover - text is str dtype here
        arr = pa.array([None if pd.isna(v) else str(v) for v in text], type=pa.string())
    norm = pc.utf8_trim_whitespace(pc.utf8_normalize(arr, "NFKC"))
    norm = pc.if_else(pc.equal(norm, ""), pa.scalar(None, pa.string()), norm)
    return pd.Series(norm.to_numpy(zero_copy_only=False), index=ids.index, dtype="str")


def stage_codes(leads: pd.DataFrame, as_of) -> np.ndarray:
    """Index (0 = lead … 5 = collected) of the furthest stage with a date ≤ as_of, per row; -1 without one."""
    if leads.empty:
        return np.zeros(0, dtype=np.int64)
    present = stage_dates(leads, as_of).notna().to_numpy()
    last = len(STAGES) - 1 - np.argmax(present[:, ::-1], axis=1)
    return np.where(present.any(axis=1), last, -1).astype(np.int64)


def _status(leads: pd.DataFrame) -> pd.Series:
    if "status" in leads.columns:
        return leads["status"].astype("str")
    won = leads["collected_on"].notna() if "collected_on" in leads.columns else pd.Series(False, index=leads.index)
    return pd.Series(np.where(won, "won", "open"), index=leads.index, dtype="str")


def _rows(leads: pd.DataFrame) -> np.ndarray:
    """Excel row numbers (``_row``), or the 1-based position below one header row for a frame without them."""
    if "_row" in leads.columns:
        return leads["_row"].to_numpy()
    return np.arange(2, len(leads) + 2)


@dataclass(frozen=True, eq=False)
class _Side:
    """One snapshot's leads, one row per lead (positions 0…n-1): normalised id, stage code, status, carried fields."""

    ids: pd.Series
    stage: np.ndarray
    rows: pd.DataFrame  # status + the carried columns the file has
    notices: tuple[Notice, ...]
    columns: frozenset


def _side(leads: pd.DataFrame, as_of: pd.Timestamp | None, name: str) -> _Side:
    notices: list[Notice] = []
    ids = normalise_ids(leads["lead_id"]) if "lead_id" in leads.columns else pd.Series(pd.NA, index=leads.index, dtype="str")
    ids = ids.reset_index(drop=True)
    rows = _rows(leads)
    order = np.argsort(rows, kind="stable")  # "last row" = the largest row number
    ids_sorted = ids.iloc[order]
    has_id = ids_sorted.notna().to_numpy()
    dup_any = ids_sorted.duplicated(keep=False).to_numpy() & has_id
    if dup_any.any():
        dup_ids = ids_sorted[dup_any].to_numpy(dtype=object)
        dup_rows = pd.Series(rows[order][dup_any])
        grouped = dup_rows.groupby(dup_ids, sort=False).agg(tuple)
        shown = tuple((str(k), tuple(int(r) for r in v)) for k, v in list(grouped.items())[:_DETAILS_SHOWN])
        notices.append(Notice("duplicate_lead", {"file": name, "count": len(grouped), "ids": shown,
                                                 "more": max(0, len(grouped) - _DETAILS_SHOWN)}))
    keep = order[has_id & ~ids_sorted.duplicated(keep="last").to_numpy()]
    keep.sort()
    chosen = leads.iloc[keep]
    codes = stage_codes(chosen, as_of)
    inside = codes >= 0
    if not inside.all():
        notices.append(Notice("after_as_of", {"file": name, "count": int((~inside).sum()), "as_of": _iso(as_of) or "-"}))
        keep, chosen, codes = keep[inside], chosen[inside], codes[inside]
    table = pd.DataFrame({"status": _status(chosen)})
    for col in _CARRIED:
        if col in chosen.columns:
            table[col] = chosen[col]
    return _Side(ids.iloc[keep].reset_index(drop=True), codes, table.reset_index(drop=True), tuple(notices),
                 frozenset(c for c in _CARRIED if c in leads.columns))


# ------------------------------------------------------------------ two snapshots
def compare(first: pd.DataFrame, second: pd.DataFrame, first_as_of=None, second_as_of=None,
            first_name: str = "", second_name: str = "") -> Moves:
    """Moves between two leads snapshots, ordered by their as_of whatever the order given.

    ``*_as_of``: the snapshot's as_of (a stored week); None = SPEC 2's default (the latest date in that file).
    ``*_name``: how warnings name the snapshot (the file name, or the stored week).
    """
    a_as_of = _resolve(first, first_as_of)
    b_as_of = _resolve(second, second_as_of)
    notices: list[Notice] = []
    swapped = a_as_of is not None and b_as_of is not None and a_as_of > b_as_of
    if swapped:
        first, second, a_as_of, b_as_of, first_name, second_name = second, first, b_as_of, a_as_of, second_name, first_name
    elif a_as_of is not None and a_as_of == b_as_of:
        notices.append(Notice("same_as_of", {"as_of": _iso(a_as_of), "older": first_name, "newer": second_name}))
    old = _side(first, a_as_of, first_name)
    new = _side(second, b_as_of, second_name)
    notices = [*old.notices, *new.notices, *notices]

    # match by id: one integer code per distinct id over both snapshots, then positions by code
    n_old = len(old.ids)
    codes, uniques = pd.concat([old.ids, new.ids], ignore_index=True).factorize()
    c_old, c_new = codes[:n_old], codes[n_old:]
    pos_old = np.full(len(uniques), -1, dtype=np.int64)
    pos_old[c_old] = np.arange(n_old)
    pos_new = np.full(len(uniques), -1, dtype=np.int64)
    pos_new[c_new] = np.arange(len(c_new))
    in_old = pos_old[c_new]
    i_new = np.flatnonzero(in_old >= 0)  # matched, in the newer file's order
    i_old = in_old[i_new]
    only_new = np.flatnonzero(in_old < 0)
    only_old = np.flatnonzero(pos_new[c_old] < 0)

    s_old, s_new = old.stage[i_old], new.stage[i_new]
    steps = s_new - s_old
    matrix_counts = np.zeros((len(STAGES), len(STAGES)), dtype=np.int64)
    np.add.at(matrix_counts, (s_old, s_new), 1)
    matrix = {a: {b: int(matrix_counts[i, j]) for j, b in enumerate(STAGES)} for i, a in enumerate(STAGES)}
    won_old = old.rows["status"].eq("won").to_numpy(dtype=bool)[i_old]
    won_new = new.rows["status"].eq("won").to_numpy(dtype=bool)[i_new]
    lost_old = old.rows["status"].eq("lost").to_numpy(dtype=bool)[i_old]
    lost_new = new.rows["status"].eq("lost").to_numpy(dtype=bool)[i_new]

    mo, mn = _take(old, i_old), _take(new, i_new)
    both_have = old.columns & new.columns
    return Moves(
        old_as_of=a_as_of, new_as_of=b_as_of,
        matched=len(i_new), new=len(only_new), vanished=len(only_old),
        forward=int((steps > 0).sum()), jumped=int((steps >= 2).sum()), backward=int((steps < 0).sum()),
        unchanged=int((steps == 0).sum()),
        won=int((won_new & ~won_old).sum()), lost=int((lost_new & ~lost_old).sum()),
        matrix=matrix, leads=_lead_table(mo, mn, _take(old, only_old), _take(new, only_new), steps),
        amount_changes=_amount_changes(mo, mn) if "amount_yen" in both_have else None,
        next_action_pushed=_pushed(mo, mn) if "next_action_on" in both_have else None,
        owner_changes=_owner_changes(mo, mn) if "owner" in both_have else None,
        warnings=tuple(notices), swapped=swapped, old_name=first_name, new_name=second_name,
    )


def _resolve(leads: pd.DataFrame, as_of) -> pd.Timestamp | None:
    if as_of is not None:
        return pd.Timestamp(as_of).normalize()
    return default_as_of(leads) if "created_at" in leads.columns else None


def _take(side: _Side, positions: np.ndarray) -> pd.DataFrame:
    """The side's leads at these positions: lead_id, stage (code), status and the carried columns; index 0…k-1."""
    out = side.rows.iloc[positions].reset_index(drop=True)
    out.insert(0, "lead_id", side.ids.iloc[positions].reset_index(drop=True))
    out.insert(1, "stage", side.stage[positions])
    return out


def _text(frame: pd.DataFrame, name: str, fallback: pd.DataFrame | None = None) -> pd.Series:
    """A text column (the fallback frame's value where missing or absent); NA where neither has it."""
    values = frame[name] if name in frame.columns else pd.Series(pd.NA, index=frame.index, dtype="str")
    if fallback is not None and name in fallback.columns:
        values = values.where(values.notna(), fallback[name])
    return values.astype("str")


def _stage_names(codes: np.ndarray) -> pd.Series:
    return pd.Series(np.array(STAGES, dtype=object)[codes], dtype="str")


def _lead_table(mo, mn, only_old, only_new, steps) -> pd.DataFrame:
    none = lambda n: pd.Series(pd.NA, index=pd.RangeIndex(n), dtype="str")  # noqa: E731
    parts = [
        pd.DataFrame({
            "lead_id": mn["lead_id"], "account": _text(mn, "account", mo), "owner": _text(mn, "owner", mo),
            "region": _text(mn, "region", mo), "old_stage": _stage_names(mo["stage"].to_numpy()),
            "new_stage": _stage_names(mn["stage"].to_numpy()), "steps": pd.array(steps, dtype="Int64"),
            "old_status": mo["status"], "new_status": mn["status"], "presence": "matched"}),
        pd.DataFrame({
            "lead_id": only_new["lead_id"], "account": _text(only_new, "account"), "owner": _text(only_new, "owner"),
            "region": _text(only_new, "region"), "old_stage": none(len(only_new)),
            "new_stage": _stage_names(only_new["stage"].to_numpy()), "steps": pd.array([pd.NA] * len(only_new), dtype="Int64"),
            "old_status": none(len(only_new)), "new_status": only_new["status"], "presence": "new"}),
        pd.DataFrame({
            "lead_id": only_old["lead_id"], "account": _text(only_old, "account"), "owner": _text(only_old, "owner"),
            "region": _text(only_old, "region"), "old_stage": _stage_names(only_old["stage"].to_numpy()),
            "new_stage": none(len(only_old)), "steps": pd.array([pd.NA] * len(only_old), dtype="Int64"),
            "old_status": only_old["status"], "new_status": none(len(only_old)), "presence": "vanished"}),
    ]
    out = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
    for c in ("lead_id", "account", "owner", "region", "old_stage", "new_stage", "old_status", "new_status", "presence"):
        out[c] = out[c].astype("str")
    out["steps"] = out["steps"].astype("Int64")
    return out[LEAD_COLUMNS]


def _who(mo: pd.DataFrame, mn: pd.DataFrame, mask: np.ndarray) -> dict[str, pd.Series]:
    return {"lead_id": mn["lead_id"][mask].reset_index(drop=True),
            "account": _text(mn, "account", mo)[mask].reset_index(drop=True),
            "owner": _text(mn, "owner", mo)[mask].reset_index(drop=True)}


def _differs(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Values differ, missing = missing counting as equal."""
    a_na, b_na = a.isna().to_numpy(), b.isna().to_numpy()
    unequal = a.ne(b).fillna(True).to_numpy(dtype=bool)
    return np.where(a_na | b_na, a_na != b_na, unequal).astype(bool)


def _amount_changes(mo: pd.DataFrame, mn: pd.DataFrame) -> pd.DataFrame:
    a, b = mo["amount_yen"].astype(float), mn["amount_yen"].astype(float)
    mask = _differs(a, b)
    out = pd.DataFrame({**_who(mo, mn, mask), "old_amount": a[mask].to_numpy(), "new_amount": b[mask].to_numpy()})
    out["change"] = out["new_amount"] - out["old_amount"]
    return out.sort_values("change", key=lambda s: -s.abs(), na_position="last", kind="stable").reset_index(drop=True)


def _pushed(mo: pd.DataFrame, mn: pd.DataFrame) -> pd.DataFrame:
    a = pd.to_datetime(mo["next_action_on"], errors="coerce").dt.normalize()
    b = pd.to_datetime(mn["next_action_on"], errors="coerce").dt.normalize()
    mask = (a.notna() & b.notna() & (b > a)).to_numpy()
    out = pd.DataFrame({**_who(mo, mn, mask), "old_next_action_on": a[mask].to_numpy(), "new_next_action_on": b[mask].to_numpy()})
    out["days_later"] = (out["new_next_action_on"] - out["old_next_action_on"]).dt.days.astype("int64")
    return out.sort_values("days_later", ascending=False, kind="stable").reset_index(drop=True)


def _owner_changes(mo: pd.DataFrame, mn: pd.DataFrame) -> pd.DataFrame:
    a, b = _text(mo, "owner"), _text(mn, "owner")
    mask = _differs(a, b)
    return pd.DataFrame({"lead_id": mn["lead_id"][mask].reset_index(drop=True),
                         "account": _text(mn, "account", mo)[mask].reset_index(drop=True),
                         "old_owner": a[mask].reset_index(drop=True), "new_owner": b[mask].reset_index(drop=True)})
