"""End-to-end in a real browser: the app served on 127.0.0.1, driven by Playwright and Debian's Chromium.

Skipped (with the reason) when /usr/bin/chromium or the playwright package is missing. Every wait is on
an element or a text, never a fixed sleep.
"""
from __future__ import annotations

import importlib.util
import io
import re
import sys
import time
import warnings
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE

CHROMIUM = "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install playwright)")
expect = sync_api.expect
expect.set_options(timeout=30_000)  # a 2-core CI machine under load: waits are on elements, 5 s is too short a default

sys.path.insert(0, str(ROOT / "scripts"))
from screenshots import CHROMIUM_ARGS, serve_app

pytestmark = pytest.mark.e2e
TIMEOUT = 90_000
UPLOAD_INPUT = "[data-testid='stFileUploaderDropzoneInput']"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Every page of the app in the order of app.PAGES (its URL path is the file stem; its title key is "<stem>.title").
PAGES = ["funnel", "regions", "habits", "weekly", "memory", "clinic", "onboarding", "adoption", "referrals", "data", "targets"]


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


def upload(page, name: str, data: bytes, mime: str = "text/csv") -> None:
    """Drop a file once the page's first run has finished, as a user does once the page has drawn, and wait until the
    sidebar's uploader lists it: its chip appears once Streamlit has given the file an upload URL.

    Why the wait, and the one re-drop: on this 2-core machine about one drop in 20, in whole-module runs, showed no
    chip for over 20 s; in CI (stop 21) one never reached the app in 30 s. With the websocket traced, the browser had
    asked for the upload URL and had the server's answer within 0.4 s, then made no upload request and showed no
    chip. Once such a file did arrive later (both copies were then loaded); other times it never did. The cause lies
    in Streamlit 1.67's uploader in the browser and is not established; a user would drop the file again. So: wait
    up to 60 s for the chip, then drop once more with a warning (CI prints it). A second miss fails the test, and
    what the app does with the file is checked after this as before.
    """
    wait_run_done(page)
    listed = """name => [...document.querySelectorAll("[data-testid='stSidebar'] [data-testid='stFileChipName']")]
                      .some(chip => chip.title === name)"""  # the chip's text is shortened; its title is the whole name
    for attempt in (1, 2):
        page.set_input_files(UPLOAD_INPUT, files=[{"name": name, "mimeType": mime, "buffer": data}])
        started = time.monotonic()
        try:
            page.wait_for_function(listed, arg=name, timeout=60_000)
        except sync_api.TimeoutError:
            if attempt == 2:
                raise
            app = page.locator("[data-testid='stApp']")
            warnings.warn(f"the uploader did not list {name!r} within 60 s of the drop (script "
                          f"{app.get_attribute('data-test-script-state')}, connection "
                          f"{app.get_attribute('data-test-connection-state')}); dropped again", stacklevel=2)
            continue
        if time.monotonic() - started > 20:
            warnings.warn(f"the uploader listed {name!r} only {time.monotonic() - started:.0f} s after the drop", stacklevel=2)
        return


def wait_run_done(page) -> None:
    """Wait until the script run has finished (Streamlit marks its state on the app root)."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")


def go_to(page, name: str, title: str) -> None:
    """Navigate inside the session through the sidebar link, then wait for the page's title and the end of its run."""
    path = "/" if name == PAGES[0] else f"/{name}"  # the first page is the default one, served at the root
    page.locator(f"[data-testid='stSidebarNav'] a[href$='{path}']").first.click()
    page.wait_for_url(re.compile(re.escape(path) + r"(\?.*)?$"))  # the language may follow (?lang=en)
    expect(page.locator("[data-testid='stMain'] h1", has_text=title).first).to_be_visible()
    wait_run_done(page)


def title_of(name: str) -> str:
    from ui.strings import STRINGS

    return STRINGS[f"{name}.title"]["ja"]


