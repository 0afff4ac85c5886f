"""The clinic page (app_pages/clinic.py) as a user meets it, and its chart builders (ui/charts_clinic.py)."""
from __future__ import annotations

import pandas as pd
import pytest

from conftest import page_elements
from kpi import clinic

PAGE = "app_pages/clinic.py"


def metric(at, label_start: str):
    return next(m for m in at.metric if m.label.startswith(label_start))


def expected_month(visits: pd.DataFrame, as_of: pd.Timestamp | None = None) -> tuple[pd.Series, pd.Series]:
    as_of = as_of or clinic.default_as_of(visits)
    table = clinic.monthly_table(visits, as_of).set_index("month")
    month = clinic.latest_full_month(as_of)
    pos = table.index.get_loc(month)
    return table.iloc[pos], table.iloc[pos - 1]


def test_clinic_page_on_demo_data_shows_the_kpi_numbers(app):
    app.switch_page(PAGE).run()
    assert not app.exception
    visits = app.session_state["frames"]["visits"]
    cur, prev = expected_month(visits)
    assert metric(app, "来院数").value == f"{cur['visits']:,}"
    assert metric(app, "来院数").delta == f"{cur['visits'] - prev['visits']:+.0f}"
    assert metric(app, "患者数").value == f"{cur['patients']:,}"
    assert metric(app, "来院頻度").value == f"{cur['frequency']:.2f}"
    assert metric(app, "2回目リピート率").value == f"{cur['second_visit_rate'] * 100:.1f}%"
    assert metric(app, "キャンセル率").value == f"{cur['cancel_rate'] * 100:.1f}%"
    assert metric(app, "10分単価").value == f"¥{cur['price_per_10min']:,.0f}"
    backlog = clinic.booking_backlog(visits)
    assert [metric(app, f"{w}週以内").value for w in (1, 2, 3, 4)] == [f"{backlog[f'w{w}']:,}" for w in (1, 2, 3, 4)]
    # the monthly table (one row per month) and the call list (masked IDs)
    frames = [d.value for d in app.dataframe]
    monthly = next(f for f in frames if "月" in f.columns)
    assert list(monthly["月"]) == list(clinic.monthly_table(visits)["month"])
    assert monthly["来院数"].sum() == clinic.monthly_table(visits)["visits"].sum()
    calls = app.dataframe[0].value  # the call list comes first (issue 17 item 12)
    assert len(calls) == len(clinic.call_list(visits))
    assert calls["患者ID"].str.contains("＊").all()


def test_a_changed_target_reaches_the_clinic_page_at_once(app):
    """The page's cache is keyed by the targets: raising the ¥/10 min guide fires its warning on the next run."""
    from kpi.targets import Targets

    app.switch_page(PAGE).run()
    assert not any("10分単価" in w.value for w in app.warning)
    app.session_state["targets"] = Targets(price_per_10min_min=100_000)
    app.run()
    assert not app.exception
    assert any("10分単価" in w.value for w in app.warning)


def test_rows_without_a_clinic_are_left_out_by_the_clinic_filter_even_with_every_clinic(app):
    """Every clinic selected (the default) is every row that has a clinic, as each clinic's own numbers add up to."""
    from conftest import SAMPLE

    lines = (SAMPLE / "visits.csv").read_bytes().decode("cp932").splitlines()
    header, body = lines[0], lines[1:]
    at = header.split(",").index("院名")
    for i in range(0, len(body), 7):  # one row in seven loses its clinic
        cells = body[i].split(",")
        cells[at] = ""
        body[i] = ",".join(cells)
    data = ("\r\n".join([header] + body) + "\r\n").encode("cp932")
    app.sidebar.file_uploader[0].set_value(("visits.csv", data, "text/csv")).run()
    app.switch_page(PAGE).run()
    assert not app.exception
    visits = app.session_state["frames"]["visits"]
    assert visits["clinic"].isna().any()
    with_clinic = visits[visits["clinic"].notna()].reset_index(drop=True)
    cur, _ = expected_month(with_clinic, clinic.default_as_of(visits))
    assert metric(app, "来院数").value == f"{cur['visits']:,}"


