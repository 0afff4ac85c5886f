"""The sections of 先週からの動き (app_pages/memory.py): which two snapshots, the moves between them (counts, the stage
matrix, the leads behind a cell or a category, amount / next action / owner changes), leads stuck across weeks,
KPI trends over the stored weeks and the workspace's weeks. All numbers come from kpi.moves / kpi.history /
kpi.registry (through ui.workspace's caches)."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from kpi import moves as mv
from kpi.history import HistoryError
from kpi.registry import BY_KEY, LAYER_LABELS, REGISTRY
from ui.chart_png import png_download
from ui.data import load_file
from ui.i18n import label_of, label_series, lang, t
from ui.widgets import data_table, download_table, fmt_kpi, fmt_kpi_delta, plain
from ui.workspace import (cached_moves, cached_region_trend, cached_trend, cached_unmoved, forget_snapshots, is_demo_store,
                          snapshots)

P = "memory"
REGIONS = ("osaka", "kyoto", "kobe", "nara")
SHOWN_ROWS = 500  # rows of a lead list drawn on screen; the downloads hold all


def _side() -> int:
    return 0 if lang() == "ja" else 1


def pick_moves(store, leads: pd.DataFrame) -> mv.Moves | None:
    """Last week's data is always an explicit choice (SPEC 7): two stored weeks of the workspace, or a file the user
    uploads here as last week's (compared with this week's leads). The moves between them, or None."""
    sources = [s for s in ("store", "file") if s != "store" or store is not None]
    source = st.segmented_control(t(f"{P}.source"), sources, default=sources[0], format_func=lambda s: t(f"{P}.source.{s}"),
                                  key=f"{P}.source")
    moves: mv.Moves | None = None
    try:
        if source == "store":
            weeks = sorted({x.week for x in snapshots(store) if x.kind == "leads"})
            if len(weeks) < 2:
                st.info(t(f"{P}.need_two_weeks", n=len(weeks)))
            else:
                c1, c2 = st.columns(2)
                to_week = c2.selectbox(t(f"{P}.to_week"), weeks[::-1], key=f"{P}.to_week")
                earlier = [w for w in weeks if w < to_week][::-1]
                from_week = c1.selectbox(t(f"{P}.from_week"), earlier or weeks[:1], key=f"{P}.from_week")
                moves = cached_moves(store, from_week, to_week)
        else:
            up = st.file_uploader(t(f"{P}.last_week_file"), type=["csv", "tsv", "txt", "xlsx", "xlsm", "xls"], key=f"{P}.last_week_upload",
                                  help=t(f"{P}.last_week_help"))
            if up is not None:
                entry = load_file(up.getvalue(), up.name, up.file_id)
                if entry.result is None or entry.result.report.kind != "leads":
                    st.error(t(f"{P}.not_leads", name=plain(up.name)))
                else:
                    moves = mv.compare(entry.result.frame, leads, first_name=up.name, second_name=t(f"{P}.this_week"))
                    if moves.swapped:
                        st.warning(t(f"{P}.swapped", name=plain(up.name)))
    except HistoryError as exc:
        st.error(plain(exc.message(lang())))
    return moves


def _matrix_chart(moves: mv.Moves) -> alt.LayerChart:
    stage_names = [label_of("stage", s) for s in mv.STAGES]
    cells = pd.DataFrame([{"old": label_of("stage", a), "new": label_of("stage", b), "n": n,
                           "kind": "same" if a == b else ("forward" if mv.STAGES.index(b) > mv.STAGES.index(a) else "backward")}
                          for a, row in moves.matrix.items() for b, n in row.items()])
    base = alt.Chart(cells).encode(
        x=alt.X("new:N", sort=stage_names, title=t(f"{P}.matrix.new"), axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("old:N", sort=stage_names, title=t(f"{P}.matrix.old")))
    heat = base.mark_rect(stroke="white").encode(
        color=alt.Color("kind:N", scale=alt.Scale(domain=["forward", "same", "backward"], range=["#2DA44E", "#D0D7DE", "#CF222E"]),
                        legend=alt.Legend(title=None, labelExpr=f"{{'forward': '{t(f'{P}.kind.forward')}', 'same': '{t(f'{P}.kind.same')}', "
                                                                f"'backward': '{t(f'{P}.kind.backward')}'}}[datum.label]")),
        opacity=alt.condition("datum.n > 0", alt.value(0.85), alt.value(0.15)),
        tooltip=[alt.Tooltip("old:N", title=t(f"{P}.matrix.old")), alt.Tooltip("new:N", title=t(f"{P}.matrix.new")),
                 alt.Tooltip("n:Q", title=t(f"{P}.matrix.n"), format=",")])
    text = base.mark_text(fontSize=13).encode(text=alt.Text("n:Q", format=","), color=alt.condition("datum.n > 0", alt.value("black"), alt.value("#8C959F")))
    return (heat + text).properties(width=520, height=260)


def moves_section(moves: mv.Moves) -> None:
    """Notices, the counts by kind of move, the stage matrix, the leads behind one cell, the leads of one category and
    the tabs of amount / next action / owner changes."""
    for notice in moves.warnings:
        st.caption(":material/warning: " + plain(notice.text(lang())))
    st.subheader(t(f"{P}.moves_title", old=moves.old_as_of.date(), new=moves.new_as_of.date()))
    counts = moves.counts()
    cols = st.columns(8)
    for col, key in zip(cols, ("forward", "jumped", "backward", "unchanged", "won", "lost", "new", "vanished")):
        col.metric(t(f"{P}.count.{key}"), f"{counts[key]:,}", help=t(f"{P}.count.{key}.help"))
    st.caption(t(f"{P}.matched", n=counts["matched"]))
    st.markdown(f"**{t(f'{P}.matrix.title')}**")
    matrix = _matrix_chart(moves)
    st.altair_chart(matrix, width="content")
    png_download(lambda: matrix, name="stage_moves", key=f"{P}.png.matrix")

    with st.expander(t(f"{P}.cell_title")):  # the leads behind one cell of the matrix
        c1, c2 = st.columns(2)
        old_pick = c1.selectbox(t(f"{P}.matrix.old"), mv.STAGES, format_func=lambda s: label_of("stage", s), key=f"{P}.cell_old")
        new_pick = c2.selectbox(t(f"{P}.matrix.new"), mv.STAGES, format_func=lambda s: label_of("stage", s), key=f"{P}.cell_new",
                                index=min(mv.STAGES.index(old_pick) + 1, len(mv.STAGES) - 1))
        cell = moves.leads_in_cell(old_pick, new_pick)
        st.caption(t(f"{P}.cell_count", n=len(cell), old=label_of("stage", old_pick), new=label_of("stage", new_pick)))
        if len(cell):
            view = cell.drop(columns=["presence"]).assign(old_stage=lambda f: label_series("stage", f["old_stage"], "—"),
                                                          new_stage=lambda f: label_series("stage", f["new_stage"], "—"))
            view = view.rename(columns={c: t(f"{P}.col.{c}") for c in view.columns})
            data_table(view.head(SHOWN_ROWS))
            download_table(view, f"moves_{old_pick}_{new_pick}", key=f"{P}.dl.cell")

    category = st.pills(t(f"{P}.category"), mv.CATEGORIES, default="forward", format_func=lambda c: f"{t(f'{P}.count.{c}')} ({counts.get(c, 0) if c in counts else 0:,})",
                        key=f"{P}.category")
    if category:
        shown = moves.leads_in(category).assign(
            old_stage=lambda f: label_series("stage", f["old_stage"], "—"),
            new_stage=lambda f: label_series("stage", f["new_stage"], "—"),
            region=lambda f: label_series("region", f["region"], "—"),
            old_status=lambda f: label_series("status", f["old_status"], "—"),
            new_status=lambda f: label_series("status", f["new_status"], "—"))
        shown = shown.drop(columns=["presence"]).rename(columns={c: t(f"{P}.col.{c}") for c in shown.columns})
        if len(shown) > SHOWN_ROWS:
            st.caption(t(f"{P}.first_rows", n=SHOWN_ROWS, total=len(shown)))
        data_table(shown.head(SHOWN_ROWS), hide_index=True, width="stretch")
        download_table(shown, f"moves_{category}", key=f"{P}.dl.{category}")

    tabs = st.tabs([t(f"{P}.tab.amount"), t(f"{P}.tab.pushed"), t(f"{P}.tab.owner")])
    for tab, (name, table) in zip(tabs, (("amount", moves.amount_changes), ("pushed", moves.next_action_pushed), ("owner", moves.owner_changes))):
        with tab:
            if table is None:
                st.caption("ⓘ " + t(f"{P}.tab.{name}.needs"))
            elif table.empty:
                st.info(t(f"{P}.none"))
            else:
                view = table.rename(columns={c: t(f"{P}.col.{c}") for c in table.columns})
                data_table(view, hide_index=True, width="stretch")
                download_table(view, f"moves_{name}", key=f"{P}.dl.tab.{name}")


def unmoved_section(store) -> None:
    """Stalled across uploads (history only): the same deal at the same stage over the stored weeks."""
    st.divider()
    st.subheader(t(f"{P}.unmoved_title"))
    st.caption(t(f"{P}.unmoved_caption", n=store.settings.stalled_after))
    try:
        unmoved = cached_unmoved(store)
    except HistoryError as exc:
        st.error(plain(exc.message(lang())))
        unmoved = None
    if unmoved is not None and len(unmoved):
        stuck = unmoved[unmoved["stalled"]].drop(columns=["stalled"])
        stuck = stuck.assign(stage=label_series("stage", stuck["stage"], "—"), region=label_series("region", stuck["region"], "—"),
                             since=stuck["since"].dt.date)
        st.metric(t(f"{P}.unmoved_count"), f"{len(stuck):,}")
        view = stuck.rename(columns={c: t(f"{P}.col.{c}") for c in stuck.columns})
        if len(view) > SHOWN_ROWS:  # a year of a big pipeline: the longest-stuck first on screen, all of them in the files
            st.caption(t(f"{P}.first_rows", n=SHOWN_ROWS, total=len(view)))
        data_table(view.head(SHOWN_ROWS), hide_index=True, width="stretch", height=min(420, 38 + 35 * min(len(view), SHOWN_ROWS)))
        download_table(view, "stalled_across_weeks", key=f"{P}.dl.unmoved")


def trend_section(store) -> None:
    """KPI trends over the stored weeks (all regions or one): tiles of the first four, one small chart per KPI."""
    side = _side()
    st.divider()
    st.subheader(t(f"{P}.trend_title"))
    headline = ["meeting_rate", "poc_count", "approval_rate", "stalled_count"]
    keys = st.multiselect(t(f"{P}.trend_kpis"), [k.key for k in REGISTRY], default=headline, key=f"{P}.trend_keys",
                          format_func=lambda k: t(f"{P}.kpi_option", label=BY_KEY[k].label[side], layer=LAYER_LABELS[BY_KEY[k].layer][side]))
    region = st.segmented_control(t(f"{P}.trend_region"), ["all", *REGIONS], default="all", key=f"{P}.trend_region",
                                  format_func=lambda r: t(f"{P}.all_regions") if r == "all" else label_of("region", r)) or "all"
    if not keys:
        trend = pd.DataFrame()
    elif region == "all":
        trend = cached_trend(store, keys)
    else:
        trend = cached_region_trend(store, keys, region)
        other = [BY_KEY[k].label[side] for k in keys if BY_KEY[k].dataset not in ("leads", "activities")]
        if other:
            st.caption("ⓘ " + t(f"{P}.region_only_sales", kpis="、".join(other) if lang() == "ja" else ", ".join(other)))
    if not (len(trend) and keys):
        return
    last = trend.iloc[-1]
    cols = st.columns(min(len(keys), 4))
    for i, key in enumerate(keys[:4]):
        prev = trend.iloc[-2][key] if len(trend) >= 2 else None
        four = trend.iloc[-5][key] if len(trend) >= 5 else None
        kpi = BY_KEY[key]
        delta = None if prev is None or pd.isna(prev) or pd.isna(last[key]) else last[key] - prev
        cols[i].metric(kpi.label[side], fmt_kpi(kpi.unit, last[key]), delta=fmt_kpi_delta(kpi.unit, delta),
                       delta_color="normal" if kpi.direction == "up" else "inverse",
                       help=t(f"{P}.trend_help", four=fmt_kpi(kpi.unit, four) if four is not None else "—"),
                       chart_data=trend[key].astype("float64").tolist(), chart_type="line")
    charts = []
    for key in keys:  # one small chart per KPI, each on its own scale and in its own unit
        kpi = BY_KEY[key]
        rate = kpi.unit == "rate"
        data = trend[["week", key]].rename(columns={key: "value"}).dropna()
        charts.append(alt.Chart(data, title=kpi.label[side]).mark_line(point=True, color="#1F6FEB").encode(
            x=alt.X("week:T", title=None, axis=alt.Axis(format="%m/%d", labelAngle=0)),
            y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False), axis=alt.Axis(format=".1%" if rate else ",.4~g", tickCount=4)),
            tooltip=[alt.Tooltip("week:T", title=t(f"{P}.week"), format="%Y-%m-%d"),
                     alt.Tooltip("value:Q", title=kpi.label[side], format=".1%" if rate else ",.2~f")],
        ).properties(width=260, height=140))
    trends = alt.concat(*charts, columns=3)
    st.altair_chart(trends, width="content")
    png_download(lambda: trends, name="kpi_trends", key=f"{P}.png.trends", width=None)
    download_table(trend.assign(week=trend["week"].dt.date), "kpi_trend", key=f"{P}.dl.trend")


def weeks_section(store) -> None:
    """The workspace's weeks: save this week (uploads), forget a week or the whole workspace."""
    st.divider()
    st.subheader(t(f"{P}.weeks_title"))
    st.caption(t(f"{P}.where_demo") if is_demo_store(store) else t(f"{P}.where", path=store.database))
    if not is_demo_store(store) and st.session_state.get("source") == "upload":
        if st.button(t(f"{P}.save_week"), type="primary", icon=":material/save:", key=f"{P}.save"):
            names = {e.result.report.kind: e.name for e in st.session_state.get("files", []) if e.result is not None}
            try:
                saved = store.add_snapshot(dict(st.session_state["frames"]), None, names)
                forget_snapshots(store)
                st.success(t(f"{P}.saved", week=saved[0].week if saved else "", n=len(saved)))
            except HistoryError as exc:
                st.error(plain(exc.message(lang())))
    snaps = snapshots(store)
    if not snaps:
        st.info(t(f"{P}.no_weeks"))
        return
    table = pd.DataFrame([s.to_json() for s in snaps])
    data_table(table.rename(columns={c: t(f"{P}.col.{c}") for c in table.columns}), hide_index=True, width="stretch")
    if not is_demo_store(store):
        c1, c2 = st.columns([2, 1])
        week = c1.selectbox(t(f"{P}.forget_week"), sorted({s.week for s in snaps}, reverse=True), key=f"{P}.forget_pick")
        if c2.button(t(f"{P}.forget"), icon=":material/delete:", key=f"{P}.forget_btn"):
            store.forget(week)
            st.rerun()
        with st.popover(t(f"{P}.forget_all"), icon=":material/delete_forever:"):
            st.warning(t(f"{P}.forget_all_warn", path=store.database))
            if st.button(t(f"{P}.forget_all_confirm"), type="primary", key=f"{P}.forget_all_btn"):
                store.forget_all()
                st.rerun()