def leads_xlsx() -> bytes:
    """A workbook as people make them: a title row, a blank row, Japanese headers, 3 leads (one with a bad date)."""
    import datetime as dt

    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("リード")
    date = wb.add_format({"num_format": "yyyy/mm/dd"})
    ws.write_string(0, 0, "新規リード一覧（2026年11月）")
    ws.write_row(2, 0, ["リードID", "リード日", "地域"])
    ws.write_string(3, 0, "X1")
    ws.write_datetime(3, 1, dt.datetime(2026, 11, 2), date)
    ws.write_string(3, 2, "大阪")
    ws.write_string(4, 0, "X2")
    ws.write_datetime(4, 1, dt.datetime(2026, 11, 3), date)
    ws.write_string(4, 2, "京都")
    ws.write_row(5, 0, ["X3", "そのうち", "神戸"])  # a date nobody can read
    wb.close()
    return buf.getvalue()


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


def test_upload_xlsx_with_title_rows_shows_validation_counts(server, page):
    open_app(page, server + "/data")
    expect(badge(page, "デモデータ").first).to_be_visible()
    upload(page, "新規リード11月.xlsx", leads_xlsx(), XLSX_MIME)
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_text("読込 3 = 有効 2 + 除外 1")).to_be_visible()
    expect(main.get_by_text("新規リード11月.xlsx")).to_be_visible()
    expect(main.get_by_text("見出しは3行目", exact=False).first).to_be_visible()  # the title and blank rows were skipped
    expect(main.get_by_text("そのうち").first).to_be_attached()  # the rejected value is in the error table (a canvas grid)
    expect(badge(page, "アップロードデータ").first).to_be_visible()


def test_map_unrecognised_patient_id_column_on_data_page(server, page):
    open_app(page, server + "/data")
    expect(badge(page, "デモデータ").first).to_be_visible()
    csv = "No,来院日,ステータス\r\nP001,2026/11/01,来院\r\nP002,2026/11/02,来院\r\nP001,2026/11/09,キャンセル\r\n".encode("cp932")
    upload(page, "来院記録.csv", csv)
    sidebar = page.locator("[data-testid='stSidebar']")
    main = page.locator("[data-testid='stMain']")
    expect(sidebar.get_by_text("来院記録.csv: 列の対応付けが必要です", exact=False)).to_be_visible()
    expect(main.get_by_text("必須の列が見つかりませんでした", exact=False)).to_be_visible()
    wait_run_done(page)
    field = main.get_by_test_id("stSelectbox").filter(has_text="患者ID")  # the required field that was not recognised
    field.get_by_role("button", name="Open").click()
    # "No　例: P＊＊＊ / P＊＊＊ / P＊＊＊": a visits file's samples are masked with the IDs (issue 14 item 10)
    page.get_by_role("option").filter(has_text="P＊＊＊ / P＊＊＊").click()
    expect(field.get_by_role("combobox")).to_have_value(re.compile(r"^No\s"))
    main.get_by_role("button", name="OK").click()
    expect(main.get_by_text("読込 3 = 有効 3 + 除外 0")).to_be_visible()
    expect(sidebar.get_by_text("来院記録.csv: 来院・予約記録 3行（除外 0行）")).to_be_visible()
    expect(main.get_by_text("必須の列が見つかりませんでした", exact=False)).to_have_count(0)


def test_every_page_opens_on_demo_data_without_an_exception(server, page):
    open_app(page, server)
    expect(badge(page, "デモデータ").first).to_be_visible()
    wait_run_done(page)
    for name in PAGES:
        go_to(page, name, title_of(name))
        main = page.locator("[data-testid='stMain']")
        assert page.locator("[data-testid='stException']").count() == 0, f"/{name}: {main.inner_text()[:500]}"
        expect(main.get_by_text("このページに必要なデータ", exact=False)).to_have_count(0)  # demo data covers every page


