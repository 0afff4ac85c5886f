"""The Habits, Weekly review and Targets pages on the demo data (Streamlit AppTest): real numbers, both languages."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import SAMPLE

from kpi import funnel, habits, playbook, registry, report
from kpi.load import load
from kpi.targets import Targets
from ui.widgets import fmt_num, fmt_pct


@pytest.fixture(scope="module")
def demo() -> dict[str, pd.DataFrame]:
    if not (SAMPLE / "leads.xlsx").exists():
        pytest.skip("demo data not generated")
    return {name.split(".")[0]: load((SAMPLE / name).read_bytes(), name).frame for name in ("leads.xlsx", "activities.csv")}


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def texts(at) -> str:
    parts = []
    for kind in ("markdown", "caption", "info", "success", "warning", "error", "title", "subheader", "header"):
        parts += [str(getattr(e, "value", "")) for e in getattr(at, kind)]
    return "\n".join(parts)


# ------------------------------------------------------------------ habits
def test_habits_page_shows_the_kpi_numbers(app, demo):
    app.switch_page("app_pages/habits.py").run()
    assert not app.exception, [e.value for e in app.exception]
    s = habits.habits_summary(demo["activities"], demo["leads"], None, Targets())
    shown = metrics(app)
    assert shown["24時間以内議事録送付率"] == fmt_pct(s.minutes.value)
    assert shown["キーマン特定率"] == fmt_pct(s.key_person.value)
    assert shown["審査日記入率"] == fmt_pct(s.review.total.value)
    assert shown["1日あたり訪問件数"] == fmt_num(s.visits_per_day, 2)
    assert shown["1日あたり移動時間"] == f"{fmt_num(s.travel_minutes_per_day)}分"
    # the same numbers as the CLI section
    section = habits.activities_section(demo["activities"])
    assert s.minutes.value == section["minutes_within_24h_rate"] and s.visits_per_day == section["visits_per_day"]
    # reps outside the guide: the list is kpi.habits.reps_off_guide
    off = app.dataframe[0].value
    assert list(off["担当者"]) == list(s.off_guide["rep"])
    # whose number it is: the registry's layer · cadence · owner line on each tile (key person: inside sales)
    assert "習慣・日次・インサイドセールス" in texts(app) and "習慣・日次・フィールドセールス" in texts(app)
    # committee table: one row per committee with its own rate
    committees = next(d.value for d in app.dataframe if "審査" in d.value.columns)
    assert list(committees["把握件数"]) == [r.numerator for r in s.review.committees.values() if r is not None]


def test_habits_page_in_english(app, demo):
    app.session_state["lang"] = "en"
    app.switch_page("app_pages/habits.py").run()
    assert not app.exception
    s = habits.habits_summary(demo["activities"], demo["leads"], None, Targets())
    shown = metrics(app)
    assert shown["Minutes sent within 24 h"] == fmt_pct(s.minutes.value)
    assert shown["Travel minutes per day"] == f"{fmt_num(s.travel_minutes_per_day)} min"
    assert "Habit · Daily · Field sales" in texts(app)


def test_habits_page_region_filter(app, demo):
    app.switch_page("app_pages/habits.py").run()
    app.multiselect(key="habits.region.ja").set_value(["osaka"]).run()
    assert not app.exception
    acts = demo["activities"][demo["activities"]["region"] == "osaka"]
    s = habits.habits_summary(acts, demo["leads"][demo["leads"]["region"] == "osaka"], None, Targets())
    assert metrics(app)["1日あたり訪問件数"] == fmt_num(s.visits_per_day, 2)
    assert metrics(app)["キーマン特定率"] == fmt_pct(s.key_person.value)


# ------------------------------------------------------------------ weekly review
def test_weekly_page_opens_on_the_bottleneck(app, demo):
    app.switch_page("app_pages/weekly.py").run()
    assert not app.exception, [e.value for e in app.exception]
    review = report.weekly_review(demo["leads"], demo["activities"], None, Targets())
    assert review.bottleneck == funnel.bottleneck(funnel.funnel_table(demo["leads"], funnel.default_as_of(demo["leads"])))
    a, b = (report.label(f"stage.{s}") for s in review.step)
    assert app.header[0].value == f"今週のボトルネック: {a} → {b}"
    row = review.row(review.bottleneck)
    shown = metrics(app)
    # the step's rate is the registry's tile (its name, not "転換率 a → b"): PoC合意率 for meeting → PoC
    assert shown[registry.BY_KEY[playbook.BOTTLENECK_KPI[review.bottleneck]].label[0]] == fmt_pct(row["conversion"])
    assert shown["全体転換率"] == fmt_pct(funnel.overall_conversion(review.table))
    assert shown["止まっている案件"] == fmt_num(row["lost"])
    compare = app.dataframe[0].value
    assert list(compare["到達（今週）"]) == list(review.comparison["reached"])
    assert list(compare["到達（先週）"]) == list(review.comparison["reached_prev"])
    assert len(app.dataframe[1].value) == len(review.lost_leads)
    # the agenda is visible, and the causes whose number misses its guide start checked
    assert all(f"{m}分" in texts(app) for m in (10, 20, 15, 5))
    flagged = {e.cause for e in review.causes if e.flagged}
    for cause, _ in report.CAUSES:
        assert app.checkbox(key=f"weekly.cause.{cause}").value == (cause in flagged)


def test_weekly_page_records_actions_in_the_session(app):
    """Demo mode: actions go to the demo's in-memory workspace (this session only, nothing on disk); the table lists
    them with the week's other actions. Without a workspace (uploads, switch off) they stay in the session list."""
    app.switch_page("app_pages/weekly.py").run()
    app.text_input(key="weekly.action_text").set_value("=1+1 キーマン面談を設定")
    app.text_input(key="weekly.action_owner").set_value("高橋")
    submit = next(b for b in app.button if b.label == "追加")
    submit.click().run()
    assert not app.exception
    stored = [a for a in app.session_state["workspace.demo_store"].actions() if a.owner == "高橋"]
    assert [a.action for a in stored] == ["=1+1 キーマン面談を設定"] and stored[0].status == "open"
    table = app.dataframe[-1].value
    assert "=1+1 キーマン面談を設定" in list(table["アクション"])
    # an empty action is refused with a message
    next(b for b in app.button if b.label == "追加").click().run()
    assert "アクションと担当者を入力してください。" in texts(app)
    assert len([a for a in app.session_state["workspace.demo_store"].actions() if a.owner == "高橋"]) == 1


