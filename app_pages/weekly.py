"""Weekly review page (週次レビュー): the bottleneck, this week vs last, the leads behind it, the 60-minute agenda,
a cause checklist with its habit numbers, and the actions (owner + deadline). With a workspace (or in the demo) the
actions are stored and last week's open ones open the page: done, carried over or dropped (SPEC 5)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from kpi import funnel, report
from kpi.confidence import confidence
from kpi.registry import BY_KEY, CADENCE_LABELS, LAYER_LABELS
from kpi.targets import Targets, rag
from ui.charts_habits import agenda_bar
from ui.data import cached, require
from ui.i18n import label_of, label_series, lang, t
from ui.workspace import current_store
from ui.widgets import (fmt_kpi, plain, rag_badge_md, data_table, delta_column, delta_pct_points, fmt_delta_pct_points, fmt_num, fmt_pct, fmt_signed, kpi_tile,
                        pct_column, show_chart, XLSX_MIME)

frames = require("leads")
leads, activities = frames["leads"], frames.get("activities")
targets: Targets = st.session_state.get("targets", Targets())
actions: list[dict] = st.session_state.setdefault("weekly.actions", [])


@cached(max_entries=16)
def review_of(lds: pd.DataFrame, acts: pd.DataFrame | None, as_of: dt.date, targets_json: str) -> report.WeeklyReview:
    return report.weekly_review(lds, acts, as_of, Targets.from_json(targets_json))


st.title(t("weekly.title"))
st.caption(t("weekly.intro"))
as_of = st.date_input(t("app.as_of"), value=funnel.default_as_of(leads).date(), key="weekly.as_of")
review = review_of(leads, activities, as_of, targets.to_json())
st.caption(t("weekly.as_of_caption", now=review.as_of.date(), prev=review.previous_as_of.date()))
store = current_store()  # the workspace (or the demo's, in memory): actions are kept there and carried over
week = review.as_of.date()


def about_label(about: str | None) -> str:
    """What an action answers, in words: a registry KPI's or a stage's label, else the text as stored."""
    if not about:
        return "—"
    side = 0 if lang() == "ja" else 1
    if about in BY_KEY:
        return BY_KEY[about].label[side]
    return label_of("stage", about)  # a stage code in words; other text as stored


def close_action(action_id: int, status: str) -> None:
    store.update_action(action_id, status=status, week_closed=week)


def carry_action(action_id: int) -> None:
    store.update_action(action_id, note=t("weekly.carried.note", week=week))


# ---- ⓪ last week's actions first: done, carried over or dropped (SPEC 5), before the numbers
if store is not None:
    carried = store.open_actions(before=week)
    st.subheader(t("weekly.carried.title", n=len(carried)))
    if not carried:
        st.caption(t("weekly.carried.none"))
    for item in carried:
        overdue = item.deadline is not None and item.deadline < week
        with st.container(border=True):
            c1, c2, c3, c4 = st.columns([4, 1.1, 1.1, 1.4], vertical_alignment="center")
            c1.markdown(("🔴 " if overdue else "") + f"**{plain(item.action)}**")
            c1.caption(t("weekly.carried.meta", owner=plain(item.owner) or "—", deadline=item.deadline or "—", raised=item.week_raised,
                         about=about_label(item.kpi_or_bottleneck), cause=item.cause or "—") + (f"　{plain(item.note)}" if item.note else ""))
            c2.button(t("weekly.carried.done"), key=f"weekly.carried.done.{item.id}", on_click=close_action, args=(item.id, "done"),
                      icon=":material/check:")
            c3.button(t("weekly.carried.carry"), key=f"weekly.carried.carry.{item.id}", on_click=carry_action, args=(item.id,),
                      icon=":material/redo:")
            c4.button(t("weekly.carried.drop"), key=f"weekly.carried.drop.{item.id}", on_click=close_action, args=(item.id, "dropped"),
                      icon=":material/close:")


# ---- the week in the team's three layers: 結果 first, then what feeds it (手前), then the habits (registry)
@cached(max_entries=16)
def layer_values(lds: pd.DataFrame, acts: pd.DataFrame | None, as_of: dt.date, targets_json: str) -> dict:
    from kpi.registry import values

    sales = {"leads": lds} | ({"activities": acts} if acts is not None else {})
    return values(sales, as_of, Targets.from_json(targets_json))


LAYER_TILES = {"result": ("poc_count", "approval_rate", "payback_months_median"),
               "leading": ("lead_count", "contact_count", "meeting_rate"),
               "habit": ("minutes_within_24h_rate", "key_person_rate", "review_capture_rate")}
layer_now = layer_values(leads, activities, week, targets.to_json())
st.subheader(t("weekly.layers_title"))
_side = 0 if lang() == "ja" else 1
for column, (layer, keys) in zip(st.columns(3), LAYER_TILES.items()):
    with column.container(border=True):
        st.markdown(f"**{LAYER_LABELS[layer][_side]}**　{t(f'weekly.layer.{layer}', cadence=CADENCE_LABELS[BY_KEY[keys[0]].cadence][_side])}")
        for key in keys:
            kpi, value = BY_KEY[key], layer_now.get(key)
            target = kpi.target(targets)
            shown = fmt_kpi(kpi.unit, value)
            badge = rag_badge_md(rag(value, target, kpi.direction == "up")) if target is not None and value is not None else ""
            st.markdown(f"{kpi.label[_side]}: **{shown}** {badge}", help=kpi.definition[_side])


def stage(code: str) -> str:
    return t(f"stage.{code}")


YEN = {t("weekly.col.amount_yen"): st.column_config.NumberColumn(format="¥%,.0f")}


def lead_table(rows: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Codes -> labels and Japanese headers, for a lead list on screen and in its download."""
    out = rows[[c for c in columns if c in rows.columns]].copy()
    for col, group in (("region", "region"), ("segment", "segment"), ("owner_role", "owner_role"), ("status", "status"), ("stage", "stage")):
        if col in out.columns:
            out[col] = label_series(group, out[col], "—")
    return out.rename(columns={c: t(f"weekly.col.{c}") for c in out.columns})


