"""bytes -> (validated DataFrame, ValidationReport): format, encoding, sheet, header row, kind, mapping.

Nothing here touches the disk or the network: uploads arrive as bytes and stay in memory.

Reading
  * CSV: strict decodes in a fixed order (BOM, UTF-16 by its NUL pattern, UTF-8, cp932) — never a
    silent guess; the encoding used is reported. Clean files go through pyarrow's CSV reader; files
    whose row numbers pyarrow cannot keep exact (blank lines, ragged rows) go through the csv module.
  * Workbooks (.xlsx/.xlsm): fastexcel (calamine's reader straight to Arrow text, no Python object per
    cell), read from row 1 and placed back at column A so row numbers match Excel's. Every zip member is
    inflated and checked first (bombs, DTDs, far cells that would make calamine allocate a huge grid).
    Old .xls: python-calamine.
Validation
  Column-wise with the parsers of ``kpi.parse``, driven by the pydantic models of ``kpi.schemas``.
  Every rejected row is listed (Excel row, column, raw value, reason); rows_read == rows_valid +
  rows_rejected holds by construction (a row is valid exactly when it has no error).
"""
from __future__ import annotations

import codecs
import csv
import io
import json
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError, field_validator

from . import parse
from .messages import KIND_LABELS, message
from .schemas import ALWAYS_PRESENT, KINDS, REGION_LABELS, SEGMENT_LABELS, FieldSpec, field_specs, label_lookup

HEADER_SEARCH_ROWS = 20
MAX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024  # a workbook's members together, as declared in the zip
MAX_COMPRESSION_RATIO = 200
MAX_SHEET_CELLS = 60_000_000  # declared sheet dimension rows x columns
PARALLEL_PARSE_ROWS = 20_000  # from this many rows, columns are parsed in two threads


class LoadError(Exception):
    """A file that cannot be read at all. ``code`` keys kpi.messages; ``params`` fill it."""

    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = params
        super().__init__(LoadError.message(self, "en"))  # (the base rendering: a subclass may not be set up yet)

    def message(self, lang: str = "ja") -> str:
        params = dict(self.params)
        if self.code == "unknown_kind":
            params["expected"] = expected_headers_hint(lang)
        if self.code.startswith("mapping."):  # the mapping file by name when it is known (SPEC 7)
            source = params.get("source")
            params["where"] = ("" if not source else f"「{source}」" if lang == "ja" else f" '{source}'")
            kind = params.get("kind")
            params["kind"] = KIND_LABELS[kind][lang] if kind in KIND_LABELS else ("全データ種別" if lang == "ja" else "any kind of data")
        return message(self.code, lang, **params)


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
        columns = ", ".join(f"{names[m]}（{m}）" if lang == "ja" else m for m in self.missing)
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
    if lang == "ja":
        return "、".join("と".join(f"「{headers[c]}」（{_col_letters(c + 1)}列）" for c in cols) + f" → {names[f]}（{f}）" for f, cols in clashes)
    return "; ".join(" and ".join(f"'{headers[c]}' (column {_col_letters(c + 1)})" for c in cols) + f" -> {f}" for f, cols in clashes)


# ------------------------------------------------------------------ mapping file
class ColumnMapping(BaseModel):
    """The saved column mapping (SPEC section 1): rename headers, map labels, fill constants.

    ``from_json`` checks every entry before the mapping is used (SPEC 7, ``check``); ``source`` names the file it
    came from in those messages."""

    model_config = ConfigDict(extra="forbid")
    kind: str | None = None
    columns: dict[str, str] = {}
    values: dict[str, dict[str, str]] = {}
    constants: dict[str, Any] = {}
    _source: str | None = PrivateAttr(default=None)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, v):
        if v is not None and v not in KINDS:
            raise ValueError(f"unknown kind {v!r}; use one of {', '.join(KINDS)}")
        return v

    @classmethod
    def from_json(cls, text: str | bytes, source: str | None = None) -> "ColumnMapping":
        """The mapping in ``text`` (a saved mapping file), checked (``check``); ``source`` is the file's name, for
        the messages. Raises ``LoadError`` (``bad_mapping`` or ``mapping.*``)."""
        try:
            mapping = cls.model_validate(json.loads(text))
        except (ValueError, ValidationError) as exc:
            raise LoadError("bad_mapping", what=str(exc).splitlines()[0]) from None
        mapping._source = source
        return mapping.check()

    def check(self, kind: str | None = None) -> "ColumnMapping":
        """SPEC 7: ``columns`` may only name known fields, ``values`` only the field's own enum codes, ``constants``
        only plain text / number / date values of a known field (an enum constant: one of its codes or labels).
        Without a kind (neither given nor in the mapping), a field of any kind passes; ``load`` checks again once
        the file's kind is known. An entry that breaks this is a ``LoadError`` naming the mapping and the entry."""
        kind = kind or self.kind
        specs: dict[str, list[FieldSpec]] = {}
        for k in (kind,) if kind in KINDS else KINDS:
            for spec in _SPECS[k]:
                specs.setdefault(spec.name, []).append(spec)

        def refuse(code: str, entry: str, **params):
            raise LoadError(code, source=self._source, entry=entry, kind=kind or "", **params)

        for header, name in self.columns.items():
            if name not in specs:
                refuse("mapping.unknown_field", _entry(("columns", header), name), field=name)
        for name, labels in self.values.items():
            if name not in specs:
                refuse("mapping.unknown_field", _entry(("values", name), labels), field=name)
            codes = [code for spec in specs[name] if spec.kind == "enum" for code in (spec.labels or {})]
            if not codes:
                refuse("mapping.not_enum", _entry(("values", name), labels), field=name)
            for label, code in labels.items():
                if code not in codes:
                    refuse("mapping.bad_code", _entry(("values", name, label), code), field=name,
                           value=code, allowed=", ".join(dict.fromkeys(codes)))
        for name, value in self.constants.items():
            if name not in specs:
                refuse("mapping.unknown_field", _entry(("constants", name), value), field=name)
            plain = isinstance(value, (str, int, float)) and not (isinstance(value, float) and not np.isfinite(value))
            if not plain:
                refuse("mapping.bad_constant", _entry(("constants", name), value), field=name)
            enums = [spec for spec in specs[name] if spec.kind == "enum"]
            if enums and len(enums) == len(specs[name]) and not any(isinstance(value, str) and standard_code(spec, value) for spec in enums):
                codes = ", ".join(dict.fromkeys(code for spec in enums for code in (spec.labels or {})))
                refuse("mapping.bad_code", _entry(("constants", name), value), field=name, value=_short(value), allowed=codes)
        return self

    def to_json(self) -> str:
        return json.dumps(self.model_dump(exclude_none=True), ensure_ascii=False, indent=2)


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _entry(path: tuple[str, ...], value: Any) -> str:
    """One mapping entry as it reads in the JSON file: ``"values" → "status" → "Yes": "no-show"``."""
    keys = " → ".join(json.dumps(k, ensure_ascii=False) for k in path)
    return f"{keys}: {_short(json.dumps(value, ensure_ascii=False, default=str))}"


