"""The KPI registry (SPEC section 6): one declaration per KPI; `kpis` lists it, `metrics --json` carries every
registry KPI with the same numbers as the sections, null where the inputs are absent."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT, SAMPLE

from kpi import registry
from kpi.load import load
from kpi.metrics import metrics
from kpi.targets import Targets

# SPEC 6's table of the sales layers: key -> (layer, cadence, owner)
SPEC_TABLE = {
    "lead_count": ("leading", "week", "agency"), "contact_count": ("leading", "week", "agency"),
    "meeting_rate": ("leading", "week", "inside_sales"), "poc_count": ("result", "quarter", "field_sales"),
    "approval_rate": ("result", "quarter", "field_sales"), "payback_months_median": ("result", "quarter", "consultant"),
}
SPEC_NAMES = {"meeting_rate": "商談化率", "poc_count": "PoC合意数", "approval_rate": "稟議通過率", "payback_months_median": "回収期間",
              "minutes_within_24h_rate": "24時間以内議事録送付率", "key_person_rate": "キーマン特定率", "review_capture_rate": "審査日記入率"}
ALSO_AT_LEAST = ("meeting_count", "approval_count", "collected_count", "contact_rate", "poc_rate", "collection_rate", "overall_rate",
                 "stalled_count", "visits_per_day", "travel_minutes_per_day")
DEMO = ["leads.xlsx", "activities.csv", "visits.csv", "onboarding.xlsx", "referrals.csv"]


def _frames(names, folder=SAMPLE):
    frames = {}
    for name in names:
        result = load((folder / name).read_bytes(), name)
        frames[result.report.kind] = result.frame
    return frames


def test_the_registry_holds_the_spec_table_with_its_layers_and_names():
    for key, (layer, cadence, owner) in SPEC_TABLE.items():
        kpi = registry.BY_KEY[key]
        assert (kpi.layer, kpi.cadence, kpi.owner_role) == (layer, cadence, owner), key
    for key, name in SPEC_NAMES.items():
        assert registry.BY_KEY[key].label[0] == name
    for key in ("minutes_within_24h_rate", "key_person_rate", "review_capture_rate"):
        assert registry.BY_KEY[key].layer == "habit" and registry.BY_KEY[key].cadence == "day"
    assert set(ALSO_AT_LEAST) <= set(registry.BY_KEY)
    # headline KPIs of the clinic, onboarding, adoption and referral pages
    assert {"cancel_rate", "second_visit_rate", "graduation_rate", "nps", "adoption_overall", "reverse_ratio"} <= set(registry.BY_KEY)


def test_values_are_the_sections_numbers_on_the_demo_data():
    frames = _frames(DEMO)
    sections = metrics(frames)
    values = registry.values(frames)
    assert set(values) == set(registry.BY_KEY)
    funnel = {row["stage"]: row for row in sections["leads"]["funnel"]}
    assert values["meeting_rate"] == funnel["meeting"]["conversion"]
    assert values["approval_rate"] == funnel["approval"]["conversion"]
    assert values["poc_count"] == funnel["poc"]["reached"] and values["lead_count"] == sections["leads"]["rows"]
    assert values["overall_rate"] == pytest.approx(funnel["collected"]["reached"] / funnel["lead"]["reached"])
    assert values["payback_months_median"] == sections["leads"]["payback_months_median"]
    assert values["minutes_within_24h_rate"] == sections["activities"]["minutes_within_24h_rate"]
    assert values["adoption_overall"] == sections["adoption"]["overall"]
    assert values["reverse_ratio"] == sections["referrals"]["reverse_ratio"]
    assert values["nps"] == sections["onboarding"]["nps"]
    # clinic: the latest full month's row, as the clinic page's headline tiles
    from kpi.clinic import latest_full_month
    import pandas as pd

    month = latest_full_month(pd.Timestamp(sections["visits"]["as_of"]))
    row = next(m for m in sections["visits"]["monthly"] if m["month"] == month)
    assert values["cancel_rate"] == row["cancel_rate"] and values["clinic_patients"] == row["patients"]
    # stalled deals: the funnel's own list
    from kpi import funnel as funnel_kpi

    leads = frames["leads"]
    as_of = funnel_kpi.default_as_of(leads)
    assert values["stalled_count"] == len(funnel_kpi.stalled_leads(funnel_kpi.leads_in_scope(leads, as_of), as_of))
    # every KPI has a number on the demo, except those whose inputs are not datasets the demo ships: 紹介率 / 逆紹介率
    # need the hospital's own first-visit counts, the never-referring count an institution master (issue 16)
    optional_inputs = {"referral_rate", "reverse_referral_rate", "institutions_never_referring"}
    assert {k for k, v in values.items() if v is None} == optional_inputs


def test_a_kpi_whose_inputs_are_absent_is_null_never_zero(tmp_path):
    (tmp_path / "leads.csv").write_text("リードID,リード日\nL1,2026/11/01\nL2,2026/11/02\n", encoding="utf-8")
    (tmp_path / "visits.csv").write_text("患者ID,来院日\nP1,2026/10/01\nP1,2026/11/01\n", encoding="utf-8")
    values = registry.values(_frames(["leads.csv", "visits.csv"], tmp_path))
    assert values["lead_count"] == 2
    for key in ("contact_count", "meeting_rate", "poc_count", "overall_rate", "payback_months_median", "key_person_rate",
                "review_capture_rate", "cancel_rate", "price_per_10min", "clinic_revenue"):
        assert values[key] is None, key
    for key in ("minutes_within_24h_rate", "graduation_rate", "reverse_ratio"):  # datasets not given
        assert values[key] is None, key


def _cli(*args):
    out = subprocess.run([sys.executable, "-m", "kpi", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_cli_kpis_lists_the_registry_and_metrics_carries_every_kpi():
    entries = json.loads(_cli("kpis", "--json"))
    assert [e["key"] for e in entries] == [k.key for k in registry.REGISTRY]
    first = entries[[e["key"] for e in entries].index("meeting_rate")]
    assert first == {"key": "meeting_rate", "dataset": "leads", "layer": "leading", "cadence": "week", "owner_role": "inside_sales",
                     "unit": "rate", "direction": "up", "target": 0.2, "label": {"ja": "商談化率", "en": "Meeting rate"},
                     "definition": first["definition"], "inputs": ["contacted_on", "meeting_on"]}
    assert "商談化率" in _cli("kpis")
    out = json.loads(_cli("metrics", *(str(SAMPLE / n) for n in DEMO), "--json"))
    assert set(out["kpis"]) == set(registry.BY_KEY)
    assert out["kpis"]["meeting_rate"] == next(r["conversion"] for r in out["leads"]["funnel"] if r["stage"] == "meeting")


def test_the_readme_kpi_table_is_the_registry():
    """The README's table is generated (python -m kpi kpis --markdown): a KPI added, renamed or retargeted in the
    registry without regenerating it fails here."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start, end = "<!-- kpi-table:start -->\n", "<!-- kpi-table:end -->"
    assert start in text and end in text
    shown = text.split(start, 1)[1].split(end, 1)[0]
    assert shown == registry.markdown_table(), "README KPI table is stale: python -m kpi kpis --markdown"
    assert "`meeting_rate` | 商談化率" in shown


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_funnel_headline_tiles_come_from_the_registry_grouped_by_layer(lang):
    """Each headline tile of the funnel page carries its registry label, its layer · cadence · owner line and, on the
    demo's stored weeks, last week and four weeks ago; the tiles are grouped 結果 first, then 手前."""
    from streamlit.testing.v1 import AppTest

    from conftest import APP
    from kpi.targets import Targets

    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    side = 0 if lang == "ja" else 1
    labels = [m.label for m in at.metric]
    tile_keys = {"overall": "overall_rate", "meeting": "meeting_rate", "poc": "poc_rate", "approval": "approval_rate",
                 "stalled": "stalled_count", "payback": "payback_months_median"}
    captions = [c.value for c in at.caption]
    for key in Targets().headline_kpis:
        kpi = registry.BY_KEY[tile_keys[key]]
        if key in ("meeting", "poc", "approval"):
            assert kpi.label[side] in labels, (kpi.label[side], labels)
        layer = registry.LAYER_LABELS[kpi.layer][side]
        cadence = registry.CADENCE_LABELS[kpi.cadence][side]
        assert any(c.startswith(layer) and cadence in c for c in captions), (layer, cadence)
    stored = "保存した週（8週）" if lang == "ja" else "Stored weeks (8)"
    assert sum(stored in c for c in captions) == len(Targets().headline_kpis)
    heads = [m.value for m in at.markdown if m.value.startswith("**")]
    assert heads[0].startswith(f"**{registry.LAYER_LABELS['result'][side]}**") and heads[1].startswith(f"**{registry.LAYER_LABELS['leading'][side]}**")


