"""Files the app writes (downloads, templates, the report): xlsx and CSV, safe against formula injection.

A cell that begins with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return) would run as a formula when a
user opens the file in Excel. In xlsx we write every text cell as a string cell (xlsxwriter with
``strings_to_formulas`` off), so the value stays exactly as read and cannot execute; in CSV, where there
is no cell type, such text gets a leading apostrophe (OWASP's advice).

Two xlsx writers: ``new_workbook`` / ``write_frame`` / ``write_cell`` (xlsxwriter, a call per cell; the report and
the templates, which need charts, merged cells and formats) and ``to_xlsx_bytes`` for downloads of whole
frames, which writes the same cells column-wise (issue 11: 110k rejected rows took ~20 s cell by cell). Both give
formula-looking text cells Excel's quote prefix as well (SPEC 7), so editing such a cell in Excel keeps it text.
Sheet names may come from user text (an account named ``O'Brien'``): ``_sheet_name`` makes any text a name Excel
accepts, and ``to_xlsx_bytes`` makes them unique.
"""
from __future__ import annotations

import copy
import datetime as dt
import io
import re
import zipfile

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter
from xlsxwriter.theme import THEME_XML_2007

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


class _QuotingWorkbook(xlsxwriter.Workbook):
    """``new_workbook``'s workbook: its worksheets know it, so ``write_cell`` can give formula-looking text Excel's
    quote prefix in the cell's own format (one quoted twin per format, made once)."""

    def add_worksheet(self, name=None, worksheet_class=None):
        ws = super().add_worksheet(name, worksheet_class)
        ws.kpi_workbook = self
        return ws

    def quoted(self, cell_format=None):
        """``cell_format`` (None: the default) with Excel's quote prefix set."""
        twins = self.__dict__.setdefault("_quoted_twins", {})
        key = id(cell_format)
        if key not in twins:
            if cell_format is None:
                twin = self.add_format({"quote_prefix": True})
            else:  # the same format plus the prefix, registered like add_format's
                twin = copy.copy(cell_format)
                twin.xf_index = twin.dxf_index = None
                twin.set_quote_prefix()
                self.formats.append(twin)
            twins[key] = (cell_format, twin)  # (the original is kept alive: its id stays its own)
        return twins[key][1]


def new_workbook(buffer: io.BytesIO) -> xlsxwriter.Workbook:
    wb = _QuotingWorkbook(buffer, WORKBOOK_OPTIONS)
    wb.set_properties({"created": dt.datetime(2026, 1, 1)})  # deterministic bytes for the same content
    return wb


def write_text(ws, row: int, col: int, text: str, cell_format=None) -> None:
    """A string cell; text that begins with = + - @ (or tab / CR) also carries Excel's quote prefix (SPEC 7) when the
    sheet belongs to ``new_workbook``'s workbook (every workbook the app writes)."""
    if text.startswith(FORMULA_PREFIXES):
        book = getattr(ws, "kpi_workbook", None)
        if book is not None:
            cell_format = book.quoted(cell_format)
    ws.write_string(row, col, text, cell_format)


def write_frame(wb: xlsxwriter.Workbook, ws, frame: pd.DataFrame, start_row: int = 0, start_col: int = 0, header_format=None) -> int:
    """Write a frame with typed cells (strings always as strings); returns the next free row."""
    date_fmt = wb.add_format({"num_format": "yyyy/mm/dd"})
    datetime_fmt = wb.add_format({"num_format": "yyyy/mm/dd hh:mm"})
    for j, name in enumerate(frame.columns):
        write_text(ws, start_row, start_col + j, str(name), header_format)
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
            write_text(ws, row, col, str(value))