def test_weekly_workbook_downloads_and_opens(server, page, tmp_path):
    import openpyxl

    from kpi import funnel
    from kpi.load import load

    open_app(page, server)
    expect(badge(page, "デモデータ").first).to_be_visible()
    wait_run_done(page)
    go_to(page, "weekly", title_of("weekly"))
    button = page.locator("[data-testid='stDownloadButton'] button", has_text="週次レビューブック")
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert download.suggested_filename.startswith("weekly_review_") and download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    book = openpyxl.load_workbook(path, read_only=True)
    assert {"KPI表", "ファネル", "ボトルネック", "アクション"} <= set(book.sheetnames), book.sheetnames
    rows = list(book["ファネル"].iter_rows(values_only=True))
    reached = {r[0]: r[1] for r in rows[1:] if r and r[0]}
    expected = funnel.funnel_table(load((SAMPLE / "leads.xlsx").read_bytes(), "leads.xlsx").frame).set_index("stage")["reached"]
    assert expected["lead"] == 700
    assert reached["リード"] == expected["lead"]
    assert [reached[label] for label in ("リード", "接触", "商談", "PoC", "稟議", "回収")] == expected.tolist()
    book.close()


def test_sign_in_is_required_when_secrets_configure_auth(browser, tmp_path, monkeypatch):
    """With an [auth] section the app shows only the bilingual sign-in prompt: no data, no uploader, no pages."""
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        '[auth]\nredirect_uri = "http://127.0.0.1:8501/oauth2callback"\ncookie_secret = "e2e-cookie-secret-0123456789abcdef"\n'
        'client_id = "kpi"\nclient_secret = "not-a-secret"\nserver_metadata_url = "https://login.example.invalid/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("STREAMLIT_SECRETS_FILES", str(secrets))  # read by `streamlit run` in the served process only
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        with serve_app() as url:
            for path in ("", "/weekly"):
                page.goto(url + path)
                expect(page.locator("[data-testid='stMain'] h1", has_text="ログインが必要です / Sign-in required")).to_be_visible()
                wait_run_done(page)
                assert page.locator(UPLOAD_INPUT).count() == 0
                assert page.locator("[data-testid='stSidebarNav'] a").count() == 0
                expect(badge(page, "デモデータ")).to_have_count(0)
                expect(page.get_by_text("週次レビュー")).to_have_count(0)
            if importlib.util.find_spec("authlib") is None:  # with Authlib the button would leave for the identity provider
                page.get_by_role("button", name="ログイン / Sign in").click()
                expect(page.get_by_text("Authlib", exact=False)).to_be_visible()
                assert page.locator("[data-testid='stException']").count() == 0
    finally:
        context.close()


def _week_csv(week_end: int, met: int) -> bytes:
    """A cp932 leads export of the week ending 2026-11-<week_end>: 10 leads, the first ``met`` with a meeting."""
    lines = ["リードID,取引先,担当者,リード日,接触日,商談日"]
    for i in range(10):
        meeting = f"2026/11/{week_end - 1:02d}" if i < met else ""
        lines.append(f"W{i},{'ABCDEFGHIJ'[i]}病院,佐藤,2026/11/01,2026/11/02,{meeting}")
    lines.append(f"W99,Z病院,佐藤,2026/11/{week_end:02d},,")  # a lead of that very day: as_of = the week's end
    return ("\n".join(lines) + "\n").encode("cp932")


def _workspace_on(page) -> None:
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_text("ワークスペース（履歴）").click()
    sidebar.get_by_text("週ごとの履歴を保存する").click()
    expect(sidebar.get_by_text("保存先:", exact=False)).to_be_visible()
    wait_run_done(page)


