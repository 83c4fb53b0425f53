"""The self-cure and promise-chain anchors, and the validation table built from every check."""

from __future__ import annotations

import math

import pytest

from sim.validation.anchors import check_promise_chain, check_self_cure, markdown_table


@pytest.mark.parametrize(("rate", "horizon", "seed"), [(0.01, 60, 1), (0.003, 90, 2)])
def test_self_cure_matches_exponential_law(rate, horizon, seed):
    report = check_self_cure(rate, horizon, accounts=10_000, seed=seed)
    simulated, exact = report["simulated"]["share"], report["analytic"]["share"]
    assert exact == pytest.approx(1 - math.exp(-rate * horizon))
    assert abs(simulated - exact) < 4 * report["simulated"]["se"]


@pytest.mark.parametrize("keep", [0.25, 0.6])
def test_promise_chain_is_geometric(keep):
    report = check_promise_chain(keep, accounts=4_000, seed=3)
    for n in (1, 2, 3):
        simulated = report["simulated"][f"paid_within_{n}"]
        assert report["analytic"][f"paid_within_{n}"] == pytest.approx(1 - (1 - keep) ** n)
        assert abs(simulated - report["analytic"][f"paid_within_{n}"]) \
            < 4 * report["simulated"][f"se_{n}"], (keep, n)


def test_markdown_table_reports_the_largest_deviation():
    rows = [{"check": "a", "setting": "x", "simulated": 1.0, "analytic": 0.9, "se": 0.05,
             "deviation_se": 2.0},
            {"check": "b", "setting": "y", "simulated": 0.5, "analytic": 0.5, "se": 0.1,
             "deviation_se": -0.5}]
    text = markdown_table(rows)
    lines = text.splitlines()
    assert [line.split(" | ")[0] for line in lines[2:4]] == ["| a", "| b"]
    assert "Largest deviation: 2.00 standard errors." in text
