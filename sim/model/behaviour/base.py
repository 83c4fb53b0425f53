"""The protocol every borrower-response model follows, and the values it exchanges.

Agencies and the bank talk to a behaviour model only through :class:`BehaviourModel`, so a new
model (for example a self-exciting repayment process) can be added without touching them:

* ``answer_chance`` — how likely is each cardholder to pick up a call to a valid number, on a
  weekday day (the dialler applies the part of the week and draws the answer)?
* ``converse`` — what comes of a conversation, given the offers the collector makes in turn?
* ``keeps`` — which promises or installments falling due today are paid?
* ``spontaneous`` — what share of what they owe (the past-due amount before charge-off, the
  balance after) do accounts repay of their own accord today (a self-cure, or the partial
  repayments of a self-exciting process)?
* ``contacted`` — a right-party contact happened (a model may raise the repayment intensity);
* ``calls_back`` — which accounts reached by a message phone the agency?
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from sim.model.rng import counter_uniforms

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

if TYPE_CHECKING:
    from sim.config.schema import Behaviour
    from sim.model.portfolio.accounts import Accounts
    from sim.model.rng import Streams


@dataclass(frozen=True, slots=True)
class Offer:
    """What the collector proposes: pay in full, settle at a discount, or pay by instalments
    (an :class:`~sim.model.codes.OfferKind`)."""

    kind: int
    discount: float = 0.0
    months: int = 0
    instalment: int = 0  # cents
    burden: float = 1.0  # payment asked / what the cardholder can afford (1 = just affordable)
    hardship_terms: bool = False  # interest frozen while on the plan
    interest_waiver: bool = False  # interest accrued during placement forgiven on payment


NO_OFFER = -1  # an empty cell of :class:`Offers`
FIELDS = ("kind", "discount", "months", "instalment", "burden", "hardship_terms",
          "interest_waiver")
"""The fields of an :class:`Offer`, in order: the columns of :class:`Offers`."""


@dataclass
class Offers:
    """Offers to a batch of accounts: row ``r`` is account ``idx[r]``'s, column ``c`` its
    ``c``-th offer (``kind`` :data:`NO_OFFER` where it has fewer). Each field is an array of the
    :class:`~sim.model.behaviour.base.Offer` field of the same name."""

    kind: npt.NDArray[np.int64]
    discount: FloatArray
    months: npt.NDArray[np.int64]
    instalment: npt.NDArray[np.int64]
    burden: FloatArray
    hardship_terms: BoolArray
    interest_waiver: BoolArray

    @classmethod
    def empty(cls, shape: tuple[int, ...]) -> Offers:
        """No offer in any cell."""
        return cls(np.full(shape, NO_OFFER, dtype=np.int64), np.zeros(shape),
                   np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=np.int64),
                   np.ones(shape), np.zeros(shape, dtype=np.bool_), np.zeros(shape, dtype=np.bool_))

    @classmethod
    def of(cls, rows: list[list[Offer]], width: int) -> Offers:
        """The table of ``rows`` of :class:`Offer` (each at most ``width`` long)."""
        table = cls.empty((len(rows), width))
        for r, row in enumerate(rows):
            for c, offer in enumerate(row[:width]):
                table.put((np.array([r]), np.array([c])), offer)
        return table

    def put(self, cells: tuple[IntArray, ...], offer: Offer | Offers,
            rows: IntArray | None = None) -> None:
        """Write ``offer`` (one :class:`Offer`, or the ``rows`` of a one-column
        :class:`Offers`) into ``cells``."""
        for name in FIELDS:
            value = getattr(offer, name)
            getattr(self, name)[cells] = value if rows is None else value[rows]

    def column(self, c: int) -> Offers:
        """The ``c``-th offer of every row, as a one-column table."""
        return Offers(*(getattr(self, name)[:, c] for name in FIELDS))

    def row(self, r: int) -> list[Offer]:
        """Row ``r``'s offers, in turn."""
        width = int((self.kind[r] != NO_OFFER).sum())
        return [Offer(int(self.kind[r, c]), float(self.discount[r, c]), int(self.months[r, c]),
                      int(self.instalment[r, c]), float(self.burden[r, c]),
                      bool(self.hardship_terms[r, c]), bool(self.interest_waiver[r, c]))
                for c in range(width)]


@dataclass
class Outcomes:
    """What a batch of conversations produced, one element per conversation (the fields of
    :class:`Conversation`)."""

    outcome: IntArray
    complaint: BoolArray
    keep_probability: FloatArray
    accepted: IntArray

    def one(self, r: int) -> Conversation:
        """The ``r``-th conversation's."""
        return Conversation(int(self.outcome[r]), bool(self.complaint[r]),
                            float(self.keep_probability[r]), int(self.accepted[r]))


