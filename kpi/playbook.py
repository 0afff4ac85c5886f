"""The team's playbook: known remedies per registry KPI, and which of them the weekly review offers this week.

A playbook is a plain table (``PLAYBOOK_COLUMNS``: kpi, remedy_ja, remedy_en), keyed by the registry's KPI key, so
the team edits it on the weekly page, downloads it (CSV / xlsx) and uploads it back, as it does with its targets.
``DEFAULT_PLAYBOOK`` below is the team's method as written in issue 15 (data, like a strings table).

Readings chosen here:

* A KPI "calls for a remedy" when it is the bottleneck step's rate (``meeting_rate`` when the bottleneck is
  meeting …) or when its registry RAG is red this week (value vs the registry's target and direction).
* An uploaded playbook replaces the one in use; rows whose ``kpi`` is not a registry key are refused (the
  file is not used), blank remedies are dropped, surrounding spaces trimmed, duplicates kept once.

``ReviewSettings`` holds the few guides these features need that ``kpi.targets.Targets`` does not have yet
(to be folded into Targets by its owner).
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import pandas as pd

from .messages import DEFAULT_PLAYBOOK  # the default remedies are words: they live in the strings table

PLAYBOOK_COLUMNS = ["kpi", "remedy_ja", "remedy_en"]


@dataclass(frozen=True)
class ReviewSettings:
    """The weekly review's calendar horizons. (Its targets — new leads per week, 働き方KPI記入率, 差し戻し率 — are
    in kpi.targets.Targets with every other target.)"""

    fiscal_heavy_months: int = 3            # a general B2B lead is flagged in the N months before its 決算月
    committee_horizon_days: int = 90        # the hospital committee calendar looks this far ahead


SETTINGS = ReviewSettings()

# which KPI a bottleneck stage (the step's target stage) calls for
BOTTLENECK_KPI = {"contact": "contact_rate", "meeting": "meeting_rate", "poc": "poc_rate", "approval": "approval_rate",
                  "collected": "collection_rate"}


def default_playbook() -> pd.DataFrame:
    """The team's default playbook as a table (kpi, remedy_ja, remedy_en)."""
    return pd.DataFrame(list(DEFAULT_PLAYBOOK), columns=PLAYBOOK_COLUMNS)


def clean_playbook(frame: pd.DataFrame, known: set[str] | None = None) -> pd.DataFrame:
    """A playbook table as the app keeps it: the three columns as text, trimmed, rows without a KPI or without any
    remedy text dropped, duplicates kept once. Raises ValueError naming the first unknown KPI key (``known``:
    the registry keys) or a missing column."""
    if known is None:
        from .registry import BY_KEY

        known = set(BY_KEY)
    missing = [c for c in PLAYBOOK_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"missing column: {', '.join(missing)}")
    out = frame[PLAYBOOK_COLUMNS].astype("string").apply(lambda s: s.str.strip())
    out = out[out["kpi"].fillna("").ne("") & (out["remedy_ja"].fillna("").ne("") | out["remedy_en"].fillna("").ne(""))]
    unknown = [k for k in out["kpi"] if k not in known]
    if unknown:
        raise ValueError(f"unknown KPI key: {unknown[0]}")
    out = out.fillna("").drop_duplicates().reset_index(drop=True)
    return out.astype(object)


def to_csv(playbook: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, so Excel opens the Japanese text as text."""
    return playbook[PLAYBOOK_COLUMNS].to_csv(index=False).encode("utf-8-sig")


def to_xlsx(playbook: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter") as writer:
        playbook[PLAYBOOK_COLUMNS].to_excel(writer, index=False, sheet_name="playbook")
    return buffer.getvalue()


def read_playbook(data: bytes, name: str) -> pd.DataFrame:
    """An uploaded playbook (.csv in UTF-8 / UTF-8 with BOM / cp932, or .xlsx), cleaned (:func:`clean_playbook`)."""
    if name.lower().endswith((".xlsx", ".xlsm")):
        frame = pd.read_excel(io.BytesIO(data), dtype=str, engine="openpyxl")
    else:
        for encoding in ("utf-8-sig", "cp932"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValueError("not UTF-8 or cp932 text")
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    return clean_playbook(frame)


@dataclass(frozen=True)
class Remedy:
    """One remedy the weekly review offers: the KPIs it answers (first: the one that raised it), whether the bottleneck
    or a red KPI called for it, its text in the session's language."""

    kpis: tuple[str, ...]
    text: str
    bottleneck: bool
    red: bool

    @property
    def kpi(self) -> str:
        return self.kpis[0]


def kpis_calling(values: dict[str, float | None], bottleneck: str | None, targets=None,
                 settings: ReviewSettings = SETTINGS) -> list[tuple[str, bool, bool]]:
    """(KPI key, is the bottleneck's rate, is red) for the bottleneck first, then every red registry KPI in registry
    order. ``values``: ``kpi.registry.values`` of this week."""
    from .registry import REGISTRY
    from .targets import Targets, rag

    targets = targets or Targets()
    neck = BOTTLENECK_KPI.get(bottleneck) if bottleneck else None
    red = set()
    for kpi in REGISTRY:
        target, value = kpi.target(targets), values.get(kpi.key)
        if target is not None and value is not None and rag(value, target, kpi.direction == "up") == "red":
            red.add(kpi.key)
    order = ([neck] if neck else []) + [k.key for k in REGISTRY if k.key in red and k.key != neck]
    return [(k, k == neck, k in red) for k in order]


def remedies_for(playbook: pd.DataFrame, calling: list[tuple[str, bool, bool]], lang: str = "ja") -> tuple[Remedy, ...]:
    """The playbook's remedies for the KPIs that call for one (:func:`kpis_calling`), in that order; a row's text in
    ``lang`` (the other language when that one is blank). A remedy several of those KPIs share is offered once,
    listing every KPI it answers."""
    first, second = ("remedy_ja", "remedy_en") if lang == "ja" else ("remedy_en", "remedy_ja")
    found: dict[str, Remedy] = {}
    for key, neck, red in calling:
        rows = playbook[playbook["kpi"] == key]
        for a, b in zip(rows[first], rows[second]):
            text = str(a if isinstance(a, str) and a else b)
            old = found.get(text)
            if old is None:
                found[text] = Remedy((key,), text, neck, red)
            elif key not in old.kpis:
                found[text] = Remedy(old.kpis + (key,), text, old.bottleneck or neck, old.red or red)
    return tuple(found.values())
