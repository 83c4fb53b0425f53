"""Cardholders who phone the agency, waiting their turn: the inbound line of one desk.

Callers come from the messages (:mod:`sim.model.agency.messenger`): each is given an arrival
time in the agency's next working shift and a patience (exponential, mean
``inbound_patience_minutes``). The dialler (:mod:`sim.model.agency.dialler`) takes the callers
arriving in each pacing interval and serves them first come, first served, ahead of its own
dials: a caller is answered by the first collector free within their patience (after the
interval's end, if every collector is busy until then), or hangs up. Every caller taken is one
or the other by the end of the interval: ``served + abandoned == arrivals``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass
class Callers:
    """Callers of one pacing interval, in order of arrival (plain lists for the serving loop)."""

    times: list[float]
    accounts: list[int]
    deadlines: list[float]
    draws: list[list[float]] = field(default_factory=list)
    """The conversation draws of each caller (set by the dialler)."""
    talks: list[float] = field(default_factory=list)
    """The length of each caller's conversation, in mean talk times (set by the dialler)."""


@dataclass
class InboundLine:
    """Callers booked to phone in, and what became of those who did."""

    arrivals: int = 0
    served: int = 0
    abandoned: int = 0
    _times: FloatArray = field(default_factory=lambda: np.zeros(0))
    _accounts: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    _patience: FloatArray = field(default_factory=lambda: np.zeros(0))

    def book(self, times: FloatArray, accounts: IntArray, patience: FloatArray) -> None:
        """Add callers who will phone at ``times`` (any order) with their ``patience`` (days)."""
        times = np.concatenate([self._times, times])
        order = np.argsort(times, kind="stable")
        self._times = times[order]
        self._accounts = np.concatenate([self._accounts, accounts])[order]
        self._patience = np.concatenate([self._patience, patience])[order]

    def take(self, end: float) -> Callers:
        """The callers phoning before ``end`` (all earlier ones have been taken)."""
        count = int(np.searchsorted(self._times, end, side="left"))
        times, patience = self._times[:count], self._patience[:count]
        callers = Callers(times.tolist(), self._accounts[:count].tolist(),
                          (times + patience).tolist())
        self._times, self._accounts = self._times[count:], self._accounts[count:]
        self._patience = self._patience[count:]
        self.arrivals += count
        return callers
