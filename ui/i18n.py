"""Language switch and lookup: ``t("key", **params)`` in the session's language (Japanese first)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ui.strings import STRINGS

LANGS = ("ja", "en")


def lang() -> str:
    return st.session_state.get("lang", "ja")


def t(key: str, **params) -> str:
    entry = STRINGS.get(key)
    if entry is None:
        return key
    text = entry.get(lang()) or entry.get("ja") or key
    return text.format(**params) if params else text


def label_of(group: str, code: str | None) -> str:
    """Display label of an enum code, e.g. label_of("region", "osaka") -> 大阪."""
    if code is None:
        return "—"
    return t(f"{group}.{code}") if f"{group}.{code}" in STRINGS else str(code)


def label_series(group: str, values: pd.Series, missing: str | None = None) -> pd.Series:
    """label_of over a column, looked up once per distinct value (a 100,000-row table has a handful of codes).

    Values that are not text (None, NaN) become ``missing`` when given, else stay as they are."""
    labels = {v: label_of(group, v) for v in values.dropna().unique() if isinstance(v, str)}
    out = values.map(labels)
    return out.where(out.notna(), values if missing is None else missing)