def test_workspace_keeps_two_weeks_and_an_action_across_a_reload(browser, tmp_path, monkeypatch):
    """Issue 13 as a user tries it: switch the workspace on, upload and save two weeks, raise an action in the weekly
    review, reload (a new session), switch it on again: both weeks, the moves between them and the action are there."""
    store = tmp_path / "client.duckdb"
    monkeypatch.setenv("KPI_STORE", str(store))  # the path field's default in the served app
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    with serve_app() as url:
        open_app(page, url)
        wait_run_done(page)
        for week_end, met in ((13, 2), (20, 5)):
            upload(page, f"leads_{week_end}.csv", _week_csv(week_end, met))
            expect(badge(page, "アップロードデータ").first).to_be_visible()
            wait_run_done(page)
            if week_end == 13:  # the switch is offered once there is data of one's own (the demo keeps its history in memory)
                _workspace_on(page)
            go_to(page, "memory", title_of("memory"))
            page.locator("[data-testid='stMain'] button", has_text="今週のデータを保存").click()
            expect(page.get_by_text("の週として", exact=False)).to_be_visible()
            wait_run_done(page)
            if week_end == 13:  # next Monday: last week's file out of the uploader, this week's in
                page.locator("[data-testid='stFileChipDeleteBtn'] button, button[data-testid='stFileChipDeleteBtn']").first.click()
                expect(page.locator("[data-testid='stFileChipName']")).to_have_count(0)
                wait_run_done(page)
        go_to(page, "weekly", title_of("weekly"))
        main = page.locator("[data-testid='stMain']")
        main.get_by_role("textbox", name="アクション", exact=True).fill("台本にキーマン確認を入れる")
        main.get_by_role("textbox", name="担当者", exact=True).fill("佐藤")
        main.locator("button", has_text="追加").click()
        expect(main.get_by_text("台本にキーマン確認を入れる").first).to_be_attached()  # a cell of the actions grid

        page.reload()  # a new session: nothing of the old one is left but the workspace file
        page.wait_for_selector(UPLOAD_INPUT, state="attached")
        wait_run_done(page)
        upload(page, "leads_20.csv", _week_csv(20, 5))
        wait_run_done(page)
        _workspace_on(page)
        go_to(page, "memory", title_of("memory"))
        main = page.locator("[data-testid='stMain']")
        expect(main.get_by_text("2026-11-13 → 2026-11-20 の動き")).to_be_visible()
        forward = main.locator("[data-testid='stMetric']", has_text="前進")
        expect(forward.locator("[data-testid='stMetricValue']")).to_have_text("3")
        go_to(page, "weekly", title_of("weekly"))
        expect(page.locator("[data-testid='stMain']").get_by_text("台本にキーマン確認を入れる").first).to_be_attached()
    context.close()
    assert store.exists() and (store.stat().st_mode & 0o777) == 0o600


def _visits_csv_50mb() -> bytes:
    """A valid visits export of 1.5M rows, just over 50 MB (35 bytes a row)."""
    rows = (f"P{i:013d},2026/11/{1 + i % 28:02d} {9 + i % 9:02d}:{i % 4 * 15:02d}:00\n" for i in range(1_500_000))
    return ("患者ID,来院日\n" + "".join(rows)).encode()


