"""A corpus of hostile and broken input files, generated in memory (no committed blobs).

Every builder returns ``bytes``. Workbooks are assembled by hand (zip members written byte by byte where
needed) so that each file is exactly the hostile shape it claims to be:

* ``xlsx_workbook``   a minimal, valid .xlsx from rows (inline strings, no shared strings)
* ``zip_bomb``        one sheet member declared (honestly) at ~2 GiB, ~2 MB on disk
* ``lying_zip_bomb``  the same stream, but the zip *declares* a tiny uncompressed size
* ``billion_laughs``  nested XML entities in the sheet (or another member)
* ``far_cell``        the ~3 KB workbook whose only cell sits at XFD1048576 (calamine #433)
* ``styled_far_cell`` a 3-row workbook with a formatted *empty* cell at XFD1048576 (what Excel leaves behind): loads
* ``far_value_cell``  far cells whose value hides from a naive scan (empty strings, a '/>' in an attribute): refused
* ``hidden_sheets``   a workbook whose best-looking sheet is hidden
* ``encrypted_xlsx``  a real password-protected workbook, made by msoffcrypto-tool's own encrypt API
* ``real_xls``        a genuine BIFF8 .xls in an OLE compound file, written from scratch
* CSV builders for encodings, line endings, huge cells, duplicated headers, 200,000 rows with 30% bad
"""
from __future__ import annotations

import io
import random
import struct
import zlib
import zipfile

# ---------------------------------------------------------------------------------------------- xlsx parts
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def col_letters(n: int) -> str:
    """1 -> A, 16384 -> XFD."""
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sheet_xml(rows: list[list], dimension: str | None = "auto", prolog: str = "") -> str:
    """Worksheet XML with inline strings and numbers; ``dimension`` None leaves the tag out."""
    body = []
    for i, row in enumerate(rows, start=1):
        cells = []
        for j, v in enumerate(row, start=1):
            ref = f"{col_letters(j)}{i}"
            if v is None:
                continue
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                cells.append(f'<c r="{ref}"><v>{v}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_xml_escape(str(v))}</t></is></c>')
        body.append(f'<row r="{i}">{"".join(cells)}</row>')
    width = max((len(r) for r in rows), default=1)
    dim = ""
    if dimension == "auto":
        dim = f'<dimension ref="A1:{col_letters(width)}{max(len(rows), 1)}"/>'
    elif dimension:
        dim = f'<dimension ref="{dimension}"/>'
    head = SHEET_HEAD if not prolog else SHEET_HEAD.replace("<worksheet", prolog + "<worksheet", 1)
    return head + dim + "<sheetData>" + "".join(body) + "</sheetData></worksheet>"


def xlsx_from_members(members: dict[str, str | bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buf.getvalue()


def xlsx_workbook(rows: list[list], sheet: str | None = None) -> bytes:
    """A minimal valid workbook (what Excel would open) holding ``rows`` on one sheet."""
    return xlsx_from_members({
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": WORKBOOK,
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
        "xl/worksheets/sheet1.xml": sheet if sheet is not None else sheet_xml(rows),
    })


LEADS_ROWS = [["リードID", "リード日", "金額"], ["A1", "2026/11/01", 1000], ["A2", "不明", 5]]


def truncated_xlsx() -> bytes:
    data = xlsx_workbook(LEADS_ROWS)
    return data[: len(data) // 2]


def corrupt_member_xlsx() -> bytes:
    """Central directory intact, the sheet's deflate data overwritten with noise (a damaged download)."""
    data = bytearray(xlsx_workbook(LEADS_ROWS * 50))
    zf = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = zf.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    noise = random.Random(3).randbytes(info.compress_size)
    data[start : start + info.compress_size] = noise
    return bytes(data)


# ---------------------------------------------------------------------------------------------- raw zip
def _raw_zip(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """members: (name, stored bytes, method, crc, declared uncompressed size). Sizes < 4 GiB (no zip64)."""
    out = io.BytesIO()
    central = []
    for name, payload, method, crc, size in members:
        offset = out.tell()
        fname = name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(payload), size, len(fname), 0))
        out.write(fname)
        out.write(payload)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc, len(payload), size,
                                   len(fname), 0, 0, 0, 0, 0, offset) + fname)
    cd_offset = out.tell()
    cd = b"".join(central)
    out.write(cd)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(cd), cd_offset, 0))
    return out.getvalue()


