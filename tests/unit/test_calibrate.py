"""Calibration by ABC-SMC on a toy simulator with known truth and known noise, the posterior
summaries, and the targets file's checks."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import BASELINE, assert_bad_input, call, write

from sim.config.loading import ScenarioError
from sim.experiment.calibrate import (
    Calibration,
    Prior,
    calibrate,
    weighted_correlation,
    weighted_quantiles,
)
from sim.experiment.targets import Targets, curve_name, load_targets, sampling_sd
from sim.model.kpis import Unit

pytest.importorskip("pyabc")

TRUTH = 0.4
NOISE = 0.004  # the toy's simulation noise (sd), per replication
ACCOUNTS = 10_000


def toy(params: dict[str, float], replication: int) -> dict[str, float]:
    """rpc_rate rises with ``a``; ptp_rate depends on nothing; one noise draw per replication
    (common to every candidate of a generation)."""
    noise = np.random.default_rng([7, replication]).normal(0.0, NOISE, size=2)
    return {"rpc_rate": 0.1 + 0.3 * params["a"] + noise[0], "ptp_rate": 0.3 + noise[1]}


def toy_targets() -> Targets:
    observed = {"rpc_rate": 0.1 + 0.3 * TRUTH, "ptp_rate": 0.3}
    sd = {k: sampling_sd(Unit.SHARE, v, ACCOUNTS) for k, v in observed.items()}
    return Targets("toy", ACCOUNTS, "toy", observed, sd, ())


def test_posterior_recovers_the_truth_and_flags_an_inert_parameter(tmp_path: Path) -> None:
    result = calibrate(toy, [Prior("a", 0.0, 1.0), Prior("b", 0.0, 1.0)], toy_targets(),
                       budget=250, database=tmp_path / "abc.db", seed=3)
    post = result.posterior()
    assert abs(post["a"]["median"] - TRUTH) < 3 * post["a"]["sd"] + 1e-9
    assert post["a"]["q05"] < post["a"]["median"] < post["a"]["q95"]
    identifiable = result.identifiable()
    assert identifiable == {"a": True, "b": False}
    assert 200 <= result.simulations <= 250 + 2 * 31  # at most one generation past the budget
    assert result.epsilons == sorted(result.epsilons, reverse=True)
    assert math.isclose(result.draws["weight"].sum(), 1.0)
    assert set(result.as_json()) == {"posterior", "simulations", "identifiable",
                                     "correlations", "ridges"}
    generations = result.generations
    assert list(generations["generation"]) == list(range(len(result.epsilons)))
    assert generations["simulations"].sum() < result.simulations  # plus the prior sample
    assert (generations["effective_sample_size"] <= generations["accepted"] + 1e-9).all()
    assert list(result.correlations()) == ["a ~ b"]


def test_same_seed_same_posterior(tmp_path: Path) -> None:
    runs = [calibrate(toy, [Prior("a", 0.0, 1.0)], toy_targets(), budget=60,
                      database=tmp_path / f"abc{i}.db", seed=11) for i in range(2)]
    assert runs[0].draws.equals(runs[1].draws)


def test_weighted_summaries() -> None:
    values = np.array([1.0, 2.0, 3.0, 4.0])
    assert weighted_quantiles(values, np.ones(4), [0.5]) == [2.5]
    assert weighted_quantiles(values, np.array([0.0, 0.0, 0.0, 1.0]), [0.5]) == [4.0]
    assert weighted_correlation(values, 2 * values, np.ones(4)) == pytest.approx(1.0)
    assert weighted_correlation(values, -values, np.array([1, 2, 3, 4.0])) == pytest.approx(-1)


def test_ridge_correlation_is_reported() -> None:
    x = np.linspace(0, 1, 50)
    draws = {"a": x, "b": 1 - x + 0.01 * np.sin(40 * x), "weight": np.full(50, 1 / 50)}

    result = Calibration([Prior("a", 0, 1), Prior("b", 0, 1)], pd.DataFrame(draws), 50)
    assert result.correlations()["a ~ b"] < -0.99
    assert result.identifiable() == {"a": False, "b": False}
    assert [(a, b) for a, b, _ in result.ridges()] == [("a", "b")]
    assert result.as_json()["ridges"][0]["pair"] == ["a", "b"]


def test_a_correlated_pair_each_identified_is_no_ridge() -> None:
    """Correlation alone is no ridge: both marginals narrow means each is identified."""
    x = np.linspace(0.4, 0.5, 50)
    draws = {"a": x, "b": x + 0.001 * np.cos(30 * x), "weight": np.full(50, 1 / 50)}
    result = Calibration([Prior("a", 0, 1), Prior("b", 0, 1)], pd.DataFrame(draws), 50)
    assert result.correlations()["a ~ b"] > 0.99
    assert result.identifiable() == {"a": True, "b": True}
    assert result.ridges() == []


def test_sampling_error_formulas() -> None:
    assert sampling_sd(Unit.SHARE, 0.2, 10_000) == pytest.approx(math.sqrt(0.16 / 10_000))
    assert sampling_sd(Unit.PER_1000, 4.0, 20_000) == pytest.approx(math.sqrt(4000 / 20_000))


GOOD = """[targets]
accounts = 20000
source = "a survey"
[targets.kpis]
rpc_rate = 0.2
complaints_per_1000 = 1.5
[targets.curve]
days = [30, 90]
values = [0.06, 0.15]
"""


def test_targets_file_is_read(tmp_path: Path) -> None:
    targets = load_targets(write(tmp_path, GOOD, "t.toml"))
    assert targets.names == ["rpc_rate", "complaints_per_1000", curve_name(30), curve_name(90)]
    assert targets.sd[curve_name(30)] == pytest.approx(math.sqrt(0.06 * 0.94 / 20_000))
    assert targets.curve_days == (30, 90)


@pytest.mark.parametrize(("text", "field", "problem"), [
    (GOOD.replace("accounts = 20000", "accounts = 0"), "targets.accounts", "greater than 0"),
    (GOOD.replace('source = "a survey"', ""), "targets.source", "Field required"),
    (GOOD.replace("rpc_rate = 0.2", "rpc = 0.2"), "targets.kpis.rpc", "not a KPI"),
    (GOOD.replace("rpc_rate = 0.2", "rpc_rate = 20"), "targets.kpis.rpc_rate",
     "strictly between 0 and 1"),
    (GOOD.replace("rpc_rate = 0.2", "collected = 5.0"), "targets.kpis.collected",
     "no sampling error"),
    (GOOD.replace("days = [30, 90]", "days = [90, 30]"), "targets.curve.days", "increasing"),
    (GOOD.replace("values = [0.06, 0.15]", "values = [0.06]"), "targets.curve.values",
     "one value per day"),
    (GOOD + "extra = 1\n", "targets.curve.extra", "Extra inputs"),
    ("[targets]\naccounts = 5\nsource = 'x'\n", "targets", "names no figure"),
])
def test_targets_file_errors(tmp_path: Path, text: str, field: str, problem: str) -> None:
    path = write(tmp_path, text, "t.toml")
    with pytest.raises(ScenarioError) as caught:
        load_targets(path)
    assert str(caught.value).startswith(f"{path}: {field}: ")
    assert problem in str(caught.value)
    assert "\n" not in str(caught.value)


def test_cli_rejects_bad_targets_and_params(tmp_path: Path) -> None:
    bad = write(tmp_path, GOOD.replace("rpc_rate = 0.2", "rpc = 0.2"), "bad.toml")
    good = write(tmp_path, GOOD, "good.toml")
    base = ["calibrate", BASELINE, "--budget", "10", "--out", tmp_path / "out"]
    assert_bad_input(*call([*base, "--targets", bad, "--param", "portfolio.apr=0.1:0.3"]),
                     "bad.toml: targets.kpis.rpc: not a KPI")
    assert_bad_input(*call([*base, "--targets", good, "--param", "portfolio.apr=0.3:0.1"]),
                     "--param", "LOW < HIGH")
    assert_bad_input(*call([*base, "--targets", good, "--param", "scenario.name=0:1"]),
                     "--param: scenario.name: not a numeric field")
    assert_bad_input(*call([*base, "--targets", good, "--param",
                            "portfolio.segments.money_management.answer_rate=0.1:1.5"]),
                     "answer_rate", "at most 1")
    assert_bad_input(*call([*base, "--targets", good, "--scale",
                            "portfolio.segments.*.nothing=0.5:2"]),
                     "--scale: portfolio.segments.*.nothing: matches no numeric field")
    assert_bad_input(*call([*base, "--targets", good, "--scale", "portfolio.apr"]),
                     "--scale", "expected PATTERN=LOW:HIGH")
    assert_bad_input(*call([*base, "--targets", good]), "--param", "at least one")
    late = write(tmp_path, GOOD.replace("[30, 90]", "[30, 120]"), "late.toml")
    assert_bad_input(*call([*base, "--targets", late, "--param", "portfolio.apr=0.1:0.3"]),
                     "targets.curve.days", "beyond the scenario's 90-day placement")
    assert not (tmp_path / "out").exists()


def test_no_generation_starts_that_would_carry_the_total_past_the_budget(
        tmp_path: Path) -> None:
    """A generation starts only while the simulations spent plus those of the generation
    before fit the budget; the run stops when the next would not fit."""
    budget = 300
    result = calibrate(toy, [Prior("a", 0.0, 1.0)], toy_targets(), budget=budget,
                       population=20, database=tmp_path / "abc.db", seed=2)
    per_generation = [int(n) for n in result.generations["simulations"]]
    prior_sample = result.simulations - sum(per_generation)
    assert prior_sample == 20 and len(per_generation) >= 3
    for g in range(1, len(per_generation)):
        assert prior_sample + sum(per_generation[:g]) + per_generation[g - 1] <= budget
    assert result.simulations + per_generation[-1] > budget


def test_each_candidate_has_its_own_replication_unless_common(tmp_path: Path) -> None:
    """By default every candidate is simulated on a replication of its own; with common random
    numbers, the candidates of generation g all on replication g."""
    for common in (False, True):
        seen: list[int] = []

        def recording(params: dict[str, float], replication: int,
                      seen: list[int] = seen) -> dict[str, float]:
            seen.append(replication)
            return toy(params, replication)

        result = calibrate(recording, [Prior("a", 0.0, 1.0)], toy_targets(), budget=60,
                           database=tmp_path / f"abc{common}.db", seed=5,
                           common_random_numbers=common)
        assert len(seen) == result.simulations
        if common:
            assert set(seen) <= set(range(len(result.epsilons) + 1))
        else:
            assert min(seen) >= 2_000_000 and len(set(seen)) > 0.95 * len(seen)
