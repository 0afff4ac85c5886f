"""The session's data: demo files or uploads -> loaded, validated frames (cached by content).

Session state (set in app.py, read by pages):
  ``frames``          dict kind -> validated DataFrame (what the dashboards use)
  ``files``           list[FileEntry], one per source file, for the data page and the sidebar
  ``combine_notes``   tuple[kpi.combine.Note]: how several files of one kind were combined (SPEC 7)
  ``mappings``        dict file digest -> ColumnMapping JSON the user set for that file
  ``sheets``          dict file digest -> chosen sheet name
Nothing is written to disk: uploads are bytes in memory; the cache holds parsed results keyed by the
SHA-256 of the bytes (plus sheet / kind / mapping), so one session can only hit an entry made from the
very same bytes, and the cache is bounded in entries and time.
"""
from __future__ import annotations

import functools
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

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


@st.cache_resource(max_entries=24, ttl=3 * 3600, show_spinner=False)
def _load_cached(digest: str, _data: bytes, name: str, sheet: str | None, mapping_json: str | None) -> FileEntry:
    """Parse once per distinct (content, sheet, mapping). The result is shared read-only."""
    mapping = ColumnMapping.from_json(mapping_json) if mapping_json else None
    started = time.perf_counter()
    try:
        result = load(_data, name, sheet=sheet, mapping=mapping)
        # what this frame was parsed from: the page caches fingerprint frames by it instead of hashing every cell
        result.frame.attrs["source"] = hashlib.sha256(f"{digest}|{sheet}|{mapping_json}".encode()).hexdigest()
    except MappingNeeded as exc:
        needs = NeedsMapping(exc.kind, tuple(exc.missing), tuple(exc.headers), column_samples(exc.table, exc.header_row, exc.headers), exc.header_row + 1,
                             # the missing-columns case is said by the page's own intro; two columns for one field need naming
                             {lang: exc.message(lang) for lang in ("ja", "en")} if isinstance(exc, AmbiguousColumns) else None)
        return FileEntry(digest, name, len(_data), needs=needs, seconds=time.perf_counter() - started)
    except LoadError as exc:
        return FileEntry(digest, name, len(_data), error=exc, seconds=time.perf_counter() - started)
    return FileEntry(digest, name, len(_data), result=result, seconds=time.perf_counter() - started)


def load_file(data: bytes, name: str, upload_id: str | None = None) -> FileEntry:
    """The parsed file from the cache, parsing it on first sight (with a progress box for big files).

    The digest is always computed here from the bytes themselves: the cache trusts it as the whole key, so no
    caller can hand in a digest that points at another session's entry. Within a session, the digest of an
    upload is remembered by Streamlit's upload id, so a rerun does not hash a 70 MB file again.
    """
    from ui.i18n import t

    known = st.session_state.setdefault("upload_digests", {})
    digest = known.get(upload_id) if upload_id else None
    if digest is None:
        digest = digest_of(data)
        if upload_id:
            known[upload_id] = digest
    sheet = st.session_state.setdefault("sheets", {}).get(digest)
    mapping_json = st.session_state.setdefault("mappings", {}).get(digest)
    shown = st.session_state.setdefault("load_shown", set())
    if digest not in shown and len(data) > 2_000_000:
        with st.status(t("app.loading", name=name), expanded=False) as status:
            entry = _load_cached(digest, data, name, sheet, mapping_json)
            if entry.result is not None:
                status.update(label=t("app.loaded_in", name=name, rows=entry.result.report.rows_read, sec=entry.seconds), state="complete")
            elif entry.needs is not None:  # not "0 rows read ✓": the file is fine, its columns need naming first
                status.update(label=t("app.needs_mapping", name=name), state="error")
            else:
                status.update(label=t("app.load_failed", name=name), state="error")
    else:
        entry = _load_cached(digest, data, name, sheet, mapping_json)
    shown.add(digest)
    return entry


def demo_files() -> list[tuple[str, bytes]]:
    return [(name, (SAMPLE_DIR / name).read_bytes()) for name in SAMPLE_FILES if (SAMPLE_DIR / name).exists()]


def frames_from(entries: list[FileEntry]) -> Combined:
    """One frame per kind, by SPEC 7's rule for several files of one kind (:func:`kpi.combine.combine_parts`):
    parts of the same week, combined, the same bytes once, overlaps warned. Which data is last week's is never
    guessed from the files' dates."""
    parts = [Part(e.name, e.digest, e.result.report.kind, e.result.frame) for e in entries if e.result is not None]
    combined = combine_parts(parts, corrected_by_name=True)
    for kind, frame in combined.frames.items():  # a stacked frame is named by all of its files, in order
        sources = [p.frame.attrs.get("source") for p in parts if p.kind == kind]
        if all(sources) and frame.attrs.get("source") is None:
            frame.attrs["source"] = hashlib.sha256("+".join(sources + [repr(len(frame))]).encode()).hexdigest()
    return combined


