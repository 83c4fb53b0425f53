"""Optimising levers of a scenario on a KPI: a heuristic search, then a selection clean-up.

A *lever* is a dotted scenario path with bounds (``agencies.alpha.tone=0.2:0.9``, or
``…=5:40:int`` for an integer); it is applied to the scenario exactly as ``--set`` applies a
value (:func:`sim.config.loading.apply_override`, through :class:`~sim.experiment.tasks.
PointTask`'s assignments). The method follows Boesel, Nelson & Kim (2003, "Using ranking and
selection to 'clean up' after simulation optimization", Operations Research 51(5):814–825):

1. **Search.** An Optuna study (Akiba et al. 2019, KDD) proposes lever settings — TPE
   (Bergstra et al. 2011, NeurIPS) by default, CMA-ES (Hansen 2016, arXiv:1604.00772) on
   request. Every trial runs the same replications ``0 … R−1`` of the scenario's seed, so the
   trials see common random numbers and their differences are paired. A trial's value is the
   KPI's mean over those replications (program total).
2. **Constraints.** ``KPI<=B`` or ``KPI>=B`` on the means of other KPIs (or the same one);
   each trial records ``mean − B`` (or ``B − mean``) as an Optuna constraint value
   (``Trial.set_constraint``, which replaced the sampler's ``constraints_func`` in Optuna 5; a
   trial is feasible when every value is at most 0). TPE steers away from infeasible regions
   (Ozaki et al. 2022, JAIR 75:1–30); CMA-ES does not take constraints, so with it they act
   only on the choice below.
3. **Clean-up.** The best ``k`` feasible trials with distinct lever settings enter
   Kim–Nelson's fully sequential selection (:func:`sim.experiment.select.kim_nelson`), whose
   first stage is the search's own ``R`` replications; it adds replications ``R, R+1, …`` until
   one setting is left or a cap is reached (then without the guarantee). Without a given
   indifference zone δ it uses the 95% half-width of the paired difference between the two
   best trials' means: settings the search itself could not tell apart. Feasibility is judged
   on the search's ``R`` replications.

The model is reached through an *evaluator*: ``evaluate([(levers, replication), …])`` returns a
``{KPI: value}`` per request. :class:`ScenarioEvaluator` runs scenarios on a backend; tests use
a pure-Python function with a known optimum.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna
import pandas as pd

from sim.config.loading import ScenarioError
from sim.config.schema import Scenario
from sim.experiment.backends import Backend
from sim.experiment.intervals import t_half_width
from sim.experiment.select import DEFAULT_MAX_REPS, kim_nelson
from sim.experiment.selection import direction_of
from sim.experiment.tasks import PointTask, point_scenario, run_point
from sim.model.kpis import BY_NAME
from sim.model.results import TOTAL

Levers = dict[str, float]
Evaluate = Callable[[Sequence[tuple[Mapping[str, float], int]]], list[dict[str, float]]]

SAMPLERS = ("tpe", "cmaes")
DEFAULT_KEEP = 5
DEFAULT_PCS = 0.95
STUDY_NAME = "collectsim-optimise"
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_LEVER = re.compile(rf"^(?P<path>[^=\s]+)=(?P<low>{_NUMBER}):(?P<high>{_NUMBER})(?P<int>:int)?$")
_CONSTRAINT = re.compile(rf"^\s*(?P<kpi>[a-z0-9_]+)\s*(?P<op><=|>=)\s*(?P<bound>{_NUMBER})\s*$")


@dataclass(frozen=True)
class Lever:
    """A scenario value searched between ``low`` and ``high`` (an integer if ``integer``)."""

    path: str
    low: float
    high: float
    integer: bool = False

    def suggest(self, trial: optuna.Trial) -> float:
        """The trial's value of this lever."""
        if self.integer:
            return trial.suggest_int(self.path, int(self.low), int(self.high))
        return trial.suggest_float(self.path, self.low, self.high)

    def text(self) -> str:
        """The lever as given on the command line."""
        def number(x: float) -> str:
            return str(int(x)) if self.integer else repr(x)
        return f"{self.path}={number(self.low)}:{number(self.high)}" + (
            ":int" if self.integer else "")


@dataclass(frozen=True)
class Constraint:
    """``kpi <= bound`` or ``kpi >= bound`` on a trial's KPI mean."""

    kpi: str
    op: str
    bound: float

    def violation(self, means: Mapping[str, float]) -> float:
        """How far the mean is on the wrong side of the bound (at most 0: satisfied)."""
        value = float(means[self.kpi])
        if not math.isfinite(value):
            return math.inf
        return value - self.bound if self.op == "<=" else self.bound - value

    def text(self) -> str:
        """The constraint as written."""
        return f"{self.kpi}{self.op}{self.bound:g}"


