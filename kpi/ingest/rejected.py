"""The rejected rows as a table to download: each row as it was in the file (original headers), its Excel row
number first and every reason, in Japanese or English, joined in a last column."""
from __future__ import annotations

from typing import Any

import pandas as pd

from .. import parse
from ..messages import message, text
from .validate import LoadResult


def rejected_rows_table(result: LoadResult, lang: str = "ja") -> pd.DataFrame:
    """The rejected rows as they were in the file (original headers), with their Excel row number first
    and every reason joined in a last column, ready to fix and upload again (the extra columns are
    ignored on re-upload)."""
    raw = result.rejected_raw.copy()
    row_col, err_col = text("rejected.row", lang), text("rejected.errors", lang)
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
