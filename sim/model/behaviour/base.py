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


FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


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

    def keeps(self, idx: IntArray, day: int, first: BoolArray) -> BoolArray:
        """Which of the promises or instalments of ``idx`` due on ``day`` are paid."""

    def spontaneous(self, idx: IntArray, day: int, reminded: BoolArray) -> FloatArray:
        """Payments made without a promise by ``idx`` during day ``day``.

        Returns, per account, the share of what it owes now — its past-due amount before
        charge-off, its balance after — repaid that day (0 for none, 1 for all of it: a cure
        or a payment in full); ``reminded`` marks accounts a message reached that day.
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
