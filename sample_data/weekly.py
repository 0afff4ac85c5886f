"""Weekly demo snapshots (SPEC section 5 "Demo"): eight Monday leads exports derived from ``leads.xlsx``.

Nothing is written: :func:`weekly_snapshots` returns frames in the validated-frame contract, oldest first, and
:func:`demo_store` fills an in-memory workspace (``kpi.history.Store(":memory:")``) with them and with a few weekly
review actions, for the app's demo mode.

How a week's export is derived from the final data (as_of = 2026-11-22 − 7·k days, k = 7 … 0), deterministically
(every choice below is a function of the lead_id's CRC-32, never of a random draw):

* the lead is in the export when it was created on or before as_of;
* stage dates after as_of are blank (the stage had not happened yet), so leads move forward week by week and the
  ones the final data shows stalled sit at the same stage for weeks;
* status: ``won`` only once collected_on is on or before as_of; ``lost`` only once the last update (the loss was
  recorded then) is on or before as_of; ``open`` before;
* updated_on / next_action_on / first_response_at after as_of are what the CRM showed then: the latest stage date
  for updated_on, blank for the others — except that every third open lead's next action was planned a week
  earlier each older week (so "next actions pushed later" shows up between any two weeks);
* one lead in five had its amount revised once in these eight weeks (older exports show 80 % of it, rounded to
  ¥10,000), one in seventeen changed owner once, and one open lead in forty-one shows a stage date entered by
  mistake in the export of the week before the latest, removed again in the latest (a backward move);
* a lost lead in thirty-seven was deleted from the CRM in the latest export (it vanishes).
"""
from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
LATEST = dt.date(2026, 11, 22)
WEEKS = 8
_STAGE_COLUMNS = ("created_at", "contacted_on", "meeting_on", "poc_on", "approved_on", "collected_on")


@dataclass(frozen=True)
class WeeklySnapshot:
    as_of: dt.date
    name: str  # how the export would be called, e.g. "leads_2026-11-22.xlsx"
    frame: pd.DataFrame


def _source(path: Path | None) -> pd.DataFrame:
    from kpi.load import load

    path = path or HERE / "leads.xlsx"
    return load(path.read_bytes(), path.name).frame


def _hashes(ids: pd.Series) -> np.ndarray:
    return np.array([zlib.crc32(str(i).encode("utf-8")) for i in ids], dtype=np.int64)


def weekly_snapshots(weeks: int = WEEKS, latest: dt.date = LATEST, source: Path | None = None) -> list[WeeklySnapshot]:
    """``weeks`` weekly leads snapshots ending at ``latest``, oldest first (see the module for the rules)."""
    base = _source(source)
    h = _hashes(base["lead_id"])
    owners = sorted(base["owner"].dropna().unique()) if "owner" in base.columns else []
    out = []
    for k in range(weeks - 1, -1, -1):
        as_of = pd.Timestamp(latest - dt.timedelta(days=7 * k))
        out.append(WeeklySnapshot(as_of.date(), f"leads_{as_of.date().isoformat()}.xlsx", _cut(base, h, owners, as_of, k)))
    return out


