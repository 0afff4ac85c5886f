"""End-to-end in a real browser: the app served on 127.0.0.1, driven by Playwright and Debian's Chromium.

Skipped (with the reason) when /usr/bin/chromium or the playwright package is missing. Every wait is on
an element or a text, never a fixed sleep.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install playwright)")
expect = sync_api.expect

sys.path.insert(0, str(ROOT / "scripts"))
from screenshots import CHROMIUM_ARGS, serve_app  # noqa: E402

pytestmark = pytest.mark.e2e
TIMEOUT = 90_000
UPLOAD_INPUT = "[data-testid='stFileUploaderDropzoneInput']"


def leads_csv(ids: list[str], bad: int) -> bytes:
    """cp932 leads: one row per id, the last ``bad`` of them with a date that cannot be read."""
    lines = ["リードID,取引先,リード日,金額"]
    for i, lead in enumerate(ids):
        date = "不明" if i >= len(ids) - bad else f"2026/11/{1 + i:02d}"
        lines.append(f"{lead},株式会社{lead},{date},12万円")
    return ("\n".join(lines) + "\n").encode("cp932")


@pytest.fixture(scope="module")
def server():
    with serve_app() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    yield page
    context.close()


def open_app(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("[data-testid='stSidebar']")
    page.wait_for_selector(UPLOAD_INPUT, state="attached")


def badge(page, text: str):
    return page.locator(".stMarkdownBadge", has_text=text)


def upload(page, name: str, data: bytes) -> None:
    page.set_input_files(UPLOAD_INPUT, files=[{"name": name, "mimeType": "text/csv", "buffer": data}])


def test_opens_on_demo_data(server, page):
    open_app(page, server)
    expect(badge(page, "デモデータ").first).to_be_visible()
    # the sidebar lists the demo files as loaded
    expect(page.get_by_text("visits.csv:", exact=False).first).to_be_visible()


def test_switch_language_to_english(server, page):
    open_app(page, server)
    expect(badge(page, "デモデータ").first).to_be_visible()
    page.locator("[data-testid='stSidebar'] button", has_text="English").click()
    expect(badge(page, "Demo data").first).to_be_visible()
    expect(badge(page, "デモデータ")).to_have_count(0)


def test_upload_cp932_csv_shows_validation_counts_on_data_page(server, page):
    open_app(page, server + "/data")
    expect(badge(page, "デモデータ").first).to_be_visible()
    upload(page, "週次リード.csv", leads_csv(["L1", "L2", "L3", "L4"], bad=1))
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_text("読込 4 = 有効 3 + 除外 1")).to_be_visible()
    expect(main.get_by_text("週次リード.csv")).to_be_visible()
    expect(main.get_by_text("cp932", exact=False).first).to_be_visible()
    expect(badge(page, "アップロードデータ").first).to_be_visible()
    expect(badge(page, "デモデータ")).to_have_count(0)


def test_two_sessions_uploading_at_once_never_see_each_other(server, browser):
    files = {
        "alpha_clinic_leads.csv": (leads_csv([f"A{i}" for i in range(7)], bad=2), "読込 7 = 有効 5 + 除外 2"),
        "beta_hospital_leads.csv": (leads_csv([f"B{i}" for i in range(11)], bad=3), "読込 11 = 有効 8 + 除外 3"),
    }
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP") for _ in files]
    try:
        pages = [c.new_page() for c in contexts]
        for p in pages:
            p.set_default_timeout(TIMEOUT)
            open_app(p, server + "/data")
        for p, (name, (data, _)) in zip(pages, files.items()):  # both uploads in flight before either is checked
            upload(p, name, data)
        for p, (name, (_, summary)) in zip(pages, files.items()):
            main = p.locator("[data-testid='stMain']")
            expect(main.get_by_text(summary)).to_be_visible()
            expect(main.get_by_text(name)).to_be_visible()
        for p, (name, (_, summary)) in zip(pages, files.items()):
            other_name, (_, other_summary) = next((n, v) for n, v in files.items() if n != name)
            content = p.content()
            assert other_name not in content and other_summary not in content
            assert other_name.split("_")[0] not in p.inner_text("body")
            assert name in content
    finally:
        for c in contexts:
            c.close()


def test_browser_makes_no_request_beyond_loopback(server, browser):
    context = browser.new_context(locale="ja-JP")
    outside: list[str] = []
    context.on("request", lambda r: outside.append(r.url) if not r.url.startswith((server, "data:", "blob:")) else None)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        for path in ("", "/data"):
            open_app(page, server + path)
            expect(badge(page, "デモデータ").first).to_be_visible()
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    assert outside == []