def parse_lever(text: str) -> Lever:
    """``PATH=LOW:HIGH`` or ``PATH=LOW:HIGH:int``; the one-line input error otherwise."""
    found = _LEVER.match(text.strip())
    if found is None:
        raise ScenarioError("--lever", None, "expected PATH=LOW:HIGH or PATH=LOW:HIGH:int, "
                            "e.g. agencies.alpha.tone=0.2:0.9", text)
    low, high = float(found["low"]), float(found["high"])
    integer = found["int"] is not None
    if integer and not (low.is_integer() and high.is_integer()):
        raise ScenarioError("--lever", found["path"], "an :int lever needs whole-number bounds",
                            text)
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise ScenarioError("--lever", found["path"], "LOW must be less than HIGH", text)
    return Lever(found["path"], low, high, integer)


def parse_constraint(text: str) -> Constraint:
    """``KPI<=BOUND`` or ``KPI>=BOUND`` with a KPI of the registry."""
    found = _CONSTRAINT.match(text)
    if found is None:
        raise ScenarioError("--constraint", None, "expected KPI<=BOUND or KPI>=BOUND, e.g. "
                            "complaints_per_1000<=10", text)
    if found["kpi"] not in BY_NAME:
        raise ScenarioError("--constraint", None, "unknown KPI (`collectsim kpis` lists them)",
                            found["kpi"])
    bound = float(found["bound"])
    if not math.isfinite(bound):
        raise ScenarioError("--constraint", found["kpi"], "the bound must be finite", text)
    return Constraint(found["kpi"], found["op"], bound)


def check_levers(levers: Sequence[Lever]) -> None:
    """Refuse no lever, or the same path twice."""
    if not levers:
        raise ScenarioError("--lever", None, "give at least one lever", None)
    seen: set[str] = set()
    for lever in levers:
        if lever.path in seen:
            raise ScenarioError("--lever", lever.path, "the same path is given twice",
                                lever.text())
        seen.add(lever.path)


def check_lever_paths(base: Scenario, levers: Sequence[Lever]) -> None:
    """Refuse a lever whose path is not a scenario value or whose bounds (or a value between
    them, for a lever that is not ``:int``) the scenario does not accept: the one-line input
    error, before anything runs."""
    for lever in levers:
        inside = lever.low + 0.37 * (lever.high - lever.low)
        values = (lever.low, lever.high) if lever.integer else (lever.low, lever.high, inside)
        for value in values:
            number = int(value) if lever.integer else value
            point_scenario(base, ((lever.path, number),), "--lever")


@dataclass
class Problem:
    """What to optimise: levers, the KPI and its direction, constraints, replications."""

    levers: list[Lever]
    kpi: str
    constraints: list[Constraint] = field(default_factory=list)
    reps: int = 5
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def maximise(self) -> bool:
        """Whether higher is better for the KPI (from the registry)."""
        return direction_of(self.kpi)

    @property
    def kpis(self) -> list[str]:
        """Every KPI a trial records: the objective, then each constrained KPI once."""
        return list(dict.fromkeys([self.kpi, *(c.kpi for c in self.constraints)]))

    def setup(self) -> dict[str, Any]:
        """What a resumed study must share with this one (``context``: what else decides the
        trials' outputs, such as the scenario's hash and the seed)."""
        return {"levers": [lever.text() for lever in self.levers], "kpi": self.kpi,
                "constraints": [c.text() for c in self.constraints], "reps": self.reps,
                **self.context}


def _constraints_of(trial: optuna.trial.FrozenTrial) -> list[float]:
    return list(trial.constraints.values())


def open_study(problem: Problem, *, storage: str | None, sampler: str = "tpe", seed: int = 0,
               resume: bool = False) -> optuna.Study:
    """A new study (or, with ``resume``, the one stored in ``storage``)."""
    if sampler not in SAMPLERS:
        raise ScenarioError("--sampler", None, f"must be one of {', '.join(SAMPLERS)}", sampler)
    chosen: optuna.samplers.BaseSampler
    if sampler == "tpe":
        chosen = optuna.samplers.TPESampler(seed=seed)
    else:
        chosen = optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    direction = optuna.study.StudyDirection.MAXIMIZE if problem.maximise \
        else optuna.study.StudyDirection.MINIMIZE
    if resume:
        assert storage is not None
        study = optuna.load_study(study_name=STUDY_NAME, storage=storage, sampler=chosen)
        stored = study.user_attrs.get("setup")
        if stored != problem.setup():
            differ = sorted(k for k in {*problem.setup(), *(stored or {})}
                            if (stored or {}).get(k) != problem.setup().get(k))
            raise ScenarioError("--resume", None, "the stored study was run with another "
                                f"{', '.join(differ)}; give the same to continue it",
                                None)
        return study
    study = optuna.create_study(study_name=STUDY_NAME, storage=storage, sampler=chosen,
                                direction=direction)
    study.set_user_attr("setup", problem.setup())
    return study


