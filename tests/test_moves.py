"""Moves between two leads snapshots (SPEC section 5): kpi.moves on hand-made frames, `python -m kpi moves`, and the
weekly demo snapshots of sample_data/weekly.py."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd

from conftest import ROOT

from kpi.moves import CATEGORIES, compare
from kpi.targets import STAGES

DATE_COLS = ["created_at", "contacted_on", "meeting_on", "poc_on", "approved_on", "collected_on"]


def leads(rows: list[dict]) -> pd.DataFrame:
    """A validated leads frame (kpi/__init__.py contract) from short dicts; `_row` = Excel row (header on row 1)."""
    out = pd.DataFrame(rows)
    for col in DATE_COLS + ["next_action_on"]:
        out[col] = pd.to_datetime(out[col]) if col in out.columns else pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    if "status" not in out.columns:
        out["status"] = np.where(out["collected_on"].notna(), "won", "open")
    for col in ("lead_id", "status", "account", "owner"):
        if col in out.columns:
            out[col] = out[col].astype("str")
    if "amount_yen" in out.columns:
        out["amount_yen"] = out["amount_yen"].astype(float)
    out["_row"] = np.arange(2, len(out) + 2)
    return out


OLD = leads([
    {"lead_id": "A", "account": "あおば病院", "owner": "佐藤", "created_at": "2026-10-01"},
    {"lead_id": "B", "account": "北野クリニック", "owner": "鈴木", "created_at": "2026-10-01", "contacted_on": "2026-10-03"},
    {"lead_id": "C", "account": "清水医院", "owner": "高橋", "created_at": "2026-10-01", "contacted_on": "2026-10-02",
     "meeting_on": "2026-10-05", "poc_on": "2026-10-10"},
    {"lead_id": "D", "account": "堀川病院", "owner": "田中", "created_at": "2026-10-01", "contacted_on": "2026-10-02"},
    {"lead_id": "E", "account": "消える会社", "owner": "伊藤", "created_at": "2026-10-01"},
    {"lead_id": "F", "account": "負け医院", "owner": "伊藤", "created_at": "2026-10-01", "contacted_on": "2026-10-04"},
])
NEW = leads([
    # A: lead -> meeting with the contact date skipped: forward, jumped (2 steps)
    {"lead_id": "A", "account": "あおば病院", "owner": "佐藤", "created_at": "2026-10-01", "meeting_on": "2026-10-12"},
    # B: contact -> contact, unchanged, but won (status)
    {"lead_id": "B", "account": "北野クリニック", "owner": "鈴木", "created_at": "2026-10-01", "contacted_on": "2026-10-03",
     "status": "won"},
    # C: the poc date was removed: poc -> meeting, backward
    {"lead_id": "C", "account": "清水医院", "owner": "高橋", "created_at": "2026-10-01", "contacted_on": "2026-10-02",
     "meeting_on": "2026-10-05"},
    # D: contact -> meeting, forward by one
    {"lead_id": "D", "account": "堀川病院", "owner": "田中", "created_at": "2026-10-01", "contacted_on": "2026-10-02",
     "meeting_on": "2026-10-13"},
    # F: lost
    {"lead_id": "F", "account": "負け医院", "owner": "伊藤", "created_at": "2026-10-01", "contacted_on": "2026-10-04",
     "status": "lost"},
    # G: only in the newer file
    {"lead_id": "G", "account": "新しい病院", "owner": "佐藤", "created_at": "2026-10-14"},
])


def test_counts_on_hand_made_snapshots():
    m = compare(OLD, NEW)
    assert (m.old_as_of, m.new_as_of) == (pd.Timestamp("2026-10-10"), pd.Timestamp("2026-10-14"))
    assert m.counts() == {"matched": 5, "new": 1, "vanished": 1, "forward": 2, "jumped": 1, "backward": 1,
                          "unchanged": 2, "won": 1, "lost": 1}
    assert m.matrix["lead"]["meeting"] == 1  # the skipped contact date: stage is the furthest date
    assert m.matrix["poc"]["meeting"] == 1 and m.matrix["contact"]["meeting"] == 1 and m.matrix["contact"]["contact"] == 2
    assert set(m.matrix) == set(STAGES) and all(set(row) == set(STAGES) for row in m.matrix.values())
    assert sum(sum(row.values()) for row in m.matrix.values()) == m.matched
    assert list(m.leads_in("jumped")["lead_id"]) == ["A"]
    backward = m.leads_in("backward")[["lead_id", "old_stage", "new_stage"]]
    assert list(backward.itertuples(index=False, name=None)) == [("C", "poc", "meeting")]
    assert sorted(m.leads_in("forward")["lead_id"]) == ["A", "D"]
    assert list(m.leads_in("new")["lead_id"]) == ["G"] and list(m.leads_in("vanished")["account"]) == ["消える会社"]
    assert list(m.leads_in("won")["lead_id"]) == ["B"] and list(m.leads_in("lost")["lead_id"]) == ["F"]
    for category in CATEGORIES:
        assert {"lead_id", "account", "owner", "old_stage", "new_stage"} <= set(m.leads_in(category).columns)
    assert m.warnings == ()


def test_order_of_arguments_does_not_matter():
    forward = compare(OLD, NEW, first_name="old.csv", second_name="new.csv")
    backward = compare(NEW, OLD, first_name="new.csv", second_name="old.csv")
    assert forward.to_json() == backward.to_json()
    assert backward.swapped and not forward.swapped
    assert (backward.old_name, backward.new_name) == ("old.csv", "new.csv")


def test_json_contract():
    out = compare(OLD, NEW).to_json()
    assert list(out) == ["moves"]
    body = out["moves"]
    assert list(body) == ["old_as_of", "new_as_of", "matched", "new", "vanished", "forward", "jumped", "backward",
                          "unchanged", "won", "lost", "matrix"]
    assert body["old_as_of"] == "2026-10-10" and body["new_as_of"] == "2026-10-14"
    assert all(type(body[k]) is int for k in list(body)[2:-1])
    assert all(type(n) is int for row in body["matrix"].values() for n in row.values())
    json.dumps(out)


def test_a_duplicate_lead_id_uses_its_last_row_and_names_the_rows():
    dup = leads([
        {"lead_id": "A", "created_at": "2026-10-01", "contacted_on": "2026-10-02", "meeting_on": "2026-10-05"},
        {"lead_id": "B", "created_at": "2026-10-01"},
        {"lead_id": " A", "created_at": "2026-10-01"},  # the same id once stripped: the last row counts (lead)
    ])
    m = compare(OLD, dup, None, "2026-10-14", "old.csv", "new.csv")
    assert m.matrix["lead"]["lead"] == 1 and m.matrix["contact"]["lead"] == 1  # A: its last row (lead), not meeting
    assert m.matched == 2 and m.vanished == 4
    [notice] = m.warnings
    assert notice.code == "duplicate_lead"
    ja, en = notice.text("ja"), notice.text("en")
    assert "new.csv" in ja and "A（2行目・4行目）" in ja
    assert "rows 2, 4" in en and "new.csv" in en


def test_ids_match_after_nfkc_and_stripping():
    wide = leads([{"lead_id": "Ｌ－００１ ", "created_at": "2026-10-01", "contacted_on": "2026-10-09"}])
    narrow = leads([{"lead_id": "L-001", "created_at": "2026-10-01"}])
    m = compare(narrow, wide, "2026-10-05", "2026-10-12")
    assert (m.matched, m.forward, m.new, m.vanished) == (1, 1, 0, 0)


def test_stage_dates_after_the_as_of_are_ignored_and_later_leads_left_out():
    frame = leads([
        {"lead_id": "A", "created_at": "2026-10-01", "contacted_on": "2026-10-03", "meeting_on": "2026-10-20"},
        {"lead_id": "B", "created_at": "2026-10-15"},
    ])
    m = compare(frame, frame, "2026-10-10", "2026-10-25")
    assert m.matrix["contact"]["meeting"] == 1 and m.new == 1 and m.matched == 1
    assert [w.code for w in m.warnings] == ["after_as_of"] and "1" in m.warnings[0].text("en")


def test_amounts_next_actions_and_owners():
    old = leads([
        {"lead_id": "A", "created_at": "2026-10-01", "amount_yen": 1_000_000, "next_action_on": "2026-10-12", "owner": "佐藤"},
        {"lead_id": "B", "created_at": "2026-10-01", "amount_yen": None, "next_action_on": "2026-10-20", "owner": "鈴木"},
        {"lead_id": "C", "created_at": "2026-10-01", "amount_yen": 500_000, "next_action_on": None, "owner": None},
    ])
    new = leads([
        {"lead_id": "A", "created_at": "2026-10-01", "amount_yen": 800_000, "next_action_on": "2026-10-19", "owner": "佐藤"},
        {"lead_id": "B", "created_at": "2026-10-01", "amount_yen": 300_000, "next_action_on": "2026-10-13", "owner": "鈴木"},
        {"lead_id": "C", "created_at": "2026-10-01", "amount_yen": 500_000, "next_action_on": "2026-10-30", "owner": "高橋"},
    ])
    m = compare(old, new, "2026-10-10", "2026-10-17")
    amounts = m.amount_changes.set_index("lead_id")
    assert set(amounts.index) == {"A", "B"}  # B: an amount entered where there was none
    assert amounts.loc["A", "change"] == -200_000 and np.isnan(amounts.loc["B", "old_amount"])
    pushed = m.next_action_pushed
    assert list(pushed["lead_id"]) == ["A"] and pushed["days_later"].tolist() == [7]  # B came earlier; C had none
    [owner] = m.owner_changes.itertuples(index=False)  # an owner assigned counts as a change
    assert (owner.lead_id, pd.isna(owner.old_owner), owner.new_owner) == ("C", True, "高橋")
    without = compare(old.drop(columns="amount_yen"), new, "2026-10-10", "2026-10-17")
    assert without.amount_changes is None and without.next_action_pushed is not None


def test_equal_as_of_keeps_the_order_given_with_a_warning():
    m = compare(OLD, OLD, first_name="a.csv", second_name="b.csv")
    assert m.unchanged == len(OLD) and [w.code for w in m.warnings] == ["same_as_of"]


def test_empty_snapshots():
    empty = OLD.iloc[0:0]
    m = compare(empty, NEW)
    assert m.new == len(NEW) and m.matched == 0 and m.to_json()["moves"]["old_as_of"] is None


# ---------------------------------------------------------------- the CLI
def run_cli(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kpi", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)


OLDER_CSV = "リードID,取引先名,担当者,リード日,接触日,商談化日,PoC合意日,ステータス\n" \
            "L1,あおば病院,佐藤,2026/10/01,,,,\nL2,北野医院,鈴木,2026/10/01,2026/10/03,,,\n" \
            "L3,清水医院,高橋,2026/10/01,2026/10/02,2026/10/05,2026/10/09,\nL4,消える会社,伊藤,2026/10/02,,,,\n"
NEWER_CSV = "リードID,取引先名,担当者,リード日,接触日,商談化日,PoC合意日,ステータス\n" \
            "L1,あおば病院,佐藤,2026/10/01,,2026/10/12,,\nL2,北野医院,鈴木,2026/10/01,2026/10/03,,,失注\n" \
            "L3,清水医院,高橋,2026/10/01,2026/10/02,2026/10/05,,\nL5,新しい病院,佐藤,2026/10/15,,,,\n" \
            "L5,新しい病院,佐藤,2026/10/15,2026/10/16,,,\n"


def test_cli_moves_json(tmp_path):
    older, newer = tmp_path / "older.csv", tmp_path / "newer.csv"
    older.write_bytes(OLDER_CSV.encode("cp932"))
    newer.write_text(NEWER_CSV, encoding="utf-8")
    proc = run_cli("moves", str(newer), str(older), "--json")  # newer first: ordered by as_of
    assert proc.returncode == 0, proc.stderr
    body = json.loads(proc.stdout)["moves"]
    assert (body["old_as_of"], body["new_as_of"]) == ("2026-10-09", "2026-10-16")
    assert {k: body[k] for k in ("matched", "new", "vanished", "forward", "jumped", "backward", "unchanged", "won", "lost")} == \
        {"matched": 3, "new": 1, "vanished": 1, "forward": 1, "jumped": 1, "backward": 1, "unchanged": 1, "won": 0, "lost": 1}
    assert body["matrix"]["lead"]["meeting"] == 1 and body["matrix"]["poc"]["meeting"] == 1
    assert len(body["matrix"]) == 6 and all(len(r) == 6 for r in body["matrix"].values())
    # the duplicate L5 in the newer file: a warning on stderr naming its rows
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and "newer.csv" in warnings[0] and "L5（5行目・6行目）" in warnings[0]
    text = run_cli("--lang", "en", "moves", str(older), str(newer))
    assert text.returncode == 0 and text.stdout.startswith("moves 2026-10-09 -> 2026-10-16: matched=3 new=1")
    assert "L5 (rows 5, 6)" in text.stderr


def test_cli_moves_refuses_what_is_not_leads(tmp_path):
    leads_file, visits_file, broken = tmp_path / "l.csv", tmp_path / "v.csv", tmp_path / "b.xlsx"
    leads_file.write_text(OLDER_CSV, encoding="utf-8")
    visits_file.write_text("患者ID,来院日\nP1,2026/11/20\n", encoding="utf-8")
    broken.write_bytes(b"PK\x03\x04broken")
    for other, expected in ((visits_file, "v.csv"), (broken, "壊れて"), (tmp_path / "missing.csv", "missing.csv")):
        proc = run_cli("moves", str(leads_file), str(other), "--json")
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 2 and proc.stdout == "", proc.stderr
        assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0] and "Traceback" not in proc.stderr


def test_cli_moves_mapping_applies_in_order(tmp_path):
    older, newer = tmp_path / "o.csv", tmp_path / "n.csv"
    older.write_text("番号,受付,接触\nL1,2026/10/01,\n", encoding="utf-8")
    newer.write_text(NEWER_CSV, encoding="utf-8")
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"kind": "leads", "columns": {"番号": "lead_id", "受付": "created_at", "接触": "contacted_on"}}))
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps({"kind": "leads", "columns": {}}))
    proc = run_cli("moves", str(older), str(newer), "--mapping", str(mapping), "--mapping", str(plain), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["moves"]["matched"] == 1


# ---------------------------------------------------------------- the weekly demo snapshots
def test_weekly_demo_snapshots():
    from sample_data.weekly import LATEST, weekly_snapshots

    snaps = weekly_snapshots()
    assert len(snaps) == 8
    assert [s.as_of for s in snaps] == [LATEST - pd.Timedelta(days=7 * k).to_pytimedelta() for k in range(7, -1, -1)]
    for snap in snaps:
        frame = snap.frame
        assert frame["created_at"].dt.normalize().max() <= pd.Timestamp(snap.as_of)
        for col in DATE_COLS:
            if col in frame.columns:
                assert not (frame[col].dt.normalize() > pd.Timestamp(snap.as_of)).any(), (snap.as_of, col)
        assert frame["status"].isin(["open", "won", "lost"]).all()
    m = compare(snaps[-2].frame, snaps[-1].frame, snaps[-2].as_of, snaps[-1].as_of)
    assert m.forward > 0 and m.backward > 0 and m.new > 0 and m.vanished > 0 and m.unchanged > 0
    assert len(m.amount_changes) > 0 and len(m.next_action_pushed) > 0 and len(m.owner_changes) > 0
    # deterministic: the same frames on a second call
    again = weekly_snapshots()
    assert all(a.frame.equals(b.frame) for a, b in zip(snaps, again))


def test_leads_in_a_cell_add_up_to_the_matrix():
    from sample_data.weekly import weekly_snapshots

    a, b = weekly_snapshots()[-2:]
    m = compare(a.frame, b.frame, a.as_of, b.as_of)
    for old, row in m.matrix.items():
        for new, n in row.items():
            assert len(m.leads_in_cell(old, new)) == n
