"""An inbound queue run as an M/M/c(+M) queue and set beside Erlang C and Erlang A.

(The full model's dialler serves callers by the same rule but through its own code, which this
check does not yet cover: see :mod:`sim.model.agency.inbound_queue`.)

:func:`simulate_queue` drives the very :class:`sim.model.agency.inbound_queue.InboundQueue`
the full model uses (not a copy) the way :mod:`sim.model.agency.desk` does: callers arrive in a
Poisson stream and call :meth:`~sim.model.agency.inbound_queue.InboundQueue.arrive` with an
exponential patience; each of ``c`` server processes loops ``take()`` → (if nobody)
``yield wait_for_caller()`` → ``yield timeout(service)`` with exponential service.
:func:`check_queue` adds the matching analytic figures from :mod:`sim.validation.erlang` and
how far apart the two are in standard errors.

Measurement. Callers are numbered in order of arrival and the number is the queue item, so
each caller's fate is known individually: a server records the wait ``take()`` reports (or
that the caller was answered at once); a caller never taken either abandoned (their patience
ran out before the end; they waited their whole patience) or is *censored* (still on the line
at the end of the run) and excluded. Figures are over callers arriving after the warm-up:

* ``p_wait`` — share not answered at once (waited, or hung up);
* ``mean_wait`` — mean time in queue, abandoners counting their patience;
* ``p_abandon`` — share who hung up;
* ``utilization`` — busy server time over ``c × (horizon − warmup)``, from the service
  intervals themselves (time-average, unlike the three per-caller figures);
* ``mean_queue`` — time-average number of callers waiting (still within their patience) over
  the measurement period, integrated exactly from each caller's time in queue.

Standard errors come from batch means: the measurement period is cut into ``batches`` equal
time windows (callers assigned by arrival time), each window's figure is computed, and the
standard error is their standard deviation over √batches. The harness also checks the
queue's own counters (arrivals, served, answered at once, abandoned, total wait, censored)
against what it saw caller by caller, and reports both under ``counters``.

Random numbers come from ``Streams(seed).get("queue", k)`` (``k`` = 0 arrivals, 1 service
times, 2 patience), drawn as whole numpy arrays before the run; there is no global state.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any, cast

import numpy as np
import simpy

from sim.model.agency.inbound_queue import InboundQueue
from sim.model.rng import Streams
from sim.validation.erlang import erlang_a, erlang_c

DEFAULT_CUSTOMERS = 200_000
FIGURES = ("p_wait", "mean_wait", "p_abandon", "utilization", "mean_queue")
ARRIVALS, SERVICE, PATIENCE = 0, 1, 2


def _arrival_times(generator: np.random.Generator, rate: float, horizon: float) -> np.ndarray:
    """Poisson arrival epochs in ``[0, horizon)``, drawn as exponential gaps in blocks."""
    block = max(1024, int(rate * horizon * 1.05) + 64)
    times: list[np.ndarray] = []
    last = 0.0
    while True:
        epochs = last + np.cumsum(generator.standard_exponential(block) / rate)
        times.append(epochs)
        last = float(epochs[-1])
        if last >= horizon:
            break
        block = max(1024, int(rate * (horizon - last) * 1.05) + 64)
    epochs = np.concatenate(times)
    return epochs[epochs < horizon]


def _batch_se(values: np.ndarray) -> float:
    """Standard error of the overall mean from independent(ish) batch figures."""
    return float(np.std(values, ddof=1) / math.sqrt(len(values)))


def _ratio_by_batch(numerator: np.ndarray, batch: np.ndarray, counts: np.ndarray,
                    batches: int) -> np.ndarray:
    sums = np.bincount(batch, weights=numerator, minlength=batches)
    return sums / np.maximum(counts, 1)


def _overlap_by_batch(starts: np.ndarray, ends: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Total length of the intervals ``[starts, ends]`` falling in each window of ``edges``."""
    totals = np.empty(len(edges) - 1)
    for b in range(len(edges) - 1):
        low, high = edges[b], edges[b + 1]
        totals[b] = np.clip(np.minimum(ends, high) - np.maximum(starts, low), 0.0, None).sum()
    return totals


