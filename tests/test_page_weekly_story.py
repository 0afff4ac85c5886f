"""The weekly review's issue-15 sections on the demo data (AppTest, ja and en): remedies for the bottleneck and the red
KPIs turned into stored actions, the playbook's upload, the diary, hospitals vs general B2B, 差し戻し; and the new
chart builders (``to_dict``)."""
from __future__ import annotations

import pandas as pd
import pytest
from conftest import SAMPLE

from kpi import playbook, registry, report
from kpi.load import load
from kpi.targets import Targets
from ui.widgets import plain


@pytest.fixture(scope="module")
def demo() -> dict[str, pd.DataFrame]:
    return {name.split(".")[0]: load((SAMPLE / name).read_bytes(), name).frame for name in ("leads.xlsx", "activities.csv")}


def texts(at) -> str:
    parts = []
    for kind in ("markdown", "caption", "info", "success", "warning", "error", "subheader"):
        parts += [str(getattr(e, "value", "")) for e in getattr(at, kind)]
    return "\n".join(parts)


def expected_remedies(demo, lang: str) -> tuple[playbook.Remedy, ...]:
    review = report.weekly_review(demo["leads"], demo["activities"], None, Targets())
    values = registry.values(demo, review.as_of.date(), Targets())
    return playbook.remedies_for(playbook.default_playbook(), playbook.kpis_calling(values, review.bottleneck, Targets()), lang)


def test_remedies_become_stored_actions(app, demo):
    app.switch_page("app_pages/weekly.py").run()
    assert not app.exception, [e.value for e in app.exception]
    remedies = expected_remedies(demo, "ja")
    # the demo's bottleneck is meeting → PoC: its remedies first; every red KPI's remedies follow
    assert remedies[0].kpi == "poc_rate" and remedies[0].bottleneck
    assert {"new_leads_week", "work_style_kpi_rate", "sent_back_rate"} <= {k for r in remedies for k in r.kpis}
    shown = texts(app)
    assert all(plain(r.text) in shown for r in remedies)
    buttons = [b for b in app.button if b.label == "アクションにする"]
    assert len(buttons) == len(remedies)
    # without an owner nothing is stored
    buttons[0].click().run()
    assert "先に担当者を入力してください。" in texts(app)
    app.text_input(key="weekly.remedy_owner").set_value("高橋").run()
    next(b for b in app.button if b.label == "アクションにする").click().run()
    assert not app.exception
    stored = [a for a in app.session_state["workspace.demo_store"].actions() if a.action == remedies[0].text]
    assert len(stored) == 1 and stored[0].owner == "高橋" and stored[0].kpi_or_bottleneck == "poc_rate" and stored[0].status == "open"
    # the remedy is now an action of the week: no second button for it
    assert len([b for b in app.button if b.label == "アクションにする"]) == len(remedies) - 1


def test_story_hospital_b2b_and_send_back_sections(app):
    app.switch_page("app_pages/weekly.py").run()
    assert not app.exception
    heads = [h.value for h in app.subheader]
    for title in ("数字の裏の一行日記", "病院と一般企業", "差し戻しと失注の理由"):
        assert title in heads
    labels = {m.label for m in app.metric}
    assert {"働き方KPI記入率", "差し戻し率", "今週の削減時間"} <= labels
    frames = [d.value for d in app.dataframe]
    assert any("一行日記" in f.columns for f in frames)
    assert any("稟議の山場" in f.columns for f in frames)
    sent_back = next(f for f in frames if "理由の分類" in f.columns and "記入例" in f.columns)
    assert len(sent_back) > 0


