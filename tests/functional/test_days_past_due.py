"""Days past due as a driver of behaviour (``behaviour.stage.dpd_*``).

The effects are 0 by default; the backtests hold the shipped scenarios' figures unchanged.
"""

from __future__ import annotations

import numpy as np

from sim.model.replication import run_replication


def _cohorts(result):
    table = result.accounts
    early = table["days_past_due"] <= 45
    late = table["days_past_due"] >= 75
    return table, early, late


def test_later_accounts_answer_less_when_the_effect_is_on(small_scenario):
    result = run_replication(small_scenario("behaviour.stage.dpd_answer=-0.5", accounts=3000),
                             keep_accounts=True)
    table, early, late = _cohorts(result)
    answered = table["conversations"] / table["attempts"].where(table["attempts"] > 0)
    early_rate, late_rate = answered[early].mean(), answered[late].mean()
    se = np.sqrt(answered[early].var() / early.sum() + answered[late].var() / late.sum())
    assert early_rate - late_rate > 4 * se


def test_later_accounts_cure_less_when_the_effect_is_on(small_scenario, no_messages):
    silent = small_scenario("behaviour.stage.dpd_cure=-1.0", accounts=6000, collectors=0,
                            each=no_messages)
    table, early, late = _cohorts(run_replication(silent, keep_accounts=True))
    p_early, p_late = table["self_cured"][early].mean(), table["self_cured"][late].mean()
    se = np.sqrt(p_early * (1 - p_early) / early.sum() + p_late * (1 - p_late) / late.sum())
    assert p_early - p_late > 4 * se

