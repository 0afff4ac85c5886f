"""The weekly review page's sections (週次レビュー): one function per section, each rendering the frozen
``kpi.weekly.WeeklyView`` (and, for the actions, the workspace ``store`` or this session's ``actions`` list).
Computes nothing beyond labels: the numbers are the view's. Widget keys are the page's (``weekly.*``): tests and
shared links use them."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from kpi import funnel, report
from kpi import playbook as pb
from kpi.messages import LAYER_LABELS, CADENCE_LABELS, REASON_LABELS
from kpi.registry import BY_KEY
from kpi.stocktake import HEADLINE_MAX
from kpi.weekly import HB_TILES, SENT_BACK_TILE, WeeklyView
from ui.charts_funnel import SEGMENT_COLORS, committee_calendar, rate_trend, segment_funnel
from ui.charts_habits import agenda_bar
from ui.i18n import label_of, label_series, lang, t
from ui.widgets import (MISSING, XLSX_MIME, data_table, delta_column, delta_pct_points, fmt_kpi, fmt_num, fmt_pct, fmt_signed, kpi_tile,
                        pct_column, plain, rag_badge_md, registry_tile, show_chart)

AGENDA = (("numbers", 10), ("problem", 10), ("causes", 20), ("actions", 15), ("owners", 5))
PLAYBOOK_KEY, EDITOR_KEY = "weekly.playbook", "weekly.playbook.editor"


def _side() -> int:
    return 0 if lang() == "ja" else 1


def stage(code: str) -> str:
    return t(f"stage.{code}")


def step_text(view: WeeklyView) -> str | None:
    """The bottleneck step in words (商談 → PoC), None without a bottleneck."""
    if view.bottleneck is None:
        return None
    a, b = (stage(s) for s in view.bottleneck.step)
    return t("weekly.step", a=a, b=b)


def about_label(about: str | None) -> str:
    """What an action answers, in words: a registry KPI's or a stage's label, else the text as stored."""
    if not about:
        return "—"
    if about in BY_KEY:
        return BY_KEY[about].label[_side()]
    return label_of("stage", about)  # a stage code in words; other text as stored


def lead_table(rows: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Codes -> labels and Japanese headers, for a lead list on screen and in its download."""
    out = rows[[c for c in columns if c in rows.columns]].copy()
    for col, group in (("region", "region"), ("segment", "segment"), ("owner_role", "owner_role"), ("status", "status"), ("stage", "stage")):
        if col in out.columns:
            out[col] = label_series(group, out[col], "—")
    return out.rename(columns={c: t(f"weekly.col.{c}") for c in out.columns})


def yen_column() -> dict:
    return {t("weekly.col.amount_yen"): st.column_config.NumberColumn(format="¥%,.0f")}


# ---- ⓪ last week's actions first: done, carried over or dropped (SPEC 5), before the numbers
def _close_action(store, action_id: int, status: str, week: dt.date) -> None:
    store.update_action(action_id, status=status, week_closed=week)


def _carry_action(store, action_id: int, week: dt.date) -> None:
    store.update_action(action_id, note=t("weekly.carried.note", week=week))


def carried_actions(view: WeeklyView, store) -> None:
    week = view.week
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
            c2.button(t("weekly.carried.done"), key=f"weekly.carried.done.{item.id}", on_click=_close_action, args=(store, item.id, "done", week),
                      icon=":material/check:")
            c3.button(t("weekly.carried.carry"), key=f"weekly.carried.carry.{item.id}", on_click=_carry_action, args=(store, item.id, week),
                      icon=":material/redo:")
            c4.button(t("weekly.carried.drop"), key=f"weekly.carried.drop.{item.id}", on_click=_close_action,
                      args=(store, item.id, "dropped", week), icon=":material/close:")


# ---- the week in the team's three layers: 結果 first, then what feeds it (手前), then the habits (registry)
def layers(view: WeeklyView) -> None:
    st.subheader(t("weekly.layers_title"))
    side = _side()
    for column, (layer, tiles) in zip(st.columns(3), view.layers):
        with column.container(border=True):
            cadence = CADENCE_LABELS[BY_KEY[tiles[0].key].cadence][side]
            st.markdown(f"**{LAYER_LABELS[layer][side]}**　{t(f'weekly.layer.{layer}', cadence=cadence)}")
            for tile in tiles:
                badge = rag_badge_md(tile.rag) if tile.rag is not None else ""
                st.markdown(f"{tile.label}: **{fmt_kpi(tile.unit, tile.value)}** {badge}", help=tile.definition)


