"""Shared test fixtures: paths, AppTest factory, cache isolation."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
SAMPLE = ROOT / "sample_data"
REALDATA = ROOT.parent / "shared" / "realdata"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield


@pytest.fixture
def app():
    """A fresh AppTest of the whole app, already run once (demo data)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    return at


def realdata(*parts: str) -> Path:
    path = REALDATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared real data not available: {path}")
    return path


def page_elements(node, out=None) -> list:
    """Every element of an AppTest page in the order shown (tabs and columns opened)."""
    out = [] if out is None else out
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            out.append(child)
            page_elements(child, out)
    return out
