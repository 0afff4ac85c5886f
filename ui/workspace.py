"""The workspace (SPEC section 5): which history store this session uses, chosen in the sidebar.

* Off by default: nothing is kept between sessions and nothing is written.
* On: one DuckDB file, at the path the user types (a consultant keeps one per client and switches by path);
  ``KPI_STORE`` in the environment fills the default path. The path is shown. Files are created on the first
  write, mode 0600, with the key file that pseudonymises patient IDs beside it (kpi.history).
* Demo mode: an in-memory workspace filled with the eight weekly demo snapshots and the demo actions
  (sample_data/weekly.py), one per session, never on disk.
"""
from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from kpi.history import ENV_STORE, HistoryError, Store
from ui.i18n import lang, t
from ui.widgets import plain

DEFAULT_PATH = str(Path.home() / "kpi-workspaces" / "workspace.duckdb")


def _demo_store() -> Store:
    """This session's in-memory demo workspace (built on first use, kept in the session, never shared)."""
    store = st.session_state.get("workspace.demo_store")
    if store is None:
        from sample_data.weekly import demo_store  # the app's folder is on sys.path (streamlit run app.py)

        with st.spinner(t("workspace.demo_building")):
            store = demo_store()
        st.session_state["workspace.demo_store"] = store
    return store


def sidebar_controls(demo: bool) -> None:
    """The workspace switch and path (in the sidebar, under the uploads). Rendered in demo mode too (disabled), so
    that the choice survives a moment without uploads (Streamlit forgets a widget that is not drawn)."""
    with st.expander(t("workspace.title"), icon=":material/history:", expanded=bool(st.session_state.get("workspace.on"))):
        if demo:
            st.caption(t("workspace.demo_note"))
        st.toggle(t("workspace.on"), key="workspace.on", help=t("workspace.on_help"), disabled=demo)
        if st.session_state.get("workspace.on"):
            st.session_state.setdefault("workspace.path", os.environ.get(ENV_STORE) or DEFAULT_PATH)
            st.text_input(t("workspace.path"), key="workspace.path", help=t("workspace.path_help"), disabled=demo)
            st.caption(t("workspace.path_shown", path=plain(st.session_state["workspace.path"])))


def current_store() -> Store | None:
    """The session's workspace: the demo's in memory, the chosen file, or None (off)."""
    if st.session_state.get("source") == "demo":
        return _demo_store()
    if not st.session_state.get("workspace.on"):
        return None
    path = (st.session_state.get("workspace.path") or "").strip()
    if not path:
        return None
    try:
        return Store(os.path.expanduser(path))
    except HistoryError as exc:
        st.error(plain(exc.message(lang())))
        return None


def is_demo_store(store: Store | None) -> bool:
    return store is not None and store.database == ":memory:"


# ---------------------------------------------------------------- reads answered from cache on reruns
def snapshots(store: Store) -> list:
    """The store's snapshots, read once per Store object (a file workspace is opened anew on every run; the demo's
    snapshots never change), so a page run opens the file once for them instead of once per read."""
    found = getattr(store, "_page_snapshots", None)
    if found is None:
        found = store.list_snapshots()
        store._page_snapshots = found
    return found


def forget_snapshots(store: Store) -> None:
    """After a write in this run: the next reads see the new snapshots."""
    store._page_snapshots = None


def signature(store: Store) -> tuple:
    """What a read depends on: the store and its snapshots (a re-added or forgotten week changes it)."""
    return store.database, tuple((s.week, s.kind, s.rows, s.added_at) for s in snapshots(store))


@st.cache_resource(max_entries=64, ttl=3600, show_spinner=False)  # shared read-only results: no copy per rerun
def _read(what: str, sig: tuple, args: tuple, _store: Store):
    """A read of the store, kept while its snapshots are unchanged. The results are never modified by the pages
    (they derive new frames), so they are shared as they are instead of unpickled on every rerun (a year of 100k
    leads: the moves' per-lead table and the weeks-unmoved table are 100k and 58k rows)."""
    if what == "moves":
        return _store.moves(*args)
    if what == "unmoved":
        return _store.weeks_unmoved()
    if what == "trend":
        return _store.trend_frame(list(args))
    if what == "region_trend":
        return _store.region_trend_frame(list(args[0]), args[1])
    raise ValueError(what)


def cached_moves(store: Store, from_week, to_week):
    return _read("moves", signature(store), (from_week, to_week), store)


def cached_unmoved(store: Store):
    return _read("unmoved", signature(store), (), store)


def cached_trend(store: Store, keys: list[str]):
    return _read("trend", signature(store), tuple(keys), store)


def cached_region_trend(store: Store, keys: list[str], region: str):
    return _read("region_trend", signature(store), (tuple(keys), region), store)
