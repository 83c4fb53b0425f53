"""Steady-state formulas for the M/M/c queue (Erlang C) and the M/M/c+M queue (Erlang A).

These are the analytic oracles the inbound callback queue is held against. Rates
are per unit of time (any unit, as long as all three or four agree); waits come back in the
same unit. Every figure refers to callers *arriving* in steady state:

* ``p_wait`` — probability an arrival finds every server busy and has to wait (by PASTA, the
  stationary probability that at least ``servers`` callers are present);
* ``mean_wait`` — mean time spent in the queue over *all* arrivals, those answered at once
  (who wait zero) and, in Erlang A, those who hang up (who wait their whole patience);
* ``p_abandon`` — probability an arrival hangs up before being answered (Erlang A only);
* ``utilization`` — long-run share of server time spent serving: carried load over servers.

Erlang C follows Kleinrock, *Queueing Systems* vol. 1 (1975), §3.5, computed through the
Erlang B recursion, which is numerically stable for any number of servers. Erlang A is the
Palm (1943) model with exponential patience, as analysed by Garnett, Mandelbaum & Reiman,
"Designing a call center with impatient customers", *M&SOM* 4(3), 2002, and Mandelbaum &
Zeltyn, "The Palm/Erlang-A queue, with applications to call centers" (2004/2007 teaching note).
It is computed here from its definition as a birth–death chain, summed in log space until the
tail is negligible, which is exact to rounding and needs no special functions.
"""

from __future__ import annotations

import math

import numpy as np

# Terms whose log-probability falls this far below the largest one are below 1e-20 of it.
_LOG_NEGLIGIBLE = 46.0
# Safety cap on the number of states summed in the birth–death chain.
_MAX_STATES = 20_000_000
_CHUNK = 4096


def _check_positive(**values: float) -> None:
    for name, value in values.items():
        if not (value > 0 and math.isfinite(value)):
            raise ValueError(f"{name} must be a positive finite number, got {value!r}")


def _check_servers(servers: int) -> None:
    if isinstance(servers, bool) or not isinstance(servers, int | np.integer) or servers < 1:
        raise ValueError(f"servers must be a positive integer, got {servers!r}")


def erlang_b(servers: int, offered_load: float) -> float:
    """Erlang B blocking probability for ``servers`` servers and offered load ``λ/μ``.

    Uses the recursion ``B(0) = 1``, ``B(k) = a·B(k−1) / (k + a·B(k−1))``, which never
    overflows (Kleinrock 1975, eq. 3.46; the standard way to evaluate Erlang's loss formula).
    """
    _check_servers(servers)
    if offered_load < 0 or not math.isfinite(offered_load):
        raise ValueError(f"offered_load must be a non-negative finite number, got {offered_load!r}")
    blocking = 1.0
    for k in range(1, int(servers) + 1):
        blocking = offered_load * blocking / (k + offered_load * blocking)
    return blocking


def erlang_c(servers: int, arrival_rate: float, service_rate: float) -> dict[str, float]:
    """Steady-state figures of the M/M/c queue (Erlang C).

    With offered load ``a = λ/μ`` and ``ρ = a/c < 1``, the probability of waiting is
    ``C = B / (1 − ρ(1 − B))`` with ``B`` the Erlang B probability, and the mean wait over all
    arrivals is ``Wq = C / (cμ − λ)`` (Kleinrock 1975, eqs. 3.40–3.43). Returns ``p_wait``,
    ``mean_wait``, ``p_abandon`` (always 0), ``utilization`` (``ρ``) and ``mean_queue``
    (``λ·Wq``, by Little's law). Raises :class:`ValueError` unless ``λ < cμ``.
    """
    _check_servers(servers)
    _check_positive(arrival_rate=arrival_rate, service_rate=service_rate)
    capacity = servers * service_rate
    if arrival_rate >= capacity:
        raise ValueError(
            f"M/M/c is unstable: arrival rate {arrival_rate} >= servers x service rate {capacity}")
    load = arrival_rate / service_rate
    rho = arrival_rate / capacity
    blocking = erlang_b(servers, load)
    p_wait = blocking / (1.0 - rho * (1.0 - blocking))
    mean_wait = p_wait / (capacity - arrival_rate)
    return {
        "p_wait": p_wait,
        "mean_wait": mean_wait,
        "p_abandon": 0.0,
        "utilization": rho,
        "mean_queue": arrival_rate * mean_wait,
    }


