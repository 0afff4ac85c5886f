"""Shared widgets: KPI tile with RAG and confidence badges, downloads, empty states, formatting, ID masking."""
from __future__ import annotations

import re
from typing import Any, Callable

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from kpi.export import to_csv_bytes, to_xlsx_bytes
from ui.charts import theme
from ui.data import frame_fingerprint
from ui.i18n import lang, t

RAG_BADGE = {"green": ("green", "●"), "yellow": ("orange", "▲"), "red": ("red", "■")}
CONFIDENCE_COLOR = {"high": "green", "medium": "orange", "low": "red"}
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ------------------------------------------------------------------ text from a file
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>$~|&:])")
# an (escaped) colon opening an emoji / icon shortcode (:smile:, :material/home:, :streamlit:), also one whose closing
# colon may come from the text around it: Streamlit's emoji and icon plugins read text nodes, after the escapes
_SHORTCODE = re.compile(r"(?<=\\:)(?=[\w+\-]+(?:\\:|$)|material/|streamlit\\:)")
_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+(?=[.)]))")
WORD_JOINER = "\u2060"  # invisible; splits ':' from the name after it so no shortcode matches


def plain(text: Any) -> str:
    """Text from a file (a file name, header, account, clinic, staff or institution name, note, sample value) made
    safe to put into anything Streamlit renders as Markdown (st.markdown / caption / subheader / info…, widget and
    metric labels, expander labels, t() parameters): shown literally, never as bold, colour (``:red[x]``), emoji or
    icon (``:smile:``, ``:material/x:``), LaTeX (``$x$``), HTML or an image link (``![](http://…)`` would make the
    browser fetch the URL). Markdown's backslash escapes (a shortcode's colon also gets an invisible word joiner),
    newlines as spaces. Not for st.dataframe cells or selectbox / multiselect options: those are plain text already
    (SPEC 7: text from a file is shown as text)."""
    if text is None:
        return ""
    out = " ".join(str(text).splitlines())
    out = _MD_SPECIAL.sub(r"\\\1", out)
    out = _SHORTCODE.sub(WORD_JOINER, out)
    # a list / heading / quote marker at the start of the text ("1. ", "# ", "- ", "> ")
    return _LINE_START.sub(lambda m: m.group(1) + (m.group(2) + "\\" if m.group(2)[0].isdigit() else "\\" + m.group(2)), out)


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


def fmt_yen(value: float | None, language: str | None = None) -> str:
    """¥ as each language reads large amounts: Japanese with 万 (¥1,234万), English with k / M / B (¥120k, ¥12.3M,
    ¥1.59B); below ¥10,000 (English) or ¥1,000,000 (Japanese) the full amount (¥9,800)."""
    if is_missing(value):
        return "n/a"
    size = abs(value)
    if (language or lang()) == "en":
        for unit, scale, digits in (("B", 1e9, 2), ("M", 1e6, 1), ("k", 1e3, 0)):
            if size >= 10_000 and round(size / scale, digits) >= 1:  # ¥999,999 is ¥1.0M, not ¥1,000k
                return f"{'-' if value < 0 else ''}¥{size / scale:,.{digits}f}{unit}"
        return f"{'-' if value < 0 else ''}¥{size:,.0f}"
    if size >= 1_000_000:
        return f"¥{value / 10_000:,.0f}万"
    return f"¥{value:,.0f}"


def join_list(items, language: str | None = None) -> str:
    """Items of a sentence joined as each language writes them: 「A、B」 / "A, B"."""
    return ("、" if (language or lang()) == "ja" else ", ").join(str(i) for i in items)


def delta_number(value: float | None, digits: int = 1) -> float | None:
    """A change as a number for tables and downloads, rounded to what is shown, never a negative zero."""
    if is_missing(value):
        return None
    return round(float(value), digits) + 0.0  # + 0.0 turns -0.0 into 0.0


