"""The onboarding and referral liaison pages on the demo data (AppTest), cross-checked against kpi functions,
and their chart builders (``chart.to_dict()``)."""
from __future__ import annotations

from functools import cache

import pandas as pd
import pytest
from conftest import SAMPLE

from kpi import onboarding as ob
from kpi import referrals as rf
from kpi.load import load
from ui import charts_onboarding as charts

pytestmark = pytest.mark.skipif(not (SAMPLE / "onboarding.xlsx").exists() or not (SAMPLE / "referrals.csv").exists(), reason="demo data not generated")


@cache
def demo(name: str) -> pd.DataFrame:
    path = SAMPLE / name
    return load(path.read_bytes(), path.name).frame


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


# ------------------------------------------------------------------ onboarding page
def test_onboarding_page_numbers_match_kpi(app):
    app.switch_page("app_pages/onboarding.py").run()
    assert not app.exception, [e.value for e in app.exception]
    df = demo("onboarding.xlsx")
    view = ob.onboarding_view(df)
    s = view.summary
    shown = metrics(app)
    # registry tiles (kpi.registry.tile), values from the page's one view object
    assert shown["卒業率"] == f"{s.graduation_rate * 100:.1f}%"
    assert shown["出席率"] == f"{s.attendance_rate * 100:.1f}%"
    assert shown["離脱者数"] == f"{s.dropped:,}"
    assert shown["NPS"] == f"{s.nps:,.1f}"
    assert shown["宿題実施率"] == f"{view.homework_rate * 100:.1f}%"
    assert shown["第9回以降の要フォロー"] == f"{len(view.below_level1):,}" and len(view.below_level1) > 0
    assert shown["最新プログラムのNPS"] == f"{view.kpis['nps_latest_programme']:,.1f}"
    captions = " ".join(c.value for c in app.caption)
    assert f"受講者 {s.users:,}人・開始 {s.started:,}人・修了 {s.graduated:,}人" in captions
    # the stalled list is the kpi list, longest silence first
    dropped = ob.dropped_users(df)
    stalled = app.dataframe[0].value
    assert len(stalled) == s.dropped == len(dropped) > 0
    assert stalled["受講者"].tolist() == dropped["user"].tolist()
    assert stalled["経過日数"].tolist() == dropped["days_since"].tolist()
    # users at sessions 9-11 below level 1, homework per trainer, NPS per programme
    tables = [d.value for d in app.dataframe]
    below = next(t for t in tables if "実施済みの最終回" in t.columns)
    assert below["受講者"].tolist() == view.below_level1["user"].tolist()
    by_trainer = next(t for t in tables if "トレーナー" in t.columns and "宿題実施率" in t.columns)
    assert by_trainer["トレーナー"].tolist() == view.homework_by_trainer["trainer"].tolist()
    programmes = next(t for t in tables if "期" in t.columns)
    assert programmes["期"].tolist() == ["第1期", "第2期"]
    assert programmes["NPS"].tolist() == pytest.approx(view.programmes["nps"].tolist(), abs=0.05)
    # the NPS table (the last table) carries the three counts
    nps = app.dataframe[-1].value
    assert nps["人数"].tolist() == [s.promoters, s.passives, s.detractors]


def test_onboarding_page_customer_filter(app):
    app.switch_page("app_pages/onboarding.py").run()
    df = demo("onboarding.xlsx")
    customer = min(df["customer"].unique())
    app.selectbox(key="onboarding.customer").set_value(customer).run()
    assert not app.exception
    s = ob.summary(df[df["customer"] == customer], ob.default_as_of(df))
    assert metrics(app)["卒業率"] == f"{s.graduation_rate * 100:.1f}%"
    assert f"受講者 {s.users:,}人" in " ".join(c.value for c in app.caption)


def test_onboarding_page_in_english(app):
    app.session_state["lang"] = "en"
    app.switch_page("app_pages/onboarding.py").run()
    assert not app.exception
    view = ob.onboarding_view(demo("onboarding.xlsx"))
    shown = metrics(app)
    assert shown["Graduation rate"] == f"{view.summary.graduation_rate * 100:.1f}%"
    assert shown["Homework done"] == f"{view.homework_rate * 100:.1f}%"
    assert shown["Below level 1 at session 9+"] == f"{len(view.below_level1):,}"
    assert shown["NPS, latest programme"] == f"{view.kpis['nps_latest_programme']:,.1f}"
    assert "Last session done" in app.dataframe[0].value.columns
    assert any("Programme" in d.value.columns for d in app.dataframe)


