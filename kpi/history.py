"""The weekly history store, a workspace (SPEC section 5 "The history store"): one DuckDB database per workspace.

The CLI (``python -m kpi history …``) and the app call the same :class:`Store`. It remembers, per week:

* ``snapshots`` — one row per stored (week, kind): rows, added_at, source (the file names), plus the snapshot's
  id (a token for optimistic checks) and the frame's columns with their dtypes;
* ``rows_<kind>`` — the snapshot's validated rows, one table per dataset kind (see "Why one table per kind");
* ``kpi_values`` — (week, key, value): every registry KPI (``kpi.registry.values``) computed as of that week
  over all kinds stored for it;
* ``actions`` — the weekly review's decisions (raised, answers which KPI / bottleneck, cause, action, owner,
  deadline, status open/done/dropped, week closed, note);
* ``meta`` and ``schema_version`` — bookkeeping; the schema is created and migrated here (:data:`SCHEMA_VERSION`).

What a page calls (every error is a :class:`HistoryError`: ``.code``, and ``.message(lang)``, one sentence):
``add_snapshot(frames, week, source)``, ``list_snapshots()``, ``weeks(kind)``, ``load_snapshot(week, kind)``,
``moves(from_week, to_week)`` (a ``kpi.moves.Moves``), ``trend(keys)`` / ``trend_frame(keys)``,
``weeks_unmoved()``, ``forget(week, kind)``, ``forget_all()``, ``add_action`` / ``update_action`` /
``delete_action`` / ``actions(status)`` / ``open_actions(before)``. The demo workspace:
``sample_data.weekly.demo_store()`` (in memory).

Connection. ``Store(database)`` takes a file path, ``":memory:"`` (the demo workspace; nothing touches the disk)
or any other DuckDB connection string (``md:…`` for MotherDuck later: the string is the only setting). A file
store is opened per operation — connect, do, close — because DuckDB lets one process at a time hold a file
read-write: two writers (two browser sessions, the app and a scheduled CLI run) take turns. An operation that
meets the other's lock retries with a short randomised back-off for up to ``busy_timeout`` (10 s), then raises
:class:`HistoryError` ``history.busy`` (one sentence). Writes are short: validation and pseudonymisation happen
before the connection is opened, and the week's KPIs are computed on a second thread while the transaction
deletes and inserts the rows (it commits once they are ready: about half a second for 100,000 leads). When a write
depends on what is stored (the week's other kinds, which feed cross-kind KPIs such as the adoption score), the
snapshot ids read beforehand are checked inside the transaction, and the write is recomputed if another writer
changed them in between — so no write is lost and no stale KPI is stored.

Files. The store file is created on the first write with mode 0600 (built in a private 0700 directory beside
it, then hard-linked into place, so it never exists with wider permissions and two first writers cannot both
create it). Reading a store that does not exist creates nothing. DuckDB's write-ahead log (``S.wal``) lives
only while a write is open; it is tightened to 0600 too when met.

Patient IDs. A visits snapshot stores HMAC-SHA256(key, patient_id) in hex, never the ID as written. The key is
``KPI_STORE_KEY`` (environment, UTF-8 text) or the file ``S.key`` beside the store (64 hex digits, created with
mode 0600 on the store's first write); an in-memory store draws its own. ``meta.key_check`` (an HMAC of a fixed
text) detects a different key: adding visits to a store whose visits were written with another key, or whose
key file is missing, raises ``history.key_mismatch`` / ``history.key_missing`` instead of silently breaking
cohorts across weeks. Reading stored visits needs no key: cohorts and repeat rates work on the pseudonyms.

Why one table per kind (not a table per snapshot, not Parquet blobs): the columns are the validated frame's
fields, so DuckDB compresses each column on its own and SQL can read across weeks (``weeks_unmoved`` is one
query over every stored leads snapshot); the number of tables stays fixed, so the schema can be versioned and
migrated; replacing a (week, kind) is a DELETE + INSERT in one transaction. A column a file lacks is NULL in the
table, so each snapshot records which columns it had (and their dtypes): ``load_snapshot`` gives back exactly
the frame that was stored, and a KPI whose input column was absent stays n/a, never 0. A field new to the
schema becomes a new column the first time a snapshot carries it.

Readings of the SPEC chosen here:

* ``add_snapshot`` of several kinds at once stores them all under one week: ``week`` or, when not given, the
  latest of their own as_of dates (SPEC 2's default per kind); one file = its own as_of, as SPEC 5 says.
* The KPI values of a week are recomputed whenever a kind of that week is added, replaced or forgotten.
* ``trend`` gives every stored week (weeks with any snapshot), oldest first; a KPI of a kind not stored that
  week is null. Values are stored as doubles; counts (unit ``count``) come back as ints when whole.
* ``weeks_unmoved`` counts the consecutive leads snapshots, ending with the latest (or the week given), in which
  the lead is present with the same stage; only leads open in that latest snapshot are listed.
* ``forget_all`` removes the store file, its log and its key file (the pseudonyms mean nothing without data).
* lead_ids are stored as they are matched (NFKC, stripped; validated frames already are), so SQL over the stored
  weeks and ``kpi.moves`` read the same ids.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import random
import re
import shutil
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from .messages import message
from .targets import STAGE_DATE_COLUMNS, STAGES, Targets

SCHEMA_VERSION = 2
KINDS: tuple[str, ...] = ("leads", "activities", "visits", "onboarding", "referrals")
BUSY_TIMEOUT_S = 10.0
STALLED_AFTER_WEEKS = 3  # SPEC 5: "3 or more = stalled across uploads (a setting)"
ACTION_STATUSES = ("open", "done", "dropped")
ACTION_FIELDS = ("week_raised", "kpi_or_bottleneck", "cause", "action", "owner", "deadline", "status", "week_closed", "note")
ENV_STORE, ENV_KEY = "KPI_STORE", "KPI_STORE_KEY"
_KEY_CHECK_TEXT = b"kpi history store key check"
_WRITE_ATTEMPTS = 20  # recomputations when another writer changed the week in between (each one is short)


class HistoryError(Exception):
    """One sentence for the user: ``code`` keys kpi.messages (``history.*``), ``params`` fill it."""

    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = params
        super().__init__(message(f"history.{code}", "en", **params))

    def message(self, lang: str = "ja") -> str:
        return message(f"history.{self.code}", lang, **self.params)


def _duckdb():
    try:
        import duckdb
    except ImportError:
        raise HistoryError("no_duckdb") from None
    return duckdb


# ------------------------------------------------------------------ records
@dataclass(frozen=True)
class Snapshot:
    week: dt.date
    kind: str
    rows: int
    added_at: dt.datetime
    source: str

    def to_json(self) -> dict[str, Any]:
        return {"week": self.week.isoformat(), "kind": self.kind, "rows": self.rows,
                "added_at": self.added_at.isoformat(timespec="seconds"), "source": self.source}


@dataclass(frozen=True)
class Action:
    id: int
    week_raised: dt.date
    kpi_or_bottleneck: str | None
    cause: str | None
    action: str
    owner: str | None
    deadline: dt.date | None
    status: str
    week_closed: dt.date | None
    note: str | None

    def to_json(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class StoreSettings:
    """Everything that picks and tunes a workspace. ``database``: a path, ``":memory:"`` or a DuckDB
    connection string; ``key``: the pseudonymisation key (default ``KPI_STORE_KEY``, else ``S.key``)."""

    database: str
    key: bytes | None = field(default=None, repr=False)
    busy_timeout: float = BUSY_TIMEOUT_S
    stalled_after: int = STALLED_AFTER_WEEKS
    targets: Targets = field(default_factory=Targets)


def as_week(value) -> dt.date:
    """A week given as ``YYYY-MM-DD`` text, a date or a timestamp → date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()