def fmt_kpi(unit: str, value: float | None) -> str:
    """A registry KPI's value in its unit (kpi.registry UNITS): rates as %, yen as ¥, ratios with two decimals,
    scores with one decimal, months / days with one and their unit (10.0か月), minutes whole with 分 / min, counts
    whole; "n/a" when absent. One place for every page."""
    if is_missing(value):
        return "n/a"
    if unit == "rate":
        return fmt_pct(value)
    if unit == "yen":
        return fmt_yen(value)
    if unit == "ratio":
        return fmt_num(value, 2)
    if unit in ("months", "days"):
        return t(f"unit.{unit}", v=fmt_num(value, 1))
    if unit == "minutes":
        return t("unit.minutes", v=fmt_num(value))
    if unit == "score":
        return fmt_num(value, 1)
    return fmt_num(value)


def fmt_kpi_delta(unit: str, delta: float | None) -> str | None:
    """The change of a registry KPI between two weeks, signed: rates in points, counts whole, the rest one decimal."""
    if is_missing(delta):
        return None
    if unit == "rate":
        return fmt_signed(delta * 100, 1, "pt")
    return fmt_signed(delta, 0 if unit in ("count", "yen", "minutes") else 1)


def fmt_signed(value: float | None, digits: int = 1, unit: str = "") -> str | None:
    """A change with its sign: '+0.5pt', '-1.2pt'; one that rounds to zero is '±0.0pt' (never '-0.0pt').
    ``kpi_tile`` draws a '±' delta grey and without an arrow."""
    if is_missing(value):
        return None
    number = delta_number(value, digits)
    text = f"{number:+,.{digits}f}"  # thousands separated: +689,700
    return ("±" + text[1:] if round(number, digits) == 0 else text) + unit


def fmt_delta_pct_points(now: float | None, before: float | None) -> str | None:
    if is_missing(now) or is_missing(before):
        return None
    return fmt_signed((now - before) * 100, 1, "pt")


def delta_pct_points(now: float | None, before: float | None) -> float | None:
    """The change of a rate in percentage points as a number (0.5 for +0.5pt): what a table column holds."""
    if is_missing(now) or is_missing(before):
        return None
    return delta_number((now - before) * 100, 1)


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
             help: str | None = None, delta_color: str = "normal", border: bool = True, meta: str | None = None,
             trend: list[float] | None = None, trend_note: str | None = None) -> None:
    """One headline number: st.metric, then its RAG and confidence badges on one line (reasons on hover).
    ``meta``: the registry's layer · cadence · owner line; ``trend``: the KPI over the stored weeks (a sparkline),
    with ``trend_note`` (last week and four weeks ago)."""
    unchanged = isinstance(delta, str) and delta.startswith("±")  # fmt_signed's zero: grey, no arrow
    with st.container(border=border):
        if meta:
            st.caption(meta)
        st.metric(label, value, delta=delta, help=help, delta_color="off" if unchanged else delta_color,
                  delta_arrow="off" if unchanged else "auto",
                  chart_data=trend if trend and len(trend) >= 2 else None, chart_type="line")
        if trend_note:
            st.caption(trend_note)
        badge, help_text = confidence_parts(confidence)
        line = " ".join(p for p in (rag_badge_md(rag), badge) if p)
        if line:
            st.markdown(line, help=help_text)


def registry_tile(view: Any, trend: list[float] | None = None, trend_note: str | None = None, border: bool = True) -> None:
    """A registry KPI's tile (``kpi.registry.TileView``): the team's name, layer · cadence · owner, the value in its
    unit with its change, RAG and 信頼度, the definition and target on hover, and — when the value is n/a for lack
    of a column — which column would enable it. One renderer for every page."""
    from kpi.messages import TILE_TEXT

    side = 0 if lang() == "ja" else 1
    help_text = view.definition
    if view.target is not None:
        which = "target" if view.direction == "up" else "target_max"
        help_text += "  \n" + TILE_TEXT[which][side].format(target=fmt_kpi(view.unit, view.target))
    kpi_tile(view.label, fmt_kpi(view.unit, view.value), fmt_kpi_delta(view.unit, view.delta), rag=view.rag,
             confidence=view.confidence, help=help_text, delta_color="normal" if view.direction == "up" else "inverse",
             border=border, meta=view.meta, trend=trend, trend_note=trend_note)
    if view.value is None and view.missing:
        from kpi.registry import BY_KEY, input_hint

        missing_column_note(join_list(input_hint(BY_KEY[view.key].dataset, c) for c in view.missing))


