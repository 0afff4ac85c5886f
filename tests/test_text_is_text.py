"""Text from a file is shown as text (SPEC 7, issue 14 item 8): file names, headers and values carrying Markdown,
Streamlit colour directives, LaTeX, HTML and an image link reach every page, and every Markdown-rendering element
(markdown, caption, headers, alerts, metric / widget / expander labels, help texts) holds them escaped by
``ui.widgets.plain``; no element holds an unescaped image link."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from conftest import APP, page_elements
from test_app import EXISTING_PAGES
from test_sweep import as_csv, demo_frame

from kpi.schemas import KINDS, field_specs

HOSTILE = "**bold** :red[x] $x^2$ <b>h</b> ![](http://example.invalid/x.png)"
# what each piece must look like in an element's Markdown source
ESCAPED = ["\\*\\*bold\\*\\*", "\\:red\\[x\\]", "\\$x^2\\$", "\\<b\\>h\\</b\\>", "!\\[\\](http\\://example.invalid/x.png)"]
# a piece not preceded by the backslash of its escape: it would render
UNESCAPED = [re.compile(p) for p in (r"(?<!\\)\*\*bold", r"(?<!\\):red\\?\[x", r"(?<!\\)\$x\^2", r"(?<!\\)<b>", r"!\[\]\(")]
NOT_MARKDOWN = {"dataframe", "code", "json", "arrow_data_frame", "vega_lite_chart", "table"}


def test_plain_escapes_every_piece():
    from ui.widgets import plain

    assert plain(HOSTILE) == " ".join(ESCAPED)
    assert plain(":smile: :material/home:") == "\\:\u2060smile\\: \\:\u2060material/home\\:"  # no emoji, no icon
    assert plain("1. a") == "1\\. a" and plain("# a") == "\\# a" and plain("- a") == "\\- a"  # no list or heading
    assert plain("10:30") == "10\\:\u206030" and plain("a:b c") == "a\\:b c"  # a joiner only where a shortcode may be
    assert plain("a\n\nb") == "a  b" and plain(None) == "" and plain(12) == "12"
    assert plain("a\\*") == "a\\\\\\*"  # a backslash of the file is a backslash


def recent_visits() -> pd.DataFrame:
    """Every demo visit of the last six months (not a sample): the clinic page's early warnings, which name their
    clinic, need the real month-on-month story to fire."""
    from test_sweep import DEMO, SAMPLE
    from kpi.load import load

    frame = load((SAMPLE / DEMO["visits"]).read_bytes(), DEMO["visits"]).frame
    return frame[frame["visit_on"] >= frame["visit_on"].max() - pd.Timedelta(days=183)].reset_index(drop=True)


def hostile_files() -> list[tuple[str, bytes, str]]:
    """The demo data of every kind with the hostile text before every text value (IDs stay distinct), one more column
    named by it, the file named by it; and a visits status label the app does not know (the mapping screen's
    values form lists it)."""
    files = []
    for kind in KINDS:
        frame = demo_frame(kind).copy() if kind != "visits" else recent_visits()
        for spec in field_specs(kind):
            if spec.kind == "text" and spec.name in frame.columns:
                frame[spec.name] = (HOSTILE + " " + frame[spec.name].astype("string")).where(frame[spec.name].notna())
        data = as_csv(frame)
        text = pd.read_csv(pd.io.common.BytesIO(data), dtype=str, keep_default_na=False)
        text[HOSTILE] = "v"
        if kind == "visits":
            text.loc[:2, "status"] = HOSTILE
        files.append((f"{HOSTILE} {kind}.csv", text.to_csv(index=False).encode("utf-8"), "text/csv"))
    return files


def markdown_texts(element) -> list[str]:
    """The texts of one element that Streamlit renders as Markdown."""
    kind = getattr(element, "type", None)
    if kind in NOT_MARKDOWN:
        return []
    texts = []
    value = getattr(element, "value", None)
    if isinstance(value, str) and kind not in ("text_input", "text_area", "selectbox", "radio", "multiselect"):
        texts.append(value)
    for attr in ("label", "help", "body"):
        try:
            text = getattr(element, attr, None)
        except Exception:  # noqa: BLE001 - an element without it
            text = None
        if isinstance(text, str):
            texts.append(text)
    return texts


def check(node, where: str) -> int:
    """Fails on any unescaped piece; answers how many element texts held the hostile text (escaped)."""
    hits = 0
    for element in page_elements(node):
        for text in markdown_texts(element):
            for pattern in UNESCAPED:
                assert not pattern.search(text), (where, getattr(element, "type", None), text)
            if "bold" in text:
                hits += 1
                assert all(piece in text for piece in ESCAPED), (where, getattr(element, "type", None), text)
    return hits


@pytest.fixture
def hostile_app():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.sidebar.file_uploader[0].set_value(hostile_files()).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_text_from_a_file_is_escaped_on_every_page(hostile_app):
    at = hostile_app
    assert set(at.session_state["frames"]) == set(KINDS)
    assert check(at.sidebar, "sidebar") >= len(KINDS)  # one caption per file, with its name
    seen = {}
    for page in EXISTING_PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        check(at.sidebar, page)
        seen[page] = check(at.main, page)
    # the data page names each file and its extra column (and the unknown status label in the values form)
    assert seen["app_pages/data.py"] >= 2 * len(KINDS) + 1, seen
    assert seen["app_pages/clinic.py"] >= 1, seen  # an early warning names its clinic
    # the regions page's drill-down: an account's leads and a lead's timeline are titled by them
    at.switch_page("app_pages/regions.py").run()
    account = next(a for a in at.selectbox(key="regions.account").options if "bold" in a)
    at.selectbox(key="regions.account").set_value(account).run()
    assert not at.exception, [e.value for e in at.exception]
    assert check(at.main, "regions account") >= 1
