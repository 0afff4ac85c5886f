"""The weekly history store (SPEC section 5): kpi.history.Store and `python -m kpi history …`."""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, SAMPLE

duckdb = pytest.importorskip("duckdb")

from kpi import registry  # noqa: E402
from kpi.history import SCHEMA_VERSION, HistoryError, Store  # noqa: E402
from kpi.load import load  # noqa: E402
from kpi.moves import compare  # noqa: E402


def sample(name: str) -> pd.DataFrame:
    return load((SAMPLE / name).read_bytes(), name).frame


@pytest.fixture(scope="module")
def sample_leads() -> pd.DataFrame:
    return sample("leads.xlsx")


def small_leads(week: str, n: int = 5, stage_shift: int = 0) -> pd.DataFrame:
    created = pd.Timestamp(week) - pd.Timedelta(days=10)
    frame = pd.DataFrame({
        "lead_id": pd.Series([f"L{i}" for i in range(n)], dtype="str"),
        "account": pd.Series([f"病院{i}" for i in range(n)], dtype="str"),
        "created_at": pd.Series([created] * n, dtype="datetime64[ns]"),
        "contacted_on": pd.Series([created + pd.Timedelta(days=1) if i < 2 + stage_shift else pd.NaT for i in range(n)],
                                  dtype="datetime64[ns]"),
        "status": pd.Series(["open"] * n, dtype="str"),
        "region": pd.Series(["osaka"] * n, dtype="str"),
        "segment": pd.Series(["hospital"] * n, dtype="str"),
    })
    frame["_row"] = np.arange(2, n + 2)
    return frame


def test_add_list_load_round_trip(tmp_path, sample_leads):
    store = Store(tmp_path / "ws.duckdb")
    assert store.list_snapshots() == [] and not (tmp_path / "ws.duckdb").exists()  # a read creates nothing
    [snap] = store.add_snapshot(sample_leads, source="leads.xlsx")
    assert (snap.week.isoformat(), snap.kind, snap.rows, snap.source) == ("2026-11-22", "leads", len(sample_leads), "leads.xlsx")
    back = store.load_snapshot("2026-11-22", "leads")
    pd.testing.assert_frame_equal(back, sample_leads.reset_index(drop=True))
    assert store.load_snapshot("2026-11-15", "leads") is None
    assert [s.to_json()["week"] for s in store.list_snapshots()] == ["2026-11-22"]
    # the store file and its key file: mode 0600
    assert oct((tmp_path / "ws.duckdb").stat().st_mode & 0o777) == "0o600"
    assert oct((tmp_path / "ws.duckdb.key").stat().st_mode & 0o777) == "0o600"
    assert store.schema_version() == SCHEMA_VERSION


def test_re_adding_a_week_replaces_it(tmp_path):
    store = Store(tmp_path / "ws.duckdb")
    store.add_snapshot(small_leads("2026-11-22", 5), "2026-11-22", "first.csv")
    store.add_snapshot(small_leads("2026-11-22", 3), "2026-11-22", "second.csv")
    [snap] = store.list_snapshots()
    assert (snap.rows, snap.source) == (3, "second.csv")
    assert len(store.load_snapshot("2026-11-22", "leads")) == 3
    assert store.trend(["lead_count"]) == [{"week": snap.week, "kpis": {"lead_count": 3}}]


