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