# ------------------------------------------------------------------ raw table
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


def header_key(text: Any) -> str:
    """How headers are compared: NFKC, lower case, no spaces/underscores, bracketed units removed."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    key = parse.nfkc(str(text)).lower()
    key = re.sub(r"[(\[【][^)\]】]*[)\]】]", "", key)
    return re.sub(r"[\s_\-・]", "", key)


def alias_index(kind: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for spec in field_specs(kind):
        for alias in (spec.name, *spec.aliases):
            index.setdefault(header_key(alias), spec.name)
    return index


_ALIAS_INDEX = {kind: alias_index(kind) for kind in KINDS}
_SPECS = {kind: field_specs(kind) for kind in KINDS}
_REQUIRED = {kind: {s.name: s.required for s in specs} for kind, specs in _SPECS.items()}


# ------------------------------------------------------------------ format sniffing and decoding
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


def decode_text(data: bytes) -> tuple[str, str]:
    """Strict decodes in a fixed order; returns (text, encoding). Never guesses silently."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data[3:], "utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data, "utf-16"), "utf-16"
    head = data[:4096]
    if head.count(b"\x00") > len(head) // 4:
        # UTF-16 without a BOM: ASCII characters leave a NUL in every other byte.
        even_nuls, odd_nuls = head[0::2].count(0), head[1::2].count(0)
        for enc in ("utf-16-le", "utf-16-be") if odd_nuls >= even_nuls else ("utf-16-be", "utf-16-le"):
            if _looks_binary(head[: len(head) // 2 * 2].decode(enc, errors="replace")):
                continue  # NUL runs (both byte positions zero) are not UTF-16 text: judged on the head, before any full decode
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError:
                continue
        raise LoadError("not_text")
    if b"\x00" in head:
        raise LoadError("not_text")
    for enc in ("utf-8", "cp932"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            if enc == "utf-8" and _damaged_utf8(data):
                raise _DamagedUtf8() from None  # never re-read as cp932 (SPEC 7): decode_text_repairing marks the bytes
            continue
        if _looks_binary(text):
            raise LoadError("not_text")
        return text, enc
    raise LoadError("unknown_encoding")


class _DamagedUtf8(LoadError):
    """UTF-8 apart from a few damaged bytes (``_damaged_utf8``): to a plain caller, an unknown encoding."""

    def __init__(self):
        super().__init__("unknown_encoding")


def _damaged_utf8(data: bytes) -> bool:
    """True when ``data`` (not valid UTF-8) is UTF-8 apart from a few damaged bytes: at most MAX_INVALID_BYTES
    invalid sequences, and at least 3 valid multi-byte characters for each. Decided by the whole file, not its
    first error: cp932 text fails UTF-8 at nearly every character (its kana lead bytes 0x82/0x83 are UTF-8
    continuation bytes), while a damaged UTF-8 export fails at one or two places among thousands of characters."""
    bad = data.decode("utf-8", errors="replace").count("\ufffd") - data.count(b"\xef\xbf\xbd")
    if not 0 < bad <= MAX_INVALID_BYTES:
        return False
    leads = int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) >= 0xC2))  # UTF-8 lead bytes (and what fails)
    return leads - bad >= 3 * bad


RAW_BYTE_BASE = 0xF700  # a byte that is not text becomes chr(RAW_BYTE_BASE + byte): a private-use mark, shown as \xNN
_RAW_BYTE = re.compile("[\uf700-\uf7ff]")


def _mark_raw_bytes(exc: UnicodeDecodeError):
    return "".join(chr(RAW_BYTE_BASE + b) for b in exc.object[exc.start : exc.end]), exc.end


codecs.register_error("kpi.raw_bytes", _mark_raw_bytes)


def show_raw_bytes(text: str) -> str:
    """A cell as shown in a message or the rejected-rows download: each damaged byte as ``\\xNN``."""
    return _RAW_BYTE.sub(lambda m: f"\\x{ord(m.group()) - RAW_BYTE_BASE:02x}", text) if isinstance(text, str) else text


def _decode_marking(data: bytes, enc: str) -> tuple[str, int]:
    text = data.decode(enc, errors="kpi.raw_bytes")
    return text, len(_RAW_BYTE.findall(text)) - len(_RAW_BYTE.findall(data.decode(enc, errors="ignore"))) if _RAW_BYTE.search(text) else 0


MAX_INVALID_BYTES = 100  # a few damaged bytes reject their rows; more mean the encoding is something else


def decode_text_repairing(data: bytes) -> tuple[str, str, int]:
    """``decode_text``, or, when a UTF-8 / cp932 file holds a few bytes that are not valid in it (a damaged
    export), that encoding with each bad byte replaced by U+FFFD: (text, encoding, number of bad bytes).
    The rows holding them are rejected and listed, so nothing is guessed silently and the rest loads."""
    try:
        text, enc = decode_text(data)
        return text, enc, 0
    except _DamagedUtf8:
        text, bad = _decode_marking(data, "utf-8")
        if _looks_binary(text):
            raise LoadError("not_text") from None
        return text, "utf-8", bad
    except LoadError as exc:
        if exc.code != "unknown_encoding" or data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
            raise
    best = None
    for enc in ("utf-8", "cp932"):
        text, bad = _decode_marking(data, enc)
        if best is None or bad < best[2]:
            best = (text, enc, bad)
    text, enc, bad = best
    if bad > MAX_INVALID_BYTES or _looks_binary(text):
        raise LoadError("unknown_encoding")
    return text, enc, bad


