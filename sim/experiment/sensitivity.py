"""Global sensitivity analysis: Sobol' indices or Morris screening of KPIs over an experiment.

:func:`indices` is the whole procedure for any function of the factors: draw the design
(:func:`~sim.experiment.design.design_points`), evaluate every point, compute the indices with
bootstrap intervals (:func:`~sim.experiment.design.analyse`). The evaluation is pluggable — the
validation tests give it the Ishigami function and check the known indices. :func:`sensitivity`
plugs in the simulation: it runs the experiment's sweep (same store, backends and resume as
``collectsim sweep``) and evaluates each point as the mean of its replications, which removes
most replication noise from the outputs. What noise remains is reported per metric as
``noise_share``: the estimated variance of a point's mean due to replication noise (mean
within-point variance / R) over the variance of the point means; indices are trustworthy when it
is small, and raising ``replications`` lowers it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config.loading import ScenarioError
from sim.experiment.backends import Backend
from sim.experiment.design import analyse, design_points
from sim.experiment.experiment_file import Design, Experiment, Factor, load_experiment
from sim.experiment.files import atomic_write
from sim.experiment.marker import FolderKind
from sim.experiment.sweep import SweepResult, one_writer, sweep
from sim.experiment.tasks import OK

Evaluate = Callable[[pd.DataFrame], pd.DataFrame]


class SensitivityError(RuntimeError):
    """The indices cannot be computed (e.g. design points without a successful run)."""


def indices(design: Design, factors: Sequence[Factor], evaluate: Evaluate) -> pd.DataFrame:
    """Sensitivity indices of the outputs of ``evaluate`` over the design.

    ``evaluate`` receives the design points (one row per point, one column per factor label)
    and returns one row per point with one column per output.
    """
    sample, values = design_points(design, factors)
    points = pd.DataFrame(values, columns=[f.label for f in factors])
    outputs = evaluate(points)
    if len(outputs) != len(points):
        raise SensitivityError(f"evaluate returned {len(outputs)} rows for {len(points)} "
                               "design points")
    try:
        return analyse(design, factors, sample, outputs.reset_index(drop=True))
    except ValueError as exc:
        raise SensitivityError(str(exc)) from None


def point_means(experiment: Experiment, runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Per point, the mean of each metric over successful replications (first reported
    agency), and per metric the share of output variance due to replication noise."""
    agency = experiment.agencies[0]
    ok = runs[(runs["status"] == OK) & (runs["agency"] == agency)]
    by_point = ok.groupby("point")
    everywhere = range(len(experiment.assignments))
    means = by_point[experiment.metrics].mean().reindex(everywhere)
    counts = by_point[experiment.metrics].count().reindex(everywhere)
    noise = {}
    for metric in experiment.metrics:
        within = by_point[metric].var(ddof=1).reindex(everywhere) / counts[metric]
        spread = float(np.nanvar(means[metric].to_numpy(dtype=float), ddof=1)) \
            if means[metric].notna().sum() > 1 else float("nan")
        finite = within.to_numpy(dtype=float)
        finite = finite[np.isfinite(finite)]
        noise[metric] = float(finite.mean()) / spread if len(finite) and spread \
            else float("nan")
    return means.reset_index(drop=True), pd.Series(noise, name="noise_share")


@dataclass
class SensitivityResult:
    """Indices (one row per metric × factor) and the sweep that produced the outputs."""

    indices: pd.DataFrame
    sweep: SweepResult


def sensitivity(experiment: Experiment | str | Path, out: str | Path | None = None, *,
                backend: str | Backend | None = None, workers: int | None = None,
                scheduler: str | None = None, resume: bool = False, fresh: bool = False,
                progress: Callable[[int, int, int], None] | None = None
                ) -> SensitivityResult:
    """Run (or resume) the sweep of a ``sobol``/``morris`` experiment and compute its indices.

    Writes ``indices.csv`` next to the sweep's outputs when ``out`` is given.
    """
    if not isinstance(experiment, Experiment):
        experiment = load_experiment(experiment)
    kind = experiment.spec.design.kind
    if kind not in ("sobol", "morris"):
        raise ScenarioError(experiment.source, "design.kind",
                            "sensitivity needs design kind 'sobol' or 'morris'", kind)
    lock = one_writer(Path(out), FolderKind.SENSITIVITY) if out is not None \
        else contextlib.nullcontext()
    with lock:
        swept = sweep(experiment, out, backend=backend, workers=workers, scheduler=scheduler,
                      resume=resume, fresh=fresh, keep_daily=False, progress=progress,
                      kind=FolderKind.SENSITIVITY)
        return _indices(experiment, swept, out)


def _indices(experiment: Experiment, swept: SweepResult, out: str | Path | None
             ) -> SensitivityResult:
    means, noise = point_means(experiment, swept.runs)

    def simulated(points: pd.DataFrame) -> pd.DataFrame:
        expected = experiment.points.reset_index(drop=True)
        if not points.astype(object).equals(expected.astype(object)):
            raise SensitivityError("design points differ from the experiment's")
        return means

    table = indices(experiment.spec.design, experiment.factors, simulated)
    table["noise_share"] = table["metric"].map(noise)
    table.insert(1, "agency", experiment.agencies[0])
    if out is not None:
        atomic_write(Path(out) / "indices.csv", lambda tmp: table.to_csv(tmp, index=False))
    return SensitivityResult(indices=table, sweep=swept)
