"""Calibration of scenario parameters to observed figures by approximate Bayesian computation.

The method is ABC by sequential Monte Carlo (Toni et al., 2009, *J. R. Soc. Interface* 6:187;
Del Moral, Doucet & Jasra, 2012, *Stat. Comput.* 22:1009) as implemented by pyabc (Schälte et
al., 2022, *J. Open Source Softw.* 7:4304): candidates are drawn from uniform priors over
``[low, high]``, simulated, and kept when their distance to the targets is within a tolerance
that shrinks from generation to generation (the median distance of the previous one); later
generations perturb the kept candidates with a multivariate normal kernel and reweigh them.

The distance is the Euclidean norm of the standardised differences
``sqrt(sum_i ((simulated_i - observed_i) / sd_i)^2)``, with ``sd_i`` each target's sampling
error at the observed portfolio size (:func:`sim.experiment.targets.sampling_sd`), so a figure
the bank measures precisely pulls harder than a noisy one.

Each candidate is simulated on a replication of its own (drawn from
:data:`CANDIDATE_REPLICATIONS` by the sampler's generator), as ABC's rejection step assumes:
the accepted candidates then carry the simulation's noise, not one draw of it. With
``common_random_numbers`` every candidate of generation ``g`` is replication ``g`` instead, so
within a generation candidates differ only by their parameters: distances are smoother, but
the last generation's posterior is conditional on one draw of the noise, and its intervals
under-cover: at known truths on a small baseline (as in
``tests/validation/test_calibration_coverage.py``) nominal 90% intervals held 6 of 10
identified truths, and 78% on a toy with known noise (98% with a replication per candidate).

The run keeps to the budget: no generation starts when the simulations spent so far plus
those of the generation before would exceed it (:mod:`sim.experiment.abc_parts`; acceptance
usually falls as the tolerance shrinks, so the last generation can still carry the total past
the budget by part of its size). It
also stops when the tolerance falls below a minimum, or when a generation would need more
simulations than the whole budget to fill its population (an acceptance rate under
population / budget); the last completed generation is the posterior. The prior sample and the
first generation always run, whatever the budget.

Candidates are simulated by one of pyabc's samplers: in this process (``serial``, the default,
reproducible from the seed), in forked worker processes (``process``) or on a dask cluster
(``dask``); the last two draw their candidates from seeds of their own, so they agree with the
serial sampler in distribution, not draw for draw.

A parameter is *identified* when its posterior 90% interval is under half its prior range
(:data:`IDENTIFIABLE_SHARE`). Two parameters form a *ridge* — the targets pin down a
combination of them, not each one — when their posterior correlation exceeds
:data:`RIDGE_CORRELATION` in absolute value while neither is identified on its own (the promise
rate and the keep rate, whose product is what a liquidation figure measures, are the usual
pair).
"""

from __future__ import annotations

import functools
import logging
import math
import multiprocessing
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config.loading import ScenarioError, load_scenario
from sim.config.schema import Scenario
from sim.experiment.abc_parts import (
    Simulator,
    budgeted_smc_class,
    make_sampler,
    model_class,
    parameter_key,
)
from sim.experiment.fields import (
    SCALE_PREFIX,
    field_value,
    is_factor,
    overrides_for,
    parameter_fields,
)
from sim.experiment.targets import CURVE_PREFIX, Targets
from sim.model.replication import run_replication
from sim.model.results import TOTAL, Results

IDENTIFIABLE_SHARE = 0.5  # a 90% interval under half the prior range
RIDGE_CORRELATION = 0.7  # |r| above this, neither identified: only a combination is
QUANTILES = (0.05, 0.5, 0.95)
PROGRESS_SECONDS = 0.25  # how often the simulations done are passed on


@dataclass(frozen=True)
class Prior:
    """A uniform prior on one scenario field by dotted path, or on a common factor
    (``scale:PATTERN``, :mod:`sim.experiment.fields`)."""

    path: str
    low: float
    high: float

    @property
    def width(self) -> float:
        return self.high - self.low


GENERATION_COLUMNS = ("generation", "epsilon", "simulations", "accepted", "acceptance_rate",
                      "effective_sample_size")