# ------------------------------------------------------------------ referrals page
def test_referrals_page_numbers_match_kpi(app):
    app.switch_page("app_pages/referrals.py").run()
    assert not app.exception, [e.value for e in app.exception]
    df, acts = demo("referrals.csv"), demo("activities.csv")
    view = rf.liaison_view(df, acts)
    s = view.summary
    shown = metrics(app)
    assert shown["紹介数（受）"] == f"{s.in_:,}"
    assert shown["逆紹介数"] == f"{s.out:,}"
    assert shown["逆紹介比"] == f"{s.reverse_ratio:,.2f}"
    # no first-visit counts entered: 紹介率 is n/a and the page says why (never referrals ÷ clinic new patients)
    assert shown["紹介率"] == "n/a" and shown["逆紹介率"] == "n/a"
    assert any("病院自身の初診患者数で割る" in i.value for i in app.info)
    assert shown["訪問後の紹介増減"] == f"{view.kpis['visit_referral_change']:,.2f}"
    assert shown["紹介実績のない医療機関数"] == "n/a"
    assert f"医療機関 {s.institutions:,}件" in " ".join(c.value for c in app.caption)
    # the visit list comes first and in the kpi order, each row saying why
    priority = rf.priority_list(df, acts)
    visit = next(d.value for d in app.dataframe if "理由" in d.value.columns)  # (the counts editor is a table too)
    assert visit["医療機関"].tolist() == priority["institution"].head(15).tolist()
    assert visit["理由"].str.len().gt(0).all()
    assert visit["増減"].tolist() == priority["change"].head(15).tolist()
    # visit evaluation per institution: the demo's institution whose referrals rose after its visit leads
    effect = next(d.value for d in app.dataframe if "未完了の訪問" in d.value.columns and "医療機関" in d.value.columns)
    assert effect["医療機関"].iloc[0] == view.effect_by_institution["institution"].iloc[0] == "宮本整形外科医院"


def test_referrals_page_department_filter(app):
    app.switch_page("app_pages/referrals.py").run()
    df = demo("referrals.csv")
    department = df["department"].value_counts().index[0]
    app.multiselect(key="referrals.department").set_value([department]).run()
    assert not app.exception
    s = rf.summary(rf.filter_referrals(df, [department]), rf.default_as_of(df))
    assert metrics(app)["紹介数（受）"] == f"{s.in_:,}"
    assert f"医療機関 {s.institutions:,}件" in " ".join(c.value for c in app.caption)


def test_referrals_page_in_english(app):
    app.session_state["lang"] = "en"
    app.switch_page("app_pages/referrals.py").run()
    assert not app.exception
    s = rf.summary(demo("referrals.csv"))
    shown = metrics(app)
    assert shown["Referrals in"] == f"{s.in_:,}" and shown["Referral rate"] == "n/a"
    assert any("Why" in d.value.columns for d in app.dataframe)
    assert any("hospital's own first-visit counts" in i.value for i in app.info)


def test_progress_heatmap_spec():
    grid = ob.progress_grid(demo("onboarding.xlsx"))
    states = {"done": "実施", "missed": "欠席", "scheduled": "予定", "not_yet": "未実施"}
    phases = {"kickoff": "キックオフ", "purpose": "目的共有", "features": "機能習得", "operation": "運用定着"}
    titles = {"session": "回", "user": "受講者", "customer": "顧客", "state": "状態", "phase": "フェーズ"}
    spec = charts.progress_heatmap(grid, states, phases, titles).to_dict()
    cells = spec["layer"][2]["encoding"]
    assert cells["color"]["scale"]["domain"] == ["実施", "欠席", "予定", "未実施"]
    assert cells["color"]["title"] == "状態"
    rows = cells["y"]["sort"]
    assert rows[0] == "フェーズ" and len(rows) == 1 + grid[["customer", "user"]].drop_duplicates().shape[0]
    assert rows[1:] == sorted(rows[1:])  # grouped by customer
    assert [d["label"] for d in spec["datasets"][spec["layer"][1]["data"]["name"]]] == ["キックオフ", "目的共有", "機能習得", "運用定着"]


def test_reach_and_share_charts_spec():
    reached = pd.DataFrame({"session_no": range(1, 13), "reached": range(12, 0, -1)})
    reached["share"] = reached["reached"] / 12
    spec = charts.reach_bars(reached, {"session": "回", "share": "到達率", "count": "人数"}).to_dict()
    assert spec["layer"][0]["encoding"]["y"]["axis"]["format"] == ".0%"
    counts = pd.DataFrame({"customer": ["全体", "全体", "全体"], "nps_class": ["promoter", "passive", "detractor"], "users": [3, 2, 1]})
    labels = {"promoter": "推奨者", "passive": "中立者", "detractor": "批判者"}
    spec = charts.stacked_share(counts, "customer", "nps_class", "users", charts.NPS_COLORS, labels,
                                {"share": "割合", "category": "区分", "group": "顧客", "count": "人数"}).to_dict()
    assert spec["encoding"]["x"]["stack"] == "normalize"
    assert spec["encoding"]["color"]["scale"]["domain"] == ["推奨者", "中立者", "批判者"]


def test_referral_charts_spec():
    df = demo("referrals.csv")
    trend = rf.trend(df)
    spec = charts.trend_bars(trend, {"institution": "医療機関", "in_last3": "直近", "in_prior3": "前", "change": "増減", "change_rate": "増減率"}).to_dict()
    assert spec["encoding"]["y"]["sort"] == trend["institution"].tolist()  # falling first
    monthly = rf.monthly_by_institution(df)
    top = rf.institution_table(df)["institution"].head(4).tolist()
    spec = charts.monthly_in_out(monthly[monthly["institution"].isin(top)], {"in": "紹介（受）", "out": "逆紹介"},
                                 {"count": "件数", "direction": "区分", "institution": "医療機関", "month": "月"}, order=top).to_dict()
    assert spec["facet"]["sort"] == top  # most referrals in first
    assert spec["spec"]["encoding"]["color"]["scale"]["domain"] == ["紹介（受）", "逆紹介"]
