"""Finding files, the robustness design, the holds/fails decision, the Wilson interval and the
drivers of failure.

* the shipped finding files load (both scenarios, every uncertain path probed);
* every kind of bad finding file is one line per problem naming the file and the field, exit
  status 2 and nothing written; an unknown KPI lists the registry's names;
* the Latin hypercube is stratified in every dimension, deterministic by seed, integer
  parameters stay whole;
* ties, margins and undefined KPIs are decided as documented, and a point's outcome comes
  from the mean of its paired differences;
* the Wilson interval matches its closed form;
* PRIM finds the box of a synthetic function whose failing region is known.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import bad_input_lines, call, write

from sim.config.loading import ScenarioError
from sim.experiment.discovery import box_drivers, box_statistics, choose_box, failure_drivers
from sim.experiment.finding import CommandLine, load_finding
from sim.experiment.robust import holds, lhs_points, point_table, threshold, wilson_interval
from sim.model.kpis import KPIS

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"
FINDINGS = REPO / "experiments" / "findings"

GOOD = f"""
[finding]
claim = "aggressive tone cures fewer accounts"
a = "{SCENARIOS / 'aggressive_tone.toml'}"
b = "{SCENARIOS / 'baseline.toml'}"
kpi = "cure_rate"
direction = "a < b"

[uncertain]
"behaviour.stage.tone_keep" = [-1.5, 0.0]
behaviour.stage.burden_keep = [-2.5, -0.5]      # nested keys work as well as quoted ones
"agencies.alpha.collectors" = [2, 6]            # whole numbers: an integer parameter

