"""Units of time and money, each defined once.

The model's clock runs in days (``1.0`` is a day; 00:00 of day *d* is ``d``); money is kept in
integer cents and shown in the currency's main unit. A month is 30 days for instalments, fees
and the follow-up window, and a year 365 days for daily interest.
"""

from __future__ import annotations

MINUTES_PER_DAY = 1440.0
HOURS_PER_DAY = 24.0
HOUR = 1.0 / HOURS_PER_DAY  # days
MINUTE = 1.0 / MINUTES_PER_DAY  # days
DAYS_PER_MONTH = 30
DAYS_PER_YEAR = 365.0
CENTS_PER_UNIT = 100  # integer cents in one unit of the currency

PRESSURE_WINDOW_DAYS = 7.0
"""Contact pressure is the number of calls placed to an account in the last 7 days."""
ROLLING_WEEK_DAYS = 7.0
"""The rolling window of the per-7-days caps on calls and messages (Regulation F)."""
