"""``collectsim robust`` end to end on tiny scenarios: the answer, the folder, resuming.

* the JSON answer has the documented shape and agrees with ``points.parquet`` (the share is
  the holding share of decided points, the interval Wilson's);
* the folder holds the marker of kind ``robust``, the store, the points, the JSON, the
  manifest, the figure and the report;
* ``collectsim report`` rewrites the folder's page, and refuses a damaged answer;
* a study interrupted after some runs continues with ``--resume``, running only what is
  missing, and gives the same answer; without ``--resume`` the folder is refused.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from support import PNG_MAGIC, TINY, assert_bad_input, call, write

from sim.experiment.marker import MARKER_FILE, FolderKind, read_marker
from sim.experiment.robust import wilson_interval

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"

FINDING = f"""
[finding]
claim = "aggressive tone cures fewer accounts"
a = "{SCENARIOS / 'aggressive_tone.toml'}"
b = "{SCENARIOS / 'baseline.toml'}"
kpi = "cure_rate"
direction = "a <= b"

[uncertain]
"behaviour.stage.tone_keep" = [-1.5, 0.0]
"behaviour.stage.burden_keep" = [-2.5, -0.5]

[design]
points = 4
reps = 1
"""


def _robust(finding: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    return call(["robust", finding, *TINY, "--backend", "serial", "--out", out,
                 "--format", "json", "--quiet", *extra])


@pytest.mark.slow  # eight tiny replications and the EMA Workbench import: about 4 s
def test_answer_folder_and_resume(tmp_path):
    finding = write(tmp_path, FINDING, "finding.toml")
    out = tmp_path / "study"
    status, stdout, stderr = _robust(finding, out)
    assert status == 0, stderr
    answer = json.loads(stdout)
    assert {"share_holding", "ci95", "points", "drivers"} <= set(answer)
    assert answer["points"] == 4
    points = pd.read_parquet(out / "points.parquet")
    decided = points[points["outcome"] != "undecided"]
    holding = int((decided["outcome"] == "holds").sum())
    assert answer["share_holding"] == pytest.approx(holding / len(decided))
    assert answer["ci95"] == pytest.approx(list(wilson_interval(holding, len(decided))))
    assert ((decided["difference"] <= 0) == (decided["outcome"] == "holds")).all()
    assert read_marker(out) is FolderKind.ROBUST
    names = {p.name for p in out.iterdir()}
    assert {MARKER_FILE, "runs.sqlite", "points.parquet", "robustness.json",
            "manifest.json", "robustness.png", "report.html"} <= names
    assert (out / "robustness.png").read_bytes().startswith(PNG_MAGIC)
    assert "aggressive tone cures fewer accounts" in (out / "report.html").read_text()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs"]["ran_now"] == 8

    # the same folder again: refused without --resume, nothing changed
    before = (out / "robustness.json").read_text()
    assert_bad_input(*_robust(finding, out), "--resume")
    # interrupted: two runs lost; --resume runs exactly those and answers the same
    with sqlite3.connect(out / "runs.sqlite") as db:
        db.execute("DELETE FROM runs WHERE point IN (2, 3) AND replication = 0")
    (out / "robustness.json").unlink()
    status, stdout, stderr = _robust(finding, out, "--resume")
    assert status == 0, stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs"] == {"ran_now": 2, "resumed": 6, "failed": 0}
    assert json.loads((out / "robustness.json").read_text()) == json.loads(before)


def test_two_points_answer_in_json(tmp_path):
    finding = write(tmp_path, FINDING, "finding.toml")
    out = tmp_path / "study"
    status, stdout, stderr = _robust(finding, out, "--points", "2")
    assert status == 0, stderr
    answer = json.loads(stdout)
    points = pd.read_parquet(out / "points.parquet")
    assert answer["points"] == len(points) == 2
    assert answer["holding"] == int((points["outcome"] == "holds").sum())
    assert set(points["outcome"]) <= {"holds", "fails", "undecided"}
    assert json.loads((out / "robustness.json").read_text()) == answer
    # `collectsim report` rewrites the page from the folder, and refuses a damaged answer
    (out / "report.html").unlink()
    status, _, stderr = call(["report", out])
    assert status == 0, stderr
    assert "aggressive tone cures fewer accounts" in (out / "report.html").read_text()
    (out / "robustness.json").write_text('{"claim": "x"}')
    assert_bad_input(*call(["report", out]), "robustness.json", "no kpi")


def test_another_kinds_folder_is_refused(tmp_path):
    finding = write(tmp_path, FINDING, "finding.toml")
    out = tmp_path / "sweep"
    out.mkdir()
    (out / MARKER_FILE).write_text(json.dumps({"format": "collectsim-results", "version": 1,
                                               "kind": "sweep"}))
    assert_bad_input(*_robust(finding, out), "which robust never replaces")