def test_weekly_page_without_a_workspace_keeps_actions_in_the_session(app):
    leads = (SAMPLE / "leads.xlsx").read_bytes()
    app.sidebar.file_uploader[0].set_value([("leads.xlsx", leads, "application/octet-stream")]).run()
    app.switch_page("app_pages/weekly.py").run()
    app.text_input(key="weekly.action_text").set_value("台本の見直し")
    app.text_input(key="weekly.action_owner").set_value("佐藤")
    next(b for b in app.button if b.label == "追加").click().run()
    assert not app.exception
    assert app.session_state["weekly.actions"][0]["owner"] == "佐藤"
    assert list(app.dataframe[-1].value["アクション"]) == ["台本の見直し"]


def test_weekly_page_in_english(app):
    app.session_state["lang"] = "en"
    app.switch_page("app_pages/weekly.py").run()
    assert not app.exception
    assert app.header[0].value.startswith("This week's bottleneck: ")
    assert "Reached (this week)" in app.dataframe[0].value.columns


# ------------------------------------------------------------------ targets
def test_targets_page_edits_targets_in_the_session(app):
    app.switch_page("app_pages/targets.py").run()
    assert not app.exception
    app.number_input(key="targets.step.meeting").set_value(30.0).run()
    app.number_input(key="targets.f.travel_minutes_per_day_max").set_value(45.0).run()
    targets = app.session_state["targets"]
    assert targets.step_conversion["meeting"] == 0.30 and targets.travel_minutes_per_day_max == 45.0
    # the habits page now judges travel against 45 minutes
    app.switch_page("app_pages/habits.py").run()
    assert not app.exception
    assert "上限 45分" in next(m.help for m in app.metric if m.label == "1日あたり移動時間")