def simulate_queue(servers: int, arrival_rate: float, service_rate: float,
                   patience_rate: float | None = None, horizon: float | None = None,
                   warmup: float | None = None, seed: int = 0,
                   batches: int = 20) -> dict[str, Any]:
    """Simulate the model's :class:`~sim.model.agency.inbound_queue.InboundQueue` as an
    M/M/c(+M) queue and measure it.

    ``patience_rate`` ``None`` or 0 means callers never hang up (M/M/c). ``horizon`` defaults
    to the time in which 200,000 callers are expected, ``warmup`` to a tenth of the horizon;
    both are in the time unit of the rates. Returns the figures listed in the module
    docstring, ``customers`` (callers measured), ``censored`` (callers still waiting at the
    end, excluded), ``se`` (batch-means standard error of each figure), ``batches``,
    ``per_batch`` (each figure in each batch, for standard errors of derived quantities) and
    ``counters`` (the queue's own tallies beside the harness's, over the whole run).
    """
    if isinstance(servers, bool) or not isinstance(servers, int) or servers < 1:
        raise ValueError(f"servers must be a positive integer, got {servers!r}")
    for name, value in (("arrival_rate", arrival_rate), ("service_rate", service_rate)):
        if not (value > 0 and math.isfinite(value)):
            raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    if patience_rate is not None and not (patience_rate >= 0 and math.isfinite(patience_rate)):
        raise ValueError(f"patience_rate must be None or non-negative, got {patience_rate!r}")
    if horizon is None:
        horizon = DEFAULT_CUSTOMERS / arrival_rate
    if warmup is None:
        warmup = 0.1 * horizon
    if not 0 <= warmup < horizon:
        raise ValueError(f"need 0 <= warmup < horizon, got warmup={warmup}, horizon={horizon}")
    if batches < 2:
        raise ValueError("need at least two batches for a standard error")

    streams = Streams(seed)
    arrivals = _arrival_times(streams.get("queue", ARRIVALS), arrival_rate, horizon)
    n = len(arrivals)
    services = (streams.get("queue", SERVICE).standard_exponential(n) / service_rate).tolist()
    if patience_rate:
        patience = streams.get("queue", PATIENCE).standard_exponential(n) / patience_rate
    else:
        patience = np.full(n, math.inf)

    env = simpy.Environment()
    queue: InboundQueue[int] = InboundQueue(env)
    waits: list[float] = [math.nan] * n  # wait of each caller taken by a server
    started: list[float] = [math.nan] * n  # when their service began
    at_once: list[bool] = [False] * n  # answered by an idle server on arrival
    arrived: list[float] = [math.nan] * n  # arrival epoch as the simulation clock has it

    gaps = np.diff(arrivals, prepend=0.0).tolist()
    patience_list = patience.tolist()

    def arrive(event: simpy.Event) -> None:
        i = cast(int, event.value)
        arrived[i] = env.now
        queue.arrive(i, patience_list[i])
        if i + 1 < n:
            env.timeout(gaps[i + 1], i + 1).callbacks.append(arrive)

    def server() -> Generator[simpy.Event, Any, None]:
        taken: tuple[int, float] | None
        while True:
            taken = queue.take()
            if taken is None:
                taken = yield queue.wait_for_caller()
                at_once[taken[0]] = True
            i, wait = taken
            waits[i] = wait
            started[i] = env.now
            yield env.timeout(services[i])

    for _ in range(servers):
        env.process(server())
    if n:
        env.timeout(gaps[0], 0).callbacks.append(arrive)
    env.run(until=horizon)
    censored_by_queue = queue.close()

    # the clock's own arrival epochs (equal to the drawn ones up to rounding), so deadlines
    # below are bit-for-bit those the queue used
    arrivals = np.asarray(arrived)
    wait = np.asarray(waits)
    start = np.asarray(started)
    immediate = np.asarray(at_once, dtype=np.bool_)
    service = np.asarray(services)
    served = ~np.isnan(wait)
    deadline = arrivals + patience
    abandoned = ~served & (deadline <= horizon)
    censored = ~served & ~abandoned
    time_in_queue = np.where(served, wait, np.where(abandoned, patience, horizon - arrivals))

    counters = {
        "queue": {
            "arrivals": queue.arrivals, "served": queue.served,
            "served_immediately": queue.served_immediately, "abandoned": queue.abandoned,
            "total_wait": queue.total_wait, "censored": censored_by_queue,
        },
        "harness": {
            "arrivals": n, "served": int(served.sum()),
            "served_immediately": int(immediate.sum()), "abandoned": int(abandoned.sum()),
            "total_wait": float(time_in_queue[served | abandoned].sum()),
            "censored": int(censored.sum()),
        },
    }

    edges = np.linspace(warmup, horizon, batches + 1)
    measured = (arrivals >= warmup) & ~censored
    batch = np.clip(np.searchsorted(edges, arrivals[measured], side="right") - 1, 0, batches - 1)
    counts = np.bincount(batch, minlength=batches).astype(np.float64)
    length = (horizon - warmup) / batches

    per_batch = {
        "p_wait": _ratio_by_batch((~immediate[measured]).astype(np.float64), batch, counts,
                                  batches),
        "mean_wait": _ratio_by_batch(time_in_queue[measured], batch, counts, batches),
        "p_abandon": _ratio_by_batch(abandoned[measured].astype(np.float64), batch, counts,
                                     batches),
        "utilization": _overlap_by_batch(start[served], start[served] + service[served], edges)
        / (servers * length),
        # every caller is in the queue from arrival until taken, hanging up, or the end
        "mean_queue": _overlap_by_batch(arrivals, arrivals + time_in_queue, edges) / length,
    }
    total = max(int(counts.sum()), 1)
    result: dict[str, Any] = {
        "p_wait": float((~immediate[measured]).sum() / total),
        "mean_wait": float(time_in_queue[measured].sum() / total),
        "p_abandon": float(abandoned[measured].sum() / total),
        "utilization": float(per_batch["utilization"].mean()),
        "mean_queue": float(per_batch["mean_queue"].mean()),
        "customers": int(counts.sum()),
        "censored": int(censored.sum()),
        "se": {name: _batch_se(per_batch[name]) for name in FIGURES},
        "batches": batches,
        "per_batch": {name: per_batch[name].tolist() for name in FIGURES},
        "counters": counters,
    }
    return result


