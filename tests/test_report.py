"""The weekly review (kpi/report.py): this week vs last, the bottleneck's leads, and the workbook (also via the CLI)."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile

import openpyxl
import pandas as pd
import pytest
from conftest import ROOT, SAMPLE

from kpi import funnel, registry, report
from kpi.load import load
from kpi.targets import Targets


def ts(values):
    return pd.to_datetime(pd.Series(values, dtype="object"), format="ISO8601").astype("datetime64[ns]")


def six_leads() -> pd.DataFrame:
    """As of 11-20 (last week = 11-13):
    L1 created 11-01 → contact 11-02 → meeting 11-05 → poc 11-10 → approval 11-12 → collected 11-18 (won)
    L2 created 10-01 → contact 10-10 → meeting 10-15 (open; 36 days in meeting > 30: stalled)
    L3 created 11-01 → contact 11-03 → meeting 11-15 (open; not yet a meeting last week)
    L4 created 11-01 → contact 11-03 (lost)
    L5 created 11-01 (open; 19 days as a lead > 14: stalled)
    L6 created 11-18 (open; not in last week's cohort)"""
    n = None
    return pd.DataFrame({
        "lead_id": ["L1", "L2", "L3", "L4", "L5", "L6"],
        "account": ["ok病院", "@SUM(A1)", "=1+1", "+81-6", "普通", "新規"],
        "owner": ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺"],
        "owner_role": ["field_sales"] * 6,
        "region": ["osaka", "kyoto", "osaka", "nara", "kobe", "osaka"],
        "segment": ["hospital"] * 6,
        "created_at": ts(["2026-11-01", "2026-10-01", "2026-11-01", "2026-11-01", "2026-11-01", "2026-11-18"]),
        "contacted_on": ts(["2026-11-02", "2026-10-10", "2026-11-03", "2026-11-03", n, n]),
        "meeting_on": ts(["2026-11-05", "2026-10-15", "2026-11-15", n, n, n]),
        "poc_on": ts(["2026-11-10", n, n, n, n, n]),
        "approved_on": ts(["2026-11-12", n, n, n, n, n]),
        "collected_on": ts(["2026-11-18", n, n, n, n, n]),
        "status": ["won", "open", "open", "lost", "open", "open"],
        "amount_yen": [500.0, 100.0, 300.0, 50.0, 10.0, 20.0],
        "key_person": ["山田", None, "木村", None, None, None],
    })


AS_OF = pd.Timestamp("2026-11-20")


def test_weekly_review_compares_with_last_week_and_names_the_bottleneck():
    review = report.weekly_review(six_leads(), None, AS_OF, Targets())
    assert review.previous_as_of == pd.Timestamp("2026-11-13")
    comp = review.comparison.set_index("stage")
    # reached now: lead 6, contact 4, meeting 3, poc 1, approval 1, collected 1
    # last week (5 leads created by 11-13; L3 meeting on 11-15 and L1 collected 11-18 are later): 5, 4, 2, 1, 1, 0
    assert list(comp["reached"]) == [6, 4, 3, 1, 1, 1]
    assert list(comp["reached_prev"]) == [5, 4, 2, 1, 1, 0]
    assert list(comp["reached_delta"]) == [1, 0, 1, 0, 0, 1]
    # poc: 1/3 now vs 1/2 last week -> -1/6
    assert comp.loc["poc", "conversion_delta"] == pytest.approx(1 / 3 - 1 / 2)
    # conversion / target: contact 4/6 / .6 = 1.11, meeting 3/4 / .2 = 3.75, poc 1/3 / .4 = 0.83, approval 1/.7, collected 1/.9
    assert review.bottleneck == "poc" and review.step == ("meeting", "poc")
    # lost at meeting -> poc: L2, L3, by amount (300, 100)
    assert list(review.lost_leads["lead_id"]) == ["L3", "L2"]
    # stalled: L2 (36 - 30 = 6 over), L5 (19 - 14 = 5 over); in front of the step (stage meeting): L2 only
    assert list(review.stalled["lead_id"]) == ["L2", "L5"]
    assert list(review.stalled_in_step["lead_id"]) == ["L2"]


def test_weekly_review_uses_the_funnel_module_numbers():
    leads = six_leads()
    review = report.weekly_review(leads, None, AS_OF, Targets())
    pd.testing.assert_frame_equal(review.table, funnel.funnel_table(leads, AS_OF, Targets()))
    assert review.bottleneck == funnel.leads_section(leads, AS_OF, Targets())["bottleneck"]


def test_cause_evidence_flags_causes_whose_habit_number_misses_its_guide():
    review = report.weekly_review(six_leads(), None, AS_OF, Targets())
    by_kpi = {e.kpi: e for e in review.causes}
    # key person: reached meeting L1, L2, L3 -> filled L1, L3 = 2/3 = 0.667 < 0.8 -> yellow (>= 0.64)
    assert by_kpi["key_person_rate"].value == pytest.approx(2 / 3) and by_kpi["key_person_rate"].rag == "yellow"
    assert by_kpi["key_person_rate"].flagged
    # without activities the activity numbers are n/a, never 0, and not flagged
    assert by_kpi["travel_minutes_per_day"].value is None and not by_kpi["travel_minutes_per_day"].flagged
    assert [c for c, _ in report.CAUSES] == ["script", "key_person", "review", "habits", "travel"]


def activities_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "activity_at": ts(["2026-11-16 10:00", "2026-11-16 15:00", "2026-11-17 10:00"]),
        "activity_at_has_time": [True, True, True],
        "rep": ["佐藤", "佐藤", "=HYPERLINK(\"x\")"],
        "type": ["visit", "visit", "visit"],
        "region": ["osaka", "osaka", "kyoto"],
        "travel_minutes": [30.0, 40.0, 90.0],
        "minutes_sent_at": ts(["2026-11-16 18:00", "2026-11-18 10:00", "2026-11-17 11:00"]),
    })


