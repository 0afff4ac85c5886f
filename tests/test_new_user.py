"""What a new user hits first (issue 17): crashes on realistic uploads and misleading words, each tried in AppTest
as a user would, with real files from ../shared/realdata/ where the issue names them."""
from __future__ import annotations

import json

import pytest

from conftest import APP, ROOT, realdata
from ui.data import digest_of


def _texts(at) -> str:
    parts = [str(getattr(e, "value", "")) for kind in ("markdown", "caption", "info", "warning", "error", "success", "title", "subheader")
             for e in getattr(at, kind)]
    return "\n".join(parts + [f"{m.label} {m.value}" for m in at.metric])


def _app(*files, timeout=120, query=None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if files:
        at.sidebar.file_uploader[0].set_value(list(files)).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_regions_page_on_the_real_crm_export_without_a_region_column():
    """Item 2: the Maven pipeline through the shipped mapping has no region; the page said 'This app has
    encountered an error' (adding a float to a string). Now it says why there is no comparison, and the
    drill-down still lists the accounts."""
    data = realdata("crm_sales_opportunities", "sales_pipeline.csv").read_bytes()
    at = _app(("sales_pipeline.csv", data, "text/csv"), timeout=180)
    mapping = (ROOT / "examples" / "mappings" / "maven_crm_leads.json").read_text(encoding="utf-8")
    at.session_state["mappings"] = {digest_of(data): json.dumps(json.loads(mapping))}
    at.run()
    assert len(at.session_state["frames"]["leads"]) == 8300  # of 8,800: 500 prospects have no engage_date (rejected, listed)
    for lang, expected in (("ja", "地域別の比較には地域"), ("en", "Comparing regions needs a region")):
        at.session_state["lang"] = lang
        at.switch_page("app_pages/regions.py").run()
        assert not at.exception, [e.value for e in at.exception]
        assert expected in _texts(at)


def test_a_file_whose_every_row_is_rejected_points_to_the_data_page_not_to_the_filters():
    """Item 8: every row rejected used to read 'widen the filters'. Now: no valid row, see the data page."""
    csv = "患者ID,来院日\n" + "".join(f"P{i},not a date\n" for i in range(5))
    at = _app(("visits.csv", csv.encode("utf-8"), "text/csv"))
    assert at.session_state["frames"]["visits"].empty
    at.switch_page("app_pages/clinic.py").run()
    assert not at.exception
    text = _texts(at)
    assert "有効な行が1行もありません" in text and "フィルタを広げて" not in text
    assert [link.label for link in at.page_link] == ["データ取込ページを開く"]


def test_back_to_demo_data_from_an_empty_page():
    """Item 8: a page without its data offered 'use the demo data' with no way to do it. The button empties the
    uploads and the app is on the demo data again, in the same session."""
    csv = "リードID,リード日,地域\nL1,2026/11/01,大阪\nL2,2026/11/02,京都\n"
    at = _app(("leads.csv", csv.encode("utf-8"), "text/csv"))
    at.switch_page("app_pages/clinic.py").run()
    assert "デモデータに戻してください" in _texts(at)
    button = at.button(key="app.back_to_demo_page")
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["source"] == "demo"
    assert {"leads", "visits"} <= set(at.session_state["frames"])
    assert len(at.session_state["frames"]["leads"]) > 2
    assert "デモデータに戻してください" not in _texts(at)


def test_a_shared_link_opens_in_its_language_and_the_switch_writes_it():
    """Item 8: links always opened in Japanese. ?lang=en opens in English; choosing English writes ?lang=en,
    choosing Japanese drops it. (One language change per AppTest: between runs AppTest formats select boxes
    outside the script, where the session's language cannot be read.)"""
    at = _app(query={"lang": "en"})
    assert at.session_state["lang"] == "en"
    assert "funnel" in at.title[0].value.lower()
    assert at.query_params.get("lang") in ("en", ["en"])

    at = _app()
    assert at.session_state["lang"] == "ja" and "lang" not in at.query_params
    at.session_state["lang"] = "en"  # what the sidebar's 日本語 / English switch sets
    at.run()
    assert at.query_params.get("lang") in ("en", ["en"])

    at = _app(query={"lang": "ja"})  # Japanese, the default, needs no parameter
    assert at.session_state["lang"] == "ja" and "lang" not in at.query_params
    assert _app(query={"lang": "fr"}).session_state["lang"] == "ja"  # an unknown language: Japanese


def test_a_big_file_that_needs_a_mapping_is_not_reported_as_read():
    """Item 8: a >2 MB file whose columns need mapping showed ✓ '0 rows read in 0.1 s'. Now its status box says
    it needs a mapping, in the error state."""
    data = realdata("noshow_kaggle", "KaggleV2-May-2016.csv").read_bytes()
    at = _app(("KaggleV2-May-2016.csv", data, "text/csv"), timeout=180)
    labels = [(s.label, s.state) for s in at.sidebar.status]
    assert labels == [("KaggleV2-May-2016.csv: 列の対応付けが必要です（データ取込ページ）", "error")], labels
    assert "0行" not in " ".join(label for label, _ in labels)


def test_cancel_rate_without_a_status_column_is_na_on_the_page_and_in_the_cli(tmp_path):
    """Item 4: the Kaggle file mapped on its two required columns showed キャンセル率 0.0 %, green, 信頼度 高.
    Without a status column the cancel rate is n/a (JSON null) and the page names the column."""
    import subprocess
    import sys

    path = realdata("noshow_kaggle", "KaggleV2-May-2016.csv")
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"kind": "visits", "columns": {"PatientId": "patient_id", "AppointmentDay": "visit_on"}}))
    out = subprocess.run([sys.executable, "-m", "kpi", "metrics", str(path), "--mapping", str(mapping), "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    monthly = json.loads(out.stdout)["visits"]["monthly"]
    assert monthly and all(m["cancel_rate"] is None for m in monthly)
    assert sum(m["visits"] for m in monthly) == 110_527


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_pages_without_data_offer_the_way_back_in_both_languages(lang):
    at = _app(("leads.csv", "リードID,リード日\nL1,2026/11/01\n".encode(), "text/csv"))
    at.session_state["lang"] = lang
    at.switch_page("app_pages/onboarding.py").run()
    assert not at.exception
    assert at.button(key="app.back_to_demo_page").label == {"ja": "デモデータに戻す", "en": "Back to demo data"}[lang]


def test_two_columns_for_one_required_field_are_named_on_the_data_page():
    """SPEC 7: 患者ID and カルテ番号 both read as patient_id; the data page names both columns and offers the mapping."""
    csv = "患者ID,来院日,カルテ番号\nP1,2026/11/01,K1\nP2,2026/11/02,K2\n"
    at = _app(("two_ids.csv", csv.encode("utf-8"), "text/csv"))
    at.switch_page("app_pages/data.py").run()
    assert not at.exception, [e.value for e in at.exception]
    text = _texts(at)
    assert "患者ID" in text and "カルテ番号" in text and "A列" in text and "C列" in text
    assert any(s.label.startswith("患者ID") for s in at.selectbox)  # the mapping form is offered


def test_a_page_whose_data_waits_for_a_mapping_says_so_and_links_the_data_page():
    """The real CRM export without its mapping: the funnel page named no file and only offered the demo data. Now it
    names the file waiting for its mapping and links the data page, in both languages."""
    data = realdata("crm_sales_opportunities", "sales_pipeline.csv").read_bytes()
    at = _app(("sales_pipeline.csv", data, "text/csv"), timeout=180)
    for lang, expected in (("ja", "sales_pipeline.csv は列の対応付けを待っています"), ("en", "sales_pipeline.csv: waiting for its column mapping")):
        at.session_state["lang"] = lang
        at.switch_page("app_pages/funnel.py").run()
        assert not at.exception, [e.value for e in at.exception]
        assert expected in _texts(at)
        assert len(at.page_link) == 1
        assert "このページに必要なデータ" not in _texts(at) and "This page needs" not in _texts(at)  # said once, not twice
    # the file is guessed to be leads: the clinic page does not promise to show it, it asks for visits data
    at.session_state["lang"] = "ja"
    at.switch_page("app_pages/clinic.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "このページに必要なデータ（来院・予約記録）がありません" in _texts(at)
    assert "対応付けを待っています" not in _texts(at) and len(at.page_link) == 0
