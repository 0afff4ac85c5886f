"""Command line: ``python -m kpi validate|metrics|report|kpis|moves|history`` (SPEC sections 3, 5 and 6), the same numbers as the pages.

Exit 0 on success (also when rows were rejected); exit 2 with one ``error: …`` line on stderr when a file
cannot be read. Never a traceback.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

# Imports are made where a command needs them (issue 12): `--help` and `kpis` start without the loader
# (pydantic, the schemas), `metrics` without openpyxl / xlsxwriter / duckdb, only `history` imports duckdb.
# Streamlit and altair are never imported by the command line. A workbook is read on a second thread while pandas
# and pydantic import (kpi.ingest.xlsx_arrow.read_ahead): on the 100k-lead .xlsx 0.1–0.15 s less per run.

EXIT_OK, EXIT_ERROR = 0, 2


class CliError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m kpi", description="Validate exports and compute the weekly KPIs.")
    p.add_argument("--lang", choices=("ja", "en"), default="ja", help="language of messages (default ja)")
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="validate one file and report rejected rows")
    v.add_argument("file")
    v.add_argument("--kind", choices=("leads", "activities", "visits", "onboarding", "referrals"))
    v.add_argument("--sheet")
    v.add_argument("--mapping")
    v.add_argument("--json", action="store_true")

    k = sub.add_parser("kpis", help="list the KPI registry (SPEC section 6)")
    k.add_argument("--json", action="store_true")
    k.add_argument("--markdown", action="store_true", help="the README's KPI table")
    k.add_argument("--targets", help="targets JSON saved from the Targets page (the targets listed)")

    for name, help_text in (("metrics", "compute the KPIs of every file"), ("report", "write the weekly review workbook")):
        m = sub.add_parser(name, help=help_text)
        m.add_argument("files", nargs="+")
        m.add_argument("--as-of", dest="as_of", type=_date)
        m.add_argument("--mapping", action="append", default=[], help="repeatable; applied to the files in order")
        m.add_argument("--sheet")
        m.add_argument("--targets", help="targets JSON saved from the Targets page")
        if name == "metrics":
            m.add_argument("--json", action="store_true")
        else:
            m.add_argument("--out", required=True)
    _add_weekly_memory_parsers(sub)
    return p


# ------------------------------------------------------------------ the weekly memory (SPEC section 5)
KINDS = ("leads", "activities", "visits", "onboarding", "referrals")


def _add_weekly_memory_parsers(sub) -> None:
    mv = sub.add_parser("moves", help="moves between two leads snapshots (SPEC section 5)")
    mv.add_argument("files", nargs=2, metavar="FILE", help="two leads exports, in any order (ordered by their as_of)")
    mv.add_argument("--mapping", action="append", default=[], help="repeatable; applied to the files in order")
    mv.add_argument("--sheet")
    mv.add_argument("--json", action="store_true")

    h = sub.add_parser("history", help="the weekly history store (a workspace; SPEC section 5)")
    hs = h.add_subparsers(dest="history_command", required=True)

    def store_arg(q):
        q.add_argument("--store", help="the workspace's DuckDB file (default: $KPI_STORE)")

    add = hs.add_parser("add", help="validate files and store their valid rows as the week's snapshot")
    add.add_argument("files", nargs="+")
    store_arg(add)
    add.add_argument("--week", type=_date, help="the week (default: the data's as_of)")
    add.add_argument("--kind", choices=KINDS)
    add.add_argument("--sheet")
    add.add_argument("--mapping", action="append", default=[], help="repeatable; applied to the files in order")
    for name, help_text in (("list", "the stored snapshots"), ("actions", "the weekly review's actions")):
        q = hs.add_parser(name, help=help_text)
        store_arg(q)
        q.add_argument("--json", action="store_true")
    q = hs.add_parser("moves", help="moves between two stored leads snapshots (default: the latest two)")
    store_arg(q)
    q.add_argument("--from", dest="from_week", type=_date)
    q.add_argument("--to", dest="to_week", type=_date)
    q.add_argument("--json", action="store_true")
    q = hs.add_parser("trend", help="registry KPIs per stored week, oldest first")
    store_arg(q)
    q.add_argument("--kpi", action="append", default=[], help="repeatable; default: every registry KPI")
    q.add_argument("--json", action="store_true")
    q = hs.add_parser("forget", help="delete a week's snapshots (or one kind of them)")
    store_arg(q)
    q.add_argument("--week", type=_date, required=True)
    q.add_argument("--kind", choices=KINDS)


def _report_line(path: str, report) -> str:
    """The summary line ``validate`` prints for a file."""
    return (f"{Path(path).name}: {report.kind} rows_read={report.rows_read} rows_valid={report.rows_valid} "
            f"rows_rejected={report.rows_rejected} encoding={report.encoding or '-'} header_row={report.header_row}")


def _print_moves(result, as_json: bool, lang: str) -> None:
    for notice in result.warnings:
        print(f"warning: {notice.text(lang)}", file=sys.stderr)
    if as_json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    from .targets import STAGES

    print(result.summary_line())
    width = max(len(s) for s in STAGES)
    corner = "old\\new"
    print(f"  {corner:<{width + 2}}" + "".join(f"{s:>{width + 1}}" for s in STAGES))
    for old in STAGES:
        print(f"  {old:<{width + 2}}" + "".join(f"{result.matrix[old][new]:>{width + 1}}" for new in STAGES))


def _moves(args, lang: str) -> int:
    from .moves import compare

    frames, names = [], []
    for i, path in enumerate(args.files):
        result = _load_one(path, None, args.sheet, args.mapping[i] if i < len(args.mapping) else None, lang)
        if result.report.kind != "leads":
            from .messages import KIND_LABELS, message

            raise CliError(message("moves.not_leads", lang, file=Path(path).name,
                                   kind=KIND_LABELS.get(result.report.kind, {}).get(lang, result.report.kind)))
        frames.append(result.frame)
        names.append(Path(path).name)
    _print_moves(compare(frames[0], frames[1], None, None, names[0], names[1]), args.json, lang)
    return EXIT_OK


def _history(args, lang: str) -> int:
    """``history …``: duckdb is imported here only (the other commands start without it)."""
    from .history import HistoryError

    try:
        return _history_command(args, lang)
    except HistoryError as exc:
        raise CliError(exc.message(lang)) from None


def _history_command(args, lang: str) -> int:
    import hashlib

    from .history import ENV_STORE, HistoryError, Store

    store_path = args.store or os.environ.get(ENV_STORE)
    if not store_path:
        raise HistoryError("no_store")
    command = args.history_command
    if command == "add":
        from .combine import Part, combine_parts

        parts = []
        for i, path in enumerate(args.files):  # every file is read and validated before anything is stored
            mapping = _mapping(args.mapping[i]) if i < len(args.mapping) else None
            data = _read(path)
            result = _load_bytes(data, path, args.kind, args.sheet, mapping, lang)
            print(_report_line(path, result.report))
            for r in result.report.errors_table(lang).itertuples(index=False):
                print(f"  row {r.row} [{r.column}] {r.value!r}: {r.message}")
            parts.append(Part(Path(path).name, hashlib.sha256(data).hexdigest(), result.report.kind, result.frame))
        combined = combine_parts(parts)
        for note in combined.notes:
            print(f"warning: {note.text(lang)}", file=sys.stderr)
        sources = {kind: ", ".join(names) for kind, names in combined.files.items()}
        store = Store(store_path)
        for snap in store.add_snapshot(combined.frames, args.week, sources):
            print(f"stored: week={snap.week.isoformat()} kind={snap.kind} rows={snap.rows} store={store_path}")
        return EXIT_OK
    store = Store(store_path)
    if command == "list":
        snaps = store.list_snapshots()
        if args.json:
            print(json.dumps({"snapshots": [s.to_json() for s in snaps]}, ensure_ascii=False, indent=2))
        else:
            for s in snaps:
                added = s.added_at.isoformat(timespec="seconds")
                print(f"{s.week.isoformat()}  {s.kind:<11} rows={s.rows:<8} added_at={added}  {s.source}")
        return EXIT_OK
    if command == "moves":
        _print_moves(store.moves(args.from_week, args.to_week), args.json, lang)
        return EXIT_OK
    if command == "trend":
        weeks = store.trend(args.kpi or None)
        if args.json:
            print(json.dumps({"weeks": [{"week": w["week"].isoformat(), "kpis": w["kpis"]} for w in weeks]},
                             ensure_ascii=False, indent=2))
        else:
            for w in weeks:
                values = " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in w["kpis"].items() if v is not None)
                print(f"{w['week'].isoformat()}  {values}")
        return EXIT_OK
    if command == "forget":
        n = store.forget(args.week, args.kind)
        print(f"forgot: week={args.week.isoformat()} kind={args.kind or 'all'} snapshots={n}")
        return EXIT_OK
    actions = store.actions()
    if args.json:
        print(json.dumps({"actions": [a.to_json() for a in actions]}, ensure_ascii=False, indent=2))
    else:
        for a in actions:
            print(f"#{a.id} {a.week_raised.isoformat()} [{a.status}] {a.kpi_or_bottleneck or '-'}: {a.action}"
                  f" (owner={a.owner or '-'} deadline={a.deadline.isoformat() if a.deadline else '-'})")
    return EXIT_OK


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text}") from None


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CliError(f"{path}: {exc.strerror or exc}") from None


def _mapping(path: str | None):
    if not path:
        return None
    from .load import ColumnMapping

    return ColumnMapping.from_json(_read(path), source=Path(path).name)


def _load_all(args, lang: str):
    """Every file, combined by SPEC 7's rule for several files of one kind; its notes go to stderr."""
    import hashlib

    first = _read_ahead(args.files[0], args.sheet)
    from .combine import Part, combine_parts

    parts = []
    several = len(args.files) > 1  # the digest only tells files apart: one file needs none (73 MB: ~0.1 s saved)
    for i, path in enumerate(args.files):
        mapping = _mapping(args.mapping[i]) if i < len(args.mapping) else None
        data = first if i == 0 else _read(path)
        first = None  # (its bytes are released with data below)
        result = _load_bytes(data, path, None, args.sheet, mapping, lang)
        digest = hashlib.sha256(data).hexdigest() if several else ""
        del data  # the bytes are not needed once loaded
        parts.append(Part(Path(path).name, digest, result.report.kind, result.frame))
    combined = combine_parts(parts)
    for note in combined.notes:
        print(f"warning: {note.text(lang)}", file=sys.stderr)
    return combined.frames


