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
    s = ob.summary(demo("onboarding.xlsx"))
    shown = metrics(app)
    assert shown["受講者数"] == f"{s.users:,}"
    assert shown["開始（第1回実施）"] == f"{s.started:,}"
    assert shown["修了率"] == f"{s.graduation_rate * 100:.1f}%"
    assert shown["出席率"] == f"{s.attendance_rate * 100:.1f}%"
    assert shown["修了までの日数"] == f"{s.days_to_graduate:.0f}日"
    assert shown["NPS"] == f"{s.nps:,.1f}"
    # the stalled list is the kpi list, longest silence first
    dropped = ob.dropped_users(demo("onboarding.xlsx"))
    stalled = app.dataframe[0].value
    assert len(stalled) == s.dropped == len(dropped) > 0
    assert stalled["受講者"].tolist() == dropped["user"].tolist()
    assert stalled["経過日数"].tolist() == dropped["days_since"].tolist()
    # the NPS table (the last table) carries the three counts
    nps = app.dataframe[-1].value
    assert nps["人数"].tolist() == [s.promoters, s.passives, s.detractors]


def test_onboarding_page_customer_filter(app):
    app.switch_page("app_pages/onboarding.py").run()
    customer = min(demo("onboarding.xlsx")["customer"].unique())
    app.selectbox(key="onboarding.customer").set_value(customer).run()
    assert not app.exception
    df = demo("onboarding.xlsx")
    s = ob.summary(df[df["customer"] == customer], ob.default_as_of(df))
    assert metrics(app)["受講者数"] == f"{s.users:,}"


def test_onboarding_page_in_english(app):
    app.session_state["lang"] = "en"
    app.switch_page("app_pages/onboarding.py").run()
    assert not app.exception
    s = ob.summary(demo("onboarding.xlsx"))
    shown = metrics(app)
    assert shown["Users"] == f"{s.users:,}" and shown["Graduation rate"] == f"{s.graduation_rate * 100:.1f}%"
    assert "Last session done" in app.dataframe[0].value.columns


# ------------------------------------------------------------------ referrals page
def test_referrals_page_numbers_match_kpi(app):
    app.switch_page("app_pages/referrals.py").run()
    assert not app.exception, [e.value for e in app.exception]
    df = demo("referrals.csv")
    s = rf.summary(df)
    shown = metrics(app)
    assert shown["医療機関数"] == f"{s.institutions:,}"
    assert shown["紹介（受）"] == f"{s.in_:,}"
    assert shown["逆紹介"] == f"{s.out:,}"
    assert shown["逆紹介比"] == f"{s.reverse_ratio:,.2f}"
    # the visit list comes first and in the kpi order, each row saying why
    priority = rf.priority_list(df, demo("activities.csv"))
    visit = app.dataframe[0].value
    assert visit["医療機関"].tolist() == priority["institution"].head(15).tolist()
    assert visit["理由"].str.len().gt(0).all()
    assert visit["増減"].tolist() == priority["change"].head(15).tolist()
    # 紹介率 / 逆紹介率 table (visits are loaded in the demo)
    rates = rf.referral_rates(df, demo("visits.csv"))
    table = app.dataframe[-1].value
    assert table["新患数"].tolist() == rates["new_patients"].tolist()
    # shown as a percent with one decimal (pct_column): the table sends the rate rounded to 0.1 %
    assert table["紹介率"].tolist() == pytest.approx(rates["referral_rate"].round(3).tolist())


def test_referrals_page_department_filter(app):
    app.switch_page("app_pages/referrals.py").run()
    df = demo("referrals.csv")
    department = df["department"].value_counts().index[0]
    app.multiselect(key="referrals.department").set_value([department]).run()
    assert not app.exception
    s = rf.summary(rf.filter_referrals(df, [department]), rf.default_as_of(df))
    assert metrics(app)["紹介（受）"] == f"{s.in_:,}"
    assert metrics(app)["医療機関数"] == f"{s.institutions:,}"


def test_referrals_page_in_english(app):
    app.session_state["lang"] = "en"
    app.switch_page("app_pages/referrals.py").run()
    assert not app.exception
    s = rf.summary(demo("referrals.csv"))
    assert metrics(app)["Referred in"] == f"{s.in_:,}"
    assert "Why" in app.dataframe[0].value.columns


# ------------------------------------------------------------------ chart builders
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
