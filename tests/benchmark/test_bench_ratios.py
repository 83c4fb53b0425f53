"""Performance ratios, measured within one process (skipped unless ``COLLECTSIM_BENCH=1``).

Absolute times on a shared machine are noise; what is checked is how fast one thing runs
beside another in the same run. The inbound queue must simulate an M/M/c+M workload at least
twice as fast as Ciw, both agreeing with Erlang A within 4 of their own standard errors. The
model-versus-kernel figures must be finite and positive; the DESIGN target (the model at half
the bare kernel's event rate) is reported, not asserted.
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
    from sim.bench_queue import bench_queue

    figures = bench_queue()
    print(f"\nqueue: ours {figures['ours_customers_per_second']:,.0f} customers/s, Ciw "
          f"{figures['ciw_customers_per_second']:,.0f} customers/s, "
          f"ciw_ratio {figures['ciw_ratio']:.2f}")
    assert figures["ciw_ratio"] >= 2
    for side in ("ours", "ciw"):
        for name, deviation in figures[side]["deviation_se"].items():
            assert abs(deviation) <= 4, (side, name, figures[side], figures["erlang_a"])


def test_model_against_kernel_figures_are_finite_and_positive() -> None:
    from sim.bench import bench_model

    figures = bench_model(20_000)
    print(f"\nmodel: {figures['events_per_second']:,.0f} events/s, kernel "
          f"{figures['kernel_events_per_second']:,.0f} events/s, kernel_ratio "
          f"{figures['kernel_ratio']:.3f} (target 0.5)")
    for key in ("wall_seconds", "events", "events_per_second", "kernel_events_per_second",
                "kernel_wall_seconds", "kernel_ratio", "accounts_per_second", "peak_rss_mb"):
        value = float(figures[key])
        assert math.isfinite(value) and value > 0, (key, value)