def _cut(base: pd.DataFrame, h: np.ndarray, owners: list[str], as_of: pd.Timestamp, k: int) -> pd.DataFrame:
    created = base["created_at"].dt.normalize()
    keep = (created <= as_of).to_numpy().copy()
    if k == 0:
        keep &= ~((h % 37 == 0) & base["status"].eq("lost").to_numpy())  # deleted from the CRM this week
    frame = base[keep].copy()
    hk = h[keep]
    after = {}
    for col in _STAGE_COLUMNS[1:]:
        if col in frame.columns:
            late = frame[col] > as_of
            after[col] = late
            frame.loc[late, col] = pd.NaT
    # status as the CRM showed it then
    if "collected_on" in frame.columns:
        won_then = frame["collected_on"].notna()
    else:
        won_then = pd.Series(False, index=frame.index)
    lost_when = frame["updated_on"] if "updated_on" in frame.columns else pd.Series(pd.NaT, index=frame.index)
    lost_then = frame["status"].eq("lost") & (lost_when.isna() | (lost_when <= as_of))
    frame["status"] = np.where(won_then, "won", np.where(lost_then, "lost", "open"))
    frame["status"] = frame["status"].astype("str")
    # fields dated after as_of did not exist yet
    stage_cols = [c for c in _STAGE_COLUMNS if c in frame.columns]
    last_stage = frame[stage_cols].apply(lambda s: s.dt.normalize()).max(axis=1)
    if "updated_on" in frame.columns:
        frame["updated_on"] = frame["updated_on"].where(frame["updated_on"] <= as_of, last_stage)
    if "first_response_at" in frame.columns:
        end_of_day = as_of + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
        frame["first_response_at"] = frame["first_response_at"].where(frame["first_response_at"] <= end_of_day)
    if "lost_reason" in frame.columns:
        frame["lost_reason"] = frame["lost_reason"].where(frame["status"].eq("lost"))
    if "next_action_on" in frame.columns:
        pushed = (hk % 3 == 0) & frame["status"].eq("open").to_numpy()
        shift = pd.to_timedelta(np.where(pushed, 7 * k, 0), unit="D")
        frame["next_action_on"] = frame["next_action_on"] - shift
    # one amount revision and one owner change per affected lead, at a fixed week
    if "amount_yen" in frame.columns:
        revised = (hk % 5 == 0) & (k > (hk // 5) % 7)
        frame["amount_yen"] = np.where(revised, np.round(frame["amount_yen"].to_numpy() * 0.8, -4), frame["amount_yen"].to_numpy())
    if "owner" in frame.columns and owners:
        moved = (hk % 17 == 0) & (k > (hk // 17) % 7)
        previous = np.array(owners, dtype=object)[(hk // 7) % len(owners)]
        frame["owner"] = pd.Series(np.where(moved, previous, frame["owner"].to_numpy(dtype=object)), index=frame.index).astype("str")
    # a stage date entered by mistake in last week's export, removed again this week
    if k == 1:
        _mistaken_dates(frame, hk, stage_cols, as_of)
    return frame.reset_index(drop=True)


def _mistaken_dates(frame: pd.DataFrame, hk: np.ndarray, stage_cols: list[str], as_of: pd.Timestamp) -> None:
    present = frame[stage_cols].notna().to_numpy()
    furthest = len(stage_cols) - 1 - np.argmax(present[:, ::-1], axis=1)
    candidates = (hk % 41 == 0) & frame["status"].eq("open").to_numpy() & (furthest < len(stage_cols) - 2)
    for pos in np.flatnonzero(candidates):
        col = stage_cols[furthest[pos] + 1]
        frame.iloc[pos, frame.columns.get_loc(col)] = as_of - pd.Timedelta(days=2)


DEMO_ACTIONS = [
    # (weeks before the latest it was raised, KPI / bottleneck, cause, action, owner, deadline in days, status)
    (3, "meeting_rate", "初回接触から商談化までの提案資料が古い", "導入事例つきの提案資料に差し替える",
     "佐藤 美咲", 14, "done"),
    (2, "meeting", "接触後のフォロー電話が担当者任せ", "接触後3営業日以内のフォロー電話をルール化",
     "高橋 健太", 14, "open"),
    (1, "stalled_count", "PoC段階の案件が稟議資料待ちで止まっている", "稟議資料テンプレートを各院に配布",
     "小林 由佳", 21, "open"),
    (1, "key_person_rate", "商談記録にキーマン欄の記入漏れ", "週次レビューでキーマン未記入の案件を確認",
     "中村 大輔", 7, "dropped"),
]


def demo_store(weeks: int = WEEKS, latest: dt.date = LATEST):
    """An in-memory workspace filled with the weekly demo snapshots and the demo actions (nothing on disk)."""
    from kpi.history import Store

    store = Store(":memory:")
    for snap in weekly_snapshots(weeks, latest):
        store.add_snapshot(snap.frame, snap.as_of, snap.name, kind="leads")
    for back, kpi, cause, action, owner, days, status in DEMO_ACTIONS:
        raised = latest - dt.timedelta(days=7 * back)
        created = store.add_action(raised, action, kpi_or_bottleneck=kpi, cause=cause, owner=owner,
                                   deadline=raised + dt.timedelta(days=days))
        if status != "open":
            store.update_action(created.id, status=status, week_closed=raised + dt.timedelta(days=7))
    return store