def data_as_of(kind: str, frame: pd.DataFrame) -> dt.date | None:
    """SPEC 2's default as_of of one dataset (the latest date in it; visits: the latest attended visit)."""
    import importlib

    module = {"leads": "funnel", "activities": "habits", "visits": "clinic", "onboarding": "onboarding",
              "referrals": "referrals"}[kind]
    if frame is None or frame.empty:
        return None
    ts = importlib.import_module(f"kpi.{module}").default_as_of(frame)
    return None if ts is None or pd.isna(ts) else pd.Timestamp(ts).date()


def guess_kind(frame: pd.DataFrame) -> str | None:
    """The kind of a validated frame, from the required field only that kind has."""
    for kind, col in (("leads", "lead_id"), ("visits", "patient_id"), ("activities", "activity_at"),
                      ("onboarding", "session_no"), ("referrals", "referred_on")):
        if col in frame.columns:
            return kind
    return None


# ------------------------------------------------------------------ schema
_V2_TABLES = [
    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    "CREATE TABLE meta (name VARCHAR NOT NULL, value VARCHAR)",
    "CREATE TABLE snapshots (week DATE NOT NULL, kind VARCHAR NOT NULL, rows BIGINT NOT NULL, added_at TIMESTAMP NOT NULL,"
    " source VARCHAR, id VARCHAR NOT NULL, columns VARCHAR NOT NULL, duplicates BIGINT NOT NULL DEFAULT 0)",
    "CREATE TABLE kpi_values (week DATE NOT NULL, key VARCHAR NOT NULL, value DOUBLE)",
    "CREATE SEQUENCE action_ids START 1",
    "CREATE TABLE actions (id BIGINT NOT NULL, week_raised DATE NOT NULL, kpi_or_bottleneck VARCHAR, cause VARCHAR,"
    " action VARCHAR NOT NULL, owner VARCHAR, deadline DATE, status VARCHAR NOT NULL, week_closed DATE, note VARCHAR)",
    *[f"CREATE TABLE rows_{k} (week DATE NOT NULL, _seq BIGINT NOT NULL)" for k in KINDS],
]
_SQL_TO_DTYPE = {"VARCHAR": "str", "DOUBLE": "float64", "BIGINT": "int64", "INTEGER": "int64", "BOOLEAN": "bool",
                 "TIMESTAMP": "datetime64[ns]", "DATE": "datetime64[ns]"}


def _create_schema(con) -> None:
    con.execute("BEGIN TRANSACTION")
    for sql in _V2_TABLES:
        con.execute(sql)
    con.execute("INSERT INTO schema_version VALUES (?)", [SCHEMA_VERSION])
    con.execute("COMMIT")


def _tables(con) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}


def _table_columns(con, table: str) -> dict[str, str]:
    return {r[0]: r[1] for r in con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ? "
        "ORDER BY ordinal_position", [table]).fetchall()}


