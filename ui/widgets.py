"""Shared widgets: KPI tile with RAG and confidence badges, downloads, empty states, formatting, ID masking."""
from __future__ import annotations

from typing import Any, Callable

import pandas as pd
import streamlit as st

from kpi.export import to_csv_bytes, to_xlsx_bytes
from ui.charts import theme
from ui.data import frame_fingerprint
from ui.i18n import t

RAG_BADGE = {"green": ("green", "●"), "yellow": ("orange", "▲"), "red": ("red", "■")}
CONFIDENCE_COLOR = {"high": "green", "medium": "orange", "low": "red"}
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ------------------------------------------------------------------ formatting
def is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fmt_pct(value: float | None, digits: int = 1) -> str:
    return "n/a" if is_missing(value) else f"{value * 100:.{digits}f}%"


def fmt_num(value: float | None, digits: int = 0) -> str:
    if is_missing(value):
        return "n/a"
    return f"{value:,.{digits}f}"


def fmt_yen(value: float | None) -> str:
    """¥ with 万 for large amounts, as Japanese managers read them (¥1,234万)."""
    if is_missing(value):
        return "n/a"
    if abs(value) >= 1_000_000:
        return f"¥{value / 10_000:,.0f}万"
    return f"¥{value:,.0f}"


def fmt_delta_pct_points(now: float | None, before: float | None) -> str | None:
    if is_missing(now) or is_missing(before):
        return None
    return f"{(now - before) * 100:+.1f}pt"


# ------------------------------------------------------------------ badges and tiles
def _badge_md(color: str, text: str) -> str:
    return f":{color}-badge[{text}]"


def rag_badge_md(rag: str | None) -> str:
    if rag not in RAG_BADGE:
        return ""
    color, icon = RAG_BADGE[rag]
    return _badge_md(color, f"{icon} {t(f'rag.{rag}')}")


def confidence_parts(confidence: Any | None) -> tuple[str, str | None]:
    """信頼度 badge markdown and its hover text (the reasons and who can fix the rows)."""
    level = getattr(confidence, "level", None)
    if level is None:
        return "", None
    reasons = getattr(confidence, "reasons", ()) or ()
    owner = getattr(confidence, "owner_hint", None)
    help_text = "  \n".join(str(r) for r in reasons) + (f"  \n→ {owner}" if owner else "")
    return _badge_md(CONFIDENCE_COLOR.get(level, "gray"), f"{t('app.confidence')}: {t(f'confidence.{level}')}"), help_text or None






def kpi_tile(label: str, value: str, delta: str | None = None, rag: str | None = None, confidence: Any | None = None,
             help: str | None = None, delta_color: str = "normal", border: bool = True) -> None:
    """One headline number: st.metric, then its RAG and confidence badges on one line (reasons on hover)."""
    with st.container(border=border):
        st.metric(label, value, delta=delta, help=help, delta_color=delta_color)
        badge, help_text = confidence_parts(confidence)
        line = " ".join(p for p in (rag_badge_md(rag), badge) if p)
        if line:
            st.markdown(line, help=help_text)


def missing_column_note(column: str) -> None:
    st.caption("ⓘ " + t("app.column_enables", column=column))


def empty_state() -> None:
    st.info(t("app.empty_filter"))


# ------------------------------------------------------------------ charts
def show_chart(builder: Callable[..., Any], *args: Any, where: Any = None, st_width: str | int | None = "stretch",
               properties: dict | None = None, **kwargs: Any) -> None:
    """Draw ``theme(builder(*args, **kwargs))`` in ``where`` (default: the page).

    The Vega-Lite spec (with its data as Arrow, exactly what ``st.altair_chart`` sends) is cached by the
    builder's name and arguments, so a rerun that shows the same chart again (another tab's filter, a
    download click, a return to a filter value) skips building and validating the Altair objects, which
    was most of a page's rerun time. Frames are keyed as the page caches key them (``frame_fingerprint``).
    """
    spec = _chart_spec(f"{builder.__module__}.{builder.__qualname__}", builder, args, kwargs, properties)
    (where if where is not None else st).vega_lite_chart(spec=spec, width=st_width)


@st.cache_data(show_spinner=False, max_entries=2000, ttl=6 * 3600, hash_funcs={pd.DataFrame: frame_fingerprint})
def _chart_spec(name: str, _builder: Callable[..., Any], args: tuple, kwargs: dict, properties: dict | None) -> dict:
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec  # what st.altair_chart sends

    chart = _builder(*args, **kwargs)
    if properties:
        chart = chart.properties(**properties)
    return _convert_altair_to_vega_lite_spec(theme(chart))


# ------------------------------------------------------------------ downloads
def download_table(frame: pd.DataFrame, name: str, key: str, csv: bool = True) -> None:
    """Excel (and CSV) download of exactly what the table shows; formula injection neutralised.

    The files are built only when the button is clicked (a callable), not on every rerun: writing a
    100,000-row workbook for each of a page's tables made every filter change take seconds.
    """
    cols = st.columns(2 if csv else 1)
    cols[0].download_button(t("app.download_xlsx"), data=lambda: to_xlsx_bytes({name[:31]: frame}), file_name=f"{name}.xlsx", mime=XLSX_MIME,
                            key=f"{key}.xlsx", icon=":material/download:", on_click="ignore")
    if csv:
        cols[1].download_button(t("app.download_csv"), data=lambda: to_csv_bytes(frame), file_name=f"{name}.csv", mime="text/csv",
                                key=f"{key}.csv", icon=":material/download:", on_click="ignore")


# ------------------------------------------------------------------ privacy
def mask_ids(series: pd.Series) -> pd.Series:
    """Patient IDs masked when the sidebar switch is on (default): keep the first 2 and last 1 characters."""
    if not st.session_state.get("mask_ids", True):
        return series
    text = series.astype("str")
    return text.where(text.str.len() <= 3, text.str[:2] + "＊＊＊" + text.str[-1:])
