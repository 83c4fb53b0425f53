"""The follow-up after the program (sim.model.bank.follow_up) follows the bank's control group
as it follows the placed accounts, so their re-default rates compare.

Half of the accounts are placed, half held out; all are current again at recall and miss each
minimum payment due in the window with chance ``minimum_miss``. The control group re-defaults
at the same rate as the placed accounts, and following it draws nothing the placed accounts
would have drawn without it.
"""

from __future__ import annotations

import math

import numpy as np

from sim.config.schema import Bank, Portfolio, Segment
from sim.model.bank.follow_up import follow_up
from sim.model.codes import Status
from sim.model.portfolio.accounts import Accounts, draw_portfolio
from sim.model.rng import Streams

BALANCE = 100_000  # $1,000.00 in cents
WINDOW = 60  # days: minimums fall due 5 and 35 days after recall


def cured_at_recall(n: int, miss: float, held_out: bool = True) -> Accounts:
    """``n`` accounts current again at their recall on day 90, the second half held out in
    the control group (or, with ``held_out`` false, neither placed nor held out)."""
    segment = Segment(share=1.0, minimum_miss=miss, unaffordable_minimum_miss=miss)
    acc = draw_portfolio(Portfolio(accounts=n, segments={"only": segment}), Bank(),
                         Streams(1, 0))
    acc.balance[:] = acc.placed[:] = acc.outstanding[:] = BALANCE
    acc.minimum_payment[:] = 2_500
    acc.status[:] = Status.CURED
    acc.recall_day[:] = 90.0
    acc.due_offset[:] = 5
    acc.is_placed[: n // 2] = True
    acc.in_control[n // 2:] = held_out
    return acc


def test_a_control_account_current_at_recall_is_followed():
    acc = cured_at_recall(8, miss=1.0)
    when, _ = follow_up(acc, WINDOW, 0.5, Streams(3, 0))
    np.testing.assert_array_equal(when, [5.0] * 8)  # everyone misses the first minimum


def test_the_control_group_redefaults_at_the_placed_accounts_rate():
    n, miss = 8000, 0.5
    acc = cured_at_recall(n, miss)
    when, table = follow_up(acc, WINDOW, 0.5, Streams(3, 0))
    expected = 1.0 - (1.0 - miss) ** 2  # two minimums due in the window
    se = math.sqrt(expected * (1.0 - expected) / (n // 2))
    for group in (acc.is_placed, acc.in_control):
        share = float(np.isfinite(when[group]).mean())
        assert abs(share - expected) <= 4 * se, (share, expected, se)
    # the placed accounts' draws and delinquency curve are those of a program without one
    alone, alone_table = follow_up(cured_at_recall(n, miss, held_out=False), WINDOW, 0.5,
                                   Streams(3, 0))
    np.testing.assert_array_equal(when[acc.is_placed], alone[acc.is_placed])
    assert np.isinf(alone[~acc.is_placed]).all()
    np.testing.assert_array_equal(table.delinquent_share, alone_table.delinquent_share)