def _migrate_1_to_2(con) -> None:
    """v1 kept snapshots (week, kind, rows, added_at, source), rows_<kind> (week + the frame's columns), kpi_values
    and actions without week_closed / note. v2 adds: snapshot ids and columns, row order (_seq), meta, the actions'
    week_closed and note, and a sequence for action ids."""
    tables = _tables(con)
    con.execute("CREATE TABLE meta (name VARCHAR NOT NULL, value VARCHAR)")
    con.execute("ALTER TABLE snapshots ADD COLUMN id VARCHAR")
    con.execute("ALTER TABLE snapshots ADD COLUMN columns VARCHAR")
    con.execute("ALTER TABLE snapshots ADD COLUMN duplicates BIGINT DEFAULT 0")
    con.execute("UPDATE snapshots SET id = replace(CAST(uuid() AS VARCHAR), '-', ''), duplicates = 0")
    for kind in KINDS:
        table = f"rows_{kind}"
        if table not in tables:
            con.execute(f"CREATE TABLE {table} (week DATE NOT NULL, _seq BIGINT NOT NULL)")
            continue
        con.execute(f"ALTER TABLE {table} ADD COLUMN _seq BIGINT")
        con.execute(f"UPDATE {table} SET _seq = rowid")  # v1 kept rows in insertion order
        data_cols = {c: t for c, t in _table_columns(con, table).items() if c not in ("week", "_seq")}
        # v1 did not record which columns a snapshot had: a column counts as present when it has a value that week
        weeks = [r[0] for r in con.execute("SELECT week FROM snapshots WHERE kind = ?", [kind]).fetchall()]
        for week in weeks:
            if not data_cols:
                present = []
            else:
                counts = _one(con.execute(
                    f"SELECT {', '.join(f'count({_q(c)})' for c in data_cols)} FROM {table} WHERE week = ?", [week]))
                present = [c for c, n in zip(data_cols, counts) if n]
            columns = [[c, _SQL_TO_DTYPE.get(data_cols[c], "str")] for c in present]
            con.execute("UPDATE snapshots SET columns = ? WHERE week = ? AND kind = ?", [json.dumps(columns), week, kind])
            if kind == "leads" and "lead_id" in data_cols:
                dups = _one(con.execute("SELECT count(*) FROM (SELECT lead_id FROM rows_leads WHERE week = ? AND lead_id IS NOT NULL "
                                        "GROUP BY lead_id HAVING count(*) > 1)", [week]))[0]
                con.execute("UPDATE snapshots SET duplicates = ? WHERE week = ? AND kind = ?", [dups, week, kind])
    con.execute("UPDATE snapshots SET columns = '[]' WHERE columns IS NULL")
    con.execute("ALTER TABLE actions ADD COLUMN week_closed DATE")
    con.execute("ALTER TABLE actions ADD COLUMN note VARCHAR")
    start = _one(con.execute("SELECT coalesce(max(id), 0) + 1 FROM actions"))[0]
    con.execute(f"CREATE SEQUENCE action_ids START {int(start)}")


_MIGRATIONS: dict[int, Callable] = {1: _migrate_1_to_2}


def _one(cursor):
    """The first row of a result, reading it to the end (DuckDB refuses new work on a connection with a result
    still open); None without rows."""
    rows = cursor.fetchall()
    return rows[0] if rows else None


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _sql_type(dtype) -> str:
    if pd.api.types.is_bool_dtype(dtype):
        return "BOOLEAN"
    if pd.api.types.is_integer_dtype(dtype):
        return "BIGINT"
    if pd.api.types.is_float_dtype(dtype):
        return "DOUBLE"
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "TIMESTAMPTZ"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "TIMESTAMP"
    return "VARCHAR"


# ------------------------------------------------------------------ the store
@dataclass(frozen=True)
class _Prepared:
    """A snapshot ready to write: the rows as stored (pseudonymised, with _seq), their columns, the week."""

    kind: str
    frame: pd.DataFrame
    columns: list
    source: str
    key_check: str | None = None  # visits: HMAC of a fixed text with the key the patient IDs were hashed with
    duplicates: int = 0  # leads: lead_ids on more than one row (the last row counts; weeks_unmoved reads it)


