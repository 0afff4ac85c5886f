"""The fields of each dataset kind as headers name them: ``header_key`` (how headers are compared), the alias
index per kind, the field specs and which are required, and the hint listing each kind's required headers."""
from __future__ import annotations

import re
from typing import Any

import numpy as np

from .. import parse
from ..messages import KIND_LABELS, text
from ..schemas import KINDS, field_specs

# what separates words in a header as files write it (spaces, _, -, ・): dropped from the header key
HEADER_SEPARATORS = re.compile(r"[\s_\-・]")


def header_key(text: Any) -> str:
    """How headers are compared: NFKC, lower case, no spaces/underscores, bracketed units removed."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    key = parse.nfkc(str(text)).lower()
    key = re.sub(r"[(\[【][^)\]】]*[)\]】]", "", key)
    return HEADER_SEPARATORS.sub("", key)


def alias_index(kind: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for spec in field_specs(kind):
        for alias in (spec.name, *spec.aliases):
            index.setdefault(header_key(alias), spec.name)
    return index


_ALIAS_INDEX = {kind: alias_index(kind) for kind in KINDS}
_SPECS = {kind: field_specs(kind) for kind in KINDS}
_REQUIRED = {kind: {s.name: s.required for s in specs} for kind, specs in _SPECS.items()}


def expected_headers_hint(lang: str = "ja") -> str:
    parts = []
    for kind in KINDS:
        req = [s.aliases[0] if lang == "ja" else s.name for s in _SPECS[kind] if s.required]
        parts.append(f"{KIND_LABELS[kind][lang]}: {text('load.header_sep', lang).join(req)}")
    return " / ".join(parts)
