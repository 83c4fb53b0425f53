"""The results folder of ``collectsim calibrate``.

:func:`write_calibration_folder` fills the hidden staging folder of
:func:`sim.experiment.files.atomic_folder` (pyabc's ``abc.db`` and ``holdout.db`` are already
there), so the folder appears complete or not at all:

- ``posterior.parquet``: the final generation's draws, a column per parameter path and
  ``weight`` (summing to 1);
- ``generations.csv``: per generation, tolerance, simulations, candidates kept, acceptance
  rate and effective sample size;
- ``predictive.csv``: the posterior draws simulated again on fresh seeds (``fit`` = ``all``)
  and those of the holdout fit (``fit`` = ``holdout``), with every target statistic;
- ``summary.json``: what ``--format json`` prints;
- ``calibrated.toml``: the scenario at the posterior medians (:mod:`sim.experiment.calibrated`);
- ``manifest.json``: the summary plus method, priors, targets, settings, seed, the scenario as
  resolved, versions, command and timings.

The report (``report.html`` and its figures) is written from these files by
:mod:`sim.report.calibration`, so ``collectsim report`` can write it again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.config.loading import scenario_hash
from sim.config.plain import json_ready
from sim.config.schema import Scenario
from sim.experiment.abc_parts import CANDIDATE_REPLICATIONS
from sim.experiment.calibrated import calibrated_toml
from sim.experiment.calibration_run import Outcome, Settings
from sim.experiment.output import package_versions
from sim.experiment.predictive import PREDICTIVE_REPLICATION
from sim.experiment.targets import Targets

CALIBRATED_FILE = "calibrated.toml"
SUMMARY_FILE = "summary.json"
METHOD = "ABC-SMC (pyabc), uniform priors, median-distance tolerance schedule"
DISTANCE = ("sqrt(sum(((simulated - observed) / sd)^2)), sd = sqrt(p(1-p)/N) for shares and "
            "curve points, sqrt(1000 r / N) for rates per 1,000")


def _json(value: Any) -> str:
    return json.dumps(json_ready(value), indent=2, default=str, allow_nan=False) + "\n"


def write_calibration_folder(staging: Path, out: Path, outcome: Outcome, settings: Settings,
                             *, scenario: Scenario, scenario_file: Path, targets: Targets,
                             targets_file: Path, overrides: Sequence[str],
                             scale_collectors: bool, backend: str, command: str,
                             wall: float) -> None:
    """Write every data file into ``staging`` (to become ``out``)."""
    result = outcome.result
    result.draws.to_parquet(staging / "posterior.parquet", index=False)
    result.generations.to_csv(staging / "generations.csv", index=False)
    outcome.predictive.to_csv(staging / "predictive.csv", index=False)
    summary = outcome.as_json()
    (staging / SUMMARY_FILE).write_text(_json(summary), encoding="utf-8")
    (staging / CALIBRATED_FILE).write_text(
        calibrated_toml(result, scenario, scenario_file, targets_file, targets.source, out,
                        overrides), encoding="utf-8")
    info = {**summary, "method": METHOD, "distance": DISTANCE,
            "priors": {p.path: [p.low, p.high] for p in result.priors},
            "targets": {"file": str(targets_file), "accounts": targets.accounts,
                        "source": targets.source, "observed": targets.observed,
                        "sd": targets.sd},
            "epsilons": result.epsilons, "effective_sample_size": result.ess(),
            "population": settings.population, "budget": settings.budget,
            "holdout_budget": settings.holdout_budget, "min_epsilon": settings.min_epsilon,
            "predictive_draws": settings.predictive,
            "random_numbers": ("common: every candidate of generation g is replication g "
                               "of the seed" if settings.common_random_numbers else
                               "each candidate on a replication of its own, drawn from "
                               f"{CANDIDATE_REPLICATIONS[0]} up")
                              + "; posterior predictive simulations use replications from "
                                f"{PREDICTIVE_REPLICATION} on",
            "seed": settings.seed, "overrides": list(overrides),
            "scale_collectors": scale_collectors,
            "scenario": {"file": str(scenario_file), "hash": scenario_hash(scenario),
                         "scenario": scenario.model_dump(mode="json")},
            "backend": backend, "sampler": settings.sampler, "workers": settings.workers,
            "versions": package_versions(("pyabc",)), "command": command,
            "timings": {"total_seconds": wall, **{f"{k}_seconds": v
                                                  for k, v in outcome.seconds.items()}}}
    (staging / "manifest.json").write_text(_json(info), encoding="utf-8")
