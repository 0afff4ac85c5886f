"""Issue 11: the rejected-rows download (rejected_rows_table + to_xlsx_bytes) is built column-wise now; its
content must be what the old implementation gave, cell for cell. The old one is kept in bench/rejected.py
(the benchmark's baseline) and compared here on a few thousand rejected rows. No timing here: see
``python -m bench.rejected``."""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import warnings

import numpy as np
import openpyxl
import pandas as pd
import pytest

from bench.rejected import MAPPING, load_rejected, old_rejected_rows_table, old_to_xlsx_bytes
from conftest import realdata
from kpi.export import FORMULA_PREFIXES, to_xlsx_bytes
from kpi.load import ColumnMapping, load, rejected_rows_table

FORMULAS = ["=cmd", "=1+1", "+81-6-1234", "-2+3", "@SUM(A1:A2)", '=HYPERLINK("http://x.invalid","click")', "=cmd|' /C calc'!A0"]
HEADERS = ["PatientId", "AppointmentID", "ScheduledDay", "AppointmentDay", "Neighbourhood", "No-show"]


def visits_csv(n: int = 3000) -> bytes:
    """Kaggle-shaped visits: `No-show` Yes/No are not status labels (rejected) except every 7th row (来院, valid);
    some rows also lack the patient or have a bad date (two or three reasons), some carry formula-looking text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADERS)
    for i in range(n):
        patient = "" if i % 11 == 3 else str(29872499824296 + i * 7919)
        booked = "不明" if i % 13 == 5 else f"2016-04-{1 + i % 28:02d}T18:38:08Z"
        status = "来院" if i % 7 == 0 else ("Yes" if i % 5 == 0 else "No")
        place = FORMULAS[i % len(FORMULAS)] if i % 4 == 1 else ("  JARDIM DA PENHA " if i % 9 == 2 else "MATA DA PRAIA")
        writer.writerow([patient, 5642903 + i, booked, f"2016-05-{1 + i % 28:02d}T00:00:00Z", place, status])
    return out.getvalue().encode("utf-8")


def mapping() -> ColumnMapping:
    return ColumnMapping.model_validate(MAPPING)


def xlsx_cells(data: bytes) -> list[dict]:
    """Everything a user sees of each sheet: name, frozen pane, widths, and every cell's value, type and format."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    sheets = []
    for ws in wb.worksheets:
        widths = {}
        for dim in ws.column_dimensions.values():
            for c in range(dim.min or 0, (dim.max or 0) + 1):
                widths[c] = dim.width
        cells = [(c.coordinate, c.value, c.data_type, c.number_format, bool(c.font.b), c.fill.fill_type, c.border.left.style)
                 for row in ws.iter_rows() for c in row if c.value is not None or c.has_style]
        quoted = {c.coordinate for row in ws.iter_rows() for c in row if c.quotePrefix}
        sheets.append({"title": ws.title, "freeze": ws.freeze_panes, "dimensions": ws.dimensions, "widths": widths,
                       "cells": cells, "quoted": quoted})
    return sheets


def assert_same_xlsx_content(old: bytes, new: bytes) -> list[dict]:
    """The same cells as the old writer's; and the new one marks formula-looking text with the quote prefix."""
    before, after = xlsx_cells(old), xlsx_cells(new)
    assert [{k: v for k, v in s.items() if k != "quoted"} for s in after] == [{k: v for k, v in s.items() if k != "quoted"} for s in before]
    for sheet in after:
        assert not any(dtype == "f" for _, _, dtype, *_ in sheet["cells"])
        formula_like = {coord for coord, value, dtype, *_ in sheet["cells"] if dtype == "s" and value.startswith(FORMULA_PREFIXES)}
        assert formula_like <= sheet["quoted"]
    return after


def old_xlsx(sheets: dict[str, pd.DataFrame]) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Timestamp.to_pydatetime dropping nanoseconds, in the old per-cell path
        return old_to_xlsx_bytes(sheets)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_rejected_download_has_the_old_content_on_thousands_of_rows(lang):
    result = load(visits_csv(), "visits.csv", mapping=mapping())
    r = result.report
    assert r.rows_read == 3000 and r.rows_read == r.rows_valid + r.rows_rejected
    assert r.rows_valid > 0 and r.rows_rejected > 2000

    table = rejected_rows_table(result, lang)
    pd.testing.assert_frame_equal(table, old_rejected_rows_table(result, lang))
    assert len(table) == r.rows_rejected
    row_col, err_col = ("行番号", "エラー内容") if lang == "ja" else ("row", "errors")
    assert table[row_col].tolist() == sorted(set(r.errors["row"]))
    assert (table[err_col].str.count(" / ") >= 1).any()  # rows with more than one reason, joined in order
    if lang == "ja":
        assert "「No」は" in table[err_col].iloc[0]

    data = to_xlsx_bytes({"rejected": table})
    sheets = assert_same_xlsx_content(old_xlsx({"rejected": old_rejected_rows_table(result, lang)}), data)
    cells = {coord: (value, dtype) for coord, value, dtype, *_ in sheets[0]["cells"]}
    cmd = [coord for coord, (value, dtype) in cells.items() if value == "=cmd"]
    assert cmd and all(cells[c] == ("=cmd", "s") for c in cmd)  # a string cell, kept exactly
    assert set(cmd) <= sheets[0]["quoted"]  # with Excel's quote prefix
    assert sheets[0]["cells"][0][:3] == ("A1", row_col, "s") and sheets[0]["freeze"] == "A2"