# ---- the one problem of the week
if review.bottleneck is None:
    st.warning(t("weekly.no_bottleneck"))
    a = b = None
else:
    a, b = (stage(s) for s in review.step)
    row = review.row(review.bottleneck)
    st.header(t("weekly.bottleneck", step=t("weekly.step", a=a, b=b)))
    st.caption(t("weekly.bottleneck_why", conv=fmt_pct(row["conversion"]), target=fmt_pct(row["target"], 0), ratio=fmt_pct(row["conversion"] / row["target"], 0)))
    prev_lost = review.previous_table.set_index("stage").loc[review.bottleneck, "lost"]
    # graded on the step's denominator: the leads that reached the stage before it
    behind = leads[funnel.reached_flags(leads, review.as_of)[review.step[0]]]
    conf = confidence(behind, ["owner", "account", "segment"], review.as_of, lang=lang())
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        kpi_tile(t("weekly.tile.conversion", step=t("weekly.step", a=a, b=b)), fmt_pct(row["conversion"]), fmt_delta_pct_points(row["conversion"], row["conversion_prev"]),
                 rag=row["rag"], confidence=conf, help=t("weekly.tile.conversion_help", a=a, b=b))
    with c2:
        kpi_tile(t("weekly.tile.lost"), fmt_num(row["lost"]), fmt_signed(row["lost"] - prev_lost, 0), delta_color="inverse", help=t("weekly.tile.lost_help", a=a, b=b))
    with c3:
        limit = targets.stall_days.get(review.step[0])
        kpi_tile(t("weekly.tile.stalled", a=a), fmt_num(len(review.stalled_in_step)), help=t("weekly.tile.stalled_help", a=a, days=limit))
    with c4:
        overall, overall_prev = funnel.overall_conversion(review.table), funnel.overall_conversion(review.previous_table)
        kpi_tile(t("weekly.tile.overall"), fmt_pct(overall), fmt_delta_pct_points(overall, overall_prev), help=t("weekly.tile.overall_help"))

# ---- the 60-minute agenda, always visible
st.subheader(t("weekly.agenda_title"))
AGENDA = (("numbers", 10), ("problem", 10), ("causes", 20), ("actions", 15), ("owners", 5))
agenda = pd.DataFrame({"step": [t(f"weekly.agenda.{k}") for k, _ in AGENDA], "minutes": [m for _, m in AGENDA]})
show_chart(agenda_bar, agenda, "step", "minutes", "", st_width="stretch")
for col, (key, minutes) in zip(st.columns(len(AGENDA)), AGENDA):
    with col.container(border=True):
        st.markdown(f"**{t('weekly.minutes', n=minutes)}　{t(f'weekly.agenda.{key}')}**")
        st.caption(t(f"weekly.agenda.{key}_desc"))

