"""``collectsim check staffing``: the analytic head-count, the scenario simulated at it and 25%
either side, table and JSON, and one-line errors for bad input."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import pytest
from support import AGENCIES, BASELINE, TINY, assert_bad_input, call

from sim.experiment.staffing import FACTORS, METRICS
from sim.model.kpis import lookup

# a first-attempt deadline of one day makes the head-count bind on a small portfolio
BINDING = ["--set", "portfolio.accounts=600", "--set", "scenario.horizon_days=10",
           "--set", "agencies.alpha.first_attempt_sla_days=1",
           "--set", "agencies.beta.first_attempt_sla_days=1",
           "--set", 'agencies.alpha.dialler="predictive"', "--workers", "1"]
ANALYTIC_KEYS = {"agency", "dialler", "collectors_in_file", "accounts_per_vintage", "vintages",
                 "sla_days", "window_shift_hours", "outcomes", "minutes_per_dial",
                 "workload_hours", "collectors_for_sla", "answered_per_hour", "handle_minutes",
                 "collectors_for_abandon", "abandon_at_plan", "collectors", "notes"}


def _staffing(*extra: str) -> tuple[int, str, str]:
    return call(["check", "staffing", BASELINE, *extra])


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    status, out, err = _staffing(*BINDING, "--seed", "3", "--format", "json")
    assert status == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def test_analytic_table_alone_is_quick_and_names_each_agency() -> None:
    status, out, err = _staffing(*TINY, "--reps", "0")
    assert status == 0, err
    assert "simulated" not in out
    for agency in AGENCIES:
        assert agency in out.splitlines()[1]
    assert "collectors to plan" in out and "collector minutes a dial" in out


def test_json_has_the_documented_keys(report: dict[str, Any]) -> None:
    assert set(report) == {"scenario", "seed", "reps", "sla_share", "abandon", "utilization",
                           "analytic", "simulated"}
    assert report["reps"] == 3 and report["seed"] == 3 and report["sla_share"] == 0.95
    assert set(report["analytic"]) == set(AGENCIES)
    for plan in report["analytic"].values():
        assert set(plan) == ANALYTIC_KEYS
    alpha, beta = report["analytic"]["alpha"], report["analytic"]["beta"]
    assert alpha["collectors"] == max(alpha["collectors_for_sla"],
                                      alpha["collectors_for_abandon"])
    assert alpha["abandon_at_plan"] <= 0.03
    assert beta["collectors_for_abandon"] is None and beta["collectors"] > 0
    assert [level["factor"] for level in report["simulated"]] == list(FACTORS)
    for level in report["simulated"]:
        assert set(level["collectors"]) == set(AGENCIES)
        for agency in AGENCIES:
            for metric in METRICS:
                assert set(level["kpis"][agency][metric]) == {"mean", "sd", "ci95", "n"}
                # beta's progressive dialler never abandons a call: it has no abandon rate
                measured = 0 if (agency, metric) == ("beta", "abandon_rate") else 3
                assert level["kpis"][agency][metric]["n"] == measured
    at_plan = report["simulated"][FACTORS.index(1.0)]["collectors"]
    assert at_plan == {a: report["analytic"][a]["collectors"] for a in AGENCIES}


def test_more_collectors_than_the_plan_never_lower_the_service_level(
        report: dict[str, Any]) -> None:
    """Each step up from the plan (same seed: the same cardholders answer the same calls)
    keeps the first-attempt share within one standard error of the difference."""
    metric = "first_attempt_sla_share"
    levels = [level for level in report["simulated"] if level["factor"] >= 1.0]
    for agency in AGENCIES:
        for lower, upper in itertools.pairwise(levels):
            assert upper["collectors"][agency] > lower["collectors"][agency]
            a, b = lower["kpis"][agency][metric], upper["kpis"][agency][metric]
            se = math.sqrt(a["sd"] ** 2 / a["n"] + b["sd"] ** 2 / b["n"])
            assert b["mean"] >= a["mean"] - se, (agency, a, b)


def test_table_sets_the_simulation_beside_the_plan() -> None:
    status, out, err = _staffing(*TINY, "--reps", "2", "--workers", "1")
    assert status == 0, err
    assert "collectors to plan" in out
    simulated = out.split("simulated:", 1)[1]
    for metric in METRICS:
        assert lookup(metric).label in simulated
    rows = [line.split() for line in simulated.splitlines() if line.split()[:1] in
            ([a] for a in AGENCIES)]
    assert len(rows) == len(AGENCIES) * len(FACTORS)
    assert all("%" in " ".join(row[3:]) for row in rows)


@pytest.mark.parametrize(("extra", "fragment"), [
    (["--sla-share", "0"], "--sla-share"),
    (["--sla-share", "1.5"], "--sla-share"),
    (["--sla-share", "nan"], "--sla-share"),
    (["--utilization", "0"], "--utilization"),
    (["--abandon", "1"], "--abandon"),
    (["--reps", "-1"], "--reps"),
    (["--seed", "-1"], "--seed"),
    (["--agency", "nobody"], "--agency"),
    (["--set", "portfolio.accounts=-5"], "portfolio.accounts")])
def test_bad_input_is_one_line(extra: list[str], fragment: str) -> None:
    assert_bad_input(*_staffing(*TINY, "--reps", "0", *extra), fragment)


def test_a_missing_scenario_file_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.toml"
    assert_bad_input(*call(["check", "staffing", missing, "--reps", "0"]), str(missing))


def test_an_agency_with_no_first_placement_share_is_refused() -> None:
    status, out, err = call(["check", "staffing", BASELINE.parent / "second_placement.toml",
                             "--reps", "0", "--agency", _second_agency()])
    assert_bad_input(status, out, err, "--agency")


def _second_agency() -> str:
    from sim.config.loading import load_scenario
    name = load_scenario(BASELINE.parent / "second_placement.toml").bank.second_placement
    assert name is not None
    return name


def test_the_planned_head_count_survives_scale_collectors() -> None:
    """``--scale-collectors`` scales the file's head-counts, never the ones simulated."""
    status, out, err = _staffing("--set", "portfolio.accounts=200", "--set",
                                 "scenario.horizon_days=5", "--scale-collectors", "--reps", "1",
                                 "--workers", "1", "--format", "json")
    assert status == 0, err
    report = json.loads(out)
    assert all(p["collectors_in_file"] == 1 for p in report["analytic"].values())
    for level in report["simulated"]:
        for agency, count in level["collectors"].items():
            planned = report["analytic"][agency]["collectors"]
            if level["factor"] == 1.0:
                assert count == planned
            elif level["factor"] > 1.0:
                assert count > planned
            else:
                assert 1 <= count <= planned