def _strict(data: bytes, enc: str) -> str:
    try:
        return data.decode(enc)
    except UnicodeDecodeError:
        raise LoadError("unknown_encoding") from None


def _looks_binary(text: str) -> bool:
    sample = text[:8192]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t")
    return controls > max(8, len(sample) // 100)


# ------------------------------------------------------------------ CSV
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


def _drop_nuls(data: bytes) -> tuple[bytes, int]:
    """(data without its NUL bytes, how many there were) for a file whose first 4 KB hold none (a NUL there is
    decided by ``decode_text``: UTF-16, or not text). A run of NULs (a file padded or cut short by a crash) is
    neither text nor rows (SPEC 7): dropped before parsing, so it costs no memory per cell; a warning counts them.
    A NUL never ends a line, so row numbers are unchanged."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data.find(b"\x00", 4096) == -1 or b"\x00" in data[:4096]:
        return data, 0
    return data.replace(b"\x00", b""), data.count(b"\x00")


HEAD_SIZE = 256 * 1024  # bytes of a file, characters of its text: the header search reads no further


def _cp932_head(data: bytes) -> str | None:
    """The first lines of a cp932 file, decoded (whole lines, up to HEAD_SIZE), or None when the file is
    not plainly cp932 from its start: a BOM, UTF-16, text that reads as UTF-8 (the order of decode_text), or a
    first part that does not decode."""
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        return None
    cut = data.rfind(b"\n", 0, HEAD_SIZE) + 1  # a line break is never the second byte of a cp932 character
    if cut <= 0 or cut == len(data):
        return None  # a small (or single-line) file: the whole decode costs nothing
    try:
        data[:cut].decode("utf-8")
        return None  # UTF-8 (or plain ASCII) so far: decode_text decides
    except UnicodeDecodeError:
        if _damaged_utf8(data[:cut]):
            return None  # UTF-8 with a few damaged bytes: never read as cp932 (SPEC 7)
    try:
        text = data[:cut].decode("cp932")
    except UnicodeDecodeError:
        return None
    return None if _looks_binary(text) else text


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


# ------------------------------------------------------------------ workbooks
def check_zip(data: bytes) -> zipfile.ZipFile:
    """Open the workbook zip and refuse bombs by the sizes it declares, before anything is inflated."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise LoadError("broken_xlsx") from None
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise LoadError("too_large", what=f"{total / 2**20:,.0f} MB")
    for info in infos:
        if info.compress_size and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO and info.file_size > 20 * 2**20:
            raise LoadError("too_large", what=f"{info.filename}: {info.file_size / 2**20:,.0f} MB")
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names:
        raise LoadError("not_spreadsheet", what="zip")
    return zf


def inflate_member(data: bytes, info: zipfile.ZipInfo, limit: int) -> bytes:
    """Inflate one member ourselves, never past what it declares (nor ``limit``): a member whose stream is
    longer than its declared size (a lying bomb), truncated, or with a wrong CRC is refused. The zip's
    declared sizes are what ``check_zip`` judged; this makes them true before calamine sees the bytes."""
    off = info.header_offset
    if data[off : off + 4] != b"PK\x03\x04":
        raise LoadError("broken_xlsx")
    name_len, extra_len = struct.unpack("<HH", data[off + 26 : off + 30])
    start = off + 30 + name_len + extra_len
    raw = memoryview(data)[start : start + info.compress_size]
    if len(raw) < info.compress_size:
        raise LoadError("broken_xlsx")
    allowed = min(info.file_size, limit)
    if info.compress_type == zipfile.ZIP_STORED:
        out = bytes(raw[: allowed + 1])
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        inflater = zlib.decompressobj(-15)
        try:  # one call, its output capped one byte past what is allowed: a longer stream shows as too long
            out = inflater.decompress(raw, allowed + 1)
        except zlib.error:
            raise LoadError("broken_xlsx") from None
        if len(out) <= allowed and not inflater.eof:
            raise LoadError("broken_xlsx")  # the stream stops early: a truncated or damaged member
    else:
        raise LoadError("broken_xlsx")  # Excel writes only stored and deflated members
    if len(out) > allowed:
        if allowed < info.file_size:
            raise LoadError("too_large", what=f"> {limit / 2**20:,.0f} MB")
        raise LoadError("too_large", what=f"{info.filename}: > {info.file_size:,} bytes declared")
    if len(out) != info.file_size or zlib.crc32(out) != info.CRC:
        raise LoadError("broken_xlsx")
    return out


_DTD = re.compile(rb"<!(?i:doctype|entity)")
# Prefixed cell tags (<x:c>) are never read by the cheap scan below: they send the sheet to the exact walk.
_PREFIXED_TAG = re.compile(rb":(?:c|row|v|is)[\s>/]")
_TOKEN = re.compile(rb"<(?:\w+:)?(row|c|v|is)(?=[\s>/])([^>]*)>")
_REF_ATTR = re.compile(rb"""(?<![^\s])r\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_CELL_REF = re.compile(rb"([A-Za-z]+)(\d+)")
MAX_SPARSE_CELLS = 2_000_000  # below this a sheet's area is never questioned
MAX_CELLS_PER_XML_BYTE = 2  # above it, a sheet's area is mostly empty: a few far cells make a dense grid

_TAG_END = np.zeros(256, dtype=bool)
_TAG_END[[32, 9, 10, 13, 62, 47]] = True  # what may follow a tag name: whitespace, '>' or '/'
_REF_CLASS = np.full(256, 3, dtype=np.uint8)  # 0 = A-Z, 1 = 0-9, 2 = '"', 3 = anything else
_REF_CLASS[65:91], _REF_CLASS[48:58], _REF_CLASS[34] = 0, 1, 2
_R_ATTR = np.frombuffer(b' r="', dtype=np.uint8)
_REF_WIDTH = 11  # [A-Z]{1,3}\d{1,7}" fits in 11 bytes
_TAIL = 24  # a cell opening this close to the end of the XML is not a complete cell: the exact walk decides


def _find_pair(a: np.ndarray, pair: bytes) -> np.ndarray:
    """Positions of a two-byte sequence in ``a``, compared as uint16 at both alignments."""
    key = np.frombuffer(pair, dtype=np.uint16)[0]
    n = len(a)
    even = np.flatnonzero(a[: n - n % 2].view(np.uint16) == key) * 2
    odd_len = (n - 1) - (n - 1) % 2
    odd = np.flatnonzero(a[1 : 1 + odd_len].view(np.uint16) == key) * 2 + 1
    return np.concatenate([even, odd])


def _largest(rows: np.ndarray) -> bytes:
    """The lexicographically largest row of a (m, L<=7) byte matrix (for equal-length digit or letter
    strings, the numerically largest)."""
    key = np.zeros(len(rows), dtype=np.int64)
    for k in range(rows.shape[1]):
        key = key * 256 + rows[:, k]
    return rows[int(np.argmax(key))].tobytes()


def _plain_area(xml: bytes | bytearray, values_only: bool = True) -> tuple[int, int] | None:
    """Exact (last row, last column) of the references of the cells with a value (``values_only``; else of every
    cell) when every cell tag is written the plain way, ``<c r="AB12" ...`` (what Excel and every library write);
    None when any is not (the caller walks).

    Vectorised over the XML bytes with numpy (~0.15 s for 1.2 M cells): find every ``<c`` followed by
    whitespace, '>' or '/'; each must continue `` r="`` + 1–3 capital letters + 1–7 digits + '"'. Row tags
    do not matter here: calamine places a cell by its own reference when it has one. ``values_only`` (~2x the
    time): every '<' opening ``c``, ``v`` or ``is`` in file order; a cell has a value when a ``<v`` or ``<is`` tag
    follows it before the next cell opens. One without (``<c r="XFD1048576" s="1"/>``, a formatted empty cell
    Excel leaves behind) is not part of calamine's grid and is not counted (SPEC 7)."""
    a = np.frombuffer(xml, dtype=np.uint8)
    n = len(a)
    if n <= _TAIL or xml.find(b"<c", n - _TAIL) != -1:
        return None  # a cell too close to the end to be whole: the exact walk decides
    if values_only:
        if xml.find(b"<", n - 3) != -1:
            return None  # a tag cut short at the very end
        opens = np.flatnonzero(a == 60)  # '<', in file order
        name, after = a[opens + 1], a[opens + 2]
        is_cell = (name == 99) & _TAG_END[after]  # <c
        is_value = ((name == 118) & _TAG_END[after]) | ((name == 105) & (after == 115) & _TAG_END[a[opens + 3]])  # <v, <is
        cells = opens[is_cell]
    else:
        starts = _find_pair(a, b"<c")
        cells = starts[_TAG_END[a[starts + 2]]]
    if not len(cells):
        return 0, 0
    win = np.lib.stride_tricks.sliding_window_view(a, 6 + _REF_WIDTH)[cells]
    if not (win[:, 2:6] == _R_ATTR).all():
        return None
    valued = np.ones(len(cells), dtype=bool)
    if values_only:
        tagged = is_cell[is_cell | is_value]
        owners = (np.cumsum(tagged) - 1)[~tagged]  # the cell each value tag follows (-1: none yet)
        valued[:] = False
        valued[owners[owners >= 0]] = True
    refs = win[:, 6:]
    cls = _REF_CLASS[refs]
    quote = np.argmax(cls == 2, axis=1)
    letters = np.argmax(cls != 0, axis=1)
    digits = quote - letters
    if not ((cls[np.arange(len(cls)), quote] == 2).all() and 1 <= letters.min() and letters.max() <= 3 and 1 <= digits.min() and digits.max() <= 7):
        return None
    if (refs[np.arange(len(refs)), letters] == ord("0")).any():
        return None  # a zero-padded row number (A0000001): its digit count says nothing of its size
    if int(np.count_nonzero((cls == 1) & (np.arange(_REF_WIDTH) < quote[:, None]))) != int(digits.sum()):
        return None  # something other than digits between the letters and the quote
    if not valued.any():
        return 0, 0
    if values_only:
        refs, letters, digits = refs[valued], letters[valued], digits[valued]
    widest = letters.max()
    last_col = _col_number(_largest(refs[letters == widest, :widest]))
    longest = digits.max()
    with_longest = digits == longest
    last_row = max(int(_largest(refs[with_longest & (letters == k), k : k + longest])) for k in np.unique(letters[with_longest]))
    return last_row, last_col


def _col_number(letters: str | bytes) -> int:
    n = 0
    for ch in letters.decode("ascii") if isinstance(letters, bytes) else letters:
        n = n * 26 + (ord(ch) - 64)
    return n


def _area_refused(area: int, xml_bytes: int) -> bool:
    return area > MAX_SHEET_CELLS or (area > MAX_SPARSE_CELLS and area > MAX_CELLS_PER_XML_BYTE * xml_bytes)


def sheet_area(xml: bytes | bytearray, exact: bool = False, values_only: bool = True) -> tuple[int, int]:
    """(last row, last column) of the grid python-calamine builds for this worksheet (it starts at A1 and
    goes to the farthest cell with a value; the declared <dimension> and formatted empty cells play no part).
    ``values_only=False``: of every cell tag, with or without a value (a bound of the former, found faster).

    Real files take the vectorised scan of :func:`_plain_area`; any other spelling (cells without ``r``,
    r='A1', prefixed tags) is walked tag by tag (rows and cells without ``r`` follow the previous one; a cell
    counts when a ``<v>`` or ``<is>`` tag follows it before the next cell)."""
    if not exact and not _PREFIXED_TAG.search(xml):
        area = _plain_area(xml, values_only)
        if area is not None:
            return area
    row = col = last_row = last_col = 0
    cell = None  # (row, col) of the last cell opened
    for tag, attrs in _TOKEN.findall(xml):
        if tag in (b"v", b"is"):
            if cell is not None:
                last_row, last_col = max(last_row, cell[0]), max(last_col, cell[1])
            continue
        m = _REF_ATTR.search(attrs)
        value = None if m is None else m.group(1) if m.group(1) is not None else m.group(2)
        if tag == b"row":
            if value is not None and not value.isdigit():
                raise LoadError("odd_cell_ref", ref=value[:24].decode("latin-1"))
            row = int(value) if value is not None else row + 1
            col = 0
        else:
            if value is None:
                col += 1
                row = max(row, 1)
            else:  # letters in either case and every digit, as calamine reads them (A0000001 is row 1)
                ref = _CELL_REF.fullmatch(value)
                if ref is None:
                    raise LoadError("odd_cell_ref", ref=value[:24].decode("latin-1"))
                col, row = _col_number(ref.group(1).upper()), int(ref.group(2))
            cell = (row, col)
            if not values_only:
                last_row, last_col = max(last_row, row), max(last_col, col)
    return last_row, last_col


def check_sheet_dimensions(zf: zipfile.ZipFile, data: bytes | None = None) -> None:
    """Inflate every member (bounded), refuse DTDs/entities (billion laughs) and sheets whose cells would
    make calamine allocate a dense grid of billions of cells (it aborts the whole process on a lone cell at
    XFD1048576: calamine issue #433) or of tens of millions of mostly empty cells."""
    if data is None:
        data = zf.fp.getvalue() if isinstance(zf.fp, io.BytesIO) else b""
    left = MAX_UNCOMPRESSED_BYTES
    for info in zf.infolist():
        if info.is_dir():
            continue
        blob = inflate_member(data, info, left)
        left -= len(blob)
        has_cells = b"sheetData" in blob  # a worksheet whatever its part is named (calamine follows the rels)
        if not has_cells and not info.filename.lower().endswith((".xml", ".rels", ".vml")) and b"<?xml" not in blob[:100]:
            continue
        if b"!" in blob and _DTD.search(blob):  # (a one-byte search runs at memchr speed)
            raise LoadError("unsafe_xlsx")
        if not has_cells:
            continue
        last_row, last_col = sheet_area(blob, values_only=False)  # every cell tag: the quick scan, enough for real files
        if _area_refused(last_row * last_col, len(blob)):
            # SPEC 7: the limits count cells with values; a formatted empty cell far out (Excel leaves them behind)
            # is no part of the grid
            last_row, last_col = sheet_area(blob)
        if _area_refused(last_row * last_col, len(blob)):
            where = f"A1:{_col_letters(last_col)}{last_row}" if last_col <= 16384 else f"{last_row:,} x {last_col:,}"
            raise LoadError("too_large", what=f"{where} = {last_row * last_col:,} cells")


def _col_letters(n: int) -> str:
    out = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out or "A"


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


def read_table(data: bytes, file_name: str = "", sheet: str | None = None) -> RawTable:
    fmt = sniff_format(data, file_name)
    if fmt == "xlsx":
        return read_workbook_table(data, sheet)
    if fmt == "ole":
        return read_ole(data)
    return read_csv_table(data)


# ------------------------------------------------------------------ header row and kind
def _head_lists(table: RawTable) -> list[list[Any]]:
    head = table.cells.head(HEADER_SEARCH_ROWS)
    return [list(r) for r in head.itertuples(index=False)]


def _best_header_row(records: list[list[Any]], kinds: tuple[str, ...] = KINDS, mapped: dict[str, str] | None = None) -> tuple[int, str | None, int]:
    """(row index, kind, score) of the most header-like row among the first 20.

    Score per kind: recognised fields + 3 x recognised required fields. Ties keep the earlier row.
    """
    mapped_keys = {header_key(k): v for k, v in (mapped or {}).items()}
    best = (0, None, 0)
    for idx, record in enumerate(records[:HEADER_SEARCH_ROWS]):
        keys = [header_key(c) for c in record]
        for kind in kinds:
            index = _ALIAS_INDEX[kind]
            fields = {mapped_keys.get(k) or index.get(k) for k in keys if k} - {None}
            required = {s.name for s in _SPECS[kind] if s.required}
            score = len(fields) + 3 * len(fields & required)
            if score > best[2]:
                best = (idx, kind, score)
    return best


def expected_headers_hint(lang: str = "ja") -> str:
    parts = []
    for kind in KINDS:
        req = [s.aliases[0] if lang == "ja" else s.name for s in _SPECS[kind] if s.required]
        parts.append(f"{KIND_LABELS[kind][lang]}: {'・'.join(req)}")
    return " / ".join(parts)


@dataclass(frozen=True)
class HeaderMatch:
    kind: str
    header_idx: int
    headers: list[str]
    column_map: dict[int, str]  # table column -> field
    unknown: list[str]
    duplicates: list[str]
    duplicate_of: dict[int, int] = field(default_factory=dict)  # an ignored column -> the column read for its field


def match_header(table: RawTable, kind: str | None, mapping: ColumnMapping | None) -> HeaderMatch:
    records = _head_lists(table)
    if not records:
        raise LoadError("empty_file")
    kind = kind or (mapping.kind if mapping else None)
    kinds = (kind,) if kind else KINDS
    idx, found_kind, score = _best_header_row(records, kinds, mapping.columns if mapping else None)
    if found_kind is None:
        if kind:
            found_kind, idx = kind, 0
        else:
            raise LoadError("unknown_kind", expected=expected_headers_hint("ja"))
    headers = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else parse.nfkc(str(v)) for v in records[idx]]
    mapped_keys = {header_key(k): v for k, v in (mapping.columns if mapping else {}).items()}
    index = _ALIAS_INDEX[found_kind]
    valid_fields = {s.name for s in _SPECS[found_kind]}
    column_map: dict[int, str] = {}
    seen: dict[str, int] = {}
    unknown, duplicates, duplicate_of = [], [], {}
    # Fields the user mapped explicitly (a column or a constant) are not also taken by an alias.
    explicit = set(mapped_keys.values()) | set(mapping.constants if mapping else {})
    for col, name in enumerate(headers):
        key = header_key(name)
        target = mapped_keys.get(key)
        if target is None:
            target = index.get(key)
            if target in explicit:
                target = None
        if target is None or target not in valid_fields:
            if name:
                unknown.append(name)
            continue
        if target in seen:
            duplicates.append(name)
            duplicate_of[col] = seen[target]
            continue
        seen[target] = col
        column_map[col] = target
    return HeaderMatch(found_kind, idx, headers, column_map, unknown, duplicates, duplicate_of)


# ------------------------------------------------------------------ validation
@dataclass(frozen=True)
class ValidationReport:
    """What the page shows, the CLI prints and the user downloads."""

    kind: str
    file_name: str
    source: str
    encoding: str | None
    sheet: str | None
    sheets: tuple[str, ...]
    header_row: int
    rows_read: int
    rows_valid: int
    rows_rejected: int
    errors: pd.DataFrame  # row, column, value, code, field, params
    warnings: pd.DataFrame  # row, column, value, code, count
    column_map: dict[str, str]  # source header -> field
    unknown_columns: tuple[str, ...]
    blank_rows: int
    # per enum field read from a column: its distinct labels as written, with row counts (kpi.parse.Parsed.tally),
    # for the mapping screen's value step
    enum_labels: dict[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)

    def errors_table(self, lang: str = "ja") -> pd.DataFrame:
        return _render(self.errors, lang)

    def warnings_table(self, lang: str = "ja") -> pd.DataFrame:
        return _render(self.warnings, lang)

    def to_json(self, lang: str = "ja") -> dict:
        """SPEC section 3 `validate` JSON (plus a few descriptive keys after the contract's)."""
        err = self.errors_table(lang)
        warn = self.warnings_table(lang)
        return {
            "kind": self.kind,
            "rows_read": self.rows_read,
            "rows_valid": self.rows_valid,
            "rows_rejected": self.rows_rejected,
            "errors": [
                {"row": int(r.row), "column": r.column, "value": r.value, "message": r.message}
                for r in err.itertuples(index=False)
            ],
            "warnings": [
                {"row": None if pd.isna(r.row) else int(r.row), "column": r.column, "value": r.value, "message": r.message}
                for r in warn.itertuples(index=False)
            ],
            "encoding": self.encoding,
            "sheet": self.sheet,
            "header_row": self.header_row,
        }


def _render(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    out = frame[["row", "column", "value"]].copy()
    out["message"] = [
        message(code, lang, column=col, value=val, **(params or {}))
        for code, col, val, params in zip(frame["code"], frame["column"], frame["value"], frame["params"])
    ]
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class LoadResult:
    frame: pd.DataFrame  # the valid rows, in the validated-frame contract (kpi/__init__.py)
    report: ValidationReport
    rejected_raw: pd.DataFrame  # the rejected rows as they were in the file, original headers


_EMPTY_ISSUES = pd.DataFrame({"row": pd.Series(dtype="Int64"), "column": pd.Series(dtype=object), "value": pd.Series(dtype=object), "code": pd.Series(dtype=object), "field": pd.Series(dtype=object), "params": pd.Series(dtype=object)})


def _cell_strings(raw: pd.Series, positions: np.ndarray) -> list[str]:
    return ["" if parse.is_missing_scalar(v) and not isinstance(v, str) else parse._cell_text(v) for v in raw.iloc[positions]]


def _allowed_labels(spec: FieldSpec) -> str:
    return ", ".join(names[0] for names in (spec.labels or {}).values())


def _nonblank_rows(body: pd.DataFrame) -> np.ndarray:
    """Rows with at least one cell that is not empty or whitespace; each column strips only undecided rows."""
    nonblank = np.zeros(len(body), dtype=bool)
    for col in body.columns:
        undecided = np.flatnonzero(~nonblank)
        if not len(undecided):
            break
        cells = body[col].iloc[undecided].astype("str").fillna("")
        nonblank[undecided] = (cells.str.strip() != "").to_numpy(dtype=bool)
    return nonblank


def validate_table(table: RawTable, match: HeaderMatch, mapping: ColumnMapping | None, file_name: str = "") -> LoadResult:
    kind = match.kind
    body = table.cells.iloc[match.header_idx + 1 :]
    rows = table.excel_rows[match.header_idx + 1 :]
    # Blank rows (every cell empty) are not data: they keep their row numbers but are not counted.
    if len(body):
        nonblank = _nonblank_rows(body)
        if not nonblank.all():
            body, rows = body[nonblank], rows[nonblank]
        blank_rows = int((~nonblank).sum())
    else:
        blank_rows = 0
    body = body.reset_index(drop=True)
    n = len(body)  # 0 is a valid file: a header and no rows, with a "no rows" warning (SPEC 7)

    specs = {s.name: s for s in _SPECS[kind]}
    field_to_col = {f: c for c, f in match.column_map.items()}
    constants = dict(mapping.constants) if mapping else {}
    value_maps = {f: {parse.label_key(k): v for k, v in m.items()} for f, m in (mapping.values if mapping else {}).items()}

    out: dict[str, pd.Series] = {}
    error_parts: list[pd.DataFrame] = []
    warning_parts: list[pd.DataFrame] = []
    rejected = np.zeros(n, dtype=bool)

    def add_issue(parts, mask: np.ndarray, code: str, spec: FieldSpec, raw: pd.Series | None, column: str, params: dict | None = None):
        pos = np.flatnonzero(mask)
        if not len(pos):
            return
        values = _cell_strings(raw, pos) if raw is not None else [""] * len(pos)
        parts.append(pd.DataFrame({"row": rows[pos], "column": column, "value": values, "code": code, "field": spec.name, "params": [params] * len(pos)}))

    fields = []
    for name, spec in specs.items():
        if name in field_to_col:
            fields.append((name, spec, body[field_to_col[name]], match.headers[field_to_col[name]] or name))
        elif name in constants:
            fields.append((name, spec, pd.Series([constants[name]] * n, dtype=object), name))

    enum_labels: dict[str, tuple[tuple[str, int], ...]] = {}

    def parse_field(item) -> tuple:
        """(values, bad, has_time or None) of one column: pure, so columns are parsed side by side."""
        name, spec, raw, _ = item
        if spec.kind == "text":
            return parse.parse_text(raw), np.zeros(n, dtype=bool), None
        if spec.kind in ("date", "datetime"):
            parsed = parse.parse_dates(raw)
            values = parsed.values if spec.kind == "datetime" else parsed.values.dt.normalize()
            return values, parsed.bad.to_numpy(), parsed.has_time if spec.kind == "datetime" else None
        if spec.kind == "enum" and name in field_to_col:
            lookup = {**label_lookup(spec.labels), **value_maps.get(name, {})}
            resolver = parse.region_scalar if spec.labels is REGION_LABELS else None
            parsed = parse.parse_enum(raw, lookup, resolver)
            enum_labels[name] = parsed.tally  # one key per field: safe from two threads
            return parsed.values, parsed.bad.to_numpy(), None
        if spec.kind in ("int", "number", "rate"):
            parsed = parse.parse_numbers(raw)
        elif spec.kind == "bool":
            parsed = parse.parse_bools(raw)
        else:  # enum
            lookup = {**label_lookup(spec.labels), **value_maps.get(name, {})}
            resolver = parse.region_scalar if spec.labels is REGION_LABELS else None
            parsed = parse.parse_enum(raw, lookup, resolver)
        return parsed.values, parsed.bad.to_numpy(), None

    if n >= PARALLEL_PARSE_ROWS:  # factorising and Arrow kernels release the GIL: two cores parse two columns
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="parse") as pool:
            results = list(pool.map(parse_field, fields))
    else:
        results = [parse_field(item) for item in fields]

    for (name, spec, raw, column), (values, bad, has_time) in zip(fields, results):
        if has_time is not None:
            out[f"{name}_has_time"] = has_time
        missing = values.isna().to_numpy() & ~bad if spec.kind != "bool" else np.zeros(n, dtype=bool)

        if spec.required:
            add_issue(error_parts, missing, "required_missing", spec, raw, column)
            rejected |= missing
        if bad.any():
            soft_enum = spec.labels is REGION_LABELS or spec.labels is SEGMENT_LABELS
            if spec.kind == "enum" and soft_enum and not spec.required:
                values = values.where(~bad, "other")
                _unmapped_label_warnings(warning_parts, raw, bad, rows, column, spec)
            elif spec.required or spec.kind in ("enum", "bool"):
                code = {"date": "invalid_date", "datetime": "invalid_date", "enum": "unknown_label", "bool": "invalid_bool"}.get(spec.kind, "invalid_number")
                add_issue(error_parts, bad, code, spec, raw, column, {"allowed": _allowed_labels(spec)} if spec.kind == "enum" else None)
                rejected |= bad
            else:
                add_issue(warning_parts, bad, "invalid_optional", spec, raw, column)
        if spec.kind in ("int", "number", "rate"):
            arr = values.to_numpy(dtype="float64", na_value=np.nan)
            with np.errstate(invalid="ignore"):
                if spec.le == 1 and spec.kind == "rate":
                    over = arr > 1
                    add_issue(error_parts, over, "rate_above_one", spec, raw, column)
                    rejected |= over
                    low = arr < 0
                    add_issue(error_parts, low, "negative", spec, raw, column)
                    rejected |= low
                elif spec.ge is not None or spec.le is not None:
                    lo = spec.ge if spec.ge is not None else -np.inf
                    hi = spec.le if spec.le is not None else np.inf
                    outside = (arr < lo) | (arr > hi)
                    if spec.ge == 0 and spec.le is None:
                        add_issue(error_parts, outside, "negative", spec, raw, column)
                    else:
                        add_issue(error_parts, outside, "out_of_range", spec, raw, column, {"low": _fmt(lo), "high": _fmt(hi)})
                    rejected |= outside
        if spec.kind == "enum" and spec.default is not None:
            values = values.fillna(spec.default)
        out[name] = values

    if table.invalid_bytes:
        damaged = np.zeros(n, dtype=bool)
        for col in body.columns:
            hit = body[col].astype("str").str.contains(_RAW_BYTE.pattern, regex=True).fillna(False).to_numpy(dtype=bool) & ~damaged
            if hit.any():
                name = match.headers[col] if col < len(match.headers) and match.headers[col] else f"列{col + 1}"
                pos = np.flatnonzero(hit)
                shown = [show_raw_bytes(v) for v in _cell_strings(body[col], pos)]  # the damaged bytes as \xNN (SPEC 7)
                error_parts.append(pd.DataFrame({"row": rows[pos], "column": name, "value": shown, "code": "invalid_bytes",
                                                 "field": None, "params": [{"encoding": table.encoding}] * len(pos)}))
                damaged |= hit
        rejected |= damaged

    _fill_defaults(kind, out, n)
    def file_note(code: str, column: str = "", value: str = "", field_name: str | None = None, params: dict | None = None):
        warning_parts.append(pd.DataFrame({"row": [pd.NA], "column": [column], "value": [value], "code": [code], "field": [field_name], "params": [params]}))

    if n == 0:
        file_note("no_rows")
    for dup_col, first_col in match.duplicate_of.items():  # an optional field: the first column is read (SPEC 7)
        file_note("duplicate_column", match.headers[dup_col], field_name=match.column_map[first_col], params={"first": match.headers[first_col]})
    if mapping is not None:  # a mapped header this file does not have: the mapping is probably for another export
        present = {header_key(h) for h in match.headers}
        for header, name in mapping.columns.items():
            if header_key(header) not in present:
                file_note("mapping_header_missing", header, name, name)
    if table.nul_bytes:
        file_note("nul_bytes", value=f"{table.nul_bytes:,}")
    for row, code, value in table.notes:
        warning_parts.append(pd.DataFrame({"row": [row], "column": [""], "value": [value], "code": [code], "field": [None], "params": [None]}))

    frame = pd.DataFrame(out)
    frame["_row"] = rows.astype(np.int64)
    valid = ~rejected
    frame = frame[valid].reset_index(drop=True)
    if kind == "onboarding" and "session_no" in frame:
        frame["session_no"] = frame["session_no"].astype("int64")

    errors = pd.concat(error_parts, ignore_index=True) if error_parts else _EMPTY_ISSUES.copy()
    errors = errors.sort_values(["row", "column"], kind="stable").reset_index(drop=True)
    warnings = pd.concat(warning_parts, ignore_index=True) if warning_parts else _EMPTY_ISSUES.copy()
    header_excel_row = int(table.excel_rows[match.header_idx])
    rejected_raw = body[rejected].copy()
    if table.invalid_bytes:  # the download shows the damaged bytes as \xNN, like the message
        for col in rejected_raw.columns:
            rejected_raw[col] = rejected_raw[col].map(show_raw_bytes, na_action="ignore")
    rejected_raw.columns = _unique_headers(match.headers, body.shape[1])
    rejected_raw.insert(0, "_row", rows[rejected])

    report = ValidationReport(
        kind=kind,
        file_name=file_name,
        source=table.source,
        encoding=table.encoding,
        sheet=table.sheet,
        sheets=table.sheets,
        header_row=header_excel_row,
        rows_read=n,
        rows_valid=int(valid.sum()),
        rows_rejected=int(rejected.sum()),
        errors=errors,
        warnings=warnings,
        column_map={match.headers[c]: f for c, f in match.column_map.items()} | {f: f for f in constants if f not in field_to_col},
        unknown_columns=tuple(match.unknown),
        blank_rows=blank_rows + table.skipped_blank_lines,
        enum_labels={name: enum_labels[name] for name in specs if name in enum_labels},
    )
    return LoadResult(frame=frame, report=report, rejected_raw=rejected_raw)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _unique_headers(headers: list[str], width: int) -> list[str]:
    names, seen = [], {}
    for i in range(width):
        base = headers[i] if i < len(headers) and headers[i] else f"列{i + 1}"
        count = seen.get(base, 0)
        seen[base] = count + 1
        names.append(base if count == 0 else f"{base}.{count}")
    return names


def _unmapped_label_warnings(parts, raw: pd.Series, bad: np.ndarray, rows: np.ndarray, column: str, spec: FieldSpec) -> None:
    """SPEC: an unknown region/segment label becomes `other` with one warning per label and its count."""
    labels = pd.Series(_cell_strings(raw, np.flatnonzero(bad)))
    first_rows = rows[np.flatnonzero(bad)]
    summary = pd.DataFrame({"label": labels, "row": first_rows}).groupby("label", sort=False).agg(row=("row", "min"), count=("row", "size"))
    for label, rec in summary.iterrows():
        parts.append(pd.DataFrame({"row": [rec["row"]], "column": [column], "value": [label], "code": ["unmapped_label"], "field": [spec.name], "params": [{"count": int(rec["count"])}]}))


def _fill_defaults(kind: str, out: dict[str, pd.Series], n: int) -> None:
    """Defaults of SPEC section 1 for fields the file lacks or leaves blank."""
    index = pd.RangeIndex(n)
    for name in ALWAYS_PRESENT[kind]:
        if name not in out:
            out[name] = pd.Series(pd.NA, index=index, dtype="str")
    if kind == "leads":
        collected = out.get("collected_on", pd.Series(pd.NaT, index=index)).notna()
        out["status"] = out["status"].where(out["status"].notna(), np.where(collected, "won", "open")).astype("str")
        out["region"] = out["region"].fillna("other").astype("str")
        out["segment"] = out["segment"].fillna("other").astype("str")
    elif kind == "activities":
        out["region"] = out["region"].fillna("other").astype("str")
    elif kind == "visits" and "status" in out:
        out["status"] = out["status"].fillna("attended").astype("str")
    elif kind == "onboarding":
        held = out.get("held_on", pd.Series(pd.NaT, index=index)).notna()
        out["status"] = out["status"].where(out["status"].notna(), np.where(held, "done", "scheduled")).astype("str")


# ------------------------------------------------------------------ the one entry point
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


def column_samples(table: RawTable, header_idx: int, headers: list[str], n: int = 3) -> dict[str, list[str]]:
    """A few non-empty sample values per source column, for the mapping select boxes."""
    body = table.cells.iloc[header_idx + 1 : header_idx + 200]
    samples = {}
    for col, name in enumerate(headers):
        if not name or col not in body.columns:
            continue
        values = [parse._cell_text(v) for v in body[col] if not parse.is_missing_scalar(v)][:n]
        samples[name] = values
    return samples


def rejected_rows_table(result: LoadResult, lang: str = "ja") -> pd.DataFrame:
    """The rejected rows as they were in the file (original headers), with their Excel row number first
    and every reason joined in a last column, ready to fix and upload again (the extra columns are
    ignored on re-upload)."""
    raw = result.rejected_raw.copy()
    row_col, err_col = ("行番号", "エラー内容") if lang == "ja" else ("row", "errors")
    reasons = _reasons_by_row(result.report.errors, lang)
    raw = raw.rename(columns={"_row": row_col})
    raw[err_col] = raw[row_col].map(reasons).fillna("")
    for col in raw.columns:
        if raw[col].dtype == object:
            raw[col] = raw[col].map(_download_text)
    return raw.reset_index(drop=True)


def _reasons_by_row(errors: pd.DataFrame, lang: str) -> pd.Series:
    """Every error message of a row joined with " / ", in the errors' order (what ``errors_table(lang)`` grouped
    by row gives). Each distinct (code, column, value, params) is rendered once: a 110k-row file usually has
    a handful of distinct reasons, and a Python group per row cost seconds."""
    if not len(errors):
        return pd.Series(dtype=object)
    rendered: dict[tuple, str] = {}
    joined: dict[Any, list[str]] = {}
    params_keys: dict[int, Any] = {}  # one params dict is shared by all the rows of one check
    columns = (errors[name].tolist() for name in ("row", "code", "column", "value", "params"))  # not Arrow scalars one by one
    for row, code, col, val, params in zip(*columns):
        pkey = params_keys.get(id(params))
        if pkey is None:
            pkey = params_keys[id(params)] = _params_key(params)
        key = (code, col, val, pkey)
        text = rendered.get(key)
        if text is None:
            text = rendered[key] = message(code, lang, column=col, value=val, **(params or {}))
        joined.setdefault(row, []).append(text)
    return pd.Series({row: " / ".join(texts) for row, texts in joined.items()}, dtype=object)


def _params_key(params) -> Any:
    if not params:
        return None
    try:
        key = tuple(sorted(params.items()))
        hash(key)
        return key
    except (TypeError, AttributeError):  # unhashable, unorderable or not a dict: never shared
        return ("id", id(params))


def _download_text(value) -> str:
    """An object cell of the rejected-rows download: text as read, numbers as typed (12345.0 -> '12345')."""
    if isinstance(value, str):
        return parse._cell_text(value)
    return parse._cell_text(value) if not parse.is_missing_scalar(value) else ""


def standard_code(spec: FieldSpec, label: str) -> str | None:
    """The enum code a label reads as without any mapping (its standard labels; a region also by address)."""
    lookup = label_lookup(spec.labels or {})
    if spec.labels is REGION_LABELS:
        return parse.region_scalar(label, lookup)
    return lookup.get(parse.label_key(label))


def mapping_from_report(report: ValidationReport) -> ColumnMapping:
    """The mapping that reproduces how this file was read (source header -> field), to save for next week."""
    return ColumnMapping(kind=report.kind, columns={h: f for h, f in report.column_map.items() if h != f})
