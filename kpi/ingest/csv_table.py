"""CSV / TSV files -> ``RawTable``: the header rows through the csv module, the body through pyarrow's CSV
reader when row numbers stay exact (otherwise the csv module); blank-line runs become markers so they
cost no memory per cell and keep every Excel row number."""
from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd

from .errors import LoadError
from .headers import HEADER_SEARCH_ROWS, _best_header_row
from .table import RawTable
from .text import HEAD_SIZE, _cp932_head, _drop_nuls, decode_text_repairing

_BLANK_LINE = re.compile(r"(?:\r\n|\n|\r(?!\n))[ \t]*(?:\r\n|\n|\r(?!\n))")


def read_csv_table(data: bytes) -> RawTable:
    """Cells of a CSV/TSV file, header rows included, with their Excel row numbers.

    A cp932 file (what Japanese Excel saves) is not decoded in Python as a whole: its first lines are, to find
    the header; pyarrow then decodes and parses the rest in C++ on its own threads, and any byte that is not
    cp932 sends the file back to the full decode below (which rejects only the damaged rows). UTF-8 files
    are parsed from their own bytes, with no decode and re-encode of the body."""
    data, nul_bytes = _drop_nuls(data)
    head = _cp932_head(data)
    table = None
    if head is not None:
        table = _read_csv_parts(data, head, "cp932", 0, raw_body=True)
    if table is None:
        text, encoding, invalid_bytes = decode_text_repairing(data)
        if "\x00" in text:  # UTF-16 text holding NUL characters: dropped like NUL bytes
            nul_bytes += text.count("\x00")
            text = text.replace("\x00", "")
        table = _read_csv_parts(data, text, encoding, invalid_bytes, raw_body=encoding in ("utf-8", "utf-8-sig") and not invalid_bytes)
    assert table is not None  # (with the whole text at hand every path ends in a table)
    table.nul_bytes = nul_bytes
    return table


def _read_csv_parts(data: bytes, text: str, encoding: str, invalid_bytes: int, raw_body: bool) -> RawTable | None:
    """The table from ``text`` (the whole decoded file, or only its head when ``encoding == "cp932"`` and
    ``raw_body``: then the body is parsed from ``data`` by pyarrow; None when it cannot be, and the caller
    decodes the whole file)."""
    if not text or text.isspace():
        raise LoadError("empty_file")
    partial = encoding == "cp932" and raw_body
    first_line = text[: text.find("\n")] if "\n" in text else text
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    head_records, data_offset = _head_records(text, delimiter)
    width = max((len(r) for r in head_records), default=0)
    header_idx, _, header_score = _best_header_row(head_records) if head_records else (0, None, 0)
    other = _other_delimiter(head_records) if not header_score else None
    if other:
        raise LoadError("csv_delimiter", delimiter=other)
    # Records before and including the header go through the csv module; the rest through pyarrow.
    head_records = head_records[: header_idx + 1]
    data_start = _offset_after_records(text, delimiter, header_idx + 1)
    if partial and data_start >= len(text):
        return None  # the header runs past the decoded head (a quoted line break at its end): decode it all
    width = max(width, max((len(r) for r in head_records), default=0))
    n_cols = max(len(head_records[-1]) if head_records else width, 1)
    notes: list[tuple[int, str, str]] = []
    body_frame = None
    first_row = header_idx + 2
    markers = tail = 0
    if raw_body:  # the body's bytes as they are in the file, decoded (if need be) by pyarrow
        byte_start = len(text[:data_start].encode("utf-8" if encoding == "utf-8-sig" else encoding)) + (3 if encoding == "utf-8-sig" else 0)
        if n_cols > 1 and byte_start < len(data):
            raw, markers, tail = _mark_blank_lines(memoryview(data)[byte_start:], delimiter, n_cols)
            body_frame = _read_body_pyarrow(raw, encoding.replace("-sig", ""), delimiter, n_cols)
            del raw
        if body_frame is None and partial:
            return None
    body_text = None
    if body_frame is None:
        body_bytes, markers, tail = _mark_blank_lines(text[data_start:].encode("utf-8"), delimiter, n_cols)
        if body_bytes and (n_cols > 1 or not _BLANK_LINE.search(body_bytes.decode("utf-8"))):
            body_frame = _read_body_pyarrow(body_bytes, "utf-8", delimiter, n_cols)
        if body_frame is None:
            body_text = body_bytes.decode("utf-8")
        del body_bytes
    if body_frame is None:
        body_frame, body_rows, notes, skipped = _read_body_csv(body_text, delimiter, n_cols, first_row=first_row)
    elif markers:
        body_frame, body_rows, skipped = _unmark(body_frame, first_row)
    else:
        body_rows = np.arange(first_row, first_row + len(body_frame), dtype=np.int64)
        skipped = 0
    skipped += tail
    head = pd.DataFrame([(r + [""] * n_cols)[:n_cols] for r in head_records], dtype=object)
    head.columns = range(n_cols)
    body_frame.columns = range(n_cols)
    cells = pd.concat([head.astype("str"), body_frame], ignore_index=True) if len(body_frame) else head.astype("str")
    rows = np.concatenate([np.arange(1, header_idx + 2, dtype=np.int64), body_rows])
    return RawTable(cells=cells, excel_rows=rows, source="csv", encoding=encoding, notes=notes, skipped_blank_lines=skipped, invalid_bytes=invalid_bytes)


