"""KPIs per segment: they add up to the program's, each is measured against its own part of the
control group, and they reach the results folder, the JSON and the terminal."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from support import BASELINE, call

from sim.model.replication import run_replication

ADDITIVE = ("accounts", "balance_placed", "collected", "commission", "waived",
            "outstanding_at_recall", "on_plan_at_recall", "rule_violations", "conversations",
            "promises", "call_attempts")


@pytest.fixture(scope="module")
def result(small_scenario):
    scenario = small_scenario("bank.control_share=0.2", accounts=3000, collectors=3)
    return run_replication(scenario, seed=8, keep_accounts=True)


def test_segments_add_up_to_the_total(result):
    segments, total = result.segments, result.kpis.loc["total"]
    assert list(segments.index) == ["money_management", "income_shock", "misunderstanding"]
    for kpi in ADDITIVE:
        assert segments[kpi].sum() == pytest.approx(total[kpi], rel=1e-12, abs=1e-6), kpi
    collected = segments.collected.sum()
    assert (segments.collected / segments.balance_placed).min() <= total.recovery_rate \
        <= (segments.collected / segments.balance_placed).max()
    assert collected > 0


def test_each_segment_is_compared_with_its_own_control(result):
    accounts = result.accounts
    for name, row in result.segments.iterrows():
        held = accounts[(accounts.segment == name) & accounts.control]
        placed = accounts[(accounts.segment == name) & ~accounts.control]
        control_recovery = held.collected.sum() / held.balance_placed.sum()
        assert row.recovery_uplift == pytest.approx(
            placed.collected.sum() / placed.balance_placed.sum() - control_recovery, rel=1e-9)
        assert row.accounts == len(placed)


def test_segments_reach_the_folder_the_json_and_the_table(tmp_path):
    sets = ["--set", "portfolio.accounts=400", "--set", "scenario.horizon_days=20",
            "--scale-collectors"]
    status, stdout, stderr = call(["run", BASELINE, *sets, "--reps", "2", "--workers", "1",
                                   "--out", tmp_path / "r", "--quiet", "--no-figures",
                                   "--format", "json"])
    assert status == 0, stderr
    segments = json.loads(stdout)["kpis"]["segments"]
    assert set(segments) == {"money_management", "income_shock", "misunderstanding"}
    assert set(segments["income_shock"]["cure_rate"]) == {"mean", "sd", "ci95"}
    table = pd.read_csv(tmp_path / "r" / "segments.csv")
    assert sorted(table.replication.unique()) == [0, 1]
    assert set(table.segment) == set(segments)
    status, stdout, _ = call(["run", BASELINE, *sets, "--out", tmp_path / "t",
                              "--quiet", "--no-figures", "--by", "segment"])
    assert status == 0
    header = stdout.splitlines()[1].split()
    assert header == ["money_management", "income_shock", "misunderstanding", "total", "control"]
    assert np.isfinite(table.cure_rate).all()