# ---- ① numbers: this week vs last
st.subheader(t("weekly.compare_title", prev=review.previous_as_of.date()))
comp = review.comparison
compare = pd.DataFrame({
    t("weekly.col.stage"): comp["stage"].map(stage),
    t("weekly.col.reached"): comp["reached"], t("weekly.col.reached_prev"): comp["reached_prev"], t("weekly.col.reached_delta"): comp["reached_delta"],
    # rates and their change stay numbers (0.5 points is 0.5, not the text '+0.5pt'): the downloads can be summed
    t("weekly.col.conversion"): comp["conversion"], t("weekly.col.conversion_prev"): comp["conversion_prev"],
    t("weekly.col.conversion_delta"): [delta_pct_points(x, y) for x, y in zip(comp["conversion"], comp["conversion_prev"])],
    t("weekly.col.target"): comp["target"],
    t("weekly.col.rag"): comp["rag"].map(lambda r: t(f"rag.{r}") if isinstance(r, str) else None),
})
compare[t("weekly.col.conversion_delta")] = compare[t("weekly.col.conversion_delta")].astype("float64")
data_table(compare, column_config={t("weekly.col.conversion"): pct_column(), t("weekly.col.conversion_prev"): pct_column(),
                                   t("weekly.col.conversion_delta"): delta_column(), t("weekly.col.target"): pct_column(digits=0)},
           download="weekly_compare", download_key="weekly.dl.compare")

# ---- ② the leads behind the problem
if review.bottleneck is not None:
    st.subheader(t("weekly.leads_title"))
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('weekly.lost_title', a=a, b=b, n=len(review.lost_leads))}**")
        lost = lead_table(review.lost_leads, ["lead_id", "account", "owner", "owner_role", "region", "status", "amount_yen", "key_person", "lost_reason"])
        data_table(lost, height=320, column_config=YEN, download="weekly_lost_at_step", download_key="weekly.dl.lost")
    with right:
        st.markdown(f"**{t('weekly.stalled_title', a=a, n=len(review.stalled_in_step))}**")
        stalled = lead_table(review.stalled_in_step, ["lead_id", "account", "owner", "owner_role", "region", "stage_date", "days_in_stage", "limit_days", "amount_yen"])
        if stalled.empty:
            st.info(t("weekly.none"))
        else:
            data_table(stalled, height=320, column_config=YEN | {t("weekly.col.stage_date"): st.column_config.DateColumn(format="YYYY/MM/DD")},
                       download="weekly_stalled", download_key="weekly.dl.stalled")

# ---- ③ cause checklist with the habit numbers behind each cause
st.subheader(t("weekly.causes_title"))
st.caption(t("weekly.causes_intro"))


def evidence_text(e: report.CauseEvidence) -> str:
    name = t(f"habits.kpi.{e.kpi}")
    if e.value is None:
        return t("weekly.cause.na", kpi=name)
    rate = e.kpi in report.RATE_KPIS
    value = fmt_pct(e.value) if rate else fmt_num(e.value, 1) if e.kpi == "visits_per_day" else t("habits.minutes_unit", v=fmt_num(e.value))
    guide = f"{fmt_num(e.low, 1)}–{fmt_num(e.high, 1)}" if e.low is not None and e.high is not None else \
        (f"≥ {fmt_pct(e.low, 0) if rate else fmt_num(e.low, 1)}" if e.low is not None else "≤ " + t("habits.minutes_unit", v=fmt_num(e.high)))
    badge = {"green": ":green[●]", "yellow": ":orange[▲]", "red": ":red[■]"}.get(e.rag, "")
    return f"{badge} " + t("weekly.cause.evidence", kpi=name, value=value, target=guide)


for cause, _ in report.CAUSES:
    evidence = [e for e in review.causes if e.cause == cause]
    col1, col2 = st.columns([1, 2])
    col1.checkbox(t(f"weekly.cause.{cause}"), value=any(e.flagged for e in evidence), key=f"weekly.cause.{cause}")
    col2.caption("　".join(evidence_text(e) for e in evidence) if evidence else t("weekly.cause.no_number"))

