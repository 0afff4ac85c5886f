"""The session's data: demo files or uploads -> loaded, validated frames (cached by content).

Session state (set in app.py, read by pages):
  ``frames``          dict kind -> validated DataFrame (what the dashboards use)
  ``files``           list[FileEntry], one per source file, for the data page and the sidebar
  ``combine_notes``   tuple[kpi.combine.Note]: how several files of one kind were combined (SPEC 7)
  ``mappings``        dict file digest -> ColumnMapping JSON the user set for that file
  ``sheets``          dict file digest -> chosen sheet name
  ``parsed_files``    the session's parsed uploads, (digest, name, sheet, mapping) -> FileEntry (``_load_session``)
Nothing is written to disk: uploads are bytes in memory. An upload is parsed into its own session's state
(bounded, freed with the session); only the bundled demo files go to the process-wide cache, keyed by the
SHA-256 of the bytes (plus name / sheet / mapping). Page caches key frames exactly (``frame_fingerprint``).
"""
from __future__ import annotations

import ctypes
import dataclasses
import datetime as dt
import functools
import hashlib
import logging
import pickle
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from kpi.load import AmbiguousColumns, ColumnMapping, LoadError, LoadResult, MappingNeeded, column_samples, load
from kpi.combine import Combined, Part, combine_parts

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"
SAMPLE_FILES = ("leads.xlsx", "activities.csv", "visits.csv", "onboarding.xlsx", "referrals.csv")


@dataclass(frozen=True)
class NeedsMapping:
    kind: str
    missing: tuple[str, ...]
    headers: tuple[str, ...]
    samples: dict[str, list[str]]
    header_row: int
    reason: dict[str, str] | None = None  # why the mapping is needed, per language (two columns for one field…)


@dataclass(frozen=True)
class FileEntry:
    digest: str
    name: str
    size: int
    result: LoadResult | None = None
    needs: NeedsMapping | None = None
    error: LoadError | None = None
    seconds: float = 0.0


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------ exact cache keys of frames
# A frame's cache key lives in a side registry, id(frame) -> key, never in pandas ``attrs`` (experimental, and
# carried into derived frames whose values differ). An entry is dropped when its frame is freed (weakref
# finalizer, which runs before the id can be reused). Every key is exact:
#   * a frame parsed from a file: SHA-256 of (file digest, name, sheet, mapping) (``_parse``);
#   * several files of one kind combined: the files' (name, digest, frame key), in order (``frames_from``);
#   * a frame returned by a ``cached`` function: the function and the keys of all its arguments;
#   * any other frame (a page's filter result, a labelled copy): SHA-256 of pandas' hash of every cell, index
#     and header (``pd.util.hash_pandas_object``; ~60 ms for the 100,000-row leads file, once per frame object).
# The registry holds keys only, no data. Frames handed to the caches are never modified in place by the app
# (the loaded ones are shared read-only), which is what makes a key computed once valid for the frame's life.
_FRAME_KEYS: dict[int, str] = {}


def _forget_frame(frame_id: int) -> None:
    _FRAME_KEYS.pop(frame_id, None)


