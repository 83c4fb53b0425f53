"""The inbound callback queue held against Erlang C (M/M/c) and Erlang A (M/M/c+M).

First the analytic oracles themselves are checked against independent textbook forms (M/M/1,
the explicit Erlang C sum, the Poisson law of Erlang A with θ = μ, the Mandelbaum–Zeltyn
incomplete-gamma closed form, the θ → 0 limit). Then the model's own
:class:`sim.model.agency.inbound_queue.InboundQueue`, driven by
:func:`sim.validation.queue.simulate_queue`, must
match them from light load to 95% utilisation for 1, 5 and 20 servers, with and without
patience, every figure within four batch-means standard errors (fixed seeds,
tolerances from the standard error). Little's law is checked on the simulated path, and the
queue's own counters against what the harness saw caller by caller.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import gammainc, gammaln
from scipy.stats import poisson

import sim.model.agency.inbound_queue
import sim.validation.queue
from sim.validation.erlang import erlang_a, erlang_b, erlang_c
from sim.validation.queue import FIGURES, check_queue, simulate_queue

Z = 4.0  # tolerance in standard errors

# ---------------------------------------------------------------------------- oracles


def erlang_c_direct(servers: int, load: float) -> float:
    """Erlang C from its textbook sum (Kleinrock 1975, eq. 3.42), for small ``servers``."""
    rho = load / servers
    top = load**servers / math.factorial(servers) / (1.0 - rho)
    return top / (sum(load**k / math.factorial(k) for k in range(servers)) + top)


def erlang_a_closed_form(servers: int, arrival_rate: float, service_rate: float,
                         patience_rate: float) -> tuple[float, float]:
    """``P(W > 0)`` and ``P(Ab)`` from Mandelbaum & Zeltyn (2007), eqs. (3.1)–(3.4).

    ``A(x, y) = x·e^y·y^{−x}·γ(x, y)`` with ``γ`` the lower incomplete gamma function;
    ``P(W > 0) = A·E / (1 + (A − 1)·E)`` with ``E`` the Erlang B probability, and
    ``P(Ab | W > 0) = 1/(ρA) + 1 − 1/ρ`` with ``ρ = λ/(cμ)``.
    """
    x = servers * service_rate / patience_rate
    y = arrival_rate / patience_rate
    a = math.exp(math.log(x) + y - x * math.log(y) + gammaln(x) + math.log(gammainc(x, y)))
    blocking = erlang_b(servers, arrival_rate / service_rate)
    rho = arrival_rate / (servers * service_rate)
    p_wait = a * blocking / (1.0 + (a - 1.0) * blocking)
    return p_wait, p_wait * (1.0 / (rho * a) + 1.0 - 1.0 / rho)


@pytest.mark.parametrize("rho", [0.1, 0.5, 0.8, 0.95, 0.99])
@pytest.mark.parametrize("service_rate", [1.0, 12.0])
def test_erlang_c_single_server_is_mm1(rho: float, service_rate: float) -> None:
    arrival_rate = rho * service_rate
    figures = erlang_c(1, arrival_rate, service_rate)
    assert figures["p_wait"] == pytest.approx(rho, rel=1e-12)
    assert figures["mean_wait"] == pytest.approx(rho / (service_rate - arrival_rate), rel=1e-12)
    assert figures["utilization"] == pytest.approx(rho, rel=1e-12)
    assert figures["p_abandon"] == 0.0


@pytest.mark.parametrize(("servers", "load"), [(2, 1.0), (3, 2.5), (10, 8.0), (20, 19.0),
                                               (50, 30.0)])
def test_erlang_c_matches_the_textbook_sum(servers: int, load: float) -> None:
    figures = erlang_c(servers, load, 1.0)
    assert figures["p_wait"] == pytest.approx(erlang_c_direct(servers, load), rel=1e-10)
    assert figures["mean_wait"] == pytest.approx(figures["p_wait"] / (servers - load), rel=1e-12)


def test_erlang_c_known_values() -> None:
    # M/M/2 with a = 1: C = 1/3 and Wq = C/(cμ − λ) = 1/3; 10 servers at 8 Erlangs: C ≈ 0.4092
    assert erlang_c(2, 1.0, 1.0)["p_wait"] == pytest.approx(1 / 3, rel=1e-12)
    assert erlang_c(2, 1.0, 1.0)["mean_wait"] == pytest.approx(1 / 3, rel=1e-12)
    assert erlang_c(10, 8.0, 1.0)["p_wait"] == pytest.approx(0.40918, abs=1e-5)


def test_erlang_c_large_system_is_stable() -> None:
    figures = erlang_c(2000, 1950.0, 1.0)
    assert 0.0 < figures["p_wait"] < 1.0
    assert math.isfinite(figures["mean_wait"])


@pytest.mark.parametrize(("servers", "arrival_rate"), [(1, 1.0), (3, 3.5), (5, 5.0)])
def test_erlang_c_rejects_unstable_load(servers: int, arrival_rate: float) -> None:
    with pytest.raises(ValueError, match="unstable"):
        erlang_c(servers, arrival_rate, 1.0)
    with pytest.raises(ValueError, match="unstable"):
        check_queue(servers, arrival_rate, 1.0)


def test_erlang_rejects_nonsense_arguments() -> None:
    with pytest.raises(ValueError):
        erlang_c(0, 1.0, 2.0)
    with pytest.raises(ValueError):
        erlang_c(2, -1.0, 2.0)
    with pytest.raises(ValueError):
        erlang_a(2, 1.0, 2.0, -0.5)


@given(servers=st.integers(1, 60), load=st.floats(0.05, 80.0), service_rate=st.floats(0.1, 50.0))
@settings(max_examples=60, deadline=None)
def test_erlang_a_with_patience_equal_to_service_is_poisson(servers: int, load: float,
                                                            service_rate: float) -> None:
    # With θ = μ every caller present leaves at rate μ, served or not: N ~ Poisson(λ/μ).
    figures = erlang_a(servers, load * service_rate, service_rate, service_rate)
    n = np.arange(int(load + 40 * math.sqrt(load) + 60))
    pmf = poisson.pmf(n, load)
    queue = float(np.dot(pmf, np.maximum(n - servers, 0)))
    assert figures["p_wait"] == pytest.approx(poisson.sf(servers - 1, load), rel=1e-9, abs=1e-14)
    assert figures["mean_queue"] == pytest.approx(queue, rel=1e-9, abs=1e-14)
    assert figures["p_abandon"] == pytest.approx(queue / load, rel=1e-9, abs=1e-14)
    assert figures["mean_wait"] == pytest.approx(queue / (load * service_rate), rel=1e-9,
                                                 abs=1e-14)
    busy = float(np.dot(pmf, np.minimum(n, servers))) / servers
    assert figures["utilization"] == pytest.approx(busy, rel=1e-9, abs=1e-14)


@pytest.mark.parametrize(("servers", "arrival_rate", "service_rate", "patience_rate"), [
    (1, 0.8, 1.0, 3.0), (5, 4.0, 1.0, 0.5), (5, 6.0, 1.0, 0.5), (20, 19.0, 1.0, 0.2),
    (100, 110.0, 1.0, 0.05), (500, 480.0, 2.0, 1.5),
])
def test_erlang_a_matches_mandelbaum_zeltyn_closed_form(servers: int, arrival_rate: float,
                                                        service_rate: float,
                                                        patience_rate: float) -> None:
    figures = erlang_a(servers, arrival_rate, service_rate, patience_rate)
    p_wait, p_abandon = erlang_a_closed_form(servers, arrival_rate, service_rate, patience_rate)
    assert figures["p_wait"] == pytest.approx(p_wait, rel=1e-9)
    assert figures["p_abandon"] == pytest.approx(p_abandon, rel=1e-9)
    assert figures["mean_wait"] == pytest.approx(p_abandon / patience_rate, rel=1e-9)


@pytest.mark.parametrize(("servers", "arrival_rate", "service_rate"), [
    (1, 0.5, 1.0), (1, 0.95, 1.0), (5, 4.0, 1.0), (20, 19.0, 1.0), (50, 40.0, 3.0),
])
def test_erlang_a_tends_to_erlang_c(servers: int, arrival_rate: float,
                                    service_rate: float) -> None:
    c = erlang_c(servers, arrival_rate, service_rate)
    assert erlang_a(servers, arrival_rate, service_rate, 0.0) == c
    previous = math.inf
    for theta in (1e-2, 1e-4, 1e-6, 1e-8):
        a = erlang_a(servers, arrival_rate, service_rate, theta)
        gap = max(abs(a[name] - c[name]) / max(c[name], 1e-300) for name in
                  ("p_wait", "mean_wait", "utilization"))
        assert gap < previous
        previous = gap
    assert previous < 1e-5
    # impatience only shortens the queue
    assert erlang_a(servers, arrival_rate, service_rate, 0.3)["mean_wait"] < c["mean_wait"]


def test_erlang_a_is_stable_in_overload() -> None:
    figures = erlang_a(10, 15.0, 1.0, 0.5)
    assert figures["utilization"] < 1.0
    # in heavy overload nearly all servers are busy, and the excess λ − cμ mostly abandons
    assert figures["p_abandon"] == pytest.approx((15.0 - 10.0) / 15.0, rel=0.05)


# ---------------------------------------------------------------------------- simulation

# (servers, λ, μ, θ or None, seed): light to 95% utilisation, 1, 5 and 20 servers, with and
# without patience, overload with patience, and a service rate other than 1.
CASES: list[tuple[int, float, float, float | None, int]] = [
    (1, 0.3, 1.0, None, 11),
    (1, 0.7, 1.0, None, 12),
    (1, 0.95, 1.0, None, 13),
    (5, 2.5, 1.0, None, 21),
    (5, 4.0, 1.0, None, 22),
    (5, 4.75, 1.0, None, 23),
    (20, 12.0, 1.0, None, 31),
    (20, 17.0, 1.0, None, 32),
    (20, 19.0, 1.0, None, 33),
    (5, 40.0, 10.0, None, 24),
    (1, 0.8, 1.0, 0.5, 41),
    (5, 4.75, 1.0, 0.2, 42),
    (5, 6.0, 1.0, 0.5, 43),
    (20, 18.0, 1.0, 0.1, 44),
    (20, 22.0, 1.0, 1.0, 45),
    (5, 40.0, 10.0, 4.0, 46),
]


@cache
def checked(servers: int, arrival_rate: float, service_rate: float, patience_rate: float | None,
            seed: int) -> dict[str, Any]:
    return check_queue(servers, arrival_rate, service_rate, patience_rate, seed=seed)


def case_id(case: tuple[int, float, float, float | None, int]) -> str:
    servers, arrival_rate, service_rate, patience_rate, _ = case
    return f"c{servers}-l{arrival_rate}-m{service_rate}-t{patience_rate}"


# One patient and one impatient case run in the fast loop; the rest (about a second each) are
# marked slow.
FAST_CASES = {(1, 0.7, 1.0, None, 12), (5, 6.0, 1.0, 0.5, 43)}
CASE_PARAMS = [pytest.param(case, id=case_id(case),
                            marks=() if case in FAST_CASES else pytest.mark.slow)
               for case in CASES]


def test_harness_drives_the_models_own_queue() -> None:
    assert sim.validation.queue.InboundQueue is sim.model.agency.inbound_queue.InboundQueue


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_simulated_queue_matches_erlang(case: tuple[int, float, float, float | None, int]) -> None:
    result = checked(*case)
    simulated, analytic = result["simulated"], result["analytic"]
    assert simulated["customers"] > 150_000
    for name in FIGURES:
        se = simulated["se"][name]
        if name == "p_abandon" and case[3] is None:
            assert simulated[name] == 0.0 and se == 0.0
            continue
        assert se > 0.0, name
        assert abs(simulated[name] - analytic[name]) <= Z * se, (
            f"{name}: simulated {simulated[name]:.5g} analytic {analytic[name]:.5g} "
            f"se {se:.3g} ({result['deviation_se'][name]:+.2f} se)")


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_queue_counters_agree_with_each_caller(
        case: tuple[int, float, float, float | None, int]) -> None:
    counters = checked(*case)["simulated"]["counters"]
    own, seen = counters["queue"], counters["harness"]
    for name in ("arrivals", "served", "served_immediately", "abandoned", "censored"):
        assert own[name] == seen[name], name
    assert own["total_wait"] == pytest.approx(seen["total_wait"], rel=1e-9)
    assert own["arrivals"] == own["served"] + own["abandoned"] + own["censored"]


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_littles_law_on_the_simulated_queue(
        case: tuple[int, float, float, float | None, int]) -> None:
    # time-average number waiting (integrated over the measurement period) = λ × mean wait;
    # tolerance from the batch-means standard error of the per-batch difference
    servers, arrival_rate, service_rate, _, _ = case
    simulated = checked(*case)["simulated"]
    batches = simulated["per_batch"]
    gaps = np.asarray(batches["mean_queue"]) - arrival_rate * np.asarray(batches["mean_wait"])
    se = float(np.std(gaps, ddof=1) / math.sqrt(len(gaps)))
    gap = simulated["mean_queue"] - arrival_rate * simulated["mean_wait"]
    assert abs(gap) <= Z * se + 1e-12
    # and on the servers: time-average busy servers = served arrival rate × mean service time
    carried = arrival_rate * (1.0 - simulated["p_abandon"]) / (servers * service_rate)
    busy = np.asarray(batches["utilization"])
    served_share = 1.0 - np.asarray(batches["p_abandon"])
    gaps = busy - arrival_rate * served_share / (servers * service_rate)
    se = float(np.std(gaps, ddof=1) / math.sqrt(len(gaps)))
    assert abs(simulated["utilization"] - carried) <= Z * se


def test_simulation_is_reproducible_and_seeded() -> None:
    first = simulate_queue(3, 2.4, 1.0, 0.5, horizon=5000.0, warmup=500.0, seed=7)
    again = simulate_queue(3, 2.4, 1.0, 0.5, horizon=5000.0, warmup=500.0, seed=7)
    other = simulate_queue(3, 2.4, 1.0, 0.5, horizon=5000.0, warmup=500.0, seed=8)
    assert first == again
    assert first["mean_wait"] != other["mean_wait"]


def test_patience_none_and_zero_mean_patient_callers() -> None:
    none = simulate_queue(2, 1.5, 1.0, None, horizon=4000.0, warmup=400.0, seed=3)
    zero = simulate_queue(2, 1.5, 1.0, 0.0, horizon=4000.0, warmup=400.0, seed=3)
    assert none == zero
    assert none["p_abandon"] == 0.0


def test_simulate_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        simulate_queue(0, 1.0, 1.0)
    with pytest.raises(ValueError):
        simulate_queue(1, 0.5, 1.0, horizon=100.0, warmup=100.0)
    with pytest.raises(ValueError):
        simulate_queue(1, 0.5, 1.0, patience_rate=-1.0)
    with pytest.raises(ValueError):
        simulate_queue(1, 0.5, 1.0, batches=1)


@pytest.mark.slow
@pytest.mark.parametrize(("servers", "arrival_rate", "patience_rate", "seed"), [
    (1, 0.95, None, 101), (20, 19.0, 0.2, 102),
])
def test_long_run_at_95_percent(servers: int, arrival_rate: float, patience_rate: float | None,
                                seed: int) -> None:
    # a million callers: standard errors a little over twice as tight as the cases above
    result = check_queue(servers, arrival_rate, 1.0, patience_rate,
                         horizon=1_000_000 / arrival_rate, seed=seed)
    for name in FIGURES:
        assert abs(result["deviation_se"][name]) <= Z, (name, result["deviation_se"][name])
