"""The Habit KPIs page's issue-15 sections: settings (SLA hours, business days, A/B bands), the partner SLA and the
contact-rate A/B. Renders the frozen views of ``kpi.sla`` / ``kpi.abtest``; computes nothing itself."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import registry
from kpi.abtest import AbSettings, AbView, band_order, bands_text, parse_bands
from kpi.sla import SlaSettings, SlaView
from ui.chart_png import show_chart_png
from ui.charts_habits import rate_bars_with_n, rate_heatmap, weekly_rate_lines
from ui.i18n import label_of, label_series, lang, t
from ui.widgets import data_table, fmt_pct, join_list, pct_column, plain, registry_tile


def settings_panel(targets) -> tuple[SlaSettings, AbSettings]:
    """The page's settings, starting from the team's Targets (SLA hours per role, target, business days; kept on the
    targets page and in the targets JSON), and the A/B's bands and minimum n for this look."""
    sla, ab = SlaSettings.from_targets(targets), AbSettings()
    with st.expander(t("habits.settings.title")):
        st.caption(t("habits.settings.intro"))
        c1, c2, c3 = st.columns(3)
        agency = c1.number_input(t("habits.settings.agency_hours"), 1.0, 720.0, sla.agency_hours, step=1.0, key="habits.sla.agency_hours")
        partner = c2.number_input(t("habits.settings.partner_hours"), 1.0, 720.0, sla.partner_hours, step=1.0, key="habits.sla.partner_hours")
        target = c3.number_input(t("habits.settings.target"), 0.0, 1.0, sla.compliance_target, step=0.05, format="%.2f", key="habits.sla.target")
        business = st.toggle(t("habits.settings.business_days"), value=sla.business_days, help=t("habits.settings.business_days_help"), key="habits.business_days")
        d1, d2 = st.columns(2)
        text = d1.text_input(t("habits.settings.bands"), bands_text(ab.bands), key="habits.ab.bands")
        min_n = d2.number_input(t("habits.settings.min_n"), 2, 10_000, ab.min_n, step=5, key="habits.ab.min_n")
        bands = parse_bands(text)
        if bands is None:
            st.warning(t("habits.settings.bands_error", text=text))
            bands = ab.bands
    return (SlaSettings(float(agency), float(partner), float(target), bool(business)),
            AbSettings(bands=bands, channels=ab.channels, min_n=int(min_n), min_expected=ab.min_expected, alpha=ab.alpha))


def holiday_caption(start, end) -> None:
    from kpi.business_days import holiday_names

    names = holiday_names(start, end)
    shown = join_list(f"{d:%m/%d} {name}" for d, name in names[:6]) + (" …" if len(names) > 6 else "")
    st.caption(t("habits.calendar_caption", n=len(names), names=shown or "—"))


