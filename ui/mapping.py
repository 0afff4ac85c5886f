"""The mapping screen of the data page: everything a saved mapping JSON can say, set through the screen.

Three steps, each a form whose OK re-validates the file: which column is which field (``columns``); for an
enum field read from a column, what each of its distinct labels means (``values``, e.g. ``Yes`` → 無断キャンセル);
and a fixed value for a field the export lacks (``constants``, e.g. 院名 = 本院). The mapping the user sets is kept
per file digest in ``st.session_state["mappings"]`` and downloads as the JSON the CLI reads (``--mapping``).
"""
from __future__ import annotations

import re

import streamlit as st

from kpi.load import ColumnMapping, ValidationReport, standard_code
from kpi.schemas import KINDS, FieldSpec, field_specs
from ui.i18n import lang, t
from ui.widgets import mask_samples, plain

AUTO = ""  # a label left to the standard reading (no `values` entry)
# fields that differ row by row by nature: one fixed value for all rows would be wrong, so no constant is offered
PER_ROW_FIELDS = frozenset({"patient_name", "phone", "contact", "lead_id", "patient_id"})
PATIENT_FIELDS = ("patient_id", "patient_name", "phone")
# a header that may hold a patient's ID, name or phone in a file of any kind (overmasking costs only a hint)
PERSONAL_HEADER = re.compile(r"id|患者|カルテ|診察券|氏名|名前|電話|tel|phone", re.IGNORECASE)


def shown_samples(kind: str, samples: dict[str, list[str]]) -> dict[str, list[str]]:
    """The sample values the columns form shows, masked when the sidebar switch is on: every column of a visits file
    (which column holds the patient ID, name or phone is what the form is asking), and in a file of another kind
    (a visits file may be read as one before mapping) any column whose header looks like a patient's ID, name or phone."""
    if not st.session_state.get("mask_ids", True):
        return samples
    personal = {a for k in KINDS for s in field_specs(k) if s.name in PATIENT_FIELDS for a in (s.name, *s.aliases)}
    return {h: mask_samples(v) if kind == "visits" or h in personal or PERSONAL_HEADER.search(str(h)) else v
            for h, v in samples.items()}


def set_mapping(digest: str, mapping: ColumnMapping) -> None:
    st.session_state.setdefault("mappings", {})[digest] = mapping.to_json()


def field_label(spec: FieldSpec) -> str:
    return t("data.mapping_field", label=spec.aliases[0] if spec.aliases else spec.name, field=spec.name)


def code_label(spec: FieldSpec, code: str) -> str:
    """An enum code as the user reads it: its first Japanese label and the code (無断キャンセル · no_show)."""
    names = (spec.labels or {}).get(code) or [code]
    return f"{names[0]} · {code}" if names[0] != code else code


def columns_form(digest: str, kind: str, headers: list[str], samples: dict[str, list[str]], current: ColumnMapping | None,
                 only_required: bool) -> None:
    """A select box per field (sample values beside each source column)."""
    none = t("data.mapping_none")
    options = [none] + [h for h in headers if h]
    samples = shown_samples(kind, samples)  # (options are plain text: no Markdown escaping here)
    current_cols = {f: h for h, f in (current.columns.items() if current else [])}
    with st.form(f"data.mapform.{digest}.{only_required}"):
        kind = st.selectbox(t("data.mapping_kind"), KINDS, index=KINDS.index(kind), format_func=lambda k: t(f"kind.{k}"),
                            key=f"data.kind.{digest}.{only_required}")
        chosen: dict[str, str] = {}
        for spec in field_specs(kind):
            if only_required and not spec.required:
                continue
            default = current_cols.get(spec.name, none)
            pick = st.selectbox(
                field_label(spec) + (" *" if spec.required else ""),
                options,
                index=options.index(default) if default in options else 0,
                format_func=lambda h: h if h == none or not samples.get(h) else f"{h}　{t('data.mapping_example')}: {' / '.join(samples[h])}",
                key=f"data.map.{digest}.{only_required}.{spec.name}",
            )
            if pick != none:
                chosen[pick] = spec.name
        if st.form_submit_button("OK", type="primary"):
            base = current or ColumnMapping()
            # a field picked here replaces any other column mapped to it before
            kept = {h: f for h, f in base.columns.items() if f not in chosen.values() and h not in chosen}
            set_mapping(digest, ColumnMapping(kind=kind, columns={**kept, **chosen}, values=base.values, constants=base.constants))
            st.rerun()


