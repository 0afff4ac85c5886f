"""Files the app writes (downloads, templates, the report): xlsx and CSV, safe against formula injection.

A cell that begins with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return) would run as a formula when a
user opens the file in Excel. In xlsx we write every text cell as a string cell (xlsxwriter with
``strings_to_formulas`` off), so the value stays exactly as read and cannot execute; in CSV, where there
is no cell type, such text gets a leading apostrophe (OWASP's advice).
"""
from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import xlsxwriter

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
WORKBOOK_OPTIONS = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def neutralise_csv_cell(value):
    """'=1+1' -> "'=1+1" for text cells; numbers and everything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_csv_bytes(frame: pd.DataFrame, encoding: str = "utf-8-sig") -> bytes:
    """CSV as Japanese Excel opens it (UTF-8 with BOM by default), text cells and header names neutralised
    (headers come from the user's file too; categorical text columns are text as well)."""
    safe = frame.copy()
    for col in safe.columns:
        dtype = safe[col].dtype
        if dtype == object or pd.api.types.is_string_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
            safe[col] = safe[col].astype(object).map(neutralise_csv_cell)
    safe.columns = [neutralise_csv_cell(str(c)) for c in safe.columns]
    return safe.to_csv(index=False).encode(encoding, errors="replace")


def new_workbook(buffer: io.BytesIO) -> xlsxwriter.Workbook:
    wb = xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)
    wb.set_properties({"created": dt.datetime(2026, 1, 1)})  # deterministic bytes for the same content
    return wb


def write_frame(wb: xlsxwriter.Workbook, ws, frame: pd.DataFrame, start_row: int = 0, start_col: int = 0, header_format=None) -> int:
    """Write a frame with typed cells (strings always as strings); returns the next free row."""
    date_fmt = wb.add_format({"num_format": "yyyy/mm/dd"})
    datetime_fmt = wb.add_format({"num_format": "yyyy/mm/dd hh:mm"})
    for j, name in enumerate(frame.columns):
        ws.write_string(start_row, start_col + j, str(name), header_format)
    for i, row in enumerate(frame.itertuples(index=False), start=start_row + 1):
        for j, value in enumerate(row):
            write_cell(ws, i, start_col + j, value, date_fmt, datetime_fmt)
    return start_row + len(frame) + 1


def write_cell(ws, row: int, col: int, value, date_fmt=None, datetime_fmt=None) -> None:
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        ws.write_blank(row, col, None)
    elif isinstance(value, (bool, np.bool_)):
        ws.write_boolean(row, col, bool(value))
    elif isinstance(value, (int, float, np.integer, np.floating)):
        ws.write_number(row, col, float(value))
    elif isinstance(value, (pd.Timestamp, dt.datetime)):
        stamp = pd.Timestamp(value).to_pydatetime()
        ws.write_datetime(row, col, stamp, datetime_fmt if stamp.time() != dt.time(0) else date_fmt)
    elif isinstance(value, dt.date):
        ws.write_datetime(row, col, dt.datetime(value.year, value.month, value.day), date_fmt)
    else:
        try:
            missing = bool(pd.isna(value))
        except (TypeError, ValueError):
            missing = False
        if missing:
            ws.write_blank(row, col, None)
        else:
            ws.write_string(row, col, str(value))


def to_xlsx_bytes(sheets: dict[str, pd.DataFrame], freeze_header: bool = True) -> bytes:
    """One or more frames as an .xlsx download; header bold, widths fitted, text never a formula."""
    buffer = io.BytesIO()
    wb = new_workbook(buffer)
    bold = wb.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    for name, frame in sheets.items():
        ws = wb.add_worksheet(_sheet_name(name))
        write_frame(wb, ws, frame, header_format=bold)
        if freeze_header:
            ws.freeze_panes(1, 0)
        for j, col in enumerate(frame.columns):
            sample = [str(col)] + [str(v) for v in frame[col].head(200).tolist()]
            ws.set_column(j, j, min(50, max(8, max(_display_width(s) for s in sample) + 2)))
    wb.close()
    return buffer.getvalue()


def _sheet_name(name: str) -> str:
    for ch in "[]:*?/\\":
        name = name.replace(ch, "_")
    return name[:31] or "Sheet1"


def _display_width(text: str) -> int:
    """Full-width characters take two columns in Excel."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
