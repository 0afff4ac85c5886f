"""Charts as PNG files: render an Altair chart to PNG bytes (vl-convert, no browser) and offer it as a download.

``chart_png(chart)`` is used by the weekly PDF too (``kpi.pdf`` takes PNG bytes). ``png_download`` builds the PNG
only when the button is clicked, so a page with six charts pays nothing on a rerun.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import altair as alt

from ui.charts import theme

FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto", "/usr/share/fonts")


@lru_cache(maxsize=1)
def _converter():
    """vl_convert with the system's CJK fonts registered (Noto Sans CJK JP where installed); without them the
    chart still renders, in the default font (a kanji then shows as a box: say so where the PNG is offered)."""
    import vl_convert as vlc

    for folder in FONT_DIRS:
        if Path(folder).is_dir():
            try:
                vlc.register_font_directory(folder)
            except Exception:  # noqa: BLE001 - a font folder the converter cannot read is not fatal
                continue
            break
    return vlc


def chart_png(chart: alt.TopLevelMixin, scale: float = 2.0, width: int | None = None) -> bytes:
    """PNG bytes of an Altair chart with the app's theme (Japanese font, sizes). ``width``: pixels for a chart whose
    width Streamlit would otherwise stretch to its column."""
    if width is not None:
        chart = chart.properties(width=width)
    return _converter().vegalite_to_png(theme(chart).to_json(), scale=scale)


def png_download(builder: Callable[..., Any], *args: Any, name: str, key: str, where: Any = None, label: str | None = None,
                 width: int = 640, **kwargs: Any) -> None:
    """A "PNG" download button for ``builder(*args, **kwargs)`` (the same builder and arguments ``show_chart`` drew)."""
    import streamlit as st

    from ui.i18n import t

    (where if where is not None else st).download_button(
        label or t("chart.download_png"), data=lambda: chart_png(builder(*args, **kwargs), width=width), file_name=f"{name}.png",
        mime="image/png", key=key, icon=":material/image:", on_click="ignore")


def show_chart_png(builder: Callable[..., Any], *args: Any, name: str, key: str | None = None, where: Any = None, **kwargs: Any) -> None:
    """``ui.widgets.show_chart`` with its PNG file named ``name`` (every chart has its PNG button; ``key`` is kept
    for the callers that name one and is not needed)."""
    from ui.widgets import show_chart

    st_width = kwargs.pop("st_width", "stretch")
    show_chart(builder, *args, where=where, st_width=st_width, png=name, **kwargs)
