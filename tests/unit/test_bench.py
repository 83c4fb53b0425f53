"""The benchmark helpers without running the model: the queue-vs-Ciw run on a tiny workload
and bad input (the side-by-side and scaling helpers are in ``test_bench_revisions.py``).
Benchmarks of model runs are in ``tests/functional/test_bench_model.py``."""

from __future__ import annotations

import math
import random
import sys

import pytest

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
    theory = figures["erlang_a"]
    assert 0 < theory["p_abandon"] < 1
    ours, ciw = figures["ours"], figures["ciw"]
    for result in (ours, ciw):
        # about the asked-for arrivals, of whom those after the warm-up tenth are measured
        assert 1_500 < result["arrivals"] < 2_500
        assert 0.75 * result["arrivals"] < result["measured"] <= result["arrivals"]
        assert result["wall_seconds"] > 0
        # both simulators, run on the same workload, agree with Erlang A in their own errors
        for name in ("p_abandon", "mean_wait"):
            se = result["se"][name]
            assert se > 0
            assert abs(result[name] - theory[name]) <= 4 * se, (name, result, theory)
            assert abs(result["deviation_se"][name]) <= 4
    # ... and with each other
    for name in ("p_abandon", "mean_wait"):
        gap = abs(ours[name] - ciw[name])
        assert gap <= 4 * math.hypot(ours["se"][name], ciw["se"][name]), name


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


def test_bench_of_a_bad_scenario_is_one_line_per_problem_and_exit_2(
        tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[portfolio]\naccounts = -5\n", encoding="utf-8")
    assert main(["bench", "--scenario", str(bad)]) == 2
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert all(line.startswith(f"error: {bad}: ") for line in lines), err
    fields = {line.removeprefix(f"error: {bad}: ").split(":")[0] for line in lines}
    assert fields == {"scenario", "agencies", "portfolio.segments", "portfolio.accounts"}
