"""Issue 12: page results are keyed exactly (file digest, filters, targets), so an edit anywhere in a file shows.

The app, as a user meets it (AppTest, the real file uploader): a 10,001-row leads file is uploaded and the funnel
page shows its numbers; the same file with one cell changed in data row 10,000 (a lead's status, lost -> open) is
uploaded and the page's 停滞 (stalled leads) tile changes; uploading the unchanged file again is answered from the
caches (nothing is parsed or computed again).
"""
from __future__ import annotations

import pytest

from conftest import APP

ROWS = 10_001
EDITED_ROW = 10_000  # data row 10,000 (Excel/CSV line 10,001): far from any 256-row sample of 10,001 rows


def leads_csv(open_row: int | None = None) -> bytes:
    """Leads, all lost except every 1000th (rows 500, 1500…: open, and old enough to be stalled); ``open_row`` opens one more."""
    lines = ["lead_id,created_at,region,status,amount_yen"]
    for i in range(1, ROWS + 1):
        status = "open" if i == open_row or i % 1000 == 500 else "lost"
        lines.append(f"L{i:05d},2026/{(i % 6) + 4:02d}/{(i % 27) + 1:02d},osaka,{status},100000")  # Apr–Sep: this fiscal year
    return ("\n".join(lines) + "\n").encode()


def stalled_tile(at) -> str:
    from kpi.registry import BY_KEY

    label = BY_KEY["stalled_count"].label[0]  # the funnel's tile carries the registry's name (停滞案件数)
    values = [m.value for m in at.metric if m.label == label]
    assert values, [m.label for m in at.metric]
    return "".join(ch for ch in values[0] if ch.isdigit())


@pytest.fixture
def counted(monkeypatch):
    """How often the file parser and the funnel's table really ran (cache misses)."""
    import kpi.funnel
    import ui.data

    calls = {"parse": 0, "funnel_table": 0}
    parse, table = ui.data._parse, kpi.funnel.funnel_table

    def counting_parse(*args, **kwargs):
        calls["parse"] += 1
        return parse(*args, **kwargs)

    def counting_table(*args, **kwargs):
        calls["funnel_table"] += 1
        return table(*args, **kwargs)

    monkeypatch.setattr(ui.data, "_parse", counting_parse)
    monkeypatch.setattr(kpi.funnel, "funnel_table", counting_table)
    return calls


def test_one_cell_in_row_10000_changes_the_page_and_an_unchanged_reload_hits_the_cache(counted):
    from streamlit.testing.v1 import AppTest

    original, edited = leads_csv(), leads_csv(open_row=EDITED_ROW)
    assert len(original) == len(edited) and original != edited
    assert original.splitlines()[EDITED_ROW] != edited.splitlines()[EDITED_ROW]  # line 0 is the header
    assert sum(a != b for a, b in zip(original.splitlines(), edited.splitlines())) == 1

    at = AppTest.from_file(APP, default_timeout=120).run()
    at.sidebar.file_uploader[0].set_value(("leads.csv", original, "text/csv")).run()
    at.switch_page("app_pages/funnel.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.session_state["frames"]["leads"]) == ROWS
    before = stalled_tile(at)
    assert before == "10"

    at.sidebar.file_uploader[0].set_value(("leads.csv", edited, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    after = stalled_tile(at)
    assert after == "11" != before  # the edited cell shows on the page

    parsed, computed = counted["parse"], counted["funnel_table"]
    assert parsed >= 2 and computed >= 2  # both files were parsed and computed (the counters see the app's calls)
    at.sidebar.file_uploader[0].set_value(("leads.csv", original, "text/csv")).run()
    assert not at.exception
    assert stalled_tile(at) == before
    # the original file again (a new upload of the same bytes): parsed again only if the session dropped it, and
    # the page's numbers come from the cache keyed by the file's digest
    assert counted["funnel_table"] == computed
    at.run()  # a plain rerun: nothing parsed, nothing computed
    assert stalled_tile(at) == before
    assert counted["parse"] <= parsed + 1 and counted["funnel_table"] == computed


def test_targets_are_a_cache_key_themselves():
    import dataclasses

    from kpi.targets import Targets
    from ui.data import value_key

    base = Targets()
    assert hash(base) == hash(Targets()) and value_key(base) == value_key(Targets())
    stricter = dataclasses.replace(base, stall_days={**base.stall_days, "lead": 7})
    assert hash(stricter) != hash(base) and value_key(stricter) != value_key(base)
    assert Targets.from_json(stricter.to_json()) == stricter
    with pytest.raises(TypeError):
        base.stall_days["lead"] = 1  # type: ignore[index]


def test_uploads_are_parsed_into_their_own_session_only_and_bounded():
    """Issue 14: an upload's parsed rows live in its session's state (freed with it), not in a process-wide cache
    another session could reach; a rerun reuses them (the same frame, so page caches hit); a session keeps a
    bounded number of parsed files."""
    from streamlit.testing.v1 import AppTest

    def page():
        import streamlit as st

        import ui.data as d

        files = st.session_state.get("files_to_load", [])
        st.session_state["frames_seen"] = [id(d.load_file(data, name, f"upload-{i}").result.frame) for i, (name, data) in enumerate(files)]

    files = [(f"visits_{i}.csv", f"患者ID,来院日\nP{i},2026/11/01\n".encode()) for i in range(10)]
    a = AppTest.from_function(page)
    a.session_state["files_to_load"] = files[:1]
    a.run()
    first = a.session_state["frames_seen"]
    a.run()
    assert a.session_state["frames_seen"] == first  # a rerun: the very same parsed frame
    b = AppTest.from_function(page)
    b.session_state["files_to_load"] = files[:1]
    b.run()
    assert b.session_state["parsed_files"] is not a.session_state["parsed_files"]
    assert not a.exception and not b.exception
    from ui import data as ui_data

    assert ui_data._load_cached._info is not None  # (the demo files' process-wide cache still exists)
    a.session_state["files_to_load"] = files
    a.run()
    assert not a.exception
    assert len(a.session_state["parsed_files"]) == ui_data.SESSION_FILES_MAX
    assert [k[1] for k in a.session_state["parsed_files"]] == [name for name, _ in files[-ui_data.SESSION_FILES_MAX:]]
