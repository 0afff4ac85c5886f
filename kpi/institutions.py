"""The institution master (医療機関コード一覧) beside the referral ledger: name keys, areas, likely matches, and the
institutions in an area that have never referred a patient.

The master is the national list of medical institution codes as the user downloads it: a header-less UTF-8 CSV
whose columns are the 9-digit code, the 7-digit code, the name, the postal code and the address. It is read from
bytes and kept in memory only (the page never writes it anywhere).

Readings chosen here:
* A name key is NFKC (full-width / half-width, ㈲ → (有)), lower case, every space removed, and the legal-form
  words of ``LEGAL_FORMS`` removed (longest first, so 医療法人社団 goes before 医療法人). Two names with the same
  key are one institution.
* A referral name that has no exact key in the master gets up to ``MatchSettings.suggestions`` suggestions with a
  score ≥ ``MatchSettings.min_score`` (rapidfuzz ``fuzz.ratio`` on the keys, 0–100); a suggestion joins the two
  only once the user has confirmed it (``confirmed``: referral name → master code9).
* The area of a master row is the city (and ward) at the start of its address after the prefecture:
  「大阪府大阪市北区梅田1-1」→「大阪市北区」, 「奈良県生駒市…」→「生駒市」. A referral row without an area takes its
  institution's master area.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

MASTER_COLUMNS = ("code9", "code7", "name", "postal_code", "address")
# legal forms and company marks removed from a name key (after NFKC: ㈲ is "(有)", ㈱ is "(株)")
LEGAL_FORMS: tuple[str, ...] = tuple(sorted((
    "医療法人社団", "医療法人財団", "社会医療法人", "一般社団法人", "公益社団法人", "一般財団法人", "公益財団法人", "医療法人",
    "有限会社", "株式会社", "合同会社", "(有)", "(株)", "(医)", "(社)", "(財)",
), key=len, reverse=True))
_LEGAL = re.compile("|".join(re.escape(f) for f in LEGAL_FORMS))
_PREFECTURE = re.compile(r"^(東京都|北海道|京都府|大阪府|.{2,3}県)")
_CITY = re.compile(r"^(.+?市.+?区|.+?[市区町村])")


@dataclass(frozen=True)
class MatchSettings:
    """How close a name must be to be suggested (rapidfuzz fuzz.ratio, 0–100) and how many suggestions per name."""

    min_score: float = 80.0
    suggestions: int = 3


def name_key(names: pd.Series) -> pd.Series:
    """The matching key of each name: NFKC, lower case, spaces and legal forms removed.

    >>> name_key(pd.Series(["医療法人社団 さくら会 ｻｸﾗ病院", "㈲ミドリ薬局"])).tolist()
    ['さくら会サクラ病院', 'ミドリ薬局']
    """
    text = names.astype("string").str.normalize("NFKC").str.lower().str.replace(r"\s+", "", regex=True)
    return text.str.replace(_LEGAL, "", regex=True).astype("object").where(names.notna())


def area_of(addresses: pd.Series) -> pd.Series:
    """City (and ward) at the start of an address after the prefecture; None when it cannot be read."""
    text = addresses.astype("string").str.normalize("NFKC").str.replace(r"\s+", "", regex=True).str.replace(_PREFECTURE, "", regex=True)
    return text.str.extract(_CITY, expand=False).astype("object").where(lambda s: s.notna(), None)


def read_master(data: bytes) -> pd.DataFrame:
    """The master CSV (header-less, UTF-8; a BOM is allowed) → code9, code7, name, postal_code, address, key, area.

    Rows with fewer than five cells or an empty name are left out; extra cells are ignored. Codes stay text.
    Raises ValueError when the bytes are not UTF-8 text."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError("not UTF-8") from exc
    rows = [r[:5] for r in csv.reader(io.StringIO(text)) if len(r) >= 5 and r[2].strip()]
    master = pd.DataFrame(rows, columns=list(MASTER_COLUMNS), dtype="object")
    for col in MASTER_COLUMNS:
        master[col] = master[col].astype("string").str.normalize("NFKC").str.strip().astype("object")
    master["key"] = name_key(master["name"])
    master["area"] = area_of(master["address"])
    return master.drop_duplicates("code9").reset_index(drop=True)


def match_names(names: pd.Series, master: pd.DataFrame, confirmed: Mapping[str, str] | None = None,
                settings: MatchSettings | None = None) -> pd.DataFrame:
    """One row per distinct referral name: name, key, code9, master_name, area (the master's), how ("exact",
    "confirmed" or None) and suggestions (a tuple of (code9, master name, score) best first, for names without a
    match). ``confirmed``: referral name → code9 the user accepted."""
    from rapidfuzz import fuzz, process

    settings = settings or MatchSettings()
    confirmed = dict(confirmed or {})
    distinct = pd.Series(pd.unique(names.dropna()), dtype="object")
    out = pd.DataFrame({"name": distinct, "key": name_key(distinct)})
    by_key = master.drop_duplicates("key").set_index("key")
    by_code = master.set_index("code9")
    exact = out["key"].map(by_key["code9"])
    chosen = out["name"].map(lambda n: confirmed.get(n) if confirmed.get(n) in by_code.index else None)
    out["code9"] = exact.where(exact.notna(), chosen)
    out["how"] = pd.Series("exact", index=out.index).where(exact.notna(), pd.Series("confirmed", index=out.index).where(chosen.notna(), None))
    out["master_name"] = out["code9"].map(by_code["name"])
    out["area"] = out["code9"].map(by_code["area"])
    choices = dict(zip(master["code9"], master["key"]))
    names_of = dict(zip(master["code9"], master["name"]))

    def suggest(row) -> tuple:
        if pd.notna(row.code9) or not row.key:
            return ()
        hits = process.extract(row.key, choices, scorer=fuzz.ratio, limit=settings.suggestions, score_cutoff=settings.min_score)
        return tuple((code, names_of[code], float(score)) for _key, score, code in hits)

    out["suggestions"] = [suggest(r) for r in out.itertuples()]
    return out


def fill_areas(referrals: pd.DataFrame, matches: pd.DataFrame) -> pd.DataFrame:
    """The referral rows with a missing (or absent) area filled from the matched master row; other rows unchanged."""
    master_area = referrals["institution"].map(matches.set_index("name")["area"])
    area = referrals["area"] if "area" in referrals.columns else pd.Series(None, index=referrals.index, dtype="object")
    blank = area.isna() | (area.astype("string").str.strip() == "")
    return referrals.assign(area=area.where(~blank, master_area))


def never_referring(master: pd.DataFrame, matches: pd.DataFrame, referred_in_names: pd.Series,
                    areas: list[str] | tuple[str, ...] | None) -> pd.DataFrame:
    """Master institutions in ``areas`` (all areas when None or empty) with no referral in yet: code9, name, area,
    address. An institution counts as referring when a referral-in name matches it (exactly or confirmed)."""
    referring = set(matches.loc[matches["name"].isin(set(referred_in_names.dropna())), "code9"].dropna())
    rows = master[~master["code9"].isin(referring)]
    if areas:
        rows = rows[rows["area"].isin(list(areas))]
    return rows[["code9", "name", "area", "address"]].sort_values(["area", "name"]).reset_index(drop=True)
