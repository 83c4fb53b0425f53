"""A dispute holds collection from the latest dispute where the regime does not ask for writing.

Under the Chinese, Taiwanese and UK rule books a dispute holds calls for 30 days however it is
raised. A cardholder who disputes again after the hold of an earlier, written dispute has ended
is held anew: with the hold read from the earlier letter's date, each of these rule books at
3,000 accounts let six later disputes be followed by calls inside their hold (91 calls) that
broke no rule on record.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sim.config.loading import load_scenario
from sim.model.replication import run_replication

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"

pytestmark = pytest.mark.slow  # a replication with the event log per regime


@pytest.mark.parametrize("name", ["china_rules", "taiwan_rules", "uk_breathing_space"])
def test_no_call_inside_a_disputes_hold_goes_unrecorded(name):
    scenario = load_scenario(SCENARIOS / f"{name}.toml", ["portfolio.accounts=3000"])
    limits = scenario.rules.limits()
    assert not limits.dispute_needs_writing and limits.dispute_hold_days > 0
    events = run_replication(scenario, seed=1, record_events=True).events
    disputes = events[events.outcome == "dispute"]
    calls = events[events.kind == "call"]
    assert disputes.account.duplicated().sum() >= 10  # cardholders who dispute again
    unrecorded = 0
    for account, times in disputes.groupby("account").time:
        called = calls[calls.account == account]
        for t in times:
            inside = called[(called.time > t)
                            & (called.time < math.ceil(t + limits.dispute_hold_days))]
            unrecorded += int((inside.rule_broken == "").sum())
    assert unrecorded == 0
