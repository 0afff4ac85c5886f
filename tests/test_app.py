"""The app as a user meets it (Streamlit AppTest): opens on demo data, every page renders, uploads give a report."""
from __future__ import annotations

import ast

import pytest

from conftest import APP, ROOT, SAMPLE


def registered_pages() -> list[str]:
    """The page files app.py declares in PAGES (read from the source, so the test follows app.py)."""
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "PAGES":
            return [elt.elts[0].value for elt in node.value.elts]
    raise AssertionError("app.py declares no PAGES")


EXISTING_PAGES = [p for p in registered_pages() if (ROOT / p).exists()]


def texts(at) -> str:
    """Every piece of text the run produced (markdown, captions, badges, info boxes, metrics)."""
    parts = []
    for kind in ("markdown", "caption", "info", "success", "warning", "error", "title", "subheader"):
        parts += [str(getattr(e, "value", "")) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(parts)


def sidebar_texts(at) -> str:
    return "\n".join(str(e.value) for e in at.sidebar.caption) + "\n".join(str(e.value) for e in at.sidebar.markdown)


def test_opens_on_demo_data_with_badge(app):
    assert not app.exception
    assert "デモデータ" in texts(app) + sidebar_texts(app)
    frames = app.session_state["frames"]
    # the five demo files load into the five datasets, none rejected (the sidebar says so per file)
    assert set(frames) == {"leads", "activities", "visits", "onboarding", "referrals"}
    captions = "\n".join(str(c.value) for c in app.sidebar.caption)
    for name in ("leads.xlsx", "activities.csv", "visits.csv", "onboarding.xlsx", "referrals.csv"):
        assert f"{name}:" in captions and "除外 0行" in captions


@pytest.mark.parametrize("page", EXISTING_PAGES, ids=[p.split("/")[-1] for p in EXISTING_PAGES])
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_page_renders_on_demo_data(app, page, lang):
    app.session_state["lang"] = lang
    app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    assert len(app.main.children) > 0


def test_english_switch_changes_the_ui(app):
    app.session_state["lang"] = "en"
    app.switch_page("app_pages/data.py").run()
    assert not app.exception
    assert "Data import & validation" in texts(app)
    assert "Demo data" in texts(app) + sidebar_texts(app)


def test_upload_through_the_real_file_uploader_gives_the_report(app):
    # 3 rows: one good, one with a bad date (required), one with a negative amount -> 1 valid, 2 rejected
    data = "営業案件一覧\n\nリードID,リード日,金額,地域\nA1,2026/11/01,12万円,大阪府\nA2,不明,100,京都\nA3,R8.11.2,-5,奈良\n".encode("cp932")
    app.sidebar.file_uploader[0].set_value(("leads_week47.csv", data, "text/csv")).run()
    assert not app.exception
    assert app.session_state["source"] == "upload"
    assert set(app.session_state["frames"]) == {"leads"}
    app.switch_page("app_pages/data.py").run()
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["読込行数"] == "3" and metrics["有効行数"] == "1" and metrics["除外行数"] == "2"
    errors = app.dataframe[0].value
    # Excel row numbers: title row 1, blank row 2, header row 3 -> data rows 4, 5, 6
    assert list(errors.iloc[:, 0]) == [5, 6]
    assert list(errors.iloc[:, 2]) == ["不明", "-5"]
    assert "デモデータ" not in sidebar_texts(app)


def test_missing_required_column_offers_mapping_and_mapping_applies(app):
    # the patient ID header is not an alias: the app asks for a mapping instead of failing
    data = "No,来院日,ステータス\nX1,2026/11/01,来院\nX2,2026/11/02,キャンセル\n".encode("cp932")
    app.sidebar.file_uploader[0].set_value(("visits.csv", data, "text/csv")).run()
    assert not app.exception
    app.switch_page("app_pages/data.py").run()
    assert "必須の列が見つかりませんでした" in texts(app)
    box = next(s for s in app.selectbox if s.label.startswith("患者ID"))
    box.set_value("No")
    app.button[0].click().run()  # the form's OK button
    assert not app.exception
    assert "visits" in app.session_state["frames"]
    assert len(app.session_state["frames"]["visits"]) == 2


def test_unreadable_upload_is_one_plain_sentence(app):
    app.sidebar.file_uploader[0].set_value(("broken.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(200), "application/octet-stream")).run()
    assert not app.exception
    app.switch_page("app_pages/data.py").run()
    assert not app.exception
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and errors[0].startswith("読み込めませんでした") and "Traceback" not in errors[0]


def test_demo_files_exist_for_download():
    for name in ("leads.xlsx", "activities.csv", "visits.csv", "onboarding.xlsx", "referrals.csv"):
        assert (SAMPLE / name).stat().st_size > 1000


def test_streamlit_config_keeps_data_private():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["browser"]["gatherUsageStats"] is False
    assert config["client"]["showErrorDetails"] in ("none", False)
    assert 1 <= config["server"]["maxUploadSize"] <= 1000
    assert APP.endswith("app.py")
