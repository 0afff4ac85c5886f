"""先週からの動き (app_pages/memory.py) in AppTest: the demo's in-memory history, two uploaded files with one marked as
last week's, and a real workspace file that keeps a saved week across sessions (issue 13)."""
from __future__ import annotations

import io

import pandas as pd

from conftest import APP, SAMPLE

from kpi import moves as mv
from kpi.load import load

PAGE = "app_pages/memory.py"


def _app(files=None, timeout=180):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    if files:
        at.sidebar.file_uploader[0].set_value(files).run()
    return at


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_demo_history_shows_moves_stuck_deals_and_trends_without_writing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    at = _app()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = _metrics(at)
    # the demo's last two weeks: the same numbers as kpi.moves on the weekly demo snapshots
    from sample_data.weekly import weekly_snapshots

    snaps = weekly_snapshots()
    expected = mv.compare(snaps[-2].frame, snaps[-1].frame, snaps[-2].as_of, snaps[-1].as_of)
    assert metrics["前進"] == f"{expected.forward:,}" and metrics["後退"] == f"{expected.backward:,}"
    assert metrics["新規"] == f"{expected.new:,}" and metrics["消えた"] == f"{expected.vanished:,}"
    assert int(metrics["動いていない案件"].replace(",", "")) > 0
    assert "商談化率" in metrics  # a trend tile of the stored weeks
    assert list(tmp_path.iterdir()) == []  # demo mode writes nothing


def _leads_csv(rows) -> bytes:
    frame = pd.DataFrame(rows, columns=["リードID", "取引先", "担当者", "リード日", "接触日", "商談日"])
    return frame.to_csv(index=False).encode("utf-8")


THIS_WEEK = [("L1", "A病院", "佐藤", "2026/11/01", "2026/11/03", "2026/11/20"), ("L2", "B病院", "鈴木", "2026/11/01", "2026/11/05", ""),
             ("L3", "C病院", "高橋", "2026/11/10", "", ""), ("L5", "E病院", "田中", "2026/11/19", "", "")]
LAST_WEEK = [("L1", "A病院", "佐藤", "2026/11/01", "2026/11/03", ""), ("L2", "B病院", "鈴木", "2026/11/01", "2026/11/05", ""),
             ("L3", "C病院", "高橋", "2026/11/10", "", ""), ("L4", "D病院", "伊藤", "2026/11/02", "", "")]