@dataclass
class Calibration:
    """The posterior sample (weighted draws) and how it was reached.

    ``generations`` has a row per completed generation: its tolerance (``epsilon``), the
    simulations it took, the candidates it kept, their ratio (``acceptance_rate``) and the
    effective sample size of its weights (Kish). ``simulations`` counts every simulation,
    including the prior sample that sets the first tolerance and a last generation cut short
    by the budget.
    """

    priors: list[Prior]
    draws: pd.DataFrame  # one column per path, plus "weight" (summing to 1)
    simulations: int
    generations: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(GENERATION_COLUMNS)))

    @property
    def epsilons(self) -> list[float]:
        """The tolerance of each completed generation, first to last."""
        return [float(e) for e in self.generations["epsilon"]]

    def weighted_quantiles(self, path: str) -> list[float]:
        return weighted_quantiles(self.draws[path].to_numpy(), self.draws["weight"].to_numpy(),
                                  QUANTILES)

    def posterior(self) -> dict[str, dict[str, float]]:
        """Median, 5% and 95% quantiles and standard deviation of each parameter."""
        weights = self.draws["weight"].to_numpy()
        out: dict[str, dict[str, float]] = {}
        for prior in self.priors:
            values = self.draws[prior.path].to_numpy()
            q05, median, q95 = weighted_quantiles(values, weights, QUANTILES)
            mean = float(np.average(values, weights=weights))
            sd = math.sqrt(float(np.average((values - mean) ** 2, weights=weights)))
            out[prior.path] = {"median": median, "q05": q05, "q95": q95, "sd": sd}
        return out

    def identifiable(self) -> dict[str, bool]:
        """Whether each parameter's 90% posterior interval is under half its prior range."""
        post = self.posterior()
        return {p.path: post[p.path]["q95"] - post[p.path]["q05"] < IDENTIFIABLE_SHARE * p.width
                for p in self.priors}

    def ridges(self) -> list[tuple[str, str, float]]:
        """Pairs ``(a, b, r)`` of which only a combination is identified: ``|r|`` above
        :data:`RIDGE_CORRELATION` and neither parameter identified on its own."""
        identifiable = self.identifiable()
        out = []
        for pair, r in self.correlations().items():
            a, b = pair.split(" ~ ")
            if abs(r) > RIDGE_CORRELATION and not identifiable[a] and not identifiable[b]:
                out.append((a, b, r))
        return out

    def correlations(self) -> dict[str, float]:
        """Weighted posterior correlation of every pair, keyed ``"a ~ b"``."""
        paths = [p.path for p in self.priors]
        weights = self.draws["weight"].to_numpy()
        out: dict[str, float] = {}
        for i, a in enumerate(paths):
            for b in paths[i + 1:]:
                out[f"{a} ~ {b}"] = weighted_correlation(self.draws[a].to_numpy(),
                                                         self.draws[b].to_numpy(), weights)
        return out

    def ess(self) -> float:
        """Effective sample size of the final weighted population (Kish)."""
        weights = self.draws["weight"].to_numpy()
        return float(weights.sum() ** 2 / (weights**2).sum())

    def as_json(self) -> dict[str, Any]:
        """The summary ``calibrate --format json`` prints (``ridges`` lists the pairs of which
        only a combination is identified)."""
        return {"posterior": self.posterior(), "simulations": self.simulations,
                "identifiable": self.identifiable(), "correlations": self.correlations(),
                "ridges": [{"pair": [a, b], "correlation": r} for a, b, r in self.ridges()]}


def weighted_quantiles(values: np.ndarray, weights: np.ndarray,
                       levels: Sequence[float]) -> list[float]:
    """Quantiles of a weighted sample (inverse of the midpoint-interpolated weighted CDF)."""
    order = np.argsort(values)
    sorted_values, sorted_weights = values[order], weights[order]
    cdf = (np.cumsum(sorted_weights) - 0.5 * sorted_weights) / sorted_weights.sum()
    return [float(np.interp(level, cdf, sorted_values)) for level in levels]


