"""Bounded load test on loopback: N concurrent browser sessions for S seconds while one more session
uploads the 1M-row visits file. Not part of the test run.

    python -m bench.load_test [--sessions 20] [--seconds 60] [--big bench/data/visits_1m.csv]

Serves the app on 127.0.0.1 (scripts/screenshots.serve_app), opens one headless Chromium
(/usr/bin/chromium, the CHROMIUM_ARGS of scripts/screenshots.py) with one browser context per session;
each session keeps opening pages in turn and times each page until Streamlit has finished running it
(no status widget, page content present). Every request to a host other than 127.0.0.1 is aborted and
counted. Prints sessions, page views, p50/p95/max page time, errors, and how long the big upload took.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))
from screenshots import CHROMIUM, CHROMIUM_ARGS, serve_app  # noqa: E402

PAGES = ["", "data", "regions", "habits", "weekly", "clinic", "onboarding", "adoption", "referrals", "targets"]
IDLE = """() => !document.querySelector('[data-testid="stStatusWidget"]')
          && document.querySelectorAll('[data-testid="stMain"] [data-testid="stElementContainer"]').length > 2"""


class Stats:
    def __init__(self) -> None:
        self.times: list[float] = []
        self.errors: list[str] = []
        self.blocked: list[str] = []


async def _guard(context, stats: Stats) -> None:
    async def route(r):
        host = urlparse(r.request.url).hostname
        if host in ("127.0.0.1", None) or r.request.url.startswith(("data:", "blob:")):
            await r.continue_()
        else:
            stats.blocked.append(r.request.url)
            await r.abort()

    await context.route("**/*", route)


async def session(browser, url: str, index: int, deadline: float, stats: Stats, timeout_ms: int) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    await _guard(context, stats)
    page = await context.new_page()
    i = index
    try:
        while time.monotonic() < deadline:
            name = PAGES[i % len(PAGES)]
            i += 1
            started = time.perf_counter()
            try:
                await page.goto(f"{url}/{name}", timeout=timeout_ms)
                await page.wait_for_function(IDLE, timeout=timeout_ms)
                stats.times.append(time.perf_counter() - started)
            except Exception as exc:  # a page that does not answer in time is an error, not a crash
                stats.errors.append(f"session {index} /{name}: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
    finally:
        await context.close()


async def big_upload(browser, url: str, path: Path, stats: Stats, timeout_ms: int) -> tuple[float | None, str]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    await _guard(context, stats)
    page = await context.new_page()
    try:
        await page.goto(f"{url}/data", timeout=timeout_ms)
        await page.wait_for_function(IDLE, timeout=timeout_ms)
        started = time.perf_counter()
        await page.set_input_files("[data-testid='stFileUploaderDropzoneInput']", str(path))
        # the sidebar caption "<name>: <kind> <valid>行（除外 <rejected>行）" appears once the file is validated
        summary = page.locator("[data-testid='stSidebar']").get_by_text(f"{path.name}:", exact=False).first
        await summary.wait_for(timeout=max(timeout_ms, 600_000))
        return time.perf_counter() - started, await summary.inner_text()
    except Exception as exc:
        stats.errors.append(f"big upload: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
        return None, ""
    finally:
        await context.close()


async def run(url: str, sessions: int, seconds: float, big: Path | None, timeout_ms: int) -> None:
    from playwright.async_api import async_playwright

    stats = Stats()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        started = time.monotonic()
        deadline = started + seconds
        tasks = [session(browser, url, i, deadline, stats, timeout_ms) for i in range(sessions)]  # --sessions 0: upload only
        upload = big_upload(browser, url, big, stats, timeout_ms) if big else None
        results = await asyncio.gather(*tasks, *([upload] if upload else []))
        wall = time.monotonic() - started
        await browser.close()
    times = sorted(stats.times)
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))] if times else float("nan")
    print(f"sessions          {sessions} concurrent for {seconds:.0f} s (+1 uploading) — wall {wall:.1f} s")
    print(f"page views        {len(times)}")
    if times:
        print(f"page time         p50 {statistics.median(times):.2f} s · p95 {p95:.2f} s · max {times[-1]:.2f} s")
    answered = {int(e.split()[1]) for e in stats.errors if e.startswith("session ")}
    print(f"errors            {len(stats.errors)}" + (f" (sessions affected: {sorted(answered)})" if answered else ""))
    for e in stats.errors[:10]:
        print(f"  {e}")
    print(f"outbound blocked  {len(stats.blocked)}" + (f" e.g. {stats.blocked[0]}" if stats.blocked else ""))
    if big:
        took, summary = results[-1]
        print(f"big upload        {big.name}: " + (f"{took:.1f} s — {summary}" if took is not None else "did not finish"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--big", default=str(ROOT / "bench" / "data" / "visits_1m.csv"), help="file one extra session uploads ('' for none)")
    ap.add_argument("--timeout", type=float, default=60, help="seconds before a page counts as an error")
    args = ap.parse_args()
    big = Path(args.big) if args.big else None
    if big and not big.exists():
        from bench import data

        data.ensure()
    with serve_app() as url:
        assert urlparse(url).hostname == "127.0.0.1"
        asyncio.run(run(url, args.sessions, args.seconds, big, int(args.timeout * 1000)))


if __name__ == "__main__":
    main()