def _head_records(text: str, delimiter: str) -> tuple[list[list[str]], int]:
    sample = text[:HEAD_SIZE]
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    records = []
    try:
        for record in reader:
            records.append(record)
            if len(records) >= HEADER_SEARCH_ROWS:
                break
    except csv.Error:
        pass
    return records, 0


def _other_delimiter(records: list[list[str]]) -> str | None:
    """';' or '|' when the file is a CSV saved with that separator (SPEC 7: say so, not "unknown kind"): nothing
    was recognised as a header with ',' or a tab, and a row that is one cell holding the separator either reads
    as a header once split on it, or is the first row of the file with most rows holding the separator too."""
    filled = [[c for c in rec if c.strip()] for rec in records]
    filled = [cells for cells in filled if cells]
    if not filled:
        return None
    for delim in (";", "|"):
        single = [cells[0] for cells in filled if len(cells) == 1 and delim in cells[0]]
        if not single:
            continue
        if _best_header_row([cell.split(delim) for cell in single])[2] > 0:
            return delim
        first = filled[0]
        if len(first) == 1 and len(first[0].split(delim)) >= 2 and 2 * sum(delim in "".join(cells) for cells in filled) >= len(filled):
            return delim
    return None


def _offset_after_records(text: str, delimiter: str, n_records: int) -> int:
    """Character offset where record ``n_records`` starts (quoted newlines respected).

    Lines are cut lazily from the front of the text: only the few header records are scanned, never the
    whole (possibly 100 MB) file.
    """
    consumed = 0

    def lines():
        nonlocal consumed
        while consumed < len(text):
            nl = text.find("\n", consumed)
            cr = text.find("\r", consumed, nl if nl >= 0 else len(text))
            if cr >= 0 and (nl < 0 or cr < nl - 1):  # a lone CR ends a line (old Mac files)
                end = cr + 1
            else:
                end = len(text) if nl < 0 else nl + 1
            line = text[consumed:end]
            consumed = end
            yield line

    reader = csv.reader(lines(), delimiter=delimiter)
    for _ in range(n_records):
        try:
            next(reader)
        except StopIteration:
            break
    return consumed


def _junk_run_patterns(delimiter: str) -> tuple[re.Pattern, re.Pattern]:
    """(a run of junk lines at the start, one after a line break): spaces, tabs, delimiters and line breaks up to a
    final \\n. One character class, no nested repeat: the regex engine keeps no state per line."""
    junk = b"[" + re.escape(delimiter.encode()) + (b"" if delimiter == "\t" else b"\t") + b" \r\n]*\n"
    return re.compile(junk), re.compile(b"\n(" + junk + b")")


_JUNK_RUN = {d: _junk_run_patterns(d) for d in (",", "\t")}
_JUNK_AFTER_BREAK = re.compile(rb"\n[\t ,\r\n]")
_MARK = b"\x00"  # begins a marker record: the file has no NUL left (``_drop_nuls``)


