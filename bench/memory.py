"""Memory of the app's server around a big upload (issue 14): is a 150 MB file answered in seconds, under 1.5 GB,
and is the memory given back?

    python -m bench.memory                 # 150 MB of commas (SPEC 7's case), the app of this checkout
    python -m bench.memory --mb 50 --what blank --root /tmp/other_checkout

Starts ``streamlit run app.py`` on loopback (scripts/screenshots.py ``serve_app``), opens it in headless Chromium
(Playwright, /usr/bin/chromium), uploads the file through the real uploader, closes the tab, waits until Streamlit
stops keeping the closed session for a reconnect (``server.disconnectedSessionTTL``, set short here with --ttl; the
app's default is Streamlit's 120 s) and the app's session reaper has run, then opens a second session. Prints the
server's VmRSS at each step and its VmHWM (peak). The file is handed to the browser from a temporary file of this
bench (Playwright refuses buffers over 50 MB); the app itself writes nothing.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


def status_mb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":")) // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=150)
    parser.add_argument("--what", default="commas", choices=("commas", "blank", "nul", "nul_lines"))
    parser.add_argument("--root", type=Path, default=HERE, help="the checkout whose app.py is served")
    parser.add_argument("--ttl", type=int, default=20, help="server.disconnectedSessionTTL for the served app (s)")
    parser.add_argument("--after", type=int, default=25, help="seconds to wait after the TTL (the reaper runs every 15 s)")
    args = parser.parse_args()

    sys.path.insert(0, str(HERE / "tests"))
    sys.path.insert(0, str(HERE / "scripts"))
    import hostile
    import screenshots
    from playwright.sync_api import sync_playwright

    screenshots.ROOT = args.root  # serve_app runs ROOT / "app.py"
    env = dict(os.environ, STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL=str(args.ttl),
               STREAMLIT_SERVER_MAX_UPLOAD_SIZE=str(max(200, args.mb + 10)))
    data = hostile.junk_csv(args.what, args.mb * 2**20)
    procs: list = []
    rows: list[tuple[str, int, int]] = []
    sampled = {"peak": 0}

    def note(step: str) -> None:
        pid = procs[0].pid
        rss, hwm = status_mb(pid, "VmRSS"), status_mb(pid, "VmHWM")
        rows.append((step, rss, hwm))
        print(f"{step:<48} VmRSS {rss:>6} MB   VmHWM {hwm:>6} MB", flush=True)

    def sample(stop: threading.Event) -> None:
        while not stop.wait(0.2):
            try:
                sampled["peak"] = max(sampled["peak"], status_mb(procs[0].pid, "VmRSS"))
            except (OSError, StopIteration):
                return

    with tempfile.TemporaryDirectory() as tmp, screenshots.serve_app(env=env, on_start=procs.append) as url:
        path = Path(tmp) / f"junk_{args.what}_{args.mb}mb.csv"
        path.write_bytes(data)
        del data
        stop = threading.Event()
        threading.Thread(target=sample, args=(stop,), daemon=True).start()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=screenshots.CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
            page = context.new_page()
            page.set_default_timeout(300_000)
            page.goto(url)
            page.wait_for_selector("[data-testid='stSidebar']")
            page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
            time.sleep(2)
            note("1. app open on demo data")
            started = time.perf_counter()
            page.set_input_files("[data-testid='stFileUploaderDropzoneInput']", str(path))
            page.wait_for_selector("[data-testid='stSidebar'] :text('アップロードデータ')")
            page.wait_for_selector("[data-testid='stSidebar'] :text('junk_')")
            page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
            answered = time.perf_counter() - started
            note(f"2. upload answered ({answered:.1f} s after choosing the file)")
            time.sleep(10)
            note("3. 10 s later, tab still open")
            context.close()
            time.sleep(5)
            note("4. tab closed + 5 s")
            time.sleep(max(0, args.ttl - 5) + args.after)
            note(f"5. tab closed + {args.ttl + args.after} s (TTL {args.ttl} s + {args.after} s)")
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
            page = context.new_page()
            page.goto(url)
            page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
            time.sleep(3)
            note("6. a second user's session on demo data")
            context.close()
            browser.close()
        stop.set()
        print(f"peak VmRSS sampled every 0.2 s: {sampled['peak']} MB; upload answered in {answered:.1f} s")
        start, settled, last = rows[0][1], rows[2][1], rows[4][1]
        print(f"summary: start {start} MB, peak {rows[-1][2]} MB (VmHWM), open tab {settled} MB, "
              f"after close {last} MB ({last - start:+d} MB vs start)")


if __name__ == "__main__":
    main()
