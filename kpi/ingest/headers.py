"""Header row and kind: the most header-like row among the first 20 decides the dataset kind, and each
column is matched to a field by its header (aliases, or the user's mapping); duplicates and unknown
headers are kept for the report."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import parse
from ..schemas import KINDS
from .errors import LoadError
from .fields import _ALIAS_INDEX, _SPECS, expected_headers_hint, header_key
from .mapping import ColumnMapping
from .table import RawTable

HEADER_SEARCH_ROWS = 20


def _head_lists(table: RawTable) -> list[list[Any]]:
    head = table.cells.head(HEADER_SEARCH_ROWS)
    return [list(r) for r in head.itertuples(index=False)]


def _best_header_row(records: list[list[Any]], kinds: tuple[str, ...] = KINDS, mapped: dict[str, str] | None = None) -> tuple[int, str | None, int]:
    """(row index, kind, score) of the most header-like row among the first 20.

    Score per kind: recognised fields + 3 x recognised required fields. Ties keep the earlier row.
    """
    mapped_keys = {header_key(k): v for k, v in (mapped or {}).items()}
    best = (0, None, 0)
    for idx, record in enumerate(records[:HEADER_SEARCH_ROWS]):
        keys = [header_key(c) for c in record]
        for kind in kinds:
            index = _ALIAS_INDEX[kind]
            fields = {mapped_keys.get(k) or index.get(k) for k in keys if k} - {None}
            required = {s.name for s in _SPECS[kind] if s.required}
            score = len(fields) + 3 * len(fields & required)
            if score > best[2]:
                best = (idx, kind, score)
    return best


@dataclass(frozen=True)
class HeaderMatch:
    kind: str
    header_idx: int
    headers: list[str]
    column_map: dict[int, str]  # table column -> field
    unknown: list[str]
    duplicates: list[str]
    duplicate_of: dict[int, int] = field(default_factory=dict)  # an ignored column -> the column read for its field


def match_header(table: RawTable, kind: str | None, mapping: ColumnMapping | None) -> HeaderMatch:
    records = _head_lists(table)
    if not records:
        raise LoadError("empty_file")
    kind = kind or (mapping.kind if mapping else None)
    kinds = (kind,) if kind else KINDS
    idx, found_kind, score = _best_header_row(records, kinds, mapping.columns if mapping else None)
    if found_kind is None:
        if kind:
            found_kind, idx = kind, 0
        else:
            raise LoadError("unknown_kind", expected=expected_headers_hint("ja"))
    headers = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else parse.nfkc(str(v)) for v in records[idx]]
    mapped_keys = {header_key(k): v for k, v in (mapping.columns if mapping else {}).items()}
    index = _ALIAS_INDEX[found_kind]
    valid_fields = {s.name for s in _SPECS[found_kind]}
    column_map: dict[int, str] = {}
    seen: dict[str, int] = {}
    unknown, duplicates, duplicate_of = [], [], {}
    # Fields the user mapped explicitly (a column or a constant) are not also taken by an alias.
    explicit = set(mapped_keys.values()) | set(mapping.constants if mapping else {})
    for col, name in enumerate(headers):
        key = header_key(name)
        target = mapped_keys.get(key)
        if target is None:
            target = index.get(key)
            if target in explicit:
                target = None
        if target is None or target not in valid_fields:
            if name:
                unknown.append(name)
            continue
        if target in seen:
            duplicates.append(name)
            duplicate_of[col] = seen[target]
            continue
        seen[target] = col
        column_map[col] = target
    return HeaderMatch(found_kind, idx, headers, column_map, unknown, duplicates, duplicate_of)
