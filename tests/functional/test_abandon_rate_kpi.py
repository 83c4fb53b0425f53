"""``abandon_rate`` is a predictive dialler's: answered outbound calls abandoned with no collector
free, over the answered calls of the predictive diallers only.

Preview and progressive diallers never abandon a call: their rate is not a measured 0% but
missing (NaN), and the program's rate is not diluted by their answered calls.
"""

from __future__ import annotations

import math

import pytest

from sim.model.replication import run_replication


def test_only_predictive_diallers_have_an_abandon_rate(small_scenario):
    scenario = small_scenario('agencies.alpha.dialler="predictive"',
                              'agencies.beta.dialler="preview"', accounts=1500, collectors=3,
                              horizon=20)
    results = run_replication(scenario)
    daily = results.daily
    alpha = daily[daily.agency == "alpha"]
    beta = daily[daily.agency == "beta"]
    abandoned, answered = alpha.abandoned_calls.sum(), alpha.answered_calls.sum()
    assert abandoned > 0 and beta.answered_calls.sum() > 0
    assert beta.abandoned_calls.sum() == 0
    assert results.kpi("abandon_rate", "alpha") == pytest.approx(abandoned / answered)
    assert math.isnan(results.kpi("abandon_rate", "beta"))
    assert results.kpi("abandon_rate") == pytest.approx(abandoned / answered)


def test_without_a_predictive_dialler_no_abandon_rate(small_scenario):
    results = run_replication(small_scenario(accounts=600, collectors=2, horizon=10))
    assert results.kpis["abandon_rate"].isna().all()
    assert results.kpi("call_attempts") > 0
