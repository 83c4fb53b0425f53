"""The optimisation method on a pure-Python objective with a known optimum: the search, the
constraint, integer levers, the clean-up and resuming a stored study.

The objective is ``netback_rate = 0.05 − (x − 0.3)² − 0.0004·(n − 7)² + noise`` with ``x`` in
[0, 1] and integer ``n`` in [1, 12], so the optimum is ``x = 0.3, n = 7``; the noise of
replication *r* is the same for every setting (common random numbers), standard deviation
``SIGMA``. ``complaints_per_1000 = 20·x`` (plus noise) is the constrained KPI: ``<= 4`` binds
at ``x <= 0.2``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest
from support import png_size

from sim.config.loading import ScenarioError
from sim.experiment.optimise import (
    Problem,
    clean_up,
    completed,
    open_study,
    parse_constraint,
    parse_lever,
    search,
)
from sim.report.figures_optimise import optimisation_search
from sim.report.style import WIDTH_PX

SIGMA = 0.002
LEVERS = [parse_lever("x=0:1"), parse_lever("n=1:12:int")]


class Objective:
    """The known objective, counting its evaluations."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple[tuple[str, float], ...], int]] = []

    def __call__(self, requests: Sequence[tuple[Mapping[str, float], int]]
                 ) -> list[dict[str, float]]:
        out = []
        for levers, r in requests:
            self.calls.append((tuple(sorted(levers.items())), r))
            noise = np.random.default_rng([17, r]).normal(0, SIGMA, 2)
            x, n = float(levers["x"]), float(levers["n"])
            out.append({"netback_rate": 0.05 - (x - 0.3) ** 2 - 0.0004 * (n - 7) ** 2
                        + noise[0],
                        "complaints_per_1000": 20 * x + noise[1]})
        return out


def test_search_and_clean_up_find_the_known_optimum() -> None:
    problem = Problem(levers=LEVERS, kpi="netback_rate", reps=4)
    study = open_study(problem, storage=None, seed=3)
    objective = Objective()
    assert search(study, problem, objective, budget=60) == 60
    best = clean_up(study, problem, objective, keep=5)
    assert best.trials == 60 and best.feasible
    assert isinstance(best.levers["n"], int)
    assert abs(best.levers["n"] - 7) <= 1
    # within 0.1 of x = 0.3: a KPI loss of 0.01, five standard deviations of the noise
    assert abs(best.levers["x"] - 0.3) <= 0.1
    low, high = best.ci95
    assert low <= best.kpi <= high
    assert len(best.candidates) == 5 and best.trial in best.candidates
    assert min(best.replications) >= problem.reps


def test_every_trial_runs_the_same_replications_and_integer_levers_stay_integers() -> None:
    problem = Problem(levers=LEVERS, kpi="netback_rate", reps=3)
    study = open_study(problem, storage=None, seed=1, sampler="cmaes")
    objective = Objective()
    search(study, problem, objective, budget=8)
    assert [r for _, r in objective.calls] == [0, 1, 2] * 8
    for trial in completed(study):
        assert isinstance(trial.params["n"], int)
        assert 1 <= trial.params["n"] <= 12
    table = clean_up(study, problem, objective).table
    assert table["n"].map(lambda v: float(v).is_integer()).all()


def test_a_binding_constraint_is_respected_and_changes_the_choice() -> None:
    free = Problem(levers=LEVERS, kpi="netback_rate", reps=4)
    bound = Problem(levers=LEVERS, kpi="netback_rate", reps=4,
                    constraints=[parse_constraint("complaints_per_1000<=4")])
    objective = Objective()
    studies = [open_study(p, storage=None, seed=5) for p in (free, bound)]
    for study, problem in zip(studies, (free, bound), strict=True):
        search(study, problem, objective, budget=50)
    unconstrained = clean_up(studies[0], free, objective)
    constrained = clean_up(studies[1], bound, objective)
    assert constrained.feasible
    chosen = constrained.table.set_index("trial").loc[constrained.trial]
    assert chosen["complaints_per_1000_mean"] <= 4
    assert chosen["feasible"]
    assert unconstrained.levers["x"] > 0.2  # the free optimum breaks the constraint
    assert constrained.levers["x"] <= 0.21
    assert constrained.levers != unconstrained.levers


def test_no_feasible_trial_is_reported_as_such() -> None:
    problem = Problem(levers=LEVERS, kpi="netback_rate", reps=3,
                      constraints=[parse_constraint("complaints_per_1000<=-5")])
    study = open_study(problem, storage=None, seed=2)
    objective = Objective()
    search(study, problem, objective, budget=6)
    assert not clean_up(study, problem, objective).feasible


@pytest.mark.slow  # creating an Optuna SQLite storage takes 2-3 s
def test_a_resumed_study_continues_without_repeating_trials(tmp_path: Path) -> None:
    problem = Problem(levers=LEVERS, kpi="netback_rate", reps=2)
    storage = f"sqlite:///{tmp_path / 'study.sqlite'}"
    first = Objective()
    search(open_study(problem, storage=storage, seed=4), problem, first, budget=5)
    before = [t.params for t in completed(open_study(problem, storage=storage, resume=True))]
    again = Objective()
    study = open_study(problem, storage=storage, seed=4, resume=True)
    assert search(study, problem, again, budget=8) == 3
    assert len(again.calls) == 3 * 2
    after = completed(study)
    assert [t.number for t in after] == list(range(8))
    assert [t.params for t in after[:5]] == before
    other = Problem(levers=LEVERS, kpi="netback_rate", reps=3)
    with pytest.raises(ScenarioError, match="another reps;"):
        open_study(other, storage=storage, resume=True)
    elsewhere = Problem(levers=LEVERS, kpi="netback_rate", reps=2, context={"seed": 9})
    with pytest.raises(ScenarioError, match="another seed;"):
        open_study(elsewhere, storage=storage, resume=True)


@pytest.mark.parametrize(("text", "fragment"), [
    ("x=1:0", "LOW must be less than HIGH"), ("x=0.5:0.5", "LOW must be less than HIGH"),
    ("x=0:1.5:int", "whole-number"), ("x", "expected PATH=LOW:HIGH"),
    ("x=a:b", "expected PATH=LOW:HIGH")])
def test_malformed_levers_are_refused(text: str, fragment: str) -> None:
    with pytest.raises(ScenarioError, match=fragment):
        parse_lever(text)


@pytest.mark.parametrize(("text", "fragment"), [
    ("complaints_per_1000<10", "expected KPI<=BOUND"), ("no_such_kpi<=3", "unknown KPI"),
    ("complaints_per_1000<=ten", "expected KPI<=BOUND")])
def test_malformed_constraints_are_refused(text: str, fragment: str) -> None:
    with pytest.raises(ScenarioError, match=fragment):
        parse_constraint(text)


def test_the_figure_of_the_search_is_a_png_of_the_house_width(tmp_path: Path) -> None:
    problem = Problem(levers=LEVERS, kpi="netback_rate", reps=3,
                      constraints=[parse_constraint("complaints_per_1000<=6")])
    study = open_study(problem, storage=None, seed=6)
    objective = Objective()
    search(study, problem, objective, budget=10)
    best = clean_up(study, problem, objective, keep=3)
    assert not best.table["feasible"].all()  # both kinds of trial are drawn
    target = tmp_path / "optimisation.png"
    optimisation_search(best.table, "netback_rate", target, reps=3,
                        constraints=["complaints_per_1000<=6"])
    assert png_size(target.read_bytes())[0] == WIDTH_PX
