"""Data page: validation report per file, rejected rows download, column mapping, templates, samples."""
from __future__ import annotations

import streamlit as st

from kpi.export import to_xlsx_bytes
from kpi.load import ColumnMapping, LoadError, mapping_from_report, rejected_rows_table
from kpi.schemas import KINDS, field_specs
from kpi.templates import template_xlsx
from ui.data import SAMPLE_DIR, SAMPLE_FILES, FileEntry
from ui.i18n import lang, t

st.title(t("data.title"))
st.caption(t("data.intro") + "　" + t("data.upload_limit", mb=st.get_option("server.maxUploadSize")))
entries: list[FileEntry] = st.session_state.get("files", [])
if st.session_state.get("source") == "demo":
    st.info(t("data.no_files"))


def _set_mapping(digest: str, mapping: ColumnMapping) -> None:
    st.session_state.setdefault("mappings", {})[digest] = mapping.to_json()


def mapping_form(entry: FileEntry, kind: str, headers: list[str], samples: dict[str, list[str]], current: ColumnMapping | None, only_required: bool) -> None:
    """A select box per field (sample values beside each source column); Apply re-validates the file."""
    none = t("data.mapping_none")
    options = [none] + [h for h in headers if h]
    current_cols = {f: h for h, f in (current.columns.items() if current else [])}
    with st.form(f"data.mapform.{entry.digest}.{only_required}"):
        kind = st.selectbox(t("data.mapping_kind"), KINDS, index=KINDS.index(kind), format_func=lambda k: t(f"kind.{k}"), key=f"data.kind.{entry.digest}.{only_required}")
        chosen: dict[str, str] = {}
        for spec in field_specs(kind):
            if only_required and not spec.required:
                continue
            default = current_cols.get(spec.name, none)
            label = t("data.mapping_field", label=spec.aliases[0], field=spec.name) + (" *" if spec.required else "")
            pick = st.selectbox(
                label,
                options,
                index=options.index(default) if default in options else 0,
                format_func=lambda h: h if h == none or not samples.get(h) else f"{h}　例: {' / '.join(samples[h])}",
                key=f"data.map.{entry.digest}.{only_required}.{spec.name}",
            )
            if pick != none:
                chosen[pick] = spec.name
        if st.form_submit_button("OK", type="primary"):
            base = current or ColumnMapping()
            _set_mapping(entry.digest, ColumnMapping(kind=kind, columns={**base.columns, **chosen}, values=base.values, constants=base.constants))
            st.rerun()


def mapping_upload(entry: FileEntry) -> None:
    up = st.file_uploader(t("data.mapping_upload"), type=["json"], key=f"data.mapup.{entry.digest}")
    if up is not None:
        try:
            mapping = ColumnMapping.from_json(up.getvalue())
        except LoadError as exc:
            st.error(exc.message(lang()))
            return
        saved = st.session_state.get("mappings", {}).get(entry.digest)
        if saved != mapping.to_json():
            _set_mapping(entry.digest, mapping)
            st.rerun()


def show_entry(entry: FileEntry) -> None:
    st.subheader(f":material/description: {entry.name}")
    current_json = st.session_state.get("mappings", {}).get(entry.digest)
    current = ColumnMapping.from_json(current_json) if current_json else None
    if entry.error is not None:
        st.error(t("data.error_file", msg=entry.error.message(lang())))
        return
    if entry.needs is not None:
        needs = entry.needs
        st.warning(t("data.mapping_intro"))
        mapping_form(entry, needs.kind, list(needs.headers), needs.samples, current, only_required=True)
        mapping_upload(entry)
        return
    result = entry.result
    report = result.report
    if len(report.sheets) > 1:
        sheet = st.selectbox(t("data.sheet_select"), report.sheets, index=report.sheets.index(report.sheet), key=f"data.sheet.{entry.digest}")
        if sheet != report.sheet:
            st.session_state.setdefault("sheets", {})[entry.digest] = sheet
            st.rerun()
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(t("data.kind"), t(f"kind.{report.kind}"))
    c2.metric(t("data.rows_read"), f"{report.rows_read:,}")
    c3.metric(t("data.rows_valid"), f"{report.rows_valid:,}")
    c4.metric(t("data.rows_rejected"), f"{report.rows_rejected:,}")
    st.caption(
        t("data.rows_summary", read=report.rows_read, valid=report.rows_valid, rejected=report.rows_rejected)
        + "　" + t("data.details", encoding=report.encoding or "xlsx", header_row=report.header_row, sheet=report.sheet or "CSV")
    )
    cols = {"row": t("data.col.row"), "column": t("data.col.column"), "value": t("data.col.value"), "message": t("data.col.message")}
    errors = report.errors_table(lang())
    if len(errors):
        with st.expander(t("data.errors", n=len(errors)), expanded=True):
            st.dataframe(errors.rename(columns=cols), hide_index=True, width="stretch", height=min(400, 38 + 35 * len(errors)))
            st.download_button(
                t("data.download_rejected"),
                data=lambda result=result, lang_now=lang(): to_xlsx_bytes({"rejected": rejected_rows_table(result, lang_now)}),  # built on click
                file_name=f"rejected_{entry.name.rsplit('.', 1)[0]}.xlsx",
                mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                key=f"data.rej.{entry.digest}",
                icon=":material/download:",
            )
    else:
        st.success(t("data.no_errors"))
    warnings = report.warnings_table(lang())
    if len(warnings):
        with st.expander(t("data.warnings", n=len(warnings))):
            st.dataframe(warnings.rename(columns=cols), hide_index=True, width="stretch")
    if report.unknown_columns:
        st.caption(t("data.unknown_columns", cols="、".join(report.unknown_columns)))
    with st.expander(t("data.mapping_title")):
        headers = list(report.column_map) + list(report.unknown_columns)
        mapping_form(entry, report.kind, headers, {}, current or mapping_from_report(report), only_required=False)
        saved = current or mapping_from_report(report)
        st.download_button(t("data.mapping_download"), data=saved.to_json().encode("utf-8"), file_name=f"mapping_{report.kind}.json", mime="application/json", key=f"data.mapdl.{entry.digest}")
        mapping_upload(entry)


for entry in entries:
    with st.container(border=True):
        show_entry(entry)

st.divider()
left, right = st.columns(2)
with left:
    st.subheader(t("data.templates"))
    st.caption(t("data.templates_intro"))
    for kind in KINDS:
        st.download_button(
            t("data.template_button", kind=t(f"kind.{kind}")),
            data=template_xlsx(kind),
            file_name=f"template_{kind}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=f"data.tpl.{kind}",
            icon=":material/table_view:",
        )
with right:
    st.subheader(t("data.samples"))
    st.caption(t("data.samples_intro"))
    for name in SAMPLE_FILES:
        path = SAMPLE_DIR / name
        if path.exists():
            st.download_button(name, data=path.read_bytes(), file_name=name, key=f"data.sample.{name}", icon=":material/science:")