def _birth_death_log_terms(servers: int, arrival_rate: float, service_rate: float,
                           patience_rate: float) -> np.ndarray:
    """Unnormalised log stationary probabilities ``log π_n`` of the Erlang A chain.

    ``π_n ∝ Π_{k=1..n} λ / d_k`` with death rate ``d_k = min(k, c)·μ + max(k − c, 0)·θ``.
    States are generated in chunks until, past both ``c`` and the mode, a term falls
    ``_LOG_NEGLIGIBLE`` below the largest; the chain's ratios ``λ/d_k`` then only shrink, so
    the omitted tail is smaller than that term times a geometric series.
    """
    log_arrival = math.log(arrival_rate)
    pieces: list[np.ndarray] = [np.zeros(1)]
    last = 0.0
    peak = 0.0
    start = 1
    while True:
        k = np.arange(start, start + _CHUNK, dtype=np.float64)
        deaths = (np.minimum(k, servers) * service_rate
                  + np.maximum(k - servers, 0.0) * patience_rate)
        logs = last + np.cumsum(log_arrival - np.log(deaths))
        pieces.append(logs)
        last = float(logs[-1])
        peak = max(peak, float(logs.max()))
        start += _CHUNK
        end = start - 1
        ratio_end = arrival_rate / (min(end, servers) * service_rate
                                    + max(end - servers, 0) * patience_rate)
        if end > servers and ratio_end < 1.0 and last < peak - _LOG_NEGLIGIBLE:
            break
        if start > _MAX_STATES:
            raise ValueError(
                "Erlang A chain did not settle within "
                f"{_MAX_STATES} states; patience_rate {patience_rate} is too small for this load")
    return np.concatenate(pieces)


def erlang_a(servers: int, arrival_rate: float, service_rate: float,
             patience_rate: float) -> dict[str, float]:
    """Steady-state figures of the M/M/c+M queue (Erlang A, Palm's model of impatience).

    Callers arrive at rate ``λ``, are served at rate ``μ`` by ``c`` servers in order of
    arrival, and each hangs up after an exponential patience of rate ``θ`` if not answered by
    then. The number of callers present is a birth–death chain with birth rate ``λ`` and death
    rate ``min(n, c)·μ + max(n − c, 0)·θ`` (Garnett, Mandelbaum & Reiman 2002, §2), stable for
    any load when ``θ > 0``. From its stationary law ``π``:

    * ``p_wait = P(N ≥ c)`` (PASTA);
    * ``mean_queue = E[(N − c)⁺]`` and ``mean_wait = mean_queue / λ`` (Little's law, counting
      abandoners' waits);
    * ``p_abandon = θ·mean_queue / λ`` (each waiting caller hangs up at rate ``θ``);
    * ``utilization = λ(1 − p_abandon) / (cμ)`` (carried load over servers, equal to
      ``E[min(N, c)] / c``).

    These agree with the closed forms of Mandelbaum & Zeltyn (2007) in terms of the incomplete
    gamma function. ``patience_rate = 0`` (infinitely patient callers) gives Erlang C, and
    the figures tend continuously to Erlang C as ``θ → 0`` when ``λ < cμ``.
    """
    _check_servers(servers)
    _check_positive(arrival_rate=arrival_rate, service_rate=service_rate)
    if patience_rate == 0:
        return erlang_c(servers, arrival_rate, service_rate)
    _check_positive(patience_rate=patience_rate)
    logs = _birth_death_log_terms(servers, arrival_rate, service_rate, patience_rate)
    weights = np.exp(logs - logs.max())
    probabilities = weights / weights.sum()
    n = np.arange(len(probabilities), dtype=np.float64)
    p_wait = float(probabilities[servers:].sum())
    mean_queue = float(np.dot(probabilities[servers:], n[servers:] - servers))
    p_abandon = patience_rate * mean_queue / arrival_rate
    return {
        "p_wait": p_wait,
        "mean_wait": mean_queue / arrival_rate,
        "p_abandon": p_abandon,
        "utilization": arrival_rate * (1.0 - p_abandon) / (servers * service_rate),
        "mean_queue": mean_queue,
    }
