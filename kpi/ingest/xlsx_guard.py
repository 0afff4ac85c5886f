"""The workbook guard, run before calamine sees a byte: the zip's declared sizes and ratios, every member
inflated by hand within its declared size, DTDs / entities refused, and each sheet's cell area (the grid
calamine would allocate) measured and held to the size limits."""
from __future__ import annotations

import functools
import io
import re
import struct
import zipfile
import zlib

import numpy as np

from .colref import _col_letters, _col_number
from .load_error import LoadError

MAX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024  # a workbook's members together, as declared in the zip
MAX_COMPRESSION_RATIO = 200
MAX_SHEET_CELLS = 60_000_000  # declared sheet dimension rows x columns


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
    return b"".join(_inflate_chunks(data, info, limit))


INFLATE_CHUNK = 1 << 20  # inflated and scanned a megabyte at a time: the bytes are scanned while still in cache


def _inflate_chunks(data: bytes, info: zipfile.ZipInfo, limit: int, chunk: int = INFLATE_CHUNK):
    """:func:`inflate_member` as consecutive pieces of at most ``chunk`` bytes; every check of the whole member
    (too long, truncated or damaged, wrong size or CRC) is made once its stream has ended, before the generator
    finishes: a caller judges nothing before it has consumed every piece."""
    off = info.header_offset
    if data[off : off + 4] != b"PK\x03\x04":
        raise LoadError("broken_xlsx")
    name_len, extra_len = struct.unpack("<HH", data[off + 26 : off + 30])
    start = off + 30 + name_len + extra_len
    raw = memoryview(data)[start : start + info.compress_size]
    if len(raw) < info.compress_size:
        raise LoadError("broken_xlsx")
    allowed = min(info.file_size, limit)
    total = crc = 0
    if info.compress_type == zipfile.ZIP_STORED:
        out = bytes(raw[: allowed + 1])
        total, crc = len(out), zlib.crc32(out)
        if len(out) <= allowed:
            yield out
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        inflater = zlib.decompressobj(-15)
        rest = raw
        while total <= allowed:  # the output capped one byte past what is allowed: a longer stream shows as too long
            try:
                out = inflater.decompress(rest, min(chunk, allowed + 1 - total))
            except zlib.error:
                raise LoadError("broken_xlsx") from None
            rest = inflater.unconsumed_tail
            if not out:
                break
            total += len(out)
            if total <= allowed:
                crc = zlib.crc32(out, crc)
                yield out
            if inflater.eof:
                break
        if total <= allowed and not inflater.eof:
            raise LoadError("broken_xlsx")  # the stream stops early: a truncated or damaged member
    else:
        raise LoadError("broken_xlsx")  # Excel writes only stored and deflated members
    if total > allowed:
        if allowed < info.file_size:
            raise LoadError("too_large", what=f"> {limit / 2**20:,.0f} MB")
        raise LoadError("too_large", what=f"{info.filename}: > {info.file_size:,} bytes declared")
    if total != info.file_size or crc != info.CRC:
        raise LoadError("broken_xlsx")


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


# The quick proof (issue 12): the declared <dimension> is only a hint of which class of references to test; one
# regex pass then checks that every unprefixed cell tag (``<c`` then whitespace, '>' or '/') is written
# `` r="REF"`` with REF in that class (capital letters up to the hint's first letter, a row number without a
# leading zero up to the hint's first digit). Any other tag, spelling or reference sends the sheet to the scans.
_DIMENSION = re.compile(rb'<dimension\s+ref="(?:[A-Z]{1,3}[1-9][0-9]{0,6}:)?([A-Z]{1,3})([1-9][0-9]{0,6})"')


@functools.lru_cache(maxsize=64)
def _ref_class(letters: bytes, digits: bytes) -> tuple[re.Pattern[bytes], int, int]:
    """(the search that finds a cell tag outside the class, the class's last row, its last column) for a hint
    such as P / 100003: columns A..PZ-style up to the hint's width and first letter, rows up to 199999."""
    first = letters[:1].decode()
    cols = {1: f"[A-{first}]", 2: f"(?:[A-Z]|[A-{first}][A-Z])", 3: f"(?:[A-Z]{{1,2}}|[A-{first}][A-Z]{{2}})"}[len(letters)]
    last_col = _col_number(letters[:1] + b"Z" * (len(letters) - 1))
    d, top = len(digits), digits[:1].decode()
    rows = f"[1-{top}]" if d == 1 else f"(?:[1-9][0-9]{{0,{d - 2}}}|[1-{top}][0-9]{{{d - 1}}})"
    last_row = (int(top) + 1) * 10 ** (d - 1) - 1
    return re.compile(rf'<c(?=[\s>/])(?! r="{cols}{rows}")'.encode()), last_row, last_col


