"""bytes -> ``RawTable``: the format sniffed from the first bytes (workbook zip, OLE container, or text)
decides which reader a file goes to."""
from __future__ import annotations

from .csv_table import read_csv_table
from .errors import LoadError
from .table import RawTable
from .workbook import read_ole, read_workbook_table


def sniff_format(data: bytes, file_name: str = "") -> str:
    """'xlsx', 'ole' (old .xls or an encrypted workbook) or 'text'."""
    if not data:
        raise LoadError("empty_file")
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "ole"
    for magic, what in ((b"\x89PNG", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF8", "GIF"), (b"%PDF", "PDF")):
        if data.startswith(magic):
            raise LoadError("not_spreadsheet", what=what)
    return "text"


def read_table(data: bytes, file_name: str = "", sheet: str | None = None) -> RawTable:
    fmt = sniff_format(data, file_name)
    if fmt == "xlsx":
        return read_workbook_table(data, sheet)
    if fmt == "ole":
        return read_ole(data)
    return read_csv_table(data)
