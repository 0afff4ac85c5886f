"""The referrals page (app_pages/referrals.py) over many years and many institutions (issue 17 item 10): month
axes carry the year, and the change ranking draws at most 20 institutions (the biggest changes) while the
sortable table below it, with its download, holds every one. Checked on a generated 3-year, 1,000-institution
CSV and on the real Kinki facility-filings workbook (37 years, 999 institutions) read as referrals."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import APP, ROOT, page_elements, realdata
from kpi import referrals as rf
from kpi.load import ColumnMapping, load

PAGE = "app_pages/referrals.py"
KINKI = ("kinki_kouseikyoku_nara_xlsx", "2025.10_sisetukijun_nara_ika.xlsx")
KINKI_MAPPING = ROOT / "examples" / "mappings" / "kinki_facility_filings_as_referrals.json"


def generated_csv(institutions: int = 1000, seed: int = 17) -> bytes:
    """Referrals from 2023-12 to 2026-11 (three years) for ``institutions`` clinics, each with its own rate that
    drifts up or down over time, so that most of them changed between the two last 3-month windows."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2023-12-01", "2026-11-30", freq="D")
    rows = []
    for i in range(institutions):
        base, drift = rng.uniform(0.002, 0.02), rng.normal(0, 1.2)
        rate = base * np.exp(drift * np.linspace(-1, 1, len(days)))
        hit = rng.random(len(days)) < rate
        hit[rng.integers(len(days))] = True  # every institution referred at least once
        for day in days[hit]:
            rows.append((f"{day:%Y/%m/%d}", f"医療機関{i:04d}クリニック", "逆紹介" if rng.random() < 0.3 else "紹介",
                         ("内科", "整形外科", "小児科")[i % 3], ("奈良市", "大和郡山市", "生駒市", "天理市")[i % 4]))
    frame = pd.DataFrame(rows, columns=["紹介日", "医療機関名", "区分", "診療科", "地域"])
    return frame.to_csv(index=False).encode("utf-8")


def _charts(at) -> list[tuple[dict, pd.DataFrame]]:
    """(Vega-Lite spec, its data) of every chart on the page, in order."""
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    charts = []
    for element in page_elements(at.main):
        if getattr(element, "type", None) == "vega_lite_chart":
            spec = json.loads(element.proto.spec)
            data = convert_arrow_bytes_to_pandas_df(element.proto.datasets[0].data.data) if element.proto.datasets else pd.DataFrame()
            charts.append((spec, data))
    return charts


def _trend_chart(at) -> tuple[dict, pd.DataFrame]:
    return next((spec, data) for spec, data in _charts(at) if spec.get("encoding", {}).get("x", {}).get("field") == "change")


def _monthly_chart(at) -> dict:
    return next(spec for spec, _ in _charts(at) if "facet" in spec)


def _trend_table(at, change_rate: str = "増減率") -> pd.DataFrame:
    return next(d.value for d in at.dataframe if change_rate in d.value.columns)


def _open(at, files: list[tuple[str, bytes, str]]):
    at.sidebar.file_uploader[0].set_value(files).run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _check_ranking(at, frame: pd.DataFrame) -> None:
    trend = rf.trend(frame)
    spec, data = _trend_chart(at)
    drawn = data["institution"].tolist()
    # at most 20 bars, and they are the biggest changes, falling first as the kpi orders them
    assert 0 < len(drawn) <= 20
    assert drawn == spec["encoding"]["y"]["sort"] == rf.biggest_changes(trend)["institution"].tolist()
    smallest_drawn = data["change"].abs().min()
    assert (trend[~trend["institution"].isin(drawn)]["change"].abs() <= smallest_drawn).all()
    assert spec["height"]["step"] * len(drawn) <= 20 * 20  # no 14,000-px chart
    # the table holds every institution, with its download
    table = _trend_table(at)
    assert len(table) == len(trend) == frame["institution"].nunique()
    assert sorted(table["医療機関"]) == sorted(trend["institution"])
    keys = {b.proto.id for b in at.get("download_button")}
    assert any("referrals.dl.trend.xlsx" in k for k in keys) and any("referrals.dl.trend.csv" in k for k in keys)
    assert any(s.value.startswith("紹介の増減ランキング") for s in at.subheader)