def test_last_weeks_file_marked_on_the_page_gives_the_moves():
    at = _app([("this_week.csv", _leads_csv(THIS_WEEK), "text/csv")])
    at.switch_page(PAGE).run()
    assert not at.exception
    at.segmented_control(key="memory.source").set_value("file").run()
    at.file_uploader(key="memory.last_week_upload").set_value(("last_week.csv", _leads_csv(LAST_WEEK), "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = _metrics(at)
    assert metrics["前進"] == "1" and metrics["変化なし"] == "2" and metrics["新規"] == "1" and metrics["消えた"] == "1"
    # this week's frame stays the one of the sidebar (the last week's file is not added to the week's data)
    assert len(at.session_state["frames"]["leads"]) == 4


def test_a_saved_week_survives_a_new_session(tmp_path):
    store_path = tmp_path / "client_a.duckdb"
    for week_rows, name in ((LAST_WEEK, "last.csv"), (THIS_WEEK, "this.csv")):
        at = _app([(name, _leads_csv(week_rows), "text/csv")])
        at.session_state["workspace.on"] = True
        at.session_state["workspace.path"] = str(store_path)
        at.run()
        at.switch_page(PAGE).run()
        at.button(key="memory.save").click().run()
        assert not at.exception, [e.value for e in at.exception]
    assert store_path.exists() and (store_path.stat().st_mode & 0o777) == 0o600
    # a fresh session on the same workspace: both weeks listed, moves between them
    at = _app([("this.csv", _leads_csv(THIS_WEEK), "text/csv")])
    at.session_state["workspace.on"] = True
    at.session_state["workspace.path"] = str(store_path)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    weeks = at.dataframe[-1].value
    assert sorted(weeks.iloc[:, 0].astype(str)) == ["2026-11-10", "2026-11-20"]
    assert _metrics(at)["前進"] == "1"
    # forget a week
    at.selectbox(key="memory.forget_pick").set_value(sorted({w for w in weeks.iloc[:, 0]})[0]).run()
    at.button(key="memory.forget_btn").click().run()
    assert len(at.dataframe[-1].value) == 1


def test_weekly_review_stores_an_action_and_opens_next_week_on_it(tmp_path):
    """SPEC 5 actions: raised in one week's review (stored in the workspace), next week's review opens on it; Done
    closes it; the workbook carries the stored actions with their status."""
    import datetime as dt

    import openpyxl

    store_path = tmp_path / "ws.duckdb"
    leads = [(f"L{i}", "A病院", "佐藤", "2026/11/01", "2026/11/03", "2026/11/20" if i % 3 == 0 else "") for i in range(12)]

    def session():
        at = _app([("leads.csv", _leads_csv(leads), "text/csv")])
        at.session_state["workspace.on"] = True
        at.session_state["workspace.path"] = str(store_path)
        at.run()
        at.switch_page("app_pages/weekly.py").run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    at = session()
    at.date_input(key="weekly.as_of").set_value(dt.date(2026, 11, 13)).run()
    at.text_input(key="weekly.action_text").set_value("キーマン確認の質問を台本に入れる")
    at.text_input(key="weekly.action_owner").set_value("佐藤")
    next(b for b in at.button if b.label == "追加").click().run()
    assert not at.exception, [e.value for e in at.exception]

    at = session()  # next Monday, a new session: the review opens on last week's open action
    assert at.subheader[0].value == "先週までのアクション（未完了 1件）"
    assert "キーマン確認の質問を台本に入れる" in " ".join(m.value for m in at.markdown)
    done = next(b for b in at.button if b.key and b.key.startswith("weekly.carried.done."))
    done.click().run()
    assert at.subheader[0].value == "先週までのアクション（未完了 0件）"

    from kpi.history import Store

    [action] = Store(str(store_path)).actions()
    assert action.status == "done" and action.owner == "佐藤" and action.week_closed == dt.date(2026, 11, 20)
    # the workbook carries it (status in words)
    from kpi import report
    import pandas as pd

    frame = pd.DataFrame([{"action": action.action, "owner": action.owner, "deadline": action.deadline, "status": action.status,
                           "week_raised": action.week_raised}])
    book = openpyxl.load_workbook(io.BytesIO(report.weekly_workbook({}, None, None, actions=frame)))
    rows = list(book["アクション"].iter_rows(values_only=True))
    assert rows[0][:5] == ("アクション", "担当者", "期限", "ステータス", "起票週") and rows[1][3] == "完了"


def test_trend_by_region_is_the_registry_on_the_regions_rows():
    """The trend tab's region switch: each stored week's KPIs computed on that region's rows (as of the week)."""
    from kpi.registry import values
    from sample_data.weekly import weekly_snapshots

    at = _app()
    at.switch_page(PAGE).run()
    at.segmented_control(key="memory.trend_region").set_value("nara").run()
    assert not at.exception, [e.value for e in at.exception]
    last = weekly_snapshots()[-1]
    nara = last.frame[last.frame["region"] == "nara"]
    expected = values({"leads": nara}, last.as_of)
    assert _metrics(at)["PoC合意数"] == f"{expected['poc_count']:,}"
    assert _metrics(at)["商談化率"] == f"{expected['meeting_rate']:.1%}"


def test_the_leads_behind_one_matrix_cell():
    at = _app([("this_week.csv", _leads_csv(THIS_WEEK), "text/csv")])
    at.switch_page(PAGE).run()
    at.segmented_control(key="memory.source").set_value("file").run()
    at.file_uploader(key="memory.last_week_upload").set_value(("last_week.csv", _leads_csv(LAST_WEEK), "text/csv")).run()
    at.selectbox(key="memory.cell_old").set_value("contact").run()
    at.selectbox(key="memory.cell_new").set_value("meeting").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "接触 → 商談: 1件" in [c.value for c in at.caption]
    table = next(d.value for d in at.dataframe if "リードID" in d.value.columns and len(d.value) == 1)
    assert table.iloc[0]["リードID"] == "L1" and table.iloc[0]["取引先"] == "A病院"
