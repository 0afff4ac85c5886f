"""`python -m kpi validate` (SPEC section 3) and the real public files in ../shared/realdata."""
from __future__ import annotations

import io
import json
import subprocess
import sys

import pandas as pd
import pytest

from conftest import ROOT, realdata

MAPPINGS = ROOT / "examples" / "mappings"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kpi", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_validate_json_contract(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_bytes("リードID,リード日,金額\nA1,2026/11/01,12万円\nA2,不明,-5\n".encode("cp932"))
    proc = run_cli("validate", str(path), "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert {"kind", "rows_read", "rows_valid", "rows_rejected", "errors", "warnings"} <= set(out)
    assert (out["kind"], out["rows_read"], out["rows_valid"], out["rows_rejected"]) == ("leads", 2, 1, 1)
    assert out["errors"] == [
        {"row": 3, "column": "リード日", "value": "不明", "message": out["errors"][0]["message"]},
        {"row": 3, "column": "金額", "value": "-5", "message": out["errors"][1]["message"]},
    ]
    assert "日付" in out["errors"][0]["message"]


def test_validate_english_messages(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_bytes("リードID,リード日\nA2,不明\n".encode("cp932"))
    out = json.loads(run_cli("--lang", "en", "validate", str(path), "--json").stdout)
    assert out["errors"][0]["message"].startswith("'不明' is not a date")


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"", "空"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "Excel"),
        (b"PK\x03\x04broken", "壊れて"),
        ("a,b\n1,2\n".encode(), "判別できません"),
    ],
)
def test_unreadable_file_exits_2_with_one_error_line(tmp_path, content, expected):
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    proc = run_cli("validate", str(path), "--json")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0]
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_missing_file_and_bad_mapping_exit_2(tmp_path):
    proc = run_cli("validate", str(tmp_path / "nope.csv"))
    assert proc.returncode == 2 and proc.stderr.startswith("error: ")
    bad = tmp_path / "m.json"
    bad.write_text("{not json")
    good = tmp_path / "x.csv"
    good.write_text("リードID,リード日\nA,2026/1/1\n")
    proc = run_cli("validate", str(good), "--mapping", str(bad))
    assert proc.returncode == 2 and "対応付け" in proc.stderr