def test_generated_three_years_and_1000_institutions():
    from streamlit.testing.v1 import AppTest

    data = generated_csv()
    frame = load(data, "referrals.csv").frame
    assert frame["institution"].nunique() == 1000
    assert frame["referred_on"].min().year == 2023 and frame["referred_on"].max().year == 2026
    at = _open(AppTest.from_file(APP, default_timeout=180).run(), [("referrals.csv", data, "text/csv")])
    _check_ranking(at, frame)
    # the per-institution monthly chart spans three years: its month labels carry the year
    axis = _monthly_chart(at)["spec"]["encoding"]["x"]["axis"]
    assert "%Y" in axis["format"]


def test_real_kinki_filings_as_referrals():
    """9,433 valid filings of 999 institutions from 1988 to 2025: the chart stays at 20 bars, the table has all
    999, and the month axis of 37 years reads as years."""
    from streamlit.testing.v1 import AppTest

    from ui.data import digest_of

    data = realdata(*KINKI).read_bytes()
    mapping = ColumnMapping.from_json(KINKI_MAPPING.read_bytes())
    frame = load(data, KINKI[1], mapping=mapping).frame
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.session_state["mappings"] = {digest_of(data): mapping.to_json()}  # as the data page's saved mapping does
    _open(at, [(KINKI[1], data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")])
    assert len(at.session_state["frames"]["referrals"]) == len(frame) == 9433
    _check_ranking(at, frame)
    assert len(_trend_table(at)) == 999
    axis = _monthly_chart(at)["spec"]["encoding"]["x"]["axis"]
    assert axis["format"] == "%Y年" and axis["tickCount"]["interval"] == "year"


def test_english_month_axis_and_ranking_on_demo_data(app):
    app.session_state["lang"] = "en"
    app.switch_page(PAGE).run()
    assert not app.exception
    axis = _monthly_chart(app)["spec"]["encoding"]["x"]["axis"]
    assert axis["format"] in ("%b %Y", "%Y")
    _, data = _trend_chart(app)
    assert len(data) <= 20
    assert len(_trend_table(app, "Change rate")) == len(rf.trend(app.session_state["frames"]["referrals"]))


# ------------------------------------------------------------------ the pieces, without the app
def test_biggest_changes_keeps_the_trend_order_and_leaves_out_no_change():
    trend = pd.DataFrame({"institution": list("ABCDEF"), "in_last3": [0, 1, 5, 5, 9, 12], "in_prior3": [6, 3, 5, 4, 2, 2]})
    trend["change"] = trend["in_last3"] - trend["in_prior3"]
    trend = trend.sort_values("change").reset_index(drop=True)  # A -6, B -2, C 0, D +1, E +7, F +10
    assert rf.biggest_changes(trend, 3)["institution"].tolist() == ["A", "E", "F"]  # falling first, then rises
    assert rf.biggest_changes(trend)["institution"].tolist() == ["A", "B", "D", "E", "F"]  # C did not change
    assert rf.biggest_changes(trend.assign(change=0)).empty


@pytest.mark.parametrize(("start", "end", "lang", "fmt", "interval", "step"), [
    ("2026-03-01", "2026-05-01", "ja", "%Y年%-m月", "month", 1),
    ("2025-12-01", "2026-11-01", "ja", "%Y年%-m月", "month", 6),
    ("2025-12-01", "2026-11-01", "en", "%b %Y", "month", 6),
    ("2023-12-01", "2026-11-01", "ja", "%Y年", "year", 1),
    ("1988-12-01", "2025-10-01", "ja", "%Y年", "year", 20),
])
def test_month_axis_always_shows_the_year(start, end, lang, fmt, interval, step):
    from ui.charts_onboarding import month_axis

    axis = month_axis(pd.Series(pd.to_datetime([start, end])), lang).to_dict()
    assert axis["format"] == fmt
    assert axis["tickCount"] == {"interval": interval, "step": step}


LEDGER = "紹介日,医療機関名,区分,地域\n" + "".join(f"2026/10/{d:02d},青葉会 あおば整形外科クリニック,紹介,大阪市北区\n" for d in range(1, 21)) \
    + "".join(f"2026/10/{d:02d},ミドリ内科医院,逆紹介,大阪市北区\n" for d in range(1, 11)) + "2026/10/21,星空中央病院,紹介,守口市\n"
COUNTS = "月,初診患者数,救急患者数,再診患者数\n2026-10,100,20,900\n"


def _ledger_app(lang: str = "ja"):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    if lang == "en":
        at.session_state["lang"] = "en"
    return _open(at, [("ledger.csv", LEDGER.encode(), "text/csv")])


def _tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("lang, rate, reverse, basis_caption", [
    ("ja", "紹介率", "逆紹介率", "紹介率の定義: 医療法（地域医療支援病院）"),
    ("en", "Referral rate", "Reverse referral rate", "referral-rate definition: Medical Care Act"),
])
def test_referral_rates_from_the_hospitals_own_counts(lang, rate, reverse, basis_caption):
    """October: 21 referrals in, 10 out; the hospital's counts 初診 100, 救急 20, 再診 900.
    医療法: 21 / (100 − 20) = 26.25 % → 26.2 %, 10 / 80 = 12.5 %. 診療報酬: (21 + 20) / 100 = 41.0 %, 10 / (100 + 900) = 1.0 %.
    Without counts both are n/a and the page says why."""
    at = _ledger_app(lang)
    assert _tiles(at)[rate] == "n/a" and len(at.info) >= 1
    at.file_uploader(key="referrals.counts_upload").set_value(("counts.csv", COUNTS.encode(), "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert _tiles(at)[rate] == "26.2%" and _tiles(at)[reverse] == "12.5%"
    assert basis_caption in " ".join(c.value for c in at.caption)
    at.session_state["referrals.rate_basis"] = "fee_schedule"  # (Radio.set_value formats outside the script, in ja)
    at.run()
    assert not at.exception
    assert _tiles(at)[rate] == "41.0%" and _tiles(at)[reverse] == "1.0%"


@pytest.mark.parametrize("lang, never, title", [("ja", "紹介実績のない医療機関数", "紹介地域内で紹介のない医療機関（3件）"),
                                                ("en", "Institutions never referring", "Institutions in the area with no referral (3)")])
def test_institution_master_lists_who_never_referred(lang, never, title):
    """The synthetic master (tests/data): ledger areas 大阪市北区 and 守口市 hold 4 master rows. あおば refers in (exact match
    after dropping 医療法人社団); ミドリ only receives referrals; 星空中央病院 is only a suggestion until confirmed ->
    never referring: ミドリ, ひかり, 星空 = 3. The confirmation table offers 星空 with its master name."""
    at = _ledger_app(lang)
    assert _tiles(at)[never] == "n/a"
    master = (ROOT / "tests" / "data" / "institution_master_sample.csv").read_bytes()
    at.file_uploader(key="referrals.master_upload").set_value(("master.csv", master, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert _tiles(at)[never] == "3"
    assert any(title in m.value for m in at.markdown)
    offered = next(d.value for d in at.dataframe if "271000004" in d.value.astype(str).to_numpy().ravel().tolist())
    assert offered.iloc[0, 0] == "星空中央病院"


def test_institution_record_shows_months_and_contacts(app):
    """The record of the demo's institution whose referrals rose after its visit: its months and its visit notes."""
    at = app
    at.switch_page(PAGE).run()
    at.selectbox(key="referrals.record").set_value("宮本整形外科医院").run()
    assert not at.exception
    record = rf.institution_record(load((ROOT / "sample_data" / "referrals.csv").read_bytes(), "referrals.csv").frame, "宮本整形外科医院",
                                   load((ROOT / "sample_data" / "activities.csv").read_bytes(), "activities.csv").frame)
    tables = [d.value for d in at.dataframe]
    months = next(t for t in tables if list(t.columns) == ["月", "紹介（受）", "逆紹介"])
    assert months["紹介（受）"].tolist() == record.monthly["in"].tolist()
    contacts = next(t for t in tables if "メモ" in t.columns)
    assert contacts["メモ"].tolist() == record.contacts["note"].tolist() and len(contacts) >= 1