def completed(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """The study's finished trials, in order."""
    return study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))


def search(study: optuna.Study, problem: Problem, evaluate: Evaluate, budget: int,
           progress: Callable[[int, int], None] | None = None) -> int:
    """Run trials until the study holds ``budget`` finished ones; return how many ran now."""
    reps = list(range(problem.reps))
    ran = 0
    while len(completed(study)) < budget:
        trial = study.ask()
        levers = {lever.path: lever.suggest(trial) for lever in problem.levers}
        outputs = evaluate([(levers, r) for r in reps])
        values = {kpi: [float(o[kpi]) for o in outputs] for kpi in problem.kpis}
        means = {kpi: float(np.mean(v)) for kpi, v in values.items()}
        if not math.isfinite(means[problem.kpi]):
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            raise RuntimeError(f"{problem.kpi} has no value with {levers}")
        trial.set_user_attr("values", values)
        for constraint in problem.constraints:
            trial.set_constraint(constraint.text(), constraint.violation(means))
        with warnings.catch_warnings():  # CMA-ES says it ignores constraints; so do the docs
            warnings.filterwarnings("ignore", message="Constraints have been set")
            study.tell(trial, means[problem.kpi])
        ran += 1
        if progress is not None:
            progress(len(completed(study)), budget)
    return ran


def trials_table(study: optuna.Study, problem: Problem) -> pd.DataFrame:
    """One row per finished trial: number, levers, each KPI's mean and 95% half-width,
    feasible."""
    rows = []
    for trial in completed(study):
        row: dict[str, Any] = {"trial": trial.number}
        row.update({lever.path: trial.params[lever.path] for lever in problem.levers})
        for kpi, values in trial.user_attrs["values"].items():
            row[f"{kpi}_mean"] = float(np.mean(values))
            row[f"{kpi}_ci95"] = t_half_width(np.asarray(values))
        row["feasible"] = all(v <= 0 for v in _constraints_of(trial))
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass
class Optimum:
    """The outcome: the chosen trial, its levers, KPI mean and 95% interval, the clean-up."""

    trial: int
    levers: dict[str, float]
    kpi: float
    ci95: tuple[float, float]
    feasible: bool
    trials: int
    candidates: list[int]
    replications: list[int]
    capped: bool
    delta: float
    pcs: float
    table: pd.DataFrame

    def as_json(self) -> dict[str, Any]:
        """``{"best": {"levers", "kpi", "ci95"}, "trials", "feasible"}``."""
        return {"best": {"levers": self.levers, "kpi": self.kpi, "ci95": list(self.ci95)},
                "trials": self.trials, "feasible": self.feasible}


def _distinct_best(trials: Sequence[optuna.trial.FrozenTrial], maximise: bool,
                   keep: int) -> list[optuna.trial.FrozenTrial]:
    sign = -1.0 if maximise else 1.0
    ranked = sorted(trials, key=lambda t: (sign * float(t.value or 0.0), t.number))
    chosen: list[optuna.trial.FrozenTrial] = []
    seen: set[tuple[tuple[str, Any], ...]] = set()
    for trial in ranked:
        key = tuple(sorted(trial.params.items()))
        if key not in seen:
            seen.add(key)
            chosen.append(trial)
        if len(chosen) == keep:
            break
    return chosen


def default_delta(first: Sequence[float], second: Sequence[float]) -> float:
    """The 95% Student-t half-width of the paired difference of two trials' replications —
    the resolution of the search — at least a millionth of their mean's size, so identical
    outputs still give a positive zone."""
    diff = np.asarray(first, dtype=float) - np.asarray(second, dtype=float)
    half = t_half_width(diff) if len(diff) > 1 else 0.0
    scale = abs(float(np.mean(first))) or 1.0
    return max(half if math.isfinite(half) else 0.0, 1e-6 * scale)