def registry_tiles(views: Any, per_row: int = 4, grouped: bool = True) -> None:
    """Tiles in rows, grouped by the team's layers (結果, then 手前, 習慣) with the layer's name above each group."""
    from kpi.registry import by_layer
    from kpi.messages import LAYER_LABELS

    side = 0 if lang() == "ja" else 1
    groups = by_layer(tuple(views)) if grouped else [(None, list(views))]
    for layer, group in groups:
        if layer is not None:
            st.markdown(f"**{LAYER_LABELS[layer][side]}**")
        for start in range(0, len(group), per_row):
            for col, view in zip(st.columns(per_row), group[start:start + per_row]):
                with col:
                    registry_tile(view)


def missing_column_note(column: str) -> None:
    st.caption("ⓘ " + t("app.column_enables", column=column))


def empty_state() -> None:
    st.info(t("app.empty_filter"))


# ------------------------------------------------------------------ charts
def show_chart(builder: Callable[..., Any], *args: Any, where: Any = None, st_width: str | int | None = "stretch",
               properties: dict | None = None, png: bool | str = True, **kwargs: Any) -> None:
    """Draw ``theme(builder(*args, **kwargs))`` in ``where`` (default: the page).

    The Vega-Lite spec (with its data as Arrow, exactly what ``st.altair_chart`` sends) is cached by the
    builder's name and arguments, so a rerun that shows the same chart again (another tab's filter, a
    download click, a return to a filter value) skips building and validating the Altair objects, which
    was most of a page's rerun time. Frames are keyed exactly as the page caches key them (``frame_fingerprint``:
    the file they were parsed from, the cached computation that made them, or else every cell).

    Every chart gets a "PNGで保存" button (issue 15: every chart downloadable as PNG; ``png`` a file name, or False for
    none); the PNG is rendered only when it is clicked (ui.chart_png).
    """
    name = f"{builder.__module__}.{builder.__qualname__}"
    spec = _chart_spec(name, builder, args, kwargs, properties)
    (where if where is not None else st).vega_lite_chart(spec=spec, width=st_width)
    if png:
        from ui.chart_png import png_download
        from ui.data import _call_key

        key = f"png.{_call_key(name, args, kwargs)[:20]}"
        ctx = get_script_run_ctx()
        used = getattr(ctx, "widget_ids_this_run", None) if ctx is not None else None
        n = 1
        while used is not None and any(key in w for w in used):  # the same chart twice on a page: a second key
            key, n = f"{key.split('~')[0]}~{n}", n + 1
        file_name = png if isinstance(png, str) else builder.__name__
        png_download(builder, *args, name=file_name, key=key, where=where, **kwargs)


@st.cache_data(show_spinner=False, max_entries=2000, ttl=6 * 3600, hash_funcs={pd.DataFrame: frame_fingerprint})
def _chart_spec(name: str, _builder: Callable[..., Any], args: tuple, kwargs: dict, properties: dict | None) -> dict:
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec  # what st.altair_chart sends

    chart = _builder(*args, **kwargs)
    if properties:
        chart = chart.properties(**properties)
    return _convert_altair_to_vega_lite_spec(theme(chart))


# ------------------------------------------------------------------ tables
MISSING = "—"  # what a table shows in an empty cell (Streamlit's default is a grey "None")


def pct_column(label: str | None = None, digits: int = 1, **kwargs: Any) -> dict:
    """A column of rates (0.735) shown as percents with one precision everywhere: 73.5% and 54.0%, not 73.52% and 54%
    (Streamlit's "percent" format takes its decimals from ``step``)."""
    return st.column_config.NumberColumn(label, format="percent", step=10 ** -(digits + 2), **kwargs)


def delta_column(label: str | None = None, digits: int = 1, unit: str = "", **kwargs: Any) -> dict:
    """A column of signed changes kept as numbers (0.5, not the text '+0.5pt'): '+0.5' on screen, 0.5 in the files."""
    return st.column_config.NumberColumn(label, format=f"%+.{digits}f{unit}", **kwargs)


