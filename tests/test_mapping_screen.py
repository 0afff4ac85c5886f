"""The mapping screen maps columns, values and constants, as the JSON can (issue 17 item 5), on the real
Kaggle appointments file: through the screen alone the cancel rate reaches the hand-written mapping's 20.8 %,
and the mapping downloaded from the screen gives the same numbers in the CLI."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import APP, ROOT, realdata


def _texts(at) -> str:
    parts = [str(getattr(e, "value", "")) for kind in ("markdown", "caption", "info", "warning", "error") for e in getattr(at, kind)]
    return "\n".join(parts + [f"{m.label} {m.value}" for m in at.metric])


def _select(at, label_start: str):
    return next(s for s in at.selectbox if s.label.startswith(label_start))


def _submit(at, form_key_part: str):
    """Click the OK button of the form whose key contains ``form_key_part``."""
    button = next(b for b in at.button if form_key_part in str(b.form_id))
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture
def kaggle_app():
    from streamlit.testing.v1 import AppTest

    data = realdata("noshow_kaggle", "KaggleV2-May-2016.csv").read_bytes()
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.sidebar.file_uploader[0].set_value(("KaggleV2-May-2016.csv", data, "text/csv")).run()
    at.switch_page("app_pages/data.py").run()
    assert not at.exception
    return at


def test_screen_alone_maps_columns_values_and_constants_to_the_json_result(kaggle_app, tmp_path):
    at = kaggle_app
    # step 1: the two required columns (the file has none of the known headers)
    _select(at, "患者ID").set_value("PatientId")
    _select(at, "来院日").set_value("AppointmentDay")
    _submit(at, "mapform")
    assert "visits" in at.session_state["frames"]
    # with only the required columns, the cancel rate is n/a, not 0 % (item 4)
    at.switch_page("app_pages/clinic.py").run()
    tiles = {m.label: m.value for m in at.metric}
    cancel = next(v for k, v in tiles.items() if k.startswith("キャンセル率"))
    assert cancel == "n/a"
    assert "ステータス" in _texts(at)  # says which column would enable it

    # step 2: No-show as the status column: every row is rejected until its values are mapped
    at.switch_page("app_pages/data.py").run()
    _select(at, "ステータス").set_value("No-show")
    _select(at, "予約受付日").set_value("ScheduledDay")
    _submit(at, "mapform")
    assert len(at.session_state["frames"]["visits"]) == 0
    # step 3: the value step lists the file's own labels with their row counts
    yes = _select(at, "「Yes」（22,319行）")
    no = _select(at, "「No」（88,208行）")
    yes.set_value("no_show")
    no.set_value("attended")
    _submit(at, "valform")
    assert len(at.session_state["frames"]["visits"]) == 110_527
    # step 4: a constant for a field the export lacks
    next(ti for ti in at.text_input if ti.label.startswith("院名")).set_value("本院")
    _submit(at, "constform")
    visits = at.session_state["frames"]["visits"]
    assert set(visits["clinic"]) == {"本院"}

    at.switch_page("app_pages/clinic.py").run()
    tiles = {m.label: m.value for m in at.metric}
    cancel = next(v for k, v in tiles.items() if k.startswith("キャンセル率"))
    assert cancel == "20.8%"  # May 2016, the last full month: as the hand-written mapping gives

    # the mapping the screen holds is what the download button gives; the CLI reproduces the page's number
    mapping = json.loads(next(iter(at.session_state["mappings"].values())))
    assert mapping["values"] == {"status": {"Yes": "no_show", "No": "attended"}}
    assert mapping["constants"] == {"clinic": "本院"}
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps(mapping), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "kpi", "metrics", str(realdata("noshow_kaggle", "KaggleV2-May-2016.csv")),
                          "--mapping", str(path), "--json"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    may = next(m for m in json.loads(run.stdout)["visits"]["monthly"] if m["month"] == "2016-05")
    assert round(may["cancel_rate"] * 100, 1) == 20.8
