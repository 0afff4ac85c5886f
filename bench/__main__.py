"""Benchmark: the project's pipeline against a naive baseline and a reference, on the two big shapes.

    python -m bench [--repeat 5] [--naive-repeat 1] [--only visits|leads] [--no-app]

Generates bench/data/ once (bench/data.py), then times, interleaved and repeated, each stage in a fresh
child process (so every figure has its own peak memory and no stage warms another's caches):

  visits  1,000,000-row cp932 CSV : read + detect + parse + validate + every clinic-page KPI
  leads   100,000-row xlsx        : read + detect + parse + validate + every funnel-page KPI

  project    kpi.load + kpi.clinic / kpi.funnel (what the app and the CLI run)
  naive      pandas/openpyxl + one pydantic model_validate per row + straightforward groupbys
  reference  what the machine allows: pyarrow decode + DuckDB SQL (CSV); python-calamine bare read (xlsx)

and prints median seconds, rows/s, peak RSS, and the ratios project/reference and naive/project. Finally
(unless --no-app) an AppTest measures the clinic and funnel pages on those files: first view, a filter changed
to another value, and the second view when it is changed back (answered from cache), medians of 5. Not part of the test run.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


from bench.work import _child  # noqa: E402  (the child's entry point must be importable by name)


def measure(dataset: str, variant: str, path: Path) -> tuple[float, int, float]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(dataset, variant, str(path), queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


# ------------------------------------------------------------------ the app: a second view from cache
# (page, the filter widget's key, a value other than the page's default, the default)
FILTER_CHANGES = [
    ("app_pages/clinic.py", "clinic.clinics", lambda at: [at.multiselect(key="clinic.clinics").options[0]], lambda at: list(at.multiselect(key="clinic.clinics").options)),
    ("app_pages/funnel.py", "funnel.region", lambda at: ["osaka"], lambda at: []),
]


def app_second_view(visits: Path, leads: Path, rounds: int = 5) -> list[tuple[str, float, float, float]]:
    """AppTest: upload both files; per page, the first view, then the filter switched to another value and
    back, ``rounds`` times. Reported: the first view, the first switch to the other value (computed), and the
    median return to the default (a second view, answered from cache)."""
    import statistics

    from streamlit.testing.v1 import AppTest

    out = []
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    at.sidebar.file_uploader[0].set_value([(visits.name, visits.read_bytes(), "text/csv"), (leads.name, leads.read_bytes(), "application/octet-stream")])
    started = time.perf_counter()
    at.run()
    out.append(("upload + load both files", time.perf_counter() - started, float("nan"), float("nan")))
    for page, key, other, default in FILTER_CHANGES:
        started = time.perf_counter()
        at.switch_page(page).run()
        first = time.perf_counter() - started
        assert not at.exception, [e.value for e in at.exception]
        away, back = [], []
        for _ in range(rounds):
            widget = at.multiselect(key=key)
            started = time.perf_counter()
            widget.set_value(other(at)).run()
            away.append(time.perf_counter() - started)
            widget = at.multiselect(key=key)
            started = time.perf_counter()
            widget.set_value(default(at)).run()
            back.append(time.perf_counter() - started)
            assert not at.exception, [e.value for e in at.exception]
        out.append((page, first, away[0], statistics.median(back)))
    return out


TARGETS = {"visits": 3.0, "leads": 1.5}  # issue 6: project / reference
APP_TARGET_S = 0.3  # issue 6: a second view from cache


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="runs per project/reference stage (median reported)")
    ap.add_argument("--naive-repeat", type=int, default=1, help="runs per naive stage (slow: ~30 s each)")
    ap.add_argument("--only", choices=["visits", "leads"])
    ap.add_argument("--no-app", action="store_true", help="skip the AppTest second-view timing")
    ap.add_argument("--app-only", action="store_true", help="only the AppTest second-view timing")
    args = ap.parse_args(argv)

    from bench.data import ensure

    visits, leads = ensure()
    paths = {"visits": visits, "leads": leads}
    datasets = [args.only] if args.only else ["visits", "leads"]
    results: dict[tuple[str, str], list[tuple[float, int, float]]] = {}
    if args.app_only:
        datasets = []
    for rep in range(max(args.repeat, args.naive_repeat)):  # interleaved: every variant once per round
        for dataset in datasets:
            for variant in ("reference", "project", "naive"):
                if rep >= (args.naive_repeat if variant == "naive" else args.repeat):
                    continue
                r = measure(dataset, variant, paths[dataset])
                results.setdefault((dataset, variant), []).append(r)
                print(f"  round {rep + 1} {dataset:6} {variant:9} {r[0]:7.2f} s  {r[2]:6.0f} MB", file=sys.stderr, flush=True)

    print(f"\n{'dataset':8} {'variant':10} {'median s':>9} {'rows/s':>12} {'peak MB':>8}  runs")
    medians = {}
    for (dataset, variant), runs in results.items():
        med = statistics.median(r[0] for r in runs)
        medians[(dataset, variant)] = med
        rows = runs[0][1]
        print(f"{dataset:8} {variant:10} {med:9.2f} {rows / med:12,.0f} {max(r[2] for r in runs):8.0f}  {', '.join(f'{r[0]:.2f}' for r in runs)}")
    print()
    for dataset in datasets:
        p, ref, naive = (medians.get((dataset, v)) for v in ("project", "reference", "naive"))
        target = TARGETS[dataset]
        line = f"{dataset}: project / reference = {p / ref:.2f}x (target <= {target}x: {'met' if p / ref <= target else 'NOT met'})"
        if naive:
            line += f"   naive / project = {naive / p:.1f}x"
        print(line)
    if args.app_only or (not args.no_app and not args.only):
        print("\nApp (AppTest, both files uploaded): first view; a new filter value; the filter set back (median of 5)")
        for what, first, away, back in app_second_view(visits, leads):
            line = f"  {what:28} first {first:6.2f} s"
            if back == back:
                line += f"   new filter value {away:5.2f} s   second view (filter back, from cache) {back:5.2f} s"
                line += f" (target < {APP_TARGET_S} s: {'met' if back < APP_TARGET_S else 'NOT met'})"
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