def _load_one(path, kind, sheet, mapping_path, lang):
    data = _read_ahead(path, sheet)
    return _load_bytes(data, path, kind, sheet, _mapping(mapping_path), lang)


def _read_ahead(path: str, sheet: str | None) -> bytes:
    """The file's bytes; a workbook's reading (guard, calamine) starts on a second thread at once, while this one
    imports pandas, pydantic and the schemas (kpi.ingest.xlsx_arrow). ``load`` picks the result up."""
    data = _read(path)
    from .ingest.xlsx_arrow import read_ahead

    read_ahead(data, sheet)
    return data


def _load_bytes(data, path, kind, sheet, mapping, lang):
    from .load import LoadError, load

    try:
        return load(data, Path(path).name, kind=kind, sheet=sheet, mapping=mapping)
    except LoadError as exc:
        raise CliError(f"{Path(path).name}: {exc.message(lang)}") from None


def _targets(path: str | None):
    from .targets import Targets

    if not path:
        return Targets()
    try:
        return Targets.from_json(_read(path))
    except (ValueError, TypeError) as exc:
        raise CliError(f"{path}: {exc}") from None


def run(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    lang = args.lang
    if args.command == "validate":
        result = _load_one(args.file, args.kind, args.sheet, args.mapping, lang)
        report = result.report
        if args.json:
            print(json.dumps(report.to_json(lang), ensure_ascii=False, indent=2))
        else:
            print(f"{Path(args.file).name}: {report.kind} rows_read={report.rows_read} rows_valid={report.rows_valid} rows_rejected={report.rows_rejected} encoding={report.encoding or '-'} header_row={report.header_row}")
            for r in report.errors_table(lang).itertuples(index=False):
                print(f"  row {r.row} [{r.column}] {r.value!r}: {r.message}")
        return EXIT_OK
    if args.command == "kpis":
        from .registry import LAYER_LABELS, describe, markdown_table

        entries = describe(_targets(args.targets))
        if args.markdown:
            print(markdown_table(), end="")
        elif args.json:
            print(json.dumps(entries, ensure_ascii=False, indent=2))
        else:
            side = 0 if lang == "ja" else 1
            for e in entries:
                target = "" if e["target"] is None else f" target={e['target']:g}"
                print(f"{e['key']:<26} {LAYER_LABELS[e['layer']][side]:<8} {e['cadence']:<8} {e['owner_role']:<13} "
                      f"{e['unit']:<8} {e['direction']:<5}{target}  {e['label'][lang]}")
        return EXIT_OK
    if args.command == "moves":
        return _moves(args, lang)
    if args.command == "history":
        return _history(args, lang)
    frames = _load_all(args, lang)
    targets = _targets(args.targets)
    if args.command == "metrics":
        from .metrics import metrics
        from .registry import values

        out = metrics(frames, args.as_of, targets)
        out["kpis"] = values(frames, args.as_of, targets, sections=out)  # SPEC 6: every registry KPI, null = n/a
        print(json.dumps(out, ensure_ascii=False, indent=2 if args.json else None))
        return EXIT_OK
    from .report import weekly_workbook

    data = weekly_workbook(frames, args.as_of, targets, lang=lang)
    try:
        Path(args.out).write_bytes(data)
    except OSError as exc:
        raise CliError(f"{args.out}: {exc.strerror or exc}") from None
    print(args.out)
    return EXIT_OK


def _lang_of(argv: list[str] | None) -> str:
    """The --lang of the command line, for errors raised before or outside argument parsing (default ja)."""
    args = list(sys.argv[1:] if argv is None else argv)
    for i, arg in enumerate(args):
        if arg == "--lang" and i + 1 < len(args) and args[i + 1] in ("ja", "en"):
            return args[i + 1]
        if arg in ("--lang=ja", "--lang=en"):
            return arg.split("=", 1)[1]
    return "ja"


def _load_error(exc: BaseException) -> bool:
    """Whether ``exc`` is the loader's LoadError (when kpi.load was never imported, none can have been raised)."""
    loader = sys.modules.get("kpi.load")
    return loader is not None and isinstance(exc, loader.LoadError)


def main(argv: list[str] | None = None) -> int:
    lang = _lang_of(argv)
    try:
        return run(argv)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head`: not an error of ours
        return EXIT_OK
    except Exception as exc:  # never a traceback for the user; the message still says what broke
        if _load_error(exc):
            print(f"error: {exc.message(lang)}", file=sys.stderr)
            return EXIT_ERROR
        from .messages import message

        print(f"error: {message('unreadable', lang, what=f'{type(exc).__name__}: {exc}')}", file=sys.stderr)
        return EXIT_ERROR


def _exit(code: int, argv: list[str]) -> None:
    """Leave the process without the interpreter's teardown (freeing every frame, array and module one by one:
    0.1–0.2 s after a 100k-row file) once the output is flushed. ``history`` exits normally: its DuckDB store is
    closed by the interpreter's own shutdown."""
    if "history" in argv:
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # output piped into `head`
        pass
    except OSError:
        code = code or EXIT_ERROR
    os._exit(code)


if __name__ == "__main__":
    _exit(main(), sys.argv[1:])
