"""The one strings table of the UI: ``STRINGS[key] = {"ja": ..., "en": ...}``.

Each page keeps its strings in its own module here (so that pages can be changed independently); this
package merges them into one table and refuses duplicate keys at import.
"""
from __future__ import annotations

import importlib
import pkgutil

STRINGS: dict[str, dict[str, str]] = {}

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    _module = importlib.import_module(f"{__name__}.{_info.name}")
    for _key, _value in getattr(_module, "STRINGS", {}).items():
        if _key in STRINGS:
            raise KeyError(f"duplicate UI string key {_key!r} in ui/strings/{_info.name}.py")
        STRINGS[_key] = _value