def test_targets_upload_good_and_bad_files(app):
    app.switch_page("app_pages/targets.py").run()
    saved = json.loads(Targets().to_json())
    saved["step_conversion"]["poc"] = 0.5
    saved["visits_per_day_min"] = 3.0
    uploader = next(u for u in app.file_uploader if u.label == "保存した目標ファイルを読み込む")
    uploader.set_value(("team.json", json.dumps(saved).encode(), "application/json")).run()
    assert not app.exception
    assert app.session_state["targets"].step_conversion["poc"] == 0.5 and app.session_state["targets"].visits_per_day_min == 3.0
    assert app.number_input(key="targets.step.poc").value == 50.0  # the widgets show the loaded values
    assert "team.json" in texts(app)
    for bad in (b"{not json", json.dumps({"key_person_rate": "高い"}).encode(), json.dumps([1, 2]).encode()):
        uploader = next(u for u in app.file_uploader if u.label == "保存した目標ファイルを読み込む")
        uploader.set_value(("bad.json", bad, "application/json")).run()
        assert not app.exception
        assert any("目標ファイルとして読めません" in e.value for e in app.error)
        assert app.session_state["targets"].step_conversion["poc"] == 0.5  # the good targets are kept


def test_targets_headline_kpis_at_most_six(app):
    app.switch_page("app_pages/targets.py").run()
    picks = ["overall", "contact", "meeting", "poc", "approval", "collected", "stalled"]
    app.multiselect(key="targets.headline.ja").set_value(picks).run()
    assert not app.exception
    assert any("6つまで" in w.value for w in app.warning)
    assert app.session_state["targets"].headline_kpis == tuple(picks[:6])
    assert app.multiselect(key="targets.headline.ja").value == picks[:6]


def test_targets_page_in_english(app):
    app.session_state["lang"] = "en"
    app.switch_page("app_pages/targets.py").run()
    assert not app.exception
    assert "Step conversion targets" in texts(app)


def test_agenda_bar_names_only_the_steps_wide_enough_for_their_name():
    from ui.charts_habits import agenda_bar

    frame = pd.DataFrame({"step": ["数字を見る", "担当と期限"], "minutes": [10, 5]})
    spec = agenda_bar(frame, "step", "minutes", "").to_dict()
    (values,) = spec["datasets"].values()
    assert [v["text"] for v in values] == ["数字を見る 10'", "5'"]


# ------------------------------------------------------------------ issue 15: partner SLA, reply-rate A/B, business days, PNG
def download_labels(at) -> list[str]:
    return [e.proto.label for e in at.get("download_button")]


def test_habits_page_sla_and_ab_in_japanese(app, demo):
    from kpi.abtest import ab_view
    from kpi.sla import sla_view

    app.switch_page("app_pages/habits.py").run()
    assert not app.exception, [e.value for e in app.exception]
    sla = sla_view(demo["leads"], None)
    shown = metrics(app)
    assert shown["初回対応SLA遵守率"] == fmt_pct(sla.rate) == "73.5%"       # 158 met / 215 counted
    assert shown["代行会社SLA遵守率"] == fmt_pct(sla.role_rate("agency")) == "72.1%"   # 98 / 136: below the 75 % target
    assert shown["支援会社SLA遵守率"] == fmt_pct(sla.role_rate("partner")) == "75.9%"  # 60 / 79: meets it
    page_as_of = habits.habits_summary(demo["activities"], demo["leads"], None, Targets()).as_of  # 11-22: the leads' latest date
    assert shown["返信率"] == fmt_pct(ab_view(demo["activities"], page_as_of).rate) == "26.0%"  # replies up to the end of 11-22
    assert any("SLA未達の担当: 井上 拓也 (72%)" in w.value for w in app.warning)
    owners = next(d.value for d in app.dataframe if "遵守率" in d.value.columns and "担当者" in d.value.columns)
    assert owners["担当者"].tolist() == ["井上 拓也", "松田 彩"] and owners["判定"].tolist() == ["目標未達", "目標達成"]
    words = texts(app)
    assert "メール · パターン: A の勝ち" in words                       # the demo's A/B winner
    assert "メール · 時間帯: どの組み合わせにも偶然を超える差はありません" in words  # 7時台 vs 18時台: a tie
    tests_table = next(d.value for d in app.dataframe if "判定" in d.value.columns and "p値（補正後）" in d.value.columns)
    assert "件数不足" in set(next(d.value for d in app.dataframe if "p値（補正後）" in d.value.columns and "件数不足" in set(d.value["判定"]))["判定"])
    assert {"A の勝ち", "差なし（偶然の範囲）"} <= set(tests_table["判定"])
    assert download_labels(app).count("PNGで保存") >= 9  # every chart of the page: 3 trends, 3 rep bars, committees, 2 SLA, 3 A/B