def test_trend_is_the_registry_values_as_of_each_week(tmp_path, sample_leads):
    store = Store(tmp_path / "ws.duckdb")
    acts = sample("activities.csv")
    store.add_snapshot({"leads": sample_leads, "activities": acts}, None, {"leads": "leads.xlsx", "activities": "activities.csv"})
    store.add_snapshot(sample_leads, "2026-11-15", "leads.xlsx")
    weeks = store.trend()
    assert [w["week"].isoformat() for w in weeks] == ["2026-11-15", "2026-11-22"]  # oldest first
    assert set(weeks[0]["kpis"]) == set(registry.BY_KEY)
    expected = registry.values({"leads": sample_leads, "activities": acts}, pd.Timestamp("2026-11-22").date())
    assert weeks[1]["kpis"] == pytest.approx(expected)
    earlier = registry.values({"leads": sample_leads}, pd.Timestamp("2026-11-15").date())
    assert weeks[0]["kpis"] == pytest.approx(earlier) and weeks[0]["kpis"]["minutes_within_24h_rate"] is None
    assert type(weeks[1]["kpis"]["lead_count"]) is int
    assert store.trend(["meeting_rate"])[1] == {"week": weeks[1]["week"], "kpis": {"meeting_rate": expected["meeting_rate"]}}
    with pytest.raises(HistoryError) as err:
        store.trend(["no_such_kpi"])
    assert err.value.code == "unknown_kpi"
    frame = store.trend_frame(["lead_count", "meeting_rate"])
    assert list(frame.columns) == ["week", "lead_count", "meeting_rate"] and len(frame) == 2


def test_forget_a_kind_recomputes_the_week_and_forget_all_removes_the_files(tmp_path, sample_leads):
    store = Store(tmp_path / "ws.duckdb")
    store.add_snapshot({"leads": sample_leads, "activities": sample("activities.csv")}, "2026-11-22", "x")
    store.add_snapshot(sample_leads, "2026-11-15", "x")
    assert store.trend(["minutes_within_24h_rate"])[1]["kpis"]["minutes_within_24h_rate"] is not None
    assert store.forget("2026-11-22", "activities") == 1
    assert [(s.week.isoformat(), s.kind) for s in store.list_snapshots()] == [("2026-11-15", "leads"), ("2026-11-22", "leads")]
    assert store.trend(["minutes_within_24h_rate"])[1]["kpis"]["minutes_within_24h_rate"] is None
    assert store.load_snapshot("2026-11-22", "activities") is None
    assert store.forget("2026-11-15") == 1 and store.forget("2026-11-15") == 0
    assert [w["week"].isoformat() for w in store.trend()] == ["2026-11-22"]
    store.forget_all()
    assert sorted(os.listdir(tmp_path)) == []
    assert store.list_snapshots() == []


def test_moves_default_to_the_latest_two_leads_snapshots(tmp_path):
    from sample_data.weekly import weekly_snapshots

    snaps = weekly_snapshots()[-3:]
    store = Store(tmp_path / "ws.duckdb")
    for s in snaps:
        store.add_snapshot(s.frame, s.as_of, s.name)
    m = store.moves()
    expected = compare(snaps[1].frame, snaps[2].frame, snaps[1].as_of, snaps[2].as_of)
    assert m.to_json() == expected.to_json() and m.forward > 0
    assert store.moves(snaps[0].as_of).to_json()["moves"]["new_as_of"] == snaps[2].as_of.isoformat()
    assert store.moves(to_week=snaps[1].as_of).to_json()["moves"]["old_as_of"] == snaps[0].as_of.isoformat()
    with pytest.raises(HistoryError) as err:
        store.moves("2020-01-01")
    assert err.value.code == "no_snapshot"


def test_weeks_unmoved(tmp_path):
    store = Store(tmp_path / "ws.duckdb", stalled_after=3)
    weeks = ["2026-11-01", "2026-11-08", "2026-11-15", "2026-11-22"]
    for i, week in enumerate(weeks):
        frame = small_leads("2026-11-01", 5)
        # L0 sits at contact all along; L2 gets its contact date in the third week; L3 is missing in the second
        if i >= 2:
            frame.loc[2, "contacted_on"] = pd.Timestamp("2026-11-10")
        if i == 1:
            frame = frame[frame["lead_id"] != "L3"]
        if i == 3:
            frame.loc[4, "status"] = "lost"
        store.add_snapshot(frame, week, f"w{i}.csv")
    table = store.weeks_unmoved().set_index("lead_id")
    assert table.loc["L0", "weeks_unmoved"] == 4 and table.loc["L0", "stage"] == "contact" and table.loc["L0", "stalled"]
    assert table.loc["L2", "weeks_unmoved"] == 2 and not table.loc["L2", "stalled"]
    assert table.loc["L3", "weeks_unmoved"] == 2  # absent from the second snapshot: the run starts after it
    assert table.loc["L3", "since"] == pd.Timestamp("2026-11-15")
    assert "L4" not in table.index  # lost in the latest: only open leads
    assert store.weeks_unmoved("2026-11-15").set_index("lead_id").loc["L0", "weeks_unmoved"] == 3


