"""bytes -> (validated DataFrame, ValidationReport): format, encoding, sheet, header row, kind, mapping.

Nothing here touches the disk or the network: uploads arrive as bytes and stay in memory. ``load`` is the
one entry point; the work is done by the modules of ``kpi.ingest``, whose names other code uses are
re-exported here.

Reading (``kpi.ingest.read``)
  * CSV (``csv_table``, ``text``): strict decodes in a fixed order (BOM, UTF-16 by its NUL pattern, UTF-8,
    cp932) — never a silent guess; the encoding used is reported. Clean files go through pyarrow's CSV
    reader; files whose row numbers pyarrow cannot keep exact (blank lines, ragged rows) go through the csv module.
  * Workbooks (.xlsx/.xlsm, ``workbook``): fastexcel (calamine's reader straight to Arrow text, no Python object
    per cell), read from row 1 and placed back at column A so row numbers match Excel's. Every zip member is
    inflated and checked first (``xlsx_guard``: bombs, DTDs, far cells that would make calamine allocate a huge
    grid). Old .xls: python-calamine.
Header row and kind (``headers``), the saved column mapping (``mapping``).
Validation (``validate``)
  Column-wise with the parsers of ``kpi.parse``, driven by the pydantic models of ``kpi.schemas``.
  Every rejected row is listed (Excel row, column, raw value, reason); rows_read == rows_valid +
  rows_rejected holds by construction (a row is valid exactly when it has no error). The rejected rows
  as a download: ``rejected``.
"""
from __future__ import annotations

from .ingest.errors import AmbiguousColumns, LoadError, MappingNeeded
from .ingest.fields import _REQUIRED, _SPECS, expected_headers_hint
from .ingest.headers import match_header
from .ingest.mapping import ColumnMapping, column_samples, mapping_from_report, standard_code
from .ingest.read import read_table
from .ingest.rejected import rejected_rows_table
from .ingest.table import RawTable, _col_letters
from .ingest.validate import LoadResult, ValidationReport, validate_table
from .ingest.workbook import read_workbook_table
from .ingest.xlsx_guard import _plain_area, sheet_area
from .schemas import KINDS

__all__ = [  # the names other code imports from kpi.load, and RawTable (what read_table returns)
    "AmbiguousColumns", "ColumnMapping", "LoadError", "LoadResult", "MappingNeeded", "RawTable", "ValidationReport",
    "column_samples", "load", "mapping_from_report", "read_table", "read_workbook_table", "rejected_rows_table",
    "sheet_area", "standard_code", "_col_letters", "_plain_area",
]


def load(data: bytes, file_name: str = "", kind: str | None = None, sheet: str | None = None, mapping: ColumnMapping | None = None) -> LoadResult:
    """Read, recognise and validate one uploaded file.

    Raises ``LoadError`` (one plain sentence, in Japanese or English via ``.message(lang)``) when the
    file cannot be read at all, and ``MappingNeeded`` when required columns must be mapped by hand.
    """
    if kind is not None and kind not in KINDS:
        raise LoadError("unknown_kind", expected=expected_headers_hint("ja"))
    table = read_table(data, file_name, sheet)
    if table.cells.empty:
        raise LoadError("empty_file")
    match = match_header(table, kind, mapping)
    if mapping is not None:
        mapping.check(match.kind)
    clashes: dict[str, list[int]] = {}  # SPEC 7: two columns of one required field make the file ambiguous
    for dup_col, first_col in match.duplicate_of.items():
        name = match.column_map[first_col]
        if _REQUIRED[match.kind].get(name):
            clashes.setdefault(name, [first_col]).append(dup_col)
    if clashes:
        raise AmbiguousColumns(match.kind, list(clashes.items()), table, match.header_idx, match.headers)
    present = set(match.column_map.values()) | set(mapping.constants if mapping else {})
    missing = [s.name for s in _SPECS[match.kind] if s.required and s.name not in present]
    if missing:
        raise MappingNeeded(match.kind, missing, table, match.header_idx, match.headers)
    return validate_table(table, match, mapping, file_name)