def to_xlsx_bytes(sheets: dict[str, pd.DataFrame], freeze_header: bool = True) -> bytes:
    """One or more frames as an .xlsx download; header bold, widths fitted, text never a formula.

    The cells are those ``write_frame`` writes (same types, values and number formats), built column by column
    with Arrow string kernels and one decision per distinct value instead of one xlsxwriter call per cell (a
    110k x 16 rejected-rows download took about 20 s that way). Text cells are shared strings; one that begins
    with = + - @ (or tab / CR) also carries Excel's quote prefix (SPEC section 7)."""
    names = _checked_sheet_names(_unique_sheet_names(list(sheets)) or ["Sheet1"])
    tables = [_SheetCells(frame) for frame in sheets.values()] or [_SheetCells(pd.DataFrame())]
    freeze = [freeze_header] * len(sheets) or [False]  # xlsxwriter's default sheet of an empty workbook: plain
    strings = _shared_strings(tables)

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        def put(name: str, parts) -> None:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # deterministic bytes for the same content
            zf.writestr(info, b"".join(parts), compress_type=zipfile.ZIP_DEFLATED, compresslevel=XLSX_COMPRESS_LEVEL)

        n, has_sst = len(names), strings is not None
        put("[Content_Types].xml", [_content_types(n, has_sst).encode()])
        put("_rels/.rels", [_ROOT_RELS.encode()])
        put("docProps/app.xml", [_app_xml(names).encode()])
        put("docProps/core.xml", [_CORE_XML.encode()])
        put("xl/_rels/workbook.xml.rels", [_workbook_rels(n, has_sst).encode()])
        put("xl/workbook.xml", [_workbook_xml(names).encode()])
        put("xl/styles.xml", [_STYLES_XML.encode()])
        put("xl/theme/theme1.xml", [THEME_XML_2007.encode()])
        for i, table in enumerate(tables):
            put(f"xl/worksheets/sheet{i + 1}.xml", table.xml_parts(freeze[i], tab_selected=(i == 0)))
        if has_sst:
            put("xl/sharedStrings.xml", strings)
    return buffer.getvalue()


# ------------------------------------------------------------------ the xlsx package of to_xlsx_bytes
# The parts are those xlsxwriter writes for write_frame's workbook (same styles, theme, properties, views);
# only the cell XML is made differently.
XLSX_COMPRESS_LEVEL = 1  # zlib level: 6 (xlsxwriter's) took 1.6 s of a 67 MB sheet, 1 takes 0.4 s for a 25% larger file
XLSX_MAX_ROWS = 1_048_576  # Excel's grid; like xlsxwriter, cells beyond it are not written
XLSX_MAX_COLS = 16_384
XLSX_MAX_STRING = 32_767  # UTF-16 units in one cell; longer text is cut there, as xlsxwriter does
_ROWS_PER_CHUNK = 32_768  # rows of sheet XML joined at a time (Arrow strings stay small)

# cellXfs of _STYLES_XML: the formats write_frame uses, and Excel's quote prefix for formula-looking text
_XF_HEADER, _XF_HEADER_QUOTED, _XF_DATE, _XF_DATETIME, _XF_QUOTED = 1, 2, 3, 4, 5
_FORMULA_START = re.compile(r"[=+\-@\t\r]")  # FORMULA_PREFIXES, for re.match
_FORMULA_START_RE2 = r"^[=+\-@\t\r]"  # the same, for the Arrow kernel
_CONTROL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")  # Excel's own escape written literally: its underscore is escaped
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f]")
_NEEDS_CONTROL_ESCAPE = r"_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f\x{fffe}\x{ffff}]"
_EDGE_SPACE = r"^[\s\x{85}\p{Z}]|[\s\x{85}\p{Z}]$"  # at least every character Python's \s matches
_DAY_US = 86_400_000_000
_EPOCH_DAY = (dt.date(1899, 12, 31) - dt.date(1970, 1, 1)).days  # xlsxwriter's epoch, in days since 1970
_DAY_1900_01_01 = (dt.date(1900, 1, 1) - dt.date(1970, 1, 1)).days

_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE = "application/vnd.openxmlformats-officedocument"
_ROOT_RELS = (
    _XML_HEAD + f'<Relationships xmlns="{_NS_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_NS_REL}/officeDocument" Target="xl/workbook.xml"/>'
    f'<Relationship Id="rId2" Type="{_NS_PKG_REL}/metadata/core-properties" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{_NS_REL}/extended-properties" Target="docProps/app.xml"/></Relationships>'
)
_CORE_XML = (  # new_workbook's fixed creation date
    _XML_HEAD + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<dc:creator></dc:creator><cp:lastModifiedBy></cp:lastModifiedBy>"
    '<dcterms:created xsi:type="dcterms:W3CDTF">2026-01-01T00:00:00Z</dcterms:created>'
    '<dcterms:modified xsi:type="dcterms:W3CDTF">2026-01-01T00:00:00Z</dcterms:modified></cp:coreProperties>'
)
_FONT = '<sz val="11"/><color theme="1"/><name val="Calibri"/><family val="2"/><scheme val="minor"/>'
_THIN = '<color auto="1"/>'
_STYLES_XML = (
    _XML_HEAD + f'<styleSheet xmlns="{_NS_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy/mm/dd"/><numFmt numFmtId="165" formatCode="yyyy/mm/dd hh:mm"/></numFmts>'
    f'<fonts count="2"><font>{_FONT}</font><font><b/>{_FONT}</font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFE8EEF7"/><bgColor indexed="64"/></patternFill></fill></fills>'
    '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
    f'<border><left style="thin">{_THIN}</left><right style="thin">{_THIN}</right><top style="thin">{_THIN}</top>'
    f'<bottom style="thin">{_THIN}</bottom><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="6"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" quotePrefix="1" applyFont="1" applyFill="1" applyBorder="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles><dxfs count="0"/>'
    '<tableStyles count="0" defaultTableStyle="TableStyleMedium9" defaultPivotStyle="PivotStyleLight16"/></styleSheet>'
)


