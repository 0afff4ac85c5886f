"""The errors a load raises: ``LoadError`` (a file that cannot be read, one plain sentence via kpi.messages),
``MappingNeeded`` (required columns not recognised) and ``AmbiguousColumns`` (two columns for one required
field); the last two carry the raw table so the app can offer the column mapping."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..messages import KIND_LABELS, message, text
from .colref import _col_letters
from .fields import _SPECS
from .load_error import LoadError  # noqa: F401  (defined without pandas / pydantic; every loader imports it from here)

if TYPE_CHECKING:
    from .table import RawTable


class MappingNeeded(LoadError):
    """The kind is known but required columns were not recognised: the user maps them by hand."""

    def __init__(self, kind: str, missing: list[str], table: "RawTable", header_row: int, headers: list[str]):
        super().__init__("missing_required", kind=KIND_LABELS[kind]["en"], columns=", ".join(missing))
        self.kind = kind
        self.missing = missing
        self.table = table
        self.header_row = header_row
        self.headers = headers

    def message(self, lang: str = "ja") -> str:
        names = {s.name: s.aliases[0] for s in _SPECS[self.kind]}
        columns = ", ".join(text("load.field_name", lang, header=names[m], field=m) for m in self.missing)
        return message("missing_required", lang, kind=KIND_LABELS[self.kind][lang], columns=columns)


class AmbiguousColumns(MappingNeeded):
    """Two columns read as the same **required** field (two 患者ID columns, or 患者ID and カルテ番号): which one holds
    the field cannot be guessed (SPEC 7). The message names both columns; the app offers the mapping, where the
    user picks one (the other is then ignored)."""

    def __init__(self, kind: str, clashes: list[tuple[str, list[int]]], table: "RawTable", header_row: int, headers: list[str]):
        LoadError.__init__(self, "ambiguous_columns", kind=KIND_LABELS[kind]["en"], columns=_clash_text(kind, clashes, headers, "en"))
        self.kind = kind
        self.missing = [f for f, _ in clashes]
        self.clashes = clashes
        self.table = table
        self.header_row = header_row
        self.headers = headers

    def message(self, lang: str = "ja") -> str:
        return message("ambiguous_columns", lang, kind=KIND_LABELS[self.kind][lang], columns=_clash_text(self.kind, self.clashes, self.headers, lang))


def _clash_text(kind: str, clashes: list[tuple[str, list[int]]], headers: list[str], lang: str) -> str:
    """「患者ID」（A列）と「カルテ番号」（C列） → 患者ID（patient_id）: each column by its header and its Excel letter."""
    names = {s.name: s.aliases[0] for s in _SPECS[kind]}
    column = lambda c: text("load.clash_column", lang, header=headers[c], letters=_col_letters(c + 1))  # noqa: E731
    return text("load.clash_sep", lang).join(
        text("load.clash_and", lang).join(column(c) for c in cols) + text("load.clash_field", lang, header=names[f], field=f)
        for f, cols in clashes)
