"""Experiment machinery: replications, paired comparisons, sweeps, sensitivity, backends, store.

Everything here sits on the far side of the model seam: it calls
:func:`sim.model.replication.run_replication` and reads the :class:`~sim.model.results.Results` it
returns, and
never reaches inside the model. The library functions below are the ones the command line uses;
each returns pandas DataFrames (inside a small result object)::

    from sim import load_scenario
    from sim.experiment import compare, replicate, sensitivity, sweep

    reps = replicate(load_scenario("scenarios/baseline.toml"), reps=8, backend="process")
    reps.summary                     # per agency × KPI: mean, sd, ci95, n
    cmp = compare([load_scenario("scenarios/baseline.toml"),
                   load_scenario("scenarios/aggressive_tone.toml")], reps=8)
    cmp.differences                  # paired differences to the first scenario
    sweep("experiments/fee_by_collectors.toml", out="results/fees").summary
    sensitivity("experiments/sobol_netback.toml").indices

Modules: :mod:`~sim.experiment.replicate` (replications, sequential precision targets),
:mod:`~sim.experiment.compare`, :mod:`~sim.experiment.experiment_file` (experiment files),
:mod:`~sim.experiment.design` (design points, SALib analysis), :mod:`~sim.experiment.sweep`,
:mod:`~sim.experiment.sensitivity`, :mod:`~sim.experiment.merge` (shards of a sweep into one
folder), :mod:`~sim.experiment.select` (Kim–Nelson selection of the best, Hsu's intervals),
:mod:`~sim.experiment.ocba` (selection on a fixed budget), :mod:`~sim.experiment.finding`,
:mod:`~sim.experiment.robust` and :mod:`~sim.experiment.discovery` (how far a finding holds,
and PRIM on where it fails), :mod:`~sim.experiment.selection`
(both run on scenarios), :mod:`~sim.experiment.backends` (serial, process, dask),
:mod:`~sim.experiment.tasks` (what workers run), :mod:`~sim.experiment.store` (SQLite store),
:mod:`~sim.experiment.intervals` (t, paired and Welch intervals),
:mod:`~sim.experiment.progress`, :mod:`~sim.experiment.files` and
:mod:`~sim.cli.experiments` (the CLI sub-commands). Note that the package attributes
``replicate``, ``compare``, ``sweep`` and ``sensitivity`` are the functions; import from the
modules of the same name with ``from sim.experiment.sweep import ...``.
"""

from __future__ import annotations

from sim.experiment.backends import Backend, open_backend
from sim.experiment.compare import Comparison, compare
from sim.experiment.experiment_file import Experiment, load_experiment
from sim.experiment.replicate import Replications, Target, replicate
from sim.experiment.sensitivity import SensitivityResult, indices, sensitivity
from sim.experiment.sweep import SweepResult, sweep

__all__ = ["Backend", "Comparison", "Experiment", "Replications", "SensitivityResult",
           "SweepResult", "Target", "compare", "indices", "load_experiment", "open_backend",
           "replicate", "sensitivity", "sweep"]