# ---- the one problem of the week: the step's rate and the overall conversion as registry tiles
def bottleneck(view: WeeklyView) -> None:
    neck = view.bottleneck
    if neck is None:
        st.warning(t("weekly.no_bottleneck"))
        return
    a, b = (stage(s) for s in neck.step)
    row = neck.row
    st.header(t("weekly.bottleneck", step=step_text(view)))
    st.caption(t("weekly.bottleneck_why", conv=fmt_pct(row["conversion"]), target=fmt_pct(row["target"], 0), ratio=fmt_pct(row["conversion"] / row["target"], 0)))
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        registry_tile(neck.conversion)
    with c2:
        kpi_tile(t("weekly.tile.lost"), fmt_num(row["lost"]), fmt_signed(row["lost"] - neck.lost_prev, 0), delta_color="inverse",
                 help=t("weekly.tile.lost_help", a=a, b=b))
    with c3:
        kpi_tile(t("weekly.tile.stalled", a=a), fmt_num(len(view.review.stalled_in_step)), help=t("weekly.tile.stalled_help", a=a, days=neck.stall_days))
    with c4:
        registry_tile(neck.overall)


# ---- the 60-minute agenda, always visible
def agenda() -> None:
    st.subheader(t("weekly.agenda_title"))
    frame = pd.DataFrame({"step": [t(f"weekly.agenda.{k}") for k, _ in AGENDA], "minutes": [m for _, m in AGENDA]})
    show_chart(agenda_bar, frame, "step", "minutes", "", st_width="stretch")
    for col, (key, minutes) in zip(st.columns(len(AGENDA)), AGENDA):
        with col.container(border=True):
            st.markdown(f"**{t('weekly.minutes', n=minutes)}　{t(f'weekly.agenda.{key}')}**")
            st.caption(t(f"weekly.agenda.{key}_desc"))


# ---- ① numbers: this week vs last
def compare(view: WeeklyView) -> None:
    review = view.review
    st.subheader(t("weekly.compare_title", prev=review.previous_as_of.date()))
    comp = review.comparison
    table = pd.DataFrame({
        t("weekly.col.stage"): comp["stage"].map(stage),
        t("weekly.col.reached"): comp["reached"], t("weekly.col.reached_prev"): comp["reached_prev"], t("weekly.col.reached_delta"): comp["reached_delta"],
        # rates and their change stay numbers (0.5 points is 0.5, not the text '+0.5pt'): the downloads can be summed
        t("weekly.col.conversion"): comp["conversion"], t("weekly.col.conversion_prev"): comp["conversion_prev"],
        t("weekly.col.conversion_delta"): [delta_pct_points(x, y) for x, y in zip(comp["conversion"], comp["conversion_prev"])],
        t("weekly.col.target"): comp["target"],
        t("weekly.col.rag"): comp["rag"].map(lambda r: t(f"rag.{r}") if isinstance(r, str) else None),
    })
    table[t("weekly.col.conversion_delta")] = table[t("weekly.col.conversion_delta")].astype("float64")
    data_table(table, column_config={t("weekly.col.conversion"): pct_column(), t("weekly.col.conversion_prev"): pct_column(),
                                     t("weekly.col.conversion_delta"): delta_column(), t("weekly.col.target"): pct_column(digits=0)},
               download="weekly_compare", download_key="weekly.dl.compare")