# ------------------------------------------------------------------ tiles (kpi.registry.TileView)
def test_tile_views_carry_rag_confidence_meta_and_missing_inputs():
    import pandas as pd

    from kpi.registry import BY_KEY, tile
    from kpi.targets import Targets

    leads = pd.DataFrame({"lead_id": [f"L{i}" for i in range(40)], "created_at": pd.Timestamp("2026-11-02"),
                          "status": "open", "meeting_on": [pd.Timestamp("2026-11-10")] * 20 + [pd.NaT] * 20,
                          "updated_on": pd.Timestamp("2026-11-20"), "owner": "山田", "account": "A病院"})
    view = tile("key_person_rate", None, Targets(), frames={"leads": leads}, as_of=pd.Timestamp("2026-11-27").date(), lang="ja")
    # the file has no key_person column: n/a, and the tile names the missing input
    assert view.value is None and view.rag is None and view.missing == ("key_person",)
    assert view.label == "キーマン特定率" and view.meta == "習慣・日次・インサイドセールス"
    # confidence reads the 20 leads that reached meeting, not all 40 (its basis rows)
    assert view.confidence.rows == 20 and view.confidence.level == "medium"
    en = tile("key_person_rate", 0.7, Targets(), previous=0.6, lang="en")
    assert en.label == "Key person identified" and en.rag == "yellow" and abs(en.delta - 0.1) < 1e-12
    assert en.target == BY_KEY["key_person_rate"].target(Targets()) == 0.8
    down = tile("cancel_rate", 0.2, Targets(), lang="en")  # lower is better: 0.2 against at most 0.1 is red
    assert down.rag == "red" and down.direction == "down"


