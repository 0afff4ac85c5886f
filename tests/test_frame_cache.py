"""Page caches key frames exactly (ui.data.frame_fingerprint): a loaded file by its digest, a cached result by its
computation, any other frame by every cell; never by a sample of rows, never through pandas attrs."""
from __future__ import annotations

import gc

import pandas as pd

from ui.data import _FRAME_KEYS, content_key, frame_fingerprint, name_frame


def loaded(n: int = 5000) -> pd.DataFrame:
    frame = pd.DataFrame({"_row": range(2, n + 2), "region": ["osaka", "nara"] * (n // 2), "amount": range(n)})
    return name_frame(frame, "digest-of-the-file")


def test_same_rows_same_key_other_rows_other_key():
    a = loaded()
    assert frame_fingerprint(a) == "digest-of-the-file" and not a.attrs
    assert frame_fingerprint(a.copy()) == content_key(a)  # a copy is not the file's frame: keyed by its cells
    osaka, nara = a[a["region"] == "osaka"], a[a["region"] == "nara"]
    assert len({frame_fingerprint(a), frame_fingerprint(osaka), frame_fingerprint(nara)}) == 3
    assert frame_fingerprint(osaka.reset_index(drop=True)) != frame_fingerprint(nara.reset_index(drop=True))


def test_any_changed_cell_changes_the_key_no_sampling():
    a = loaded(20_000)
    b = a.copy()
    b.loc[9_999, "amount"] += 1  # one cell, between the rows a 256-row sample would look at
    assert frame_fingerprint(b) != frame_fingerprint(a.copy())
    assert frame_fingerprint(a.iloc[::-1].reset_index(drop=True)) != frame_fingerprint(a.copy())
    labelled = a.assign(region=a["region"].map({"osaka": "大阪", "nara": "奈良"}))
    assert frame_fingerprint(labelled) != frame_fingerprint(a.copy())
    assert frame_fingerprint(a.rename(columns={"amount": "yen"})) != frame_fingerprint(a.copy())
    assert frame_fingerprint(a.astype({"amount": "float64"})) != frame_fingerprint(a.copy())


def test_frames_not_from_a_file_are_hashed_whole_and_keys_go_with_their_frame():
    x = pd.DataFrame({"a": [1, 2, 3]})
    y = pd.DataFrame({"a": [1, 2, 4]})
    assert frame_fingerprint(x) != frame_fingerprint(y) and frame_fingerprint(x) == frame_fingerprint(x.copy())
    assert pd.DataFrame({"a": [[1], [2]]}).pipe(frame_fingerprint)  # unhashable cells: hashed as text
    ident = id(x)
    assert ident in _FRAME_KEYS
    del x
    gc.collect()
    assert ident not in _FRAME_KEYS or _FRAME_KEYS[ident] != content_key(y)  # freed: its key is gone with it


def test_cached_results_are_named_by_their_computation_and_inputs_stay_untouched():
    """Frames a ``cached`` function returns are named by the function and its arguments' keys, so passing them on
    is keyed without hashing; different arguments give different names, even for slices of one file; the caller's
    frames keep their own key; nothing is put in pandas attrs."""
    from ui.data import cached

    @cached()
    def summary(frame: pd.DataFrame, region: str) -> tuple:
        part = frame[frame["region"] == region]
        return pd.DataFrame({"n": [len(part)]}), {"rows": part}

    a = loaded()
    (osaka, detail), (nara, _) = summary(a, "osaka"), summary(a, "nara")
    assert frame_fingerprint(osaka) != frame_fingerprint(nara)
    assert frame_fingerprint(detail["rows"]) not in ("digest-of-the-file", frame_fingerprint(osaka), frame_fingerprint(summary(a, "nara")[1]["rows"]))
    assert frame_fingerprint(a) == "digest-of-the-file" and not osaka.attrs and not a.attrs
    again = summary(a, "osaka")[0]
    assert again is not osaka and frame_fingerprint(again) == frame_fingerprint(osaka)  # a cache hit: same name
    plain = pd.DataFrame({"region": ["osaka"]})
    plain_key = frame_fingerprint(plain)

    @cached()
    def same(frame: pd.DataFrame) -> pd.DataFrame:
        return frame

    assert frame_fingerprint(same(plain)) == plain_key and frame_fingerprint(plain) == plain_key


def test_long_series_arguments_are_keyed_by_every_value():
    """``repr`` of a long Series or array shortens it with "..."; the call key must not."""
    from ui.data import value_key

    s = pd.Series(range(10_000))
    t = s.copy()
    t[5_000] = -1
    assert repr(s) == repr(t) and value_key(s) != value_key(t)
    assert value_key(s.to_numpy()) != value_key(t.to_numpy())


def test_chart_specs_are_cached_by_builder_and_arguments():
    """show_chart builds an Altair chart once per (builder, arguments); other arguments give another spec."""
    from streamlit.testing.v1 import AppTest

    def page():
        import pandas as pd
        import streamlit as st

        from ui.charts import bar_ranked
        from ui.widgets import show_chart

        calls = st.session_state.setdefault("calls", [])

        def counted(frame, *args, **kwargs):
            calls.append(len(frame))
            return bar_ranked(frame, *args, **kwargs)

        frame = pd.DataFrame({"reason": ["価格", "時期"], "leads": [st.session_state.get("n", 3), 1]})
        show_chart(counted, frame, "reason", "leads", "件数", "理由")

    at = AppTest.from_function(page).run()
    at.run()
    assert not at.exception and len(at.get("vega_lite_chart")) == 1
    assert at.session_state["calls"] == [2]  # built once, drawn twice
    at.session_state["n"] = 5
    at.run()
    assert at.session_state["calls"] == [2, 2]  # new data: built again
