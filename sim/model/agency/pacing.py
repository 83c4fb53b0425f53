"""The predictive dialler's pacing: how many dials to launch, from a loss model and feedback.

A predictive dialler dials ahead of its free collectors, and an answered call that finds none
free within two seconds is abandoned. With so little patience the collectors are a loss
system, and the share of answered calls lost at an offered load of ``A`` Erlangs on ``c``
collectors is Erlang's loss formula ``B(c, A)`` (the basis of predictive pacing: Samuelson,
"Predictive dialing for outbound telephone call centers", *Interfaces* 29(5), 1999). Each pacing
interval the dialler:

1. counts the collectors free on average over the interval (their free time over its length),
   less those it expects cardholders phoning in to take (its smoothed count of callers per
   interval, each for the time of an answered call: callers are served first);
2. finds the largest load whose loss is within its aim — ``abandon_target`` times a
   correction — by Erlang B, extended to a fractional number of collectors through the
   incomplete gamma function (Jagerman, *Bell System Technical Journal* 53(3), 1974);
3. launches that load's answered calls over the interval (load × interval ÷ time per answered
   call) divided by its hit rate: its smoothed share of dials picked up at this time of the
   shift (the same interval of earlier shifts, weekdays and weekends apart: cardholders answer
   more at some hours than others), or before it has any, its latest share at any time, and
   before any dial what the portfolio's answer rates and valid numbers promise.

After the interval it moves the correction by ``exp(GAIN × (aim × answered − abandoned) /
scale)``, its aim a share :data:`AIM` of ``abandon_target``: down for every call abandoned
beyond the aim's allowance of the interval's answered calls (``aim × answered``), up as much
for every call of the allowance unused, by a factor ``exp(−GAIN)`` per ``scale`` calls, the
allowance of the dialler's mean interval so far (at least one call). The scale keeps the step
the same for a team ten times larger, whose intervals answer ten times the calls: counted call
by call, a large team's correction would swing between its limits on the chance variation of
each interval. The correction thus keeps a running total of the calls abandoned beyond the
aim, and settles only where abandoned calls over answered calls,
both summed over the calls as the rule measures them (the Telemarketing Sales Rule, 16 CFR
310.4(b)(4)(i): abandoned calls as a share of calls answered, over 30 days) and as the
``abandon_rate`` KPI does, are at the aim; an average of each interval's share would weigh an
interval of a few calls as much as a busy one, and a small team's would swing on every call.
The model's errors (dials spread evenly rather than at random, cardholders phoning in, calls
that carry over) are learnt, not assumed. The correction does not grow while the call list,
not the pacing, limited the dials (it would wind up in quiet intervals and overshoot in the
next busy one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import gammaincc, gammaln

SMOOTHING = 0.3  # weight of the latest interval in the smoothed hit rates and callers
GAIN = 0.1  # how far (in log) a mean interval's allowance of calls abandoned beyond the aim
# lowers the correction (one call while that allowance is under one call)
AIM = 0.9  # share of abandon_target the feedback steers for: a margin for chance and for the
# calls abandoned while the pace is learnt (the total is held only within the correction's range)
CORRECTION_RANGE = (0.1, 10.0)
FALLBACK_HIT_RATE = 0.2  # answered share assumed while nothing better is known
MIN_AIM = 1e-4  # a target of 0 is held as one call in 10,000
LOAD_GRID = np.linspace(0.005, 1.5, 300)  # offered loads tried, per collector free


def erlang_loss(servers: float, load: np.ndarray) -> np.ndarray:
    """Erlang B, ``B(c, A)``: the share of calls offered at ``load`` Erlangs that find all of
    ``servers`` busy, for a fractional number of servers too (``c ≥ 0``)."""
    load = np.maximum(load, 1e-12)
    log_pmf = servers * np.log(load) - load - gammaln(servers + 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = np.exp(log_pmf) / gammaincc(servers + 1.0, load)
    return np.where(np.isfinite(loss), np.minimum(loss, 1.0), 1.0)


def load_within(servers: float, loss: float) -> float:
    """The largest offered load (Erlangs) on ``servers`` whose Erlang B loss is at most
    ``loss`` (0 with no server)."""
    if servers <= 0 or loss <= 0:
        return 0.0
    loads = servers * LOAD_GRID
    within = np.flatnonzero(erlang_loss(servers, loads) <= loss)
    return float(loads[within[-1]]) if len(within) else 0.0


@dataclass
class Pacing:
    """The hit rate, abandonment and correction of one predictive dialler."""

    abandon_target: float
    hit_rate: float = math.nan
    """Smoothed share of dials picked up, at any time."""
    hit_rates: dict[int, float] = field(default_factory=dict)
    """Smoothed share of dials picked up by time of the shift (:meth:`dials`' ``slot``)."""
    correction: float = 1.0
    answered: int = 0
    """Answered calls so far."""
    abandoned: int = 0
    """Answered calls abandoned so far."""
    steered: int = 0
    """Intervals with answered calls so far."""
    callers: float = 0.0
    """Smoothed count of cardholders phoning in per interval."""

    @property
    def abandon_rate(self) -> float:
        """Abandoned over answered calls so far, as the rule measures them (``nan`` before
        any call is answered)."""
        return self.abandoned / self.answered if self.answered else math.nan

    def dials(self, free_time: float, handle_time: float, interval: float, slot: int = 0) -> int:
        """Dials to launch over ``interval`` (days) for ``free_time`` of collectors (days) at
        ``handle_time`` (days) an answered call; ``slot`` names the time of the shift."""
        if interval <= 0 or handle_time <= 0:
            return 0
        hit = self.hit_rates.get(slot, self.hit_rate)
        hit = hit if hit > 0 else FALLBACK_HIT_RATE
        aim = max(self.abandon_target * self.correction, MIN_AIM)
        servers = (free_time - self.callers * handle_time) / interval
        load = load_within(servers, aim)
        return int(load * interval / handle_time / hit)

    def steer(self, answered: int, abandoned: int, dialled: int, planned: int,
              callers: int, slot: int = 0) -> None:
        """Learn from an interval's dials (``planned`` of them were wanted), of which
        ``answered`` were answered and ``abandoned`` of those abandoned, and its ``callers`` at
        time of the shift ``slot``, and move the correction by the calls abandoned beyond the
        aim's allowance (see the module docstring)."""
        self.callers = (1 - SMOOTHING) * self.callers + SMOOTHING * callers
        if dialled == 0:
            return
        hit = answered / dialled
        self.hit_rate = _smoothed(self.hit_rate, hit)
        self.hit_rates[slot] = _smoothed(self.hit_rates.get(slot, math.nan), hit)
        if answered == 0:
            return
        self.answered += answered
        self.abandoned += abandoned
        self.steered += 1
        aim = max(AIM * self.abandon_target, MIN_AIM)
        scale = max(1.0, aim * self.answered / self.steered)
        step = math.exp(GAIN * (aim * answered - abandoned) / scale)
        if step > 1.0 and dialled < planned:
            return  # the call list ran short: no evidence the pace could be higher
        self.correction = min(max(self.correction * step, CORRECTION_RANGE[0]),
                              CORRECTION_RANGE[1])


def _smoothed(average: float, latest: float) -> float:
    """``average`` moved ``SMOOTHING`` of the way to ``latest`` (``latest`` if there is none)."""
    return latest if math.isnan(average) else (1 - SMOOTHING) * average + SMOOTHING * latest
