"""Benchmark inputs, generated once and deterministically into bench/data/ (git-ignored).

* ``visits_1m.csv``  — 1,000,000 appointment rows, cp932, Japanese headers, CRLF (a year of a busy chain);
* ``leads_100k.xlsx`` — 100,000 leads with a title row above the Japanese header (as Excel exports look).

Shapes follow SPEC section 1. Values are vectorised numpy draws from a fixed seed, so every run on every
machine benchmarks the same bytes.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent / "data"
VISITS = DATA / "visits_1m.csv"
LEADS = DATA / "leads_100k.xlsx"
SEED = 20261125


def _dates(rng: np.random.Generator, start: str, days: int, n: int) -> np.ndarray:
    return np.datetime64(start) + rng.integers(0, days, n).astype("timedelta64[D]")


def visits_frame(n: int = 1_000_000) -> pd.DataFrame:
    rng = np.random.default_rng(SEED)
    patients = rng.integers(1, 60_000, n)
    visit = _dates(rng, "2025-11-01", 365, n)
    minutes = rng.integers(0, 20, n) * 30 + 9 * 60  # 09:00 .. 18:30 slots
    visit_at = visit.astype("datetime64[m]") + minutes.astype("timedelta64[m]")
    booked = visit - rng.integers(0, 28, n).astype("timedelta64[D]")
    status = rng.choice(np.array(["来院", "キャンセル", "無断キャンセル", "予約"]), n, p=[0.88, 0.07, 0.03, 0.02])
    cancelled = np.where(status == "キャンセル", pd.to_datetime(visit - rng.integers(1, 5, n).astype("timedelta64[D]")).strftime("%Y/%m/%d"), "")
    first = np.where(rng.random(n) < 0.06, "○", "")
    amount = rng.integers(15, 80, n) * 100
    self_pay = np.where(rng.random(n) < 0.2, rng.integers(5, 30, n) * 100, 0)
    return pd.DataFrame({
        "患者ID": np.char.add("P", np.char.zfill(patients.astype(str), 7)),
        "来院日": pd.to_datetime(visit_at).strftime("%Y/%m/%d %H:%M"),
        "ステータス": status,
        "予約受付日": pd.to_datetime(booked).strftime("%Y/%m/%d"),
        "キャンセル日": cancelled,
        "初診": first,
        "会計金額": amount,
        "自費金額": self_pay,
        "施術時間(分)": rng.integers(1, 5, n) * 10,
        "院名": rng.choice(np.array(["本院", "駅前院", "北口院", "学園前院", "西大寺院"]), n),
        "施術者": rng.choice(np.array([f"施術者{i:02d}" for i in range(1, 21)]), n),
    })


def leads_frame(n: int = 100_000) -> pd.DataFrame:
    rng = np.random.default_rng(SEED + 1)
    created = _dates(rng, "2025-04-01", 600, n)
    gaps = rng.integers(1, 30, (5, n)).astype("timedelta64[D]")
    stages = [created]
    reach = rng.random((5, n)) < np.array([[0.6], [0.25], [0.4], [0.7], [0.9]])
    alive = np.ones(n, bool)
    cols = {}
    for i, name in enumerate(["接触日", "商談化日", "PoC合意日", "稟議通過日", "回収日"]):
        alive &= reach[i]
        date = stages[-1] + gaps[i]
        stages.append(date)
        cols[name] = np.where(alive, pd.to_datetime(date).strftime("%Y/%m/%d"), "")
    status = np.where(cols["回収日"] != "", "受注", rng.choice(np.array(["進行中", "失注"]), n, p=[0.6, 0.4]))
    return pd.DataFrame({
        "リードID": np.char.add("L", np.char.zfill(np.arange(1, n + 1).astype(str), 6)),
        "取引先名": np.char.add("医療法人 さくら会 ", rng.integers(1, 20_000, n).astype(str)),
        "業種": rng.choice(np.array(["病院", "クリニック", "ヘルスケア", "一般企業"]), n),
        "地域": rng.choice(np.array(["大阪府", "京都府", "兵庫県", "奈良県"]), n),
        "担当者": rng.choice(np.array(["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺"]), n),
        "担当区分": rng.choice(np.array(["代行会社", "インサイド", "フィールド", "コンサル", "支援会社"]), n),
        "リード日": pd.to_datetime(created).strftime("%Y/%m/%d"),
        **cols,
        "ステータス": status,
        "見込金額": rng.integers(3, 1200, n) * 10_000,
        "回収期間(月)": rng.integers(4, 20, n),
        "最終更新日": pd.to_datetime(stages[0] + rng.integers(0, 200, n).astype("timedelta64[D]")).strftime("%Y/%m/%d"),
    })


def ensure(force: bool = False) -> tuple[Path, Path]:
    """Write the two files once (a few seconds); later runs reuse them."""
    DATA.mkdir(parents=True, exist_ok=True)
    if force or not VISITS.exists():
        text = visits_frame().to_csv(index=False, lineterminator="\r\n")
        VISITS.write_bytes(text.encode("cp932"))
    if force or not LEADS.exists():
        write_leads_xlsx(LEADS, "営業案件一覧（ベンチマーク用）")
    return VISITS, LEADS


def write_leads_xlsx(path: Path, title: str) -> None:
    """The 100k leads as an Excel export looks: a title row, a blank row, the Japanese header, then the rows."""
    import xlsxwriter

    frame = leads_frame()
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    wb.set_properties({"created": dt.datetime(2026, 11, 25)})
    ws = wb.add_worksheet("営業案件")
    ws.write_row(0, 0, [title])
    ws.write_row(2, 0, list(frame.columns))
    for i, row in enumerate(frame.itertuples(index=False), start=3):
        ws.write_row(i, 0, row)
    wb.close()


if __name__ == "__main__":
    for path in ensure(force=True):
        print(path, f"{path.stat().st_size / 1e6:.1f} MB")
