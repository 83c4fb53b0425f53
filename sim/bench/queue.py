"""The inbound queue against Ciw on one M/M/c+M workload, in one process.

:func:`bench_queue` runs the same Erlang A workload (Poisson arrivals at rate ``λ``, ``c``
servers with exponential service at rate ``μ``, exponential patience at rate ``θ``, first come
first served) twice: through :func:`sim.validation.queue.simulate_queue`, which drives the
model's own :class:`sim.model.agency.inbound_queue.InboundQueue` on SimPy, and through Ciw
(Palmer, Knight,
Harper & Tuson, "Ciw: An open-source discrete event simulation library", *Journal of
Simulation* 13(1), 2019), a general queueing-network simulator, with reneging as its
abandonment. Ciw is an optional dependency (the ``bench`` extra).

Both runs simulate the same horizon (``customers / λ``, so about ``customers`` arrivals) and
are measured the same way: callers arriving after the same warm-up (a tenth of the horizon),
callers still waiting at the end excluded (censored), callers still in service at the end
counted as answered. ``p_abandon`` is the share who hung up and ``mean_wait`` the mean time in
queue over all of them, abandoners counting their patience. Standard errors are batch means
over 20 equal time windows of the measurement period (callers assigned by arrival time), as
:mod:`sim.validation.queue` computes them, so each result's deviation from Erlang A can be
given in its own standard errors.

Timing. Each side's wall time covers its whole simulation call and nothing else: for ours
:func:`~sim.validation.queue.simulate_queue` (drawing its random numbers, the SimPy run and its
caller-by-caller measurement); for Ciw, building the network and the simulation, the run, and
collecting and measuring its records. Imports are outside both. Customers per second are each
side's own arrivals over its own wall time, and ``ciw_ratio`` is ours over Ciw's; only the
ratio means anything on a shared machine.
"""

from __future__ import annotations

import gc
import importlib.util
import math
import random
import time
from typing import Any

import numpy as np

from sim.validation.erlang import erlang_a
from sim.validation.queue import simulate_queue

FIGURES = ("p_abandon", "mean_wait")
WARMUP_FRACTION = 0.1
BATCHES = 20
MIN_CUSTOMERS = 200


def have_ciw() -> bool:
    """Whether Ciw can be imported (it comes with the ``bench`` extra)."""
    return importlib.util.find_spec("ciw") is not None


def _deviation(simulated: float, analytic: float, se: float) -> float:
    """``(simulated − analytic) / se``, 0 for exact agreement, ±inf for a gap with no SE."""
    gap = simulated - analytic
    if se > 0:
        return gap / se
    return 0.0 if gap == 0 else math.copysign(math.inf, gap)


def simulate_ciw(servers: int, arrival_rate: float, service_rate: float, patience_rate: float,
                 horizon: float, warmup: float, seed: int = 0,
                 batches: int = BATCHES) -> dict[str, Any]:
    """Simulate the M/M/c+M queue with Ciw and measure it as :func:`simulate_queue` does.

    Returns ``p_abandon``, ``mean_wait``, ``se`` (batch-means standard errors of both),
    ``arrivals`` (callers who reached the queue over the whole run), ``customers`` (callers
    measured) and ``censored`` (callers still waiting at the end, excluded).
    """
    import ciw  # an optional extra (bench): imported only where it is used

    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(arrival_rate)],
        service_distributions=[ciw.dists.Exponential(service_rate)],
        number_of_servers=[servers],
        reneging_time_distributions=[ciw.dists.Exponential(patience_rate)],
    )
    # Ciw draws from process-global random state: its distributions call the ``random``
    # module, and ``ciw.seed`` reseeds that module and replaces ``ciw.rng``. That is Ciw's
    # design; it is tolerated only here, and the caller's state is put back afterwards.
    saved_random, saved_rng = random.getstate(), ciw.rng
    try:
        ciw.seed(seed)
        simulation = ciw.Simulation(network)
        simulation.simulate_until_max_time(horizon)
        records = simulation.get_all_records(include_incomplete=True)
    finally:
        random.setstate(saved_random)
        ciw.rng = saved_rng

    # One record per caller: "service" (answered and done), "renege" (hung up; waiting_time is
    # the patience), "incomplete" (in service at the end, with a waiting_time, or still
    # waiting, with none: censored).
    count = len(records)
    arrived = np.fromiter((r.arrival_date for r in records), np.float64, count)
    kind = [r.record_type for r in records]
    censored = np.fromiter((r.waiting_time is None for r in records), np.bool_, count)
    waited = np.fromiter((math.nan if r.waiting_time is None else r.waiting_time
                          for r in records), np.float64, count)
    abandoned = np.fromiter((k == "renege" for k in kind), np.bool_, count)

    edges = np.linspace(warmup, horizon, batches + 1)
    measured = (arrived >= warmup) & ~censored
    batch = np.clip(np.searchsorted(edges, arrived[measured], side="right") - 1, 0, batches - 1)
    counts = np.maximum(np.bincount(batch, minlength=batches), 1)
    values = {"p_abandon": abandoned[measured].astype(np.float64), "mean_wait": waited[measured]}
    total = max(int(measured.sum()), 1)
    result: dict[str, Any] = {name: float(values[name].sum() / total) for name in FIGURES}
    result["se"] = {
        name: float(np.std(np.bincount(batch, weights=values[name], minlength=batches) / counts,
                           ddof=1) / math.sqrt(batches))
        for name in FIGURES
    }
    result.update(arrivals=count, customers=int(measured.sum()), censored=int(censored.sum()))
    return result


