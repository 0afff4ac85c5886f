"""The saved column mapping (``ColumnMapping``, pydantic): read from JSON and checked entry by entry (SPEC 7);
the mapping that reproduces how a file was read; the enum code a label reads as without a mapping; and
sample values per source column for the mapping screen."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError, field_validator

from .. import parse
from ..schemas import KINDS, REGION_LABELS, FieldSpec, label_lookup
from .errors import LoadError
from .fields import _SPECS
from .table import RawTable

if TYPE_CHECKING:
    from .validate import ValidationReport


class ColumnMapping(BaseModel):
    """The saved column mapping (SPEC section 1): rename headers, map labels, fill constants.

    ``from_json`` checks every entry before the mapping is used (SPEC 7, ``check``); ``source`` names the file it
    came from in those messages."""

    model_config = ConfigDict(extra="forbid")
    kind: str | None = None
    columns: dict[str, str] = {}
    values: dict[str, dict[str, str]] = {}
    constants: dict[str, Any] = {}
    _source: str | None = PrivateAttr(default=None)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, v):
        if v is not None and v not in KINDS:
            raise ValueError(f"unknown kind {v!r}; use one of {', '.join(KINDS)}")
        return v

    @classmethod
    def from_json(cls, text: str | bytes, source: str | None = None) -> "ColumnMapping":
        """The mapping in ``text`` (a saved mapping file), checked (``check``); ``source`` is the file's name, for
        the messages. Raises ``LoadError`` (``bad_mapping`` or ``mapping.*``)."""
        try:
            mapping = cls.model_validate(json.loads(text))
        except (ValueError, ValidationError) as exc:
            raise LoadError("bad_mapping", what=str(exc).splitlines()[0]) from None
        mapping._source = source
        return mapping.check()

    def check(self, kind: str | None = None) -> "ColumnMapping":
        """SPEC 7: ``columns`` may only name known fields, ``values`` only the field's own enum codes, ``constants``
        only plain text / number / date values of a known field (an enum constant: one of its codes or labels).
        Without a kind (neither given nor in the mapping), a field of any kind passes; ``load`` checks again once
        the file's kind is known. An entry that breaks this is a ``LoadError`` naming the mapping and the entry."""
        kind = kind or self.kind
        specs: dict[str, list[FieldSpec]] = {}
        for k in (kind,) if kind in KINDS else KINDS:
            for spec in _SPECS[k]:
                specs.setdefault(spec.name, []).append(spec)

        def refuse(code: str, entry: str, **params):
            raise LoadError(code, source=self._source, entry=entry, kind=kind or "", **params)

        for header, name in self.columns.items():
            if name not in specs:
                refuse("mapping.unknown_field", _entry(("columns", header), name), field=name)
        for name, labels in self.values.items():
            if name not in specs:
                refuse("mapping.unknown_field", _entry(("values", name), labels), field=name)
            codes = [code for spec in specs[name] if spec.kind == "enum" for code in (spec.labels or {})]
            if not codes:
                refuse("mapping.not_enum", _entry(("values", name), labels), field=name)
            for label, code in labels.items():
                if code not in codes:
                    refuse("mapping.bad_code", _entry(("values", name, label), code), field=name,
                           value=code, allowed=", ".join(dict.fromkeys(codes)))
        for name, value in self.constants.items():
            if name not in specs:
                refuse("mapping.unknown_field", _entry(("constants", name), value), field=name)
            plain = isinstance(value, (str, int, float)) and not (isinstance(value, float) and not np.isfinite(value))
            if not plain:
                refuse("mapping.bad_constant", _entry(("constants", name), value), field=name)
            enums = [spec for spec in specs[name] if spec.kind == "enum"]
            if enums and len(enums) == len(specs[name]) and not any(isinstance(value, str) and standard_code(spec, value) for spec in enums):
                codes = ", ".join(dict.fromkeys(code for spec in enums for code in (spec.labels or {})))
                refuse("mapping.bad_code", _entry(("constants", name), value), field=name, value=_short(value), allowed=codes)
        return self

    def to_json(self) -> str:
        return json.dumps(self.model_dump(exclude_none=True), ensure_ascii=False, indent=2)


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _entry(path: tuple[str, ...], value: Any) -> str:
    """One mapping entry as it reads in the JSON file: ``"values" → "status" → "Yes": "no-show"``."""
    keys = " → ".join(json.dumps(k, ensure_ascii=False) for k in path)
    return f"{keys}: {_short(json.dumps(value, ensure_ascii=False, default=str))}"


def standard_code(spec: FieldSpec, label: str) -> str | None:
    """The enum code a label reads as without any mapping (its standard labels; a region also by address)."""
    lookup = label_lookup(spec.labels or {})
    if spec.labels is REGION_LABELS:
        return parse.region_scalar(label, lookup)
    return lookup.get(parse.label_key(label))


def mapping_from_report(report: ValidationReport) -> ColumnMapping:
    """The mapping that reproduces how this file was read (source header -> field), to save for next week."""
    return ColumnMapping(kind=report.kind, columns={h: f for h, f in report.column_map.items() if h != f})


def column_samples(table: RawTable, header_idx: int, headers: list[str], n: int = 3) -> dict[str, list[str]]:
    """A few non-empty sample values per source column, for the mapping select boxes."""
    body = table.cells.iloc[header_idx + 1 : header_idx + 200]
    samples = {}
    for col, name in enumerate(headers):
        if not name or col not in body.columns:
            continue
        values = [parse._cell_text(v) for v in body[col] if not parse.is_missing_scalar(v)][:n]
        samples[name] = values
    return samples
