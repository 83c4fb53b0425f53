"""Performance ratios, measured within one run (skipped unless ``COLLECTSIM_BENCH=1``).

Absolute times on a shared machine are noise; what is checked is how fast one thing runs
beside another in the same run. The inbound queue must simulate an M/M/c+M workload at least
twice as fast as Ciw, both agreeing with Erlang A within 4 of their own standard errors; eight
replications on 2 workers must run at least 1.8 times as fast as serially, with identical
results; and peak memory measured at 20,000 and 200,000 accounts (each in its own process) must
extrapolate to at most 1.5 GB at a million. The model's account-days per second are printed;
its speed against another revision is measured by ``collectsim bench --against`` (README,
Performance).
"""

from __future__ import annotations

import math
import os

import pytest

pytestmark = [
    pytest.mark.benchmark,
    pytest.mark.skipif(os.environ.get("COLLECTSIM_BENCH") != "1",
                       reason="benchmarks run only with COLLECTSIM_BENCH=1"),
]


def test_queue_beats_ciw_and_both_match_erlang_a() -> None:
    pytest.importorskip("ciw")
    from sim.bench.queue import bench_queue

    figures = bench_queue()
    print(f"\nqueue: ours {figures['ours_customers_per_second']:,.0f} customers/s, Ciw "
          f"{figures['ciw_customers_per_second']:,.0f} customers/s, "
          f"ciw_ratio {figures['ciw_ratio']:.2f}")
    assert figures["ciw_ratio"] >= 2
    for side in ("ours", "ciw"):
        for name, deviation in figures[side]["deviation_se"].items():
            assert abs(deviation) <= 4, (side, name, figures[side], figures["erlang_a"])


def test_model_figures_are_finite_and_positive() -> None:
    from sim.bench.model import bench_model

    figures = bench_model(20_000)
    print(f"\nmodel: {figures['account_days_per_second']:,.0f} account-days/s "
          f"({figures['wall_seconds']:.2f} s for {figures['account_days']:,} account-days)")
    for key in ("wall_seconds", "account_days", "account_days_per_second", "peak_rss_mb"):
        value = float(figures[key])
        assert math.isfinite(value) and value > 0, (key, value)


def test_two_workers_run_replications_at_least_1_8_times_as_fast() -> None:
    import time

    from sim.config.loading import load_scenario
    from sim.experiment.replicate import replicate

    scenario = load_scenario(os.path.join(os.path.dirname(__file__), "..", "..", "scenarios",
                                          "baseline.toml"))
    started = time.perf_counter()
    serial = replicate(scenario, 8, backend="serial")
    serial_seconds = time.perf_counter() - started
    started = time.perf_counter()
    parallel = replicate(scenario, 8, backend="process", workers=2)
    parallel_seconds = time.perf_counter() - started
    ratio = serial_seconds / parallel_seconds
    print(f"\n8 replications: serial {serial_seconds:.1f} s, 2 workers {parallel_seconds:.1f} s, "
          f"ratio {ratio:.2f} (target 1.8)")
    assert parallel.kpis.equals(serial.kpis)
    assert ratio >= 1.8


def test_memory_fits_a_million_accounts_in_1_5_gb() -> None:
    from sim.bench import revisions
    from sim.bench.model import BASELINE

    small, large = (revisions.run_timer(None, revisions.CURRENT_ROOT,
                                        {"scenario": str(BASELINE), "accounts": accounts})
                    for accounts in (20_000, 200_000))
    per_account = (large["peak_rss_mb"] - small["peak_rss_mb"]) / 180_000
    at_a_million = large["peak_rss_mb"] + per_account * 800_000
    print(f"\npeak memory, each in its own process: {small['peak_rss_mb']:,.0f} MiB at 20,000 "
          f"accounts, {large['peak_rss_mb']:,.0f} MiB at 200,000; {per_account * 1024:,.2f} "
          f"KiB per account, so {at_a_million:,.0f} MiB at a million")
    assert at_a_million <= 1.5 * 1000**3 / 2**20