@dataclass(frozen=True, slots=True)
class AgencyStyle:
    """The parts of an agency profile that change how cardholders respond."""

    skill: float
    tone: float


@dataclass(frozen=True, slots=True)
class Conversation:
    """What one conversation produced (``outcome``: an :class:`~sim.model.codes.Outcome`)."""

    outcome: int
    complaint: bool
    keep_probability: float = 0.0
    accepted: int = -1  # which of the offers made was accepted (-1: none)




class Draw(IntEnum):
    """The uniform draws of one conversation, one per question it may answer.

    Each conversation gets all of them, whichever it uses, drawn from counter-based streams
    keyed by the account and its own count of conversations
    (:func:`sim.model.rng.counter_uniforms`): the k-th conversation with a cardholder draws the
    same numbers in every scenario, whatever else happened, so scenarios stay paired.
    """

    COMPLAINT = 0
    CLEAR = 1
    DISPUTE = 2
    CEASE = 3
    BREATHING_SPACE = 4
    PROMISE = 5  # to the first offer; the next two to the offers stepped down to
    SECOND_PROMISE = 6
    THIRD_PROMISE = 7
    DISCOVERY = 8  # the collector's error in learning what the cardholder can pay
    WRITTEN = 9  # whether a request or dispute is put in writing too
    CALLBACK = 10  # whether a cardholder who refuses asks to be called back


CONVERSATION_DRAWS = len(Draw)
MAX_OFFERS = 3  # offers a conversation can step down through (one promise draw each)


def conversation_draws(key: int, idx: IntArray, conversations: IntArray) -> FloatArray:
    """The :class:`Draw` uniforms (one row per account) of the next conversation with each of
    ``idx``, which have had ``conversations`` so far."""
    lanes = np.arange(CONVERSATION_DRAWS, dtype=np.int64)
    counter = conversations.astype(np.int64)[:, None] * 16 + lanes[None, :]
    index = np.broadcast_to(np.asarray(idx, dtype=np.int64)[:, None], counter.shape)
    return counter_uniforms(key, index, counter)


class BehaviourModel(Protocol):
    """Borrower response, drawn from the replication's named streams."""

    def answer_chance(self, idx: IntArray, pressure: IntArray) -> FloatArray:
        """The chance that each cardholder of ``idx`` answers a call to a valid number on a
        weekday day, having had ``pressure`` calls in the last 7 days."""

    def converse(self, i: int, now: float, style: AgencyStyle, offers: Sequence[Offer],
                 pressure: int, violation: bool, draws: Sequence[float]) -> Conversation:
        """The outcome of a right-party conversation with account ``i`` in which the collector
        makes ``offers`` in turn (at most :data:`MAX_OFFERS`) until one is accepted, decided
        with the uniforms ``draws`` (indexed by :class:`Draw`). No offers: the cardholder has
        already paid and the agency does not know yet (``Outcome.ALREADY_PAID``)."""

    def converse_many(self, idx: IntArray, now: FloatArray, style: AgencyStyle, offers: Offers,
                      pressure: IntArray, violation: BoolArray, draws: FloatArray) -> Outcomes:
        """:meth:`converse` for a batch of conversations with distinct accounts ``idx``, one row
        of ``offers`` (:data:`NO_OFFER` where fewer are made; none at all: already paid) and of
        ``draws`` each; the same outcomes, whatever the batch."""

    def keeps(self, idx: IntArray, day: int, first: BoolArray) -> BoolArray:
        """Which of the promises or instalments of ``idx`` due on ``day`` are paid."""

    def spontaneous(self, idx: IntArray, day: int, reminded: BoolArray,
                    linked: BoolArray | None = None) -> FloatArray:
        """Payments made without a promise by ``idx`` during day ``day``.

        Returns, per account, the share of what it owes now — its past-due amount before
        charge-off, its balance after — repaid that day (0 for none, 1 for all of it: a cure
        or a payment in full); ``reminded`` marks accounts a message reached that day, and
        ``linked`` those a message carrying a payment link reached (``None``: none did).
        """

    def contacted(self, i: int, now: float) -> None:
        """Note a right-party contact (outbound or inbound conversation) with account ``i``."""

    def calls_back(self, idx: IntArray, day: int) -> BoolArray:
        """Which of ``idx``, reached by a message on ``day``, telephone the agency."""


class BehaviourModelClass(Protocol):
    """A behaviour model class, as the registry ``sim.model.behaviour.MODELS`` holds it."""

    def from_spec(self, spec: Behaviour, accounts: Accounts, streams: Streams,
                  breathing_space_offered: bool) -> BehaviourModel:
        """The model with the parameters of ``[behaviour]`` (``spec``); cardholders ask for
        breathing space only if ``breathing_space_offered``."""