def weighted_correlation(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> float:
    """Pearson correlation of ``x`` and ``y`` under ``weights`` (NaN when one is constant)."""
    cov = np.cov(np.vstack([x, y]), aweights=weights)
    denominator = math.sqrt(cov[0, 0] * cov[1, 1])
    return float(cov[0, 1] / denominator) if denominator > 0 else math.nan


def default_population(budget: int) -> int:
    """Candidates kept per generation: an eighth of the budget, between 10 and 200."""
    return max(10, min(200, budget // 8))


def calibrate(simulate: Simulator, priors: Sequence[Prior], targets: Targets, *, budget: int,
              database: Path, population: int | None = None, workers: int = 1,
              min_epsilon: float = 0.0, seed: int = 0, sampler: str | None = None,
              dask_client: Any = None, max_generations: int | None = None,
              common_random_numbers: bool = False,
              progress: Callable[[int], None] | None = None) -> Calibration:
    """Run ABC-SMC of ``simulate`` against ``targets`` and return the final weighted sample.

    ``database`` is the SQLite file pyabc records every generation in. ``sampler`` is one of
    :data:`SAMPLERS` (default: ``serial`` with one worker, ``process`` with more); ``dask``
    needs ``dask_client``, a ``distributed.Client`` whose workers run the simulations (at most
    ``workers`` at a time). The serial sampler draws candidates from a generator seeded with
    ``seed`` (pyabc draws from numpy's global generator, so it is seeded here and restored
    afterwards); the others draw their own seeds. ``max_generations`` stops after that many
    generations whatever the budget left. ``common_random_numbers`` numbers candidates'
    replications by generation instead of giving each its own (see the module docstring).
    ``progress`` is called with the number of simulations done so far, every
    :data:`PROGRESS_SECONDS` while the calibration runs and once at the end (on dask, counted
    generation by generation).
    """
    import pyabc  # optional dependency (the `calibrate` extra)

    logging.getLogger("ABC").setLevel(logging.WARNING)
    logging.getLogger("pyabc").setLevel(logging.WARNING)
    names = targets.names
    prior = pyabc.Distribution(**{parameter_key(i): pyabc.RV("uniform", p.low, p.width)
                                  for i, p in enumerate(priors)})
    distance = pyabc.PNormDistance(p=2, fixed_weights={n: 1.0 / targets.sd[n] for n in names})
    chosen = sampler or ("serial" if workers <= 1 else "process")
    abc_sampler = make_sampler(chosen, workers, dask_client)
    size = population or default_population(budget)
    # Simulations done so far, counted across forked workers (a dask worker cannot share it)
    counter = multiprocessing.Value("q", 0) if chosen != "dask" else None
    model = model_class()(simulate, [p.path for p in priors], names, common_random_numbers,
                           counter)
    smc = budgeted_smc_class()(model, prior, distance, population_size=size,
                               sampler=abc_sampler)
    smc.spent = lambda: int(abc_sampler.simulations)
    state = np.random.get_state()  # noqa: NPY002 (pyabc draws from the global generator)
    np.random.seed(seed % 2**32)  # noqa: NPY002

    def count() -> int:
        return int(counter.value) if counter is not None else int(abc_sampler.simulations)

    done = threading.Event()
    watcher = threading.Thread(target=_report, args=(count, done, progress), daemon=True,
                               name="calibrate-progress") if progress is not None else None
    try:
        if watcher is not None:
            watcher.start()
        smc.new(f"sqlite:///{Path(database).resolve()}", dict(targets.observed))
        history = smc.run(minimum_epsilon=min_epsilon, max_total_nr_simulations=budget,
                          min_acceptance_rate=min(1.0, size / budget),
                          max_nr_populations=max_generations or math.inf)
    finally:
        done.set()
        if watcher is not None:
            watcher.join()
        np.random.set_state(state)  # noqa: NPY002
    if history.max_t < 0:
        raise RuntimeError(f"no generation was completed within the budget of {budget} "
                           "simulations: raise --budget or widen the tolerance")
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    draws = pd.DataFrame({p.path: frame[parameter_key(i)].to_numpy(dtype=float)
                          for i, p in enumerate(priors)})
    draws["weight"] = np.asarray(weights, dtype=float) / float(np.sum(weights))
    return Calibration(list(priors), draws, int(abc_sampler.simulations),
                       generation_table(history))


def generation_table(history: Any) -> pd.DataFrame:
    """One row per completed generation of a pyabc ``History`` (see :class:`Calibration`)."""
    populations = history.get_all_populations().set_index("t")
    rows = []
    for t in range(history.max_t + 1):
        _, weights = history.get_distribution(m=0, t=t)
        weights = np.asarray(weights, dtype=float)
        samples = int(populations.loc[t, "samples"])
        rows.append({"generation": t, "epsilon": float(populations.loc[t, "epsilon"]),
                     "simulations": samples, "accepted": len(weights),
                     "acceptance_rate": len(weights) / samples if samples else math.nan,
                     "effective_sample_size": float(weights.sum() ** 2
                                                    / (weights**2).sum())})
    return pd.DataFrame(rows, columns=list(GENERATION_COLUMNS))


def check_priors(path: Path, overrides: Sequence[str], priors: Sequence[Prior], *,
                 scale_collectors: bool = False) -> None:
    """Raise a one-line :class:`ScenarioError` unless every prior names a numeric field of the
    scenario (a factor: at least one) and both ends of its range make a valid scenario."""
    scenario = load_scenario(path, overrides, scale_collectors=scale_collectors)
    claimed: set[str] = set()
    for prior in priors:
        option = "--scale" if is_factor(prior.path) else "--param"
        name = prior.path.removeprefix(SCALE_PREFIX)
        fields = parameter_fields(scenario, prior.path)
        if not fields:
            raise ScenarioError(option, name, "matches no numeric field of the scenario"
                                if is_factor(prior.path) else
                                "not a numeric field of the scenario",
                                field_value(scenario, name))
        if claimed & set(fields):
            raise ScenarioError(option, name, "sets a field another parameter sets",
                                sorted(claimed & set(fields))[0])
        claimed |= set(fields)
        for end in (prior.low, prior.high):
            load_scenario(path, [*overrides, *overrides_for(scenario, {prior.path: end})],
                          scale_collectors=scale_collectors)


def statistics(results: Results, names: Sequence[str]) -> dict[str, float]:
    """The program-total KPIs and liquidation-curve points ``names`` of one replication.

    A curve point at day ``d`` is ``recovery_to_date`` of the total at the end of the
    placement's ``d``-th day (the daily series counts days from 0)."""
    out: dict[str, float] = {}
    total = results.daily[results.daily["agency"] == TOTAL].set_index("day")
    for name in names:
        if name.startswith(CURVE_PREFIX):
            out[name] = float(total.loc[int(name.removeprefix(CURVE_PREFIX)) - 1,
                                        "recovery_to_date"])
        else:
            out[name] = results.kpi(name)
    return out


@dataclass(frozen=True)
class ScenarioSimulator:
    """Simulate a scenario file with candidate values at dotted paths (or factors on the
    fields a pattern matches), as ``--set`` would."""

    path: Path
    overrides: tuple[str, ...]
    names: tuple[str, ...]
    seed: int
    scale_collectors: bool = False

    @functools.cached_property
    def base(self) -> Scenario:
        """The scenario with the overrides alone (read once: it tells integer fields)."""
        return load_scenario(self.path, self.overrides, scale_collectors=self.scale_collectors)

    def __call__(self, params: Mapping[str, float], replication: int) -> dict[str, float]:
        scenario = load_scenario(self.path, [*self.overrides,
                                             *overrides_for(self.base, params)],
                                 scale_collectors=self.scale_collectors)
        return statistics(run_replication(scenario, replication, self.seed), self.names)


def _report(count: Callable[[], int], done: threading.Event,
            progress: Callable[[int], None] | None) -> None:
    """Pass the simulations counted so far to ``progress`` every :data:`PROGRESS_SECONDS`
    until ``done``, and once more at the end."""
    assert progress is not None
    while not done.wait(PROGRESS_SECONDS):
        progress(count())
    progress(count())