# ---- ② the leads behind the problem
def leads_behind(view: WeeklyView) -> None:
    if view.bottleneck is None:
        return
    review = view.review
    a, b = (stage(s) for s in view.bottleneck.step)
    st.subheader(t("weekly.leads_title"))
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('weekly.lost_title', a=a, b=b, n=len(review.lost_leads))}**")
        lost = lead_table(review.lost_leads, ["lead_id", "account", "owner", "owner_role", "region", "status", "amount_yen", "key_person", "lost_reason"])
        data_table(lost, height=320, column_config=yen_column(), download="weekly_lost_at_step", download_key="weekly.dl.lost")
    with right:
        st.markdown(f"**{t('weekly.stalled_title', a=a, n=len(review.stalled_in_step))}**")
        stalled = lead_table(review.stalled_in_step, ["lead_id", "account", "owner", "owner_role", "region", "stage_date", "days_in_stage", "limit_days", "amount_yen"])
        if stalled.empty:
            st.info(t("weekly.none"))
        else:
            data_table(stalled, height=320, column_config=yen_column() | {t("weekly.col.stage_date"): st.column_config.DateColumn(format="YYYY/MM/DD")},
                       download="weekly_stalled", download_key="weekly.dl.stalled")


# ---- the numbers' story: this week's one-line diary by region and rep; minutes saved per account and lead
def story(view: WeeklyView) -> None:
    from kpi.diary import WEEK_DAYS

    st.subheader(t("weekly.story.title"))
    tale, week = view.story, view.week
    if tale is None:
        st.info(t("weekly.story.no_activities"))
        return
    st.caption(t("weekly.story.intro", start=week - dt.timedelta(days=WEEK_DAYS - 1), end=week))
    left, right = st.columns([1, 4])
    with left:
        kpi_tile(t("weekly.story.saved_week"), t("habits.minutes_unit", v=fmt_num(tale.saved_total_week)) if tale.saved_total_week is not None else "n/a",
                 help=t("weekly.story.saved_help"))
        st.caption(t("weekly.story.lines", n=len(tale.notes)))
    with right:
        if tale.notes.empty:
            st.info(t("weekly.story.none"))
        else:
            present = set(tale.notes["region"])  # the team's region order, then any other code
            regions = [r for r in funnel.REGIONS if r in present] + sorted(present - set(funnel.REGIONS))
            for tab, region in zip(st.tabs([label_of("region", r) for r in regions]), regions):
                lines = tale.notes[tale.notes["region"] == region].drop(columns="region")
                lines = lines.assign(type=lines["type"].map(lambda c: t(f"regions.type.{c}") if isinstance(c, str) else c))
                lines = lines.rename(columns={c: t(f"weekly.story.col.{c}") for c in lines.columns})
                with tab:
                    data_table(lines, height=260, column_config={t("weekly.story.col.date"): st.column_config.DatetimeColumn(format="MM/DD HH:mm")},
                               download=f"weekly_diary_{region}", download_key=f"weekly.dl.diary.{region}")
    for column, (by, title, frame) in zip(st.columns(2), (("account", "by_account", tale.by_account), ("lead_id", "by_lead", tale.by_lead))):
        with column:
            st.markdown(f"**{t(f'weekly.story.{title}')}**")
            if frame is None:
                st.caption(t("weekly.story.no_saved"))
                continue
            shown = frame.rename(columns={c: t(f"weekly.story.col.{c}") for c in frame.columns})
            data_table(shown, height=260, column_config={t("weekly.story.col.last_date"): st.column_config.DateColumn(format="YYYY/MM/DD")},
                       download=f"weekly_saved_by_{by}", download_key=f"weekly.dl.saved.{by}")


