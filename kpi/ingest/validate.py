"""Validation: column-wise with the parsers of ``kpi.parse``, driven by the field specs of ``kpi.schemas``.
Every rejected row is listed (Excel row, column, raw value, reason) in the ``ValidationReport``; rows_read ==
rows_valid + rows_rejected holds by construction (a row is valid exactly when it has no error)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import parse
from ..messages import message, text
from ..schemas import ALWAYS_PRESENT, REGION_LABELS, SEGMENT_LABELS, FieldSpec, label_lookup
from .fields import _SPECS, header_key
from .headers import HeaderMatch
from .mapping import ColumnMapping
from .table import RawTable
from .text import _RAW_BYTE, show_raw_bytes

PARALLEL_PARSE_ROWS = 20_000  # from this many rows, columns are parsed in two threads


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
                name = match.headers[col] if col < len(match.headers) and match.headers[col] else text("load.column_n", n=col + 1)
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
        base = headers[i] if i < len(headers) and headers[i] else text("load.column_n", n=i + 1)
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