def test_playbook_upload_good_and_bad(app):
    app.switch_page("app_pages/weekly.py").run()
    good = "kpi,remedy_ja,remedy_en\npoc_rate,評価指標を先に決める,Decide the metrics first\n".encode("utf-8-sig")
    uploader = next(u for u in app.file_uploader if u.label == "保存したプレイブック（CSV / Excel）を読み込む")
    uploader.set_value(("team.csv", good, "text/csv")).run()
    assert not app.exception
    assert "評価指標を先に決める" in texts(app)
    assert "評価指標を3〜5個に絞って書面にする" not in texts(app)  # the uploaded playbook replaced the default
    bad = b"kpi,remedy_ja,remedy_en\nunknown_kpi,x,y\n"
    uploader = next(u for u in app.file_uploader if u.label == "保存したプレイブック（CSV / Excel）を読み込む")
    uploader.set_value(("bad.csv", bad, "text/csv")).run()
    assert not app.exception
    assert any("プレイブックとして読めません" in e.value for e in app.error)
    assert "評価指標を先に決める" in texts(app)  # the good one is kept


def test_weekly_story_in_english(app, demo):
    app.session_state["lang"] = "en"
    app.switch_page("app_pages/weekly.py").run()
    assert not app.exception
    heads = [h.value for h in app.subheader]
    assert {"The story behind the numbers", "Hospitals and general B2B", "Send-backs and lost reasons"} <= set(heads)
    assert all(plain(r.text) in texts(app) for r in expected_remedies(demo, "en"))
    assert {"Work-style KPI noted", "Send-back rate"} <= {m.label for m in app.metric}


# ------------------------------------------------------------------ chart builders
def test_segment_funnel_and_committee_calendar_specs():
    from ui.charts_funnel import committee_calendar, rate_trend, segment_funnel

    frame = pd.DataFrame({"stage_label": ["リード", "リード"], "segment_label": ["病院", "一般企業"], "reached": [10, 5], "conversion": [None, None]})
    spec = segment_funnel(frame, ["リード"], ["病院", "一般企業"], ["#1F77B4", "#E07B39"],
                          {"reached": "到達", "segment": "区分", "stage": "段階", "conversion": "転換率"}).to_dict()
    assert spec["encoding"]["color"]["scale"] == {"domain": ["病院", "一般企業"], "range": ["#1F77B4", "#E07B39"]}
    assert spec["encoding"]["yOffset"]["field"] == "segment_label"
    cal = pd.DataFrame({"date": pd.to_datetime(["2026-12-01"]), "committee_label": ["役員会"], "account": ["A病院"], "lead_id": ["h1"],
                        "days_ahead": [9]})
    spec = committee_calendar(cal, "2026-11-22", "2027-02-20", ["役員会"], {k: k for k in ("date", "committee", "account", "lead_id", "days_ahead")}).to_dict()
    assert spec["encoding"]["x"]["scale"]["domain"] == ["2026-11-22T00:00:00", "2027-02-20T00:00:00"]
    trend = pd.DataFrame({"period": pd.to_datetime(["2026-10-01", "2026-11-01"]), "rate": [0.5, 1.0], "leads": [2, 1]})
    spec = rate_trend(trend, "月", "差し戻し率", 0.3).to_dict()
    assert len(spec["layer"]) == 2  # the line and the guide


def test_without_a_workspace_a_remedy_goes_to_the_session_list(app):
    """Uploads (no workspace): the remedy's action stays in this session's list; without activities the diary says
    what to load."""
    app.sidebar.file_uploader[0].set_value([("leads.xlsx", (SAMPLE / "leads.xlsx").read_bytes(), "application/octet-stream")]).run()
    app.switch_page("app_pages/weekly.py").run()
    assert not app.exception
    assert "活動記録を読み込むと、一行日記と削減時間をここに表示します。" in texts(app)
    app.text_input(key="weekly.remedy_owner").set_value("佐藤").run()
    next(b for b in app.button if b.label == "アクションにする").click().run()
    assert not app.exception
    assert app.session_state["weekly.actions"][0]["owner"] == "佐藤"
    assert app.session_state["weekly.actions"][0]["action"] == playbook.default_playbook().query("kpi == 'poc_rate'")["remedy_ja"].iloc[0]