def values_form(digest: str, report: ValidationReport, current: ColumnMapping) -> None:
    """Per enum field read from a column: each distinct label as written, with its rows, and the code it means."""
    specs = {s.name: s for s in field_specs(report.kind)}
    fields = [f for f, labels in report.enum_labels.items() if labels and f in specs]
    if not fields:
        return
    source_of = {f: h for h, f in report.column_map.items()}
    st.markdown(f"**{t('data.values_title')}**")
    st.caption(t("data.values_intro"))
    with st.form(f"data.valform.{digest}"):
        chosen: dict[str, dict[str, str]] = {}
        for name in fields:
            spec = specs[name]
            saved = current.values.get(name, {})
            st.markdown(t("data.values_field", field=field_label(spec), column=plain(source_of.get(name, name))))
            codes = [AUTO, *(spec.labels or {})]
            for label, rows in report.enum_labels[name]:
                auto = standard_code(spec, label)
                auto_text = t("data.values_auto", code=code_label(spec, auto)) if auto else t("data.values_unknown")
                default = saved.get(label, AUTO)
                pick = st.selectbox(
                    t("data.values_label", label=plain(label), rows=rows),
                    codes,
                    index=codes.index(default) if default in codes else 0,
                    format_func=lambda c, spec=spec, auto_text=auto_text: auto_text if c == AUTO else code_label(spec, c),
                    key=f"data.val.{digest}.{name}.{label}",
                )
                if pick != AUTO:
                    chosen.setdefault(name, {})[label] = pick
        if st.form_submit_button("OK", type="primary"):
            values = {f: m for f, m in current.values.items() if f not in fields} | chosen
            set_mapping(digest, current.model_copy(update={"values": values}))
            st.rerun()


def constants_form(digest: str, report: ValidationReport, current: ColumnMapping) -> None:
    """A fixed value for each field the export lacks (院名 = 本院): text for text fields, a choice for enums."""
    # fields read from a column of the file (report.column_map also lists constants, as field -> field)
    from_columns = {f for h, f in report.column_map.items() if not (h == f and f in current.constants)}
    free = [s for s in field_specs(report.kind)
            if not s.required and s.name not in from_columns and s.name not in PER_ROW_FIELDS]
    if not free:
        return
    st.markdown(f"**{t('data.constants_title')}**")
    st.caption(t("data.constants_intro"))
    with st.form(f"data.constform.{digest}"):
        constants: dict[str, str] = {}
        for spec in free:
            saved = current.constants.get(spec.name)
            if spec.kind == "enum":
                codes = [AUTO, *(spec.labels or {})]
                pick = st.selectbox(field_label(spec), codes, index=codes.index(saved) if saved in codes else 0,
                                    format_func=lambda c, spec=spec: t("data.mapping_none") if c == AUTO else code_label(spec, c),
                                    key=f"data.const.{digest}.{spec.name}")
                if pick != AUTO:
                    constants[spec.name] = pick
            else:
                text = st.text_input(field_label(spec), value="" if saved is None else str(saved), key=f"data.const.{digest}.{spec.name}")
                if text.strip():
                    constants[spec.name] = text.strip()
        if st.form_submit_button("OK", type="primary"):
            set_mapping(digest, current.model_copy(update={"constants": constants}))
            st.rerun()


def mapping_upload(digest: str) -> None:
    from kpi.load import LoadError

    up = st.file_uploader(t("data.mapping_upload"), type=["json"], key=f"data.mapup.{digest}")
    if up is not None:
        try:
            mapping = ColumnMapping.from_json(up.getvalue())
        except LoadError as exc:
            st.error(plain(exc.message(lang())))
            return
        if st.session_state.get("mappings", {}).get(digest) != mapping.to_json():
            set_mapping(digest, mapping)
            st.rerun()
