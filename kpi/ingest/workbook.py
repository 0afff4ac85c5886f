"""Workbooks -> ``RawTable``: .xlsx / .xlsm through fastexcel (calamine straight to Arrow text), every sheet
placed at Excel row 1 / column A, hidden sheets never chosen automatically; encrypted workbooks and old .xls
(OLE containers) through msoffcrypto and python-calamine. Each reader is imported when a file needs it."""
from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd

from .errors import LoadError
from .headers import _best_header_row, _head_lists
from .table import RawTable
from .xlsx_guard import MAX_SHEET_CELLS, check_sheet_dimensions, check_zip


def _calamine_failed(exc: BaseException) -> bool:
    """Calamine reports damaged files as exceptions, and Rust panics as pyo3's PanicException, which derives
    from BaseException: both mean 'this workbook cannot be read', never a reason to take the server down."""
    return not isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit, MemoryError))


def read_workbook_table(data: bytes, sheet: str | None = None) -> RawTable:
    """Every cell of the chosen sheet as text, read by fastexcel (calamine straight to Arrow strings).

    The sheet is read from row 1 (``skip_rows=0``) so positions are Excel rows; columns are placed by the
    absolute index fastexcel reports, so column A stays column 0 even when the sheet starts further right.
    Typed cells arrive as text: numbers as written without a trailing ``.0``, booleans ``true``/``false``,
    dates and times ``YYYY-MM-DD HH:MM:SS`` — a date cell at midnight is cut to ``YYYY-MM-DD``, as Excel
    shows a date-only cell (``_date_only_text``)."""
    zf = check_zip(data)
    check_sheet_dimensions(zf, data)
    import fastexcel

    try:
        reader = fastexcel.read_excel(data)
        names = tuple(reader.sheet_names)
    except BaseException as exc:  # fastexcel raises its own error types for damaged files
        if not _calamine_failed(exc):
            raise
        raise LoadError("broken_xlsx") from None
    if not names:
        raise LoadError("broken_xlsx")
    if sheet is not None and sheet not in names:
        raise LoadError("sheet_not_found", sheet=sheet, sheets=", ".join(names))
    candidates = [sheet] if sheet is not None else list(names)
    best: tuple[int, RawTable] | None = None
    hidden = []
    for name in candidates:
        try:
            cells = _sheet_cells(reader, name, visible_only=sheet is None)
        except BaseException as exc:
            if not _calamine_failed(exc):
                raise
            raise LoadError("broken_xlsx") from None
        if cells is None:  # a hidden sheet is never chosen automatically (SPEC 7); --sheet can name it
            hidden.append(name)
            continue
        table = RawTable(cells=cells, excel_rows=np.arange(1, len(cells) + 1, dtype=np.int64), source="xlsx", sheet=name, sheets=names)
        score = _best_header_row(_head_lists(table))[2] if len(table.cells) else -1
        if best is None or score > best[0]:
            best = (score, table)
    if best is None:
        raise LoadError("no_visible_sheet", sheets=", ".join(hidden))
    return best[1]


_TEXT_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)


def _sheet_cells(reader, name: str, visible_only: bool = False) -> pd.DataFrame | None:
    """The sheet's cells as text columns placed at their Excel column; None for a hidden (or very hidden) sheet
    when ``visible_only``."""
    import pyarrow as pa

    try:
        sheet = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
        if visible_only and str(getattr(sheet, "visible", "visible")).lower() != "visible":
            return None
        table = sheet.to_arrow()
        positions = [c.absolute_index for c in sheet.selected_columns]
    except BaseException as exc:
        if _calamine_failed(exc) and "empty" in str(exc).lower():
            return pd.DataFrame(dtype=object)
        raise
    if not table.num_rows or not positions:
        return pd.DataFrame(dtype=object)
    width = max(positions) + 1
    columns = dict(zip(positions, (_date_only_text(table.column(i)) for i in range(table.num_columns))))
    blank = pa.nulls(table.num_rows, pa.string())
    return pd.DataFrame({i: pd.Series(pd.array(columns.get(i, blank), dtype=_TEXT_DTYPE)) for i in range(width)})


def _date_only_text(column):
    """``2026-05-01 00:00:00`` -> ``2026-05-01``: a date cell at midnight is a date without a time of day,
    as python-calamine's date objects were (a text cell typed exactly so reads the same way)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if column.type != pa.string():
        column = column.cast(pa.string())
    midnight = pc.ends_with(column, " 00:00:00")
    if not pc.any(midnight).as_py():
        return column
    midnight = pc.and_(midnight, pc.match_substring_regex(column, r"^\d{4}-\d{2}-\d{2} 00:00:00$"))
    return pc.if_else(midnight, pc.utf8_slice_codeunits(column, 0, 10), column)


def _table_from_rows(rows: list[list[Any]], sheet: str, sheets: tuple[str, ...]) -> RawTable:
    width = max((len(r) for r in rows), default=0)
    cells = pd.DataFrame(rows, dtype=object) if rows else pd.DataFrame(dtype=object)
    if width:
        cells = cells.reindex(columns=range(width))
    return RawTable(cells=cells, excel_rows=np.arange(1, len(cells) + 1, dtype=np.int64), source="xlsx", sheet=sheet, sheets=sheets)


def read_ole(data: bytes) -> RawTable:
    """An OLE container is either an encrypted OOXML workbook or an old .xls."""
    try:
        import msoffcrypto

        office = msoffcrypto.OfficeFile(io.BytesIO(data))
        if office.is_encrypted():
            raise LoadError("encrypted")
    except LoadError:
        raise
    except Exception:
        pass
    try:
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        visible = [m.name for m in wb.sheets_metadata if str(m.visible).rsplit(".", 1)[-1].lower() == "visible"]
        if not visible:  # a hidden sheet is never chosen automatically
            raise LoadError("no_visible_sheet", sheets=", ".join(wb.sheet_names))
        name = visible[0]
        sheet = wb.get_sheet_by_name(name)
        if sheet.height * max(sheet.width, 1) > MAX_SHEET_CELLS:
            raise LoadError("too_large", what=f"{sheet.height:,} x {sheet.width:,}")
        rows = sheet.to_python(skip_empty_area=False)
    except LoadError:
        raise
    except BaseException as exc:
        if not _calamine_failed(exc):
            raise
        raise LoadError("old_xls") from None
    return _table_from_rows(rows, name, tuple(wb.sheet_names))