def test_habits_page_sla_and_ab_in_english(app, demo):
    app.session_state["lang"] = "en"
    app.switch_page("app_pages/habits.py").run()
    assert not app.exception, [e.value for e in app.exception]
    shown = metrics(app)
    assert shown["Agency SLA met"] == "72.1%" and shown["Partner SLA met"] == "75.9%"
    assert any("Below the SLA target: 井上 拓也 (72%)" in w.value for w in app.warning)
    words = texts(app)
    assert "Email · Pattern: A wins" in words and "Email · Send hour: no pair differs beyond noise" in words
    assert "Save as PNG" in download_labels(app)


def test_habits_page_business_day_switch(app, demo):
    """The setting recounts the 24-hour rule on business days (more minutes count as within) and names the holidays."""
    app.switch_page("app_pages/habits.py").run()
    calendar = habits.habits_summary(demo["activities"], demo["leads"], None, Targets())
    business = habits.habits_summary(demo["activities"], demo["leads"], None, Targets(), business_days=True)
    assert metrics(app)["24時間以内議事録送付率"] == fmt_pct(calendar.minutes.value)
    app.toggle(key="habits.business_days").set_value(True).run()
    assert not app.exception
    assert business.minutes.numerator > calendar.minutes.numerator
    assert metrics(app)["24時間以内議事録送付率"] == fmt_pct(business.minutes.value)
    assert "営業日モード: 期間中の祝日" in texts(app) and "海の日" in texts(app)  # names from jpholiday


def test_habits_page_bad_bands_fall_back(app):
    app.switch_page("app_pages/habits.py").run()
    app.text_input(key="habits.ab.bands").set_value("morning").run()
    assert not app.exception
    assert any("時間帯「morning」を読めません" in w.value for w in app.warning)


def test_chart_png_helper_renders_a_habits_chart():
    from ui.chart_png import chart_png
    from ui.charts_habits import rate_bars_with_n

    frame = pd.DataFrame({"owner": ["井上 拓也", "松田 彩"], "rate": [0.72, 0.76], "label": ["72%", "76%"]})
    png = chart_png(rate_bars_with_n(frame, "owner", "rate", "label", "担当者ごとのSLA遵守率", "遵守率", target=0.75))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2000


def test_targets_page_sets_the_new_targets_and_the_business_day_calendar(app):
    """Issue 15/16 settings live in Targets and on the targets page: the SLA hours, the business-day calendar."""
    app.switch_page("app_pages/targets.py").run()
    assert not app.exception
    app.number_input(key="targets.f.sla_agency_hours").set_value(12.0).run()
    app.toggle(key="targets.f.business_days").set_value(True).run()
    assert not app.exception
    targets = app.session_state["targets"]
    assert targets.sla_agency_hours == 12.0 and targets.business_days is True
    app.switch_page("app_pages/habits.py").run()  # the habits page starts from them
    assert not app.exception and app.toggle(key="habits.business_days").value is True