# ---- hospitals vs general B2B: the funnel split and coloured, the committees ahead, the customers' fiscal year ends
def hospital_b2b(view: WeeklyView) -> None:
    week, settings, split, calendar, fiscal = view.week, view.settings, view.segment_funnel, view.committees, view.fiscal
    st.subheader(t("weekly.hb.title"))
    st.caption(t("weekly.hb.intro"))
    left, right = st.columns([3, 2])
    with left:
        st.markdown(f"**{t('weekly.hb.funnel')}**")
        if split is None or split.empty:
            st.info(t("weekly.hb.no_segment"))
        else:
            segments = [s for s in funnel.HOSPITAL_B2B if s in set(split["segment"])]
            chart_frame = pd.DataFrame({"stage_label": split["stage"].map(stage), "segment_label": label_series("segment", split["segment"]),
                                        "reached": split["reached"], "conversion": split["conversion"]})
            show_chart(segment_funnel, chart_frame, [stage(s) for s in funnel.STAGES], [label_of("segment", s) for s in segments],
                       [SEGMENT_COLORS[s] for s in segments],
                       {"reached": t("weekly.col.reached"), "segment": t("weekly.col.segment"), "stage": t("weekly.col.stage"),
                        "conversion": t("weekly.col.conversion")})
    with right:
        for key in HB_TILES:
            registry_tile(view.tiles[key])
    st.markdown(f"**{t('weekly.hb.calendar', days=settings.committee_horizon_days)}**")
    if calendar.empty:
        st.info(t("weekly.hb.no_committees", days=settings.committee_horizon_days))
    else:
        committees = [c for c in funnel.REVIEW_COLUMNS if c in set(calendar["committee"])]
        shown = calendar.assign(committee_label=calendar["committee"].map(lambda c: t(f"weekly.hb.committee.{c}")))
        show_chart(committee_calendar, shown[["date", "committee_label", "account", "lead_id", "days_ahead"]], week,
                   week + dt.timedelta(days=settings.committee_horizon_days), [t(f"weekly.hb.committee.{c}") for c in committees],
                   {k: t(f"weekly.hb.col.{k}") for k in ("date", "committee", "account", "lead_id", "days_ahead")})
        table = shown.drop(columns="committee").rename(columns={"committee_label": "committee"})
        table = table.assign(region=label_series("region", table["region"], "—"))[["date", "committee", "account", "lead_id", "region", "owner", "days_ahead"]]
        data_table(table.rename(columns={c: t(f"weekly.hb.col.{c}") for c in table.columns}), height=240,
                   column_config={t("weekly.hb.col.date"): st.column_config.DateColumn(format="YYYY/MM/DD")},
                   download="weekly_committees", download_key="weekly.dl.committees")
    st.markdown(f"**{t('weekly.hb.fiscal', months=settings.fiscal_heavy_months)}**")
    if fiscal.empty:
        st.info(t("weekly.hb.no_fiscal"))
    else:
        st.caption(t("weekly.hb.heavy_count", months=settings.fiscal_heavy_months, n=int(fiscal["heavy"].sum())))
        table = fiscal.assign(region=label_series("region", fiscal["region"], "—"), stage=fiscal["stage"].map(stage),
                              heavy=fiscal["heavy"].map(lambda h: t("weekly.hb.heavy") if h else ""))
        data_table(table.rename(columns={c: t(f"weekly.hb.col.{c}") for c in table.columns}), height=280,
                   column_config={t("weekly.hb.col.fiscal_year_end"): st.column_config.DateColumn(format="YYYY/MM/DD"),
                                  t("weekly.hb.col.amount_yen"): st.column_config.NumberColumn(format="¥%,.0f")},
                   download="weekly_fiscal_year_ends", download_key="weekly.dl.fiscal")


# ---- 差し戻し: the send-back rate and its trend; send-back reasons ranked beside lost reasons, both classified
def send_backs(view: WeeklyView, targets) -> None:
    st.subheader(t("weekly.sb.title"))
    trend_by = st.segmented_control(t("weekly.sb.trend_by"), ("month", "week"), format_func=lambda k: t(f"weekly.sb.by.{k}"), default="month",
                                    key="weekly.sb.by") or "month"
    trend = view.sent_back_trend[trend_by]
    left, right = st.columns([1, 3])
    with left:
        registry_tile(view.tiles[SENT_BACK_TILE])
    with right:
        if trend.empty:
            st.info(t("weekly.sb.no_data"))
        else:
            show_chart(rate_trend, trend, t(f"weekly.sb.by.{trend_by}"), t("weekly.sb.col.rate"), targets.sent_back_rate_max, trend_by == "month")
    side = _side()
    for column, kind in zip(st.columns(2), ("lost", "sent_back")):
        with column:
            st.markdown(f"**{t(f'weekly.sb.{kind}')}**")
            part = view.reasons[view.reasons["kind"] == kind].drop(columns="kind")
            if part.empty:
                st.caption(t("weekly.sb.no_reasons"))
                continue
            part = part.assign(reason_class=part["reason_class"].map(lambda c: REASON_LABELS.get(c, (c, c))[side]))
            data_table(part.rename(columns={c: t(f"weekly.sb.col.{c}") for c in part.columns}), column_config={t("weekly.sb.col.share"): pct_column(digits=0)},
                       download=f"weekly_{kind}_reasons", download_key=f"weekly.dl.reasons.{kind}")


