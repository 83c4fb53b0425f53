"""Limits that keep a scenario's arithmetic exact and its dates representable.

Money is kept in integer cents (``numpy.int64``) and every KPI divides sums of cents converted to
``float64``, which holds whole numbers exactly up to 2**53 (about 9.0e15 cents). So:

* every single amount of money in a file — a balance bound, a fee, a cost, a limit — is at most
  :data:`MAX_MONEY` (1e9 currency units, 1e11 cents);
* the worst case of the whole portfolio — every account placed at ``balance.max``, grown by daily
  interest at ``apr`` and a late fee every 30 days for as long as an account can accrue (its
  placement, and a second one with ``second_placement``) — is at most :data:`MAX_PORTFOLIO_CENTS`
  (2**53 cents), which keeps it exact in float64 and far inside int64 (9.2e18).

Dates: day 0 is ``start_date``; the program's last day, plus any follow-up, must fall on or
before :data:`LAST_DATE` (9999-12-31, the last date Python and Parquet represent).
"""

from __future__ import annotations

import datetime as dt
import math

MAX_MONEY = 1e9
"""Largest amount of money any one field may give, currency units."""
MAX_PORTFOLIO_CENTS = 2**53
"""Largest worst-case total the portfolio may reach, in cents (exact in float64)."""
LAST_DATE = dt.date.max
"""Last calendar date the program (and its follow-up) may reach."""
DAYS_PER_YEAR = 365.0
DAYS_PER_FEE = 30


def program_days(horizon_days: int, vintages: int, vintage_every_days: int,
                 second_placement: bool) -> int:
    """Days from the first placement to the last recall: the last vintage's placement day plus
    one placement (two with a second placement)."""
    return (vintages - 1) * vintage_every_days + (2 if second_placement else 1) * horizon_days


def worst_portfolio_cents(accounts: int, max_balance: float, apr: float, late_fee: float,
                          accrual_days: int) -> float:
    """Upper bound of the portfolio's total outstanding, cents: every account at ``max_balance``
    with daily compound interest and a late fee every 30 days over ``accrual_days`` (plus half
    a cent of rounding a day)."""
    log_growth = accrual_days * math.log1p(apr / DAYS_PER_YEAR)
    if log_growth > 700:
        return math.inf
    per_account = (max_balance * 100 + late_fee * 100 * (accrual_days // DAYS_PER_FEE + 1)
                   + accrual_days) * math.exp(log_growth)
    return accounts * per_account


def last_date(start: dt.date, days: int) -> dt.date | None:
    """``start`` + ``days``, or ``None`` when that is beyond :data:`LAST_DATE`."""
    if days > (LAST_DATE - start).days:
        return None
    return start + dt.timedelta(days=days)