def open_book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def rows_of(ws) -> list[tuple]:
    return [r for r in ws.iter_rows(values_only=True)]


def test_workbook_sheets_numbers_fills_and_print_setup():
    actions = pd.DataFrame({"action": ["=1+1 キーマン確認"], "owner": ["佐藤"], "deadline": [pd.Timestamp("2026-11-27")]})
    data = report.weekly_workbook({"leads": six_leads(), "activities": activities_frame()}, AS_OF, Targets(), actions=actions)
    wb = open_book(data)
    assert wb.sheetnames[:6] == ["KPI表", "ファネル", "ボトルネック", "停滞案件", "アクション", "習慣KPI"]
    # funnel sheet = funnel_table, stage labels in Japanese
    funnel_rows = rows_of(wb["ファネル"])
    assert funnel_rows[0][:3] == ("段階", "到達数", "転換率")
    assert [r[1] for r in funnel_rows[1:7]] == [6, 4, 3, 1, 1, 1]
    assert funnel_rows[4][0] == "PoC" and funnel_rows[4][2] == pytest.approx(1 / 3)
    # the RAG cell of poc (1/3 = 0.333: below 0.4 but >= 0.8 x 0.4 = 0.32 -> yellow) is a filled label
    rag_cell = wb["ファネル"].cell(row=5, column=5)
    assert rag_cell.value == "注意" and rag_cell.fill.fgColor.rgb == "FFFFEB9C"
    assert wb["ファネル"].cell(row=3, column=5).fill.fgColor.rgb == "FFC6EFCE"  # contact 0.667 >= 0.6: green
    # KPI table: the registry's KPIs (their names, layer, cadence, owner), the registry's values, targets and RAG
    kpi = kpi_sheet(wb["KPI表"])
    assert kpi["PoC合意率"][4] == pytest.approx(1 / 3) and kpi["PoC合意率"][7] == pytest.approx(1 / 2)  # last week: 1/2
    # visits/day: 佐藤 2 visits / 1 day, the other rep 1 / 1 -> mean 1.5 ; minutes within: 2 of 3
    assert kpi["1日あたり訪問件数"][4] == 1.5 and kpi["24時間以内議事録送付率"][4] == pytest.approx(2 / 3)
    assert kpi["1日あたり訪問件数"][6] == "未達"  # 1.5 < 0.8 x 2
    # bottleneck sheet names the step; stalled sheet lists L2 then L5
    assert rows_of(wb["ボトルネック"])[0][0] == "今週のボトルネック: 商談 → PoC"
    assert [r[0] for r in rows_of(wb["停滞案件"])[1:]] == ["L2", "L5"]
    # actions passed in are in their sheet; formula-like text stays text everywhere
    assert rows_of(wb["アクション"])[1][:2] == ("=1+1 キーマン確認", "佐藤")
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    lost_accounts = [r[1] for r in rows_of(wb["ボトルネック"]) if r[0] in ("L2", "L3")]
    assert lost_accounts == ["=1+1", "@SUM(A1)"]
    # every sheet: A4 landscape, fitted to one page wide
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape" and str(ws.page_setup.paperSize) == "9", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight in (0, "0"), ws.title
    # a native bar chart of the funnel
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        charts = [n for n in zf.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 1 and b'<c:barDir val="bar"/>' in zf.read(charts[0])


KPI_HEADER_JA = ("層", "KPI", "頻度", "責任者", "値", "目標", "判定", "先週", "備考")


def kpi_sheet(ws) -> dict[str, tuple]:
    """The KPI sheet's rows by KPI name (column B), after the title and header rows."""
    rows = rows_of(ws)
    return {r[1]: r for r in rows[3:] if r[1] is not None}


def test_kpi_sheet_lists_the_registry_kpis_with_their_values_targets_and_rag():
    frames = {"leads": six_leads(), "activities": activities_frame()}
    wb = open_book(report.weekly_workbook(frames, AS_OF, Targets()))
    ws = wb["KPI表"]
    rows = rows_of(ws)
    assert rows[2] == KPI_HEADER_JA
    # every registry KPI of the datasets present, in registry order, by the names the team uses
    expected = [k for k in registry.REGISTRY if k.dataset in frames]
    assert [r[1] for r in rows[3:]] == [k.label[0] for k in expected]
    assert not any(str(r[1]).startswith("転換率") for r in rows[3:])  # the old "転換率 a→b" rows are gone
    values = registry.values(frames, AS_OF, Targets())
    kpi = kpi_sheet(ws)
    # 商談化率 = meeting / contact = 3/4, the registry's number, a 手前・週次 KPI of inside sales, target 20%, green
    meeting = kpi["商談化率"]
    assert meeting[4] == values["meeting_rate"] == 0.75
    assert meeting[:4] == ("手前", "商談化率", "週次", "インサイドセールス")
    assert meeting[5] == pytest.approx(0.2) and meeting[6] == "達成" and meeting[7] == pytest.approx(2 / 4)  # last week 2/4
    assert kpi["稟議通過率"][0] == "結果" and kpi["稟議通過率"][4] == values["approval_rate"] == 1.0
    assert kpi["PoC合意数"][4] == values["poc_count"] == 1
    assert kpi["停滞案件数"][4] == values["stalled_count"] == 2
    # every row's value is the registry's value (n/a where it is null)
    for k in expected:
        shown = kpi[k.label[0]][4]
        assert shown == "n/a" if values[k.key] is None else shown == pytest.approx(values[k.key]), k.key
    # 回収期間: the file has no payback column -> n/a, and the column that would enable it
    payback = kpi["回収期間"]
    assert payback[4] == "n/a" and payback[6] is None
    assert payback[8] == "必要な列: " + registry.input_hint("leads", "payback_months")
    assert payback[5] == Targets().payback_months_max  # its target still shown
    # numbers are formatted per the registry's unit
    by_key = {k.key: i for i, k in enumerate(expected, start=4)}
    assert ws.cell(row=by_key["meeting_rate"], column=5).number_format == "0.0%"
    assert ws.cell(row=by_key["poc_count"], column=5).number_format == "#,##0"
    # a mean of counts (1.5): the registry's unit decides (ratio -> two decimals; a count with a fraction -> one)
    assert ws.cell(row=by_key["visits_per_day"], column=5).number_format == \
        {"ratio": "0.00", "count": "#,##0.0"}[registry.BY_KEY["visits_per_day"].unit]
    # absent datasets: no clinic, onboarding or referral KPI listed
    assert registry.BY_KEY["clinic_visits"].label[0] not in kpi and registry.BY_KEY["graduation_rate"].label[0] not in kpi


def test_kpi_sheet_shows_a_kpi_added_to_the_registry_later(monkeypatch):
    import dataclasses

    added = dataclasses.replace(registry.BY_KEY["meeting_rate"], key="test_added_rate")
    if "label" in {f.name for f in dataclasses.fields(added)}:  # labels declared on the KPI itself
        added = dataclasses.replace(added, label=("追加KPI", "Added KPI"))
    else:  # labels in the strings table the registry reads (kpi/messages.py KPI_TEXT)
        monkeypatch.setitem(registry.KPI_TEXT, "test_added_rate", {**registry.KPI_TEXT["meeting_rate"], "label": ("追加KPI", "Added KPI")})
    monkeypatch.setattr(registry, "REGISTRY", registry.REGISTRY + (added,))
    monkeypatch.setitem(registry.BY_KEY, "test_added_rate", added)
    kpi = kpi_sheet(open_book(report.weekly_workbook({"leads": six_leads()}, AS_OF, Targets()))["KPI表"])
    assert kpi["追加KPI"][4] == kpi["商談化率"][4] == 0.75


def test_a_sheet_whose_module_cannot_be_imported_is_an_error_not_a_missing_sheet(monkeypatch):
    import importlib

    real = importlib.import_module

    def broken(name, *args, **kwargs):
        if name == "kpi.referrals":
            raise ImportError("kpi.referrals is broken")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", broken)
    with pytest.raises(ImportError, match="broken"):
        report.weekly_workbook({"leads": six_leads()}, AS_OF, Targets())
    monkeypatch.setattr(report, "OTHER_DOMAINS", ("clinic", "no_such_domain"))
    monkeypatch.setattr(importlib, "import_module", real)
    with pytest.raises(ModuleNotFoundError):
        report.weekly_workbook({"leads": six_leads()}, AS_OF, Targets())


def test_workbook_in_english_and_without_leads():
    wb = open_book(report.weekly_workbook({"leads": six_leads()}, AS_OF, Targets(), lang="en"))
    assert wb.sheetnames[:5] == ["KPI table", "Funnel", "Bottleneck", "Stalled leads", "Actions"]
    assert rows_of(wb["Funnel"])[0][:2] == ("Stage", "Reached")
    assert rows_of(wb["KPI table"])[2] == ("Layer", "KPI", "Cadence", "Owner", "Value", "Target", "Status", "Last week", "Note")
    meeting = kpi_sheet(wb["KPI table"])[registry.BY_KEY["meeting_rate"].label[1]]
    assert meeting[:4] == ("Leading", "Meeting rate", "Weekly", "Inside sales") and meeting[4] == 0.75
    payback = kpi_sheet(wb["KPI table"])[registry.BY_KEY["payback_months_median"].label[1]]
    assert payback[4] == "n/a" and payback[8].startswith("needs column: ") and "payback_months" in payback[8]
    only_acts = open_book(report.weekly_workbook({"activities": activities_frame()}, None, Targets()))
    assert only_acts.sheetnames[:3] == ["KPI表", "アクション", "習慣KPI"]
    # only the activities KPIs, with no last-week column filled (no leads, no weekly comparison)
    acts_rows = rows_of(only_acts["KPI表"])[3:]
    assert [r[1] for r in acts_rows] == [k.label[0] for k in registry.REGISTRY if k.dataset == "activities"]
    assert all(r[7] is None for r in acts_rows)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kpi", *args], cwd=ROOT, capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture(scope="module")
def demo_frames() -> dict[str, pd.DataFrame]:
    if not (SAMPLE / "leads.xlsx").exists():
        pytest.skip("demo data not generated")
    return {name.split(".")[0]: load((SAMPLE / name).read_bytes(), name).frame for name in ("leads.xlsx", "activities.csv")}


def test_cli_report_on_the_demo_data(tmp_path, demo_frames):
    out = tmp_path / "weekly.xlsx"
    proc = run_cli("report", str(SAMPLE / "leads.xlsx"), str(SAMPLE / "activities.csv"), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    wb = openpyxl.load_workbook(out)
    assert {"KPI表", "ファネル", "ボトルネック", "停滞案件", "アクション", "習慣KPI"} <= set(wb.sheetnames)
    leads = demo_frames["leads"]
    section = funnel.leads_section(leads)
    table = funnel.funnel_table(leads, funnel.default_as_of(leads))
    sheet = rows_of(wb["ファネル"])[1:7]
    assert [r[1] for r in sheet] == [s["reached"] for s in section["funnel"]] == list(table["reached"])
    assert [r[2] for r in sheet][1:] == pytest.approx([s["conversion"] for s in section["funnel"]][1:])
    stage_label = {report.label(f"stage.{s}"): s for s in funnel.STAGES}
    bottleneck_title = rows_of(wb["ボトルネック"])[0][0]
    assert bottleneck_title.endswith("→ " + next(k for k, v in stage_label.items() if v == section["bottleneck"]))
    assert len(rows_of(wb["停滞案件"])) - 1 == len(funnel.stalled_leads(leads, funnel.default_as_of(leads), Targets()))
    # the habits sheet shows the CLI's activities numbers
    metrics = json.loads(run_cli("metrics", str(SAMPLE / "activities.csv"), "--json").stdout)["activities"]
    habits_rows = {r[0]: r[1] for r in rows_of(wb["習慣KPI"])[1:6]}  # named by the registry (issue 12)
    assert habits_rows["24時間以内議事録送付率"] == pytest.approx(metrics["minutes_within_24h_rate"])
    assert habits_rows["1日あたり訪問件数"] == pytest.approx(metrics["visits_per_day"])
    assert habits_rows["1日あたり移動時間"] == pytest.approx(metrics["travel_minutes_per_day"])
    # the KPI sheet shows the CLI's registry values (metrics --json "kpis") of the same files
    kpis = json.loads(run_cli("metrics", str(SAMPLE / "leads.xlsx"), str(SAMPLE / "activities.csv"), "--json").stdout)["kpis"]
    sheet_kpis = kpi_sheet(wb["KPI表"])
    for key in ("meeting_rate", "poc_rate", "approval_rate", "payback_months_median", "minutes_within_24h_rate"):
        shown = sheet_kpis[registry.BY_KEY[key].label[0]][4]
        assert shown == "n/a" if kpis[key] is None else shown == pytest.approx(kpis[key]), key


def test_workbook_lists_the_causes_the_meeting_ticked_first_and_marked():
    """The causes ticked on the weekly page are what the workbook says was decided (not only the computed
    candidates): chosen causes first, marked ✓, each with its numbers in the value column."""
    frames = {"leads": six_leads(), "activities": activities_frame()}
    chosen = ("travel", "key_person")
    rows = rows_of(open_book(report.weekly_workbook(frames, AS_OF, Targets(), causes=chosen))["ボトルネック"])
    head = next(i for i, r in enumerate(rows) if r[0] == "原因（会議で選んだもの ✓ と、裏付けの数字）")
    assert rows[head + 1][:3] == ("会議で選んだ原因", "原因", "KPI")
    body = [r for r in rows[head + 2:] if r[1] is not None and r[0] in ("✓ 選択", None, "")]
    marked = [r[1] for r in body if r[0] == "✓ 選択"]
    assert set(marked) == {"キーマン不明", "移動の非効率"}
    assert [r[1] for r in body][: len(marked)] == marked  # the meeting's choice comes first
    travel = next(r for r in body if r[1] == "移動の非効率")
    assert isinstance(travel[3], (int, float))  # the number sits in the value column
    # without a choice (the CLI's report), the candidates are listed as before, no ✓ column
    plain = rows_of(open_book(report.weekly_workbook(frames, AS_OF, Targets()))["ボトルネック"])
    assert any(r[0] == "原因の候補と裏付けの数字" for r in plain)
    assert not any("✓ 選択" in [c for c in r if isinstance(c, str)] for r in plain)


def test_habits_and_causes_name_registry_kpis_as_the_registry_does():
    """Issue 12: wherever a sheet names a registry KPI, the name is the registry's (label[0] ja, label[1] en), and
    the owner words are kpi.messages.ROLE_LABELS — the same as on the KPI sheet, in both languages."""
    from kpi import habits
    from kpi.messages import ROLE_LABELS

    frames = {"leads": six_leads(), "activities": activities_frame()}
    for lang, side, sheets in (("ja", 0, ("習慣KPI", "ボトルネック", "KPI表")), ("en", 1, ("Habits", "Bottleneck", "KPI table"))):
        wb = open_book(report.weekly_workbook(frames, AS_OF, Targets(), lang=lang))
        habit_rows = rows_of(wb[sheets[0]])
        names = [r[0] for r in habit_rows[1:1 + len(habits.HABIT_KPIS)]]
        assert names == [registry.BY_KEY[k].label[side] for k in habits.HABIT_KPIS]
        owners = [r[4] for r in habit_rows[1:1 + len(habits.HABIT_KPIS)]]
        assert owners == [" / ".join(ROLE_LABELS[r][side] for r in registry.BY_KEY[k].owners) for k in habits.HABIT_KPIS]
        # the per-rep table's KPI columns carry the registry names too
        rep_header = next(r for r in habit_rows if r[0] == report.label("col.rep", lang))
        for key in ("visits_per_day", "travel_minutes_per_day", "minutes_within_24h_rate"):
            assert registry.BY_KEY[key].label[side] in rep_header, key
        # causes: every supporting number is named by the registry, and the KPI sheet uses the same name
        kpi_col = [r[1] for r in rows_of(wb[sheets[1]])]
        kpi_names = set(kpi_sheet(wb[sheets[2]]))
        for cause, keys in report.CAUSES:
            for key in keys:
                assert registry.BY_KEY[key].label[side] in kpi_col and registry.BY_KEY[key].label[side] in kpi_names, key
    ja = rows_of(open_book(report.weekly_workbook(frames, AS_OF, Targets()))["習慣KPI"])
    flat = {c for r in ja for c in r if isinstance(c, str)}
    assert not flat & {"キーマン把握率", "議事録24時間以内送付率", "審査日キャッチ率", "1日あたり移動時間（分）"}  # the old own names


def test_issue15_sheets_remedies_hospital_b2b_and_send_backs_read_back():
    """Issue 15 tables in the workbook, each from the kpi function that computes it: the playbook's remedies for the
    bottleneck and the red KPIs (kpi.playbook), hospital vs general B2B (kpi.funnel.hospital_b2b_funnel), send-backs
    and classified reasons (kpi.funnel.sent_back_trend / reason_ranking). KPIs named by the registry."""
    from kpi import playbook as pb

    leads = six_leads()
    leads["segment"] = ["hospital", "general", "hospital", "general", "hospital", "general"]
    leads["sent_back_count"] = [1, None, None, None, None, None]  # L1 reached PoC (11-10) and was sent back once
    leads["sent_back_reason"] = ["予算が合わない", None, None, None, None, None]
    leads["lost_reason"] = [None, None, None, "競合に決定", None, None]
    frames = {"leads": leads, "activities": activities_frame()}
    wb = open_book(report.weekly_workbook(frames, AS_OF, Targets()))
    assert wb.sheetnames[6:9] == ["打ち手", "病院と一般企業", "差し戻しと理由"]
    # remedies: the bottleneck (meeting -> poc) first, its KPI named as the registry names it, then the red KPIs
    rem = rows_of(wb["打ち手"])
    assert rem[1] == ("KPI", "打ち手", "ボトルネック", "未達")
    calling = pb.kpis_calling(registry.values(frames, AS_OF, Targets()), "poc", Targets())
    expected = pb.remedies_for(pb.default_playbook(), calling, "ja")
    assert [r[1] for r in rem[2:]] == [r.text for r in expected]
    assert rem[2][0] == registry.BY_KEY["poc_rate"].label[0] and rem[2][2] == "✓"
    # hospital vs B2B: the funnel_by numbers of the two segments, stage labels, RAG filled
    table = funnel.hospital_b2b_funnel(leads, AS_OF, Targets())
    hb = rows_of(wb["病院と一般企業"])
    assert hb[0][:4] == ("区分", "段階", "到達数", "転換率")
    assert [r[2] for r in hb[1:]] == list(table["reached"]) and {r[0] for r in hb[1:]} == {"病院", "一般企業"}
    # send-backs: 1 of 1 PoC lead sent back in 2026-11 (the rate named by the registry); reasons classified
    sb = rows_of(wb["差し戻しと理由"])
    head = sb.index(next(r for r in sb if r[0] == "期間"))
    assert sb[head][:4] == ("期間", "案件数", "差し戻し件数", registry.BY_KEY["sent_back_rate"].label[0])
    assert sb[head + 1][:4] == ("2026-11", 1, 1, 1)
    reasons = {(r[0], r[1]): r[2] for r in sb[sb.index(next(r for r in sb if r[0] == "種別")) + 1:] if r[0]}
    assert reasons == {("失注", "競合"): 1, ("差し戻し", "予算・価格"): 1}
    # without send-back or reason columns, no send-backs sheet (and no empty one)
    plain = open_book(report.weekly_workbook({"leads": six_leads()}, AS_OF, Targets(), lang="en"))
    assert "Send-backs" not in plain.sheetnames and "Remedies" in plain.sheetnames


def test_the_habits_sheet_counts_business_days_when_the_team_does():
    """Targets.business_days reaches the workbook's habits sheet (kpi.habits.habits_summary follows the Targets)."""
    from test_habits import BUSINESS

    values = {}
    for on in (False, True):
        wb = open_book(report.weekly_workbook({"activities": BUSINESS}, pd.Timestamp("2026-11-24"), Targets(business_days=on), lang="en"))
        row = next(r for r in rows_of(wb["Habits"]) if r[0] == registry.BY_KEY["minutes_within_24h_rate"].label[1])
        values[on] = row[1]
    assert values == {False: 0.0, True: 0.5}, values
