"""The sections of the data page (app_pages/data.py): one uploaded file's validation report (rows read / valid /
rejected, the rejected rows and their download, warnings, the column mapping), and the templates and samples."""
from __future__ import annotations

import streamlit as st

from kpi.export import to_xlsx_bytes
from kpi.load import ColumnMapping, mapping_from_report, rejected_rows_table
from kpi.schemas import KINDS
from kpi.templates import template_xlsx
from ui.data import SAMPLE_DIR, SAMPLE_FILES, FileEntry
from ui.i18n import lang, t
from ui.mapping import columns_form, constants_form, mapping_upload, values_form
from ui.widgets import data_table, join_list, plain


def row_number() -> dict:
    """Excel's row number, no thousands separator."""
    return {t("data.col.row"): st.column_config.NumberColumn(format="%d")}


def show_entry(entry: FileEntry) -> None:
    st.subheader(f":material/description: {plain(entry.name)}")
    current_json = st.session_state.get("mappings", {}).get(entry.digest)
    current = ColumnMapping.from_json(current_json) if current_json else None
    if entry.error is not None:
        st.error(t("data.error_file", msg=plain(entry.error.message(lang()))))
        if entry.error.code.startswith("mapping."):  # the saved mapping was refused: let the user load another one
            mapping_upload(entry.digest)
        return
    if entry.needs is not None:
        needs = entry.needs
        if needs.reason:
            st.warning(plain(needs.reason[lang()]), icon=":material/call_split:")
        st.warning(t("data.mapping_intro"))
        columns_form(entry.digest, needs.kind, list(needs.headers), needs.samples, current, only_required=True)
        mapping_upload(entry.digest)
        return
    result = entry.result
    report = result.report
    if len(report.sheets) > 1:
        sheet = st.selectbox(t("data.sheet_select"), report.sheets, index=report.sheets.index(report.sheet), key=f"data.sheet.{entry.digest}")
        if sheet != report.sheet:
            st.session_state.setdefault("sheets", {})[entry.digest] = sheet
            st.rerun()
    # the kind as a badge, not a metric: a metric value is cut to its column ("来院・予約…")
    st.markdown(f":blue-badge[:material/category: {t('data.kind')}: {t(f'kind.{report.kind}')}]")
    c2, c3, c4 = st.columns(3)
    c2.metric(t("data.rows_read"), f"{report.rows_read:,}")
    c3.metric(t("data.rows_valid"), f"{report.rows_valid:,}")
    c4.metric(t("data.rows_rejected"), f"{report.rows_rejected:,}")
    st.caption(
        t("data.rows_summary", read=report.rows_read, valid=report.rows_valid, rejected=report.rows_rejected)
        + "　" + t("data.details", encoding=report.encoding or "xlsx", header_row=report.header_row, sheet=plain(report.sheet) if report.sheet else "CSV")
    )
    cols = {"row": t("data.col.row"), "column": t("data.col.column"), "value": t("data.col.value"), "message": t("data.col.message")}
    errors = report.errors_table(lang())
    if len(errors):
        with st.expander(t("data.errors", n=len(errors)), expanded=True):
            data_table(errors.rename(columns=cols), height=min(400, 38 + 35 * len(errors)), column_config=row_number())
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
            data_table(warnings.rename(columns=cols), column_config=row_number())
    if report.unknown_columns:
        st.caption(t("data.unknown_columns", cols=join_list(plain(c) for c in report.unknown_columns)))
    saved = current or mapping_from_report(report)
    # open when the mapping can still change the numbers: rows rejected for a label the mapping could map
    unmapped = bool(len(report.errors)) and report.errors["code"].eq("unknown_label").any()
    with st.expander(t("data.mapping_title"), expanded=bool(current) or unmapped):
        headers = [h for h in report.column_map if h not in saved.constants] + list(report.unknown_columns)
        columns_form(entry.digest, report.kind, headers, {}, saved, only_required=False)
        values_form(entry.digest, report, saved)
        constants_form(entry.digest, report, saved)
        st.download_button(t("data.mapping_download"), data=saved.to_json().encode("utf-8"), file_name=f"mapping_{report.kind}.json",
                           mime="application/json", key=f"data.mapdl.{entry.digest}", icon=":material/download:")
        mapping_upload(entry.digest)


def templates_and_samples() -> None:
    """The empty templates per kind and the bundled sample files, side by side."""
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
