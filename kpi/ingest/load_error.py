"""``LoadError``, importable without pandas or pydantic: the workbook guard raises it from the CLI's read-ahead
thread while the main thread is still importing (kpi.ingest.xlsx_arrow). Its sentence is rendered lazily."""
from __future__ import annotations

from typing import Any


class LoadError(Exception):
    """A file that cannot be read at all. ``code`` keys kpi.messages; ``params`` fill it."""

    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = params
        super().__init__(LoadError.message(self, "en"))  # (the base rendering: a subclass may not be set up yet)

    def message(self, lang: str = "ja") -> str:
        from ..messages import KIND_LABELS, message, text

        params = dict(self.params)
        if self.code == "unknown_kind":
            from .fields import expected_headers_hint

            params["expected"] = expected_headers_hint(lang)
        if self.code.startswith("mapping."):  # the mapping file by name when it is known (SPEC 7)
            source = params.get("source")
            params["where"] = ("" if not source else f"「{source}」" if lang == "ja" else f" '{source}'")
            kind = params.get("kind")
            params["kind"] = KIND_LABELS[kind][lang] if kind in KIND_LABELS else text("load.any_kind", lang)
        return message(self.code, lang, **params)
