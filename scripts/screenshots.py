"""Start the app on localhost and take a full-page screenshot of every page with headless Chromium.

    python scripts/screenshots.py [--out docs/screenshots] [--lang ja|en] [--upload FILE ...]

Uses Debian's Chromium (/usr/bin/chromium) through Playwright; nothing is fetched from outside.
"""
from __future__ import annotations

import argparse
import contextlib
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
DEFAULT_PAGE = "funnel"  # app.py opens on it; its URL is "/", not "/funnel"
PAGES = ["data", "funnel", "regions", "habits", "weekly", "memory", "clinic", "onboarding", "adoption", "referrals", "targets"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve_app(port: int | None = None, env: dict[str, str] | None = None, on_start=None):
    """Run `streamlit run app.py` on loopback until the block ends; yields the base URL.

    ``env`` replaces the server's environment (default: this process's); ``on_start`` gets the server's Popen.
    """
    port = port or free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
    )
    if on_start is not None:
        on_start(proc)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if proc.poll() is not None:
                raise RuntimeError(proc.stdout.read().decode(errors="replace"))
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_idle(page, timeout_ms: int = 90_000) -> None:
    """Wait until Streamlit has finished the run and drawn every element (no status widget, no skeletons)."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout_ms)
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')
                 && !document.querySelector('[data-testid="stSkeleton"]')
                 && document.querySelectorAll('[data-testid="stMain"] [data-testid="stElementContainer"]').length > 0""",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(1500)  # let Vega finish drawing charts (they have no ready marker)


def open_page(page, url: str, name: str) -> None:
    """Navigate inside the running session (a fresh URL would start a new session and drop the uploads)."""
    link = page.locator(f"[data-testid='stSidebarNav'] a[href$='/{name}']")
    if not link.count() and name == DEFAULT_PAGE:  # the default page's link is the app's root URL
        link = page.locator(f"[data-testid='stSidebarNav'] a[href='{url}/'], [data-testid='stSidebarNav'] a[href='{url}']")
    if link.count():
        link.first.click()
        # the path alone: the app keeps the language in the query string (?lang=en)
        want = "" if name == DEFAULT_PAGE else f"/{name}"
        page.wait_for_url(lambda u: urlparse(u).path.rstrip("/") == want, timeout=30_000)
    else:
        page.goto(f"{url}/{name}")
    wait_idle(page)


def full_height_screenshot(page, path: Path, width: int) -> None:
    """Streamlit scrolls inside its main container, so grow the viewport to the content before the shot."""
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=\"stMain\"], [data-testid=\"stMainBlockContainer\"]')].map(e => e.scrollHeight), 900)"
    )
    page.set_viewport_size({"width": width, "height": min(int(height) + 80, 12000)})
    page.wait_for_timeout(800)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": width, "height": 900})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    ap.add_argument("--lang", default="ja")
    ap.add_argument("--pages", nargs="*", default=PAGES)
    ap.add_argument("--upload", nargs="*", default=[])
    ap.add_argument("--width", type=int, default=1400)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with serve_app() as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": 900}, locale="ja-JP")
        page.goto(url)
        wait_idle(page)
        if args.lang == "en":
            page.get_by_text("English", exact=True).first.click()
            wait_idle(page)
        if args.upload:
            page.set_input_files("[data-testid='stFileUploaderDropzoneInput']", args.upload)
            page.wait_for_selector("[data-testid='stSidebar'] :text('アップロードデータ'), [data-testid='stSidebar'] :text('Uploaded data')", timeout=120_000)
            wait_idle(page)
        for name in args.pages:
            open_page(page, url, name)
            path = out / f"{name}.png"
            full_height_screenshot(page, path, args.width)
            print(path)
        browser.close()


if __name__ == "__main__":
    main()
