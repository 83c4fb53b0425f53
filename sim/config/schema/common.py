"""Shared building blocks of the scenario schema: value types, the strict base model, clocks.

Every table model derives from :class:`Strict`: unknown keys are errors and types are never
coerced. Value types (``Probability``, ``NonNegative``, ``Clock``, ``Name``...) check ranges and
reject NaN and infinity.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
)

from sim.config.schema.limits import MAX_MONEY

SHARE_TOLERANCE = 1e-6
CLOCK_PATTERN = re.compile(r"[0-9]{2}:[0-9]{2}")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WORKWEEK: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")


def check_finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


def _clock(value: str) -> str:
    if not CLOCK_PATTERN.fullmatch(value):
        raise ValueError('must be a time of day "HH:MM"')
    hours, minutes = int(value[:2]), int(value[3:])
    if hours > 24 or minutes > 59 or (hours == 24 and minutes != 0):
        raise ValueError('must be a time of day "HH:MM" between 00:00 and 24:00')
    return value


Finite = Annotated[float, AfterValidator(check_finite)]
Probability = Annotated[float, Field(ge=0.0, le=1.0), AfterValidator(check_finite)]
NonNegative = Annotated[float, Field(ge=0.0), AfterValidator(check_finite)]
Positive = Annotated[float, Field(gt=0.0), AfterValidator(check_finite)]
Clock = Annotated[str, AfterValidator(_clock)]
Money = Annotated[float, Field(ge=0.0, le=MAX_MONEY), AfterValidator(check_finite)]
"""An amount of money, currency units: 0 to 1e9 (see :mod:`sim.config.schema.limits`)."""
PositiveMoney = Annotated[float, Field(gt=0.0, le=MAX_MONEY), AfterValidator(check_finite)]
"""A positive amount of money, currency units: at most 1e9."""
NAME_PATTERN = r"^[A-Za-z0-9_\-]+$"
NAME_CHARACTERS = "letters, digits, '_' and '-'"
"""What :data:`NAME_PATTERN` allows, in words (error lines never show the pattern)."""
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=NAME_PATTERN)]


def raise_problems(problems: list[str]) -> None:
    """Raise every problem a check across fields found, at once: one ``ValueError`` whose
    lines are the problems, each ``"dotted.field: what is wrong (got value)"``. Loading
    (:mod:`sim.config.loading`) turns each line into its own error line."""
    if problems:
        raise ValueError("\n".join(problems))


def clock_to_day_fraction(value: str) -> float:
    """Convert ``"HH:MM"`` to a fraction of a day (``"12:00"`` → 0.5)."""
    hours, minutes = value.split(":")
    return (int(hours) * 60 + int(minutes)) / 1440.0


class Strict(BaseModel):
    """Base for every table: unknown keys are errors, types are not coerced (``"100"`` is not a
    number, ``true`` is not 1), values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True,
                              use_attribute_docstrings=True)
