"""One ``collectsim calibrate`` run: the fit, its posterior predictive and its holdout check.

:func:`run_calibration` calibrates (:func:`sim.experiment.calibrate.calibrate`) on the chosen
backend — pyabc's own sampler in this process, in forked processes, or on the backend's dask
cluster — then simulates :attr:`Settings.predictive` posterior draws on fresh seeds
(:mod:`sim.experiment.predictive`) and, when the targets include two or more liquidation-curve
points and :attr:`Settings.holdout_budget` is positive, fits again without the last point and
predicts it. pyabc's records go to ``abc.db`` and ``holdout.db`` in the folder it is given.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiment.backends import Backend, DaskBackend
from sim.experiment.calibrate import Calibration, Prior, Simulator, calibrate
from sim.experiment.predictive import (
    PREDICTIVE_REPLICATION,
    Holdout,
    bands,
    holdout_band,
    holdout_split,
    resample,
    simulate_draws,
)
from sim.experiment.targets import Targets

DATABASE = "abc.db"
HOLDOUT_DATABASE = "holdout.db"


@dataclass(frozen=True)
class Settings:
    """How to calibrate: budget, population, stopping tolerance, seed, sampler, checks."""

    budget: int
    population: int
    min_epsilon: float = 0.0
    seed: int = 0
    sampler: str = "serial"  # serial | process | dask
    workers: int = 1
    predictive: int = 30  # posterior draws simulated again on fresh seeds (0: none)
    holdout_budget: int = 0  # simulations of the holdout fit (0: no holdout check)
    common_random_numbers: bool = False  # candidates of a generation share its replication


@dataclass
class Outcome:
    """Everything a calibration run found (what the table, JSON and folder show)."""

    result: Calibration
    predictive: pd.DataFrame  # one row per posterior draw simulated again
    bands: dict[str, dict[str, Any]]
    holdout: Holdout | None
    seconds: dict[str, float]
    notes: list[str] = field(default_factory=list)  # checks that could not be made, and why

    def as_json(self) -> dict[str, Any]:
        """The summary: the posterior (:meth:`Calibration.as_json`), each target against its
        posterior predictive band, and the holdout check (``null`` when none ran)."""
        return {**self.result.as_json(), "predictive": self.bands,
                "holdout": self.holdout.as_json() if self.holdout is not None else None,
                "notes": self.notes}


def run_calibration(simulate: Simulator, priors: Sequence[Prior], targets: Targets,
                    settings: Settings, engine: Backend, folder: Path,
                    progress: Callable[[int], None] | None = None) -> Outcome:
    """Fit, then check (see the module docstring); ``engine`` runs the predictive simulations
    and, for the dask sampler, lends pyabc its client; ``progress`` gets the main fit's
    simulations done so far."""
    client = None
    if settings.sampler == "dask":
        if not isinstance(engine, DaskBackend):
            raise ValueError("the dask sampler needs the dask backend")
        engine.start_workers(settings.workers)
        client = engine.client
    seconds: dict[str, float] = {}

    def fit(fit_targets: Targets, budget: int, database: str,
            report: Callable[[int], None] | None = None) -> Calibration:
        return calibrate(simulate, priors, fit_targets, budget=budget, progress=report,
                         database=folder / database, population=settings.population,
                         workers=settings.workers, min_epsilon=settings.min_epsilon,
                         seed=settings.seed, sampler=settings.sampler, dask_client=client,
                         common_random_numbers=settings.common_random_numbers)

    started = time.perf_counter()
    result = fit(targets, settings.budget, DATABASE, progress)
    seconds["fit"] = time.perf_counter() - started
    predictive = pd.DataFrame()
    found: dict[str, dict[str, Any]] = {}
    if settings.predictive > 0:
        started = time.perf_counter()
        draws = resample(result, settings.predictive, settings.seed)
        predictive = simulate_draws(simulate, draws, engine, PREDICTIVE_REPLICATION)
        found = bands(predictive, targets)
        predictive.insert(0, "fit", "all")
        seconds["predictive"] = time.perf_counter() - started
    holdout = None
    notes: list[str] = []
    split = holdout_split(targets)
    if split is not None and settings.holdout_budget > 0 and settings.predictive > 0:
        started = time.perf_counter()
        early, held = split
        try:
            early_fit = fit(early, settings.holdout_budget, HOLDOUT_DATABASE)
        except RuntimeError as exc:
            notes.append(f"no holdout check: the fit without {held} failed ({exc})")
        else:
            draws = resample(early_fit, settings.predictive, settings.seed + 1)
            simulated = simulate_draws(simulate, draws, engine,
                                       PREDICTIVE_REPLICATION + settings.predictive)
            holdout = Holdout(held, early_fit, simulated,
                              holdout_band(held, simulated, targets.observed, targets.sd))
            simulated.insert(0, "fit", "holdout")
            predictive = pd.concat([predictive, simulated], ignore_index=True)
        seconds["holdout"] = time.perf_counter() - started
    return Outcome(result, predictive, found, holdout, seconds, notes)
