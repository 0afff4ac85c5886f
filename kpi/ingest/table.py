"""``RawTable``: the cells of one file as read, before its header is known, with the Excel row of each
(Excel column letters <-> numbers live in ``colref``)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .colref import _col_letters, _col_number  # noqa: F401  (re-exported: kpi.load and the tests import them here)


@dataclass
class RawTable:
    """Cells as read, before the header is known. ``rows[i]`` is Excel row ``excel_rows[i]``."""

    cells: pd.DataFrame  # object / str columns 0..n-1, header rows included
    excel_rows: np.ndarray
    source: str  # "csv" or "xlsx"
    encoding: str | None = None
    sheet: str | None = None
    sheets: tuple[str, ...] = ()
    notes: list[tuple[int, str, str]] = field(default_factory=list)  # (excel_row, code, value)
    skipped_blank_lines: int = 0  # empty CSV lines dropped while reading (their row numbers are kept)
    invalid_bytes: int = 0  # bytes that were not valid text in ``encoding`` (each became a raw-byte mark; its row is rejected)
    nul_bytes: int = 0  # NUL bytes dropped from a (non UTF-16) text file: never text, never rows (SPEC 7)


