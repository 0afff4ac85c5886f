"""The CRM adoption page on the demo data shows exactly what kpi.adoption computes on the same frames."""
from __future__ import annotations

import pandas as pd
import pytest

from kpi import adoption as A
from kpi.targets import Targets

PAGE = "app_pages/adoption.py"


def metric_values(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def expected_tiles(frames, as_of=None) -> dict[str, str]:
    section = A.adoption_section(frames["leads"], frames.get("activities"), as_of, Targets())
    # registry tiles show a score with one decimal (ui.widgets.fmt_kpi)
    return {k: "n/a" if v is None else f"{v:.1f}" for k, v in section.items()}


def test_page_shows_the_section_numbers(app):
    app.switch_page(PAGE).run()
    assert not app.exception, [e.value for e in app.exception]
    frames = app.session_state["frames"]
    shown = metric_values(app)
    expected = expected_tiles(frames)
    # the headline tiles carry the registry's names (CRM定着スコア for the overall score)
    assert {"CRM定着スコア": shown["CRM定着スコア"], "利用": shown["利用"], "データ品質": shown["データ品質"], "成果": shown["成果"]} == {
        "CRM定着スコア": expected["overall"], "利用": expected["usage"], "データ品質": expected["data"], "成果": expected["outcomes"]}
    assert all(v not in ("n/a", "") for v in expected.values())

    score = A.adoption_score(frames["leads"], frames["activities"], None, Targets())
    # each sub-score tile, and the sub-score table (first dataframe) in percent
    assert shown["活動記録率"] == f"{score.sub('activity_logging_rate').value * 100:.0f}%"
    assert shown["重複なし率"] == f"{score.sub('unique_rate').value * 100:.0f}%"
    table = app.dataframe[0].value
    assert table["スコア"].tolist() == pytest.approx([s.value * 100 for s in score.subscores])
    assert table["分母"].tolist() == [s.denominator for s in score.subscores]

    # per-owner table (second dataframe): worst first, same users and scores
    owners = A.owner_scores(frames["leads"], frames["activities"], None, Targets())
    shown_owners = app.dataframe[1].value
    assert shown_owners["担当者"].tolist() == owners["user"].tolist()
    assert shown_owners["平均"].tolist() == pytest.approx(owners["score"].tolist())

    # the fix lists: one table per tab with the kpi's rows
    leads = frames["leads"]
    lists = [A.duplicate_groups(leads), A.missing_next_action(leads), A.stale_leads(leads), A.lost_without_reason(leads)]
    assert [len(d.value) for d in app.dataframe[2:]] == [len(x) for x in lists]
    assert app.dataframe[2].value["リードID"].tolist() == lists[0]["lead_id"].tolist()


def test_as_of_filter_recomputes(app):
    app.switch_page(PAGE).run()
    frames = app.session_state["frames"]
    earlier = A.resolve_as_of(frames["leads"]) - pd.Timedelta(days=28)
    app.date_input(key="adoption.as_of").set_value(earlier.date()).run()
    assert not app.exception
    expected = expected_tiles(frames, earlier)
    assert metric_values(app)["CRM定着スコア"] == expected["overall"]
    assert metric_values(app)["利用"] == expected["usage"]


def test_page_in_english(app):
    app.session_state["lang"] = "en"
    app.switch_page(PAGE).run()
    assert not app.exception
    shown = metric_values(app)
    expected = expected_tiles(app.session_state["frames"])
    assert shown["CRM adoption score"] == expected["overall"] and shown["Data quality"] == expected["data"]
    assert "Activity logging" in shown
    assert "Sub-score" in app.dataframe[0].value.columns


def test_missing_column_says_which_column_enables_it(app):
    """An uploaded leads file without next_action_on (and no activities file): the next-action and
    required-fields sub-scores show n/a and name the column; activity logging names the activities file."""
    leads = app.session_state["frames"]["leads"]
    keep = [c for c in leads.columns if c != "next_action_on" and not c.endswith("_has_time") and c != "_row"]
    data = leads[keep].to_csv(index=False).encode("utf-8")
    app.sidebar.file_uploader[0].set_value(("leads_no_next.csv", data, "text/csv"))
    app.switch_page(PAGE).run()
    assert not app.exception, [e.value for e in app.exception]
    frames = app.session_state["frames"]
    assert set(frames) == {"leads"} and "next_action_on" not in frames["leads"].columns
    shown = metric_values(app)
    assert shown["次回アクション設定率"] == "n/a" and shown["必須項目入力率"] == "n/a" and shown["活動記録率"] == "n/a"
    captions = "\n".join(str(c.value) for c in app.caption)
    assert "「次回アクション日 / next_action_on」列があると表示できます" in captions
    assert "「活動記録のリードID」列があると表示できます" in captions
    assert shown["利用"] == expected_tiles(frames)["usage"]