def test_large_upload_never_touches_the_disk(browser, tmp_path):
    """A 50 MB upload stays in memory: the server's TMPDIR gets no file and the server opens none in a temp dir.

    Without ui/no_spool.py, Starlette spools every file part above 1 MB to an unnamed (deleted) file in $TMPDIR,
    only visible in /proc/<pid>/fd, so both the directory and the server's open files are polled throughout.
    """
    import contextlib
    import os
    import tempfile
    import threading

    server_tmp = tmp_path / "server_tmp"
    server_tmp.mkdir()
    temp_roots = tuple(os.path.realpath(d) + "/" for d in {str(server_tmp), tempfile.gettempdir(), "/tmp", "/var/tmp", "/dev/shm"})
    source = tmp_path / "visits_50mb.csv"  # Playwright takes no buffer over 50 MB; the browser reads this file
    source.write_bytes(_visits_csv_50mb())
    assert source.stat().st_size >= 50 * 2**20
    started = []
    files: dict[str, int] = {}  # path -> largest size seen in the server's TMPDIR
    fds: dict[str, int] = {}  # open file of the server in a temp dir (or deleted) -> largest size seen
    polls = 0
    done = threading.Event()

    def watch(pid: int) -> None:
        nonlocal polls
        while not done.is_set():
            for folder, _, names in os.walk(server_tmp):
                for name in names:
                    path = os.path.join(folder, name)
                    with contextlib.suppress(OSError):
                        files[path] = max(files.get(path, 0), os.stat(path).st_size)
            with contextlib.suppress(OSError):
                for fd in os.listdir(f"/proc/{pid}/fd"):
                    with contextlib.suppress(OSError):
                        target = os.readlink(f"/proc/{pid}/fd/{fd}")
                        if target.startswith(temp_roots) or target.endswith("(deleted)"):
                            fds[target] = max(fds.get(target, 0), os.stat(f"/proc/{pid}/fd/{fd}").st_size)
            polls += 1
            done.wait(0.02)

    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        with serve_app(env=dict(os.environ, TMPDIR=str(server_tmp)), on_start=started.append) as url:
            open_app(page, url + "/data")
            wait_run_done(page)
            watcher = threading.Thread(target=watch, args=(started[0].pid,), daemon=True)
            watcher.start()
            try:
                page.set_input_files(UPLOAD_INPUT, files=[str(source)])
                loaded = page.locator("[data-testid='stSidebar'] [data-testid='stCaptionContainer']", has_text="visits_50mb.csv: ")
                expect(loaded).to_contain_text("1,500,000行", timeout=110_000)  # uploaded, parsed, shown: ≤ 2 minutes
            finally:
                done.set()
                watcher.join(timeout=10)
    finally:
        context.close()
    assert polls > 10, "the watcher did not run during the upload"
    assert [p for p, size in files.items() if size >= 2**20] == [], f"upload spooled to the server's TMPDIR: {files}"
    assert fds == {}, f"the server opened files in a temp dir during the upload: {fds}"


def test_text_from_a_file_is_shown_as_text_and_fetches_nothing(server, browser):
    """SPEC 7 / issue 14 item 8: a file name, header and values with Markdown, a colour directive, LaTeX, HTML and an
    image link are shown literally (``**bold**`` visible as typed) and the browser never fetches the image URL."""
    hostile = "**bold** :red[x] $x^2$ <b>h</b> ![](http://example.invalid/x.png)"
    lines = [f"リードID,取引先,リード日,金額,{hostile}"]
    lines += [f"L{i:03d},{hostile} 株式会社{i},2026/11/{1 + i:02d},12万円,v" for i in range(3)]
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    fetched: list[str] = []
    context.on("request", lambda r: fetched.append(r.url))
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        open_app(page, server + "/data")
        expect(badge(page, "デモデータ").first).to_be_visible()
        upload(page, "**bold** $x^2$ <b>h</b>.csv", ("\n".join(lines) + "\n").encode("utf-8"))
        main = page.locator("[data-testid='stMain']")
        expect(main.get_by_text("読込 3 = 有効 3 + 除外 0")).to_be_visible()
        wait_run_done(page)
        expect(main.get_by_text("**bold** $x^2$ <b>h</b>.csv", exact=False).first).to_be_visible()  # the file's heading
        expect(main.get_by_text(":red[x]", exact=False).first).to_be_visible()  # the unknown column, named as written
        expect(page.locator("[data-testid='stSidebar']").get_by_text("**bold**", exact=False).first).to_be_visible()
        assert main.locator("img[src*='example.invalid'], .katex, strong:has-text('bold')").count() == 0
        go_to(page, "regions", title_of("regions"))
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    assert not [u for u in fetched if "example.invalid" in u], fetched
