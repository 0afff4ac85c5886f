"""kpi.institutions on a small synthetic header-less master (tests/data/institution_master_sample.csv, fictional
names; the master is read NFKC, so ﾐﾄﾞﾘ reads ミドリ): name keys, areas, exact and suggested matches (rapidfuzz), never-referring institutions."""
from __future__ import annotations

import pandas as pd
import pytest

from conftest import ROOT
from kpi import institutions as inst
from kpi import referrals as rf

MASTER = ROOT / "tests" / "data" / "institution_master_sample.csv"
AS_OF = pd.Timestamp("2026-11-20")


@pytest.fixture
def master() -> pd.DataFrame:
    return inst.read_master(MASTER.read_bytes())


def ledger() -> pd.DataFrame:
    rows = [("2026-10-01", "青葉会 あおば整形外科クリニック", "in", "大阪市北区"), ("2026-10-02", "ミドリ内科医院", "out", "大阪市北区"),
            ("2026-10-03", "(有)ひかり薬局", "in", None), ("2026-10-04", "星空中央病院", "in", "守口市"),
            ("2026-10-05", "若草会 若草小児科医院", "in", "奈良市"), ("2026-10-06", "全然ちがう病院", "in", "奈良市")]
    df = pd.DataFrame(rows, columns=["referred_on", "institution", "direction", "area"])
    df["referred_on"] = pd.to_datetime(df["referred_on"])
    return df


@pytest.mark.parametrize("raw, key", [
    ("医療法人社団 青葉会 あおば整形外科クリニック", "青葉会あおば整形外科クリニック"),
    ("医療法人財団　緑会　ミドリ病院", "緑会ミドリ病院"),
    ("社会医療法人 星空会 星空中央病院", "星空会星空中央病院"),
    ("一般社団法人若草会", "若草会"),
    ("㈲ひかり薬局", "ひかり薬局"), ("(有)ひかり薬局", "ひかり薬局"), ("有限会社ひかり薬局", "ひかり薬局"),
    ("株式会社 つばさ", "つばさ"), ("合同会社そよかぜ", "そよかぜ"), ("ﾐﾄﾞﾘ内科医院", "ミドリ内科医院"), ("ＡＢＣ　Clinic", "abcclinic"),
])
def test_name_key(raw, key):
    assert inst.name_key(pd.Series([raw])).iloc[0] == key


def test_read_master_header_less(master):
    """Seven rows of five cells; the short row is left out; codes stay text; areas from the address."""
    assert len(master) == 7 and master["code9"].iloc[0] == "271000001"
    assert master["area"].tolist() == ["大阪市北区", "大阪市北区", "守口市", "守口市", "奈良市", "奈良市", "生駒市"]
    with pytest.raises(ValueError):
        inst.read_master("名前".encode("cp932"))


def test_match_exact_and_suggested(master):
    """Exact after normalising: 青葉会 (legal form dropped), ミドリ (half width), ひかり ((有) vs ㈲). Suggested, not joined:
    星空中央病院 vs 星空会星空中央病院 (fuzz.ratio 2·6/15 = 80), 若草会若草小児科医院 vs 若草会若草小児科 (2·8/18 ≈ 88.9).
    Nothing close for 全然ちがう病院."""
    m = inst.match_names(ledger()["institution"], master).set_index("name")
    assert m.loc["青葉会 あおば整形外科クリニック", "code9"] == "271000001" and m.loc["ミドリ内科医院", "how"] == "exact"
    assert m.loc["(有)ひかり薬局", "code9"] == "271000003"
    star = m.loc["星空中央病院"]
    assert pd.isna(star["code9"]) and star["suggestions"][0][0] == "271000004" and star["suggestions"][0][2] == pytest.approx(80.0)
    assert m.loc["若草会 若草小児科医院", "suggestions"][0][:2] == ("291000005", "一般社団法人 若草会 若草小児科")
    assert m.loc["全然ちがう病院", "suggestions"] == ()
    confirmed = inst.match_names(ledger()["institution"], master, {"星空中央病院": "271000004"}).set_index("name")
    assert confirmed.loc["星空中央病院", "how"] == "confirmed" and confirmed.loc["星空中央病院", "area"] == "守口市"


def test_never_referring_and_area_fill(master):
    """Ledger areas 大阪市北区, 守口市, 奈良市 (ひかり's blank area is filled with 守口市 from the master). Master rows
    there: 6 (生駒市 is outside). Referring in: あおば, ひかり (exact) -> never: ミドリ (only referred out), 星空
    (not confirmed), 若草, そよかぜ = 4. Confirming 星空 and 若草 leaves 2."""
    view = rf.liaison_view(ledger(), master=master, as_of=AS_OF)
    assert sorted(view.never_referring["name"]) == sorted(["ミドリ内科医院", "社会医療法人 星空会 星空中央病院", "一般社団法人 若草会 若草小児科",
                                                         "合同会社 そよかぜ在宅クリニック"])
    assert view.kpis["institutions_never_referring"] == 4
    filled = inst.fill_areas(ledger(), inst.match_names(ledger()["institution"], master))
    assert filled.loc[2, "area"] == "守口市" and filled.loc[0, "area"] == "大阪市北区"
    view = rf.liaison_view(ledger(), master=master, confirmed={"星空中央病院": "271000004", "若草会 若草小児科医院": "291000005"}, as_of=AS_OF)
    assert view.kpis["institutions_never_referring"] == 2
    only_nara = rf.liaison_view(ledger(), master=master, areas=["生駒市"], as_of=AS_OF)
    assert only_nara.never_referring["code9"].tolist() == ["291000007"]
