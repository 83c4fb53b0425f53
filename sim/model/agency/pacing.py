"""The predictive dialler's pacing: how many dials to launch, steered by the calls it abandons.

A predictive dialler dials ahead of its free collectors. Each pacing interval it launches
``ratio × free collector time ÷ time per answered call ÷ hit rate`` dials, the hit rate being
its smoothed share of dials answered (before any dial, what the portfolio's answer rates and
valid numbers promise). After the interval it compares abandoned calls (answered with no
collector free) over answered calls, smoothed over intervals, with its aim — a share
:data:`AIM` of ``abandon_target`` — and moves the ratio by ``exp(GAIN × (aim − rate) / aim)``.
Abandonment rises faster than linearly with the ratio, so a dialler steering at the ceiling
itself would overshoot it on average.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SMOOTHING = 0.3  # weight of the latest interval in the smoothed abandonment and hit rates
GAIN = 0.2  # how hard the ratio reacts to abandonment off its aim
AIM = 0.8  # share of abandon_target steered for
RATIO_RANGE = (0.2, 5.0)
INITIAL_RATIO = 0.7  # a dialler starts cautiously, before it has seen any answer rate
FALLBACK_HIT_RATE = 0.2  # answered share assumed while nothing better is known


@dataclass
class Pacing:
    """The ratio, hit rate and abandonment of one predictive dialler."""

    abandon_target: float
    hit_rate: float = math.nan
    ratio: float = INITIAL_RATIO
    abandon_rate: float = math.nan

    def __post_init__(self) -> None:
        if math.isnan(self.abandon_rate):
            self.abandon_rate = self.abandon_target

    def dials(self, free_time: float, handle_time: float) -> int:
        """Dials to launch for ``free_time`` of collectors (days) at ``handle_time`` a call."""
        hit = self.hit_rate if self.hit_rate > 0 else FALLBACK_HIT_RATE
        return int(self.ratio * free_time / handle_time / hit)

    def steer(self, answered: int, abandoned: int, dialled: int) -> None:
        """Learn from an interval's dials and move the ratio towards the aim."""
        if dialled == 0:
            return
        hit = answered / dialled
        self.hit_rate = hit if math.isnan(self.hit_rate) else \
            (1 - SMOOTHING) * self.hit_rate + SMOOTHING * hit
        if answered == 0:
            return
        self.abandon_rate = (1 - SMOOTHING) * self.abandon_rate + SMOOTHING * abandoned / answered
        aim = max(AIM * self.abandon_target, 1e-3)
        step = math.exp(GAIN * (aim - self.abandon_rate) / aim)
        self.ratio = min(max(self.ratio * step, RATIO_RANGE[0]), RATIO_RANGE[1])
