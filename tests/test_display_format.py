"""Issue 17 item 9: how numbers, empty cells and lists look on the pages and in their downloads.

Unit tests of the formatters in ui/widgets.py, and AppTest checks on the demo data: no table shows "None",
English pages show no 万 and no 「、」, percents keep one precision, and the weekly CSV's delta column is numeric.
"""
from __future__ import annotations

import io
import json
import math
import re

import pandas as pd
import pytest
from conftest import SAMPLE

from ui.widgets import (MISSING, delta_number, delta_pct_points, fmt_delta_pct_points, fmt_signed, fmt_yen, join_list,
                        table_config)

demo = pytest.mark.skipif(not (SAMPLE / "leads.xlsx").exists(), reason="demo data not generated yet")


# ------------------------------------------------------------------ formatters
@pytest.mark.parametrize("value, ja, en", [
    (9_800, "¥9,800", "¥9,800"),
    (120_000, "¥120,000", "¥120k"),
    (999_999, "¥999,999", "¥1.0M"),
    (1_200_000, "¥120万", "¥1.2M"),
    (1_585_570_000, "¥158,557万", "¥1.59B"),
    (-2_500_000, "¥-250万", "-¥2.5M"),
    (None, "n/a", "n/a"),
    (float("nan"), "n/a", "n/a"),
])
def test_fmt_yen_per_language(value, ja, en):
    assert fmt_yen(value, "ja") == ja
    assert fmt_yen(value, "en") == en
    assert "万" not in fmt_yen(value, "en")


def test_join_list_per_language():
    assert join_list(["移動長", "議事録遅れ"], "ja") == "移動長、議事録遅れ"
    assert join_list(["long travel", "late minutes"], "en") == "long travel, late minutes"
    assert join_list(iter(["a"]), "en") == "a" and join_list([], "ja") == ""


@pytest.mark.parametrize("value, digits, unit, text", [
    (0.5, 1, "pt", "+0.5pt"),
    (-1.26, 1, "pt", "-1.3pt"),
    (-0.04, 1, "pt", "±0.0pt"),  # rounds to zero: never "-0.0pt"
    (0.04, 1, "pt", "±0.0pt"),
    (0.0, 2, "", "±0.00"),
    (-0.004, 2, "", "±0.00"),
    (3, 0, "", "+3"),
    (None, 1, "pt", None),
])
def test_fmt_signed_never_shows_a_negative_zero(value, digits, unit, text):
    assert fmt_signed(value, digits, unit) == text


def test_delta_in_points_as_text_and_as_number():
    assert fmt_delta_pct_points(0.7290, 0.7294) == "±0.0pt"
    assert fmt_delta_pct_points(0.505, 0.5) == "+0.5pt"
    assert fmt_delta_pct_points(None, 0.5) is None
    assert delta_pct_points(0.505, 0.5) == 0.5
    zero = delta_pct_points(0.7290, 0.7294)
    assert zero == 0.0 and math.copysign(1, zero) == 1.0  # +0.0, not -0.0
    assert math.copysign(1, delta_number(-0.00001)) == 1.0
    assert delta_pct_points(float("nan"), 0.5) is None


def test_table_config_gives_numbers_thousands_separators_and_keeps_the_callers_formats():
    import streamlit as st

    frame = pd.DataFrame({"visits": [1497, 3], "rate": [0.7357, 0.54], "name": ["a", None], "flag": [True, False],
                          "width": [1.0, 2.0]})
    config = table_config(frame, {"rate": st.column_config.NumberColumn(format="percent", step=0.001),
                                  "width": st.column_config.NumberColumn(width="small"), "name": "Name"})
    assert config["visits"]["type_config"]["format"] == "localized"  # 1,497
    assert config["rate"]["type_config"]["format"] == "percent" and config["rate"]["type_config"]["step"] == 0.001
    assert config["width"]["width"] == "small" and config["width"]["type_config"]["format"] == "localized"
    assert config["name"] == "Name" and "flag" not in config
    # a header that appears twice does not break it
    assert table_config(pd.DataFrame([[1, 2]], columns=["x", "x"]))["x"]["type_config"]["format"] == "localized"


# ------------------------------------------------------------------ pages (AppTest on the demo data)
def _no_none_cells(df) -> None:
    """What the user sees in an empty cell is "—" (the table's placeholder), and no cell holds the text "None"."""
    assert df.proto.placeholder == MISSING, f"table {df.key or list(df.value.columns)} shows missing cells as 'None'"
    frame = df.value
    for col in frame.columns:
        values = frame[col]
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            assert not values.astype(object).isin(["None", "nan", "NaN"]).any(), (col, values.tolist())


def _texts(at) -> str:
    parts = []
    for kind in ("markdown", "caption", "info", "success", "warning", "error", "title", "subheader", "header"):
        parts += [str(getattr(e, "value", "")) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value} {m.delta or ''}" for m in at.metric]
    for df in at.dataframe:
        frame = df.value
        parts += [str(c) for c in frame.columns]
        parts += [str(v) for col in frame.columns if frame[col].dtype == object for v in frame[col].tolist()]
    return "\n".join(parts)