def frame_fingerprint(frame: pd.DataFrame) -> str:
    """Cache key of a frame for ``cached`` page computations, in milliseconds instead of hashing every cell.

    A frame that descends from a loaded file (filters, copies and column selections keep pandas ``attrs``)
    is identified by: the file it was parsed from (content digest, sheet, mapping), which rows in which order
    (its index and the Excel row numbers ``_row``), which columns and dtypes, and the values of about 256 evenly
    spaced rows, which catches a page that derived new values under the same column names. Any other frame
    is hashed whole.
    """
    source = frame.attrs.get("source")
    if source is None:
        return hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()).hexdigest()
    h = hashlib.sha256(source.encode())
    h.update(repr((list(frame.columns), [str(t) for t in frame.dtypes], len(frame))).encode())
    index = frame.index
    if isinstance(index, pd.RangeIndex):  # a whole file's frame: three numbers say it all
        h.update(repr((index.start, index.stop, index.step)).encode())
    else:
        values = index.to_numpy()
        h.update(values.tobytes() if values.dtype.kind in "iu" else pd.util.hash_array(values.astype(object)).tobytes())
    if "_row" in frame.columns:  # the Excel row of every row, in order: which rows even after a reset_index
        rows = frame["_row"]
        h.update((rows.to_numpy() if rows.dtype == "int64" else rows.to_numpy(dtype="int64", na_value=-1)).tobytes())
    h.update(_rows_bytes(frame.iloc[:: max(1, len(frame) // 256)]))
    return h.hexdigest()


def _rows_bytes(sample: pd.DataFrame) -> bytes:
    """The sample's values as bytes: Arrow IPC (~1 ms for 256 rows), or pandas' row hashes for columns Arrow
    cannot type (mixed objects)."""
    import pyarrow as pa

    try:
        table = pa.Table.from_pandas(sample, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError):
        return pd.util.hash_pandas_object(sample, index=False).to_numpy().tobytes()
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def cached(**options):
    """``st.cache_data`` for page computations over loaded frames: frames keyed by :func:`frame_fingerprint`.

    The frames a cached function returns are named by where they come from (the function and the key of its
    arguments, which holds its input frames' fingerprints), so that a page passing them on to another cached
    function or a chart (``show_chart``) is keyed by fingerprint too, not by hashing every cell.
    """
    def decorate(func):
        name = f"{func.__module__}.{func.__qualname__}"

        @functools.wraps(func)
        def run(*args, **kwargs):
            return _tag_frames(func(*args, **kwargs), _call_key(name, args, kwargs))

        return st.cache_data(hash_funcs={pd.DataFrame: frame_fingerprint}, show_spinner=False, **options)(run)

    return decorate


def _call_key(name: str, args: tuple, kwargs: dict) -> str:
    h = hashlib.sha256(name.encode())
    for value in (*args, *sorted(kwargs.items())):
        h.update(frame_fingerprint(value).encode() if isinstance(value, pd.DataFrame) else repr(value).encode())
    return h.hexdigest()


def _tag_frames(result, key: str, path: str = ""):
    """``result`` with each DataFrame in it (nested in tuples, lists, dicts) named ``key`` + its place."""
    if isinstance(result, pd.DataFrame):
        # Always the call's name, even for a slice of a file: pandas carries a file's attrs through most
        # operations, and two filters' results of equal length would then differ only outside the sample.
        result = result.copy(deep=False)  # (never touch a frame the caller may also hold)
        result.attrs["source"] = f"{key}{path}"
        return result
    if isinstance(result, (tuple, list)) and not hasattr(result, "_fields"):
        return type(result)(_tag_frames(v, key, f"{path}/{i}") for i, v in enumerate(result))
    if isinstance(result, dict):
        return {k: _tag_frames(v, key, f"{path}/{k}") for k, v in result.items()}
    return result


def back_to_demo_button(key: str) -> None:
    """「デモデータに戻す」: empties the uploader (a widget's value cannot be set, so it gets a new key) and the
    per-file choices, and the app is back on the demo data."""
    from ui.i18n import t

    def reset() -> None:
        st.session_state["uploader_generation"] = st.session_state.get("uploader_generation", 0) + 1
        for name in ("mappings", "sheets", "upload_digests"):
            st.session_state.pop(name, None)

    st.button(t("app.back_to_demo"), key=key, icon=":material/science:", on_click=reset,
              help=t("app.back_to_demo_help"))


def require(*kinds: str) -> dict[str, pd.DataFrame]:
    """Frames for a page; stops the page with a clear note when a needed kind is missing, or when its files
    were read but every row was rejected (then the note says so and points at the data page, instead of the
    page asking to widen filters that filter nothing)."""
    from ui.i18n import t

    frames = st.session_state.get("frames", {})
    names = lambda ks: "・".join(t(f"kind.{k}") for k in ks)  # noqa: E731
    missing = [k for k in kinds if k not in frames]
    if missing:
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
