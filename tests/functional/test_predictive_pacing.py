"""The predictive dialler holds its abandonment target where cardholders also phone in and answer
more at some hours than others.

A dialler that paces by its abandoned calls alone overshoots there: callers take the collectors
it counted on, and the first hour of each shift answers more than the last hour of the one
before. Pacing by Erlang's loss formula on the collectors left after the expected callers, with
the hit rate learnt by time of the shift, keeps abandonment at or under ``abandon_target`` for
a small team and a larger one (the baseline's alpha at 17 collectors abandoned 6.1% of its
calls with pacing by feedback alone). It holds it as the rule and the ``abandon_rate`` KPI
measure it, abandoned over answered calls summed over the calls, over a whole placement and
for teams of a few collectors, whose intervals answer a dozen calls or fewer (steering on each
interval's share, averaged over intervals, both agencies of a 6,000-account baseline with 4
collectors each abandoned 3.6% of their calls, and with 2 each 5% to 8%). A saturated call
list is covered in ``tests/unit/test_agency_parts.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.model.replication import run_replication

SEEDS = (1, 2, 3)


@pytest.mark.slow
@pytest.mark.parametrize("collectors", [5, 9])
def test_predictive_pacing_holds_the_target_beside_callers(small_scenario, collectors):
    """Alpha dials predictively at a quarter of the baseline (5,000 accounts) with 5 collectors
    (a small team, where a loss system is least forgiving) or 9; over three seeds its share of
    answered calls abandoned is at most the 3% target plus two standard errors, and it uses
    most of the allowance."""
    rates, answered = [], []
    for seed in SEEDS:
        scenario = small_scenario('agencies.alpha.dialler="predictive"',
                                  accounts=5000, collectors=collectors, horizon=30)
        results = run_replication(scenario, seed=seed)
        daily = results.daily[results.daily.agency == "alpha"]
        calls = float(daily.answered_calls.sum())
        assert calls > 500
        rates.append(float(daily.abandoned_calls.sum()) / calls)
        answered.append(calls)
    mean = float(np.mean(rates))
    se = math.sqrt(mean * (1 - mean) / sum(answered))
    # intervals are correlated: the spread over seeds bounds the error as well
    se = max(se, float(np.std(rates, ddof=1)) / math.sqrt(len(rates)))
    assert mean <= 0.03 + 2 * se
    assert mean >= 0.015


@pytest.mark.slow
@pytest.mark.parametrize("collectors", [2, 4])
def test_predictive_pacing_holds_the_target_over_a_placement_with_a_small_team(small_scenario,
                                                                              collectors):
    """Both agencies dial predictively on 6,000 accounts over the 90-day placement with 4
    collectors each, or 2; over three seeds the ``abandon_rate`` KPI of each agency and of
    both is at most ``abandon_target`` plus two standard errors."""
    scenario = small_scenario('agencies.alpha.dialler="predictive"',
                              'agencies.beta.dialler="predictive"', accounts=6000,
                              collectors=collectors, horizon=90)
    target = scenario.agencies[0].abandon_target
    assert all(agency.abandon_target == target for agency in scenario.agencies)
    rates: dict[str, list[float]] = {"alpha": [], "beta": [], "total": []}
    answered = dict.fromkeys(rates, 0.0)
    for seed in SEEDS:
        results = run_replication(scenario, seed=seed)
        for name in rates:
            daily = results.daily[results.daily.agency == name]
            answered[name] += float(daily.answered_calls.sum())
            rates[name].append(results.kpi("abandon_rate", name))
    for name, rate in rates.items():
        mean = float(np.mean(rate))
        se = math.sqrt(target * (1 - target) / answered[name])
        se = max(se, float(np.std(rate, ddof=1)) / math.sqrt(len(rate)))
        assert answered[name] > 1000 * len(SEEDS) * collectors / 4
        assert mean <= target + 2 * se, (name, rate)
