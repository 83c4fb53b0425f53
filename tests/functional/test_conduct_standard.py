"""Conduct on one standard: compliance that breaks nothing, and no regime that looks kinder by
having fewer rules.

* A desk whose controls catch every slip (``compliance = 1``) breaks no rule of any regime,
  whatever its slip rates in ``[agencies.conduct]``: no violation in the KPI, in the accounts
  table, in the daily table or in the event log — for an agency and the bank's own team alike.
* Conduct breaches are counted against the reference standard (Regulation F by default)
  whatever regime is in force, so removing the rules (``regime = "none"``) never shows fewer
  breaches than Regulation F, nor a kinder customer-experience index, on the same seeds.
"""

from __future__ import annotations

import math
from typing import get_args

import numpy as np
import pytest

from sim.config.schema.rules import Regime
from sim.model.replication import run_replication
from sim.model.results import TOTAL

REGIMES: tuple[str, ...] = get_args(Regime)
# every slip as likely as it can be: only the controls stand between the desk and a breach
WORST_CONDUCT = {"conduct.wrong_time_zone": 1.0, "conduct.manual_redial": 1.0,
                 "conduct.posting_days": 60.0, "conduct.wrong_party_disclosure": 1.0,
                 "conduct.voicemail_share": 1.0, "conduct.voicemail_disclosure": 1.0}
PUSHY = {"max_attempts_per_day": 6, "retry_hours": 0.5, "shift.start": "07:00",
         "shift.end": "23:00", "sms.every_days": 1}


def run_worst_conduct(small_scenario, regime: str, compliance: float):
    """An agency and the bank's own team, pushy and with every slip certain but for their
    controls, under ``regime``."""
    scenario = small_scenario(f'rules.regime="{regime}"', 'agencies.beta.kind="in_house"',
                              "portfolio.segments.income_shock.breathing_space_request=0.5",
                              accounts=150, collectors=2, horizon=20,
                              each={**PUSHY, **WORST_CONDUCT, "compliance": compliance})
    return scenario, run_replication(scenario, seed=5, record_events=True, keep_accounts=True)


@pytest.mark.parametrize("regime", REGIMES)
def test_full_compliance_breaks_no_rule_under_any_regime(small_scenario, regime):
    """With ``compliance = 1`` not one contact is a violation, whatever the slip rates."""
    scenario, results = run_worst_conduct(small_scenario, regime, 1.0)
    calls = results.events[results.events.kind == "call"]
    assert len(calls) > 300 and set(calls.agency) == {0, 1}
    assert results.kpi("rule_violations") == 0
    for agency in scenario.agencies:
        assert results.kpi("rule_violations", agency.name) == 0
    assert (results.events.rule_broken == "").all()
    assert results.accounts.violations.sum() == 0
    assert results.daily.violations.sum() == 0
    # no slip got through: no wrong party or voicemail was told about the debt
    assert not results.events.outcome.isin(["wrong_party_disclosed",
                                            "voicemail_disclosed"]).any()


@pytest.mark.parametrize("regime", REGIMES)
def test_controls_that_miss_a_slip_in_ten_let_violations_through(small_scenario, regime):
    """The same desks with ``compliance = 0.9`` break the rules of every regime that has any."""
    _, results = run_worst_conduct(small_scenario, regime, 0.9)
    assert (results.kpi("rule_violations") > 0) == (regime != "none")
    assert results.events.outcome.isin(["wrong_party_disclosed", "voicemail_disclosed"]).any()


@pytest.mark.slow
def test_without_rules_conduct_is_never_better_than_under_regulation_f(small_scenario):
    """Paired on seeds 1-10 (the same cardholders and draws), the baseline's agencies under
    ``regime = "none"`` breach the reference standard at least as often as under Regulation F,
    seed by seed, and more on average by over three standard errors of the paired difference;
    their customer-experience index is never higher, and lower on average by over three
    standard errors."""
    seeds = range(1, 11)
    kpis: dict[str, list[tuple[float, float]]] = {}
    for regime in ("none", "us_reg_f"):
        scenario = small_scenario(f'rules.regime="{regime}"', accounts=400, collectors=2,
                                  horizon=30)
        kpis[regime] = []
        for seed in seeds:
            results = run_replication(scenario, seed=seed)
            kpis[regime].append((results.kpi("conduct_breaches"), results.kpi("cx_index")))
    none, reg_f = np.array(kpis["none"]), np.array(kpis["us_reg_f"])
    breaches = none[:, 0] - reg_f[:, 0]
    cx = none[:, 1] - reg_f[:, 1]
    se = breaches.std(ddof=1) / math.sqrt(len(seeds))
    assert (breaches >= 0).all(), breaches
    assert breaches.mean() > 3 * se, (breaches.mean(), se)
    cx_se = cx.std(ddof=1) / math.sqrt(len(seeds))
    assert (cx <= 0).all(), cx
    assert cx.mean() + 3 * cx_se < 0, (cx.mean(), cx_se)
    # the daily table and the agencies add up to the KPI
    results = run_replication(small_scenario('rules.regime="none"', accounts=400, collectors=2,
                                             horizon=30), seed=1)
    assert results.daily[results.daily.agency == TOTAL].breaches.sum() \
        == results.kpi("conduct_breaches") == none[0, 0]
