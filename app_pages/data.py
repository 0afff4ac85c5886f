"""Data page: validation report per file, rejected rows download, column mapping, templates, samples."""
from __future__ import annotations

import streamlit as st

from ui import data_sections as sections
from ui.data import FileEntry
from ui.i18n import lang, t
from ui.widgets import plain

st.title(t("data.title"))
st.caption(t("data.intro") + "　" + t("data.upload_limit", mb=st.get_option("server.maxUploadSize")))
entries: list[FileEntry] = st.session_state.get("files", [])
if st.session_state.get("source") == "demo":
    st.info(t("data.no_files"))


for note in st.session_state.get("combine_notes", ()):
    st.warning(plain(note.text(lang())), icon=":material/content_copy:")
shown_digests: set[str] = set()
for entry in entries:
    if entry.digest in shown_digests:  # the same bytes uploaded twice count once (the note above says so)
        continue
    shown_digests.add(entry.digest)
    with st.container(border=True):
        sections.show_entry(entry)

sections.templates_and_samples()