# ------------------------------------------------------------------ partner SLA
def sla_section(view: SlaView | None, frames: dict[str, pd.DataFrame], as_of) -> None:
    st.subheader(t("habits.sla.title"))
    st.caption(t("habits.sla.intro"))
    if view is None:
        st.caption("ⓘ " + t("habits.sla.needs"))
        return
    if view.leads.empty:
        st.info(t("habits.sla.none"))
        return
    keys = ("sla_compliance_rate", "agency_sla_compliance_rate", "partner_sla_compliance_rate")
    values = {"sla_compliance_rate": view.rate, "agency_sla_compliance_rate": view.role_rate("agency"),
              "partner_sla_compliance_rate": view.role_rate("partner")}
    targets = _SlaTarget(view.settings.compliance_target)
    for col, key in zip(st.columns(len(keys)), keys):
        with col:
            registry_tile(registry.tile(key, values[key], targets, frames={"leads": frames["leads"]}, as_of=as_of, lang=lang()))
    st.caption(t("habits.sla.caption", leads=len(view.leads), met=view.met, missed=view.missed, pending=view.pending))
    below = view.by_owner[view.by_owner["meets_target"].eq(False)]
    if len(below):
        st.warning(t("habits.sla.missing_owner", owners=join_list(f"{plain(o)} ({fmt_pct(r, 0)})" for o, r in zip(below["owner"], below["rate"]))))
    else:
        st.success(t("habits.sla.all_ok"))
    owners = view.by_owner.assign(role=label_series("owner_role", view.by_owner["owner_role"]))
    owners["label"] = [f"{fmt_pct(r, 0)}  ({m:,}/{m + x:,})" for r, m, x in zip(owners["rate"], owners["met"], owners["missed"])]
    weeks = view.by_week.assign(role=label_series("owner_role", view.by_week["owner_role"]))
    c1, c2 = st.columns(2)
    show_chart_png(weekly_rate_lines, weeks, "week", "rate", "role", view.settings.compliance_target, t("habits.sla.weekly_title"),
                   t("habits.sla.axis.week"), t("habits.sla.axis.rate"), name="sla_weekly", key="habits.png.sla_weekly", where=c1)
    show_chart_png(rate_bars_with_n, owners, "owner", "rate", "label", t("habits.sla.owner_title"), t("habits.sla.axis.rate"),
                   color="role", target=view.settings.compliance_target, name="sla_owners", key="habits.png.sla_owners", where=c2)
    verdict = owners["meets_target"].map({True: t("habits.sla.verdict.ok"), False: t("habits.sla.verdict.miss")}).fillna(t("habits.sla.verdict.na"))
    table = pd.DataFrame({
        t("habits.sla.col.owner"): owners["owner"], t("habits.sla.col.role"): owners["role"], t("habits.sla.col.sla_hours"): owners["sla_hours"],
        t("habits.sla.col.leads"): owners["leads"], t("habits.sla.col.met"): owners["met"], t("habits.sla.col.missed"): owners["missed"],
        t("habits.sla.col.pending"): owners["pending"], t("habits.sla.col.rate"): owners["rate"],
        t("habits.sla.col.median_hours"): owners["median_hours"].round(1), t("habits.sla.col.verdict"): verdict,
    })
    data_table(table, column_config={t("habits.sla.col.rate"): pct_column()}, download="partner_sla_by_owner", download_key="habits.dl.sla_owner")
    with st.expander(t("habits.sla.week_expander")):
        week_table = pd.DataFrame({
            t("habits.sla.col.week"): weeks["week"].dt.date, t("habits.sla.col.role"): weeks["role"], t("habits.sla.col.met"): weeks["met"],
            t("habits.sla.col.missed"): weeks["missed"], t("habits.sla.col.pending"): weeks["pending"], t("habits.sla.col.rate"): weeks["rate"],
        })
        data_table(week_table, column_config={t("habits.sla.col.rate"): pct_column()}, download="partner_sla_by_week", download_key="habits.dl.sla_week")


class _SlaTarget:
    """The page's SLA target where the registry tile reads Targets (until the setting is part of Targets)."""

    def __init__(self, target: float) -> None:
        self.sla_compliance_target = target


# ------------------------------------------------------------------ A/B
def band_label(band: str) -> str:
    if band == "other":
        return t("habits.ab.band_other")
    start, end = band.split("-")
    return t("habits.ab.band", start=start, end=end)


def group_label(dimension: str, group: str) -> str:
    return band_label(group) if dimension == "band" else str(group)


def _n_label(rate: pd.Series, sent: pd.Series) -> list[str]:
    return [f"{fmt_pct(r, 0)}  (n={n:,})" for r, n in zip(rate, sent)]


def verdict_text(row, markdown: bool = False) -> str:
    """The verdict in words; ``markdown``: the group names (a pattern is text from the file) escaped for st.markdown."""
    a, b = group_label(row.dimension, row.a), group_label(row.dimension, row.b)
    if markdown:
        a, b = plain(a), plain(b)
    return t(f"habits.ab.verdict.{row.verdict}", a=a, b=b)


