"""When cardholders can be reached: the local clock, the part of the week, the answer factor.

Every account carries the lead of its local clock on the agencies' clock
(``Accounts.local_offset``, days, from ``[portfolio] time_zones``). The contact window is read
on that local clock, and so is the part of the week a call falls in:

* ``WEEKDAY_DAY`` — Monday to Friday, 08:00–17:00 local, where the segment's ``answer_rate``
  applies as given;
* ``WEEKDAY_EVENING`` — Monday to Friday, 17:00–21:00: ``evening_answer_factor`` times it;
* ``WEEKEND`` — Saturday and Sunday, 08:00–21:00: ``weekend_answer_factor`` times it;
* ``NIGHT`` — 21:00–08:00 any day: :data:`NIGHT_ANSWER_FACTOR` times it (only calls outside
  every legal window land there).

Employed cardholders are at work in the day and answer more in the evening and at weekends,
the pattern telephone call-scheduling studies find (Weeks, Kulka and Pierson, Public Opinion
Quarterly 51(4), 1987); cardholders whose income fell are often at home in the day, so their
factors are near 1 (the reason profiles in :mod:`sim.config.schema.reasons`). Moving a shift
into the evening or onto Saturday therefore reaches more of some segments, and moving the
window moves who can be called when.
"""

from __future__ import annotations

import math
from enum import IntEnum

import numpy as np
import numpy.typing as npt
from numba import njit

from sim.model.portfolio.accounts import Accounts

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DAY_STARTS, EVENING_STARTS, NIGHT_STARTS = 8 / 24, 17 / 24, 21 / 24  # local clock, days
SATURDAY = 5
NIGHT_ANSWER_FACTOR = 0.5
"""Answer factor of calls between 21:00 and 08:00 local (assumption, 0.2–0.8: people asleep or
screening late calls)."""


class DayPart(IntEnum):
    """The part of the week a call falls in, on the cardholder's local clock."""

    WEEKDAY_DAY = 0
    WEEKDAY_EVENING = 1
    WEEKEND = 2
    NIGHT = 3


WEEKDAY_EVENING, WEEKEND, NIGHT = (int(DayPart.WEEKDAY_EVENING), int(DayPart.WEEKEND),
                                  int(DayPart.NIGHT))


def local_time(acc: Accounts, idx: IntArray, now: float | FloatArray) -> FloatArray:
    """The cardholders' local time (program days) of accounts ``idx`` at agency time ``now``."""
    return now + acc.local_offset[idx]


def day_part(local: FloatArray, start_weekday: int) -> IntArray:
    """The :class:`DayPart` of each local time (program days from a ``start_weekday`` 00:00;
    Monday = 0)."""
    day = np.floor(local)
    clock = local - day
    weekend = (start_weekday + day.astype(np.int64)) % 7 >= SATURDAY
    part = np.where(weekend, int(DayPart.WEEKEND),
                    np.where(clock >= EVENING_STARTS, int(DayPart.WEEKDAY_EVENING),
                             int(DayPart.WEEKDAY_DAY)))
    night = (clock < DAY_STARTS - 1e-9) | (clock >= NIGHT_STARTS - 1e-9)
    return np.where(night, int(DayPart.NIGHT), part).astype(np.int64)


def part_bit_at(local: float, start_weekday: int) -> int:
    """The ``Accounts.answered_parts`` bit of one local time (as :func:`day_part`)."""
    day = math.floor(local)
    clock = local - day
    if clock < DAY_STARTS - 1e-9 or clock >= NIGHT_STARTS - 1e-9:
        part = DayPart.NIGHT
    elif (start_weekday + day) % 7 >= SATURDAY:
        part = DayPart.WEEKEND
    elif clock >= EVENING_STARTS:
        part = DayPart.WEEKDAY_EVENING
    else:
        part = DayPart.WEEKDAY_DAY
    return 1 << int(part)


def answer_factor(acc: Accounts, idx: IntArray, part: IntArray) -> FloatArray:
    """How much more (or less) often than on a weekday day each of ``idx`` answers in
    ``part``."""
    return _answer_factor(idx, part, acc.evening_answer_factor, acc.weekend_answer_factor)


@njit(cache=True)
def _answer_factor(idx: IntArray, part: IntArray, evening: FloatArray,
                   weekend: FloatArray) -> FloatArray:
    factor = np.ones(len(idx))
    for k in range(len(idx)):
        if part[k] == WEEKDAY_EVENING:
            factor[k] = evening[idx[k]]
        elif part[k] == WEEKEND:
            factor[k] = weekend[idx[k]]
        elif part[k] == NIGHT:
            factor[k] = NIGHT_ANSWER_FACTOR
    return factor


def part_bits(part: IntArray) -> npt.NDArray[np.int8]:
    """The bit of each part in ``Accounts.answered_parts``."""
    return (np.int8(1) << part.astype(np.int8)).astype(np.int8)