def test_weeks_unmoved_takes_the_last_row_of_a_duplicate_lead_id(tmp_path):
    store = Store(tmp_path / "ws.duckdb")
    for week in ("2026-11-08", "2026-11-15"):
        store.add_snapshot(small_leads("2026-11-01", 3), week, "w.csv")
    frame = small_leads("2026-11-01", 3)
    extra = frame.iloc[[0]].assign(contacted_on=pd.NaT, _row=9)  # L0 again, later in the file, back at lead
    store.add_snapshot(pd.concat([frame, extra], ignore_index=True), "2026-11-22", "w.csv")
    table = store.weeks_unmoved().set_index("lead_id")
    assert table.loc["L0", "stage"] == "lead" and table.loc["L0", "weeks_unmoved"] == 1
    assert table.loc["L1", "weeks_unmoved"] == 3
    assert store.moves().matrix["contact"]["lead"] == 1  # the same reading as kpi.moves


def test_weeks_unmoved_agrees_with_the_stages_of_kpi_moves():
    from kpi.moves import normalise_ids, stage_codes
    from sample_data.weekly import demo_store

    store = demo_store()
    weeks = store.weeks("leads")
    stages = []
    for w in weeks:
        frame = store.load_snapshot(w, "leads")
        stages.append(dict(zip(normalise_ids(frame["lead_id"]), stage_codes(frame, w))))
    latest = store.load_snapshot(weeks[-1], "leads")
    expected = {}
    for lead, status in zip(latest["lead_id"], latest["status"]):
        if status != "open" or stages[-1][lead] < 0:
            continue
        n = 0
        for week_stages in reversed(stages):
            if week_stages.get(lead) != stages[-1][lead]:
                break
            n += 1
        expected[lead] = n
    table = store.weeks_unmoved()
    assert dict(zip(table["lead_id"], table["weeks_unmoved"])) == expected
    assert max(expected.values()) == 8 and min(expected.values()) == 1


def test_actions_crud(tmp_path):
    store = Store(tmp_path / "ws.duckdb")
    a = store.add_action("2026-11-15", "接触後3日以内に電話", kpi_or_bottleneck="meeting", cause="フォロー漏れ",
                         owner="佐藤", deadline="2026-11-29")
    b = store.add_action("2026-11-22", "稟議テンプレート配布", kpi_or_bottleneck="stalled_count")
    assert (a.id, b.id) == (1, 2) and a.status == "open" and a.deadline.isoformat() == "2026-11-29"
    assert [x.id for x in store.open_actions(before="2026-11-22")] == [1]
    done = store.update_action(a.id, status="done", note="実施済み")
    assert done.status == "done" and done.note == "実施済み" and done.week_closed is not None
    assert store.update_action(a.id, status="open").week_closed is None
    with pytest.raises(HistoryError):
        store.update_action(a.id, status="maybe")
    with pytest.raises(HistoryError) as err:
        store.update_action(99, status="done")
    assert err.value.code == "no_action"
    assert store.delete_action(b.id) and [x.id for x in store.actions()] == [1]
    assert store.actions()[0].to_json()["week_raised"] == "2026-11-15"