@demo
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_funnel_lead_row_shows_a_dash_not_none(app, lang):
    app.session_state["lang"] = lang
    app.switch_page("app_pages/funnel.py").run()
    assert not app.exception
    table = app.dataframe[0]
    _no_none_cells(table)
    lead = table.value.iloc[0]
    assert pd.isna(lead.iloc[2]) and pd.isna(lead.iloc[3])  # conversion and target of the lead row: empty, shown "—"
    # rates with one precision: 0.1 % steps, so 67.29 % shows as 67.3 % and 95 % as 95.0 %
    conv = json.loads(table.proto.columns)[table.value.columns[2]]["type_config"]  # the column config travels as JSON
    assert conv["format"] == "percent" and conv["step"] == 0.001


@demo
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_habits_tables_show_no_none_and_the_24h_rate_as_a_percent(app, lang):
    app.session_state["lang"] = lang
    app.switch_page("app_pages/habits.py").run()
    assert not app.exception
    assert len(app.dataframe) >= 3
    for df in app.dataframe:
        _no_none_cells(df)
    reps = app.dataframe[0]
    rate = "24時間以内議事録送付率" if lang == "ja" else "Minutes sent within 24 h"
    col = next(c for c in reps.value.columns if c.startswith(rate[:4]))
    assert reps.value[col].dropna().between(0, 1).all()  # a rate (0.833), shown as a percent (83.3%)
    assert json.loads(reps.proto.columns)[col]["type_config"] == {"type": "number", "format": "percent", "step": 0.001}
    # no tile delta is a negative zero
    assert not any(re.match(r"[-−]0(?:\.0+)?(?![\d.])", str(m.delta or "")) for m in app.metric), [m.delta for m in app.metric]


@demo
def test_regions_lead_timeline_shows_no_none(app):
    app.switch_page("app_pages/regions.py").run()
    accounts = [o for o in app.selectbox(key="regions.account").options if o and o != "（選択なし）"]
    app.selectbox(key="regions.account").set_value(accounts[0]).run()
    lead = next(o for o in app.selectbox(key="regions.lead").options if o and o != "（選択なし）")
    app.selectbox(key="regions.lead").set_value(lead.split("　")[0]).run()
    assert not app.exception, [e.value for e in app.exception]
    assert len(app.dataframe) == 3  # accounts, the account's deals, the lead's timeline
    for df in app.dataframe:
        _no_none_cells(df)
    timeline = next(df.value for df in app.dataframe if "内容" in df.value.columns and "メモ" in df.value.columns)
    assert timeline.isna().any().any()  # stage events have no detail / minutes: empty cells, shown as "—"


PAGES = ["funnel", "regions", "habits", "weekly", "onboarding", "adoption", "data", "targets"]


@demo
@pytest.mark.parametrize("page", PAGES)
def test_english_pages_show_no_man_and_no_japanese_comma(app, page):
    app.session_state["lang"] = "en"
    app.switch_page(f"app_pages/{page}.py").run()
    assert not app.exception, [e.value for e in app.exception]
    text = _texts(app)
    assert "万" not in text
    # 「、」 may appear inside the data itself (a Japanese account name, a note): not in what the app writes
    for line in text.splitlines():
        if "、" in line:
            assert any(ord(ch) > 0x3000 and ch != "、" for ch in line.replace("、", "")), line
    for df in app.dataframe:
        _no_none_cells(df)


@demo
def test_weekly_compare_csv_has_numeric_deltas(app, monkeypatch):
    """The CSV the weekly page's compare table downloads: the change in points is a number (0.5), not '+0.5pt'
    (which the formula guard would write as "'+0.5pt")."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    deferred: dict[str, object] = {}
    original = MediaFileManager.add_deferred

    def capture(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        deferred[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", capture)
    for lang, column in (("ja", "増減（pt）"), ("en", "Change (pt)")):
        app.session_state["lang"] = lang
        app.switch_page("app_pages/weekly.py").run()
        assert not app.exception
        raw = deferred["weekly_compare.csv"]()
        assert b"pt" not in raw.split(b"\n", 1)[1] and b"'+" not in raw and b"'-" not in raw
        csv = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig")
        assert pd.api.types.is_float_dtype(csv[column])
        shown = app.dataframe[0].value
        comp = [(a - b) * 100 for a, b in zip(shown.iloc[:, 4], shown.iloc[:, 5])]
        assert csv[column].tolist()[1:] == pytest.approx([round(v, 1) for v in comp[1:]], abs=1e-9)
        assert pd.isna(csv[column].iloc[0])  # the lead row has no conversion: empty, not "—" text
        assert not any(v == 0 and math.copysign(1, v) < 0 for v in csv[column].dropna())  # no "-0.0"
        # the rates are numbers too (0.673), shown as percents on screen
        assert pd.api.types.is_float_dtype(shown.iloc[:, 4])


def test_registry_values_are_formatted_in_their_unit_in_one_place():
    from ui.widgets import fmt_kpi, fmt_kpi_delta

    assert fmt_kpi("rate", 0.2165) == "21.6%" and fmt_kpi("count", 1497) == "1,497" and fmt_kpi("ratio", 3.3912) == "3.39"
    assert fmt_kpi("months", 10) == "10.0か月" and fmt_kpi("rate", None) == "n/a" and fmt_kpi("count", float("nan")) == "n/a"
    assert fmt_kpi_delta("rate", -0.003) == "-0.3pt" and fmt_kpi_delta("count", 8) == "+8" and fmt_kpi_delta("count", None) is None
    assert fmt_kpi_delta("rate", -0.0001) == "±0.0pt"
