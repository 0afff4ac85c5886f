"""AppTest of the funnel and regions pages on the demo data, and the funnel chart builders."""
from __future__ import annotations

import pandas as pd
import pytest
from conftest import SAMPLE

from kpi import funnel
from kpi.targets import STAGES, Targets
from ui.widgets import fmt_pct

pytestmark = pytest.mark.skipif(not (SAMPLE / "leads.xlsx").exists(), reason="demo data not generated yet")


def demo_leads() -> pd.DataFrame:
    from kpi.load import load

    path = SAMPLE / "leads.xlsx"
    return load(path.read_bytes(), path.name).frame


def metrics_of(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def expected_table(leads: pd.DataFrame, preset: str = "fiscal_year") -> pd.DataFrame:
    as_of = funnel.default_as_of(leads)
    start, end = funnel.period_bounds(preset, as_of)
    return funnel.funnel_table(leads, as_of, Targets(), "cohort", start, end)


def test_funnel_page_metrics_equal_funnel_table(app):
    app.switch_page("app_pages/funnel.py").run()
    assert not app.exception
    leads = demo_leads()
    table = expected_table(leads).set_index("stage")
    shown = metrics_of(app)
    for stage, label in zip(STAGES, ("リード", "接触", "商談", "PoC", "稟議", "回収")):
        assert shown[label] == f"{int(table.loc[stage, 'reached']):,}"
    assert shown["商談化率"] == fmt_pct(table.loc["meeting", "conversion"])
    # the headline tiles carry the registry's names (kpi/registry.py)
    assert shown["全体転換率"] == fmt_pct(table.loc["collected", "reached"] / table.loc["lead", "reached"])
    as_of = funnel.default_as_of(leads)
    scope = funnel.leads_in_scope(leads, as_of, "cohort", *funnel.period_bounds("fiscal_year", as_of))
    assert shown["停滞案件数"] == f"{len(funnel.stalled_leads(scope, as_of, Targets())):,}"
    # the stage table (first dataframe) is the same numbers
    first = app.dataframe[0].value
    assert first.iloc[:, 1].tolist() == table["reached"].tolist()


def test_funnel_page_filters_and_all_time(app):
    app.switch_page("app_pages/funnel.py").run()
    app.selectbox(key="funnel.preset").set_value("all").run()
    app.multiselect(key="funnel.region").set_value(["nara"]).run()
    assert not app.exception
    leads = demo_leads()
    nara = leads[leads["region"] == "nara"]
    table = funnel.funnel_table(nara, funnel.default_as_of(leads), Targets()).set_index("stage")
    assert metrics_of(app)["リード"] == f"{int(table.loc['lead', 'reached']):,}"
    assert metrics_of(app)["回収"] == f"{int(table.loc['collected', 'reached']):,}"


def test_funnel_page_lost_step_lists_the_lost_leads(app):
    app.switch_page("app_pages/funnel.py").run()
    app.selectbox(key="funnel.preset").set_value("all").run()
    app.selectbox(key="funnel.lost_step").set_value("meeting").run()
    assert not app.exception
    leads = demo_leads()
    lost = funnel.lost_at_step(leads, "meeting", funnel.default_as_of(leads))
    table = expected_table(leads, "all").set_index("stage")
    assert len(lost) == table.loc["meeting", "lost"]
    assert len(app.dataframe[1].value) == len(lost)


def test_funnel_page_period_mode_segment_split_and_custom(app):
    app.switch_page("app_pages/funnel.py").run()
    app.selectbox(key="funnel.mode").set_value("period").run()
    app.toggle(key="funnel.split").set_value(True).run()
    assert not app.exception
    app.selectbox(key="funnel.preset").set_value("custom").run()
    assert not app.exception


def test_funnel_page_in_english(app):
    app.session_state["lang"] = "en"
    app.switch_page("app_pages/funnel.py").run()
    assert not app.exception
    assert app.title[0].value == "Sales funnel"
    table = expected_table(demo_leads()).set_index("stage")
    assert metrics_of(app)["Meeting"] == f"{int(table.loc['meeting', 'reached']):,}"


def test_regions_page_opens_from_query_params(app):
    app.query_params["region"] = "nara"
    app.switch_page("app_pages/regions.py").run()
    assert not app.exception
    assert app.selectbox(key="regions.region").value == "nara"
    leads = demo_leads()
    accounts = funnel.accounts_summary(funnel.leads_in_scope(leads[leads["region"] == "nara"], funnel.default_as_of(leads), "cohort",
                                                             *funnel.period_bounds("fiscal_year", funnel.default_as_of(leads))))
    assert len(app.dataframe[0].value) == len(accounts)


def test_regions_drill_down_writes_the_url(app):
    app.switch_page("app_pages/regions.py").run()
    app.selectbox(key="regions.region").set_value("kyoto").run()
    account = app.selectbox(key="regions.account").options[1]
    app.selectbox(key="regions.account").set_value(account).run()
    assert app.session_state["regions.lead"] == ""  # a new account clears the deal
    leads = demo_leads()
    first = leads[(leads["account"] == account) & (leads["region"] == "kyoto")].sort_values("created_at")["lead_id"].iloc[0]
    app.selectbox(key="regions.lead").set_value(first).run()
    assert not app.exception
    assert app.query_params["region"] == "kyoto" and app.query_params["lead"] == first
    # the timeline (last table) starts with the lead's creation date
    timeline = app.dataframe[-1].value
    created = leads.loc[leads["lead_id"] == first, "created_at"].iloc[0].normalize()
    assert pd.Timestamp(timeline.iloc[0, 0]) == created
    # the diary's lines and the minutes they saved (issue 15) sit beside the stage dates
    assert {"メモ", "削減時間（分）"} <= set(timeline.columns)


def test_regions_page_in_english(app):
    app.session_state["lang"] = "en"
    app.switch_page("app_pages/regions.py").run()
    assert not app.exception
    assert app.title[0].value == "Regions"


# ---------------------------------------------------------------- chart builders
def test_funnel_bars_marks_bottleneck_and_rag_colours():
    from ui.charts_funnel import funnel_bars

    frame = pd.DataFrame({"stage_label": ["リード", "接触"], "reached": [10, 4], "rag": [None, "red"], "label": ["10", "4 · 40% ◀"],
                          "is_bottleneck": [False, True], "conversion": [None, 0.4], "amount_yen": [1.0, 2.0]})
    spec = funnel_bars(frame, ["リード", "接触"], {"green": "達成", "yellow": "注意", "red": "未達", "none": "目標なし"},
                       {"reached": "到達件数", "stage": "段階", "conversion": "転換率", "rag": "判定", "amount": "金額"}).to_dict()
    bars, normal, neck = spec["layer"]
    assert normal["transform"] == [{"filter": "!datum.is_bottleneck"}]
    assert bars["encoding"]["y"]["sort"] == ["リード", "接触"]
    assert bars["encoding"]["color"]["scale"]["domain"] == ["達成", "注意", "未達", "目標なし"]
    assert neck["transform"] == [{"filter": "datum.is_bottleneck"}] and neck["mark"]["fontWeight"] == "bold"


def test_payback_histogram_bins_end_on_the_rule():
    from ui.charts_funnel import payback_histogram

    # 12.0 → bin (11, 12] within; 12.5 → (12, 13] over; 3 → (2, 3]
    chart = payback_histogram(pd.DataFrame({"payback_months": [12.0, 12.5, 3.0]}), 12, "t", "x", "y", "達成", "未達")
    spec = chart.to_dict()
    data = next(iter(spec["datasets"].values()))
    assert sorted((d["bin_end"], d["band"], d["leads"]) for d in data) == [(3, "達成", 1), (12, "達成", 1), (13, "未達", 1)]


def test_timeline_labels_only_stage_and_review_points():
    from ui.charts_funnel import timeline

    frame = pd.DataFrame({"date": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-02", "2026-01-31"]),
                          "kind": ["stage", "stage", "activity", "stage"], "kind_label": ["段階", "段階", "活動", "段階"],
                          "event": ["リード", "接触", "訪問", "商談"], "detail": [None, None, "佐藤：初回", None]})
    spec = timeline(frame, ["段階", "活動"], "", "日付").to_dict()
    points, above, below = spec["layer"]
    assert points["encoding"]["y"]["sort"] == ["段階", "活動"]
    assert points["encoding"]["x"]["axis"]["format"] == "%Y/%m/%d"  # no English month names
    # labels: stage and review points only, one per day (two on one point would print over each other)
    labels = spec["datasets"][above["data"]["name"]]
    assert [d["event"] for d in labels] == ["リード / 接触", "商談"] and [d["below"] for d in labels] == [False, True]
    assert above["mark"]["dy"] < 0 < below["mark"]["dy"]  # neighbours alternate above / below their points
    # room right of the last point for its label (a label past the chart's right edge is cut)
    assert pd.Timestamp(points["encoding"]["x"]["scale"]["domain"][1]) > pd.Timestamp("2026-01-31") + pd.Timedelta(days=4)


def test_conversion_heatmap_rows_in_given_order():
    from ui.charts_funnel import conversion_heatmap

    frame = pd.DataFrame({"g": ["大阪", "奈良"], "step_label": ["接触", "接触"], "conversion": [0.5, None], "rag": ["yellow", None], "reached": [1, 0]})
    spec = conversion_heatmap(frame, "g", "地域", ["接触"], ["大阪", "奈良"], {"green": "達成", "yellow": "注意", "red": "未達", "none": "目標なし"},
                              {"step": "ステップ", "rag": "判定", "conversion": "転換率", "reached": "到達"}).to_dict()
    cells, text = spec["layer"]
    assert text["mark"]["type"] == "text"
    assert cells["encoding"]["y"]["sort"] == ["大阪", "奈良"]
    data = next(iter(spec["datasets"].values()))
    assert [d["text"] for d in data] == ["50%", "–"] and [d["rag_label"] for d in data] == ["注意", "目標なし"]
    assert spec["height"] == 40 * 2 + 170


def test_days_box_carries_five_numbers_per_step_not_one_row_per_lead():
    from ui.charts_funnel import days_box

    frame = pd.DataFrame({"stage_label": ["接触"] * 5 + ["商談"] * 2, "days": [1, 2, 3, 4, 10, 5, 7]})
    spec = days_box(frame, ["接触", "商談"], "t", "x", None).to_dict()
    (values,) = spec["datasets"].values()
    stats = {v["stage_label"]: v for v in values}
    assert len(values) == 2
    assert [stats["接触"][k] for k in ("n", "min", "q1", "median", "q3", "max")] == [5, 1, 2, 3, 4, 10]
    assert [stats["商談"][k] for k in ("min", "q1", "median", "q3", "max")] == [5, 5.5, 6, 6.5, 7]  # linear quantiles, as Vega-Lite's


def test_every_step_tile_carries_its_rag_and_an_absent_stage_names_its_column():
    """Each headline step tile shows its RAG badge (a read-through found the step tiles had lost theirs); a stage the
    file has no date column for (nor any later one) is n/a with the column that would enable it (SPEC 2)."""
    from streamlit.testing.v1 import AppTest

    from conftest import APP
    from kpi.targets import Targets

    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    rags = [m.value for m in at.markdown if any(w in m.value for w in ("達成", "注意", "未達"))]
    with_rag = [k for k in Targets().headline_kpis if k != "stalled"]  # stalled has no target
    assert len(rags) >= len(with_rag), rags

    csv = "リードID,リード日,接触日\nL1,2026/11/01,2026/11/02\nL2,2026/11/01,\n"
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.sidebar.file_uploader[0].set_value([("leads.csv", csv.encode(), "text/csv")]).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = {m.label: m.value for m in at.metric}
    assert shown["商談化率"] == "n/a" and shown["PoC合意率"] == "n/a"
    captions = " ".join(c.value for c in at.caption)
    assert "「商談化日 / meeting_on」列があると表示できます" in captions and "PoC合意日 / poc_on" in captions