def analytic_queue(servers: int, arrival_rate: float, service_rate: float,
                   patience_rate: float | None = None) -> dict[str, float]:
    """Erlang A when callers are impatient (``patience_rate`` > 0), else Erlang C."""
    if patience_rate:
        return erlang_a(servers, arrival_rate, service_rate, patience_rate)
    return erlang_c(servers, arrival_rate, service_rate)


def check_queue(servers: int, arrival_rate: float, service_rate: float,
                patience_rate: float | None = None, horizon: float | None = None,
                warmup: float | None = None, seed: int = 0,
                batches: int = 20) -> dict[str, Any]:
    """Simulated and analytic figures of one M/M/c(+M) queue, side by side.

    Returns ``{"simulated": ..., "analytic": ..., "deviation_se": ...}``: the result of
    :func:`simulate_queue` (with its batch-means standard errors under ``se``), the Erlang C or
    Erlang A figures, and for each figure ``(simulated − analytic) / se`` (0 when both agree
    exactly, infinite when they differ with a zero standard error). The analytic side is
    computed first, so an unstable M/M/c (``λ ≥ cμ`` with patient callers) raises
    :class:`ValueError` before any simulation.
    """
    analytic = analytic_queue(servers, arrival_rate, service_rate, patience_rate)
    simulated = simulate_queue(servers, arrival_rate, service_rate, patience_rate,
                               horizon=horizon, warmup=warmup, seed=seed, batches=batches)
    deviation: dict[str, float] = {}
    for name in FIGURES:
        gap = simulated[name] - analytic[name]
        se = simulated["se"][name]
        deviation[name] = gap / se if se > 0 else (0.0 if gap == 0 else math.copysign(math.inf,
                                                                                       gap))
    return {"simulated": simulated, "analytic": analytic, "deviation_se": deviation}