def _deflate(text: bytes) -> tuple[bytes, int]:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(text) + c.flush(), zlib.crc32(text)


def _repeated_deflate(prefix: bytes, chunk: bytes, times: int, suffix: bytes) -> tuple[bytes, int, int]:
    """Raw deflate of prefix + chunk*times + suffix without compressing gigabytes: after a full flush the
    compressor starts afresh, so every repetition of the chunk compresses to the very same bytes."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(prefix) + c.flush(zlib.Z_FULL_FLUSH)
    piece = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    assert piece == again
    tail = c.compress(suffix) + c.flush()
    size = len(prefix) + len(chunk) * times + len(suffix)
    return head + piece * times + tail, size, 0  # the CRC is not computed over gigabytes: it is never reached


def _bomb_members(payload: bytes, crc: int, declared: int) -> list[tuple[str, bytes, int, int, int]]:
    small = []
    for name, text in (("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", ROOT_RELS), ("xl/workbook.xml", WORKBOOK),
                       ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)):
        raw = text.encode()
        comp, c = _deflate(raw)
        small.append((name, comp, 8, c, len(raw)))
    return small + [("xl/worksheets/sheet1.xml", payload, 8, crc, declared)]


BOMB_CHUNK = (b'<c t="inlineStr"><is><t>' + b"A" * 4000 + b"</t></is></c>") * 256  # ~1 MiB of one row's cells


def _bomb_stream(gib: float = 2.0) -> tuple[bytes, int]:
    times = int(gib * 1024)
    prefix = (SHEET_HEAD + '<dimension ref="A1"/><sheetData><row r="1">').encode()
    payload, size, _ = _repeated_deflate(prefix, BOMB_CHUNK, times, b"</row></sheetData></worksheet>")
    return payload, size


def zip_bomb(gib: float = 2.0) -> bytes:
    """~2 MB that inflates to ``gib`` GiB of worksheet XML; the zip declares the true size."""
    payload, size = _bomb_stream(gib)
    return _raw_zip(_bomb_members(payload, 0, size))


def lying_zip_bomb(gib: float = 2.0) -> bytes:
    """The same stream, but the zip headers declare only 10 KB uncompressed (a ratio check on the declared
    sizes alone cannot see it)."""
    payload, _ = _bomb_stream(gib)
    return _raw_zip(_bomb_members(payload, 0, 10_000))


def billion_laughs(member: str = "xl/worksheets/sheet1.xml") -> bytes:
    """Ten levels of ten nested entities (10^9 'lol's) referenced from a cell, or from another member."""
    dtd = ['<!DOCTYPE lolz [', '<!ENTITY lol "lol">']
    dtd.append('<!ENTITY lol1 "' + "&lol;" * 10 + '">')
    for i in range(2, 10):
        dtd.append(f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">')
    dtd.append("]>")
    doctype = "".join(dtd)
    members = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": WORKBOOK,
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
        "xl/worksheets/sheet1.xml": sheet_xml(LEADS_ROWS),
    }
    if member == "xl/worksheets/sheet1.xml":
        rows = [r[:] for r in LEADS_ROWS]
        members[member] = sheet_xml(rows).replace("<t xml:space=\"preserve\">A1</t>", "<t>&lol9;</t>")
    members[member] = members[member].replace("?>\n", "?>\n" + doctype, 1)
    return xlsx_from_members(members)


def far_cell(dimension: str | None = "XFD1048576", ref: str = "XFD1048576") -> bytes:
    """The 3 KB workbook whose only cell sits at the last cell of a sheet (calamine #433 aborts on it)."""
    sheet = (SHEET_HEAD + (f'<dimension ref="{dimension}"/>' if dimension else "")
             + f'<sheetData><row r="{"".join(ch for ch in ref if ch.isdigit())}"><c r="{ref}"><v>1</v></c></row></sheetData></worksheet>')
    return xlsx_from_members({
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": WORKBOOK,
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
        "xl/worksheets/sheet1.xml": sheet,
    })


def _workbook_of(sheet: str) -> bytes:
    return xlsx_from_members({"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": ROOT_RELS, "xl/workbook.xml": WORKBOOK,
                              "xl/_rels/workbook.xml.rels": WORKBOOK_RELS, "xl/worksheets/sheet1.xml": sheet})


def styled_far_cell(rows: list[list] | None = None, cell: str = '<c r="XFD1048576" s="1"/>') -> bytes:
    """A small workbook with a formatted empty cell at XFD1048576 and ``<dimension ref="A1:XFD1048576"/>`` (a
    format applied to a whole sheet or a stray click leaves this behind): it holds 3 rows, nothing more."""
    sheet = sheet_xml(rows if rows is not None else LEADS_ROWS, dimension="A1:XFD1048576")
    return _workbook_of(sheet.replace("</sheetData>", f'<row r="1048576">{cell}</row></sheetData>'))


STYLED_EMPTY_CELLS = {  # a cell without a value, however it is written: no part of the grid
    "self_closing": '<c r="XFD1048576" s="1"/>',
    "open_close": '<c r="XFD1048576" s="1"></c>',
    "formula_only": '<c r="XFD1048576" s="1"><f>1+1</f></c>',
}
FAR_VALUE_CELLS = {  # a cell with a value (even an empty string): calamine builds the whole grid for it
    "empty_inline_string": '<c r="XFD1048576" t="inlineStr"><is><t></t></is></c>',
    "empty_str_value": '<c r="XFD1048576" t="str"><v></v></c>',
    "slash_gt_in_attribute": '<c r="XFD1048576" x="/>"><v>1</v></c>',
    "value_after_styled_cell": '<c r="XFD1048576" s="1"></c><c r="XFD1048576"><v>1</v></c>',
    "prefixed_value": '<c r="XFD1048576"><x:v xmlns:x="urn:x">1</x:v></c>',
}


def far_value_cell(name: str) -> bytes:
    return styled_far_cell(cell=FAR_VALUE_CELLS[name])


def hidden_sheets(visible_rows: list[list] | None = None, states: tuple[str, ...] = ("visible", "hidden", "veryHidden")) -> bytes:
    """One sheet per state; sheet 1 holds ``visible_rows`` (default: a title only), the others a perfect leads
    table. A hidden sheet is never chosen automatically (SPEC 7)."""
    n = len(states)
    types = CONTENT_TYPES.replace(
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>',
        "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                for i in range(1, n + 1)))
    sheets = "".join(f'<sheet name="{"表" if i == 1 else f"隠し{i}"}" sheetId="{i}"' + ("" if state == "visible" else f' state="{state}"')
                     + f' r:id="rId{i}"/>' for i, state in enumerate(states, start=1))
    rels = "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                   f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, n + 1))
    members = {
        "[Content_Types].xml": types,
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": WORKBOOK.replace('<sheet name="Sheet1" sheetId="1" r:id="rId1"/>', sheets),
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS.replace(WORKBOOK_RELS[WORKBOOK_RELS.index("<Relationship "):WORKBOOK_RELS.index("</Relationships>")], rels),
    }
    for i in range(1, n + 1):
        rows = (visible_rows if visible_rows is not None else [["案件一覧（集計用）"]]) if i == 1 else LEADS_ROWS
        members[f"xl/worksheets/sheet{i}.xml"] = sheet_xml(rows)
    return xlsx_from_members(members)


def padded_far_cell() -> bytes:
    """A zero-padded row number beside a far cell: A0000001 has the most digits, XFD999999 is the far one."""
    sheet = (SHEET_HEAD + '<sheetData><row r="1"><c r="A0000001"><v>1</v></c></row>'
             '<row r="999999"><c r="XFD999999"><v>1</v></c></row></sheetData></worksheet>')
    return xlsx_from_members({"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": ROOT_RELS, "xl/workbook.xml": WORKBOOK,
                              "xl/_rels/workbook.xml.rels": WORKBOOK_RELS, "xl/worksheets/sheet1.xml": sheet})


def far_cell_in_odd_part() -> bytes:
    """The far cell in a worksheet part not named .xml and without an XML declaration (the rels point at it)."""
    sheet = '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>'
    return xlsx_from_members({
        "[Content_Types].xml": CONTENT_TYPES.replace("/xl/worksheets/sheet1.xml", "/xl/worksheets/sheet1.dat"),
        "_rels/.rels": ROOT_RELS, "xl/workbook.xml": WORKBOOK,
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS.replace("worksheets/sheet1.xml", "worksheets/sheet1.dat"),
        "xl/worksheets/sheet1.dat": sheet,
    })


def sparse_corner(last_row: int = 1_000_000, last_col: str = "AB") -> bytes:
    """Two cells, A1 and a far corner: tiny on disk, a dense grid of tens of millions of cells in memory."""
    sheet = (SHEET_HEAD + f'<dimension ref="A1:{last_col}{last_row}"/><sheetData>'
             f'<row r="1"><c r="A1" t="inlineStr"><is><t>リードID</t></is></c></row>'
             f'<row r="{last_row}"><c r="{last_col}{last_row}"><v>1</v></c></row></sheetData></worksheet>')
    return xlsx_workbook([], sheet=sheet)


def encrypted_xlsx(password: str = "secret") -> bytes:
    """A real password-protected workbook: msoffcrypto-tool's OOXMLFile.encrypt (ECMA-376 agile encryption,
    what Excel writes), wrapping a plain workbook in an OLE compound file."""
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = xlsx_workbook(LEADS_ROWS)
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(plain)).encrypt(password, out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------- old .xls
def _biff(rtype: int, payload: bytes = b"") -> bytes:
    return struct.pack("<HH", rtype, len(payload)) + payload


def _xls_string(text: str) -> bytes:
    """BIFF8 XLUnicodeString with 16-bit length (LABEL records)."""
    return struct.pack("<HB", len(text), 1) + text.encode("utf-16-le")


def _biff8_workbook(rows: list[list]) -> bytes:
    sheet_name = "Sheet1"
    bof_globals = _biff(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x06))
    codepage = _biff(0x0042, struct.pack("<H", 1200))
    # XF records: calamine needs none for plain LABEL/NUMBER cells, Excel needs 16 style + 1 cell XF.
    xf = b"".join(_biff(0x00E0, struct.pack("<HHHBBBBIIH", 0, 0, 0xFFF5 if i < 15 else 0x0001, 0x20, 0, 0, 0, 0, 0, 0x20C0))
                  for i in range(16))
    name_bytes = struct.pack("<BB", len(sheet_name), 0) + sheet_name.encode("latin-1")
    boundsheet_len = 4 + 6 + len(name_bytes)
    globals_wo_bs = bof_globals + codepage + xf
    eof = _biff(0x000A)
    sheet_offset = len(globals_wo_bs) + boundsheet_len + len(eof)
    boundsheet = _biff(0x0085, struct.pack("<IBB", sheet_offset, 0, 0) + name_bytes)
    stream = globals_wo_bs + boundsheet + eof
    assert len(stream) == sheet_offset
    cells = []
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, (int, float)):
                cells.append(_biff(0x0203, struct.pack("<HHHd", r, c, 15, float(v))))
            else:
                cells.append(_biff(0x0204, struct.pack("<HHH", r, c, 15) + _xls_string(str(v))))
    width = max((len(r) for r in rows), default=0)
    dims = _biff(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, width, 0))
    bof_sheet = _biff(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 0x06))
    return stream + bof_sheet + dims + b"".join(cells) + eof