# ---- ④ actions with owner and deadline (kept in the workspace when there is one, else in this screen)
chosen_causes = tuple(cause for cause, _ in report.CAUSES if st.session_state.get(f"weekly.cause.{cause}"))
st.subheader(t("weekly.actions_title"))
with st.form("weekly.action_form", clear_on_submit=True):
    f1, f2, f3 = st.columns([3, 1, 1])
    action = f1.text_input(t("weekly.action"), key="weekly.action_text")
    owner = f2.text_input(t("weekly.action_owner"), key="weekly.action_owner")
    deadline = f3.date_input(t("weekly.action_deadline"), value=week + dt.timedelta(days=7), key="weekly.action_deadline")
    if st.form_submit_button(t("weekly.action_add"), type="primary"):
        if action.strip() and owner.strip():
            about = t("weekly.step", a=a, b=b) if review.bottleneck else None
            cause = "、".join(t(f"weekly.cause.{c}") for c in chosen_causes) or None
            if store is not None:
                store.add_action(week, action.strip(), kpi_or_bottleneck=about, cause=cause, owner=owner.strip(), deadline=deadline)
            else:
                actions.append({"action": action.strip(), "owner": owner.strip(), "deadline": deadline})
        else:
            st.warning(t("weekly.action_missing"))
if store is not None:
    stored = [x for x in store.actions() if x.week_raised == week or x.status == "open"]
    actions_frame = pd.DataFrame([{"action": x.action, "owner": x.owner, "deadline": x.deadline, "status": x.status,
                                   "week_raised": x.week_raised, "kpi_or_bottleneck": x.kpi_or_bottleneck, "cause": x.cause}
                                  for x in stored], columns=["action", "owner", "deadline", "status", "week_raised", "kpi_or_bottleneck", "cause"])
    st.caption(t("weekly.action_note_store"))
else:
    actions_frame = pd.DataFrame(actions, columns=["action", "owner", "deadline"])
    st.caption(t("weekly.action_note"))
if actions_frame.empty:
    st.info(t("weekly.action_none"))
else:
    shown = actions_frame.assign(**({"status": actions_frame["status"].map(lambda v: t(f"weekly.status.{v}")),
                                     "kpi_or_bottleneck": actions_frame["kpi_or_bottleneck"].map(about_label)} if "status" in actions_frame else {}))
    shown = shown.rename(columns={c: t(f"weekly.col.action.{c}") for c in shown.columns})
    data_table(shown, download="weekly_actions", download_key="weekly.dl.actions")
    if store is None:
        st.button(t("weekly.action_clear"), key="weekly.action_clear", on_click=actions.clear)

# ---- 月次棚卸し: once a month, which KPIs to cut (did not move, or move in lockstep) and the six-headline rule
if store is not None:
    from kpi.stocktake import HEADLINE_MAX, is_stocktake_week, propose_cuts

    side = 0 if lang() == "ja" else 1
    with st.expander(t("weekly.stocktake.title"), expanded=is_stocktake_week(week), icon=":material/inventory:"):
        st.caption(t("weekly.stocktake.intro", n=HEADLINE_MAX, chosen=len(targets.headline_kpis)))
        proposals = propose_cuts(store.trend_frame())
        if not proposals:
            st.info(t("weekly.stocktake.none"))
        for p in proposals:
            name = BY_KEY[p.key].label[side]
            if p.reason == "still":
                st.markdown("- " + t("weekly.stocktake.still", kpi=name))
            else:
                st.markdown("- " + t("weekly.stocktake.lockstep", kpi=name, partner=BY_KEY[p.partner].label[side], r=f"{p.r:+.2f}"))

# ---- the one download: the weekly review workbook (built when clicked)
st.divider()
st.download_button(t("weekly.workbook"), data=lambda: report.weekly_workbook(frames, as_of, targets, lang=lang(), actions=actions_frame,
                                                                             causes=chosen_causes),
                   file_name=f"weekly_review_{review.as_of.date()}.xlsx", mime=XLSX_MIME, key="weekly.dl.workbook", type="primary",
                   icon=":material/download:", on_click="ignore")
st.caption(t("weekly.workbook_caption"))