class Store:
    """One workspace. Every method opens, uses and closes its own connection (see the module)."""

    def __init__(self, database: str | os.PathLike | None = None, *, key: bytes | str | None = None,
                 busy_timeout: float = BUSY_TIMEOUT_S, stalled_after: int = STALLED_AFTER_WEEKS,
                 targets: Targets | None = None):
        if database is None:
            database = os.environ.get(ENV_STORE) or None
        if not database:
            raise HistoryError("no_store")
        if isinstance(key, str):
            key = key.encode("utf-8")
        self.settings = StoreSettings(str(database), key, float(busy_timeout), int(stalled_after), targets or Targets())
        self._memory = self.settings.database == ":memory:"
        self._held = None  # the in-memory database's connection (each operation uses a cursor of it)
        self._held_lock = threading.Lock()
        if self._memory:
            self._held = _duckdb().connect(":memory:")
            _create_schema(self._held)
            if self.settings.key is None:
                self.settings = StoreSettings(":memory:", os.urandom(32), self.settings.busy_timeout,
                                              self.settings.stalled_after, self.settings.targets)

    # ---------------------------------------------------------------- where
    @property
    def database(self) -> str:
        return self.settings.database

    @property
    def path(self) -> Path | None:
        """The store file; None for ``:memory:`` and connection strings such as ``md:…``."""
        db = self.settings.database
        if self._memory or re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:(?![\\/])", db):
            return None
        return Path(db)

    @property
    def key_path(self) -> Path | None:
        return None if self.path is None else Path(str(self.path) + ".key")

    def exists(self) -> bool:
        return self.path is None or self.path.exists()

    def _label(self) -> str:
        return self.path.name if self.path is not None else self.settings.database

    # ---------------------------------------------------------------- connections
    def _connect(self):
        if self._memory:
            with self._held_lock:
                return self._held.cursor()
        return _duckdb().connect(self.settings.database)

    def _run(self, fn: Callable, *, write: bool, missing: Any = None):
        """Run ``fn(con)`` on a fresh connection, retrying on the other writer's lock for up to busy_timeout.
        A read of a store file that does not exist returns ``missing`` without creating anything."""
        duckdb = _duckdb()
        deadline = time.monotonic() + self.settings.busy_timeout
        delay = 0.01
        while True:
            try:
                if self.path is not None and not self.path.exists():
                    if not write:
                        return missing
                    self._create_file()
                con = self._connect()
                try:
                    if write and self.path is not None:
                        self._tighten()
                    self._ensure_schema(con)
                    result = fn(con)
                    if write and self.path is not None:
                        self._tighten()  # a log DuckDB opened during the write
                    return result
                finally:
                    con.close()
            except duckdb.Error as exc:
                if not _is_busy(duckdb, exc):
                    if isinstance(exc, duckdb.IOException) and "lock" not in str(exc).lower():
                        raise HistoryError("not_a_store", store=self._label(), what=str(exc).splitlines()[0]) from None
                    raise
                if time.monotonic() >= deadline:
                    raise HistoryError("busy", store=self._label(), seconds=f"{self.settings.busy_timeout:g}") from None
                time.sleep(random.uniform(delay / 2, delay))
                delay = min(delay * 2, 0.25)

    def _create_file(self) -> None:
        """The first write: build the database (schema, key file) in a private directory, then link it into place."""
        path = self.path
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.settings.key is None and not os.environ.get(ENV_KEY):
            self._key_from_file(create=True)
        tmpdir = tempfile.mkdtemp(prefix=".kpi-store-", dir=path.parent)  # mode 0700
        try:
            tmp = Path(tmpdir) / "store.duckdb"
            con = _duckdb().connect(str(tmp))
            try:
                _create_schema(con)
            finally:
                con.close()
            os.chmod(tmp, 0o600)
            try:
                os.link(tmp, path)  # never replaces: a concurrent first writer's file wins
            except FileExistsError:
                pass
            except OSError:  # a file system without hard links
                if not path.exists():
                    os.replace(tmp, path)
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)

    def _tighten(self) -> None:
        for p in (self.path, Path(str(self.path) + ".wal")):
            try:
                if p.stat().st_mode & 0o077:
                    os.chmod(p, 0o600)
            except OSError:
                pass

    def _ensure_schema(self, con) -> None:
        duckdb = _duckdb()
        try:
            version = _one(con.execute("SELECT max(version) FROM schema_version"))[0]
        except duckdb.CatalogException:
            version = None
        if version == SCHEMA_VERSION:
            return
        if version is None:
            if _tables(con):
                raise HistoryError("not_a_store", store=self._label(), what="no schema_version table")
            _create_schema(con)
            return
        if version > SCHEMA_VERSION:
            raise HistoryError("newer_schema", store=self._label(), found=version, supported=SCHEMA_VERSION)
        con.execute("BEGIN TRANSACTION")
        v = _one(con.execute("SELECT max(version) FROM schema_version"))[0]  # another process may have migrated
        while v < SCHEMA_VERSION:
            _MIGRATIONS[v](con)
            v += 1
        con.execute("DELETE FROM schema_version")
        con.execute("INSERT INTO schema_version VALUES (?)", [SCHEMA_VERSION])
        con.execute("COMMIT")

    def schema_version(self) -> int | None:
        return self._run(lambda con: _one(con.execute("SELECT max(version) FROM schema_version"))[0], write=False)

    # ---------------------------------------------------------------- the key
    def _key_from_file(self, create: bool) -> bytes | None:
        kp = self.key_path
        if kp is None:
            return None
        try:
            text = kp.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            if not create:
                return None
            kp.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(kp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return self._key_from_file(create=False)
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(os.urandom(32).hex() + "\n")
            return self._key_from_file(create=False)
        try:
            return bytes.fromhex(text)
        except ValueError:
            return text.encode("utf-8")

    def _patient_key(self) -> bytes:
        """The pseudonymisation key; a missing key for a store that has visits is an error, not a new key."""
        if self.settings.key is not None:
            return self.settings.key
        env = os.environ.get(ENV_KEY)
        if env:
            return env.encode("utf-8")
        has_visits = bool(self._run(
            lambda con: _one(con.execute("SELECT count(*) FROM snapshots WHERE kind = 'visits'"))[0],
            write=False, missing=0))
        key = self._key_from_file(create=not has_visits)
        if key is None:
            raise HistoryError("key_missing", store=self._label(), key=str(self.key_path) if self.key_path else ENV_KEY)
        return key

    # ---------------------------------------------------------------- snapshots
    def add_snapshot(self, frames: pd.DataFrame | dict[str, pd.DataFrame], week=None, source: str | dict[str, str] = "",
                     kind: str | None = None) -> list[Snapshot]:
        """Store validated rows as the snapshot of (week, kind), replacing the same (week, kind) in one transaction,
        and the week's registry KPIs. ``frames``: one frame (its ``kind`` given or guessed) or {kind: frame};
        ``week``: None = the data's as_of; ``source``: the file name(s), one text or one per kind."""
        if isinstance(frames, pd.DataFrame):
            kind = kind or guess_kind(frames)
            if kind is None:
                raise HistoryError("unknown_kind", kind="?", kinds=", ".join(KINDS))
            frames = {kind: frames}
        for k in frames:
            if k not in KINDS:
                raise HistoryError("unknown_kind", kind=k, kinds=", ".join(KINDS))
        if week is None:
            dates = [d for d in (data_as_of(k, f) for k, f in frames.items()) if d is not None]
            if not dates:
                raise HistoryError("no_week")
            week = max(dates)
        week = as_week(week)
        sources = source if isinstance(source, dict) else {k: source for k in frames}
        prepared = {k: self._prepare(k, f, sources.get(k, "")) for k, f in frames.items()}
        added = self._write_week(week, prepared, drop=())
        return [s for s in added if s.kind in prepared]

    def _prepare(self, kind: str, frame: pd.DataFrame, source: str) -> _Prepared:
        out = frame.reset_index(drop=True)
        check = None
        if kind == "visits":
            key = self._patient_key()
            check = hmac.new(key, _KEY_CHECK_TEXT, hashlib.sha256).hexdigest()
            if "patient_id" in out.columns:
                out = out.assign(patient_id=pseudonymise(out["patient_id"], key))
        duplicates = 0
        if kind == "leads" and "lead_id" in out.columns:
            from .moves import normalise_ids

            ids = normalise_ids(out["lead_id"])  # as matched (NFKC, stripped): validated ids already are
            if not ids.equals(out["lead_id"]):
                out = out.assign(lead_id=ids)
            duplicates = int(ids[ids.duplicated(keep=False)].nunique())
        columns = [[str(c), str(out[c].dtype)] for c in out.columns]
        out = out.assign(_seq=np.arange(len(out), dtype=np.int64))
        return _Prepared(kind, out, columns, str(source or ""), check, duplicates)

    def _write_week(self, week: dt.date, new: dict[str, _Prepared], drop) -> list[Snapshot]:
        """Replace the week's snapshots of the kinds in ``new`` / ``drop`` and recompute its KPIs from every kind
        then stored for it; recomputed when another writer changed the week's other kinds meanwhile."""
        from .registry import values

        touched = set(new) | set(drop)
        mine = {k: p.frame.drop(columns="_seq") for k, p in new.items()}
        # The KPIs are computed on a second thread while the week's state is read and the rows are inserted (DuckDB
        # releases the GIL); the transaction waits for them before it commits. The first computation assumes the
        # week holds no other kind (the usual case) and is redone when it does.
        with ThreadPoolExecutor(max_workers=1) as pool:
            guess = pool.submit(values, mine, week, self.settings.targets) if mine else None
            for _ in range(_WRITE_ATTEMPTS):
                state = self._week_state(week)
                others = {k: sid for k, sid in state.items() if k not in touched}
                if others or guess is None:
                    frames = {k: self.load_snapshot(week, k) for k in others}
                    if any(f is None for f in frames.values()):
                        continue  # forgotten in between
                    frames.update(mine)
                    kpis = pool.submit(values, frames, week, self.settings.targets) if frames else None
                else:
                    kpis = guess
                done = self._run(lambda con: self._write_txn(con, week, new, touched, others, kpis), write=True)
                if done is not None:
                    return done
        raise HistoryError("busy", store=self._label(), seconds=f"{self.settings.busy_timeout:g}")

    def _week_state(self, week: dt.date) -> dict[str, str]:
        rows = self._run(lambda con: con.execute("SELECT kind, id FROM snapshots WHERE week = ?", [week]).fetchall(),
                         write=False, missing=[])
        return dict(rows)

    def _write_txn(self, con, week, new: dict[str, _Prepared], touched, others, future) -> list[Snapshot] | None:
        if future is not None and self.path is not None:
            con.execute("SET threads = 1")  # one core inserts while the other computes the KPIs (2-core machines)
        con.execute("BEGIN TRANSACTION")
        current = dict(con.execute("SELECT kind, id FROM snapshots WHERE week = ?", [week]).fetchall())
        if {k: v for k, v in current.items() if k not in touched} != others:
            con.execute("ROLLBACK")
            return None
        if "visits" in new:
            self._check_key(con, new["visits"].key_check)
        now = dt.datetime.now().replace(microsecond=0)
        for kind in touched:
            con.execute(f"DELETE FROM rows_{kind} WHERE week = ?", [week])
            con.execute("DELETE FROM snapshots WHERE week = ? AND kind = ?", [week, kind])
        for kind, p in new.items():
            table = f"rows_{kind}"
            have = _table_columns(con, table)
            for col in p.frame.columns:
                if col not in have:
                    con.execute(f"ALTER TABLE {table} ADD COLUMN {_q(col)} {_sql_type(p.frame[col].dtype)}")
            con.register("incoming_rows", p.frame)
            con.execute(f"INSERT INTO {table} BY NAME SELECT CAST(? AS DATE) AS week, * FROM incoming_rows", [week])
            con.unregister("incoming_rows")
            con.execute("INSERT INTO snapshots VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [week, kind, len(p.frame), now, p.source, uuid.uuid4().hex, json.dumps(p.columns), p.duplicates])
        con.execute("DELETE FROM kpi_values WHERE week = ?", [week])
        kpis = future.result() if future is not None else {}
        if kpis:
            kv = pd.DataFrame({"key": list(kpis), "value": [None if v is None else float(v) for v in kpis.values()]})
            con.register("incoming_kpis", kv)
            con.execute("INSERT INTO kpi_values SELECT CAST(? AS DATE), key, value FROM incoming_kpis", [week])
            con.unregister("incoming_kpis")
        con.execute("COMMIT")
        return [Snapshot(week, k, len(p.frame), now, p.source) for k, p in new.items()]

    def _check_key(self, con, check: str) -> None:
        """Inside the write: the key must be the one the store's visits were pseudonymised with."""
        stored = _one(con.execute("SELECT value FROM meta WHERE name = 'key_check'"))
        has_visits = _one(con.execute("SELECT count(*) FROM snapshots WHERE kind = 'visits'"))[0]
        if stored and stored[0] != check and has_visits:
            con.execute("ROLLBACK")
            raise HistoryError("key_mismatch", store=self._label())
        if not stored or stored[0] != check:
            con.execute("DELETE FROM meta WHERE name = 'key_check'")
            con.execute("INSERT INTO meta VALUES ('key_check', ?)", [check])

    def list_snapshots(self, kind: str | None = None) -> list[Snapshot]:
        """Every stored snapshot, oldest week first (kinds in SPEC order within a week)."""
        def read(con):
            sql = "SELECT week, kind, rows, added_at, source FROM snapshots"
            params = []
            if kind:
                sql += " WHERE kind = ?"
                params.append(kind)
            return con.execute(sql, params).fetchall()
        rows = self._run(read, write=False, missing=[])
        order = {k: i for i, k in enumerate(KINDS)}
        return [Snapshot(w, k, int(n), a, s or "") for w, k, n, a, s in sorted(rows, key=lambda r: (r[0], order.get(r[1], 9)))]

    def weeks(self, kind: str | None = None) -> list[dt.date]:
        return sorted({s.week for s in self.list_snapshots(kind)})

    def load_snapshot(self, week, kind: str, columns: list[str] | None = None) -> pd.DataFrame | None:
        """The frame stored for (week, kind), as it was stored (patient IDs pseudonymised); None when none is.
        ``columns``: only these (those the snapshot had)."""
        week = as_week(week)
        if kind not in KINDS:
            raise HistoryError("unknown_kind", kind=kind, kinds=", ".join(KINDS))

        def read(con):
            meta = _one(con.execute("SELECT columns FROM snapshots WHERE week = ? AND kind = ?", [week, kind]))
            if meta is None:
                return None
            cols = [(c, d) for c, d in json.loads(meta[0]) if columns is None or c in columns]
            if not cols:
                n = _one(con.execute(f"SELECT count(*) FROM rows_{kind} WHERE week = ?", [week]))[0]
                return pd.DataFrame(index=pd.RangeIndex(n))
            sql = f"SELECT {', '.join(_q(c) for c, _ in cols)} FROM rows_{kind} WHERE week = ? ORDER BY _seq"
            frame = con.sql(sql, params=[week]).to_arrow_table().to_pandas()
            return _restore(frame, cols)
        return self._run(read, write=False)

    def forget(self, week, kind: str | None = None) -> int:
        """Delete the week's snapshot of ``kind`` (all kinds when None); returns how many were deleted. The week's
        KPIs are recomputed from what remains."""
        week = as_week(week)
        state = self._week_state(week)
        drop = [k for k in state if kind is None or k == kind]
        if not drop:
            return 0
        self._write_week(week, {}, drop)
        self._run(lambda con: con.execute("CHECKPOINT"), write=True)  # give the deleted rows' blocks back
        return len(drop)

    def forget_all(self) -> None:
        """Forget the whole workspace: the store file, its log and its key file (a memory store: every row)."""
        if self.path is None:
            def clear(con):
                con.execute("BEGIN TRANSACTION")
                for table in ("snapshots", "kpi_values", "actions", "meta", *[f"rows_{k}" for k in KINDS]):
                    con.execute(f"DELETE FROM {table}")
                con.execute("COMMIT")
            self._run(clear, write=True)
            return

        def remove(con):  # holding the connection keeps other writers out while the files go
            con.execute("CHECKPOINT")
            for p in (self.path, Path(str(self.path) + ".wal"), self.key_path):
                try:
                    p.unlink()
                except FileNotFoundError:
                    pass
        if self.path.exists():
            self._run(remove, write=True)
        elif self.key_path.exists():
            self.key_path.unlink()

    # ---------------------------------------------------------------- moves, trend, weeks unmoved
    def moves(self, from_week=None, to_week=None):
        """Moves between two stored leads snapshots (kpi.moves, as of their weeks); default the latest two."""
        from .moves import _CARRIED, compare

        weeks = self.weeks("leads")
        to_w = as_week(to_week) if to_week is not None else None
        from_w = as_week(from_week) if from_week is not None else None
        for w in (to_w, from_w):
            if w is not None and w not in weeks:
                raise HistoryError("no_snapshot", week=w.isoformat(), kind="leads", weeks=_weeks_text(weeks))
        if to_w is None:
            later = [w for w in weeks if from_w is None or w > from_w]
            to_w = later[-1] if later else None
        if from_w is None and to_w is not None:
            earlier = [w for w in weeks if w < to_w]
            from_w = earlier[-1] if earlier else None
        if from_w is None or to_w is None:
            raise HistoryError("not_enough_leads", count=len(weeks))
        needed = ["lead_id", "status", "_row", *STAGE_DATE_COLUMNS.values(), *_CARRIED]
        old = self.load_snapshot(from_w, "leads", needed)
        new = self.load_snapshot(to_w, "leads", needed)
        return compare(old, new, from_w, to_w, from_w.isoformat(), to_w.isoformat())

    def trend(self, keys: list[str] | None = None) -> list[dict[str, Any]]:
        """``[{"week", "kpis": {key: value}}]``, one entry per stored week, oldest first (SPEC 5 ``history trend``)."""
        from .registry import BY_KEY, REGISTRY

        keys = list(keys) if keys else [k.key for k in REGISTRY]
        for key in keys:
            if key not in BY_KEY:
                raise HistoryError("unknown_kpi", key=key)

        def read(con):
            weeks = [r[0] for r in con.execute("SELECT DISTINCT week FROM snapshots ORDER BY week").fetchall()]
            vals = con.execute("SELECT week, key, value FROM kpi_values WHERE list_contains(?, key)", [keys]).fetchall()
            return weeks, vals
        weeks, vals = self._run(read, write=False, missing=([], []))
        table: dict = {w: dict.fromkeys(keys) for w in weeks}
        for w, k, v in vals:
            if w in table:
                table[w][k] = _kpi_value(BY_KEY[k], v)
        return [{"week": w, "kpis": table[w]} for w in weeks]

    def trend_frame(self, keys: list[str] | None = None) -> pd.DataFrame:
        """The trend as a frame: one row per week (a ``week`` column, oldest first), one column per KPI key."""
        entries = self.trend(keys)
        rows = [{"week": pd.Timestamp(e["week"]), **e["kpis"]} for e in entries]
        return pd.DataFrame(rows, columns=["week", *(keys or [k for k in (entries[0]["kpis"] if entries else {})])])

    def region_trend_frame(self, keys: list[str], region: str) -> pd.DataFrame:
        """The trend of ``keys`` for one region (``trend_frame``'s shape): per stored week, the registry KPIs of that
        week's sales snapshots (leads, activities) cut to the region, computed as of the week. Only KPIs of those
        two datasets have a regional value; the others are null. Reading: a region's number is the same definition
        on the region's rows (the funnel's by-region reading), so stored weekly values are not reused."""
        from .registry import BY_KEY, values

        stored = {(s.week, s.kind) for s in self.list_snapshots()}
        rows = []
        for week in self.weeks("leads"):
            frames = {}
            for kind in ("leads", "activities"):
                if (week, kind) in stored:
                    frame = self.load_snapshot(week, kind)
                    frames[kind] = frame[frame["region"].eq(region).fillna(False).to_numpy(dtype=bool)] if "region" in frame else frame.iloc[0:0]
            found = values(frames, week, self.settings.targets)
            rows.append({"week": pd.Timestamp(week),
                         **{k: (found.get(k) if BY_KEY[k].dataset in ("leads", "activities") else None) for k in keys}})
        return pd.DataFrame(rows, columns=["week", *keys])

    def weeks_unmoved(self, week=None) -> pd.DataFrame:
        """Per lead open in the latest leads snapshot (or the one of ``week``): how many consecutive stored leads
        snapshots, ending with it, show the same stage (SPEC 5). Columns: lead_id, account, owner, region, stage,
        since (the first week of the run), weeks_unmoved, stalled (≥ the stalled_after setting). Most weeks first.

        One query over every stored leads snapshot: the stage of each row as of its week (the furthest stage date
        ≤ week), the last row of a lead_id where a snapshot has it twice (only in snapshots that do), then per open
        lead the ranks (1 = latest) of the snapshots with its current stage; the run is the leading 1, 2, 3 … of
        that sorted list (a snapshot without the lead, or with another stage, ends it)."""
        columns = ["lead_id", "account", "owner", "region", "stage", "since", "weeks_unmoved", "stalled"]
        end = as_week(week) if week is not None else None

        def read(con):
            have = _table_columns(con, "rows_leads")
            if "lead_id" not in have:
                return None
            whens = []
            for i, col in reversed(list(enumerate(STAGE_DATE_COLUMNS.values()))):
                if col in have:  # calendar dates, as kpi.funnel.stage_dates (a created_at with a time counts as its day)
                    whens.append(f"WHEN CAST(r.{_q(col)} AS DATE) <= r.week THEN {i}")
            stage = f"CASE {' '.join(whens)} END" if whens else "NULL"
            if "status" in have:
                status = "r.status"
            elif "collected_on" in have:
                status = "CASE WHEN r.collected_on IS NOT NULL THEN 'won' ELSE 'open' END"
            else:
                status = "'open'"
            last_row = "r._row DESC, r._seq DESC" if "_row" in have else "r._seq DESC"
            details = ", ".join(f"r.{_q(c)} AS {c}" if c in have else f"CAST(NULL AS VARCHAR) AS {c}"
                                for c in ("account", "owner", "region"))
            sql = f"""
            WITH snaps AS (
                SELECT week, duplicates, row_number() OVER (ORDER BY week DESC) AS rn FROM snapshots
                WHERE kind = 'leads' {'AND week <= ?' if end else ''}),
            latest AS (
                SELECT r.lead_id, {stage} AS stage, {status} AS status, {details} FROM rows_leads r
                WHERE r.week = (SELECT week FROM snaps WHERE rn = 1) AND r.lead_id IS NOT NULL
                QUALIFY row_number() OVER (PARTITION BY r.lead_id ORDER BY {last_row}) = 1),
            cur AS (SELECT lead_id, stage FROM latest WHERE status = 'open' AND stage IS NOT NULL),
            ranks AS (
                SELECT r.lead_id, s.rn FROM rows_leads r JOIN snaps s ON r.week = s.week JOIN cur c ON c.lead_id = r.lead_id
                WHERE s.duplicates = 0 AND {stage} = c.stage
                UNION ALL
                SELECT d.lead_id, d.rn FROM (
                    SELECT r.lead_id, s.rn, {stage} AS stage FROM rows_leads r JOIN snaps s ON r.week = s.week
                    WHERE s.duplicates > 0 AND r.lead_id IS NOT NULL
                    QUALIFY row_number() OVER (PARTITION BY r.week, r.lead_id ORDER BY {last_row}) = 1) d
                JOIN cur c ON c.lead_id = d.lead_id AND d.stage = c.stage),
            runs AS (
                SELECT lead_id, len(list_filter(list_sort(list(rn)), lambda x, i: x = i)) AS weeks_unmoved
                FROM ranks GROUP BY lead_id)
            SELECT u.lead_id, l.account, l.owner, l.region, l.stage, s.week AS since, u.weeks_unmoved
            FROM runs u JOIN snaps s ON s.rn = u.weeks_unmoved JOIN latest l ON l.lead_id = u.lead_id
            """
            return con.sql(sql, params=[end] if end else None).to_arrow_table().to_pandas()
        out = self._run(read, write=False)
        if out is None or out.empty:
            return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(columns, ["str"] * 5 + ["datetime64[ns]", "int64", "bool"])})
        out["stage"] = np.array(STAGES, dtype=object)[out["stage"].astype(int).to_numpy()]
        for c in ("lead_id", "account", "owner", "region", "stage"):
            out[c] = out[c].astype("str")
        out["since"] = pd.to_datetime(out["since"]).astype("datetime64[ns]")
        out["weeks_unmoved"] = out["weeks_unmoved"].astype("int64")
        out["stalled"] = out["weeks_unmoved"] >= self.settings.stalled_after
        return out.sort_values(["weeks_unmoved", "lead_id"], ascending=[False, True], kind="stable").reset_index(drop=True)[columns]

    # ---------------------------------------------------------------- actions
    def add_action(self, week_raised, action: str, *, kpi_or_bottleneck: str | None = None, cause: str | None = None,
                   owner: str | None = None, deadline=None, status: str = "open", week_closed=None,
                   note: str | None = None) -> Action:
        """Store one decision of the weekly review; returns it with its id."""
        row = _action_fields(dict(week_raised=week_raised, action=action, kpi_or_bottleneck=kpi_or_bottleneck, cause=cause,
                                  owner=owner, deadline=deadline, status=status, week_closed=week_closed, note=note))
        if not row.get("action"):
            raise HistoryError("bad_action", what="action is empty")

        def write(con):
            con.execute("BEGIN TRANSACTION")
            new_id = _one(con.execute("SELECT nextval('action_ids')"))[0]
            con.execute(f"INSERT INTO actions (id, {', '.join(ACTION_FIELDS)}) VALUES (?, {', '.join('?' * len(ACTION_FIELDS))})",
                        [new_id, *[row.get(f) for f in ACTION_FIELDS]])
            con.execute("COMMIT")
            return new_id
        return self.action(self._run(write, write=True))

    def update_action(self, action_id: int, **changes) -> Action:
        """Change fields of an action. Closing it (status done / dropped) without ``week_closed`` records the latest
        stored week (today when none); reopening clears week_closed."""
        unknown = set(changes) - set(ACTION_FIELDS)
        if unknown:
            raise HistoryError("bad_action", what=", ".join(sorted(unknown)))
        changes = _action_fields(changes)
        if changes.get("status") in ("done", "dropped") and "week_closed" not in changes:
            weeks = self.weeks()
            changes["week_closed"] = weeks[-1] if weeks else dt.date.today()
        if changes.get("status") == "open":
            changes.setdefault("week_closed", None)

        def write(con):
            con.execute("BEGIN TRANSACTION")
            if _one(con.execute("SELECT count(*) FROM actions WHERE id = ?", [action_id]))[0] == 0:
                con.execute("ROLLBACK")
                return False
            if changes:
                con.execute(f"UPDATE actions SET {', '.join(f'{k} = ?' for k in changes)} WHERE id = ?",
                            [*changes.values(), action_id])
            con.execute("COMMIT")
            return True
        if not self._run(write, write=True):
            raise HistoryError("no_action", id=action_id)
        return self.action(action_id)

    def delete_action(self, action_id: int) -> bool:
        def write(con):
            n = _one(con.execute("SELECT count(*) FROM actions WHERE id = ?", [action_id]))[0]
            con.execute("DELETE FROM actions WHERE id = ?", [action_id])
            return bool(n)
        return self._run(write, write=True)

    def action(self, action_id: int) -> Action:
        found = [a for a in self.actions() if a.id == action_id]
        if not found:
            raise HistoryError("no_action", id=action_id)
        return found[0]

    def actions(self, status: str | None = None) -> list[Action]:
        """Every action (or those of one status), by week raised then id."""
        def read(con):
            sql = f"SELECT id, {', '.join(ACTION_FIELDS)} FROM actions"
            params = []
            if status:
                sql += " WHERE status = ?"
                params.append(status)
            return con.execute(sql + " ORDER BY week_raised, id", params).fetchall()
        rows = self._run(read, write=False, missing=[])
        return [Action(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9]) for r in rows]

    def open_actions(self, before=None) -> list[Action]:
        """The actions still open that were raised before ``before`` (a week; all when None): what next week's review
        opens on (done? carried over?)."""
        limit = as_week(before) if before is not None else None
        return [a for a in self.actions("open") if limit is None or a.week_raised < limit]


