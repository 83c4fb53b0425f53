"""One pacing interval's dials: what was drawn for them, what became of them, and their lines
in the event log (see :mod:`sim.model.agency.dialler`)."""

from __future__ import annotations

import numpy as np

from sim.model.agency.conversation import Talks
from sim.model.codes import NO_ANSWER, WRONG_NUMBER
from sim.model.world import World

ABANDONED = "abandoned"
WRONG_PARTY = "wrong_party"
WRONG_PARTY_DISCLOSED = "wrong_party_disclosed"
"""A wrong party who picked up and was told what the call was about."""
VOICEMAIL_DISCLOSED = "voicemail_disclosed"
"""An unanswered dial on which a voicemail said more than a limited-content message."""


class Batch:
    """The dials of one pacing interval: what was drawn for them and what became of them."""

    def __init__(self, accounts: np.ndarray, pressure: np.ndarray, blocks: np.ndarray,
                 answered: np.ndarray, handle: np.ndarray, bits: np.ndarray, day: int) -> None:
        self.accounts = accounts
        self.pressure = pressure
        self.blocks = blocks
        self.answered = answered
        self.handle = handle
        self.bits = bits
        self.day = day
        self.asked_for = np.zeros(len(accounts), dtype=np.bool_)
        """Whether each dial is one its cardholder asked for (read before its conversation)."""
        self.breaches = np.zeros(len(accounts), dtype=np.int64)
        """The reference standard's rule forbidding each dial, the window apart (``blocks``:
        the agency's rule book's)."""
        self.connected: list[np.ndarray] = []
        """The dials put through to a collector, in the chunks they were placed in."""
        self.greeted: list[np.ndarray] = []
        """When each of :attr:`connected`'s conversations began, in the same chunks."""
        self.abandoned: list[int] = []
        self.labels: dict[int, str] = {}
        self.wrong_party = np.zeros(len(accounts), dtype=np.bool_)
        """Dials picked up by someone other than the cardholder."""
        self.valid = np.ones(len(accounts), dtype=np.bool_)
        """Dials to a number that is the cardholder's."""
        self.talks = Talks()
        """Conversations placed with collectors and not yet decided."""

    def reached(self) -> tuple[np.ndarray, np.ndarray]:
        """The dials put through to a collector, and when each conversation began."""
        if not self.connected:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(self.connected), np.concatenate(self.greeted)


def log_dials(world: World, agency: int, batch: Batch, idx: np.ndarray, times: np.ndarray,
              wrong: np.ndarray, answered: np.ndarray, blocks: np.ndarray,
              disclosed: np.ndarray) -> None:
    """Add the first ``len(idx)`` dials of ``batch`` (agency ``agency``'s) to the event log."""
    for k in range(len(idx)):
        if wrong[k]:
            outcome = WRONG_NUMBER
        elif not answered[k]:
            outcome = VOICEMAIL_DISCLOSED if disclosed[k] else NO_ANSWER
        elif batch.wrong_party[k] and k not in batch.abandoned:
            outcome = WRONG_PARTY_DISCLOSED if disclosed[k] else WRONG_PARTY
        else:
            outcome = batch.labels.get(k, ABANDONED)
        world.log(float(times[k]), int(idx[k]), agency, "call", outcome, int(blocks[k]))