def ab_section(view: AbView | None, frames: dict[str, pd.DataFrame], as_of) -> None:
    st.subheader(t("habits.ab.title"))
    st.caption(t("habits.ab.intro"))
    if view is None:
        st.caption("ⓘ " + t("habits.ab.needs"))
        return
    if not view.sent:
        st.info(t("habits.ab.none"))
        return
    c0, c1 = st.columns([1, 3])
    with c0:
        registry_tile(registry.tile("reply_rate", view.rate, frames={"activities": frames["activities"]}, as_of=as_of, lang=lang()))
    overall = view.tests[view.tests["region"].isna() & view.tests["verdict"].ne("too_few")]
    with c1:  # one line per family (channel × band / pattern): its winners, or that no pair differs beyond noise
        for (channel, dimension), family in overall.groupby(["channel", "dimension"], sort=True):
            what = f"{t(f'habits.ab.channel.{channel}')} · {t(f'habits.ab.dimension.{dimension}')}"
            winners = family[family["verdict"].isin(["a_wins", "b_wins"])]
            for row in winners.sort_values("p_adjusted").itertuples():
                st.markdown("- " + t("habits.ab.headline", what=what, verdict=verdict_text(row, markdown=True), a=plain(group_label(dimension, row.a)),
                                     b=plain(group_label(dimension, row.b)), ra=fmt_pct(row.rate_a), rb=fmt_pct(row.rate_b), na=int(row.n_a),
                                     nb=int(row.n_b), p=f"{row.p_adjusted:.3g}"))
            if winners.empty:
                st.markdown("- " + t("habits.ab.family_tie", what=what, k=len(family), p=f"{family['p_adjusted'].min():.3g}"))
    order = band_order(view.settings)
    bands = view.by_band.assign(
        group=[f"{t(f'habits.ab.channel.{c}')} {band_label(b)}" for c, b in zip(view.by_band["channel"], view.by_band["band"])],
        channel_label=[t(f"habits.ab.channel.{c}") for c in view.by_band["channel"]],
        label=_n_label(view.by_band["rate"], view.by_band["sent"]))
    c1, c2 = st.columns(2)
    show_chart_png(rate_bars_with_n, bands, "group", "rate", "label", t("habits.ab.band_title"), t("habits.ab.col.rate"),
                   color="channel_label", name="reply_rate_by_band", key="habits.png.ab_band", where=c1)
    variants = view.by_variant.assign(
        group=[f"{t(f'habits.ab.channel.{c}')} {v}" for c, v in zip(view.by_variant["channel"], view.by_variant["variant"])],
        label=_n_label(view.by_variant["rate"], view.by_variant["sent"]))
    if len(variants):
        show_chart_png(rate_bars_with_n, variants, "group", "rate", "label", t("habits.ab.variant_title"), t("habits.ab.col.rate"),
                       name="reply_rate_by_variant", key="habits.png.ab_variant", where=c2)
    else:
        c2.caption("ⓘ " + t("habits.ab.no_variant"))
    grid = view.by_band_region[view.by_band_region["channel"].eq("email")] if view.by_band_region["channel"].eq("email").any() else view.by_band_region
    grid = grid.assign(band_label=grid["band"].map(band_label), region_label=label_series("region", grid["region"]),
                       label=_n_label(grid["rate"], grid["sent"]))
    show_chart_png(rate_heatmap, grid, "band_label", "region_label", "rate", "label",
                   f"{t('habits.ab.region_title')} ({t(f'habits.ab.channel.{grid.channel.iloc[0]}')})" if len(grid) else t("habits.ab.region_title"),
                   t("habits.ab.col.rate"), x_order=[band_label(b) for b in order], name="reply_rate_band_region", key="habits.png.ab_grid")
    st.markdown(f"**{t('habits.ab.tests_title')}**")
    data_table(tests_table(view.tests[view.tests["region"].isna()]), column_config=_test_config(), download="reply_rate_ab_tests",
               download_key="habits.dl.ab_tests")
    with st.expander(t("habits.ab.tests_region")):
        data_table(tests_table(view.tests[view.tests["region"].notna()]), column_config=_test_config(), download="reply_rate_ab_tests_regions",
                   download_key="habits.dl.ab_tests_region")


def _test_config() -> dict:
    return {t("habits.ab.col.rate_a"): pct_column(), t("habits.ab.col.rate_b"): pct_column()}


def tests_table(tests: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        t("habits.ab.col.channel"): [t(f"habits.ab.channel.{c}") for c in tests["channel"]],
        t("habits.ab.col.dimension"): [t(f"habits.ab.dimension.{d}") for d in tests["dimension"]],
        t("habits.ab.col.region"): [t("habits.ab.all_regions") if pd.isna(r) else label_of("region", r) for r in tests["region"]],
        t("habits.ab.col.a"): [group_label(d, g) for d, g in zip(tests["dimension"], tests["a"])],
        t("habits.ab.col.b"): [group_label(d, g) for d, g in zip(tests["dimension"], tests["b"])],
        t("habits.ab.col.n_a"): tests["n_a"], t("habits.ab.col.n_b"): tests["n_b"],
        t("habits.ab.col.rate_a"): tests["rate_a"], t("habits.ab.col.rate_b"): tests["rate_b"],
        t("habits.ab.col.p"): tests["p_adjusted"].round(4), t("habits.ab.col.verdict"): [verdict_text(r) for r in tests.itertuples()],
    })
