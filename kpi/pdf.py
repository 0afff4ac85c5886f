"""The weekly review as an A4-landscape PDF for the Monday meeting: cover (week, as_of), the funnel with its
bottleneck, the red KPIs, the habits with the partner SLA, the actions.

Libraries: fpdf2 writes the PDF and embeds a subset of the Japanese font (Noto Sans CJK JP, a CFF/OpenType
collection, which fpdf2 reads through fontTools — reportlab cannot embed CFF outlines); vl-convert renders the
charts (Vega-Lite → PNG, no browser), the same engine the app's "PNG" buttons use. Every number comes from the
functions the pages call (``kpi.report.weekly_review``, ``kpi.registry.values``, ``kpi.sla``).

Without a Japanese font on the machine the PDF is still produced, in English with a core font (a Japanese name is
then shown as "?"), and the cover says so; :func:`cjk_font` tells the page beforehand.
"""
from __future__ import annotations

import datetime as dt
import glob
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from .messages import LAYER_LABELS, ROLE_LABELS, text
from .targets import Targets

FONT_CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKjp-Regular.otf",
    "/usr/share/fonts/truetype/noto/NotoSansJP-Regular.ttf",
)
CHART_FONT = "Noto Sans CJK JP"
RED, GREY, INK = (207, 34, 46), (110, 119, 129), (31, 35, 40)
RAG_RGB = {"green": (45, 164, 78), "yellow": (212, 167, 44), "red": RED}
PAGE_W, MARGIN = 297.0, 12.0
# core-font (latin-1) stand-ins for the few symbols the English text uses, when no Japanese font is installed
LATIN_FALLBACK = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2192": "->", "\u2264": "<=", "\u2265": ">="})


# ------------------------------------------------------------------ fonts
def cjk_font() -> tuple[str, str | None] | None:
    """(regular, bold or None) paths of a Japanese font: ``KPI_PDF_FONT`` (a .ttc/.otf/.ttf), else Noto Sans CJK
    where Debian's fonts-noto-cjk puts it, else any NotoSansCJK / NotoSansJP under /usr/share/fonts; None if absent."""
    env = os.environ.get("KPI_PDF_FONT")
    paths = ([env] if env else []) + list(FONT_CANDIDATES)
    paths += sorted(glob.glob("/usr/share/fonts/**/NotoSansCJK*Regular*.tt[cf]", recursive=True))
    paths += sorted(glob.glob("/usr/share/fonts/**/NotoSans*JP*Regular*.[ot]tf", recursive=True))
    regular = next((p for p in paths if p and Path(p).is_file()), None)
    if regular is None:
        return None
    bold = regular.replace("Regular", "Bold")
    return regular, bold if bold != regular and Path(bold).is_file() else None


# ------------------------------------------------------------------ charts (PNG bytes; None when they cannot be drawn)
@lru_cache(maxsize=1)
def _vl_convert():
    import vl_convert as vlc

    font = cjk_font()
    if font is not None:
        try:
            vlc.register_font_directory(str(Path(font[0]).parent))
        except Exception:  # noqa: BLE001 - the chart still renders in the default font
            pass
    return vlc


def chart_png(spec: dict, scale: float = 2.0) -> bytes | None:
    """A Vega-Lite spec (dict) as PNG bytes with the Japanese font; None when vl-convert is missing or fails."""
    try:
        vlc = _vl_convert()
    except ImportError:
        return None
    spec = {"config": {"font": CHART_FONT, "view": {"stroke": None}, "axis": {"labelFontSize": 12, "titleFontSize": 12, "labelLimit": 260},
                       "title": {"fontSize": 14, "anchor": "start"}, "legend": {"labelFontSize": 12}}, **spec}
    try:
        return vlc.vegalite_to_png(spec, scale=scale)
    except Exception:  # noqa: BLE001 - a chart the renderer refuses is left out, the PDF still comes
        return None


