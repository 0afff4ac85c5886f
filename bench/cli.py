"""Benchmark of the CLI as a user runs it: the whole process, interpreter start-up and imports included (issue 12).

    python -m bench.cli [--repeat 5] [--only leads|visits] [--no-pyc] [--compare DIR ...]

Each run is a fresh ``python`` process started from here (``subprocess``), timed by the wall clock from start to
exit, with its own peak RSS and CPU time (``os.wait4``). Interleaved: every variant once per round (the order
rotating from round to round), medians of ``--repeat``. The targets are judged on the wall-clock medians; the minima
(the runs least disturbed by other work) and the CPU time (waiting for a core does not count) help read a run on a
shared machine.

  leads   bench/data/leads_100k.xlsx  baseline: ``python -c`` python-calamine, every row of the first sheet as
                                      Python lists (bench.work.reference_leads)
                                      candidate: ``python -m kpi metrics leads_100k.xlsx --json`` > /dev/null
  visits  bench/data/visits_1m.csv    baseline: ``python -c`` pyarrow decodes the cp932 CSV, DuckDB the monthly
                                      aggregation on the Arrow table (bench.work.reference_visits, as ``python -m bench``)
                                      candidate: ``python -m kpi metrics visits_1m.csv --json`` > /dev/null

Targets (issue 12): candidate / baseline ≤ 1.5× (leads) and ≤ 2.5× (visits).

Byte code: an installed package has its ``.pyc`` files, so the children run with byte code written to and read
from a cache outside the checkout (``PYTHONPYCACHEPREFIX`` under bench/data/, ``PYTHONDONTWRITEBYTECODE`` unset),
after one untimed warm-up run of every variant (which also brings the input files into the page cache).
``--no-pyc`` keeps the environment as it is (with ``PYTHONDONTWRITEBYTECODE=1`` every run compiles the project's
modules again: about 0.15 s more for the candidate). ``--compare DIR`` (repeatable) adds the same command run from
another copy of the project (e.g. a checkout before a change) to every round, for before/after figures measured
side by side. Not part of the test run.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGETS = {"leads": 1.5, "visits": 2.5}  # issue 12: kpi metrics / baseline, whole process
BASELINE_LABEL = {"leads": "python-calamine read", "visits": "pyarrow + DuckDB"}

# The baselines import only what they use: bench.work's module level is the standard library.
_BASELINE = ("import sys; sys.path.insert(0, {root!r}); from bench.work import {function}; "
             "n = {function}({path!r}); assert n > 0, n")


def commands(dataset: str, path: Path, compare: list[Path]) -> dict[str, tuple[list[str], Path]]:
    """variant -> (command, the directory it runs in, which is also its PYTHONPATH)."""
    function = {"leads": "reference_leads", "visits": "reference_visits"}[dataset]
    metrics = [sys.executable, "-m", "kpi", "metrics", str(path), "--json"]
    out = {
        "baseline": ([sys.executable, "-c", _BASELINE.format(root=str(ROOT), function=function, path=str(path))], ROOT),
        "kpi metrics": (metrics, ROOT),
    }
    for other in compare:
        out[f"kpi metrics [{other.name}]"] = (metrics, other)
    return out


def child_env(pyc: bool, root: Path = ROOT) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(root) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if pyc:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        cache = ROOT / "bench" / "data" / "pycache"
        cache.mkdir(parents=True, exist_ok=True)
        env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """(wall seconds from start to exit, peak RSS MB, CPU seconds user + system) of one process; its stdout goes to
    /dev/null. The CPU time is the steadier figure on a shared machine: waiting for a core does not count."""
    with open(os.devnull, "wb") as devnull, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=devnull, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd[:4])} … exited {proc.returncode}:\n{err.read().decode(errors='replace')[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.cli", description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per variant (median reported)")
    ap.add_argument("--only", choices=["leads", "visits"])
    ap.add_argument("--no-pyc", action="store_true", help="leave PYTHONDONTWRITEBYTECODE as the environment has it")
    ap.add_argument("--compare", action="append", default=[], type=Path, metavar="DIR",
                    help="also time `python -m kpi metrics` from this copy of the project (repeatable)")
    args = ap.parse_args(argv)

    from bench.data import ensure

    visits, leads = ensure()
    paths = {"leads": leads, "visits": visits}
    datasets = [args.only] if args.only else ["leads", "visits"]
    compare = [p.resolve() for p in args.compare]
    envs = {root: child_env(not args.no_pyc, root) for root in [ROOT, *compare]}
    cmds = {d: commands(d, paths[d], compare) for d in datasets}
    for dataset in datasets:  # warm-up (untimed): byte code written, input files in the page cache
        for cmd, cwd in cmds[dataset].values():
            run(cmd, cwd, envs[cwd])
    results: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    for rep in range(args.repeat):
        for dataset in datasets:
            order = list(cmds[dataset].items())
            order = order[rep % len(order):] + order[:rep % len(order)]  # rotated each round: no variant always follows another
            for variant, (cmd, cwd) in order:
                r = run(cmd, cwd, envs[cwd])
                results.setdefault((dataset, variant), []).append(r)
                print(f"  round {rep + 1} {dataset:6} {variant:24} {r[0]:6.2f} s  {r[1]:6.0f} MB  cpu {r[2]:6.2f} s",
                      file=sys.stderr, flush=True)

    print(f"\nWhole process, {os.cpu_count()} CPUs, median of {args.repeat} (interleaved), "
          f"byte code {'cached' if not args.no_pyc else 'as the environment has it'}")
    width = max(28, *(len(v) + 21 for d in datasets for v in cmds[d]))
    print(f"{'dataset':8} {'variant':{width}} {'median s':>9} {'ratio':>6} {'min s':>6} {'ratio':>6} {'cpu s':>6} {'ratio':>6} "
          f"{'peak MB':>8}  runs (s)")
    medians = {}
    for dataset in datasets:
        base = statistics.median(r[0] for r in results[(dataset, "baseline")])
        base_cpu = statistics.median(r[2] for r in results[(dataset, "baseline")])
        base_min = min(r[0] for r in results[(dataset, "baseline")])
        for variant in cmds[dataset]:
            runs = results[(dataset, variant)]
            med = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[2] for r in runs)
            low = min(r[0] for r in runs)
            medians[(dataset, variant)] = med
            name = BASELINE_LABEL[dataset] if variant == "baseline" else "python -m kpi metrics --json" + variant[len("kpi metrics"):]
            print(f"{dataset:8} {name:{width}} {med:9.2f} {med / base:5.2f}x {low:6.2f} {low / base_min:5.2f}x {cpu:6.2f} "
                  f"{cpu / base_cpu:5.2f}x {max(r[1] for r in runs):8.0f}  "
                  f"{', '.join(f'{r[0]:.2f}' for r in runs)}")
    print()
    for dataset in datasets:
        for variant in cmds[dataset]:
            if variant == "baseline":
                continue
            ratio = medians[(dataset, variant)] / medians[(dataset, "baseline")]
            target = TARGETS[dataset]
            print(f"{dataset}: {variant} / {BASELINE_LABEL[dataset]} = {ratio:.2f}x "
                  f"(target <= {target}x: {'met' if ratio <= target else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