def table_config(frame: pd.DataFrame, column_config: dict | None = None) -> dict:
    """Column formats of a shown table: every number column with thousands separators (1,497, not 1497) unless the
    caller gave it a format; the caller's other settings (label, width, another column type) win."""
    config = dict(column_config or {})
    for col, dtype in frame.dtypes.items():  # (a frame may repeat a header)
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            continue
        base = st.column_config.NumberColumn(format="localized")
        mine = config.get(col, {})
        if isinstance(mine, str):
            mine = st.column_config.Column(mine)
        if not isinstance(mine, dict):  # None: the column is hidden
            continue
        typed = mine.get("type_config") or {}
        if typed.get("type", "number") != "number":  # e.g. a date or progress column: as given
            continue
        merged = {**base, **{k: v for k, v in mine.items() if v is not None and k != "type_config"}}
        merged["type_config"] = {**base["type_config"], **{k: v for k, v in typed.items() if v is not None}}
        config[col] = merged
    return config


def _rounded_to_step(frame: pd.DataFrame, config: dict) -> pd.DataFrame:
    """The shown copy of a frame whose columns have a ``step`` (``pct_column``): Streamlit truncates a value to its
    step (0.672857 → 67.2%), so it gets the value rounded first (0.673 → 67.3%, as the tiles round it)."""
    rounded = {}
    for col, dtype in frame.dtypes.items():
        step = ((config.get(col) or {}).get("type_config") or {}).get("step") if isinstance(config.get(col), dict) else None
        if step and step < 1 and pd.api.types.is_float_dtype(dtype):
            rounded[col] = len(f"{step:f}".rstrip("0").split(".")[1])
    if not rounded or frame.columns.has_duplicates:
        return frame
    return frame.round(rounded)


def data_table(frame: pd.DataFrame, key: str | None = None, column_config: dict | None = None, download: str | None = None,
               download_key: str | None = None, csv: bool = True, **kwargs: Any) -> None:
    """Every table of every page: ``st.dataframe`` with empty cells shown as "—" (never "None"), numbers with
    thousands separators (``table_config``), no index, full width; and, with ``download`` (a file name), the
    Excel / CSV downloads of exactly this frame."""
    kwargs.setdefault("hide_index", True)
    kwargs.setdefault("width", "stretch")
    config = table_config(frame, column_config)
    st.dataframe(_rounded_to_step(frame, config), key=key, column_config=config, placeholder=MISSING, **kwargs)
    if download:
        download_table(frame, download, key=download_key or f"{key or download}.dl", csv=csv)


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
    """Patient IDs masked when the sidebar switch is on (default): keep the first 2 and last 1 characters; an ID of
    1–3 characters is hidden whole (＊＊＊), since its first 2 and last 1 would be all of it. Missing stays missing."""
    if not st.session_state.get("mask_ids", True):
        return series
    text = series.astype("str")
    return (text.str[:2] + "＊＊＊" + text.str[-1:]).where(text.str.len() > 3, "＊＊＊").where(series.notna())


def mask_samples(values: list[str]) -> list[str]:
    """Sample values of a file's column on the mapping screen, under the same switch as IDs: the first character
    only (P000123 → P＊＊＊); a value of 1–3 characters is hidden whole. Before mapping nobody knows which column
    holds the patient ID, name or phone, so a whole visits file's samples are masked this way (ui/mapping.py)."""
    if not st.session_state.get("mask_ids", True):
        return list(values)
    return ["＊＊＊" if len(str(v)) <= 3 else str(v)[:1] + "＊＊＊" for v in values]


def mask_names(series: pd.Series) -> pd.Series:
    """Patient names, under the same switch as IDs: the first character only (山田 太郎 → 山＊＊; a one-character
    name is hidden whole). The length is not shown."""
    if not st.session_state.get("mask_ids", True):
        return series
    text = series.astype("str").str.strip()
    return text.where(text.str.len() <= 1, text.str[:1] + "＊＊").where(text.str.len() != 1, "＊＊")


def mask_phones(series: pd.Series) -> pd.Series:
    """Phone numbers, under the same switch as IDs: the last 4 digits only (06-1234-5678 → ＊＊＊＊5678); a number
    of 4 digits or fewer is hidden whole."""
    if not st.session_state.get("mask_ids", True):
        return series
    digits = series.astype("str").str.replace(r"\D", "", regex=True)
    return ("＊＊＊＊" + digits.str[-4:]).where(digits.str.len() > 4, "＊＊＊＊").where(series.notna())
