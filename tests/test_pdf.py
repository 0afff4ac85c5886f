"""kpi.pdf: the weekly review PDF (A4 landscape, Japanese font embedded, charts), and its no-font fallback."""
from __future__ import annotations

import re
import shutil
import subprocess

import pandas as pd
import pytest
from conftest import SAMPLE

from kpi import pdf
from kpi.load import load


@pytest.fixture(scope="module")
def demo() -> dict[str, pd.DataFrame]:
    if not (SAMPLE / "leads.xlsx").exists():
        pytest.skip("demo data not generated")
    return {name.split(".")[0]: load((SAMPLE / name).read_bytes(), name).frame for name in ("leads.xlsx", "activities.csv")}


ACTIONS = pd.DataFrame([{"action": "PoC提案書を見直す", "owner": "高橋 健太", "deadline": "2026-11-30", "status": "open"}])


def pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", data))


def text_of(data: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) not installed")
    path = tmp_path / "review.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout.decode("utf-8")


@pytest.mark.skipif(pdf.cjk_font() is None, reason="no Japanese font installed")
def test_japanese_pdf(demo, tmp_path):
    data = pdf.weekly_pdf(demo, None, None, "ja", actions=ACTIONS)
    assert data.startswith(b"%PDF") and pages(data) == 5
    assert b"/MediaBox [0 0 841.89 595.28]" in data  # A4 landscape in points
    assert b"/FontFile" in data and b"/Subtype /Image" in data  # the font is embedded, the charts are images
    words = text_of(data, tmp_path)
    for expected in ("週次レビュー", "対象週 2026-11-16", "基準日 2026-11-22", "ボトルネック: 商談 → PoC", "未達（赤）のKPI",
                     "支援会社SLA遵守率", "PoC提案書を見直す", "未完了"):
        assert expected in words, expected


def test_english_pdf_without_a_japanese_font(demo, tmp_path, monkeypatch):
    """No font: still a PDF, in English, and it says why."""
    monkeypatch.setattr(pdf, "cjk_font", lambda: None)
    pdf._vl_convert.cache_clear()
    data = pdf.weekly_pdf(demo, None, None, "ja", actions=ACTIONS)
    pdf._vl_convert.cache_clear()
    assert data.startswith(b"%PDF") and pages(data) == 5 and b"/FontFile" not in data
    words = text_of(data, tmp_path)
    assert "Weekly review" in words and "No Japanese font" in words and "Bottleneck: Meeting -> PoC" in words  # the core font has no arrow


def test_fmt_value():
    assert [pdf.fmt_value("rate", 0.7349), pdf.fmt_value("count", 2.14), pdf.fmt_value("count", 30.0), pdf.fmt_value("yen", 1234.4),
            pdf.fmt_value("rate", None)] == ["73.5%", "2.14", "30", "¥1,234", "n/a"]