def test_real_kaggle_rows_without_a_values_mapping_are_all_rejected_with_the_old_content():
    path = realdata("noshow_kaggle", "KaggleV2-May-2016.csv")
    result = load_rejected(path, rows=2500)
    r = result.report
    assert (r.rows_read, r.rows_valid, r.rows_rejected) == (2500, 0, 2500)
    table = rejected_rows_table(result, "ja")
    old_table = old_rejected_rows_table(result, "ja")
    pd.testing.assert_frame_equal(table, old_table)
    assert table["エラー内容"].str.contains("「No」は|「Yes」は").all()
    assert_same_xlsx_content(old_xlsx({"rejected": old_table}), to_xlsx_bytes({"rejected": table}))


def test_object_cells_of_a_rejected_row_read_as_before():
    """Rows from an old .xls arrive as Python objects (12345.0, None, datetimes): written as the user typed them."""
    result = load(visits_csv(40), "visits.csv", mapping=mapping())
    raw = result.rejected_raw.copy()
    n = len(raw)
    mixed = [12345.0, None, np.nan, "NA", "=cmd", dt.datetime(2026, 4, 1, 9, 30), 3, True, "", 1.5]
    raw["Neighbourhood"] = pd.Series([mixed[i % len(mixed)] for i in range(n)], index=raw.index, dtype=object)
    result = dataclasses.replace(result, rejected_raw=raw)
    table = rejected_rows_table(result, "en")
    pd.testing.assert_frame_equal(table, old_rejected_rows_table(result, "en"))
    assert table["Neighbourhood"].tolist()[:6] == ["12345", "", "", "NA", "=cmd", "2026-04-01 09:30:00"]
    assert_same_xlsx_content(old_xlsx({"rejected": old_rejected_rows_table(result, "en")}), to_xlsx_bytes({"rejected": table}))


def test_every_kind_of_cell_is_written_as_before():
    """to_xlsx_bytes serves every download: numbers, dates, blanks, booleans, mixed objects, odd text."""
    n = 16
    text = ["", " lead", "trail ", "\u3000全角", "a&b<c>d\"e'", "_x0041_", "ctl\x01\x1f", "x" * 40_000, "😀" * 20_000,
            "改行\nあり", "\tx", "=1+1", "nbsp\xa0", "-5", "@a", "plain"]
    frame = pd.DataFrame({
        "=HEADER()": text,
        "str": pd.Series(text[:8] + [None] * 8, dtype="str"),
        "float": np.arange(n) * 1.5 - 3,
        "int": np.arange(n, dtype=np.int64) * 123_456_789_012,
        "Int64": pd.array([1, None] * 8, dtype="Int64"),
        "bool": [True, False] * 8,
        "boolean": pd.array([True, None] * 8, dtype="boolean"),
        "datetime": pd.to_datetime(["2026-01-02", "2026-01-02 10:00", None, "1900-01-01", "1900-02-28 12:00", "1900-03-01",
                                    "1899-12-31", "1970-01-01 00:00:00.000001"] * 2, format="mixed"),
        "ns": pd.to_datetime(["2026-01-02 03:04:05.123456789"] * n),
        "seconds": pd.Series(pd.to_datetime(["2026-01-02", "2100-12-31 23:59:59"] * 8, format="mixed")).astype("datetime64[s]"),
        "category": pd.Categorical(["a", "=b", None, "c"] * 4),
        "object": pd.Series([1, 2.5, "s", None, np.nan, True, dt.date(2026, 1, 3), dt.datetime(2026, 1, 3, 4, 5),
                             pd.Timestamp("2026-02-01"), pd.NaT, pd.NA, np.float32(1.5), np.int8(3), pd.Timedelta("1h"), b"x", "=obj"],
                            dtype=object),
        "blank": [np.nan] * n,
        "numbers": [1e20, 1 / 3, -0.0, 2**53 + 1, 1e-300, 123456789.123456789, 0.1 + 0.2, 5e-324] * 2,
    })
    sheets = {"one": frame, "two": frame.head(3), "empty": pd.DataFrame(columns=["a", "=b"])}
    assert_same_xlsx_content(old_xlsx(sheets), to_xlsx_bytes(sheets))
    assert_same_xlsx_content(old_xlsx({}), to_xlsx_bytes({}))