def _proven_small(xml: bytes | bytearray) -> bool:
    """True when every cell tag of the sheet lies within an area the limits allow (then no scan is needed);
    False when that is not shown (the caller measures). A superset of what the scans count: every cell tag,
    with or without a value, wherever it stands in the XML."""
    hint = _DIMENSION.search(xml, 0, 64 * 1024)
    if hint is None:
        return False
    pattern, last_row, last_col = _ref_class(hint.group(1), hint.group(2))
    if _area_refused(last_row * last_col, len(xml)):
        return False
    return _PREFIXED_TAG.search(xml) is None and pattern.search(xml) is None


_CONTEXT = 32  # bytes a match of _ref_class / _PREFIXED_TAG / b"sheetData" reads from where it starts (17 at most)


def _inflate_and_prove(data: bytes, info: zipfile.ZipInfo, limit: int, chunk: int = INFLATE_CHUNK) -> tuple[list[bytes], bool]:
    """The member inflated (bounded, :func:`_inflate_chunks`) as pieces, and whether the pieces alone proved what
    ``check_sheet_dimensions`` would conclude from the whole XML for a worksheet that passes: it contains
    ``sheetData``, no '!' (so no DTD or entity), no prefixed cell tag, and :func:`_proven_small` holds. Each
    piece is scanned as it comes (while in cache) with the last ``_CONTEXT`` bytes before it, and a match is
    only taken where the bytes it reads are all there, so a tag cut between two pieces is judged whole. False
    (also for anything not plain: a first piece under 64 KB, a member that is not a sheet) leaves every check to
    the caller, on the whole XML."""
    pieces: list[bytes] = []
    carry = b""
    clean = sheet = False
    pattern = None
    for piece in _inflate_chunks(data, info, limit, chunk):
        if not pieces:
            hint = _DIMENSION.search(piece, 0, 64 * 1024)
            clean = hint is not None and len(piece) >= 64 * 1024  # the hint is read from the first 64 KB, as _proven_small
            if clean:
                pattern, last_row, last_col = _ref_class(hint.group(1), hint.group(2))
        pieces.append(piece)
        if not clean:
            continue
        if b"!" in piece:
            clean = False
            continue
        if len(piece) < _CONTEXT:  # (only ever the last piece) judged with the end of the XML, below
            carry += piece
            continue
        # the bytes before the piece with its first _CONTEXT (a match starting in the former reads them all), then
        # the piece (a match starting in its last _CONTEXT bytes is judged in the next round, or at the end)
        for buf, end in ((carry + piece[:_CONTEXT], len(carry)), (piece, len(piece) - _CONTEXT)):
            sheet = sheet or b"sheetData" in buf
            for found in (_PREFIXED_TAG.search(buf), pattern.search(buf)):  # the first match of each, leftmost
                if found is not None and found.start() < end:
                    clean = False
        carry = piece[-_CONTEXT:]
    if not clean:
        return pieces, False
    sheet = sheet or b"sheetData" in carry  # the last bytes, now known to be the end of the XML
    if not sheet or _PREFIXED_TAG.search(carry) is not None or pattern.search(carry) is not None:
        return pieces, False
    return pieces, not _area_refused(last_row * last_col, sum(map(len, pieces)))


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
        pieces, proven = _inflate_and_prove(data, info, left)
        left -= sum(map(len, pieces))
        if proven:  # a worksheet without '!' (so no DTD / entity) whose every cell tag is within the limits
            continue
        blob = pieces[0] if len(pieces) == 1 else b"".join(pieces)
        del pieces
        has_cells = b"sheetData" in blob  # a worksheet whatever its part is named (calamine follows the rels)
        if not has_cells and not info.filename.lower().endswith((".xml", ".rels", ".vml")) and b"<?xml" not in blob[:100]:
            continue
        if b"!" in blob and _DTD.search(blob):  # (a one-byte search runs at memchr speed)
            raise LoadError("unsafe_xlsx")
        if not has_cells or _proven_small(blob):
            continue
        last_row, last_col = sheet_area(blob, values_only=False)  # every cell tag: the quick scan, enough for real files
        if _area_refused(last_row * last_col, len(blob)):
            # SPEC 7: the limits count cells with values; a formatted empty cell far out (Excel leaves them behind)
            # is no part of the grid
            last_row, last_col = sheet_area(blob)
        if _area_refused(last_row * last_col, len(blob)):
            where = f"A1:{_col_letters(last_col)}{last_row}" if last_col <= 16384 else f"{last_row:,} x {last_col:,}"
            raise LoadError("too_large", what=f"{where} = {last_row * last_col:,} cells")
