"""Benchmark of the weekly history store (SPEC section 5), not part of the test run:

    python -m bench.history [--repeat 5] [--weeks 52] [--keep]

1. Generates once ``bench/data/leads_100k_week.xlsx`` — one weekly export of 100,000 leads (``bench.data.leads_frame``,
   written as an Excel export looks: a title row above the header).
2. In one process, interleaved, ``--repeat`` times each: ``python -m kpi validate FILE`` and
   ``python -m kpi history add FILE --store S`` into a new store (the first write: the file is created) and into
   an existing one that already holds the previous week (the Monday routine), all through the CLI's own
   ``main`` with stdout captured. Prints the medians (and minima, less sensitive to other load on the machine) and
   the ratios add / validate (target ≤ 1.5×).
3. Fills a store with ``--weeks`` weekly snapshots of those 100,000 leads (each lead's stage dates cut at
   as_of = latest − 7·k days, leads created later left out) and times ``history trend`` and ``history moves``
   (the latest two weeks) through the CLI (targets < 1 s each), and ``Store.weeks_unmoved`` over all the weeks
   (no target: the worst case, most open leads never move in this generated data).
4. Prints the store's size per 100k-lead week.

The store is written under a temporary directory, removed at the end (``--keep`` keeps it and prints where).
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.data import DATA, write_leads_xlsx  # noqa: E402

WEEK_FILE = DATA / "leads_100k_week.xlsx"
TARGET_ADD_RATIO = 1.5
TARGET_READ_S = 1.0


def ensure_week_file() -> Path:
    """The 100k-lead weekly export, written once (about half a minute)."""
    if WEEK_FILE.exists():
        return WEEK_FILE
    DATA.mkdir(parents=True, exist_ok=True)
    tmp = WEEK_FILE.with_suffix(".tmp.xlsx")
    write_leads_xlsx(tmp, "営業案件一覧（週次スナップショット・ベンチマーク用）")
    tmp.replace(WEEK_FILE)
    return WEEK_FILE


def cli(*args: str) -> float:
    """Run ``python -m kpi ARGS`` in this process (stdout captured); seconds taken. Exit code must be 0."""
    from kpi.__main__ import main

    out = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out):
        code = main(list(args))
    took = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"python -m kpi {' '.join(args)} exited {code}")
    return took


def _list(xs) -> str:
    return ", ".join(f"{x:.2f}" for x in xs)


def weekly_cut(frame, as_of):
    """The export of the week ending ``as_of``: leads created by then, stage dates after it blank."""
    import pandas as pd

    as_of = pd.Timestamp(as_of)
    out = frame[frame["created_at"].dt.normalize() <= as_of].copy()
    for col in ("contacted_on", "meeting_on", "poc_on", "approved_on", "collected_on"):
        if col in out.columns:
            out[col] = out[col].where(out[col] <= as_of)
    won = out["collected_on"].notna()
    out["status"] = out["status"].where(~out["status"].eq("won") | won, "open").astype("str")
    return out.reset_index(drop=True)


def app_rerun(store_path: Path, repeat: int) -> None:
    """AppTest of 先週からの動き on the stored weeks: the first view, then the trend KPI set changed and set back
    (median of ``repeat``): the second view of a set is answered from cache."""
    from streamlit.testing.v1 import AppTest

    leads = "リードID,リード日\nA1,2026/11/01\n".encode()  # this week's upload (the page reads the history from the store)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    at.sidebar.file_uploader[0].set_value([("leads.csv", leads, "text/csv")]).run()
    at.session_state["workspace.on"] = True
    at.session_state["workspace.path"] = str(store_path)
    started = time.perf_counter()
    at.switch_page("app_pages/memory.py").run()
    first = time.perf_counter() - started
    if at.exception:
        raise SystemExit(f"app error: {[e.value for e in at.exception]}")
    default = list(at.multiselect(key="memory.trend_keys").value)
    other, back = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        at.multiselect(key="memory.trend_keys").set_value(default[:2]).run()
        other.append(time.perf_counter() - started)
        started = time.perf_counter()
        at.multiselect(key="memory.trend_keys").set_value(default).run()
        back.append(time.perf_counter() - started)
    m = statistics.median(back)
    print(f"app (先週からの動き, {len(at.session_state['frames'])} upload + the stored weeks): first view {first:.2f} s; "
          f"trend KPIs changed {statistics.median(other):.2f} s; set back (from cache) {m:.2f} s ({_list(back)})  "
          f"target < 0.3 s: {'met' if m < 0.3 else 'NOT met'}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.history")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--weeks", type=int, default=52)
    p.add_argument("--keep", action="store_true", help="keep the 52-week store and print its path")
    args = p.parse_args(argv)

    path = ensure_week_file()
    print(f"input: {path.name} ({path.stat().st_size / 1e6:.1f} MB)")
    work = Path(tempfile.mkdtemp(prefix="kpi-history-bench-"))
    os.environ.pop("KPI_STORE", None)
    try:
        # ---- 1. history add vs validate, same file, same process, interleaved
        cli("validate", str(path))  # warm-up: imports, the first file read
        cli("history", "add", str(path), "--store", str(work / "warm.duckdb"))
        validate_s, new_s, existing_s = [], [], []
        for i in range(args.repeat):
            existing = work / f"existing{i}.duckdb"  # a workspace that already holds last week (not timed)
            cli("history", "add", str(path), "--store", str(existing), "--week", "2027-03-12")
            validate_s.append(cli("validate", str(path)))
            new_s.append(cli("history", "add", str(path), "--store", str(work / f"new{i}.duckdb")))
            existing_s.append(cli("history", "add", str(path), "--store", str(existing)))
        v = statistics.median(validate_s)
        one_week_mb = (work / "new0.duckdb").stat().st_size / 1e6
        print(f"validate                     median {v:6.2f} s   min {min(validate_s):5.2f}   ({_list(validate_s)})")
        for name, xs in (("history add, new store", new_s), ("history add, existing store", existing_s)):
            a, ratio, best = statistics.median(xs), statistics.median(xs) / v, min(xs) / min(validate_s)
            print(f"{name:<29}median {a:6.2f} s   min {min(xs):5.2f}   ({_list(xs)})")
            print(f"  add / validate = {ratio:.2f}x on medians, {best:.2f}x on minima "
                  f"(target <= {TARGET_ADD_RATIO}x: {'met' if ratio <= TARGET_ADD_RATIO else 'NOT met'})")

        # ---- 2. a year of weeks
        from kpi.history import Store
        from kpi.load import load

        frame = load(path.read_bytes(), path.name).frame
        import pandas as pd
        from kpi.funnel import default_as_of

        latest = default_as_of(frame)
        store_path = work / "year.duckdb"
        store = Store(store_path)
        started = time.perf_counter()
        for k in range(args.weeks - 1, -1, -1):
            as_of = (latest - pd.Timedelta(days=7 * k)).date()
            store.add_snapshot(weekly_cut(frame, as_of), as_of, f"leads_{as_of}.xlsx", kind="leads")
        fill_s = time.perf_counter() - started
        snaps = store.list_snapshots()
        rows = sum(s.rows for s in snaps)
        print(f"filled {len(snaps)} weekly snapshots ({rows:,} rows) in {fill_s:.1f} s ({fill_s / len(snaps):.2f} s per week)")

        trend_s = [cli("history", "trend", "--store", str(store_path), "--json") for _ in range(args.repeat)]
        moves_s = [cli("history", "moves", "--store", str(store_path), "--json") for _ in range(args.repeat)]
        unmoved_s = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            unmoved = store.weeks_unmoved()
            unmoved_s.append(time.perf_counter() - started)
        for name, xs, target in (("history trend", trend_s, True), ("history moves", moves_s, True),
                                 ("weeks_unmoved", unmoved_s, False)):
            m = statistics.median(xs)
            verdict = f"target < {TARGET_READ_S:g} s: {'met' if m < TARGET_READ_S else 'NOT met'}" if target else "(no target)"
            print(f"{name:<14}median {m:6.2f} s   ({_list(xs)})  {verdict}")
        moves = store.moves()
        print(f"  moves {moves.summary_line()}")
        print(f"  weeks_unmoved: {len(unmoved):,} open leads, {int(unmoved['stalled'].sum()):,} unmoved for >= 3 weeks")

        # ---- 3. size
        size = store_path.stat().st_size
        per_week = size / len(snaps) / 1e6
        print(f"store size: {size / 1e6:.1f} MB for {len(snaps)} weeks = {per_week:.2f} MB per week "
              f"({per_week * 100_000 / max(1, rows / len(snaps)):.2f} MB per 100k-lead week); "
              f"a one-week store of the 100k file: {one_week_mb:.1f} MB")
        # ---- 4. the app's trend tab over these weeks: a rerun answered from cache (target < 0.3 s)
        app_rerun(store_path, args.repeat)
        if args.keep:
            print(f"kept: {store_path}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
