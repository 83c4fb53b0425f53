"""Experiment files, design points, precision targets and output-folder rules.

* the shipped experiments load, and their designs have the sizes their comments promise;
* every kind of bad experiment file is one ``ScenarioError`` naming the file and the dotted
  field — factor paths are checked by applying them to the base scenario — and on the command
  line it is one line on stderr, exit status 2, and nothing written;
* designs are deterministic, Latin hypercubes are stratified, integer factors stay integers;
* a file is refused as an output folder (the rules for folders holding a sweep's results are
  tested on real sweeps in ``tests/functional/test_sweep_store.py``).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from support import GOOD_EXPERIMENT as GOOD
from support import write

from sim.cli.main import main
from sim.config.loading import ScenarioError
from sim.experiment.experiment_file import load_experiment
from sim.experiment.progress import Progress
from sim.experiment.replicate import lookahead, parse_target

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "scenarios" / "baseline.toml"



def test_shipped_experiments_load_with_promised_sizes():
    sizes = {"fee_by_collectors": (9, 3), "lhs_behaviour": (24, 2),
             "sobol_netback": (32 * (6 + 2), 1), "morris_screening": (8 * (10 + 1), 1)}
    files = sorted((REPO / "experiments").glob("*.toml"))
    assert len(files) >= 3
    for path in files:
        experiment = load_experiment(path)
        assert (len(experiment.assignments), experiment.replications) \
            == sizes[experiment.name]
        assert experiment.base.portfolio.accounts <= 5000  # runnable in minutes (see comments)
        scenario = experiment.scenario_at(len(experiment.assignments) - 1)
        assert scenario.portfolio.accounts == experiment.base.portfolio.accounts


def test_good_file_resolves_points_and_overrides(tmp_path):
    experiment = load_experiment(write(tmp_path, GOOD))
    assert experiment.base.portfolio.accounts == 200
    assert experiment.points["agencies.alpha.tone"].tolist() == [0.2, 0.8]
    assert experiment.scenario_at(1).agencies[0].tone == 0.8
    assert experiment.seed == experiment.base.scenario.seed
    assert experiment.key == load_experiment(write(tmp_path, GOOD, "again.toml")).key


def _replace(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new)


BAD = {
    "unknown top-level key": (GOOD + "\n[extra]\nx = 1\n", "extra", "unknown key"),
    "unknown experiment key": (_replace('name = "tiny"', 'name = "tiny"\nrepz = 2'),
                               "experiment.repz", "unknown key"),
    "missing design kind": (_replace('kind = "grid"', ""), "design.kind",
                            "required field is missing"),
    "bad design kind": (_replace('kind = "grid"', 'kind = "anova"'), "design.kind", "anova"),
    "no such agency": (_replace("agencies.alpha.tone", "agencies.gamma.tone"),
                       "factors.0.path", "no agency named 'gamma'"),
    "unknown scenario key": (_replace("agencies.alpha.tone", "portfolio.acounts"),
                             "factors.0.path", "unknown key"),
    "level out of range": (_replace("[0.2, 0.8]", "[0.2, 2.0]"), "factors.0.levels",
                           "agencies.alpha.tone"),
    "level of wrong type": (_replace("[0.2, 0.8]", '[0.2, "loud"]'), "factors.0.levels",
                            "got 'loud'"),
    "grid without levels": (_replace("levels = [0.2, 0.8]", "bounds = [0.1, 0.9]"),
                            "factors.0.levels", "needs levels"),
    "inverted bounds": (_replace('kind = "grid"', 'kind = "lhs"\nsamples = 4')
                        .replace("levels = [0.2, 0.8]", "bounds = [0.9, 0.1]"),
                        "factors.0.bounds", "low < high"),
    "bound out of range": (_replace('kind = "grid"', 'kind = "lhs"\nsamples = 4')
                           .replace("levels = [0.2, 0.8]", "bounds = [0.1, 1.5]"),
                           "factors.0.bounds", "must be at most 1"),
    "lhs without samples": (_replace('kind = "grid"', 'kind = "lhs"')
                            .replace("levels = [0.2, 0.8]", "bounds = [0.1, 0.9]"),
                            "design.samples", "needs samples"),
    "sobol N not a power of two": (_replace('kind = "grid"', 'kind = "sobol"\nsamples = 48')
                                   .replace("levels = [0.2, 0.8]", "bounds = [0.1, 0.9]"),
                                   "design.samples", "power of two"),
    "fractional integer bounds": (_replace('kind = "grid"', 'kind = "lhs"\nsamples = 4')
                                  .replace('path = "agencies.alpha.tone"\nlevels = [0.2, 0.8]',
                                           'path = "agencies.alpha.collectors"\n'
                                           "bounds = [1.5, 4]\ninteger = true"),
                                  "factors.0.bounds", "whole-number"),
    "duplicate factor": (GOOD + '\n[[factors]]\npath = "agencies.alpha.tone"\n'
                         "levels = [0.1]\n", "factors.1.path", "twice"),
    "unknown metric": (_replace('"netback_rate"]', '"netback"]'), "experiment.metrics",
                       "no KPI named 'netback'; did you mean 'netback_rate'?"),
    "unknown agency": (_replace("replications = 2", 'replications = 2\nagency = "gamma"'),
                       "experiment.agency",
                       "no agency named 'gamma' (agencies: alpha, beta, total)"),
    "missing scenario file": (_replace(str(BASELINE), "nowhere.toml"), "experiment.scenario",
                              "file not found"),
    "bad override": (_replace("portfolio.accounts = 200", "portfolio.accounts = -5"),
                     "overrides.portfolio.accounts", "must be at least 1"),
    "override to missing agency": (_replace("agencies.beta.collectors = 1",
                                            "agencies.delta.collectors = 1"),
                                   "overrides.agencies.delta.collectors", "no agency named"),
    "zero replications": (_replace("replications = 2", "replications = 0"),
                          "experiment.replications", "must be at least 1"),
    "TOML syntax": (GOOD + "\n[design\n", None, "invalid TOML"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_experiment_is_one_scenario_error(tmp_path, case):
    text, field, fragment = BAD[case]
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as caught:
        load_experiment(path)
    error = caught.value
    assert error.file == str(path)
    assert error.field == field
    assert fragment in str(error)
    assert "\n" not in str(error)


@pytest.mark.parametrize("command", ["sweep", "sensitivity"])
@pytest.mark.parametrize("case", ["no such agency", "level out of range", "unknown metric"])
def test_bad_experiment_on_the_command_line(tmp_path, capsys, command, case):
    path = write(tmp_path, BAD[case][0])
    out = tmp_path / "out"
    status = main([command, str(path), "--out", str(out), "--backend", "serial"])
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert status == 2
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {path}: {BAD[case][1]}: ")
    assert captured.out == ""
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.toml"]


def test_sensitivity_needs_a_sobol_or_morris_design(tmp_path, capsys):
    path = write(tmp_path, GOOD)
    assert main(["sensitivity", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "design.kind: sensitivity needs design kind" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("argv, fragment", [
    (["--workers", "0"], "--workers: must be at least 1"),
    (["--backend", "serial", "--scheduler", "tcp://127.0.0.1:1"], "only applies to"),
    (["--resume", "--fresh"], "either --resume or --fresh"),
])
def test_bad_sweep_options(tmp_path, capsys, argv, fragment):
    path = write(tmp_path, GOOD)
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), *argv]) == 2
    assert fragment in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_lhs_is_stratified_and_integer_factors_stay_integers(tmp_path):
    text = _replace('kind = "grid"', 'kind = "lhs"\nsamples = 10\nseed = 3').replace(
        'levels = [0.2, 0.8]', "bounds = [0.0, 1.0]") + (
        '\n[[factors]]\npath = "agencies.alpha.collectors"\nbounds = [1, 10]\ninteger = true\n')
    first = load_experiment(write(tmp_path, text))
    again = load_experiment(write(tmp_path, text, "same.toml"))
    assert first.points.equals(again.points)
    tone = first.points["agencies.alpha.tone"].to_numpy()
    assert sorted(np.floor(tone * 10).astype(int).tolist()) == list(range(10))
    collectors = first.points["agencies.alpha.collectors"].tolist()
    assert all(isinstance(c, int) and 1 <= c <= 10 for c in collectors)
    assert sorted(collectors) == list(range(1, 11))  # one point per unit-wide stratum
    other = load_experiment(write(tmp_path, text.replace("seed = 3", "seed = 4"), "o.toml"))
    assert not other.points.equals(first.points)


def test_grid_order_first_factor_slowest_and_steps(tmp_path):
    text = GOOD + ('\n[[factors]]\npath = "agencies.beta.collectors"\nbounds = [1, 3]\n'
                   "steps = 3\ninteger = true\n")
    experiment = load_experiment(write(tmp_path, text))
    assert experiment.points.values.tolist() == [[0.2, 1], [0.2, 2], [0.2, 3],
                                                 [0.8, 1], [0.8, 2], [0.8, 3]]


def test_file_as_out_folder_is_refused(tmp_path, capsys):
    path = write(tmp_path, GOOD)
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["sweep", str(path), "--out", str(target)]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err


@pytest.mark.parametrize("text, expected", [
    ("recovery_rate=0.01", ("recovery_rate", 0.01, "total", False)),
    ("alpha.netback_rate=2%", ("netback_rate", 0.02, "alpha", True)),
])
def test_parse_target(text, expected):
    target = parse_target(text)
    assert (target.metric, target.half_width, target.agency, target.relative) == expected


@pytest.mark.parametrize("text", ["recovery_rate", "nothing=0.1", "recovery_rate=-1",
                                  "recovery_rate=abc"])
def test_bad_target(text):
    with pytest.raises(ScenarioError, match="--target-ci"):
        parse_target(text)


def test_lookahead_follows_hoad_robinson_davies():
    assert lookahead(3) == 5
    assert lookahead(100) == 5
    assert lookahead(400) == 20


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal_and_never_quiet():
    silent = io.StringIO()
    Progress(4, stream=silent).update(1)
    assert silent.getvalue() == ""
    quiet = _Terminal()
    Progress(4, stream=quiet, quiet=True).update(1)
    assert quiet.getvalue() == ""
    shown = _Terminal()
    progress = Progress(4, stream=shown)
    progress.update(2, failed=1)
    progress.update(4, failed=1)
    progress.close()
    text = shown.getvalue()
    assert "runs 2/4, 1 failed" in text and "left" in text
    assert text.endswith("\n")
