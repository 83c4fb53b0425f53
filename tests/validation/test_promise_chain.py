"""A fixed-probability promise/keep chain held against its closed form.

Every conversation ends in a promise to pay in full (the collector knows the cardholder can:
no discovery error), every promise is kept with the same
probability k, and a broken promise sends the account back to be worked. Then the j-th promise
of an account is kept with probability k whatever happened before, so the number of promises
until payment is geometric: P(paid at promise j) = (1 − k)^(j−1)·k, and the share paid within
the first n promises is 1 − (1 − k)^n. Tolerances are four binomial standard errors.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.replication import run_replication
from sim.validation.anchors import POST_CHARGE_OFF

KEEP = 0.4


def _chain_scenario(small_scenario):
    certain = {"answer_rate": 1.0, "willingness": 1.0, "lump_sum_share": 1.0,
               "misunderstanding": 0.0, "dispute_rate": 0.0, "cease_rate": 0.0,
               "complaint_sensitivity": 0.0, "self_cure_rate": 0.0, "callback_rate": 0.0,
               "promise_keep": KEEP, "concentration": 1e7}
    sets = [f"portfolio.segments.money_management.{k}={v}" for k, v in certain.items()]
    sets += ["portfolio.segments.money_management.share=1.0",
             "portfolio.segments.income_shock.share=0.0",
             "portfolio.segments.misunderstanding.share=0.0",
             "bank.phone_valid=1.0", *POST_CHARGE_OFF, "behaviour.stage.payer_effect=0.0",
             "behaviour.stage.willingness_keep=0.0", "behaviour.stage.tone_keep=0.0"]
    return small_scenario(*sets, accounts=4000, collectors=12, horizon=90,
                          each={"tone": 0.0, "compliance": 1.0, "waive_interest": False,
                                "discovery_error": 0.0})


@pytest.fixture(scope="module")
def chain(small_scenario):
    result = run_replication(_chain_scenario(small_scenario), keep_accounts=True)
    assert result.accounts is not None
    return result


def _outcomes(table, j):
    """Promise number j of each account: kept, broken, or neither (pending, or never made)."""
    made = table["promises"].to_numpy()
    status = table["status"].astype(str).to_numpy()
    kept = (status == "paid") & (made == j)
    broken = (made > j) | ((made == j) & (status == "active"))
    return kept, broken


@pytest.mark.parametrize("j", [1, 2, 3])
def test_each_promise_is_kept_with_the_same_probability(chain, j):
    kept, broken = _outcomes(chain.accounts, j)
    resolved = int(kept.sum() + broken.sum())
    assert resolved > 200
    rate = kept.sum() / resolved
    se = np.sqrt(KEEP * (1 - KEEP) / resolved)
    assert abs(rate - KEEP) < 4 * se, (j, rate, resolved)


def test_share_paid_within_n_promises_is_geometric(chain):
    table = chain.accounts
    made = table["promises"].to_numpy()
    paid = table["status"].astype(str).to_numpy() == "paid"
    for n in (1, 2, 3):
        # accounts whose first n promises were all resolved, or that paid within them
        kept_n, broken_n = _outcomes(table, n)
        known = (paid & (made <= n)) | broken_n | kept_n
        share = (paid & (made <= n))[known].mean()
        expected = 1 - (1 - KEEP) ** n
        se = np.sqrt(expected * (1 - expected) / known.sum())
        assert abs(share - expected) < 4 * se, (n, share, expected)


def test_kpi_matches_the_chain(chain):
    rate = chain.kpi("ptp_kept_rate")
    resolved = chain.kpi("promises")
    assert abs(rate - KEEP) < 4 * np.sqrt(KEEP * (1 - KEEP) / resolved)
    assert chain.kpi("ptp_rate") > 0.999  # every conversation ends in a promise