def _cfb(stream_name: str, stream: bytes) -> bytes:
    """A minimal OLE2 compound file (v3, 512-byte sectors) holding one stream of >= 4096 bytes."""
    sector = 512
    stream = stream + b"\x00" * max(0, 4096 - len(stream))  # below 4096 bytes a stream lives in the mini stream
    n_stream = -(-len(stream) // sector)
    # Layout: sector 0 = FAT, sector 1 = directory, sectors 2.. = the stream.
    ENDOFCHAIN, FATSECT, FREESECT = 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    fat = [FATSECT, ENDOFCHAIN] + [2 + i + 1 for i in range(n_stream - 1)] + [ENDOFCHAIN]
    assert len(fat) <= sector // 4
    fat += [FREESECT] * (sector // 4 - len(fat))
    header = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16)
    header += struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)
    header += b"\x00" * 6
    header += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 0x1000, ENDOFCHAIN, 0, ENDOFCHAIN, 0)
    header += struct.pack("<I", 0) + struct.pack("<I", FREESECT) * 108  # DIFAT: FAT in sector 0
    assert len(header) == 512

    def entry(name: str, etype: int, left: int, right: int, child: int, start: int, size: int) -> bytes:
        raw = (name + "\x00").encode("utf-16-le") if name else b""
        return (raw.ljust(64, b"\x00") + struct.pack("<HBBIII", len(raw), etype, 1, left, right, child)
                + b"\x00" * 16 + struct.pack("<I", 0) + b"\x00" * 16 + struct.pack("<III", start, size, 0))

    NOSTREAM = 0xFFFFFFFF
    root = entry("Root Entry", 5, NOSTREAM, NOSTREAM, 1, ENDOFCHAIN, 0)
    book = entry(stream_name, 2, NOSTREAM, NOSTREAM, NOSTREAM, 2, len(stream))
    empty = entry("", 0, NOSTREAM, NOSTREAM, NOSTREAM, 0, 0)
    directory = root + book + empty + empty
    assert len(directory) == sector, len(directory)
    body = struct.pack(f"<{sector // 4}I", *fat) + directory + stream.ljust(n_stream * sector, b"\x00")
    return bytes(header) + body


