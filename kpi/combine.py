"""Several loaded files -> one frame per kind (SPEC section 7, "Several files of one kind"), the same in the
CLI and the app.

Files of one kind given together are parts of the same week's data: their valid rows are combined in the order
given. What would otherwise inflate or break the numbers is handled here, once, and said in a note:

* a file whose bytes equal an earlier one's counts once (``same_file``);
* in the app, a later upload of the same file name with other bytes is a corrected version and replaces the
  earlier one (``corrected_file``; see :func:`combine_parts`);
* leads: a lead_id present in more than one file keeps the row of the last file given (``lead_in_two_files``,
  naming both files and the count). Duplicates inside one file are left to the funnel, as before;
* visits and activities: a row identical in every field to a row of an earlier file is counted once
  (``identical_rows``, with the count) — two exports of the same reps' week must not double visits per day;
* visits: the first-visit flag (初診) is used only when every visits file has it; otherwise the column is
  dropped and the earliest-visit rule of SPEC 2 holds for all rows (``first_visit_partial``): a flag that is
  missing for half the patients would silently count them as never new;
* any other optional column present in some files only stays, blank for the rows of the files without it.

Readings of the SPEC chosen here: "identical in every field" compares the validated fields (the parsed
values), not the raw text, and never the Excel row number; rows repeated inside one file are not touched.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .messages import message

# Internal columns that say where a row came from, never part of "identical in every field".
_BOOKKEEPING = ("_row",)
_DEDUP_KINDS = ("visits", "activities")


@dataclass(frozen=True)
class Part:
    """One loaded file: its name as the user gave it, a digest of its bytes, its kind and its valid rows."""

    name: str
    digest: str
    kind: str
    frame: pd.DataFrame


@dataclass(frozen=True)
class Note:
    """A warning about how files were combined, rendered in the user's language by :meth:`text`."""

    kind: str
    code: str
    params: dict = field(default_factory=dict)

    def text(self, lang: str = "ja") -> str:
        joiner = "、" if lang == "ja" else ", "  # lists of file names, joined as each language writes them
        params = {k: joiner.join(v) if isinstance(v, tuple) else v for k, v in self.params.items()}
        return message(f"combine.{self.code}", lang, **params)


@dataclass(frozen=True)
class Combined:
    frames: dict[str, pd.DataFrame]
    notes: tuple[Note, ...] = ()
    # per kind, the names of the files that made its frame (after same-bytes duplicates were dropped)
    files: dict[str, tuple[str, ...]] = field(default_factory=dict)


def combine_parts(parts: list[Part], corrected_by_name: bool = False) -> Combined:
    """The frames of every kind present, with the notes of SPEC 7's several-files rule (see the module).

    ``corrected_by_name`` (the app): a later upload with the same file name and kind but other bytes is the
    corrected version of the earlier one and replaces it (``corrected_file``): a user who fixes the rejected rows
    and uploads the file again must not count the week twice. The CLI leaves it off: there, two files of one name
    come from two folders (Osaka/leads.csv, Kyoto/leads.csv) and are parts of the week."""
    notes: list[Note] = []
    if corrected_by_name:
        latest = {(p.name, p.kind): i for i, p in enumerate(parts)}
        kept = []
        for i, part in enumerate(parts):
            newer = latest[(part.name, part.kind)]
            if newer != i and parts[newer].digest != part.digest:
                notes.append(Note(part.kind, "corrected_file", {"file": part.name}))
                continue
            kept.append(part)
        parts = kept
    seen: dict[str, str] = {}
    by_kind: dict[str, list[Part]] = {}
    for part in parts:
        if part.digest in seen:
            notes.append(Note(part.kind, "same_file", {"file": part.name, "first": seen[part.digest]}))
            continue
        seen[part.digest] = part.name
        by_kind.setdefault(part.kind, []).append(part)
    frames = {}
    for kind, group in by_kind.items():
        if len(group) == 1:
            frames[kind] = group[0].frame
            continue
        frame_list = [p.frame for p in group]
        if kind == "visits":
            frame_list = _first_visit_rule(group, notes)
        if kind == "leads":
            frame_list = _last_file_wins(group, frame_list, notes)
        combined = pd.concat(frame_list, ignore_index=True)
        if kind in _DEDUP_KINDS:
            combined = _identical_rows_once(kind, group, combined, notes)
        frames[kind] = combined
    return Combined(frames, tuple(notes), {k: tuple(p.name for p in g) for k, g in by_kind.items()})


def _first_visit_rule(group: list[Part], notes: list[Note]) -> list[pd.DataFrame]:
    have = [p.name for p in group if "first_visit" in p.frame.columns]
    if not have or len(have) == len(group):
        return [p.frame for p in group]
    without = [p.name for p in group if "first_visit" not in p.frame.columns]
    notes.append(Note("visits", "first_visit_partial", {"with": tuple(have), "without": tuple(without)}))
    return [p.frame.drop(columns=["first_visit"], errors="ignore") for p in group]


def _last_file_wins(group: list[Part], frame_list: list[pd.DataFrame], notes: list[Note]) -> list[pd.DataFrame]:
    """Each lead_id keeps the rows of the last file that has it; the earlier files' rows of it are dropped."""
    if not all("lead_id" in f.columns for f in frame_list):
        return frame_list
    keys = [f["lead_id"].astype("string").str.strip() for f in frame_list]
    later: set = set()
    kept = [None] * len(frame_list)
    for i in range(len(frame_list) - 1, -1, -1):
        ids = keys[i]
        overlap = ids.isin(later)
        if overlap.any():
            # name the later file that wins (the first later file holding any of these ids)
            winner = next(group[j].name for j in range(i + 1, len(group)) if keys[j].isin(set(ids[overlap])).any())
            notes.append(Note("leads", "lead_in_two_files", {"count": int(ids[overlap].nunique()), "older": group[i].name, "newer": winner}))
        kept[i] = frame_list[i][~overlap.to_numpy()]
        later |= set(ids.dropna())
    return kept


def _identical_rows_once(kind: str, group: list[Part], combined: pd.DataFrame, notes: list[Note]) -> pd.DataFrame:
    """Rows equal in every field to a row of an earlier file are dropped (rows repeated inside one file stay)."""
    fields = [c for c in combined.columns if c not in _BOOKKEEPING]
    source = pd.Series(range(len(group))).repeat([len(p.frame) for p in group]).to_numpy()
    keyed = combined[fields].copy()
    # the n-th copy of a row within its own file: only copies from *another* file are duplicates
    keyed["_copy"] = keyed.assign(_src=source).groupby([*fields, "_src"], dropna=False, sort=False).cumcount().to_numpy()
    repeated = keyed.duplicated(subset=[*fields, "_copy"], keep="first").to_numpy()
    if not repeated.any():
        return combined
    notes.append(Note(kind, "identical_rows", {"count": int(repeated.sum()), "files": tuple(p.name for p in group)}))
    return combined[~repeated].reset_index(drop=True)
