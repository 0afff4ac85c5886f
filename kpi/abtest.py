"""Contact-rate A/B (返信率): emails and calls by send-hour band, region and variant (パターン), with a
two-proportion z-test saying whether a difference is more than noise — or that the groups are too small to tell.

Pure pandas + ``math.erfc`` (the z-test is ten lines; no statistics package needed for it).

Readings chosen here:
* Rows: activities of the settings' channels (email, call) with activity_at on or before as_of; a row *replied*
  when ``replied_at`` is filled and not after the end of the as_of day. Without the replied_at column: n/a.
* Send-hour band: the hour of activity_at in [start, end) of a band; a date-only activity_at (00:00, no time) is
  left out of the band tables (its hour is unknown), not put in a band; an hour outside every band is "other".
* Groups are compared within one channel (an email at 7:00 is not compared with a call at 10:00: the channel would
  be the difference). A comparison is "too few" when either group has fewer than ``min_n`` sends or any expected
  count (n × pooled rate, n × (1 − pooled rate)) is below ``min_expected``; else a "winner" when the two-sided
  p-value, Holm-adjusted within its family (the pairs of one dimension, channel and region), is below ``alpha``;
  else a "tie" (no difference beyond noise).
"""
from __future__ import annotations

import datetime as dt
import itertools
import math
from dataclasses import dataclass

import pandas as pd

DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class AbSettings:
    """Send-hour bands [start, end) in hours, channels, minimum group size, significance level.
    (To be folded into ``kpi.targets.Targets``.)"""

    bands: tuple[tuple[int, int], ...] = ((7, 9), (9, 12), (12, 17), (17, 20))
    channels: tuple[str, ...] = ("email", "call")
    min_n: int = 30
    min_expected: float = 5.0
    alpha: float = 0.05


def parse_bands(text: str) -> tuple[tuple[int, int], ...] | None:
    """"7-9, 9-12, 17-20" -> ((7, 9), (9, 12), (17, 20)); None when a part is not start-end with 0 <= start < end <= 24.

    >>> parse_bands("7-8, 18-19")
    ((7, 8), (18, 19))
    """
    bands = []
    for part in (p.strip() for p in text.replace("\u3001", ",").split(",")):
        if not part:
            continue
        pieces = part.replace("\u301c", "-").replace("~", "-").split("-")
        if len(pieces) != 2 or not all(x.strip().isdigit() for x in pieces):
            return None
        start, end = int(pieces[0]), int(pieces[1])
        if not 0 <= start < end <= 24:
            return None
        bands.append((start, end))
    return tuple(bands) or None


def bands_text(bands: tuple[tuple[int, int], ...]) -> str:
    return ", ".join(f"{s}-{e}" for s, e in bands)


@dataclass(frozen=True)
class ZTest:
    z: float
    p_value: float


def two_proportion_ztest(x1: int, n1: int, x2: int, n2: int) -> ZTest:
    """Two-sided z-test of p1 = p2 with the pooled standard error.

    >>> r = two_proportion_ztest(60, 200, 36, 200)  # 30 % vs 18 %: pooled 0.24, se 0.0427, z 2.81
    >>> round(r.z, 2), round(r.p_value, 4)
    (2.81, 0.005)
    """
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return ZTest(0.0, 1.0)
    z = (x1 / n1 - x2 / n2) / se
    return ZTest(z, math.erfc(abs(z) / math.sqrt(2)))


def band_of(hours: pd.Series, bands: tuple[tuple[int, int], ...]) -> pd.Series:
    """Band key "7-9" per hour ([start, end)), "other" outside every band."""
    out = pd.Series("other", index=hours.index, dtype="object")
    for start, end in reversed(bands):
        out = out.mask(hours.ge(start) & hours.lt(end), f"{start}-{end}")
    return out


def sends(activities: pd.DataFrame, as_of: dt.date | pd.Timestamp | None, settings: AbSettings | None = None) -> pd.DataFrame | None:
    """The sends (emails, calls) up to as_of with band, region, variant and replied; None without replied_at."""
    settings = settings or AbSettings()
    if "replied_at" not in activities.columns:
        return None
    end = (activities["activity_at"].max().normalize() if as_of is None else pd.Timestamp(as_of).normalize()) + DAY
    rows = activities[activities["type"].isin(settings.channels) & (activities["activity_at"] < end)]
    at = rows["activity_at"]
    has_time = rows["activity_at_has_time"].astype(bool) if "activity_at_has_time" in rows.columns else at.ne(at.dt.normalize())
    band = band_of(at.dt.hour, settings.bands).where(has_time)
    variant = rows["variant"].astype("string").str.strip().replace("", pd.NA) if "variant" in rows.columns else pd.Series(pd.NA, index=rows.index, dtype="string")
    return pd.DataFrame({
        "activity_at": at, "channel": rows["type"], "region": rows["region"] if "region" in rows.columns else "other",
        "band": band, "variant": variant, "replied": rows["replied_at"].notna() & (rows["replied_at"] < end),
    })