# ------------------------------------------------------------------ helpers
def pseudonymise(ids: pd.Series, key: bytes) -> pd.Series:
    """HMAC-SHA256(key, id) in hex per value (each distinct ID hashed once); missing stays missing."""
    codes, uniques = pd.factorize(ids.astype("string"), use_na_sentinel=True)
    digests = np.array([hmac.new(key, str(u).encode("utf-8"), hashlib.sha256).hexdigest() for u in uniques] + [None],
                       dtype=object)
    return pd.Series(digests[codes], index=ids.index, dtype="str")


def _is_busy(duckdb, exc: BaseException) -> bool:
    text = str(exc).lower()
    if isinstance(exc, duckdb.IOException):
        return "lock" in text
    if isinstance(exc, duckdb.TransactionException):
        return True  # a write-write conflict with another connection of this process
    if isinstance(exc, duckdb.ConnectionException):
        return "different configuration" in text or "lock" in text
    return False


def _restore(frame: pd.DataFrame, cols: list) -> pd.DataFrame:
    """The stored dtypes back (DuckDB returns its own: e.g. microsecond timestamps)."""
    for name, dtype in cols:
        if str(frame[name].dtype) != dtype:
            try:
                frame[name] = frame[name].astype(dtype)
            except (TypeError, ValueError):
                pass
    return frame


def _kpi_value(kpi, value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if kpi.unit == "count" and float(value).is_integer():
        return int(value)
    return float(value)


def _weeks_text(weeks: list[dt.date]) -> str:
    return ", ".join(w.isoformat() for w in weeks) or "-"


def _action_fields(values: dict) -> dict:
    out = {}
    for name, value in values.items():
        if name in ("week_raised", "deadline", "week_closed"):
            try:
                out[name] = None if value is None or value == "" else as_week(value)
            except (ValueError, TypeError):
                raise HistoryError("bad_action", what=f"{name}={value!r}") from None
        elif name == "status":
            if value not in ACTION_STATUSES:
                raise HistoryError("bad_action", what=f"status={value!r} ({'/'.join(ACTION_STATUSES)})")
            out[name] = value
        else:
            out[name] = None if value is None else str(value)
    if "week_raised" in values and out.get("week_raised") is None:
        raise HistoryError("bad_action", what="week_raised is empty")
    return out
