""".xlsx / .xlsm bytes -> each candidate sheet's cells as Arrow text columns, after the workbook guard; and the
command line's read-ahead of its first workbook.

This is the half of reading a workbook that needs neither pandas nor pydantic (the guard, fastexcel, pyarrow):
``kpi.ingest.workbook`` turns its result into a ``RawTable``. Because it needs so little, the command line can
read the workbook on a second thread while the main thread is still importing pandas, pydantic and the schemas
(about 0.5 s; fastexcel releases the GIL): :func:`read_ahead` starts it, :func:`take_read_ahead` hands the
result (or the very exception, a ``LoadError`` included) to ``read_workbook_table`` for the same bytes object
and sheet. The app never reads ahead (its imports are long done); its path is :func:`read_workbook_arrow`
directly. The order guard-then-calamine is the same on both paths.
"""
from __future__ import annotations

import threading
from concurrent.futures import Future
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from .load_error import LoadError
from .xlsx_guard import check_sheet_dimensions, check_zip

XLSX_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class ArrowSheet:
    """One sheet as read: ``columns`` maps the absolute Excel column index (A = 0) to its Arrow text column;
    ``hidden`` when the sheet was skipped as hidden (never chosen automatically)."""

    name: str
    rows: int = 0
    columns: dict[int, Any] | None = None
    hidden: bool = False


@dataclass(frozen=True)
class ArrowWorkbook:
    names: tuple[str, ...]
    # the candidates in workbook order, each read when reached (one sheet in memory at a time while the app picks
    # the best header); the command line's read-ahead reads them all on its thread (a tuple)
    sheets: Iterable[ArrowSheet]


def _calamine_failed(exc: BaseException) -> bool:
    """Calamine reports damaged files as exceptions, and Rust panics as pyo3's PanicException, which derives
    from BaseException: both mean 'this workbook cannot be read', never a reason to take the server down."""
    return not isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit, MemoryError))


def read_workbook_arrow(data: bytes, sheet: str | None = None) -> ArrowWorkbook:
    """The guard (zip sizes, every member inflated within bounds, DTDs refused, each sheet's cell area), then
    fastexcel: the named sheet, or every sheet (hidden ones marked, not read) when none is named. Raises
    ``LoadError`` for a workbook that cannot be read."""
    check_sheet_dimensions(check_zip(data), data)
    return _read_guarded(data, sheet)


def _read_guarded(data: bytes, sheet: str | None) -> ArrowWorkbook:
    """fastexcel's half of :func:`read_workbook_arrow`, for bytes the guard has passed."""
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
    return ArrowWorkbook(names, _sheets(reader, [sheet] if sheet is not None else list(names), visible_only=sheet is None))


def _sheets(reader, candidates: list[str], visible_only: bool) -> Iterator[ArrowSheet]:
    for name in candidates:
        try:
            read = _sheet_columns(reader, name, visible_only)
        except BaseException as exc:
            if not _calamine_failed(exc):
                raise
            raise LoadError("broken_xlsx") from None
        yield read


def _sheet_columns(reader, name: str, visible_only: bool) -> ArrowSheet:
    try:
        sheet = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
        if visible_only and str(getattr(sheet, "visible", "visible")).lower() != "visible":
            return ArrowSheet(name, hidden=True)
        table = sheet.to_arrow()
        positions = [c.absolute_index for c in sheet.selected_columns]
    except BaseException as exc:
        if _calamine_failed(exc) and "empty" in str(exc).lower():
            return ArrowSheet(name)
        raise
    if not table.num_rows or not positions:
        return ArrowSheet(name)
    columns = dict(zip(positions, (_date_only_text(table.column(i)) for i in range(table.num_columns))))
    return ArrowSheet(name, table.num_rows, columns)


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


# ------------------------------------------------------------------ the command line's read-ahead
_AHEAD: dict[int, tuple[bytes, str | None, Future]] = {}
_AHEAD_LOCK = threading.Lock()


def read_ahead(data: bytes, sheet: str | None = None) -> bool:
    """Start reading ``data`` (a workbook; anything else is ignored: False). The guard runs here, on the calling
    thread (it is regex work that holds the GIL: on a second thread it would only slow the imports down); then
    fastexcel's read (Rust, the GIL released) goes to a daemon thread. fastexcel and pyarrow are imported here
    too, so the two threads never import the same modules. A guard's refusal is kept, not raised: ``load``
    raises it where it always has."""
    if data[:4] != XLSX_MAGIC:
        return False
    future: Future = Future()
    with _AHEAD_LOCK:
        _AHEAD[id(data)] = (data, sheet, future)
    try:
        check_sheet_dimensions(check_zip(data), data)
        import fastexcel  # noqa: F401  (and pyarrow with it)
        import pyarrow.compute  # noqa: F401
    except BaseException as exc:
        future.set_exception(exc)
        return True

    def work() -> None:
        try:
            book = _read_guarded(data, sheet)
            future.set_result(replace(book, sheets=tuple(book.sheets)))  # every sheet read here, on this thread
        except BaseException as exc:  # handed over as is: take_read_ahead raises it on the main thread
            future.set_exception(exc)

    threading.Thread(target=work, name="xlsx-read-ahead", daemon=True).start()
    return True


def take_read_ahead(data: bytes, sheet: str | None) -> ArrowWorkbook | None:
    """The read-ahead of this very bytes object and sheet (waiting for it; its exception raised here), or None
    when none was started for them."""
    with _AHEAD_LOCK:
        entry = _AHEAD.pop(id(data), None)
    if entry is None or entry[0] is not data or entry[1] != sheet:
        return None
    return entry[2].result()