def rates(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """sent, replied, rate per group (rows with a missing key left out)."""
    data = frame.dropna(subset=by)
    if not len(data):
        return pd.DataFrame(columns=by + ["sent", "replied", "rate"])
    g = data.groupby(by, observed=True)["replied"]
    out = pd.DataFrame({"sent": g.size(), "replied": g.sum().astype("int64")}).reset_index()
    out["rate"] = out["replied"] / out["sent"]
    return out


def compare(a: tuple[int, int], b: tuple[int, int], settings: AbSettings) -> dict:
    """One pair ((replied, sent) each): rates, z, p, and the verdict a_wins / b_wins / tie / too_few."""
    (xa, na), (xb, nb) = a, b
    out = {"n_a": na, "n_b": nb, "rate_a": xa / na if na else None, "rate_b": xb / nb if nb else None, "z": None, "p_value": None, "p_adjusted": None}
    pooled = (xa + xb) / (na + nb) if na + nb else 0.0
    expected = [n * p for n in (na, nb) for p in (pooled, 1 - pooled)]
    if min(na, nb) < settings.min_n or min(expected) < settings.min_expected:
        return {**out, "verdict": "too_few"}
    test = two_proportion_ztest(xa, na, xb, nb)
    verdict = "tie" if test.p_value >= settings.alpha else ("a_wins" if test.z > 0 else "b_wins")
    return {**out, "z": test.z, "p_value": test.p_value, "p_adjusted": test.p_value, "verdict": verdict}


def holm(p_values: list[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values (same order as given): several pairs tested at once stay honest.

    >>> [round(p, 3) for p in holm([0.01, 0.04, 0.03])]
    [0.03, 0.06, 0.06]
    """
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted, running = [0.0] * len(p_values), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def comparisons(frame: pd.DataFrame, dimension: str, settings: AbSettings, order: list[str] | None = None,
                per_region: bool = True) -> pd.DataFrame:
    """Every pair of groups of ``dimension`` (band or variant) within one channel, over all regions (region None)
    and within each region. The verdict uses the Holm-adjusted p-value of its family (dimension, channel, region)."""
    rank = {g: i for i, g in enumerate(order or [])}
    rows = []
    for channel, by_channel in frame.groupby("channel", sort=True):
        scopes: list[tuple[str | None, pd.DataFrame]] = [(None, by_channel)]
        if per_region:
            scopes += list(by_channel.groupby("region", sort=True))
        for region, part in scopes:
            table = rates(part, [dimension]).set_index(dimension)
            groups = sorted((g for g in table.index if g != "other"), key=lambda g: (rank.get(g, len(rank)), g))
            family = []
            for a, b in itertools.combinations(groups, 2):
                pair = compare((int(table.at[a, "replied"]), int(table.at[a, "sent"])), (int(table.at[b, "replied"]), int(table.at[b, "sent"])), settings)
                family.append({"dimension": dimension, "channel": channel, "region": region, "a": a, "b": b, **pair})
            tested = [r for r in family if r["p_value"] is not None]
            for r, p_adj in zip(tested, holm([r["p_value"] for r in tested])):
                r["p_adjusted"] = p_adj
                r["verdict"] = "tie" if p_adj >= settings.alpha else ("a_wins" if r["z"] > 0 else "b_wins")
            rows += family
    cols = ["dimension", "channel", "region", "a", "b", "n_a", "n_b", "rate_a", "rate_b", "z", "p_value", "p_adjusted", "verdict"]
    out = pd.DataFrame(rows, columns=cols)
    numbers = ["rate_a", "rate_b", "z", "p_value", "p_adjusted"]  # NaN, not None, where a comparison has too few sends
    out[numbers] = out[numbers].apply(pd.to_numeric, errors="coerce").astype("float64")
    return out


@dataclass(frozen=True)
class AbView:
    """What the A/B section shows."""

    settings: AbSettings
    sent: int
    replied: int
    by_band: pd.DataFrame          # channel, band, sent, replied, rate (bands in settings order, then other)
    by_band_region: pd.DataFrame   # channel, region, band, sent, replied, rate
    by_variant: pd.DataFrame       # channel, variant, sent, replied, rate
    tests: pd.DataFrame            # comparisons of bands and variants per channel, overall and per region

    @property
    def rate(self) -> float | None:
        return self.replied / self.sent if self.sent else None


def band_order(settings: AbSettings) -> list[str]:
    return [f"{s}-{e}" for s, e in settings.bands] + ["other"]


def ab_view(activities: pd.DataFrame, as_of: dt.date | pd.Timestamp | None, settings: AbSettings | None = None) -> AbView | None:
    """Reply rates by band, band × region and variant, and their z-tests; None without replied_at."""
    settings = settings or AbSettings()
    frame = sends(activities, as_of, settings)
    if frame is None:
        return None
    order = {b: i for i, b in enumerate(band_order(settings))}
    def by_order(col: pd.Series) -> pd.Series:
        return col.map(order) if col.name == "band" else col

    by_band = rates(frame, ["channel", "band"]).sort_values(["channel", "band"], key=by_order).reset_index(drop=True)
    by_band_region = rates(frame, ["channel", "region", "band"]).sort_values(["channel", "region", "band"], key=by_order).reset_index(drop=True)
    by_variant = rates(frame, ["channel", "variant"])
    tests = pd.concat([comparisons(frame, "variant", settings), comparisons(frame, "band", settings, band_order(settings))], ignore_index=True)
    return AbView(settings, len(frame), int(frame["replied"].sum()), by_band, by_band_region, by_variant, tests)


def reply_rate(activities: pd.DataFrame | None, as_of: dt.date | pd.Timestamp | None, settings: AbSettings | None = None) -> float | None:
    """Replied sends / sends (emails and calls up to as_of); None without the replied_at column."""
    if activities is None or not len(activities):
        return None
    frame = sends(activities, as_of, settings)
    if frame is None or not len(frame):
        return None
    return float(frame["replied"].mean())
