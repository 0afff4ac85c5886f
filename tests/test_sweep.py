"""A generated sweep over the shapes real exports take: every page renders with no exception, in both languages,
when any optional column of any dataset is absent, and when two files of one kind differ in their columns.

Each variant starts from the demo data (written back out as plain CSV with English headers, cut to a few
hundred rows so the sweep stays quick), then drops one optional column: from the only file of its kind, or
from the second of two files of that kind (the first half of the rows has the column, the second does not).
Only the pages that read that kind are rendered (found in their source, as test_app finds the pages).
"""
from __future__ import annotations

import functools
import re

import pandas as pd
import pytest

from conftest import APP, ROOT, SAMPLE
from test_app import EXISTING_PAGES

from kpi.load import load
from kpi.schemas import KINDS, field_specs

DEMO = {"leads": "leads.xlsx", "activities": "activities.csv", "visits": "visits.csv", "onboarding": "onboarding.xlsx",
        "referrals": "referrals.csv"}
ROWS = 400  # per dataset: enough for every chart and tile to have something, few enough to be quick


def as_csv(frame: pd.DataFrame) -> bytes:
    """A validated frame written back as an export would be: field names as headers, dates as text."""
    out = {}
    for column in frame.columns:
        if column == "_row" or column.endswith("_has_time"):
            continue
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            has_time = frame.get(f"{column}_has_time")
            text = values.dt.strftime("%Y-%m-%d")
            if has_time is not None:
                text = values.dt.strftime("%Y-%m-%d %H:%M").where(has_time.fillna(False).astype(bool), text)
            values = text
        out[column] = values
    return pd.DataFrame(out).to_csv(index=False).encode("utf-8")


@functools.cache
def demo_frame(kind: str) -> pd.DataFrame:
    frame = load((SAMPLE / DEMO[kind]).read_bytes(), DEMO[kind]).frame
    # evenly spaced rows keep every region, month and stage of the demo
    return frame.iloc[:: max(1, len(frame) // ROWS)].reset_index(drop=True)


def optional_fields(kind: str) -> list[str]:
    """The optional fields the demo file of ``kind`` has (a field the demo lacks is already absent in every run)."""
    present = set(demo_frame(kind).columns)
    return [s.name for s in field_specs(kind) if not s.required and s.name in present]


def pages_reading(kind: str) -> list[str]:
    pattern = re.compile(rf"[\"']{kind}[\"']")
    pages = [p for p in EXISTING_PAGES if pattern.search((ROOT / p).read_text(encoding="utf-8"))]
    return pages + ["app_pages/data.py"]


VARIANTS = [(kind, field, split) for kind in KINDS for field in optional_fields(kind) for split in (False, True)]


def variant_files(kind: str, field: str, split: bool) -> list[tuple[str, bytes, str]]:
    files = []
    for other in KINDS:
        frame = demo_frame(other)
        if other != kind:
            files.append((f"{other}.csv", as_csv(frame), "text/csv"))
        elif not split:
            files.append((f"{other}.csv", as_csv(frame.drop(columns=[field])), "text/csv"))
        else:
            half = len(frame) // 2
            files.append((f"{other}_part1.csv", as_csv(frame.iloc[:half]), "text/csv"))
            files.append((f"{other}_part2.csv", as_csv(frame.iloc[half:].drop(columns=[field])), "text/csv"))
    return files


@pytest.mark.parametrize(("kind", "field", "split"), VARIANTS,
                         ids=[f"{k}-{f}-{'one_of_two' if s else 'absent'}" for k, f, s in VARIANTS])
def test_every_page_renders_without_an_optional_column(kind, field, split, monkeypatch):
    from streamlit.testing.v1 import AppTest

    import ui.i18n

    failures = []
    for lang in ("ja", "en"):  # a fresh session per language, as a user who opens the app in English
        # AppTest calls a selectbox's format_func between runs, outside the script, where session state reads as
        # empty (so t() would answer in Japanese): the language is fixed for the whole pass instead.
        monkeypatch.setattr(ui.i18n, "lang", lambda lang=lang: lang)
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state["lang"] = lang
        at.run()
        at.sidebar.file_uploader[0].set_value(variant_files(kind, field, split)).run()
        assert not at.exception, [e.value for e in at.exception]
        assert kind in at.session_state["frames"], "the variant's own dataset did not load"
        for page in pages_reading(kind):
            at.switch_page(page).run()
            if at.exception:
                failures.append((lang, page, [e.value for e in at.exception][:1]))
    assert not failures, failures