def clean_up(study: optuna.Study, problem: Problem, evaluate: Evaluate, *,
             keep: int = DEFAULT_KEEP, delta: float | None = None, pcs: float = DEFAULT_PCS,
             max_reps: int = DEFAULT_MAX_REPS) -> Optimum:
    """Choose among the best ``keep`` feasible trials with Kim–Nelson (see the module
    docstring). With no feasible trial, the trial closest to feasible (least total violation)
    is reported with ``feasible`` false and no clean-up. ``pcs`` must lie between 1/2 and 1
    (the clean-up may have as few as two candidates)."""
    trials = completed(study)
    if not trials:
        raise ValueError("the study has no finished trial")
    table = trials_table(study, problem)
    feasible = [t for t in trials if all(v <= 0 for v in _constraints_of(t))]
    maximise = problem.maximise
    if not feasible:
        closest = min(trials, key=lambda t: (sum(max(0.0, v) for v in _constraints_of(t)),
                                            t.number))
        candidates = [closest]
    else:
        candidates = _distinct_best(feasible, maximise, keep)
    stored = [list(t.user_attrs["values"][problem.kpi]) for t in candidates]
    zone = math.nan
    chosen = 0
    if len(candidates) >= 2:
        zone = delta if delta is not None else default_delta(stored[0], stored[1])

        def sample(requests: Sequence[tuple[int, int]]) -> list[float]:
            missing = [(i, r) for i, r in requests if r >= len(stored[i])]
            got = evaluate([(candidates[i].params, r) for i, r in missing])
            for (i, r), output in sorted(zip(missing, got, strict=True), key=lambda x: x[0][1]):
                if r == len(stored[i]):
                    stored[i].append(float(output[problem.kpi]))
            return [stored[i][r] for i, r in requests]

        try:
            outcome = kim_nelson(sample, len(candidates), zone, pcs, maximise=maximise,
                                 n0=problem.reps, max_reps=max(max_reps, problem.reps))
        except ValueError as exc:  # a KPI with no value in some replication
            raise RuntimeError(f"{problem.kpi}: {exc}") from None
        chosen = outcome.best
        used = outcome.outputs[chosen]
        replications = outcome.replications
        capped = outcome.capped
    else:
        capped = False
        used = np.asarray(stored[0])
        replications = [len(used)]
    mean = float(np.mean(used))
    half = t_half_width(np.asarray(used))
    best = candidates[chosen]
    table["candidate"] = table["trial"].isin([t.number for t in candidates])
    table["chosen"] = table["trial"] == best.number
    return Optimum(trial=best.number, levers=dict(best.params), kpi=mean,
                   ci95=(mean - half, mean + half), feasible=bool(feasible),
                   trials=len(trials), candidates=[t.number for t in candidates],
                   replications=replications, capped=capped, delta=zone, pcs=pcs, table=table)


class ScenarioEvaluator:
    """Runs ``(levers, replication)`` requests of one scenario on a backend: replication *r*
    of ``seed`` for every setting (common random numbers); levers are applied as ``--set``
    assignments. Keeps a row per run (``stage``: ``search`` or ``clean-up``, the levers, the
    replication, every KPI of the total)."""

    def __init__(self, scenario: Scenario, kpis: Sequence[str], seed: int, engine: Backend,
                 progress: Callable[[int], None] | None = None) -> None:
        self.scenario = scenario
        self.kpis = list(kpis)
        self.seed = seed
        self.engine = engine
        self.progress = progress
        self.rows: list[dict[str, Any]] = []
        self.stage = "search"

    def __call__(self, requests: Sequence[tuple[Mapping[str, float], int]]
                 ) -> list[dict[str, float]]:
        tasks = [PointTask(point=index, replication=r, seed=self.seed, base=self.scenario,
                           assignments=tuple(levers.items()), label=self.scenario.scenario.name,
                           keep_daily=False)
                 for index, (levers, r) in enumerate(requests)]
        results: list[dict[str, float]] = [{} for _ in tasks]
        for index, outcome in self.engine.map(run_point, tasks):
            task = tasks[index]
            if isinstance(outcome, BaseException):
                raise outcome
            if not outcome.ok:
                raise RuntimeError(f"replication {task.replication} with "
                                   f"{dict(task.assignments)} failed: {outcome.error}")
            total = outcome.kpis[TOTAL]
            results[index] = {kpi: float(total[kpi]) for kpi in self.kpis}
            self.rows.append({"stage": self.stage, **dict(task.assignments),
                              "replication": task.replication,
                              "seed": self.seed, **total})
            if self.progress is not None:
                self.progress(len(self.rows))
        return results