# ------------------------------------------------------------------ SPEC 6 on the real public files (issue 12)
REAL = [  # (file under ../shared/realdata, its saved mapping, KPIs it must give, KPIs it cannot give: n/a, never 0)
    (("noshow_kaggle", "KaggleV2-May-2016.csv"), "kaggle_noshow_visits.json",
     ("clinic_visits", "clinic_patients", "second_visit_rate", "cancel_rate"), ("clinic_revenue", "price_per_10min", "self_pay_ratio")),
    (("crm_sales_opportunities", "sales_pipeline.csv"), "maven_crm_leads.json",
     ("lead_count", "adoption_data"), ("meeting_rate", "key_person_rate", "clinic_visits")),
    (("kinki_kouseikyoku_nara_xlsx", "2025.10_sisetukijun_nara_ika.xlsx"), "kinki_facility_filings_as_referrals.json",
     ("referrals_in", "referrals_out"), ("lead_count", "clinic_visits")),  # (every filing is "in": 0 out is a count, not n/a)
]


@pytest.mark.parametrize("parts, mapping, given, absent", REAL, ids=[r[0][0] for r in REAL])
def test_metrics_json_carries_every_registry_kpi_on_the_real_files(parts, mapping, given, absent):
    """`python -m kpi metrics --json` on each real file through its saved mapping: ``kpis`` holds every registry
    key, each the loader's and registry's own value in this process; KPIs of datasets the file is not are null."""
    from conftest import realdata

    from kpi.load import ColumnMapping, load
    from kpi.metrics import metrics

    path, mapping_path = realdata(*parts), ROOT / "examples" / "mappings" / mapping
    out = json.loads(_cli("metrics", str(path), "--mapping", str(mapping_path), "--json"))
    result = load(path.read_bytes(), path.name, mapping=ColumnMapping.from_json(mapping_path.read_bytes(), source=mapping))
    frames = {result.report.kind: result.frame}
    expected = metrics(frames, None, Targets())
    expected["kpis"] = registry.values(frames, None, Targets(), sections=expected)
    assert out["kpis"] == json.loads(json.dumps(expected["kpis"]))
    assert set(out["kpis"]) == set(registry.BY_KEY)
    assert all(v is None for k, v in out["kpis"].items() if registry.BY_KEY[k].dataset not in frames and k not in given)
    assert all(out["kpis"][k] is not None for k in given), {k: out["kpis"][k] for k in given}
    assert all(out["kpis"][k] is None for k in absent), {k: out["kpis"][k] for k in absent}