def real_xls(rows: list[list] | None = None) -> bytes:
    """A genuine Excel 97-2003 (.xls, BIFF8) workbook, written record by record."""
    return _cfb("Workbook", _biff8_workbook(rows if rows is not None else LEADS_ROWS))


def garbage_ole() -> bytes:
    """An OLE signature followed by nothing readable (a damaged .xls)."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + random.Random(5).randbytes(2000)


# ---------------------------------------------------------------------------------------------- images, noise
def png_image() -> bytes:
    """A real 1x1 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def jpeg_image() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + random.Random(9).randbytes(500) + b"\xff\xd9"


def random_bytes(n: int = 64 * 1024, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(n)


# ---------------------------------------------------------------------------------------------- CSV
LEADS_HEADER = "リードID,リード日,金額"


def cp932_with_invalid_byte() -> bytes:
    """cp932 text in which one byte is valid in neither cp932 nor UTF-8 (0x85 opens no cp932 character):
    row 3 carries it; row 5 has an ordinary bad date."""
    head = (LEADS_HEADER + "\nA1,2026/11/01,12万円\n").encode("cp932")
    bad = b"A2\x85,2026/11/02,100\n"
    tail = "A3,2026/11/03,１００\nA4,不明,5\n".encode("cp932")
    return head + bad + tail


def utf16_csv(bom: bool = True) -> bytes:
    text = LEADS_HEADER + "\r\nA1,2026/11/01,12万円\r\nA2,不明,100\r\n"
    return text.encode("utf-16") if bom else text.encode("utf-16-le")


def mixed_line_endings() -> bytes:
    return (LEADS_HEADER + "\r\nA1,2026/11/01,1\nA2,2026/11/02,2\rA3,不明,3\r\nA4,2026/11/04,4\n").encode("cp932")


def no_final_newline() -> bytes:
    return (LEADS_HEADER + "\nA1,2026/11/01,1\nA2,2026/11/02,2").encode("utf-8")


def duplicated_headers() -> bytes:
    """Two リードID columns (a required field) and two 金額 columns: ambiguous, refused naming both ID columns."""
    return ("リードID,リード日,金額,金額,リードID\nA1,2026/11/01,100,999,X1\nA2,2026/11/02,200,888,X2\n").encode("utf-8")


def duplicated_optional_headers() -> bytes:
    """Two columns of one optional field (金額 and 見込金額): the first is read, the other ignored with a warning."""
    return ("リードID,リード日,金額,見込金額\nA1,2026/11/01,100,999\nA2,2026/11/02,200,888\n").encode("utf-8")


def id_and_chart_number() -> bytes:
    """患者ID and カルテ番号 both read as the required patient_id."""
    return "患者ID,来院日,カルテ番号\nP1,2026/11/01,K1\n".encode("cp932")


def header_only(encoding: str = "cp932") -> bytes:
    return (LEADS_HEADER + "\n").encode(encoding)


def other_separator_csv(delimiter: str = ";") -> bytes:
    """What Excel saves as "CSV" where the list separator is ';' (or an export with '|')."""
    return (LEADS_HEADER.replace(",", delimiter) + f"\nA1{delimiter}2026/11/01{delimiter}1,5\nA2{delimiter}2026/11/02{delimiter}2\n").encode("utf-8")


def unknown_columns(n: int = 50) -> bytes:
    extra = [f"謎の列{i}" for i in range(n)]
    lines = [",".join([LEADS_HEADER] + extra)]
    for r in range(3):
        lines.append(",".join([f"A{r}", "2026/11/01", "100"] + [f"v{r}_{i}" for i in range(n)]))
    return ("\n".join(lines) + "\n").encode("utf-8")


def huge_cell(mb: int = 10) -> bytes:
    cell = "長" * (mb * 1024 * 1024 // 3)  # 3 bytes each in UTF-8
    return (LEADS_HEADER + ",取引先\nA1,2026/11/01,100," + cell + "\nA2,2026/11/02,200,普通\n").encode("utf-8")


FORMULA_CELLS = ["=1+1", "+81-6-1234", "-2+3", "@SUM(A1:A2)", '=HYPERLINK("http://x.invalid","click")', "=cmd|' /C calc'!A0"]


def formula_cells_csv() -> bytes:
    """Leads whose text cells start with = + - @; two rows are rejected (bad date) so they reach the download."""
    lines = ["リードID,取引先,リード日,担当者"]
    for i, value in enumerate(FORMULA_CELLS):
        date = "2026/11/01" if i % 3 else "不明"
        lines.append(f'L{i},"{value.replace(chr(34), chr(34) * 2)}",{date},"{value.replace(chr(34), chr(34) * 2)}"')
    return ("\n".join(lines) + "\n").encode("cp932")


def many_rows(n: int = 200_000, bad_share: float = 0.3, seed: int = 7) -> tuple[bytes, set[int]]:
    """Visits CSV (cp932) with ``n`` data rows; a ``bad_share`` of them invalid in one of three ways.

    Returns (bytes, set of the Excel row numbers that must be rejected)."""
    rng = random.Random(seed)
    bad_rows: set[int] = set()
    lines = ["患者ID,来院日,ステータス,金額"]
    n_bad = int(n * bad_share)
    bad_idx = set(rng.sample(range(n), n_bad))
    statuses = ["来院", "キャンセル", "無断キャンセル"]
    for i in range(n):
        row = i + 2
        pid, day, status, amount = f"P{i % 5000:05d}", f"2026/{1 + i % 12}/{1 + i % 28}", statuses[i % 3], str(1000 + i % 700)
        if i in bad_idx:
            bad_rows.add(row)
            kind = i % 3
            if kind == 0:
                day = "不明"
            elif kind == 1:
                pid = ""
            else:
                amount = "-500"
        lines.append(f"{pid},{day},{status},{amount}")
    return ("\n".join(lines) + "\n").encode("cp932"), bad_rows


# ------------------------------------------------------------------------- junk that must cost nothing (issue 14)
VISITS_HEADER = "患者ID,来院日\n"


def junk_csv(what: str, size: int = 30 * 2**20) -> bytes:
    """A valid visits header, one data row, then ``size`` bytes of what is no row at all (SPEC 7):
    'blank' (empty lines), 'commas' (lines of empty cells), 'nul' (a NUL run, as a crashed write leaves),
    'nul_lines' (lines of NULs). The data row is repeated past the first 8 KB, so the NULs are not in the
    part that decides whether the file is text."""
    rows = VISITS_HEADER + "".join(f"P{i},2026/11/01\n" for i in range(1, 1001))
    junk = {"blank": b"\n", "commas": b",\n", "nul": b"\x00", "nul_lines": b"\x00\x00\x00\x00\x00\x00\x00\n"}[what]
    return rows.encode("utf-8") + junk * (size // len(junk)) + b"P9999,2026/11/02\n"


def damaged_utf8(row: int = 5, rows: int = 29) -> bytes:
    """A UTF-8 visits file (clinic 本院 on every row) with the middle byte of 本 removed in Excel row ``row``.
    What remains happens to decode as cp932 whole (本院 -> 譛ャ髯「): only the evidence of the whole file
    (thousands of valid UTF-8 characters, one bad sequence) says UTF-8."""
    lines = ["patient_id,visit_on,clinic"] + [f"P{i},2026/11/{1 + i % 28:02d},本院" for i in range(1, rows + 1)]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    start = sum(len(line.encode("utf-8")) + 1 for line in lines[: row - 1])
    cut = data.index("本".encode("utf-8"), start) + 1
    return data[:cut] + data[cut + 1 :]