# ---- ③ cause checklist with the habit numbers behind each cause
def evidence_text(e: report.CauseEvidence) -> str:
    name = BY_KEY[e.kpi].label[_side()]  # the registry's name
    if e.value is None:
        return t("weekly.cause.na", kpi=name)
    rate = e.kpi in report.RATE_KPIS
    value = fmt_pct(e.value) if rate else fmt_num(e.value, 1) if e.kpi == "visits_per_day" else t("habits.minutes_unit", v=fmt_num(e.value))
    guide = f"{fmt_num(e.low, 1)}–{fmt_num(e.high, 1)}" if e.low is not None and e.high is not None else \
        (f"≥ {fmt_pct(e.low, 0) if rate else fmt_num(e.low, 1)}" if e.low is not None else "≤ " + t("habits.minutes_unit", v=fmt_num(e.high)))
    badge = {"green": ":green[●]", "yellow": ":orange[▲]", "red": ":red[■]"}.get(e.rag, "")
    return f"{badge} " + t("weekly.cause.evidence", kpi=name, value=value, target=guide)


def causes(view: WeeklyView) -> tuple[str, ...]:
    """The checklist; returns the causes checked (their keys, in the checklist's order)."""
    st.subheader(t("weekly.causes_title"))
    st.caption(t("weekly.causes_intro"))
    for cause, _ in report.CAUSES:
        evidence = [e for e in view.review.causes if e.cause == cause]
        col1, col2 = st.columns([1, 2])
        col1.checkbox(t(f"weekly.cause.{cause}"), value=any(e.flagged for e in evidence), key=f"weekly.cause.{cause}")
        col2.caption("　".join(evidence_text(e) for e in evidence) if evidence else t("weekly.cause.no_number"))
    return tuple(cause for cause, _ in report.CAUSES if st.session_state.get(f"weekly.cause.{cause}"))


# ---- ④ the team's playbook: default, edited in the table, saved and loaded as CSV / Excel (like the targets file)
def _replace_playbook(new: pd.DataFrame) -> None:
    st.session_state[PLAYBOOK_KEY] = new
    st.session_state.pop(EDITOR_KEY, None)  # the editor shows the new table, not the old edits


def _load_playbook() -> None:
    upload = st.session_state.get("weekly.playbook.upload")
    st.session_state.pop("weekly.playbook.message", None)
    if upload is None:
        return
    try:
        loaded = pb.read_playbook(upload.getvalue(), upload.name)
    except (ValueError, KeyError, UnicodeDecodeError) as exc:
        st.session_state["weekly.playbook.message"] = ("error", t("weekly.playbook.upload_error", name=plain(upload.name), reason=plain(str(exc)[:120])))
        return
    except Exception as exc:  # noqa: BLE001 - a damaged workbook: said on the page, the playbook in use stays
        st.session_state["weekly.playbook.message"] = ("error", t("weekly.playbook.upload_error", name=plain(upload.name), reason=plain(type(exc).__name__)))
        return
    _replace_playbook(loaded)
    st.session_state["weekly.playbook.message"] = ("success", t("weekly.playbook.upload_ok", name=plain(upload.name), n=len(loaded)))