def bench_queue(servers: int = 10, arrival_rate: float = 9.0, service_rate: float = 1.0,
                patience_rate: float = 0.5, customers: int = 100_000,
                seed: int = 0) -> dict[str, Any]:
    """Time the inbound queue and Ciw on the same M/M/c+M workload; set both beside Erlang A.

    Returns ``customers`` (arrivals asked for), ``ours_customers_per_second``,
    ``ciw_customers_per_second``, ``ciw_ratio`` (ours over Ciw's), ``ours`` and ``ciw`` (each
    with ``p_abandon``, ``mean_wait``, their standard errors under ``se``, their deviations
    from Erlang A in those standard errors under ``deviation_se``, ``arrivals`` simulated,
    callers measured as ``measured``, ``censored`` and ``wall_seconds``), and ``erlang_a``
    (``p_abandon``, ``mean_wait``). Raises :class:`ValueError` on a bad workload and
    :class:`ModuleNotFoundError` if Ciw is not installed.
    """
    if isinstance(servers, bool) or not isinstance(servers, int) or servers < 1:
        raise ValueError(f"servers must be a positive integer, got {servers!r}")
    for name, value in (("arrival_rate", arrival_rate), ("service_rate", service_rate),
                        ("patience_rate", patience_rate)):
        if not (value > 0 and math.isfinite(value)):
            raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    if isinstance(customers, bool) or not isinstance(customers, int) or customers < MIN_CUSTOMERS:
        raise ValueError(f"customers must be an integer of at least {MIN_CUSTOMERS}, "
                         f"got {customers!r}")
    if not have_ciw():
        raise ModuleNotFoundError("bench_queue needs Ciw: pip install -e '.[bench]'", name="ciw")
    import ciw  # noqa: F401  (imported here so the import is not timed below)

    analytic = erlang_a(servers, arrival_rate, service_rate, patience_rate)
    horizon = customers / arrival_rate
    warmup = WARMUP_FRACTION * horizon

    gc.collect()
    started = time.perf_counter()
    ours_run = simulate_queue(servers, arrival_rate, service_rate, patience_rate,
                              horizon=horizon, warmup=warmup, seed=seed, batches=BATCHES)
    ours_wall = time.perf_counter() - started

    gc.collect()
    started = time.perf_counter()
    ciw_run = simulate_ciw(servers, arrival_rate, service_rate, patience_rate, horizon, warmup,
                           seed=seed, batches=BATCHES)
    ciw_wall = time.perf_counter() - started

    def side(run: dict[str, Any], arrivals: int, wall: float) -> dict[str, Any]:
        se = {name: float(run["se"][name]) for name in FIGURES}
        return {
            **{name: float(run[name]) for name in FIGURES},
            "se": se,
            "deviation_se": {name: _deviation(run[name], analytic[name], se[name])
                             for name in FIGURES},
            "arrivals": arrivals,
            "measured": int(run["customers"]),
            "censored": int(run["censored"]),
            "wall_seconds": wall,
        }

    ours = side(ours_run, int(ours_run["counters"]["harness"]["arrivals"]), ours_wall)
    theirs = side(ciw_run, int(ciw_run["arrivals"]), ciw_wall)
    ours_rate = ours["arrivals"] / ours_wall
    ciw_rate = theirs["arrivals"] / ciw_wall
    return {
        "customers": customers,
        "servers": servers,
        "arrival_rate": arrival_rate,
        "service_rate": service_rate,
        "patience_rate": patience_rate,
        "seed": seed,
        "ours_customers_per_second": ours_rate,
        "ciw_customers_per_second": ciw_rate,
        "ciw_ratio": ours_rate / ciw_rate,
        "ours": ours,
        "ciw": theirs,
        "erlang_a": {name: analytic[name] for name in FIGURES},
    }
