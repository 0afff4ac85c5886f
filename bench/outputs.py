"""The benchmark's outputs as digests, to show a change leaves them identical (issue 12: "the benchmark's outputs are
identical before and after").

    python -m bench.outputs [--compare DIR ...]

For the two bench files (bench/data/, made by ``python -m bench``), in a fresh process per project copy: the loader's
result (the validated frame, rows read / valid / rejected and the rejected-rows table) and every value the
benchmark's project stage computes (``clinic.page_results`` on the visits; every call of
``bench.work.funnel_page_work`` on the leads), each written canonically (frames as CSV with floats to 12
significant digits, dataclasses field by field, dates in ISO form) and hashed with SHA-256. ``--compare DIR`` runs
the same in another copy of the project (e.g. ``git worktree add /tmp/before <rev>``) and prints, per output, whether
the digests agree. Exit 1 when any differs. Not part of the test run.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"

# Runs inside the project copy (its own kpi/ and bench/): prints {output name: sha256}.
_CHILD = r'''
import dataclasses, datetime as dt, hashlib, json, math, sys
from pathlib import Path
import numpy as np
import pandas as pd

def canon(x):
    if isinstance(x, pd.DataFrame):
        return "frame:" + x.to_csv(float_format="%.12g", date_format="%Y-%m-%dT%H:%M:%S")
    if isinstance(x, pd.Series):
        return canon(x.to_frame())
    if isinstance(x, pd.Index):
        return canon(x.to_series())
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: canon(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, dict):
        return {str(k): canon(v) for k, v in sorted(x.items(), key=lambda kv: str(kv[0]))}
    if isinstance(x, (list, tuple, set, frozenset)):
        items = [canon(v) for v in x]
        return sorted(items, key=json.dumps) if isinstance(x, (set, frozenset)) else items
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float):
        return "nan" if math.isnan(x) else format(x, ".12g")
    if x is pd.NaT or x is pd.NA or x is None:
        return None
    if isinstance(x, (pd.Timestamp, dt.datetime, dt.date)):
        return x.isoformat()
    if isinstance(x, (pd.Timedelta, dt.timedelta)):
        return str(pd.Timedelta(x))
    if isinstance(x, (str, int, bool)):
        return x
    if hasattr(x, "__dict__"):
        return {"type": type(x).__name__, **canon(vars(x))}
    return repr(x)

def digest(x):
    return hashlib.sha256(json.dumps(canon(x), ensure_ascii=False, sort_keys=True).encode()).hexdigest()

out = {}
def record(name, thunk):
    try:
        out[name] = digest(thunk())
    except Exception as exc:  # an API another copy lacks: reported, not fatal
        out[name] = f"error: {type(exc).__name__}: {exc}"

from kpi.load import load
from kpi.targets import Targets
from kpi import clinic, funnel

visits_path, leads_path = Path(sys.argv[1]), Path(sys.argv[2])
for kind, path in (("visits", visits_path), ("leads", leads_path)):
    result = load(path.read_bytes(), path.name)
    r = result.report
    record(f"{kind}: validated frame", lambda: result.frame)
    record(f"{kind}: rows read / valid / rejected", lambda: (r.rows_read, r.rows_valid, r.rows_rejected))
    record(f"{kind}: rejected rows table", lambda: r.errors_table("ja"))
    if kind == "visits":
        record("visits: clinic.page_results", lambda: clinic.page_results(result.frame))
        continue
    leads, targets = result.frame, Targets()
    as_of = funnel.default_as_of(leads)
    start, end = funnel.period_bounds("fiscal_quarter", as_of)
    calls = {
        "funnel_table": lambda: funnel.funnel_table(leads, as_of, targets, "cohort", start, end),
        "bottleneck": lambda: funnel.bottleneck(funnel.funnel_table(leads, as_of, targets, "cohort", start, end)),
        "previous_table": lambda: funnel.previous_table(leads, as_of, targets, "cohort", start, end),
        # (the bench's fiscal quarter holds no created leads: the whole period too, so the funnel is checked on data)
        "funnel_table whole period": lambda: funnel.funnel_table(leads, as_of, targets, "cohort", None, None),
        "bottleneck whole period": lambda: funnel.bottleneck(funnel.funnel_table(leads, as_of, targets, "cohort", None, None)),
        **{f"funnel_by {by}": (lambda by=by: funnel.funnel_by(leads, by, as_of, targets, "cohort", start, end))
           for by in ("segment", "region", "owner_role", "week", "month")},
        "funnel_by fiscal_quarter": lambda: funnel.funnel_by(leads, "fiscal_quarter", as_of, targets, "cohort", None, None),
        "stalled_leads": lambda: funnel.stalled_leads(leads, as_of, targets),
        "lost_at_step poc": lambda: funnel.lost_at_step(leads, "poc", as_of, "cohort", start, end),
        "lost_reasons": lambda: funnel.lost_reasons(leads, as_of),
        "time_in_stage": lambda: funnel.time_in_stage(leads, as_of),
        "time_to_convert": lambda: funnel.time_to_convert(leads, as_of),
        "days_in_stage": lambda: funnel.days_in_stage(leads, as_of),
        "payback": lambda: funnel.payback(leads, targets, as_of),
        "data_warnings": lambda: funnel.data_warnings(leads, as_of),
        "near_fiscal_end": lambda: funnel.near_fiscal_end(leads, as_of),
    }
    for name, thunk in calls.items():
        record(f"leads: funnel.{name}", thunk)
print(json.dumps(out, ensure_ascii=False))
'''


def digests(root: Path, visits: Path, leads: Path) -> dict[str, str]:
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(visits), str(leads)], cwd=root, capture_output=True,
                          text=True, env={**__import__("os").environ, "PYTHONPATH": str(root)}, timeout=1800)
    if proc.returncode != 0:
        raise SystemExit(f"{root}: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.outputs", description=__doc__.split("\n\n")[0])
    p.add_argument("--compare", action="append", default=[], type=Path, help="another copy of the project")
    args = p.parse_args(argv)
    visits, leads = DATA / "visits_1m.csv", DATA / "leads_100k.xlsx"
    if not (visits.exists() and leads.exists()):
        from bench.data import ensure

        ensure()
    runs = {"this copy": digests(ROOT, visits, leads)}
    for other in args.compare:
        runs[str(other)] = digests(other.resolve(), visits, leads)
    names = list(runs["this copy"])
    width = max(map(len, names))
    print(f"{'output':<{width}}  " + "  ".join(f"{k[-18:]:>18}" for k in runs) + ("  same" if len(runs) > 1 else ""))
    differ = 0
    for name in names:
        values = [runs[k].get(name, "missing") for k in runs]
        same = all(v == values[0] for v in values)
        differ += not same
        cells = "  ".join(f"{(v[:16] if not v.startswith('error') else 'error'):>18}" for v in values)
        print(f"{name:<{width}}  {cells}" + (("  yes" if same else "  NO") if len(runs) > 1 else ""))
        for k, v in zip(runs, values):
            if v.startswith("error"):
                print(f"    {k}: {v}")
    if len(runs) > 1:
        print(f"\n{len(names) - differ} of {len(names)} outputs identical" + (f"; {differ} differ" if differ else ""))
    return 1 if differ else 0


if __name__ == "__main__":
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