# ---------------------------------------------------------------- schema migration
V1_SQL = """
CREATE TABLE schema_version (version INTEGER);
INSERT INTO schema_version VALUES (1);
CREATE TABLE snapshots (week DATE, kind VARCHAR, rows BIGINT, added_at TIMESTAMP, source VARCHAR);
CREATE TABLE kpi_values (week DATE, key VARCHAR, value DOUBLE);
CREATE TABLE actions (id BIGINT, week_raised DATE, kpi_or_bottleneck VARCHAR, cause VARCHAR, action VARCHAR, owner VARCHAR,
                      deadline DATE, status VARCHAR);
CREATE TABLE rows_leads (week DATE, lead_id VARCHAR, created_at TIMESTAMP, contacted_on TIMESTAMP, poc_on TIMESTAMP,
                         status VARCHAR, amount_yen DOUBLE);
INSERT INTO snapshots VALUES ('2026-11-15', 'leads', 2, '2026-11-16 09:00:00', 'old.xlsx'),
                             ('2026-11-22', 'leads', 2, '2026-11-23 09:00:00', 'new.xlsx');
INSERT INTO rows_leads VALUES ('2026-11-15', 'L1', '2026-11-01', NULL, NULL, 'open', 100000),
                              ('2026-11-15', 'L2', '2026-11-02', '2026-11-03', NULL, 'open', NULL),
                              ('2026-11-22', 'L1', '2026-11-01', '2026-11-20', NULL, 'open', 100000),
                              ('2026-11-22', 'L2', '2026-11-02', '2026-11-03', NULL, 'open', NULL);
INSERT INTO kpi_values VALUES ('2026-11-15', 'lead_count', 2), ('2026-11-22', 'lead_count', 2);
INSERT INTO actions VALUES (7, '2026-11-15', 'meeting', '原因', '対策', '佐藤', '2026-11-29', 'open');
"""


def test_a_v1_store_made_by_hand_is_upgraded(tmp_path):
    path = tmp_path / "v1.duckdb"
    con = duckdb.connect(str(path))
    con.execute(V1_SQL)
    con.close()
    store = Store(path)
    assert store.schema_version() == SCHEMA_VERSION
    con = duckdb.connect(str(path))
    assert {"week_closed", "note"} <= {r[0] for r in con.execute("DESCRIBE actions").fetchall()}
    assert con.execute("SELECT count(*) FROM snapshots WHERE id IS NULL OR columns IS NULL").fetchone()[0] == 0
    con.close()
    old = store.load_snapshot("2026-11-15", "leads")
    # columns with a value that week come back (poc_on never had one, so it was absent from the file)
    assert list(old.columns) == ["lead_id", "created_at", "contacted_on", "status", "amount_yen"]
    assert old["lead_id"].tolist() == ["L1", "L2"] and str(old["created_at"].dtype) == "datetime64[ns]"
    assert store.moves().counts()["forward"] == 1
    assert store.trend(["lead_count"])[0]["kpis"] == {"lead_count": 2}
    [kept] = store.actions()
    assert (kept.id, kept.week_closed, kept.note) == (7, None, None)
    assert store.add_action("2026-11-22", "次の対策").id == 8  # ids continue after the v1 ones
    store.add_snapshot(small_leads("2026-11-29"), "2026-11-29", "w.csv")
    assert [s.week.isoformat() for s in store.list_snapshots()][-1] == "2026-11-29"


def test_a_newer_schema_or_another_file_is_refused_in_one_sentence(tmp_path):
    newer = tmp_path / "newer.duckdb"
    con = duckdb.connect(str(newer))
    con.execute("CREATE TABLE schema_version (version INTEGER); INSERT INTO schema_version VALUES (99)")
    con.close()
    with pytest.raises(HistoryError) as err:
        Store(newer).list_snapshots()
    assert err.value.code == "newer_schema"
    other = tmp_path / "leads.xlsx"
    other.write_bytes((SAMPLE / "leads.xlsx").read_bytes())
    with pytest.raises(HistoryError) as err:
        Store(other).list_snapshots()
    assert err.value.code == "not_a_store" and "\n" not in err.value.message("ja")