def playbook_editor() -> pd.DataFrame:
    """The playbook in use (edited, uploaded or the default), with its downloads; returns it cleaned."""
    base: pd.DataFrame = st.session_state.setdefault(PLAYBOOK_KEY, pb.default_playbook())
    with st.expander(t("weekly.playbook.title"), icon=":material/menu_book:"):
        st.caption(t("weekly.playbook.intro"))
        edited = st.data_editor(base, key=EDITOR_KEY, num_rows="dynamic", hide_index=True, width="stretch", placeholder=MISSING,
                                column_config={"kpi": st.column_config.SelectboxColumn(t("weekly.playbook.col.kpi"), options=list(BY_KEY), required=True),
                                               "remedy_ja": st.column_config.TextColumn(t("weekly.playbook.col.remedy_ja"), width="large"),
                                               "remedy_en": st.column_config.TextColumn(t("weekly.playbook.col.remedy_en"), width="large")})
        try:
            playbook = pb.clean_playbook(edited)
        except ValueError as exc:
            st.error(t("weekly.playbook.edit_error", reason=plain(str(exc))))
            playbook = pb.clean_playbook(base)
        d1, d2, d3 = st.columns(3)
        d1.download_button(t("weekly.playbook.csv"), data=lambda: pb.to_csv(playbook), file_name="playbook.csv", mime="text/csv",
                           key="weekly.playbook.dl_csv", icon=":material/download:", on_click="ignore")
        d2.download_button(t("weekly.playbook.xlsx"), data=lambda: pb.to_xlsx(playbook), file_name="playbook.xlsx", mime=XLSX_MIME,
                           key="weekly.playbook.dl_xlsx", icon=":material/download:", on_click="ignore")
        d3.button(t("weekly.playbook.reset"), key="weekly.playbook.reset", on_click=_replace_playbook, args=(pb.default_playbook(),),
                  icon=":material/restart_alt:")
        st.file_uploader(t("weekly.playbook.upload"), type=["csv", "xlsx"], key="weekly.playbook.upload", on_change=_load_playbook)
        message = st.session_state.get("weekly.playbook.message")
        if message:
            (st.error if message[0] == "error" else st.success)(message[1])
    return playbook


# ---- remedies for the bottleneck and every red KPI; one click stores one as an action (owner, deadline)
def _add_remedy(text: str, kpi_key: str, store, actions: list[dict], week: dt.date) -> None:
    owner = (st.session_state.get("weekly.remedy_owner") or "").strip()
    deadline = st.session_state.get("weekly.remedy_deadline") or week + dt.timedelta(days=7)
    if not owner:
        st.session_state["weekly.remedy.message"] = ("warning", t("weekly.remedy.need_owner"))
        return
    if store is not None:
        store.add_action(week, text, kpi_or_bottleneck=kpi_key, cause=None, owner=owner, deadline=deadline)
    else:
        actions.append({"action": text, "owner": owner, "deadline": deadline})
    st.session_state["weekly.remedy.message"] = ("success", t("weekly.remedy.added", action=plain(text), owner=plain(owner), deadline=deadline))


def remedies(view: WeeklyView, playbook: pd.DataFrame, store, actions: list[dict]) -> None:
    week = view.week
    st.markdown(f"**{t('weekly.remedy.title')}**")
    st.caption(t("weekly.remedy.intro"))
    found = pb.remedies_for(playbook, list(view.calling), lang())
    raised = {x.action for x in store.actions() if x.week_raised == week} if store is not None else {x["action"] for x in actions}
    if not found:
        st.info(t("weekly.remedy.none"))
        return
    o1, o2 = st.columns([3, 1])
    o1.text_input(t("weekly.remedy.owner"), key="weekly.remedy_owner")
    o2.date_input(t("weekly.remedy.deadline"), value=week + dt.timedelta(days=7), key="weekly.remedy_deadline")
    for i, remedy in enumerate(found):
        why = " / ".join(([t("weekly.remedy.why_neck")] if remedy.bottleneck else []) + ([t("weekly.remedy.why_red")] if remedy.red else []))
        with st.container(border=True):
            c1, c2 = st.columns([5, 1.4], vertical_alignment="center")
            c1.markdown((":red[■] " if remedy.red else "") + f"**{plain(remedy.text)}**")
            c1.caption(t("weekly.remedy.for", kpis=" / ".join(about_label(k) for k in remedy.kpis), why=why))
            if remedy.text in raised:
                c2.caption("✓ " + t("weekly.remedy.exists"))
            else:
                c2.button(t("weekly.remedy.add"), key=f"weekly.remedy.add.{i}", on_click=_add_remedy,
                          args=(remedy.text, remedy.kpi, store, actions, week), icon=":material/add_task:")
    message = st.session_state.pop("weekly.remedy.message", None)
    if message:
        getattr(st, message[0])(message[1])


