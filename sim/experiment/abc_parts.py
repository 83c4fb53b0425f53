"""The parts of pyabc a calibration plugs together (:mod:`sim.experiment.calibrate`).

pyabc is an optional dependency (the ``calibrate`` extra), so every class here is built on
first use:

* samplers (serial, forked processes, dask) that count every simulation they run, including a
  generation cut short by the budget;
* the model that simulates a candidate on a replication of its own, or on the generation's
  (common random numbers);
* ABC-SMC that keeps to its budget: it does not start a generation it expects to carry the
  simulations past the budget, expecting each generation to take as many simulations as the
  one before. Acceptance usually falls as the tolerance shrinks, so a generation can take more
  than that and the total can still pass the budget by part of one generation.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

# (parameters by path, replication) -> statistics by target name
Simulator = Callable[[Mapping[str, float], int], Mapping[str, float]]
# Replications a candidate may draw when each has its own (above the posterior predictive's).
CANDIDATE_REPLICATIONS = (2_000_000, 2**31 - 1)
SAMPLERS = ("serial", "process", "dask")


def make_sampler(name: str, workers: int, dask_client: Any) -> Any:
    """A pyabc sampler of kind ``name`` that counts every simulation it runs."""
    samplers = _sampler_classes()
    if name == "serial":
        return samplers["serial"](check_max_eval=True)
    if name == "process":
        return samplers["process"](n_procs=workers, check_max_eval=True)
    if name == "dask":
        if dask_client is None:
            raise ValueError("the dask sampler needs a dask client")
        return samplers["dask"](dask_client=dask_client, client_max_jobs=workers)
    raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)} (got {name})")


@functools.cache
def _sampler_classes() -> dict[str, type]:
    """pyabc's samplers, each counting the simulations of every generation it samples (pyabc's
    own count leaves out a generation cut short by the budget). Built on first use: pyabc is
    an optional dependency."""
    import pyabc

    class Counting:
        simulations = 0
        nr_evaluations_: int

        def sample_until_n_accepted(self, *args: Any, **kwargs: Any) -> Any:
            sample = super().sample_until_n_accepted(*args, **kwargs)  # type: ignore[misc]
            self.simulations += int(self.nr_evaluations_)
            return sample

    return {"serial": type("CountingSingleCore", (Counting,
                                                 pyabc.sampler.SingleCoreSampler), {}),
            "process": type("CountingMulticore", (Counting,
                                                 pyabc.sampler.MulticoreEvalParallelSampler),
                            {}),
            "dask": type("CountingDask", (Counting, pyabc.sampler.DaskDistributedSampler), {})}


@functools.cache
def model_class() -> type:
    """A pyabc model that simulates a candidate as replication = generation (common random
    numbers) or on a replication of its own. Picklable, so the dask sampler can send it to its
    workers."""
    import pyabc

    class ScenarioModel(pyabc.Model):
        def __init__(self, simulate: Simulator, paths: Sequence[str], names: Sequence[str],
                     common: bool, counter: Any = None) -> None:
            super().__init__(name="scenario")
            self.simulate, self.paths, self.names = simulate, list(paths), list(names)
            self.common, self.counter = common, counter

        def summary_statistics(self, t: int, pars: Any, sum_stat_calculator: Any) -> Any:
            params = {path: float(pars[parameter_key(i)]) for i, path in enumerate(self.paths)}
            # pyabc draws candidates from numpy's global generator (seeded by calibrate)
            replication = max(t, 0) if self.common else int(
                np.random.randint(*CANDIDATE_REPLICATIONS))  # noqa: NPY002
            stats = self.simulate(params, replication)
            if self.counter is not None:
                with self.counter.get_lock():
                    self.counter.value += 1
            return pyabc.model.ModelResult(sum_stat={n: float(stats[n]) for n in self.names})

        def sample(self, pars: Any) -> Any:  # every path goes through summary_statistics
            raise NotImplementedError

    return ScenarioModel


@functools.cache
def budgeted_smc_class() -> type:
    """pyabc's ABC-SMC with one more stopping rule: no generation starts when the simulations
    spent so far (``spent()``, set on the instance) plus those of the last generation would
    exceed ``max_total_nr_simulations``."""
    import pyabc

    class BudgetedABCSMC(pyabc.ABCSMC):
        spent: Callable[[], int] = staticmethod(lambda: 0)

        def check_terminate(self, t: int, acceptance_rate: float) -> bool:
            if super().check_terminate(t, acceptance_rate):
                return True
            populations = self.history.get_all_populations()
            last = populations.loc[populations["t"] == t, "samples"]
            expected = int(last.iloc[0]) if len(last) else 0
            return self.spent() + expected > self.max_total_nr_simulations

    return BudgetedABCSMC


def parameter_key(index: int) -> str:
    """pyabc's name for a parameter (dotted paths are not valid there)."""
    return f"p{index}"
