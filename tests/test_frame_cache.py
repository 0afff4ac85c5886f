"""Page caches key loaded frames by a fingerprint (ui.data.frame_fingerprint), not by hashing every cell."""
from __future__ import annotations

import pandas as pd

from ui.data import frame_fingerprint


def loaded(n: int = 5000) -> pd.DataFrame:
    frame = pd.DataFrame({"_row": range(2, n + 2), "region": ["osaka", "nara"] * (n // 2), "amount": range(n)})
    frame.attrs["source"] = "digest-of-the-file"
    return frame


def test_same_rows_same_key_other_rows_other_key():
    a = loaded()
    assert frame_fingerprint(a) == frame_fingerprint(a.copy())
    osaka, nara = a[a["region"] == "osaka"], a[a["region"] == "nara"]
    assert len({frame_fingerprint(a), frame_fingerprint(osaka), frame_fingerprint(nara)}) == 3
    # same length, index reset: still told apart by the Excel row numbers
    assert frame_fingerprint(osaka.reset_index(drop=True)) != frame_fingerprint(nara.reset_index(drop=True))


def test_reordered_or_changed_values_change_the_key():
    a = loaded()
    assert frame_fingerprint(a.iloc[::-1].reset_index(drop=True)) != frame_fingerprint(a)
    labelled = a.assign(region=a["region"].map({"osaka": "大阪", "nara": "奈良"}))
    assert frame_fingerprint(labelled) != frame_fingerprint(a)
    other_file = a.copy()
    other_file.attrs["source"] = "another-digest"
    assert frame_fingerprint(other_file) != frame_fingerprint(a)


def test_frames_not_from_a_file_are_hashed_whole():
    x = pd.DataFrame({"a": [1, 2, 3]})
    y = pd.DataFrame({"a": [1, 2, 4]})
    assert frame_fingerprint(x) != frame_fingerprint(y) and frame_fingerprint(x) == frame_fingerprint(x.copy())


def test_cached_results_are_named_by_their_computation_and_inputs_stay_untouched():
    """Frames a ``cached`` function returns carry a source (the function and its arguments' key), so passing
    them on is keyed by fingerprint; different arguments give different sources, even for slices of one file
    (whose attrs pandas would carry along); the caller's frames are never modified."""
    from ui.data import cached

    @cached()
    def summary(frame: pd.DataFrame, region: str) -> tuple:
        part = frame[frame["region"] == region]
        return pd.DataFrame({"n": [len(part)]}), {"rows": part}

    a = loaded()
    (osaka, detail), (nara, _) = summary(a, "osaka"), summary(a, "nara")
    assert osaka.attrs["source"] and osaka.attrs["source"] != nara.attrs["source"]
    assert detail["rows"].attrs["source"] not in ("digest-of-the-file", osaka.attrs["source"], summary(a, "nara")[1]["rows"].attrs["source"])
    assert a.attrs["source"] == "digest-of-the-file"
    assert summary(a, "osaka")[0].attrs["source"] == osaka.attrs["source"]  # a cache hit: same name
    plain = pd.DataFrame({"region": ["osaka"]})

    @cached()
    def same(frame: pd.DataFrame) -> pd.DataFrame:
        return frame

    assert same(plain).attrs["source"] and "source" not in plain.attrs


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