def test_clinic_page_in_english(app):
    app.session_state["lang"] = "en"
    app.switch_page(PAGE).run()
    assert not app.exception
    cur, _ = expected_month(app.session_state["frames"]["visits"])
    assert metric(app, "Visits").value == f"{cur['visits']:,}"
    assert any(m.label.startswith("Visit frequency") for m in app.metric)
    assert "Patient ID" in app.dataframe[0].value.columns  # the call list first
    assert any("Month" in d.value.columns for d in app.dataframe[1:])


def test_clinic_filter_gives_that_clinics_numbers(app):
    app.switch_page(PAGE).run()
    visits = app.session_state["frames"]["visits"]
    one = sorted(visits["clinic"].dropna().unique())[0]
    app.multiselect(key="clinic.clinics").set_value([one]).run()
    assert not app.exception
    # as_of stays the whole file's date: a filter never moves the date
    cur, _ = expected_month(visits[visits["clinic"] == one].reset_index(drop=True), clinic.default_as_of(visits))
    assert metric(app, "来院数").value == f"{cur['visits']:,}"


def test_staff_filter_runs(app):
    app.switch_page(PAGE).run()
    box = app.selectbox(key="clinic.staff")
    box.set_value(box.options[1]).run()
    assert not app.exception
    assert metric(app, "来院数").value != ""


def test_without_first_visit_column_the_first_month_is_a_note_not_a_split(app):
    rows = ["患者ID,来院日,ステータス"]
    for month in (9, 10, 11):
        rows += [f"P{i},2026/{month}/{i + 1},来院" for i in range(12)]
    app.sidebar.file_uploader[0].set_value(("visits.csv", "\n".join(rows).encode("cp932"), "text/csv")).run()
    app.switch_page(PAGE).run()
    assert not app.exception
    notes = " ".join(str(i.value) for i in app.info)
    assert "2026-09" in notes and "区別できません" in notes
    # the money columns are absent: n/a, and the page says which column enables it
    assert metric(app, "10分単価").value == "n/a"
    assert any("amount_yen" in str(c.value) for c in app.caption)


# ---------------------------------------------------------------- the call list first, names and phones (issue 17 item 12)
SURNAMES = ["山本", "中村", "小林", "加藤", "吉田", "山口", "松本", "井上", "木下", "森田", "清水", "池田"]
GIVEN = ["一郎", "花子", "健太", "美咲", "翔太", "陽菜", "大輔", "結衣"]


