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
from .xlsx_arrow import ArrowSheet, _calamine_failed, read_workbook_arrow, take_read_ahead
from .xlsx_guard import MAX_SHEET_CELLS


def read_workbook_table(data: bytes, sheet: str | None = None) -> RawTable:
    """Every cell of the chosen sheet as text, read by fastexcel (calamine straight to Arrow strings) after the
    workbook guard (:func:`kpi.ingest.xlsx_arrow.read_workbook_arrow`, or the command line's read-ahead of it).

    The sheet is read from row 1 (``skip_rows=0``) so positions are Excel rows; columns are placed by the
    absolute index fastexcel reports, so column A stays column 0 even when the sheet starts further right.
    Typed cells arrive as text: numbers as written without a trailing ``.0``, booleans ``true``/``false``,
    dates and times ``YYYY-MM-DD HH:MM:SS`` — a date cell at midnight is cut to ``YYYY-MM-DD``, as Excel
    shows a date-only cell. Without a named sheet the visible sheet whose header reads best is chosen."""
    book = take_read_ahead(data, sheet) or read_workbook_arrow(data, sheet)
    best: tuple[int, RawTable] | None = None
    hidden = []
    for read in book.sheets:
        if read.hidden:  # a hidden sheet is never chosen automatically (SPEC 7); --sheet can name it
            hidden.append(read.name)
            continue
        try:
            cells = _sheet_cells(read)
        except BaseException as exc:
            if not _calamine_failed(exc):
                raise
            raise LoadError("broken_xlsx") from None
        table = RawTable(cells=cells, excel_rows=np.arange(1, len(cells) + 1, dtype=np.int64), source="xlsx", sheet=read.name, sheets=book.names)
        score = _best_header_row(_head_lists(table))[2] if len(table.cells) else -1
        if best is None or score > best[0]:
            best = (score, table)
    if best is None:
        raise LoadError("no_visible_sheet", sheets=", ".join(hidden))
    return best[1]


_TEXT_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)


def _sheet_cells(read: ArrowSheet) -> pd.DataFrame:
    """The sheet's Arrow text columns as a frame of text columns placed at their Excel column."""
    import pyarrow as pa

    if not read.rows or not read.columns:
        return pd.DataFrame(dtype=object)
    blank = pa.nulls(read.rows, pa.string())
    return pd.DataFrame({i: pd.Series(pd.array(read.columns.get(i, blank), dtype=_TEXT_DTYPE)) for i in range(max(read.columns) + 1)})


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
