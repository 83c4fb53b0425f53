"""The benchmark helpers on tiny workloads: the queue-vs-Ciw run and the baseline scaling."""

from __future__ import annotations

import math
import random
import sys

import pytest

from sim.bench.model import scaled_overrides
from sim.cli.main import main


def test_bench_queue_runs_a_tiny_workload() -> None:
    pytest.importorskip("ciw")
    from sim.bench.queue import bench_queue

    state = random.getstate()
    figures = bench_queue(customers=2_000)
    assert random.getstate() == state  # Ciw's reseeding of ``random`` is undone
    assert figures["customers"] == 2_000
    for key in ("ours_customers_per_second", "ciw_customers_per_second", "ciw_ratio"):
        assert math.isfinite(figures[key]) and figures[key] > 0
    assert figures["ciw_ratio"] == pytest.approx(
        figures["ours_customers_per_second"] / figures["ciw_customers_per_second"])
    for side in ("ours", "ciw"):
        result = figures[side]
        assert 1_500 < result["arrivals"] < 2_500
        assert 0 < result["measured"] <= result["arrivals"]
        assert 0 <= result["p_abandon"] <= 1 and result["mean_wait"] >= 0
        for name in ("p_abandon", "mean_wait"):
            assert result["se"][name] > 0
            assert result["deviation_se"][name] == pytest.approx(
                (result[name] - figures["erlang_a"][name]) / result["se"][name])
    assert 0 < figures["erlang_a"]["p_abandon"] < 1


def test_bench_queue_is_reproducible_for_a_seed() -> None:
    pytest.importorskip("ciw")
    from sim.bench.queue import bench_queue

    first, second = (bench_queue(customers=500, seed=3) for _ in range(2))
    for side in ("ours", "ciw"):
        for name in ("p_abandon", "mean_wait", "arrivals"):
            assert first[side][name] == second[side][name]


def test_bench_queue_rejects_a_bad_workload() -> None:
    from sim.bench.queue import bench_queue

    with pytest.raises(ValueError, match="servers"):
        bench_queue(servers=0)
    with pytest.raises(ValueError, match="patience_rate"):
        bench_queue(patience_rate=0.0)
    with pytest.raises(ValueError, match="customers"):
        bench_queue(customers=10)


def test_bench_queue_without_ciw_is_one_line_and_exit_2(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "ciw", None)  # as if Ciw were not installed
    assert main(["bench", "--queue"]) == 2
    err = capsys.readouterr().err
    assert err == "error: bench --queue: needs Ciw: pip install -e '.[bench]'\n"


@pytest.mark.parametrize("argv", [["bench", "--customers", "5000"],
                                  ["bench", "--servers", "3"],
                                  ["bench", "--queue", "--accounts", "100"],
                                  ["bench", "--queue", "--customers", "10"],
                                  ["bench", "--queue", "--arrival-rate", "-1"],
                                  ["bench", "--queue", "--scenario", "scenarios/baseline.toml"],
                                  ["bench", "--accounts", "0"]])
def test_bench_options_out_of_place_are_bad_input(
        argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --") and err.count("\n") == 1


def test_bench_queue_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("ciw")
    import json

    assert main(["bench", "--queue", "--customers", "500", "--format", "json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert {"customers", "ours_customers_per_second", "ciw_customers_per_second", "ciw_ratio",
            "ours", "ciw", "erlang_a"} <= set(figures)


def test_scaled_overrides_scale_collectors_in_proportion() -> None:
    assert scaled_overrides(20_000) == ["portfolio.accounts=20000",
                                        "agencies.alpha.collectors=20",
                                        "agencies.beta.collectors=20"]
    assert scaled_overrides(50_000) == ["portfolio.accounts=50000",
                                        "agencies.alpha.collectors=50",
                                        "agencies.beta.collectors=50"]
    assert scaled_overrides(5_000, base_accounts=10_000, collectors={"a": 8, "b": 6}) == [
        "portfolio.accounts=5000", "agencies.a.collectors=4", "agencies.b.collectors=3"]
    # never fewer than one collector, however small the portfolio
    assert scaled_overrides(10) == ["portfolio.accounts=10", "agencies.alpha.collectors=1",
                                    "agencies.beta.collectors=1"]


def test_bench_scaling_reports_consistent_ratios_on_a_tiny_portfolio() -> None:
    from sim.bench.model import bench_scaling

    figures = bench_scaling(1_000, 3)
    assert figures["scaled_accounts"] == 3_000 and figures["factor"] == 3
    assert figures["time_ratio"] == pytest.approx(
        figures["scaled_wall_seconds"] / figures["wall_seconds"])
    # three times the accounts and collectors give about three times the events
    assert 2.0 < figures["events_ratio"] < 4.5
    for key in ("time_ratio", "kernel_time_ratio", "model_work_time_ratio", "peak_rss_mb",
                "kernel_ratio", "scaled_kernel_ratio"):
        assert math.isfinite(float(figures[key])) and float(figures[key]) > 0, key


def test_bench_runs_any_scenario_with_its_collectors_scaled(
        capsys: pytest.CaptureFixture[str]) -> None:
    import json
    from pathlib import Path

    from sim.bench.model import scenario_at

    three = Path(__file__).resolve().parents[2] / "scenarios" / "three_agencies.toml"
    own = scenario_at(None, three)
    half = scenario_at(own.portfolio.accounts // 2, three)
    assert half.portfolio.accounts == own.portfolio.accounts // 2
    for mine, theirs in zip(half.agencies, own.agencies, strict=True):
        assert mine.collectors == max(1, round(theirs.collectors / 2))
    assert main(["bench", "--scenario", str(three), "--accounts", "600", "--format",
                 "json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["accounts"] == 600 and figures["events"] > 0


def test_bench_of_a_bad_scenario_is_one_line_and_exit_2(
        tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[portfolio]\naccounts = -5\n", encoding="utf-8")
    assert main(["bench", "--scenario", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {bad}") and err.count("\n") == 1
