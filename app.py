"""Entry point: page config, navigation, the sidebar (language, data source), then the chosen page."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from kpi.targets import Targets
from ui import no_spool  # noqa: F401  (keeps uploads in memory: no temp file on disk; see ui/no_spool.py)
from ui.auth import require_sign_in
from ui.data import back_to_demo_button, demo_files, frames_from, load_file
from ui.i18n import LANGS, t
from ui.widgets import plain
from ui.workspace import sidebar_controls as workspace_controls

ROOT = Path(__file__).resolve().parent
# The icon is an emoji: a Material icon here makes the browser fetch the favicon from a font CDN.
st.set_page_config(page_title="営業・院KPI", page_icon="📊", layout="wide")

require_sign_in()  # only when .streamlit/secrets.toml has an [auth] section; otherwise the app runs open

# Shared session keys (documented in ui/data.py); page-only keys carry a page prefix.
if "lang" not in st.session_state:  # a shared link opens in its language (?lang=en); Japanese by default
    st.session_state["lang"] = st.query_params.get("lang") if st.query_params.get("lang") in LANGS else "ja"
st.session_state.setdefault("targets", Targets())

# (file, title key, icon, group key). One place declares every page.
# The first existing page opens by default (the funnel: what a manager looks at first on Monday).
PAGES = [
    ("app_pages/funnel.py", "nav.funnel", ":material/filter_alt:", "nav.group.sales"),
    ("app_pages/regions.py", "nav.regions", ":material/map:", "nav.group.sales"),
    ("app_pages/habits.py", "nav.habits", ":material/event_repeat:", "nav.group.sales"),
    ("app_pages/weekly.py", "nav.weekly", ":material/rate_review:", "nav.group.sales"),
    ("app_pages/memory.py", "nav.memory", ":material/history:", "nav.group.sales"),
    ("app_pages/clinic.py", "nav.clinic", ":material/local_hospital:", "nav.group.clinic"),
    ("app_pages/onboarding.py", "nav.onboarding", ":material/school:", "nav.group.cs"),
    ("app_pages/adoption.py", "nav.adoption", ":material/insights:", "nav.group.cs"),
    ("app_pages/referrals.py", "nav.referrals", ":material/handshake:", "nav.group.cs"),
    ("app_pages/data.py", "nav.data", ":material/upload_file:", "nav.group.setup"),
    ("app_pages/targets.py", "nav.targets", ":material/flag:", "nav.group.setup"),
]

groups: dict[str, list] = {}
for path, title, icon, group in PAGES:
    if (ROOT / path).exists():
        groups.setdefault(t(group), []).append(st.Page(str(ROOT / path), title=t(title), icon=icon, url_path=Path(path).stem))
pg = st.navigation(groups)

with st.sidebar:
    st.segmented_control(t("app.lang"), options=["ja", "en"], format_func={"ja": "日本語", "en": "English"}.get, key="lang", selection_mode="single")
    if st.session_state.get("lang") is None:  # a click on the selected option clears it
        st.session_state["lang"] = "ja"
    # the language travels in the URL, so a copied link opens as the sender sees it (Japanese needs no parameter)
    if st.session_state["lang"] == "ja":
        if "lang" in st.query_params:
            del st.query_params["lang"]
    elif st.query_params.get("lang") != st.session_state["lang"]:
        st.query_params["lang"] = st.session_state["lang"]
    max_mb = st.get_option("server.maxUploadSize")
    uploads = st.file_uploader(
        t("app.uploader"),
        type=["csv", "tsv", "txt", "xlsx", "xlsm", "xls"],
        accept_multiple_files=True,
        key=f"uploads.{st.session_state.get('uploader_generation', 0)}",  # a new key empties it (back to demo data)
        help=t("app.uploader_help", mb=max_mb),
    )
    demo = not uploads
    st.session_state["source"] = "demo" if demo else "upload"
    st.session_state.setdefault("mask_ids", True)
    if demo:
        st.badge(t("app.demo_badge"), icon=":material/science:", color="orange")
        sources = [(name, data, None) for name, data in demo_files()]
    else:
        st.badge(t("app.upload_badge"), icon=":material/description:", color="green")
        back_to_demo_button("app.back_to_demo_sidebar")
        sources = [(u.name, u.getvalue(), u.file_id) for u in uploads]
    st.toggle(t("app.mask_ids"), key="mask_ids")
    workspace_controls(demo)

    entries = []
    for name, data, upload_id in sources:
        entry = load_file(data, name, upload_id)
        entries.append(entry)
        if entry.result is not None:
            r = entry.result.report
            st.caption((":material/check_circle: " if r.rows_rejected == 0 else ":material/warning: ") + t("app.loaded", name=plain(name), kind=t(f"kind.{r.kind}"), valid=r.rows_valid, rejected=r.rows_rejected))
        elif entry.needs is not None:
            st.caption(":material/extension: " + t("app.needs_mapping", name=plain(name)))
        else:
            st.caption(":material/error: " + t("app.load_failed", name=plain(name)))
    del sources  # release the uploaded bytes once parsed (the cache holds only parsed frames)

combined = frames_from(entries)
st.session_state["files"] = entries
st.session_state["frames"] = combined.frames
st.session_state["combine_notes"] = combined.notes
with st.sidebar:
    for note in combined.notes:
        st.caption(":material/warning: " + plain(note.text(st.session_state["lang"])))

if demo:
    st.badge(t("app.demo_badge"), icon=":material/science:", color="orange")
try:
    pg.run()
finally:
    # Streamlit leaves this script's module in sys.modules["__main__"] until the next run of ANY session: holding
    # the uploaded bytes and parsed frames there would keep a closed session's upload alive (ui/data.py, memory).
    for _name in ("uploads", "data", "entry", "entries", "combined"):
        globals().pop(_name, None)
