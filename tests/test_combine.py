"""Several files of one kind (SPEC section 7): combined, the same bytes once, overlaps warned — CLI and app alike."""
from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd

from conftest import APP, ROOT

from kpi.combine import Part, combine_parts
from kpi.load import load

VISITS_WITH_FLAG = "患者ID,来院日,初診\nP1,2026/10/01,○\nP2,2026/10/02,×\nP1,2026/10/08,×\n".encode("cp932")
VISITS_WITHOUT_FLAG = "患者ID,来院日\nP3,2026/10/03\nP3,2026/10/09\n".encode("cp932")


def part(name: str, data: bytes) -> Part:
    import hashlib

    result = load(data, name)
    return Part(name, hashlib.sha256(data).hexdigest(), result.report.kind, result.frame)


def test_same_bytes_count_once_with_a_note():
    c = combine_parts([part("v.csv", VISITS_WITH_FLAG), part("v_copy.csv", VISITS_WITH_FLAG)])
    assert len(c.frames["visits"]) == 3  # not 6
    assert [n.code for n in c.notes] == ["same_file"]
    assert "v_copy.csv" in c.notes[0].text("ja") and "v.csv" in c.notes[0].text("en")


def test_first_visit_flag_only_when_every_file_has_it():
    c = combine_parts([part("a.csv", VISITS_WITH_FLAG), part("b.csv", VISITS_WITHOUT_FLAG)])
    frame = c.frames["visits"]
    assert "first_visit" not in frame.columns and len(frame) == 5
    note = next(n for n in c.notes if n.code == "first_visit_partial")
    assert "a.csv" in note.text("ja") and "b.csv" in note.text("ja")
    # both files with the flag: it stays
    both = combine_parts([part("a.csv", VISITS_WITH_FLAG), part("c.csv", VISITS_WITH_FLAG.replace(b"P", b"Q"))])
    assert "first_visit" in both.frames["visits"].columns and not both.notes


def test_identical_activity_rows_across_files_count_once():
    day = "活動日,担当者,種別,移動時間(分)\n2026/11/02,田中,訪問,30\n2026/11/02,田中,訪問,30\n2026/11/03,田中,訪問,40\n"
    other = "活動日,担当者,種別,移動時間(分)\n2026/11/02,田中,訪問,30\n2026/11/04,佐藤,訪問,20\n"
    c = combine_parts([part("a.csv", day.encode()), part("b.csv", other.encode())])
    frame = c.frames["activities"]
    # a.csv's own repeated row stays (two visits that day); b.csv's copy of it is counted once
    assert len(frame) == 4
    note = next(n for n in c.notes if n.code == "identical_rows")
    assert note.params["count"] == 1 and "1" in note.text("ja")


def test_lead_in_two_files_last_file_wins():
    older = "リードID,リード日,金額\nL1,2026/11/01,100\nL2,2026/11/01,200\n".encode()
    newer = "リードID,リード日,金額\nL2,2026/11/01,999\nL3,2026/11/02,300\n".encode()
    c = combine_parts([part("osaka.csv", older), part("kyoto.csv", newer)])
    leads = c.frames["leads"].set_index("lead_id")
    assert sorted(leads.index) == ["L1", "L2", "L3"] and leads.loc["L2", "amount_yen"] == 999
    note = next(n for n in c.notes if n.code == "lead_in_two_files")
    assert note.params == {"count": 1, "older": "osaka.csv", "newer": "kyoto.csv"}


def test_two_leads_exports_of_one_week_are_one_week():
    osaka = "リードID,リード日,地域\n" + "".join(f"O{i},2026/11/0{1 + i % 5},大阪\n" for i in range(30))
    kyoto = "リードID,リード日,地域\n" + "".join(f"K{i},2026/10/2{i % 5},京都\n" for i in range(20))
    c = combine_parts([part("osaka.csv", osaka.encode()), part("kyoto.csv", kyoto.encode())])
    assert len(c.frames["leads"]) == 50 and not c.notes


def test_cli_metrics_counts_a_repeated_file_once_and_warns(tmp_path):
    a = tmp_path / "a.csv"
    a.write_bytes(VISITS_WITH_FLAG)
    b = tmp_path / "b.csv"
    b.write_bytes(VISITS_WITH_FLAG)
    c = tmp_path / "c.csv"
    c.write_bytes(VISITS_WITHOUT_FLAG)
    run = subprocess.run([sys.executable, "-m", "kpi", "metrics", str(a), str(b), str(c), "--json"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    october = next(m for m in out["visits"]["monthly"] if m["month"] == "2026-10")
    assert october["visits"] == 5  # 3 + 2, the copy of a.csv not counted
    assert run.stderr.count("warning:") == 2 and "b.csv" in run.stderr and "初診" in run.stderr


def test_app_two_visits_files_one_with_first_visit_column_renders_the_clinic_page():
    """Issue 17, crash 1: the clinic page crashed ("Cannot mask with non-boolean array containing NA")."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.sidebar.file_uploader[0].set_value([("a.csv", VISITS_WITH_FLAG, "text/csv"), ("b.csv", VISITS_WITHOUT_FLAG, "text/csv")]).run()
    at.switch_page("app_pages/clinic.py").run()
    assert not at.exception, [e.value for e in at.exception]
    sidebar = "\n".join(str(c.value) for c in at.sidebar.caption)
    assert "初診の列が一部のファイル" in sidebar


def test_app_same_file_twice_counts_once_and_the_data_page_renders():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.sidebar.file_uploader[0].set_value([("v.csv", VISITS_WITH_FLAG, "text/csv"), ("v (1).csv", VISITS_WITH_FLAG, "text/csv")]).run()
    assert len(at.session_state["frames"]["visits"]) == 3
    at.switch_page("app_pages/data.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert isinstance(at.session_state["frames"]["visits"], pd.DataFrame)


def test_a_corrected_upload_replaces_the_file_it_fixes_in_the_app_only():
    """Issue 14 item 4: the same file name uploaded again with other bytes is the corrected version (the app); in the
    CLI two files of one name are two folders' parts of the week."""
    parts = [part("visits.csv", "患者ID,来院日\nP1,2026/10/01\nP2,2026/10/02\n".encode()),
             part("visits.csv", "患者ID,来院日\nP1,2026/10/01\nP2,2026/10/03\nP3,2026/10/04\n".encode())]
    app = combine_parts(parts, corrected_by_name=True)
    assert len(app.frames["visits"]) == 3 and [n.code for n in app.notes] == ["corrected_file"]
    assert "修正版" in app.notes[0].text("ja") and "corrected" in app.notes[0].text("en")
    cli = combine_parts(parts)
    assert len(cli.frames["visits"]) == 4 and all(n.code != "corrected_file" for n in cli.notes)  # P1 identical: once