def name_frame(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Give ``frame`` its exact cache key (a frame keeps the first key it was given). Returns ``frame``."""
    if _FRAME_KEYS.setdefault(id(frame), key) is key:
        weakref.finalize(frame, _forget_frame, id(frame))
    return frame


def content_key(frame: pd.DataFrame) -> str:
    """SHA-256 of every cell, the index, the headers and the dtypes of ``frame`` (no sampling)."""
    h = hashlib.sha256(b"content")
    h.update(repr((list(map(str, frame.columns)), [str(t) for t in frame.dtypes], frame.shape)).encode())
    try:
        cells = pd.util.hash_pandas_object(frame, index=True)
    except TypeError:  # unhashable cells (lists, dicts): their text, cell by cell
        cells = pd.util.hash_pandas_object(frame.astype(str), index=True)
    h.update(cells.to_numpy().tobytes())
    return h.hexdigest()


def frame_fingerprint(frame: pd.DataFrame) -> str:
    """Exact cache key of a frame for ``cached`` page computations and ``show_chart``: its registered key (a
    loaded file, a combination of files, a ``cached`` result), else its full content hash, computed once per
    frame object and remembered (a page passes one filtered frame to several cached functions per rerun)."""
    key = _FRAME_KEYS.get(id(frame))
    if key is None:
        key = name_frame(frame, content_key(frame))
        key = _FRAME_KEYS.get(id(frame), key)
    return key


def value_key(value) -> str:
    """Exact text of a cache argument for the call keys of ``cached``: frames by ``frame_fingerprint``, pandas and
    numpy values by their full content (``repr`` shortens a long Series with "..."), containers recursively."""
    if isinstance(value, pd.DataFrame):
        return f"F{frame_fingerprint(value)}"
    if isinstance(value, (pd.Series, pd.Index)):
        return "S" + hashlib.sha256(pd.util.hash_pandas_object(value, index=isinstance(value, pd.Series)).to_numpy().tobytes()
                                    + repr((value.name, str(value.dtype))).encode()).hexdigest()
    if isinstance(value, np.ndarray):
        data = value.tobytes() if value.dtype != object else pd.util.hash_array(value.ravel()).tobytes()
        return "A" + hashlib.sha256(data + repr((value.dtype.str, value.shape)).encode()).hexdigest()
    if isinstance(value, (tuple, list, set, frozenset)):
        items = sorted(map(value_key, value)) if isinstance(value, (set, frozenset)) else [value_key(v) for v in value]
        return f"{type(value).__name__}({','.join(items)})"
    if isinstance(value, dict):
        return "dict(" + ",".join(f"{value_key(k)}:{value_key(v)}" for k, v in value.items()) + ")"
    if value is None or isinstance(value, (str, bytes, int, float, complex, dt.date, dt.time, dt.timedelta, pd.Timestamp, pd.Timedelta)):
        return f"{type(value).__name__}:{value!r}"
    try:  # hashable immutable values with an exact repr (Targets, enums, frozen dataclasses)
        hash(value)
        return f"{type(value).__module__}.{type(value).__qualname__}:{value!r}"
    except TypeError:
        return f"pickle:{hashlib.sha256(pickle.dumps(value, protocol=5)).hexdigest()}"


# ------------------------------------------------------------------ memory given back
# A 150 MB upload costs ~1 GB at its peak while parsing. Three things kept hundreds of MB after it: (1) the
# parsed result in a process-wide cache (now: uploads are parsed into their session only, ``_load_session``);
# (2) Streamlit 1.67 keeps a closed tab's session for ``server.disconnectedSessionTTL`` (120 s) in case it
# reconnects, and when that time is up it merely drops the session from its storage, lazily and without
# shutting it down, so the session's uploaded bytes stay in the UploadedFileManager for the life of the process
# (``reap_ended_sessions`` shuts such sessions down); and even a session that was shut down stays referenced
# by Streamlit's runtime loop (its flush loop variable keeps the last session it served until another session
# is served), with its session state: the uploader's value (the file's bytes) and the parsed frames; the reaper
# empties the state of every session that has ended; (3) app.py's module stays in sys.modules["__main__"]
# until the next script run of any session (app.py drops its references to uploads at the end of its run);
# (4) glibc keeps freed heap pages in its arenas (``malloc_trim`` hands them back to the system).
_log = logging.getLogger(__name__)
REAP_EVERY_SECONDS = 15.0
_reaper_lock = threading.Lock()
_reaper: threading.Thread | None = None
_trim_lock = threading.Lock()
_trim_timer: threading.Timer | None = None
_SESSIONS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # session id -> AppSession that loaded files


def malloc_trim() -> bool:
    """Give the heap pages freed so far back to the operating system (glibc; elsewhere a no-op)."""
    try:
        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0))
    except (OSError, AttributeError):
        return False


def trim_soon(delay: float = 2.0) -> None:
    """``malloc_trim`` in ``delay`` seconds (once, however many ask meanwhile): after the objects freed by the
    current script run (a parse's intermediates, an evicted or replaced file) are really gone."""
    global _trim_timer

    def run() -> None:
        global _trim_timer
        with _trim_lock:
            _trim_timer = None
        malloc_trim()

    with _trim_lock:
        if _trim_timer is None:
            _trim_timer = threading.Timer(delay, run)
            _trim_timer.daemon = True
            _trim_timer.start()


def reap_ended_sessions() -> int:
    """Shut down the sessions Streamlit stopped keeping for a reconnect (closed tabs past
    ``server.disconnectedSessionTTL``) and drop uploaded files no live session owns; then give the memory back.
    Returns how many sessions were ended. Uses Streamlit internals, checked; without them it does nothing."""
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return 0
    runtime = Runtime.instance()
    manager = getattr(runtime, "_session_mgr", None)
    cache = getattr(getattr(manager, "_session_storage", None), "_cache", None)
    ended = 0
    if cache is not None and callable(getattr(cache, "expire", None)):
        with getattr(manager, "_storage_lock", threading.Lock()):
            expired = cache.expire()
        for _session_id, info in expired:
            try:
                info.session.shutdown()  # its uploaded files, media files and script thread
            except Exception:  # noqa: BLE001 (a session already shut down by Streamlit itself)
                _log.debug("session shutdown failed", exc_info=True)
            ended += 1
    if manager is None:
        return ended
    uploads = runtime.uploaded_file_mgr
    with getattr(manager, "_storage_lock", threading.Lock()):  # (a reconnect moves a session under this lock)
        for session_id in list(getattr(uploads, "file_storage", {})):
            if manager.get_session_info(session_id) is None:  # neither connected nor kept for a reconnect
                uploads.remove_session_files(session_id)
                ended += 1
        for session_id, session in list(_SESSIONS.items()):
            if manager.get_session_info(session_id) is None:
                _SESSIONS.pop(session_id, None)
                session.session_state.clear()  # an ended session: its uploader value (the bytes) and parsed files
                ended += 1
    if ended:
        import gc

        gc.collect()
        malloc_trim()
    return ended


def _track_session() -> None:
    """Remember (weakly) the session of the running script, so the reaper can empty its state once it ended."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or not Runtime.exists() or ctx.session_id in _SESSIONS:
        return
    manager = getattr(Runtime.instance(), "_session_mgr", None)
    info = manager.get_active_session_info(ctx.session_id) if manager is not None else None
    if info is not None:
        _SESSIONS[ctx.session_id] = info.session


def start_session_reaper(every: float = REAP_EVERY_SECONDS) -> None:
    """Run ``reap_ended_sessions`` every ``every`` seconds in this server process (started once), and let it
    know the running script's session."""
    global _reaper

    try:
        _track_session()
    except Exception:  # noqa: BLE001 (a Streamlit change: the reaper still ends expired sessions)
        _log.warning("cannot track the session for the reaper", exc_info=True)

    def loop() -> None:
        while True:
            time.sleep(every)
            try:
                reap_ended_sessions()
            except Exception:  # noqa: BLE001 (never let the reaper die on a Streamlit change)
                _log.warning("reaping ended sessions failed", exc_info=True)

    with _reaper_lock:
        if _reaper is None or not _reaper.is_alive():
            _reaper = threading.Thread(target=loop, name="session-reaper", daemon=True)
            _reaper.start()


# ------------------------------------------------------------------ parsing files
def _parse(digest: str, data: bytes, name: str, sheet: str | None, mapping_json: str | None) -> FileEntry:
    mapping = ColumnMapping.from_json(mapping_json) if mapping_json else None
    started = time.perf_counter()
    try:
        result = load(data, name, sheet=sheet, mapping=mapping)
        name_frame(result.frame, hashlib.sha256(repr(("file", digest, name, sheet, mapping_json)).encode()).hexdigest())
    except MappingNeeded as exc:
        needs = NeedsMapping(exc.kind, tuple(exc.missing), tuple(exc.headers), column_samples(exc.table, exc.header_row, exc.headers), exc.header_row + 1,
                             # the missing-columns case is said by the page's own intro; two columns for one field need naming
                             {lang: exc.message(lang) for lang in ("ja", "en")} if isinstance(exc, AmbiguousColumns) else None)
        return FileEntry(digest, name, len(data), needs=needs, seconds=time.perf_counter() - started)
    except LoadError as exc:
        return FileEntry(digest, name, len(data), error=exc, seconds=time.perf_counter() - started)
    return FileEntry(digest, name, len(data), result=result, seconds=time.perf_counter() - started)


@st.cache_resource(max_entries=24, ttl=3 * 3600, show_spinner=False)
def _load_cached(digest: str, _data: bytes, name: str, sheet: str | None, mapping_json: str | None) -> FileEntry:
    """Parse once per distinct (content, name, sheet, mapping), shared read-only by every session. The app uses
    it for the bundled demo files only: an upload's parsed rows stay in its own session (``_load_session``)."""
    return _parse(digest, _data, name, sheet, mapping_json)


SESSION_FILES_MAX = 8  # parsed uploads kept per session (the files of the current upload, a last-week file…)
SESSION_BYTES_MAX = 512 * 1024 * 1024  # …and of source files at most this many bytes…
SESSION_FILES_KEPT = 4  # …except that the 4 most recently used are always kept (no re-parsing within a run)


def _load_session(digest: str, data: bytes, name: str, sheet: str | None, mapping_json: str | None) -> FileEntry:
    """An upload, parsed once per session: the parsed rows live in this session's state only, so no other user's
    session can ever reach them and they are freed with the session (not kept process-wide for hours). A rerun
    gets the very same entry (same frame object, so the page caches' keys hold). Bounded: the least recently
    used entries go first, beyond ``SESSION_FILES_MAX`` entries or ``SESSION_BYTES_MAX`` bytes of source files
    (the ``SESSION_FILES_KEPT`` most recent always stay)."""
    store: dict = st.session_state.setdefault("parsed_files", {})
    key = (digest, name, sheet, mapping_json)
    entry = store.pop(key, None)
    if entry is None:
        entry = _parse(digest, data, name, sheet, mapping_json)
        if len(data) > BIG_FILE_BYTES:
            trim_soon()  # the parser's intermediate buffers: give the freed pages back to the system
    store[key] = entry  # (re)inserted last: the dict's order is least recently used first
    kept, total, evicted = 0, 0, False
    for old in reversed(list(store)):  # most recently used first
        size = store[old].size
        if kept >= SESSION_FILES_KEPT and (kept >= SESSION_FILES_MAX or total + size > SESSION_BYTES_MAX):
            del store[old]
            evicted = True
        else:
            kept, total = kept + 1, total + size
    if evicted:
        trim_soon()
    return entry


BIG_FILE_BYTES = 2_000_000  # a progress box while parsing, and the memory given back after it


def load_file(data: bytes, name: str, upload_id: str | None = None) -> FileEntry:
    """The parsed file, parsing it on first sight (with a progress box for big files).

    The digest is always computed here from the bytes themselves: the caches trust it as the key, so no
    caller can hand in a digest that points at another entry. Within a session, the digest of an upload is
    remembered by Streamlit's upload id, so a rerun does not hash a 70 MB file again. An upload (``upload_id``
    given) is parsed into this session only; a demo file (no upload id) into the process-wide cache.
    """
    from ui.i18n import t

    start_session_reaper()
    known = st.session_state.setdefault("upload_digests", {})
    digest = known.get(upload_id) if upload_id else None
    if digest is None:
        digest = digest_of(data)
        if upload_id:
            known[upload_id] = digest
    sheet = st.session_state.setdefault("sheets", {}).get(digest)
    mapping_json = st.session_state.setdefault("mappings", {}).get(digest)
    parse = _load_session if upload_id else _load_cached
    shown = st.session_state.setdefault("load_shown", set())
    if digest not in shown and len(data) > BIG_FILE_BYTES:
        from ui.widgets import plain  # a file name is text, not Markdown (ui.widgets imports this module)

        label = plain(name)
        with st.status(t("app.loading", name=label), expanded=False) as status:
            entry = parse(digest, data, name, sheet, mapping_json)
            if entry.result is not None:
                status.update(label=t("app.loaded_in", name=label, rows=entry.result.report.rows_read, sec=entry.seconds), state="complete")
            elif entry.needs is not None:  # not "0 rows read ✓": the file is fine, its columns need naming first
                status.update(label=t("app.needs_mapping", name=label), state="error")
            else:
                status.update(label=t("app.load_failed", name=label), state="error")
    else:
        entry = parse(digest, data, name, sheet, mapping_json)
    shown.add(digest)
    return entry


def demo_files() -> list[tuple[str, bytes]]:
    return [(name, (SAMPLE_DIR / name).read_bytes()) for name in SAMPLE_FILES if (SAMPLE_DIR / name).exists()]


def frames_from(entries: list[FileEntry]) -> Combined:
    """One frame per kind, by SPEC 7's rule for several files of one kind (:func:`kpi.combine.combine_parts`):
    parts of the same week, combined, the same bytes once, overlaps warned. Which data is last week's is never
    guessed from the files' dates. A combined frame is keyed by every part (name, digest, kind, frame key), in
    order: what decides which rows it holds."""
    parts = [Part(e.name, e.digest, e.result.report.kind, e.result.frame) for e in entries if e.result is not None]
    combined = combine_parts(parts, corrected_by_name=True)
    if len(parts) > 1:
        key = hashlib.sha256(repr([("combined", p.name, p.digest, p.kind, frame_fingerprint(p.frame)) for p in parts]).encode()).hexdigest()
        for kind, frame in combined.frames.items():  # (a kind of one file keeps that file's own key)
            name_frame(frame, hashlib.sha256(f"{key}|{kind}".encode()).hexdigest())
    return combined


def cached(**options):
    """``st.cache_data`` for page computations over loaded frames: frames keyed by :func:`frame_fingerprint`.

    The frames a cached function returns (also inside tuples, lists, dicts and dataclasses) are named by the
    function and the exact keys of its arguments, so that a page passing them on to another cached function or
    a chart (``show_chart``) is keyed without hashing every cell again. (``st.cache_data`` hands out a fresh
    copy on every call, so naming the copy touches no other caller's frame.)
    """
    def decorate(func):
        name = f"{func.__module__}.{func.__qualname__}"
        options.setdefault("ttl", 3 * 3600)  # a closed session's results do not stay for the life of the process
        inner = st.cache_data(hash_funcs={pd.DataFrame: frame_fingerprint}, show_spinner=False, **options)(func)

        @functools.wraps(func)
        def run(*args, **kwargs):
            result = inner(*args, **kwargs)
            _name_frames(result, _call_key(name, args, kwargs), "", set())
            return result

        run.clear = inner.clear
        return run

    return decorate


def _call_key(name: str, args: tuple, kwargs: dict) -> str:
    return hashlib.sha256(value_key((name, args, sorted(kwargs.items()))).encode()).hexdigest()


def _name_frames(result, key: str, path: str, seen: set) -> None:
    """Name each DataFrame in ``result`` ``key`` + its place (a frame already named, e.g. an argument handed
    back, keeps its name)."""
    if id(result) in seen:
        return
    seen.add(id(result))
    if isinstance(result, pd.DataFrame):
        name_frame(result, hashlib.sha256(f"{key}{path}".encode()).hexdigest())
    elif isinstance(result, (tuple, list)):
        for i, v in enumerate(result):
            _name_frames(v, key, f"{path}/{i}", seen)
    elif isinstance(result, dict):
        for k, v in result.items():
            _name_frames(v, key, f"{path}/{k!r}", seen)
    elif dataclasses.is_dataclass(result) and not isinstance(result, type):
        for f in dataclasses.fields(result):
            _name_frames(getattr(result, f.name, None), key, f"{path}.{f.name}", seen)


def back_to_demo_button(key: str) -> None:
    """「デモデータに戻す」: empties the uploader (a widget's value cannot be set, so it gets a new key) and the
    per-file choices, and the app is back on the demo data."""
    from ui.i18n import t

    def reset() -> None:
        st.session_state["uploader_generation"] = st.session_state.get("uploader_generation", 0) + 1
        for name in ("mappings", "sheets", "upload_digests", "parsed_files"):
            st.session_state.pop(name, None)
        trim_soon()

    st.button(t("app.back_to_demo"), key=key, icon=":material/science:", on_click=reset,
              help=t("app.back_to_demo_help"))


def require(*kinds: str) -> dict[str, pd.DataFrame]:
    """Frames for a page; stops the page with a clear note when a needed kind is missing, or when its files
    were read but every row was rejected (then the note says so and points at the data page, instead of the
    page asking to widen filters that filter nothing)."""
    from ui.i18n import lang, t

    frames = st.session_state.get("frames", {})
    names = lambda ks: "・".join(t(f"kind.{k}") for k in ks)  # noqa: E731
    missing = [k for k in kinds if k not in frames]
    if missing:
        # The data may be in a file that only waits for its column mapping: then say that, name the file and link
        # the data page, instead of asking for a file. Only files guessed to be of a kind this page lacks count (a
        # facility list guessed as leads waits for the funnel page, not the clinic page).
        waiting = [e.name for e in st.session_state.get("files", []) if getattr(e, "needs", None) is not None
                   and e.needs.kind in missing]
        if waiting:
            st.warning(t("app.waiting_for_mapping", files="、".join(waiting) if lang() == "ja" else ", ".join(waiting)),
                       icon=":material/call_split:")
            st.page_link("app_pages/data.py", label=t("app.open_data_page"), icon=":material/upload_file:")
        else:
            st.info(t("app.no_data_for_page", kinds=names(missing)))
        if st.session_state.get("source") == "upload":
            back_to_demo_button("app.back_to_demo_page")
        st.stop()
    empty = [k for k in kinds if frames[k].empty]
    if empty:
        st.warning(t("app.no_valid_rows", kinds=names(empty)), icon=":material/block:")
        st.page_link("app_pages/data.py", label=t("app.open_data_page"), icon=":material/upload_file:")
        st.stop()
    return frames