# ---------------------------------------------------------------- patient IDs
def visits(n: int = 60) -> pd.DataFrame:
    ids = [f"KANJA-{i % 20:04d}-QX" for i in range(n)]
    return pd.DataFrame({
        "patient_id": pd.Series(ids, dtype="str"),
        "visit_on": pd.Series(pd.Timestamp("2026-10-01") + pd.to_timedelta(np.arange(n) % 40, unit="D"), dtype="datetime64[ns]"),
        "clinic": pd.Series([f"ひかり整骨院CONTROL{i % 3}" for i in range(n)], dtype="str"),
        "_row": np.arange(2, n + 2),
    })


def test_patient_ids_are_not_in_the_database_file(tmp_path, monkeypatch):
    monkeypatch.delenv("KPI_STORE_KEY", raising=False)
    path = tmp_path / "ws.duckdb"
    store = Store(path)
    frame = visits()
    store.add_snapshot(frame, None, "visits.csv", kind="visits")
    data = path.read_bytes() + (tmp_path / "ws.duckdb.wal").read_bytes() if (tmp_path / "ws.duckdb.wal").exists() else path.read_bytes()
    assert b"CONTROL" in data  # the check can see text as written (the clinic names are stored plainly)
    assert b"KANJA-" not in data and "KANJA-".encode("utf-16-le") not in data
    key = bytes.fromhex((tmp_path / "ws.duckdb.key").read_text().strip())
    stored = store.load_snapshot(store.weeks()[0], "visits")
    expected = [hmac.new(key, p.encode(), hashlib.sha256).hexdigest() for p in frame["patient_id"]]
    assert stored["patient_id"].tolist() == expected
    # the KPIs on pseudonyms are the KPIs on the IDs
    week = store.weeks()[0]
    assert store.trend(["clinic_patients"])[0]["kpis"]["clinic_patients"] == registry.values({"visits": frame}, week)["clinic_patients"]


def test_a_missing_key_file_for_a_store_with_visits_is_one_sentence(tmp_path, monkeypatch):
    monkeypatch.delenv("KPI_STORE_KEY", raising=False)
    path = tmp_path / "ws.duckdb"
    Store(path).add_snapshot(visits(), None, "v.csv", kind="visits")
    (tmp_path / "ws.duckdb.key").unlink()
    store = Store(path)
    store.add_snapshot(small_leads("2026-11-22"), "2026-11-22", "l.csv")  # leads need no key
    with pytest.raises(HistoryError) as err:
        store.add_snapshot(visits(), "2026-11-22", "v.csv", kind="visits")
    assert err.value.code == "key_missing"
    text = err.value.message("ja")
    assert "ws.duckdb.key" in text and "\n" not in text and text.count("。") == 1
    assert not (tmp_path / "ws.duckdb.key").exists()  # no new key was made behind the user's back
    monkeypatch.setenv("KPI_STORE_KEY", "another key")
    with pytest.raises(HistoryError) as err:
        store.add_snapshot(visits(), "2026-11-22", "v.csv", kind="visits")
    assert err.value.code == "key_mismatch"
    assert len(store.list_snapshots()) == 2  # nothing was added by the refused writes


def test_the_env_key_is_used_and_no_key_file_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv("KPI_STORE_KEY", "workspace secret")
    store = Store(tmp_path / "ws.duckdb")
    store.add_snapshot(visits(), None, "v.csv", kind="visits")
    assert not (tmp_path / "ws.duckdb.key").exists()
    stored = store.load_snapshot(store.weeks()[0], "visits")["patient_id"].iloc[0]
    assert stored == hmac.new(b"workspace secret", b"KANJA-0000-QX", hashlib.sha256).hexdigest()