[design]
points = 10
reps = 2
seed = 3
"""


def _good(tmp_path: Path, **replace: str) -> Path:
    text = GOOD
    for old, new in replace.items():
        text = text.replace(old, new)
    return write(tmp_path, text, "finding.toml")


# --------------------------------------------------------------------------- finding files


def test_shipped_findings_load():
    files = sorted(FINDINGS.glob("*.toml"))
    assert len(files) >= 10
    for path in files:
        finding = load_finding(path)
        assert finding.paths, path
        assert finding.spec.design.points >= 16, path
        text = path.read_text()
        for line in text.split("[uncertain]", 1)[1].split("[design]", 1)[0].splitlines():
            if "=" in line and not line.lstrip().startswith("#"):
                assert "#" in line, f"{path.name}: every range says where it comes from: {line}"


def test_good_file_resolves(tmp_path):
    finding = load_finding(_good(tmp_path), CommandLine(points=4, reps=1))
    assert finding.paths == ["behaviour.stage.tone_keep", "behaviour.stage.burden_keep",
                             "agencies.alpha.collectors"]
    assert [f.integer for f in finding.factors] == [False, False, True]
    assert finding.spec.design.points == 4 and finding.spec.design.reps == 1
    assert finding.seed == finding.a.scenario.seed
    assert finding.b is not None and finding.value is None


def test_value_instead_of_scenario(tmp_path):
    finding = load_finding(_good(tmp_path, **{f'b = "{SCENARIOS / "baseline.toml"}"': "b = 0.3"}))
    assert finding.b is None and finding.value == 0.3


@pytest.mark.parametrize(("old", "new", "field", "fragment"), [
    ('kpi = "cure_rate"', 'kpi = "cure_rat"', "finding.kpi", "did you mean 'cure_rate'"),
    ('direction = "a < b"', 'direction = "a => b"', "finding.direction", "'a >= b'"),
    ('"behaviour.stage.tone_keep"', '"behaviour.stage.tone_kep"',
     "uncertain.behaviour.stage.tone_kep", "unknown key"),
    ('"agencies.alpha.collectors"', '"agencies.gamma.collectors"',
     "uncertain.agencies.gamma.collectors", "no agency named 'gamma'"),
    ("[-1.5, 0.0]", "[0.0, -1.5]", "uncertain.behaviour.stage.tone_keep", "low < high"),
    ("[-1.5, 0.0]", '"wide"', "uncertain.behaviour.stage.tone_keep", "[low, high]"),
    ("[2, 6]", "[2, 6000000]", "uncertain.agencies.alpha.collectors", "collectors"),
    ("points = 10", "points = 1", "design.points", "at least 2"),
    ("reps = 2", "reps = 2\ncolour = 1", "design.colour", "unknown key"),
    ("aggressive_tone.toml", "missing.toml", "finding.a", "not found"),
])
def test_bad_finding_is_one_line_per_problem(tmp_path, old, new, field, fragment):
    path = _good(tmp_path, **{old: new})
    out = tmp_path / "out"
    lines = bad_input_lines(*call(["robust", path, "--out", out]))
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}: {field}: "), lines
    assert fragment in lines[0]
    assert not out.exists()


def test_unknown_kpi_lists_every_registry_name(tmp_path):
    with pytest.raises(ScenarioError) as caught:
        load_finding(_good(tmp_path, **{'"cure_rate"': '"cures"'}))
    assert all(kpi.name in caught.value.problem for kpi in KPIS)


def test_every_problem_reported_at_once(tmp_path):
    path = _good(tmp_path, **{'"cure_rate"': '"cures"', "[-1.5, 0.0]": "[1, 0]",
                              '"agencies.alpha.collectors"': '"portfolio.colour"'})
    lines = bad_input_lines(*call(["robust", path, "--out", tmp_path / "out"]))
    fields = [line.split(": ")[1] for line in lines]
    assert fields == ["finding.kpi", "uncertain.behaviour.stage.tone_keep",
                      "uncertain.portfolio.colour"]


# --------------------------------------------------------------------------- design


def test_latin_hypercube_is_stratified_and_seeded(tmp_path):
    finding = load_finding(_good(tmp_path), CommandLine(points=10))
    values, assignments = lhs_points(finding)
    assert values.shape == (10, 3)
    for column, (low, high) in zip(values.T[:2], list(finding.ranges.values())[:2],
                                   strict=True):
        strata = np.floor((column - low) / (high - low) * 10).astype(int)
        assert sorted(strata) == list(range(10))  # one point in each tenth of the range
    collectors = [dict(a)["agencies.alpha.collectors"] for a in assignments]
    assert all(isinstance(c, int) and 2 <= c <= 6 for c in collectors)
    again, _ = lhs_points(load_finding(_good(tmp_path), CommandLine(points=10)))
    other, _ = lhs_points(load_finding(_good(tmp_path, **{"seed = 3": "seed = 4"}),
                                       CommandLine(points=10)))
    assert np.array_equal(values, again)
    assert not np.array_equal(values, other)


# --------------------------------------------------------------------------- decision


@pytest.mark.parametrize(("direction", "difference", "margin", "expected"), [
    ("a > b", 0.01, 0.0, True), ("a > b", 0.0, 0.0, False), ("a > b", -0.01, 0.0, False),
    ("a >= b", 0.0, 0.0, True), ("a >= b", -1e-12, 0.0, False),
    ("a < b", -0.01, 0.0, True), ("a < b", 0.0, 0.0, False),
    ("a <= b", 0.0, 0.0, True), ("a <= b", 1e-12, 0.0, False),
    # strict: better by more than the margin; non-strict: worse by at most the margin
    ("a > b", 0.004, 0.005, False), ("a > b", 0.006, 0.005, True),
    ("a >= b", -0.004, 0.005, True), ("a >= b", -0.006, 0.005, False),
    ("a < b", -0.004, 0.005, False), ("a <= b", 0.004, 0.005, True),
    ("a <= b", 0.005, 0.005, True), ("a < b", -0.005, 0.005, False),
    ("a > b", math.nan, 0.0, None),
])
def test_holds(direction, difference, margin, expected):
    assert holds(direction, difference, margin) is expected


def test_point_outcome_is_the_mean_of_paired_differences(tmp_path):
    finding = load_finding(_good(tmp_path), CommandLine(points=3, reps=3))
    values = np.zeros((3, 3))
    kpis = {}
    # point 0: a below b in two replications, above in one, mean below: holds (a < b)
    for r, (a, b) in enumerate([(0.40, 0.42), (0.41, 0.42), (0.43, 0.42)]):
        kpis[(0, "a", r)], kpis[(0, "b", r)] = a, b
    # point 1: a above b on average: fails
    for r in range(3):
        kpis[(1, "a", r)], kpis[(1, "b", r)] = 0.45, 0.42
    # point 2: a failed run in every replication of b: undecided
    for r in range(3):
        kpis[(2, "a", r)] = 0.40
    table = point_table(finding, values, kpis)
    assert table["outcome"].tolist() == ["holds", "fails", "undecided"]
    assert table.loc[0, "difference"] == pytest.approx((-0.02 - 0.01 + 0.01) / 3)
    assert table["pairs"].tolist() == [3, 3, 0]
    assert bool(table.loc[0, "within_noise"])  # -0.01 ± a wide t interval crosses zero
    assert not bool(table.loc[1, "within_noise"])  # identical differences: no noise
    assert threshold("a < b", 0.0) == 0.0


def test_wilson_interval_matches_closed_form():
    for k, n in [(45, 64), (0, 20), (20, 20), (1, 3)]:
        z = 1.959963984540054
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        low, high = wilson_interval(k, n)
        assert low == pytest.approx(max(0.0, centre - half), abs=1e-9)
        assert high == pytest.approx(min(1.0, centre + half), abs=1e-9)
    assert all(math.isnan(v) for v in wilson_interval(0, 0))


# --------------------------------------------------------------------------- drivers


def test_box_drivers_measure_how_much_of_each_range_is_cut_away():
    ranges = {"x": (0.0, 1.0), "y": (-2.0, 2.0), "z": (0.0, 10.0)}
    drivers = box_drivers({"x": (0.7, 1.0), "y": (-2.0, 1.0)}, ranges)
    assert [d["path"] for d in drivers] == ["x", "y"]
    assert drivers[0]["importance"] == pytest.approx(0.7)
    assert drivers[1]["importance"] == pytest.approx(0.25)
    assert choose_box([(1.0, 0.2, 1.0), (0.95, 0.9, 0.2), (0.5, 1.0, 0.1)]) == 1
    x = pd.DataFrame({"x": [0.1, 0.5, 0.8, 0.9], "y": [0.0, 0.0, 0.0, 1.0]})
    fails = np.array([False, True, True, False])
    box = pd.DataFrame({"x": [0.4, 1.0], "y": [-1.0, 0.5]})
    assert box_statistics(x, fails, box) == (1.0, 1.0, 0.5)


@pytest.mark.slow  # importing the EMA Workbench takes about 2 s
def test_prim_finds_the_known_failing_box():
    rng = np.random.default_rng(11)
    points = pd.DataFrame(rng.uniform(0.0, 1.0, (400, 3)), columns=["a", "b", "c"])
    fails = (points["a"] > 0.7) & (points["b"] < 0.4)
    points["outcome"] = np.where(fails, "fails", "holds")
    drivers, boxes = failure_drivers(points, {"a": (0.0, 1.0), "b": (0.0, 1.0),
                                              "c": (0.0, 1.0)})
    assert [d["path"] for d in drivers[:2]] == ["a", "b"]
    limits = boxes[0]["limits"]
    assert limits["a"][0] == pytest.approx(0.7, abs=0.05) and limits["a"][1] == 1.0
    assert limits["b"][1] == pytest.approx(0.4, abs=0.05) and limits["b"][0] == 0.0
    assert "c" not in limits  # c does not matter
    assert boxes[0]["coverage"] > 0.85 and boxes[0]["density"] > 0.85
    points["outcome"] = "holds"
    assert failure_drivers(points, {"a": (0.0, 1.0)}) == ([], [])


def test_a_parameter_the_scenarios_differ_on_is_refused(tmp_path):
    path = _good(tmp_path, **{'"agencies.alpha.collectors" = [2, 6]':
                              '"agencies.alpha.tone" = [0.1, 0.9]'})
    lines = bad_input_lines(*call(["robust", path, "--out", tmp_path / "out"]))
    assert len(lines) == 1
    assert "uncertain.agencies.alpha.tone: scenarios a and b differ here (a: 0.9, b: 0.3)" \
        in lines[0]


def test_too_few_failures_give_no_box():
    points = pd.DataFrame({"x": np.linspace(0.0, 1.0, 20)})
    points["outcome"] = ["fails" if i < 2 else "holds" for i in range(20)]
    assert failure_drivers(points, {"x": (0.0, 1.0)}) == ([], [])
