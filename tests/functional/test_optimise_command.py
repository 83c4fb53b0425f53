"""``collectsim optimise``: bad input refused in one line before anything runs, and a search
with its clean-up on a tiny scenario, written to a results folder that ``--resume`` continues.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from support import BASELINE, PNG_MAGIC, TINY, assert_bad_input, call, run_process

from sim.experiment.marker import FolderKind, read_marker

LEVERS = ["--lever", "agencies.alpha.tone=0.1:0.9", "--lever", "agencies.beta.collectors=1:3:int"]
BASE = ["optimise", BASELINE, *TINY, "--kpi", "netback_rate", "--budget", "6", "--reps", "2"]


@pytest.mark.parametrize(("extra", "fragments"), [
    (["--lever", "agencies.alpha.tonee=0:1"], ("--lever", "agencies.alpha.tonee", "unknown")),
    (["--lever", "agencies.alpha.tone=0.9:0.1"], ("--lever", "LOW must be less than HIGH")),
    (["--lever", "agencies.alpha.tone=0.5:0.5"], ("LOW must be less than HIGH",)),
    (["--lever", "agencies.alpha.tone=0:3"], ("agencies.alpha.tone", "at most 1")),
    (["--lever", "portfolio.accounts=50:80"], ("portfolio.accounts", "whole number")),
    (["--lever", "tone"], ("--lever", "expected PATH=LOW:HIGH")),
    ([*LEVERS, "--constraint", "complaints_per_1000<10"], ("--constraint", "expected KPI<=")),
    ([*LEVERS, "--constraint", "nonsense<=10"], ("--constraint", "unknown KPI", "nonsense")),
    ([*LEVERS, "--reps", "1"], ("--reps", "at least 2")),
    ([*LEVERS, "--budget", "0"], ("--budget",)),
    ([*LEVERS, "--resume"], ("--resume", "holds no study")),
    ([*LEVERS, "--pcs", "0.4"], ("--pcs", "between 0.5 and 1")),
    ([*LEVERS, "--lever", "agencies.alpha.tone=0.2:0.3"], ("same path is given twice",)),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, extra: list[str],
                                         fragments: tuple[str, ...]) -> None:
    out = tmp_path / "out"
    assert_bad_input(*call([*BASE, *extra, "--out", out]), *fragments)
    assert not out.exists()


def test_resume_needs_an_out_folder() -> None:
    assert_bad_input(*call([*BASE, *LEVERS, "--resume"]), "--resume", "needs --out")


def test_an_unknown_kpi_is_refused(tmp_path: Path) -> None:
    argv = [a if a != "netback_rate" else "netback" for a in BASE]
    assert_bad_input(*call([*argv, *LEVERS]), "--kpi", "unknown KPI", "netback")
    assert_bad_input(*call([*BASE[:-6], "--kpi", "accounts", "--budget", "6", *LEVERS]),
                     "--kpi", "no better direction")


@pytest.mark.slow
def test_optimise_writes_its_folder_and_resumes_the_study(tmp_path: Path) -> None:
    out = tmp_path / "opt"
    done = run_process([*BASE, *LEVERS, "--constraint", "complaints_per_1000<=400",
                        "--keep", "3", "--workers", "2", "--format", "json", "--out", out],
                       cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["trials"] == 6 and result["feasible"] is True
    levers = result["best"]["levers"]
    assert set(levers) == {"agencies.alpha.tone", "agencies.beta.collectors"}
    assert isinstance(levers["agencies.beta.collectors"], int)
    assert 0.1 <= levers["agencies.alpha.tone"] <= 0.9
    low, high = result["best"]["ci95"]
    assert low <= result["best"]["kpi"] <= high
    # the same study whatever the backend and the number of workers
    status, stdout, stderr = call([*BASE, *LEVERS, "--constraint", "complaints_per_1000<=400",
                                   "--keep", "3", "--backend", "serial", "--format", "json",
                                   "--quiet"])
    assert status == 0, stderr
    assert json.loads(stdout) == result
    assert read_marker(out) is FolderKind.OPTIMISE
    assert (out / "optimisation.png").read_bytes()[:8] == PNG_MAGIC
    trials = pd.read_csv(out / "trials.csv")
    assert list(trials["trial"]) == list(range(6))
    assert trials["chosen"].sum() == 1
    runs = pd.read_csv(out / "runs.csv")
    search_runs = runs[runs["stage"] == "search"]
    assert len(search_runs) == 6 * 2
    assert sorted(search_runs["replication"]) == [0] * 6 + [1] * 6
    assert set(runs["stage"]) <= {"search", "clean-up"}
    # without --resume an existing study is not overwritten
    status, stdout, stderr = call([*BASE, *LEVERS, "--out", out])
    assert_bad_input(status, stdout, stderr, "--out", "--resume")
    # a study of another scenario is not continued
    status, stdout, stderr = call([*BASE, *LEVERS, "--set", "portfolio.accounts=70", "--out", out,
                                   "--resume", "--constraint", "complaints_per_1000<=400",
                                   "--keep", "3"])
    assert_bad_input(status, stdout, stderr, "--resume", "scenario_hash")
    # resumed to 8 trials: the 6 stored trials are kept, two new ones run
    status, stdout, stderr = call([*BASE[:-4], "--budget", "8", "--reps", "2", *LEVERS,
                                   "--constraint", "complaints_per_1000<=400", "--keep", "3",
                                   "--workers", "1", "--out", out, "--resume", "--quiet"])
    assert status == 0, stderr
    assert "8 trials (2 run now)" in stdout
    again = pd.read_csv(out / "trials.csv")
    assert list(again["trial"]) == list(range(8))
    pd.testing.assert_frame_equal(again.iloc[:6][trials.columns[:4]], trials[trials.columns[:4]])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["trials"] == 8 and manifest["trials_run_now"] == 2