def visits_with_contacts() -> tuple[bytes, dict[str, str], dict[str, str]]:
    """The demo visits with 患者名 and 電話番号 columns (the names not used by any staff member): the CSV, and
    patient_id -> name / phone."""
    from conftest import SAMPLE

    frame = pd.read_csv(SAMPLE / "visits.csv", encoding="cp932", dtype=str, keep_default_na=False)
    staff = set(frame["施術者"])
    pool = [f"{s} {g}" for s in SURNAMES for g in GIVEN if f"{s} {g}" not in staff]
    ids = sorted(frame["患者ID"].unique())
    names = {pid: pool[i % len(pool)] + ("" if i < len(pool) else str(i // len(pool))) for i, pid in enumerate(ids)}
    phones = {pid: f"06-{5000 + i:04d}-{(7919 * i) % 10000:04d}" for i, pid in enumerate(ids)}
    frame.insert(1, "患者名", frame["患者ID"].map(names))
    frame.insert(2, "電話番号", frame["患者ID"].map(phones))
    return frame.to_csv(index=False).encode("cp932"), names, phones


def _page_bytes(at) -> bytes:
    """Everything the app sent for this run (main and sidebar: texts, tables as Arrow, chart data)."""
    return b"".join(e.proto.SerializeToString() for e in page_elements(at.main) + page_elements(at.sidebar)
                    if hasattr(e, "proto") and hasattr(e.proto, "SerializeToString"))


@pytest.fixture
def contacts_app(app):
    data, names, phones = visits_with_contacts()
    app.sidebar.file_uploader[0].set_value(("visits.csv", data, "text/csv")).run()
    app.switch_page(PAGE).run()
    assert not app.exception, [e.value for e in app.exception]
    return app, names, phones


def test_call_list_heading_with_its_count_comes_before_the_first_chart(contacts_app):
    at, _, _ = contacts_app
    calls = clinic.call_list(at.session_state["frames"]["visits"])
    assert len(calls) > 0
    order = [(getattr(e, "type", None), str(getattr(e, "value", ""))) for e in page_elements(at.main)]
    heading = order.index(("subheader", f"今週電話する患者（{len(calls):,}人）"))
    first_chart = next(i for i, (kind, _) in enumerate(order) if kind == "vega_lite_chart")
    first_metric = next(i for i, (kind, _) in enumerate(order) if kind == "metric")
    assert first_metric < heading < first_chart  # right after the headline tiles, before the charts
    # its table is the first table on the page, one row per patient to call, names and phones masked
    table = at.dataframe[0].value
    assert list(table.columns[:3]) == ["患者ID", "患者名", "電話"] and len(table) == len(calls)
    assert table["患者名"].str.fullmatch(r".＊＊").all()
    assert table["電話"].str.fullmatch(r"＊＊＊＊\d{4}").all()
    assert table["電話"].str[-4:].tolist() == calls["phone"].str[-4:].tolist()  # the last 4 digits kept
    assert table["患者名"].str[0].tolist() == calls["patient_name"].str[0].tolist()  # the first character kept


def test_masked_names_and_phones_appear_nowhere_and_only_in_the_call_list_unmasked(contacts_app):
    at, names, phones = contacts_app
    assert at.session_state["mask_ids"] is True  # the default
    sent = _page_bytes(at)
    for pid in names:
        assert names[pid].encode() not in sent, names[pid]
        assert phones[pid].encode() not in sent and phones[pid].replace("-", "").encode() not in sent, phones[pid]
    # switched off: the call list shows them in full, and still no other table, chart or text carries any
    at.sidebar.toggle(key="mask_ids").set_value(False).run()
    assert not at.exception
    calls = clinic.call_list(at.session_state["frames"]["visits"])
    table = at.dataframe[0].value
    assert table["患者名"].tolist() == calls["patient_name"].tolist()
    assert table["電話"].tolist() == calls["phone"].tolist()
    shown = _page_bytes(at)  # the check above reads the same bytes: it would see a leak
    assert all(n.encode() in shown for n in calls["patient_name"]) and all(p.encode() in shown for p in calls["phone"])
    elements = page_elements(at.main)
    first_table = next(i for i, e in enumerate(elements) if getattr(e, "type", None) == "dataframe")
    others = b"".join(e.proto.SerializeToString() for i, e in enumerate(elements) if i != first_table and hasattr(e, "proto"))
    for pid in names:
        assert names[pid].encode() not in others and phones[pid].encode() not in others


# ---------------------------------------------------------------- chart builders
MONTHLY = pd.DataFrame({"month": ["2026-01", "2026-02", "2026-03"], "carryover": [0, 5, 6], "new": [4, 2, 3],
                        "returning": [0, 1, 0], "second_visit_rate": [0.5, 0.75, None], "new_eligible": [4, 2, 0],
                        "new_pending": [0, 0, 3], "frequency": [3.0, 4.5, 4.1]})


def test_patient_mix_is_stacked_in_the_given_order():
    from ui import charts_clinic as cc

    spec = cc.patient_mix_bars(MONTHLY, "month", {"carryover": "継続", "new": "新患", "returning": "再来"},
                               {"carryover": "#1", "new": "#2", "returning": "#3"}, "内訳", "月", "人").to_dict()
    assert spec["mark"]["type"] == "bar" and spec["encoding"]["y"]["stack"] == "zero"
    assert spec["encoding"]["color"]["scale"]["domain"] == ["継続", "新患", "再来"]
    assert spec["title"] == "内訳"


def test_second_visit_bars_show_pending_months_as_pending_not_zero():
    from ui import charts_clinic as cc

    chart = cc.second_visit_bars(MONTHLY, "month", "second_visit_rate", "new_eligible", "new_pending", 0.7,
                                 "判定待ち {n}人", "2回目", "月", "率")
    data = chart.data if isinstance(chart.data, pd.DataFrame) else chart.layer[0].data
    march = data.set_index("month").loc["2026-03"]
    assert bool(march["is_pending"]) and march["text"] == "判定待ち 3人"
    assert data.set_index("month").loc["2026-02", "text"] == "75%"
    spec = chart.to_dict()
    assert any(layer.get("encoding", {}).get("y", {}).get("field") == "guide" for layer in spec["layer"])  # the dashed target rule (ui.charts.guide_rule)


def test_cohort_heatmap_sequential_scale_and_percent_labels():
    from ui import charts_clinic as cc

    grid = pd.DataFrame({"cohort": ["2026-01", "2026-01"], "months_since": [0, 1], "cohort_size": [4, 4], "active": [4, 2], "share": [1.0, 0.5]})
    spec = cc.cohort_heatmap(grid, "cohort", "months_since", "share", "コホート", "経過月", "初診月", "割合").to_dict()
    rect, text = spec["layer"]
    assert rect["encoding"]["color"]["scale"] == {"scheme": "blues", "domain": [0, 1]}
    assert text["encoding"]["text"]["format"] == ".0%"


def test_net_bookings_green_up_red_down():
    from ui import charts_clinic as cc
    from ui.charts import RAG_COLORS

    frame = pd.DataFrame({"date": pd.date_range("2026-03-01", periods=3), "net": [2.0, -1.0, None]})
    chart = cc.net_bookings_bars(frame, "date", "net", "増加", "減少", "純増", "日付", "件")
    assert chart.data["direction"].tolist() == ["増加", "減少"]  # the n/a day is not drawn as 0
    scale = chart.to_dict()["encoding"]["color"]["scale"]
    assert scale == {"domain": ["増加", "減少"], "range": [RAG_COLORS["green"], RAG_COLORS["red"]]}


@pytest.mark.parametrize("guide", [4.0, None])
def test_line_with_guide_draws_the_dashed_guide(guide):
    from ui import charts_clinic as cc

    spec = cc.line_with_guide(MONTHLY, "month", "frequency", guide, "頻度", "月", "回").to_dict()
    dashed = [layer for layer in spec["layer"] if layer["mark"].get("strokeDash")]
    assert len(dashed) == (1 if guide else 0)


# ---------------------------------------------------------------- masking of short IDs and of the mapping screen's samples (issue 14 item 10)
def test_mask_ids_hides_short_ids_whole_and_keeps_missing_missing():
    import streamlit as st

    from ui.widgets import mask_ids

    ids = pd.Series(["A", "B7", "C12", "P0001", "P000123", None])

    try:
        st.session_state["mask_ids"] = True
        masked = mask_ids(ids)
        assert masked.tolist()[:5] == ["＊＊＊", "＊＊＊", "＊＊＊", "P0＊＊＊1", "P0＊＊＊3"] and pd.isna(masked.iloc[5])
        st.session_state["mask_ids"] = False
        assert mask_ids(ids).tolist()[:5] == ["A", "B7", "C12", "P0001", "P000123"]
    finally:
        st.session_state.pop("mask_ids", None)


def test_short_patient_ids_are_fully_masked_in_the_call_list(app):
    from conftest import SAMPLE

    frame = pd.read_csv(SAMPLE / "visits.csv", encoding="cp932", dtype=str, keep_default_na=False)
    ids = sorted(frame["患者ID"].unique())
    short = {pid: str(i % 1000) for i, pid in enumerate(ids)}  # 1–3 characters (repeats past 1000 merge patients: fine)
    frame["患者ID"] = frame["患者ID"].map(short)
    app.sidebar.file_uploader[0].set_value(("visits.csv", frame.to_csv(index=False).encode("cp932"), "text/csv")).run()
    app.switch_page(PAGE).run()
    assert not app.exception, [e.value for e in app.exception]
    table = app.dataframe[0].value
    assert len(table) > 0 and table["患者ID"].eq("＊＊＊").all(), table["患者ID"].head().tolist()
    app.sidebar.toggle(key="mask_ids").set_value(False).run()
    calls = clinic.call_list(app.session_state["frames"]["visits"])
    assert app.dataframe[0].value["患者ID"].tolist() == calls["patient_id"].tolist()


def _id_field_options(at) -> list[str]:
    field = next(s for s in at.main.selectbox if s.label.startswith("患者ID"))
    return list(field.options)


def test_mapping_screen_masks_every_sample_of_a_visits_file(app):
    csv = "No,来院日,ステータス\r\nP001,2026/11/01,来院\r\nP002,2026/11/02,来院\r\nP001,2026/11/09,キャンセル\r\n".encode("cp932")
    app.sidebar.file_uploader[0].set_value(("来院記録.csv", csv, "text/csv")).run()
    app.switch_page("app_pages/data.py").run()
    assert not app.exception, [e.value for e in app.exception]
    options = _id_field_options(app)
    sampled = [o for o in options if "例" in o]
    assert sampled, options
    shown = " ".join(sampled)
    assert "P001" not in shown and "P002" not in shown and "2026/11/01" not in shown and "来院" not in shown.split("例")[-1]
    assert any(o.startswith("No") and "P＊＊＊ / P＊＊＊" in o for o in options), options
    # the switch off: the samples as written
    app.sidebar.toggle(key="mask_ids").set_value(False).run()
    assert any(o.startswith("No") and "P001 / P002" in o for o in _id_field_options(app))


def test_mapping_samples_of_another_kind_are_masked_only_under_id_like_headers():
    import streamlit as st

    from ui.mapping import shown_samples

    samples = {"番号": ["L001"], "患者ID": ["A1"], "お客様カルテ": ["K0001"], "取引先": ["株式会社A"]}
    try:
        st.session_state["mask_ids"] = True
        assert shown_samples("leads", samples) == {"番号": ["L001"], "患者ID": ["＊＊＊"], "お客様カルテ": ["K＊＊＊"], "取引先": ["株式会社A"]}
        assert all(v[0].endswith("＊＊＊") for v in shown_samples("visits", samples).values())
        st.session_state["mask_ids"] = False
        assert shown_samples("visits", samples) == samples
    finally:
        st.session_state.pop("mask_ids", None)


# ---------------------------------------------------------------- issue 16: revenue tree, guides, staff, machine-only, outcomes
def _captions(at) -> str:
    return " ".join(str(c.value) for c in at.caption)


def test_revenue_tree_row_and_new_registry_tiles_in_japanese(app):
    """売上 = 患者数 × 来院頻度 × 平均単価 on one row with each factor's change; the new KPIs as registry tiles."""
    from kpi import registry

    app.switch_page(PAGE).run()
    assert not app.exception, [e.value for e in app.exception]
    visits = app.session_state["frames"]["visits"]
    cur, prev = expected_month(visits)
    labels = [m.label for m in app.metric]
    assert labels[:4] == ["売上", "患者数", "来院頻度", "平均単価"]  # the tree comes first, on one row
    assert metric(app, "平均単価").value == f"¥{cur['avg_price']:,.0f}"
    captions = _captions(app)
    patients_change = (cur["patients"] / prev["patients"] - 1) * 100
    assert f"前月比 {patients_change:+.1f}%" in captions
    assert "売上" in captions and "最も動いた要因" in captions
    values = registry.values({"visits": visits})
    assert metric(app, "自費率").value == f"{values['self_pay_ratio'] * 100:.1f}%"
    assert metric(app, "再新患率").value == f"{values['returning_share'] * 100:.1f}%"
    assert metric(app, "10分単価（機器のみ除く）").value == f"¥{values['price_per_10min_excl_machine']:,.0f}"
    assert metric(app, "初診後離脱率").value == f"{values['first_visit_dropout_rate'] * 100:.1f}%"
    assert metric(app, "新患定着率").value == f"{values['new_patient_retention_rate'] * 100:.1f}%"
    # the method's guides as grey lines (no RAG for 新患 and 再新患), and the machine-only exclusion said on its tile
    assert "目安 20以上" in captions and "目安 約5.0%" in captions and "目安 4.00以上" in captions
    assert "機器のみ" in captions
    # per staff: a table with its download; outcomes by first-visit month
    frames = [d.value for d in app.dataframe]
    staff = next(f for f in frames if "施術者" in f.columns and "10分単価" in f.columns)
    assert staff["来院数"].sum() > 0 and set(staff["施術者"]) <= set(visits["staff"].dropna())
    assert any("初診後離脱率" in f.columns and "初診月" in f.columns for f in frames)


def test_new_tiles_and_staff_table_in_english(app):
    app.query_params["lang"] = "en"
    app.session_state["lang"] = "en"
    app.switch_page(PAGE).run()
    assert not app.exception, [e.value for e in app.exception]
    labels = [m.label for m in app.metric]
    assert labels[:4] == ["Revenue", "Patients", "Visit frequency", "Average price per visit"]
    for label in ("Self-pay ratio", "Returning-patient share", "Price per 10 min (machine-only excluded)",
                  "Drop-out after first visit", "New-patient retention"):
        assert label in labels, label
    assert "guide ≥ 20" in _captions(app) and "vs prev. month" in _captions(app)
    assert any("Staff" in d.value.columns and "2nd-visit rate" in d.value.columns for d in app.dataframe)


def test_clinic_settings_switch_the_machine_only_exclusion_off(app):
    app.switch_page(PAGE).run()
    app.toggle(key="clinic.set.exclude").set_value(False).run()
    assert not app.exception
    assert "除外なし（設定でオフ）" in _captions(app)
    visits = app.session_state["frames"]["visits"]
    cur, _ = expected_month(visits)
    # without the exclusion the price per 10 min is the plain one
    assert metric(app, "10分単価（機器のみ除く）").value == f"¥{cur['price_per_10min']:,.0f}"


def test_staff_and_outcome_chart_builders():
    from ui import charts_clinic as cc

    staff = pd.DataFrame({"staff": ["A", "B", "C"], "second_visit_rate": [0.8, 0.4, None]})
    spec = cc.staff_bars(staff, "staff", "second_visit_rate", "t", "rate", ".0%", 0.7).to_dict()
    assert [r["staff"] for r in spec["datasets"][next(iter(spec["datasets"]))]] == ["A", "B"]  # no value, no bar
    outcomes = pd.DataFrame({"month": ["2026-01", "2026-02"], "dropout_rate": [0.5, None], "retention_rate": [0.25, None],
                             "complete": [True, False]})
    chart = cc.cohort_outcome_bars(outcomes, "month", {"dropout_rate": "drop", "retention_rate": "kept"}, "complete", "pending", "t", "m", "y")
    data = chart.data if hasattr(chart, "data") and isinstance(chart.data, pd.DataFrame) else chart.layer[0].data
    assert data[["month", "label", "pending"]].values.tolist() == [["2026-01", "drop", False], ["2026-01", "kept", False],
                                                                  ["2026-02", "pending", True]]
