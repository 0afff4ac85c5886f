"""The tiles on every page come from the registry (issue 12): each page's headline KPIs (kpi.registry.PAGE_TILES)
are on that page as tiles named as the registry names them, in Japanese and in English, on the demo data."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from conftest import APP
from kpi import registry


def tile_labels(page: str, lang: str) -> set[str]:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.session_state["lang"] = lang  # one language per session (AppTest keeps select boxes' formatted values)
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return {m.label for m in at.metric}


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("page", sorted(registry.PAGE_TILES))
def test_each_headline_kpi_is_a_tile_on_its_page(page, lang):
    shown = tile_labels(page, lang)
    side = 0 if lang == "ja" else 1
    missing = {key: registry.BY_KEY[key].label[side] for key in registry.PAGE_TILES[page]
               if registry.BY_KEY[key].label[side] not in shown}
    assert not missing, f"{page} ({lang}) lacks these registry tiles: {missing}"


def test_registry_names_are_unique_per_language():
    """A tile is found by its name, so no two KPIs share one (in either language)."""
    for side in (0, 1):
        names = [k.label[side] for k in registry.REGISTRY]
        assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})


@pytest.mark.parametrize("page", ["funnel", "clinic", "habits", "weekly", "onboarding", "referrals", "adoption", "regions"])
def test_every_chart_has_a_png_download(page):
    """Issue 15: every chart is downloadable as PNG (ui.widgets.show_chart adds the button; the PNG is made on click)."""
    from conftest import page_elements

    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception
    elements = page_elements(at.main)
    charts = [e for e in elements if getattr(e, "type", "") == "vega_lite_chart"]
    buttons = [e for e in elements if getattr(e, "type", "") == "download_button" and "PNG" in e.proto.label]
    assert charts and len(buttons) == len(charts), (len(charts), len(buttons))


def test_a_chart_png_is_a_png_with_the_chart():
    import altair as alt
    import pandas as pd

    from ui.chart_png import chart_png

    png = chart_png(alt.Chart(pd.DataFrame({"x": ["商談", "PoC"], "y": [3, 5]})).mark_bar().encode(x="x", y="y"))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000