def _mark_blank_lines(body: bytes | memoryview, delimiter: str, n_cols: int) -> tuple[bytes | memoryview, int, int]:
    """SPEC 7: blank lines and rows of empty cells are not rows and cost no memory per cell. Each run of such
    lines (nothing but spaces, tabs and delimiters, outside quotes) becomes one marker record ``\\x00<k>`` padded to
    ``n_cols`` cells, which the parsers turn back into k skipped Excel rows; a run at the end of the file is
    dropped. Bytes-level (ASCII below 0x40 is never part of a cp932 or UTF-8 character); one regex scan
    (~35 ms per 70 MB) on a file without such lines, which is returned as it is.
    Returns (body, number of markers, lines dropped at the end that count as blank rows)."""
    at_start, after_break = _JUNK_RUN[delimiter]
    first = at_start.match(body)
    if first is None or not first.end():
        maybe = _JUNK_AFTER_BREAK.search(body)  # the quickest scan (a literal, then one byte): ~35 ms per 70 MB
        first = after_break.search(body, maybe.start()) if maybe else None
        if first is None:
            return body, 0, 0
    raw = bytes(body)

    def lines(a: int, b: int) -> int:  # line breaks: \n, \r\n and a lone \r
        return raw.count(b"\n", a, b) + raw.count(b"\r", a, b) - raw.count(b"\r\n", a, b)

    runs = [first.span()] if first.re is at_start else []
    runs = iter(runs + [m.span(1) for m in after_break.finditer(raw, first.start() if not runs else first.end() - 1)])
    parts, last, counted, quotes, markers, tail = [], 0, 0, 0, 0, 0
    pad = delimiter.encode() * (n_cols - 1) + b"\n"
    for start, end in runs:
        quotes += raw.count(b'"', counted, start)
        counted = start
        if quotes % 2:  # inside a quoted cell: its line breaks are text
            continue
        parts.append(raw[last:start])
        last = end
        if end == len(raw):  # blank lines at the very end are no rows; rows of empty cells there still count
            content = len(raw[start:end].rstrip(b"\r\n"))
            tail = lines(start, start + content) + 1 if content else 0
        else:
            parts.append(_MARK + str(lines(start, end)).encode() + pad)
            markers += 1
    parts.append(raw[last:])
    return b"".join(parts), markers, tail


def _unmark(frame: pd.DataFrame, first_row: int) -> tuple[pd.DataFrame, np.ndarray, int]:
    """Drop the marker records of ``_mark_blank_lines``: (frame, Excel row of each record, lines they stood for)."""
    col = frame[frame.columns[0]].astype("str")
    is_mark = col.str.startswith("\x00").fillna(False).to_numpy(dtype=bool)
    step = np.ones(len(frame), dtype=np.int64)
    counts = col[is_mark].str.slice(1).astype("int64").to_numpy()
    step[is_mark] = counts
    rows = first_row + np.cumsum(step) - step
    keep = ~is_mark
    return frame[keep].reset_index(drop=True), rows[keep], int(counts.sum())


def _read_body_pyarrow(body, encoding: str, delimiter: str, n_cols: int) -> pd.DataFrame | None:
    """Parse the body (bytes in ``encoding``) with pyarrow; None when a row is ragged or blank, or a byte is
    not valid in the encoding (the caller then takes the exact path)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(n_cols)]
    bad_rows = []

    def on_invalid(row):  # the first ragged row ends the attempt: the exact path reads the file
        bad_rows.append(row)
        return "error"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(body)),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24, encoding=encoding),
            # an empty line stays a (ragged) row, so it reaches on_invalid and the exact path keeps row numbers
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowException, UnicodeDecodeError):
        return None
    if bad_rows:
        return None  # ragged rows: the csv module keeps exact row numbers
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow", na_value=np.nan)}.get)
    return frame


def _read_body_csv(body: str, delimiter: str, n_cols: int, first_row: int):
    """Exact path: every record keeps its Excel row; blank lines count as rows but hold no data."""
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)
    records, rows, notes = [], [], []
    skipped = 0
    row = first_row - 1
    try:
        for record in reader:
            row += 1
            if not record:
                skipped += 1
                continue
            if record[0][:1] == "\x00":  # a run of blank lines (``_mark_blank_lines``): k rows, no cells
                lines = int(record[0][1:])
                row += lines - 1
                skipped += lines
                continue
            if len(record) > n_cols:
                extra = record[n_cols:]
                if any(cell.strip() for cell in extra):
                    notes.append((row, "extra_cells", str(len(record))))
                record = record[:n_cols]
            elif len(record) < n_cols:
                record = record + [""] * (n_cols - len(record))
            records.append(record)
            rows.append(row)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise LoadError("csv_field_too_large", row=row + 1, limit=f"{csv.field_size_limit():,}") from None
        raise LoadError("csv_unreadable_line", row=row + 1) from None
    frame = pd.DataFrame(records, columns=range(n_cols), dtype="str") if records else pd.DataFrame(columns=range(n_cols), dtype="str")
    # Trailing blank lines at the end of a file are not rows anyone would count.
    trailing = 0 if not rows else row - rows[-1]
    return frame, np.array(rows, dtype=np.int64), notes, skipped - trailing