def test_kind_and_sheet_options(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("患者ID,来院日\nP1,2026/11/20\n")
    out = json.loads(run_cli("validate", str(path), "--kind", "visits", "--json").stdout)
    assert out["kind"] == "visits"
    proc = run_cli("validate", str(path), "--kind", "leads")
    assert proc.returncode == 2 and "リードID" in proc.stderr


# ---------------------------------------------------------------- real public files
def test_real_appointments_as_visits_through_saved_mapping():
    path = realdata("noshow_kaggle", "KaggleV2-May-2016.csv")
    out = json.loads(run_cli("validate", str(path), "--mapping", str(MAPPINGS / "kaggle_noshow_visits.json"), "--json").stdout)
    # PROVENANCE.md: 110,527 data rows; none lacks an id or a date, so all are valid.
    assert (out["kind"], out["rows_read"], out["rows_valid"], out["rows_rejected"]) == ("visits", 110527, 110527, 0)


def test_real_appointments_keep_odd_patient_ids_as_text():
    from kpi.load import ColumnMapping, load

    path = realdata("noshow_kaggle", "KaggleV2-May-2016.csv")
    mapping = ColumnMapping.from_json((MAPPINGS / "kaggle_noshow_visits.json").read_text())
    frame = load(path.read_bytes(), path.name, mapping=mapping).frame
    assert "9377952927E-5" in set(frame["patient_id"])
    assert frame["patient_id"].nunique() == 62299  # PROVENANCE: 62,299 distinct ids
    assert (frame["status"] == "no_show").sum() == 22319  # PROVENANCE: 22,319 "Yes"


def test_real_crm_pipeline_as_leads_through_saved_mapping():
    path = realdata("crm_sales_opportunities", "sales_pipeline.csv")
    out = json.loads(run_cli("validate", str(path), "--mapping", str(MAPPINGS / "maven_crm_leads.json"), "--json").stdout)
    # 500 Prospecting deals have no engage_date, which is the required created_at: rejected, listed.
    assert (out["rows_read"], out["rows_valid"], out["rows_rejected"]) == (8800, 8300, 500)
    assert {e["column"] for e in out["errors"]} == {"engage_date"}
    assert len(out["errors"]) == 500


def test_real_nara_cp932_file_is_read_and_reported():
    path = realdata("nara_city_facilities_cp932", "029201_public_facility_20170526.csv")
    proc = run_cli("validate", str(path))
    # Not a sales file: it is decoded (cp932, ㎡ included) and answered with a plain request to map columns.
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "必須列が見つかりません" in proc.stderr and "Traceback" not in proc.stderr
    from kpi.load import read_table

    table = read_table(path.read_bytes(), path.name)
    assert table.encoding == "cp932" and len(table.cells) == 423  # header + 422 rows


def test_real_government_workbook_reiwa_dates_header_on_row_4():
    path = realdata("kinki_kouseikyoku_nara_xlsx", "2025.10_sisetukijun_nara_ika.xlsx")
    mapping = MAPPINGS / "kinki_facility_filings_as_referrals.json"
    out = json.loads(run_cli("validate", str(path), "--mapping", str(mapping), "--json").stdout)
    assert out["header_row"] == 4 and out["rows_read"] == 9555
    # PROVENANCE: 令和 6,126 + 平成 3,306 + 昭和 1 dates parse; the 122 empty ones are rejected (required).
    assert (out["rows_valid"], out["rows_rejected"]) == (6126 + 3306 + 1, 122)


# ---------------------------------------------------------------- issue 14 (SPEC 7)
VISITS_CSV = "PatientId,Day,No-show\n1,2026/05/01,Yes\n2,2026/05/01,No\n"


def _one_error_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in proc.stderr and proc.stdout == "", proc.stderr
    return lines[0]


@pytest.mark.parametrize("mapping, entry", [
    ({"kind": "visits", "columns": {"PatientId": "patient_id", "Day": "visit_on", "No-show": "status"},
      "values": {"status": {"Yes": "no-show", "No": "attended"}}}, '"values" → "status" → "Yes": "no-show"'),
    ({"kind": "visits", "columns": {"PatientId": "patient_id", "Day": "visit_on"}, "constants": {"clinic": {"a": 1}}},
     '"constants" → "clinic": {"a": 1}'),
    ({"kind": "visits", "columns": {"PatientId": "patient_id", "Day": "visit_on", "Gender": "sex"}}, '"columns" → "Gender": "sex"'),
    # no kind in the mapping: checked once the file reads as visits
    ({"columns": {"PatientId": "patient_id", "Day": "visit_on", "No-show": "status"}, "values": {"status": {"Yes": "lost"}}},
     '"values" → "status" → "Yes": "lost"'),
])
def test_mapping_entry_that_cannot_be_used_exits_2_naming_the_entry(tmp_path, mapping, entry):
    """Before issue 14: "no-show" made both rows valid and then vanished from the cancel rate; a dict constant
    ended in "TypeError" blamed on the data file."""
    data = tmp_path / "visits.csv"
    data.write_text(VISITS_CSV)
    path = tmp_path / "m.json"
    path.write_text(json.dumps(mapping, ensure_ascii=False))
    for command in (["validate", str(data)], ["metrics", str(data)]):
        line = _one_error_line(run_cli(*command, "--mapping", str(path)))
        assert entry in line and "対応付けファイル" in line and "使えません" in line, line


def test_mapping_error_names_the_mapping_file(tmp_path):
    data = tmp_path / "visits.csv"
    data.write_text(VISITS_CSV)
    path = tmp_path / "my_mapping.json"
    path.write_text('{"kind": "visits", "values": {"status": {"Yes": "no-show"}}}')
    assert "my_mapping.json" in _one_error_line(run_cli("validate", str(data), "--mapping", str(path)))


def test_mapped_header_the_file_lacks_is_a_warning(tmp_path):
    data = tmp_path / "visits.csv"
    data.write_text(VISITS_CSV)
    path = tmp_path / "m.json"
    path.write_text('{"kind": "visits", "columns": {"PatientId": "patient_id", "Day": "visit_on", "No-show": "status", "Clinic": "clinic"},'
                    ' "values": {"status": {"Yes": "no_show", "No": "attended"}}}')
    proc = run_cli("validate", str(data), "--mapping", str(path), "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert (out["rows_read"], out["rows_valid"]) == (2, 2)
    assert [(w["column"], w["value"]) for w in out["warnings"]] == [("Clinic", "clinic")]


def test_header_only_file_exits_0_with_no_rows(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_bytes("リードID,リード日,金額\n".encode("cp932"))
    proc = run_cli("--lang", "en", "validate", str(path), "--json")
    assert proc.returncode == 0, proc.stderr  # before issue 14: exit 2, "no data rows"
    out = json.loads(proc.stdout)
    assert (out["kind"], out["rows_read"], out["rows_valid"], out["rows_rejected"]) == ("leads", 0, 0, 0)
    assert [w["message"] for w in out["warnings"]] == ["no rows: the file has a header but no data rows"]


@pytest.mark.parametrize("content, words", [
    ("患者ID,来院日,カルテ番号\nP1,2026/11/01,K1\n", ["「患者ID」（A列）", "「カルテ番号」（C列）"]),
    ("患者ID,来院日,患者ID\nP1,2026/11/01,K1\n", ["「患者ID」（A列）", "「患者ID」（C列）"]),
    ("リードID;リード日;金額\nA1;2026/11/01;1\n", ["「;」"]),
    ("リードID|リード日\nA1|2026/11/01\n", ["「|」"]),
])
def test_ambiguous_columns_and_other_separators_exit_2_with_one_line(tmp_path, content, words):
    path = tmp_path / "f.csv"
    path.write_bytes(content.encode("cp932"))
    line = _one_error_line(run_cli("validate", str(path)))
    assert line.startswith("error: f.csv: ") and all(w in line for w in words), line


def test_hidden_sheet_is_skipped_and_can_be_named(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["リードID", "リード日"])
    wb.active.append(["V1", "2026/11/01"])
    hidden = wb.create_sheet("隠し")
    hidden.sheet_state = "hidden"
    for row in (["リードID", "リード日", "金額", "取引先"], ["H1", "2026/11/01", 1, "x"], ["H2", "2026/11/01", 1, "x"]):
        hidden.append(row)
    path = tmp_path / "book.xlsx"
    wb.save(path)
    assert json.loads(run_cli("validate", str(path), "--json").stdout)["rows_read"] == 1
    out = json.loads(run_cli("validate", str(path), "--sheet", "隠し", "--json").stdout)
    assert (out["sheet"], out["rows_read"]) == ("隠し", 2)


# ------------------------------------------------------------------ issue 12: a command imports what it needs
_MODULES_AFTER = """
import json, sys
from kpi.__main__ import main
code = main({argv!r})
print(json.dumps({{"code": code, "modules": sorted(sys.modules)}}), file=sys.stderr)
"""


def modules_after(*argv: str) -> set[str]:
    """The modules loaded once the CLI's ``main(argv)`` has run in a fresh interpreter."""
    proc = subprocess.run([sys.executable, "-c", _MODULES_AFTER.format(argv=list(argv))], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    out = json.loads(proc.stderr.strip().splitlines()[-1])
    assert out["code"] == 0, proc.stderr
    return {m.split(".")[0] if not m.startswith("kpi") else m for m in out["modules"]}


def test_commands_import_only_what_they_need(tmp_path):
    leads = tmp_path / "leads.csv"
    leads.write_bytes("リードID,リード日,商談化日\nA1,2026/11/01,2026/11/05\n".encode("cp932"))
    never = {"streamlit", "altair", "openpyxl", "xlsxwriter", "duckdb", "kpi.report", "kpi.export", "kpi.history"}
    metrics = modules_after("metrics", str(leads), "--json")
    assert not metrics & never, metrics & never
    assert {"kpi.load", "kpi.metrics", "kpi.registry", "kpi.funnel"} <= metrics
    kpis = modules_after("kpis", "--json")  # the registry only: no loader, no pydantic
    assert not kpis & (never | {"kpi.load", "pydantic"}), kpis & (never | {"kpi.load", "pydantic"})


def test_the_process_exits_with_its_code_and_complete_output(tmp_path):
    """``python -m kpi`` leaves without the interpreter's teardown (issue 12): the output is flushed first and the
    exit code kept, also for errors."""
    leads = tmp_path / "leads.csv"
    leads.write_bytes("リードID,リード日,商談化日\nA1,2026/11/01,2026/11/05\n".encode("cp932"))
    ok = run_cli("metrics", str(leads), "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["leads"]["rows"] == 1
    bad = run_cli("metrics", str(tmp_path / "missing.csv"))
    assert bad.returncode == 2 and bad.stderr.startswith("error: ") and bad.stdout == ""


# ------------------------------------------------------------------ issue 12: the workbook read ahead of the imports
def _workbook(rows_by_sheet: dict[str, list[list]], hidden: tuple[str, ...] = ()) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in rows_by_sheet.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        if name in hidden:
            ws.sheet_state = "hidden"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_the_read_ahead_module_imports_neither_pandas_nor_pydantic():
    """What lets the CLI read a workbook while pandas and pydantic are still importing."""
    code = "import sys, kpi.ingest.xlsx_arrow; print(sorted(m for m in ('pandas', 'pydantic', 'kpi.schemas') if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stdout + proc.stderr


def test_a_workbook_read_ahead_loads_exactly_as_without():
    from kpi.ingest import xlsx_arrow
    from kpi.load import load

    data = _workbook({"メモ": [["社内用"]],
                      "リード": [["リードID", "リード日", "商談化日"], ["A1", "2026/11/01", "2026/11/05"], ["A2", "不明", None]],
                      "隠し": [["リードID", "リード日"], ["H1", "2026/11/02"]]}, hidden=("隠し",))
    plain = load(bytes(data), "book.xlsx")  # another bytes object: never matched to a read-ahead
    assert xlsx_arrow.read_ahead(data, None) is True
    ahead = load(data, "book.xlsx")
    assert not xlsx_arrow._AHEAD  # taken
    pd.testing.assert_frame_equal(ahead.frame, plain.frame)
    assert ahead.report.to_json("ja") == plain.report.to_json("ja")
    assert (ahead.report.sheet, ahead.report.rows_read, ahead.report.rows_rejected) == ("リード", 2, 1)
    # a read-ahead of another sheet is not used for this one (and is dropped)
    assert xlsx_arrow.read_ahead(data, "隠し") is True
    assert xlsx_arrow.take_read_ahead(data, None) is None and not xlsx_arrow._AHEAD
    assert xlsx_arrow.read_ahead(b"a,b\n1,2\n") is False  # text is never read ahead


def test_a_read_ahead_refusal_is_raised_by_load_where_it_always_was(monkeypatch):
    from kpi.ingest import xlsx_arrow
    from kpi.load import LoadError, load

    broken = b"PK\x03\x04broken"
    assert xlsx_arrow.read_ahead(broken, None) is True  # the guard refuses it: kept, not raised here
    with pytest.raises(LoadError) as refused:
        load(broken, "b.xlsx")
    assert refused.value.code == "broken_xlsx" and "壊れて" in refused.value.message("ja")

    def calamine_fails(data, sheet):  # the thread's own failure reaches the main thread as it was raised
        raise LoadError("too_large", what="read-ahead")

    data = _workbook({"リード": [["リードID", "リード日"], ["A1", "2026/11/01"]]})
    assert load(bytes(data), "book.xlsx").report.rows_valid == 1  # a sound workbook
    monkeypatch.setattr(xlsx_arrow, "_read_guarded", calamine_fails)
    xlsx_arrow.read_ahead(data, None)
    with pytest.raises(LoadError) as failed:
        load(data, "book.xlsx")
    assert (failed.value.code, failed.value.params) == ("too_large", {"what": "read-ahead"})


def test_metrics_on_a_workbook_is_the_same_through_the_command_line(tmp_path):
    """The command line reads its first workbook ahead; the numbers are the loader's own."""
    from kpi.load import load
    from kpi.metrics import metrics
    from kpi.registry import values
    from kpi.targets import Targets

    data = _workbook({"リード": [["リードID", "リード日", "商談化日", "地域"], ["A1", "2026/11/01", "2026/11/05", "大阪"],
                                ["A2", "2026/11/02", None, "京都"], ["A3", "2026/11/03", None, "奈良"]]})
    path = tmp_path / "leads.xlsx"
    path.write_bytes(data)
    frames = {"leads": load(data, "leads.xlsx").frame}
    expected = metrics(frames, None, Targets())
    expected["kpis"] = values(frames, None, Targets(), sections=expected)
    proc = run_cli("metrics", str(path), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == json.loads(json.dumps(expected, ensure_ascii=False))