def _content_types(n_sheets: int, has_sst: bool) -> str:
    parts = [
        ("/docProps/app.xml", f"{_OFFICE}.extended-properties+xml"),
        ("/docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"),
        ("/xl/styles.xml", f"{_OFFICE}.spreadsheetml.styles+xml"),
        ("/xl/theme/theme1.xml", f"{_OFFICE}.theme+xml"),
        ("/xl/workbook.xml", f"{_OFFICE}.spreadsheetml.sheet.main+xml"),
    ]
    parts += [(f"/xl/worksheets/sheet{i}.xml", f"{_OFFICE}.spreadsheetml.worksheet+xml") for i in range(1, n_sheets + 1)]
    if has_sst:
        parts.append(("/xl/sharedStrings.xml", f"{_OFFICE}.spreadsheetml.sharedStrings+xml"))
    return (_XML_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            + "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in parts) + "</Types>")


def _workbook_rels(n_sheets: int, has_sst: bool) -> str:
    rels = [("worksheet", f"worksheets/sheet{i}.xml") for i in range(1, n_sheets + 1)]
    rels += [("theme", "theme/theme1.xml"), ("styles", "styles.xml")] + ([("sharedStrings", "sharedStrings.xml")] if has_sst else [])
    return (_XML_HEAD + f'<Relationships xmlns="{_NS_PKG_REL}">'
            + "".join(f'<Relationship Id="rId{i}" Type="{_NS_REL}/{kind}" Target="{target}"/>'
                      for i, (kind, target) in enumerate(rels, start=1))
            + "</Relationships>")


def _workbook_xml(names: list[str]) -> str:
    sheets = "".join(f'<sheet name="{_xml_attr(name)}" sheetId="{i}" r:id="rId{i}"/>' for i, name in enumerate(names, start=1))
    return (_XML_HEAD + f'<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}">'
            '<fileVersion appName="xl" lastEdited="4" lowestEdited="4" rupBuild="4505"/><workbookPr defaultThemeVersion="124226"/>'
            '<bookViews><workbookView xWindow="240" yWindow="15" windowWidth="16095" windowHeight="9660"/></bookViews>'
            f'<sheets>{sheets}</sheets><calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>')


def _app_xml(names: list[str]) -> str:
    titles = "".join(f"<vt:lpstr>{_xml_text(name)}</vt:lpstr>" for name in names)
    return (_XML_HEAD + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
            'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
            "<Application>Microsoft Excel</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>"
            '<HeadingPairs><vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>Worksheets</vt:lpstr></vt:variant>'
            f'<vt:variant><vt:i4>{len(names)}</vt:i4></vt:variant></vt:vector></HeadingPairs>'
            f'<TitlesOfParts><vt:vector size="{len(names)}" baseType="lpstr">{titles}</vt:vector></TitlesOfParts>'
            "<Company></Company><LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>"
            "<HyperlinksChanged>false</HyperlinksChanged><AppVersion>12.0000</AppVersion></Properties>")


def _unique_sheet_names(names: list) -> list[str]:
    """``_sheet_name`` of each, made unique ignoring case as Excel compares them (``name_2``, ``name_3``...)."""
    out: list[str] = []
    seen: set[str] = set()
    for name in names:
        base = candidate = _sheet_name(name)
        i = 2
        while candidate.casefold() in seen:
            suffix = f"_{i}"
            candidate = _sheet_name(_utf16_cut(base, SHEET_NAME_MAX - len(suffix)) + suffix)
            i += 1
        seen.add(candidate.casefold())
        out.append(candidate)
    return out


def _checked_sheet_names(names: list[str]) -> list[str]:
    """xlsxwriter's own checks of the names (length, characters, apostrophes, duplicates ignoring case)."""
    checker = xlsxwriter.Workbook(io.BytesIO(), {"in_memory": True})
    for name in names:
        checker.add_worksheet(name)  # raises InvalidWorksheetName / DuplicateWorksheetName, as before
    checker.close()
    return names


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml_attr(text: str) -> str:
    return _xml_text(text).replace('"', "&quot;")


def _col_letters(col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _excel_width(width: float) -> str:
    """A width in characters as xlsxwriter's set_column stores it (whole pixels: 7 a digit, 5 of padding)."""
    pixels = int(width * 7 + 0.5) + 5 if width >= 1 else int(width * 12 + 0.5)
    return f"{(pixels * 256 // 7) / 256.0:.16g}"


def _text(value: str) -> pa.Scalar:
    return pa.scalar(value, type=pa.large_string())


def _joined_bytes(pieces: pa.Array) -> pa.Buffer:
    """The UTF-8 bytes of an Arrow string array's values one after another."""
    one = pa.LargeListArray.from_arrays(pa.array([0, len(pieces)], type=pa.int64()), pieces.cast(pa.large_string()))
    return pc.binary_join(one, _text(""))[0].as_buffer()


def _large_texts(values) -> pa.Array:
    arr = pa.array(values, type=pa.large_string()) if not isinstance(values, (pa.Array, pa.ChunkedArray)) else values
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.large_string())


def _truncated(text: str) -> str:
    """Text cut at Excel's 32,767 UTF-16 units without splitting a character, as xlsxwriter's write_string does."""
    if len(text) <= XLSX_MAX_STRING // 2 or len(text.encode("utf-16-le", "surrogatepass")) // 2 <= XLSX_MAX_STRING:
        return text
    return _utf16_cut(text, XLSX_MAX_STRING)


def _truncated_texts(texts: pa.Array) -> pa.Array:
    long = pc.greater(pc.utf8_length(texts), XLSX_MAX_STRING // 2)
    if not pc.any(long).as_py():
        return texts
    return _large_texts([_truncated(t) if cut else t for t, cut in zip(texts.to_pylist(), long.to_pylist())])


class _ColumnCells:
    """One column's cells after the row number of their reference, e.g. `" t="s"><v>7</v></c>` for the row's
    B7 cell `<c r="B7" t="s"><v>7</v></c>`; null where no cell is written (a missing value).

    ``tails``: the cells that are not text (None: there are none); ``codes``/``texts``: the text cells as an
    index into the column's distinct texts (-1: not a text cell), whose shared-string tails ``text_tails``
    are set once the workbook's table is known."""

    def __init__(self, n: int, tails: pa.Array | None = None, codes: np.ndarray | None = None, texts: pa.Array | None = None):
        self.n, self.tails, self.codes, self.texts = n, tails, codes, texts
        self.text_tails: pa.Array | None = None

    @property
    def text_cells(self) -> int:
        return 0 if self.codes is None else int((self.codes >= 0).sum())

    def cells(self) -> pa.Array:
        if self.codes is None or not len(self.texts):
            return self.tails if self.tails is not None else pa.nulls(self.n, type=pa.large_string())
        missing = self.codes < 0
        text_cells = self.text_tails.take(pa.array(np.where(missing, 0, self.codes), mask=missing))
        return text_cells if self.tails is None else pc.coalesce(self.tails, text_cells)


class _SheetCells:
    """A frame's worksheet: the header row and every column's cells (write_frame's cells, column-wise)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.n_cols = min(frame.shape[1], XLSX_MAX_COLS)
        self.n_rows = min(len(frame), XLSX_MAX_ROWS - 1)
        self.header = _large_texts([_truncated(str(frame.columns[j])) for j in range(self.n_cols)])
        self.header_tails: list[str] = []
        self.columns = [_column_cells(frame.iloc[: self.n_rows, j]) for j in range(self.n_cols)]

    def xml_parts(self, freeze_header: bool, tab_selected: bool):
        """The worksheet XML as a few large pieces, a chunk of rows at a time."""
        cells = [col.cells() for col in self.columns]
        header = "".join(f'<c r="{_col_letters(j)}1{tail}' for j, tail in enumerate(self.header_tails))
        rows_xml, last_row = [], 1 if self.n_cols else 0
        for start in range(0, self.n_rows if self.n_cols else 0, _ROWS_PER_CHUNK):
            stop = min(self.n_rows, start + _ROWS_PER_CHUNK)
            numbers = pc.cast(pa.array(np.arange(start + 2, stop + 2, dtype=np.int64)), pa.large_string())
            refs = [pc.binary_join_element_wise(_text(f'<c r="{_col_letters(j)}'), numbers, c.slice(start, stop - start), _text(""))
                    for j, c in enumerate(cells)]
            content = pc.binary_join_element_wise(*refs, _text(""), null_handling="replace", null_replacement="")
            present = pc.not_equal(content, _text("")).to_numpy(zero_copy_only=False)
            if not present.any():
                continue  # like xlsxwriter, a row without cells is not written
            last_row = start + 2 + int(np.flatnonzero(present)[-1])
            rows = pc.binary_join_element_wise(_text('<row r="'), numbers, _text('">'), content, _text("</row>"), _text(""))
            rows_xml.append(_joined_bytes(rows.filter(pa.array(present))))

        last_col = _col_letters(max(self.n_cols - 1, 0))
        dimension = f"A1:{last_col}{last_row}" if (self.n_cols > 1 or last_row > 1) else "A1"
        view = '<sheetView tabSelected="1" workbookViewId="0">' if tab_selected else '<sheetView workbookViewId="0">'
        if freeze_header:
            view += '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/>'
        yield (_XML_HEAD + f'<worksheet xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}"><dimension ref="{dimension}"/>'
               f'<sheetViews>{view}</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>{self._cols_xml()}').encode()
        if not self.n_cols:
            yield b"<sheetData/>"
        else:
            yield f'<sheetData><row r="1">{header}</row>'.encode()
            yield from rows_xml
            yield b"</sheetData>"
        yield b'<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>'

    def _cols_xml(self) -> str:
        """Widths fitted to the header and the first 200 values (full-width characters count two), 8 to 50;
        adjacent columns of one width share a <col>, as xlsxwriter writes them."""
        widths = []
        for j in range(self.n_cols):
            sample = [str(self.frame.columns[j])] + [str(v) for v in self.frame.iloc[:200, j].tolist()]
            widths.append(_excel_width(min(50, max(8, max(_display_width(s) for s in sample) + 2))))
        out, first = [], 0
        for j in range(1, self.n_cols + 1):
            if j == self.n_cols or widths[j] != widths[first]:
                out.append(f'<col min="{first + 1}" max="{j}" width="{widths[first]}" customWidth="1"/>')
                first = j
        return "<cols>" + "".join(out) + "</cols>" if out else ""


def _shared_strings(tables: list[_SheetCells]):
    """Give every text cell of the workbook its shared-string index (each distinct text once, in order of first
    appearance) and return the sharedStrings.xml pieces, or None when there is no text cell."""
    pieces: list[pa.Array] = []
    for table in tables:
        pieces.append(table.header)
        pieces.extend(col.texts for col in table.columns if col.texts is not None)
    everything = pa.concat_arrays(pieces) if pieces else pa.array([], type=pa.large_string())
    if not len(everything):
        return None
    encoded = pc.dictionary_encode(everything)
    indices = pc.cast(encoded.indices, pa.large_string())
    quoted = pc.match_substring_regex(everything, _FORMULA_START_RE2)
    at = 0

    def tails(n: int, plain: str, quote: str) -> pa.Array:
        nonlocal at
        opening = pc.if_else(quoted.slice(at, n), _text(quote), _text(plain))
        part = pc.binary_join_element_wise(opening, indices.slice(at, n), _text("</v></c>"), _text(""))
        at += n
        return part

    count = 0
    for table in tables:
        table.header_tails = tails(len(table.header), f'" s="{_XF_HEADER}" t="s"><v>', f'" s="{_XF_HEADER_QUOTED}" t="s"><v>').to_pylist()
        count += len(table.header)
        for col in table.columns:
            if col.texts is not None:
                col.text_tails = tails(len(col.texts), '" t="s"><v>', f'" s="{_XF_QUOTED}" t="s"><v>')
                count += col.text_cells
    table_texts = encoded.dictionary

    def parts():
        yield (_XML_HEAD + f'<sst xmlns="{_NS_MAIN}" count="{count}" uniqueCount="{len(table_texts)}">').encode()
        for start in range(0, len(table_texts), _ROWS_PER_CHUNK):
            yield _joined_bytes(_si_elements(table_texts.slice(start, _ROWS_PER_CHUNK)))
        yield b"</sst>"

    return parts()


def _si_elements(texts: pa.Array) -> pa.Array:
    """<si> elements: control characters as Excel's _xHHHH_ escapes and XML-escaped (as xlsxwriter writes them),
    xml:space="preserve" where a space at either end would otherwise be dropped."""
    special = pc.match_substring_regex(texts, _NEEDS_CONTROL_ESCAPE)
    if pc.any(special).as_py():
        texts = _large_texts([_escape_control(t) if s else t for t, s in zip(texts.to_pylist(), special.to_pylist())])
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        texts = pc.replace_substring(texts, raw, entity)
    opening = pc.if_else(pc.match_substring_regex(texts, _EDGE_SPACE), _text('<si><t xml:space="preserve">'), _text("<si><t>"))
    return pc.binary_join_element_wise(opening, texts, _text("</t></si>"), _text(""))


def _escape_control(text: str) -> str:
    text = _CONTROL_ESCAPE.sub(r"_x005F\1", text)
    text = _CONTROL_CHARS.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)
    return text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")


def _column_cells(col: pd.Series) -> _ColumnCells:
    """write_cell's decisions for a whole column: by dtype where the dtype decides, else value by value."""
    n, dtype = len(col), col.dtype
    if isinstance(dtype, pd.StringDtype) or (dtype == object and pd.api.types.infer_dtype(col, skipna=True) in ("string", "empty")):
        missing = col.isna().to_numpy(dtype=bool)
        codes, uniques = pd.factorize(col if dtype != object else col.where(~missing, None), use_na_sentinel=True)
        texts = _truncated_texts(_large_texts(uniques if dtype != object else list(uniques)))
        return _ColumnCells(n, codes=np.asarray(codes, dtype=np.int64), texts=texts)
    if pd.api.types.is_bool_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
        missing = col.isna().to_numpy(dtype=bool)
        flags = col.to_numpy(dtype=bool, na_value=False).astype(np.int64)
        return _ColumnCells(n, tails=_take(np.where(missing, -1, flags), ['" t="b"><v>0</v></c>', '" t="b"><v>1</v></c>']))
    if pd.api.types.is_numeric_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
        values = col.to_numpy(dtype="float64", na_value=np.nan)
        missing = np.isnan(values)
        if np.isinf(values).any():
            raise TypeError("NAN/INF not supported in write_number() without 'nan_inf_to_errors' Workbook() option")  # xlsxwriter's
        return _ColumnCells(n, tails=_number_tails(values, missing, np.zeros(n, dtype=np.int64)))
    if isinstance(dtype, np.dtype) and dtype.kind == "M" and np.datetime_data(dtype)[0] in ("s", "ms", "us", "ns"):
        stamps = col.to_numpy()
        serials, has_time = _excel_serials(stamps)
        return _ColumnCells(n, tails=_number_tails(serials, np.isnat(stamps), np.where(has_time, _XF_DATETIME, _XF_DATE)))
    # anything else (mixed objects, categories, time zones, timedeltas...): value by value, as write_cell decides
    tails: list[str | None] = []
    codes = np.full(n, -1, dtype=np.int64)
    local: dict[str, int] = {}
    for i, value in enumerate(col.tolist()):
        tail = _value_tail(value)
        if isinstance(tail, _Text):
            codes[i] = local.setdefault(tail.text, len(local))
            tail = None
        tails.append(tail)
    return _ColumnCells(n, tails=_large_texts(tails), codes=codes, texts=_large_texts(list(local)))


class _Text:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _value_tail(value):
    """write_cell for one value: its cell after the reference, a _Text for a text cell, None for no cell."""
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return f'" t="b"><v>{int(bool(value))}</v></c>'
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        if np.isnan(number) or np.isinf(number):
            raise TypeError("NAN/INF not supported in write_number() without 'nan_inf_to_errors' Workbook() option")
        return f'"><v>{number:.16G}</v></c>'
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        stamp = pd.Timestamp(value).to_pydatetime()
        return _datetime_tail(stamp, _XF_DATETIME if stamp.time() != dt.time(0) else _XF_DATE)
    if isinstance(value, dt.date):
        return _datetime_tail(dt.datetime(value.year, value.month, value.day), _XF_DATE)
    try:
        missing = bool(pd.isna(value))
    except (TypeError, ValueError):
        missing = False
    return None if missing else _Text(_truncated(str(value)))


def _datetime_tail(stamp: dt.datetime, style: int) -> str:
    if stamp.tzinfo:
        raise TypeError("Excel doesn't support timezones in datetimes. Set the tzinfo in the datetime/time object to None "
                        "or use the 'remove_timezone' Workbook() option")  # xlsxwriter's
    serials, _ = _excel_serials(np.array([np.datetime64(stamp, "us")]))
    return f'" s="{style}"><v>{serials[0]:.16G}</v></c>'


def _take(codes: np.ndarray, choices: list[str]) -> pa.Array:
    """choices[code] per cell, null where code < 0."""
    missing = codes < 0
    return _large_texts(choices).take(pa.array(np.where(missing, 0, codes), mask=missing))


def _number_tails(values: np.ndarray, missing: np.ndarray, styles: np.ndarray) -> pa.Array:
    """Number cells as xlsxwriter writes them (``%.16G``), with a cell format where ``styles`` is not 0;
    formatted once per distinct (value, format)."""
    present = ~missing
    if not present.any():
        return pa.nulls(len(values), type=pa.large_string())
    value_codes, distinct = pd.factorize(values[present])
    codes, keys = pd.factorize(value_codes * 8 + styles[present])
    choices = [f'" s="{k % 8}"><v>{distinct[k // 8]:.16G}</v></c>' if k % 8 else f'"><v>{distinct[k // 8]:.16G}</v></c>'
               for k in keys.tolist()]
    full = np.full(len(values), -1, dtype=np.int64)
    full[present] = codes
    return _take(full, choices)


def _excel_serials(stamps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Excel serial numbers of naive datetime64 values exactly as xlsxwriter computes them from the datetime
    ``pd.Timestamp(v).to_pydatetime()`` gives (whole microseconds; 1900-01-01 and the 1900 leap-year bug), and
    whether each has a time of day (its format then shows hh:mm)."""
    unit = np.datetime_data(stamps.dtype)[0]
    ticks = stamps.view(np.int64)
    if unit in ("s", "ms"):
        micros = ticks * (1_000_000 if unit == "s" else 1000)
    else:
        micros = np.floor_divide(ticks, 1000 if unit == "ns" else 1)
    days = np.floor_divide(micros, _DAY_US)
    rem = micros - days * _DAY_US
    seconds, micro = np.divmod(rem, 1_000_000)
    serials = (days - _EPOCH_DAY) + (seconds.astype(np.float64) + micro.astype(np.float64) / 1e6) / (60 * 60 * 24)
    serials = np.where(days == _DAY_1900_01_01, serials - 1, serials)  # xlsxwriter: ISO (1900, 1, 1) is day 0
    serials = np.where(serials > 59, serials + 1, serials)
    return serials, rem != 0


SHEET_NAME_MAX = 31  # Excel's limit, in UTF-16 units
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f\ufffe\uffff]")  # what Excel refuses, and what XML cannot hold


def _sheet_name(name) -> str:
    """Any text as a sheet name Excel accepts: ``[]:*?/\\`` (and control characters) become ``_``, an apostrophe at
    either end is dropped (``O'Brien'`` -> ``O'Brien``), at most 31 characters; empty -> ``Sheet1``; ``History``
    (reserved by Excel) -> ``History_``. Unique names: ``_unique_sheet_names``."""
    name = _SHEET_NAME_FORBIDDEN.sub("_", str(name)).strip("'")
    name = _utf16_cut(name, SHEET_NAME_MAX).rstrip("'")
    if name.casefold() == "history":
        name += "_"
    return name or "Sheet1"


def _utf16_cut(text: str, units: int) -> str:
    """``text`` cut to at most ``units`` UTF-16 units (a character beyond the BMP counts two), never mid-character."""
    total = 0
    for i, ch in enumerate(text):
        total += 2 if ord(ch) > 0xFFFF else 1
        if total > units:
            return text[:i]
    return text


def _display_width(text: str) -> int:
    """Full-width characters take two columns in Excel."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