# ---- ④ actions with owner and deadline (kept in the workspace when there is one, else in this screen)
def action_form(view: WeeklyView, store, actions: list[dict], chosen: tuple[str, ...]) -> None:
    week = view.week
    with st.form("weekly.action_form", clear_on_submit=True):
        f1, f2, f3 = st.columns([3, 1, 1])
        action = f1.text_input(t("weekly.action"), key="weekly.action_text")
        owner = f2.text_input(t("weekly.action_owner"), key="weekly.action_owner")
        deadline = f3.date_input(t("weekly.action_deadline"), value=week + dt.timedelta(days=7), key="weekly.action_deadline")
        if st.form_submit_button(t("weekly.action_add"), type="primary"):
            if action.strip() and owner.strip():
                about = step_text(view)
                cause = "、".join(t(f"weekly.cause.{c}") for c in chosen) or None
                if store is not None:
                    store.add_action(week, action.strip(), kpi_or_bottleneck=about, cause=cause, owner=owner.strip(), deadline=deadline)
                else:
                    actions.append({"action": action.strip(), "owner": owner.strip(), "deadline": deadline})
            else:
                st.warning(t("weekly.action_missing"))


def actions_table(view: WeeklyView, store, actions: list[dict]) -> pd.DataFrame:
    """The week's actions (and every open one) as a table; returns the frame the downloads carry."""
    if store is not None:
        stored = [x for x in store.actions() if x.week_raised == view.week or x.status == "open"]
        frame = pd.DataFrame([{"action": x.action, "owner": x.owner, "deadline": x.deadline, "status": x.status,
                               "week_raised": x.week_raised, "kpi_or_bottleneck": x.kpi_or_bottleneck, "cause": x.cause}
                              for x in stored], columns=["action", "owner", "deadline", "status", "week_raised", "kpi_or_bottleneck", "cause"])
        st.caption(t("weekly.action_note_store"))
    else:
        frame = pd.DataFrame(actions, columns=["action", "owner", "deadline"])
        st.caption(t("weekly.action_note"))
    if frame.empty:
        st.info(t("weekly.action_none"))
    else:
        shown = frame.assign(**({"status": frame["status"].map(lambda v: t(f"weekly.status.{v}")),
                                 "kpi_or_bottleneck": frame["kpi_or_bottleneck"].map(about_label)} if "status" in frame else {}))
        shown = shown.rename(columns={c: t(f"weekly.col.action.{c}") for c in shown.columns})
        data_table(shown, download="weekly_actions", download_key="weekly.dl.actions")
        if store is None:
            st.button(t("weekly.action_clear"), key="weekly.action_clear", on_click=actions.clear)
    return frame


# ---- 月次棚卸し: once a month, which KPIs to cut (did not move, or move in lockstep) and the six-headline rule
def stocktake(view: WeeklyView, targets) -> None:
    side = _side()
    with st.expander(t("weekly.stocktake.title"), expanded=view.stocktake_week, icon=":material/inventory:"):
        st.caption(t("weekly.stocktake.intro", n=HEADLINE_MAX, chosen=len(targets.headline_kpis)))
        if not view.cuts:
            st.info(t("weekly.stocktake.none"))
        for p in view.cuts or ():
            name = BY_KEY[p.key].label[side]
            if p.reason == "still":
                st.markdown("- " + t("weekly.stocktake.still", kpi=name))
            else:
                st.markdown("- " + t("weekly.stocktake.lockstep", kpi=name, partner=BY_KEY[p.partner].label[side], r=f"{p.r:+.2f}"))


# ---- the one download: the weekly review workbook, and the same review as an A4-landscape PDF (built when clicked)
def downloads(view: WeeklyView, frames: dict, as_of, targets, actions: pd.DataFrame, chosen: tuple[str, ...]) -> None:
    from kpi.pdf import cjk_font, weekly_pdf

    day = view.review.as_of.date()
    st.divider()
    st.download_button(t("weekly.workbook"), data=lambda: report.weekly_workbook(frames, as_of, targets, lang=lang(), actions=actions, causes=chosen),
                       file_name=f"weekly_review_{day}.xlsx", mime=XLSX_MIME, key="weekly.dl.workbook", type="primary",
                       icon=":material/download:", on_click="ignore")
    st.caption(t("weekly.workbook_caption"))
    st.download_button(t("weekly.pdf.button"), data=lambda: weekly_pdf(frames, as_of, targets, lang=lang(), actions=actions),
                       file_name=f"weekly_review_{day}.pdf", mime="application/pdf", key="weekly.dl.pdf",
                       icon=":material/picture_as_pdf:", on_click="ignore")
    if cjk_font() is None:
        st.caption("ⓘ " + t("weekly.pdf.no_font"))