def _bars(rows: list[dict], category: str, value: str, label: str, title: str, color: str | None = None,
          target: float | None = None, percent: bool = False, width: int = 430) -> dict:
    """Horizontal bars in the given order, labelled, optional per-row colour and a dashed target rule."""
    top = max([r[value] for r in rows if r[value] is not None] + [target or 0, 0.0001])
    x = {"field": value, "type": "quantitative", "title": None,
         "scale": {"domain": [0, top * 1.3], "nice": False}, "axis": {"format": ".0%" if percent else ",d", "tickCount": 5}}
    enc = {"y": {"field": category, "type": "nominal", "sort": None, "title": None}, "x": x}
    layers: list[dict] = [
        {"mark": {"type": "bar"}, "encoding": {**enc, "color": ({"field": color, "type": "nominal", "scale": None, "legend": None}
                                                                 if color else {"value": "#1F6FEB"})}},
        {"mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 12}, "encoding": {**enc, "text": {"field": label}}},
    ]
    if target is not None:
        layers.append({"data": {"values": [{"t": target}]}, "mark": {"type": "rule", "strokeDash": [6, 4], "color": "#CF222E"},
                       "encoding": {"x": {"field": "t", "type": "quantitative"}}})
    return {"title": title, "width": width, "height": 26 * max(len(rows), 1), "data": {"values": rows}, "layer": layers}


# ------------------------------------------------------------------ numbers as text
def fmt_value(unit: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "n/a"
    if unit == "rate":
        return f"{value:.1%}"
    if unit == "yen":
        return f"¥{value:,.0f}"
    if unit == "count":
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    if unit in ("score",):
        return f"{value:,.0f}"
    return f"{value:,.2f}" if unit == "ratio" else f"{value:,.1f}"


# ------------------------------------------------------------------ the document
def _document(lang: str):
    from fpdf import FPDF

    class Review(FPDF):
        def footer(self) -> None:
            self.set_y(-10)
            self.set_font(self.body_font, "", 8)
            self.set_text_color(*GREY)
            self.cell(0, 5, self.clean(text("pdf.page", lang, n=self.page_no(), total="{nb}")), align="R")

        def clean(self, value: Any) -> str:
            s = "" if value is None else str(value)
            return s if self.has_cjk else s.translate(LATIN_FALLBACK).encode("latin-1", "replace").decode("latin-1")

    pdf = Review(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(True, margin=14)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    font = cjk_font()
    pdf.has_cjk = font is not None
    if font is not None:
        pdf.add_font("jp", "", font[0], collection_font_number=0)
        pdf.add_font("jp", "B", font[1] or font[0], collection_font_number=0)
        pdf.body_font = "jp"
    else:
        pdf.body_font = "helvetica"
    pdf.set_title(text("pdf.title", lang))
    return pdf


def _heading(pdf, title: str) -> None:
    pdf.set_font(pdf.body_font, "B", 18)
    pdf.set_text_color(*INK)
    pdf.cell(0, 11, pdf.clean(title), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _line(pdf, value: str, size: float = 11, color=INK, bold: bool = False, height: float = 7) -> None:
    pdf.set_font(pdf.body_font, "B" if bold else "", size)
    pdf.set_text_color(*color)
    pdf.multi_cell(0, height, pdf.clean(value), new_x="LMARGIN", new_y="NEXT")


def _table(pdf, header: list[str], rows: list[list[str]], widths: tuple[float, ...], fills: dict[tuple[int, int], tuple] | None = None,
           size: float = 10) -> None:
    """A table with a grey header; ``fills`` colours single cells' text (row, col) -> rgb (RAG)."""
    pdf.set_font(pdf.body_font, "", size)
    pdf.set_text_color(*INK)
    with pdf.table(col_widths=widths, width=sum(widths), align="LEFT", line_height=6.5, text_align="LEFT",
                   headings_style=_heading_style(), first_row_as_headings=True) as table:
        table.row([pdf.clean(h) for h in header])
        for r, cells in enumerate(rows):
            row = table.row()
            for c, value in enumerate(cells):
                color = (fills or {}).get((r, c))
                if color is not None:
                    from fpdf.fonts import FontFace

                    row.cell(pdf.clean(value), style=FontFace(color=color, emphasis="BOLD"))
                else:
                    row.cell(pdf.clean(value))


def _heading_style():
    from fpdf.fonts import FontFace

    return FontFace(emphasis="BOLD", fill_color=(234, 238, 242))


def _image(pdf, png: bytes | None, x: float, y: float, w: float, lang: str, reason: str = "vl-convert") -> None:
    import io

    if png is None:
        pdf.set_xy(x, y)
        _line(pdf, text("pdf.charts_missing", lang, reason=reason), size=9, color=GREY)
        return
    pdf.image(io.BytesIO(png), x=x, y=y, w=w)


# stage names as the pages and the workbook say them (kpi/messages.py ENUM_LABELS: 商談 → PoC)
def _stage_name(stage: str, lang: str) -> str:
    from .messages import ENUM_LABELS

    return ENUM_LABELS[f"stage.{stage}"]["en" if lang == "en" else "ja"]


def weekly_pdf(frames: dict[str, pd.DataFrame], as_of: dt.date | pd.Timestamp | None, targets: Targets | None = None,
               lang: str = "ja", actions: pd.DataFrame | None = None, sla_settings: Any = None, charts: bool = True) -> bytes:
    """The weekly review PDF (A4 landscape) for ``frames`` (leads required for the funnel; activities add the habits)
    as of ``as_of`` (None: the leads' latest date). ``actions``: the review's actions (columns action, owner,
    deadline, status optional). Japanese unless ``lang == "en"``; English when no Japanese font is installed."""
    from . import funnel, registry, report
    from .sla import sla_view

    targets = targets or Targets()
    pdf = _document(lang)
    if not pdf.has_cjk:
        lang = "en"
    leads, activities = frames.get("leads"), frames.get("activities")
    review = report.weekly_review(leads, activities, as_of, targets) if leads is not None and len(leads) else None
    stamp = review.as_of if review is not None else pd.Timestamp(as_of or dt.date.today()).normalize()
    prev = stamp - pd.Timedelta(days=7)

    # ---- cover
    pdf.add_page()
    pdf.set_y(55)
    pdf.set_font(pdf.body_font, "B", 30)
    pdf.set_text_color(*INK)
    pdf.cell(0, 16, pdf.clean(text("pdf.title", lang)), new_x="LMARGIN", new_y="NEXT")
    start = (stamp - pd.Timedelta(days=6)).date()
    _line(pdf, text("pdf.week", lang, start=start, end=stamp.date()), size=16, height=10)
    _line(pdf, text("pdf.as_of", lang, as_of=stamp.date(), prev=prev.date()), size=13, color=GREY, height=8)
    items = text("pdf.sep", lang).join(text("pdf.data_item", lang, kind=k, rows=len(f)) for k, f in frames.items() if f is not None)
    _line(pdf, text("pdf.data", lang, items=items), size=11, color=GREY)
    pdf.ln(6)
    _line(pdf, text("pdf.contents", lang), size=11)
    if not pdf.has_cjk:
        pdf.ln(4)
        _line(pdf, text("pdf.no_font", "en"), size=11, color=RED)

    # ---- funnel and bottleneck
    pdf.add_page()
    _heading(pdf, text("pdf.funnel", lang))
    if review is None:
        _line(pdf, text("pdf.no_leads", lang))
    else:
        cmp = review.comparison
        if review.bottleneck:
            a, b = funnel.step_label(review.bottleneck)
            row = review.row(review.bottleneck)
            _line(pdf, text("pdf.bottleneck", lang, a=_stage_name(a, lang), b=_stage_name(b, lang), conv=f"{row['conversion']:.1%}",
                            target=f"{row['target']:.0%}", ratio=f"{row['conversion'] / row['target']:.2f}"), size=13, color=RED, bold=True)
        else:
            _line(pdf, text("pdf.no_bottleneck", lang))
        top = pdf.get_y() + 3
        bars = [{"stage": _stage_name(s, lang), "reached": int(n), "label": f"{int(n):,}",
                 "color": "#CF222E" if s == review.bottleneck else "#1F6FEB"} for s, n in zip(cmp["stage"], cmp["reached"])]
        if charts:
            _image(pdf, chart_png(_bars(bars, "stage", "reached", "label", text("pdf.chart.reached", lang), color="color", width=380)),
                   MARGIN, top, 135, lang)
        rows, fills = [], {}
        for i, r in enumerate(cmp.itertuples()):
            rag = r.rag if isinstance(r.rag, str) else None
            rows.append([_stage_name(r.stage, lang), f"{int(r.reached):,}", f"{int(r.reached_prev):,}",
                         "" if pd.isna(r.conversion) else f"{r.conversion:.1%}", "" if pd.isna(r.target) else f"{r.target:.0%}",
                         text(f"pdf.rag.{rag}", lang) if rag else ""])
            if rag:
                fills[(i, 5)] = RAG_RGB[rag]
        pdf.set_xy(155, top)
        pdf.set_left_margin(155)
        _table(pdf, [text(f"pdf.col.{c}", lang) for c in ("stage", "reached", "reached_prev", "conversion", "target", "rag")], rows,
               (30, 20, 20, 24, 18, 18), fills)
        pdf.set_left_margin(MARGIN)

    # ---- red KPIs
    pdf.add_page()
    _heading(pdf, text("pdf.red", lang))
    side = 0 if lang == "ja" else 1
    values = registry.values({k: f for k, f in frames.items() if f is not None}, stamp.date(), targets)
    red = []
    for kpi in registry.REGISTRY:
        view = registry.tile(kpi.key, values.get(kpi.key), targets, lang=lang)
        if view.rag == "red":
            red.append([kpi.label[side], LAYER_LABELS[kpi.layer][side], ROLE_LABELS[kpi.owner_role][side],
                        fmt_value(kpi.unit, view.value), fmt_value(kpi.unit, view.target)])
    if red:
        _table(pdf, [text(f"pdf.col.{c}", lang) for c in ("kpi", "layer", "owner", "value", "target")], red, (80, 25, 45, 35, 35),
               {(i, 3): RED for i in range(len(red))})
    else:
        _line(pdf, text("pdf.red_none", lang))

    # ---- habits and the partner SLA
    pdf.add_page()
    _heading(pdf, text("pdf.habits", lang))
    habit_rows, fills = [], {}
    for kpi in (k for k in registry.REGISTRY if k.layer == "habit" and k.dataset in frames and frames[k.dataset] is not None):
        view = registry.tile(kpi.key, values.get(kpi.key), targets, lang=lang)
        habit_rows.append([kpi.label[side], ROLE_LABELS[kpi.owner_role][side], fmt_value(kpi.unit, view.value),
                           fmt_value(kpi.unit, view.target) if view.target is not None else "", text(f"pdf.rag.{view.rag}", lang) if view.rag else ""])
        if view.rag:
            fills[(len(habit_rows) - 1, 4)] = RAG_RGB[view.rag]
    top = pdf.get_y()
    _table(pdf, [text(f"pdf.col.{c}", lang) for c in ("kpi", "owner", "value", "target", "rag")], habit_rows, (62, 34, 24, 22, 18), fills, size=9)
    if charts:
        x, y = 178, top
        if review is not None and review.habits is not None and len(review.habits.reps):
            reps = review.habits.reps.dropna(subset=["minutes_within_24h_rate"])
            rows = [{"rep": r, "rate": float(v), "label": f"{v:.0%}"} for r, v in zip(reps["rep"], reps["minutes_within_24h_rate"])]
            if rows:
                png = chart_png(_bars(rows, "rep", "rate", "label", text("pdf.chart.minutes", lang), target=targets.minutes_within_24h_rate,
                                      percent=True, width=300))
                _image(pdf, png, x, y, 105, lang)
                y += 8 + 105 * (26 * len(rows) + 60) / 420
        sla = sla_view(leads, stamp, sla_settings) if leads is not None else None
        if sla is not None and len(sla.by_owner):
            rows = [{"owner": o, "rate": float(r), "label": f"{r:.0%} ({m}/{m + x_})"}
                    for o, r, m, x_ in zip(sla.by_owner["owner"], sla.by_owner["rate"], sla.by_owner["met"], sla.by_owner["missed"]) if r == r]
            _image(pdf, chart_png(_bars(rows, "owner", "rate", "label", text("pdf.chart.sla", lang), target=sla.settings.compliance_target,
                                        percent=True, width=300)), x, y, 105, lang)
        elif sla is None or not len(sla.by_owner):
            pdf.set_xy(x, y)
            pdf.set_left_margin(x)
            _line(pdf, text("pdf.sla_none", lang), size=9, color=GREY)
            pdf.set_left_margin(MARGIN)

    # ---- actions
    pdf.add_page()
    _heading(pdf, text("pdf.actions", lang))
    if actions is None or actions.empty:
        _line(pdf, text("pdf.actions_none", lang))
    else:
        cols = [c for c in ("action", "owner", "deadline", "status") if c in actions.columns]
        widths = {"action": 150, "owner": 45, "deadline": 35, "status": 30}
        shown = actions[cols].astype("object").where(actions[cols].notna(), "")
        if "status" in cols:
            shown["status"] = [text(f"pdf.status.{v}", lang) if v in ("open", "done", "dropped") else v for v in shown["status"]]
        rows = [[str(v) for v in r] for r in shown.itertuples(index=False)]
        _table(pdf, [text(f"pdf.col.{c}", lang) for c in cols], rows, tuple(widths[c] for c in cols))
    return bytes(pdf.output())