# ---------------------------------------------------------------- two writers
WRITER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    import numpy as np, pandas as pd
    from kpi.history import Store
    path, first = sys.argv[1], int(sys.argv[2])
    store = Store(path)
    for i in range(20):
        week = pd.Timestamp("2020-01-05") + pd.Timedelta(days=7 * (first + i))
        frame = pd.DataFrame({{"lead_id": pd.Series([f"W{{first}}-{{j}}" for j in range(3)], dtype="str"),
                               "created_at": pd.Series([week - pd.Timedelta(days=1)] * 3, dtype="datetime64[ns]"),
                               "status": pd.Series(["open"] * 3, dtype="str")}})
        store.add_snapshot(frame, week.date(), f"writer{{first}}-{{i}}.csv", kind="leads")
    print("done")
""")


def test_two_writer_processes_lose_nothing(tmp_path):
    path = tmp_path / "ws.duckdb"
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(root=str(ROOT)))
    procs = [subprocess.Popen([sys.executable, str(script), str(path), str(first)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for first in (0, 100)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    store = Store(path)
    snaps = store.list_snapshots()
    assert len(snaps) == 40 and all(s.rows == 3 for s in snaps)
    assert sorted({s.source.split("-")[0] for s in snaps}) == ["writer0", "writer100"]
    trend = store.trend(["lead_count"])
    assert len(trend) == 40 and all(w["kpis"]["lead_count"] == 3 for w in trend)


HOLDER = textwrap.dedent("""
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    con.close()
""")


def test_a_writer_that_meets_the_lock_waits_then_says_so(tmp_path):
    path = tmp_path / "ws.duckdb"
    store = Store(path, busy_timeout=0.6)
    store.add_snapshot(small_leads("2026-11-15"), "2026-11-15", "a.csv")
    script = tmp_path / "holder.py"
    script.write_text(HOLDER)
    holder = subprocess.Popen([sys.executable, str(script), str(path), "2"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(HistoryError) as err:
            store.add_snapshot(small_leads("2026-11-22"), "2026-11-22", "b.csv")
        waited = time.monotonic() - started
        assert err.value.code == "busy" and 0.5 <= waited < 3
        text = err.value.message("en")
        assert "\n" not in text and text.count(". ") == 0 and "ws.duckdb" in text
        # a patient writer gets through once the other process lets go
        patient = Store(path, busy_timeout=10)
        patient.add_snapshot(small_leads("2026-11-22"), "2026-11-22", "b.csv")
        assert [s.week.isoformat() for s in patient.list_snapshots()] == ["2026-11-15", "2026-11-22"]
    finally:
        holder.kill()
        holder.wait()


def test_memory_store_and_demo_workspace(tmp_path, monkeypatch):
    from sample_data.weekly import demo_store

    monkeypatch.chdir(tmp_path)
    store = demo_store()
    assert store.path is None and os.listdir(tmp_path) == []
    assert len(store.weeks("leads")) == 8
    assert store.moves().forward > 0
    assert (store.weeks_unmoved()["weeks_unmoved"] >= 3).any()
    assert [a.status for a in store.open_actions(before=store.weeks()[-1])] == ["open", "open"]
    trend = store.trend(["lead_count"])
    assert [w["kpis"]["lead_count"] for w in trend] == sorted(w["kpis"]["lead_count"] for w in trend)


# ---------------------------------------------------------------- the CLI
def run_cli(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("KPI_STORE", "KPI_STORE_KEY")}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "kpi", *args], cwd=ROOT, capture_output=True, text=True, timeout=180, env=env)


def test_cli_history_commands(tmp_path):
    store = str(tmp_path / "ws.duckdb")
    leads_file = str(SAMPLE / "leads.xlsx")
    add = run_cli("history", "add", leads_file, "--store", store)
    assert add.returncode == 0, add.stderr
    validate = run_cli("validate", leads_file)
    assert add.stdout.splitlines()[0] == validate.stdout.splitlines()[0]  # the same report line as validate
    assert add.stdout.splitlines()[-1].startswith("stored: week=2026-11-22 kind=leads rows=")
    again = run_cli("history", "add", leads_file, "--week", "2026-11-15", env_extra={"KPI_STORE": store})
    assert again.returncode == 0, again.stderr
    listed = json.loads(run_cli("history", "list", "--store", store, "--json").stdout)
    assert [(s["week"], s["kind"], s["source"]) for s in listed["snapshots"]] == [("2026-11-15", "leads", "leads.xlsx"),
                                                                                   ("2026-11-22", "leads", "leads.xlsx")]
    assert set(listed["snapshots"][0]) == {"week", "kind", "rows", "added_at", "source"}
    moves = run_cli("history", "moves", "--store", store, "--json")
    assert moves.returncode == 0, moves.stderr
    body = json.loads(moves.stdout)["moves"]
    assert (body["old_as_of"], body["new_as_of"]) == ("2026-11-15", "2026-11-22") and len(body["matrix"]) == 6
    metrics = json.loads(run_cli("metrics", leads_file, "--json").stdout)["kpis"]
    trend = json.loads(run_cli("history", "trend", "--store", store, "--kpi", "lead_count", "--kpi", "meeting_rate", "--json").stdout)
    assert [w["week"] for w in trend["weeks"]] == ["2026-11-15", "2026-11-22"]
    assert trend["weeks"][1]["kpis"] == {"lead_count": metrics["lead_count"], "meeting_rate": metrics["meeting_rate"]}
    assert json.loads(run_cli("history", "actions", "--store", store, "--json").stdout) == {"actions": []}
    forget = run_cli("history", "forget", "--store", store, "--week", "2026-11-15")
    assert forget.returncode == 0 and "snapshots=1" in forget.stdout
    assert len(json.loads(run_cli("history", "list", "--store", store, "--json").stdout)["snapshots"]) == 1
    one = run_cli("history", "moves", "--store", store)
    assert one.returncode == 2 and one.stderr.startswith("error: ") and len(one.stderr.strip().splitlines()) == 1


def test_cli_history_add_stores_nothing_when_a_file_is_unreadable(tmp_path):
    store = tmp_path / "ws.duckdb"
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04broken")
    proc = run_cli("history", "add", str(SAMPLE / "leads.xlsx"), str(broken), "--store", str(store))
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and proc.stderr.startswith("error: ")
    assert "Traceback" not in proc.stderr and not store.exists()
    missing = run_cli("history", "list")
    assert missing.returncode == 2 and "KPI_STORE" in missing.stderr
    bad_kpi = run_cli("history", "trend", "--store", str(store), "--kpi", "nope")
    assert bad_kpi.returncode == 2 and "nope" in bad_kpi.stderr


def test_cli_history_add_several_kinds_share_one_week(tmp_path):
    store = str(tmp_path / "ws.duckdb")
    proc = run_cli("history", "add", str(SAMPLE / "leads.xlsx"), str(SAMPLE / "visits.csv"), "--store", store)
    assert proc.returncode == 0, proc.stderr
    stored = [line for line in proc.stdout.splitlines() if line.startswith("stored: ")]
    assert len(stored) == 2 and len({line.split()[1] for line in stored}) == 1
    assert (tmp_path / "ws.duckdb.key").exists()


def test_region_trend_is_the_registry_on_each_weeks_region_rows():
    from kpi.registry import values
    from sample_data.weekly import demo_store, weekly_snapshots

    store = demo_store()
    frame = store.region_trend_frame(["lead_count", "meeting_rate", "nps"], "kyoto")
    snaps = weekly_snapshots()
    assert len(frame) == len(snaps)
    for (_, row), snap in zip(frame.iterrows(), snaps):
        expected = values({"leads": snap.frame[snap.frame["region"] == "kyoto"]}, snap.as_of)
        assert row["lead_count"] == expected["lead_count"] and row["meeting_rate"] == pytest.approx(expected["meeting_rate"])
        assert row["nps"] is None or pd.isna(row["nps"])  # not a sales KPI: no regional value
