"""The cardholder population as columns of numpy arrays, and its money ledger.

:func:`draw_portfolio` draws every latent attribute once per account, per reason segment, from
the ``portfolio`` stream alone, so two scenarios that share a ``[portfolio]`` table (and seed)
get the same cardholders in replication *r* whatever their agencies or rules.

:class:`Accounts` holds one array per attribute: latent behaviour, placement, status, contact
history and the ledger in integer cents. The attributes every call reads or writes (status,
agency, attempt counters and times, phone flags) are fields of one 64-byte record per account
(:func:`record_table`, in ``call_state``), so a call touches one cache line of them; each is
still an ordinary (strided) numpy array for the vectorised code, and :class:`ScalarViews` gives
the hot path one-element access to all of them as plain Python numbers. The ledger identity

    placed + accrued == collected + waived + outstanding

holds for every account at every moment; :meth:`Accounts.check_ledger` asserts it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from sim.config.schema import Bank, Portfolio
from sim.config.schema.traits import BETA_TRAITS
from sim.model.codes import Status
from sim.model.portfolio.reasons import income_spells
from sim.model.portfolio.traits import draw_traits
from sim.model.rng import Streams
from sim.model.units import CENTS_PER_UNIT

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

NOT_YET = np.inf


def scalar_view(array: npt.NDArray[Any]) -> Any:
    """A memoryview of ``array`` for one-element reads and writes (see :class:`ScalarViews`)."""
    return memoryview(cast(Any, array))


CACHE_LINE = 64  # bytes

# Per-account fields read or written on every call: kept side by side in one record per account
# (an array of structs), so a call touches one cache line of them instead of one line per array.
CALL_STATE_FIELDS: list[tuple[str, str]] = [
    ("last_attempt", "f8"), ("first_attempt", "f8"), ("first_rpc", "f8"),
    ("attempts", "i4"), ("attempts_today", "i4"), ("rpcs", "i4"), ("max_pressure", "i4"),
    ("agency", "i2"), ("status", "i1"),
    ("recalled", "?"), ("phone_valid", "?"), ("phone_known_bad", "?"),
]


def record_table(n: int, fields: list[tuple[str, str]]) -> npt.NDArray[np.void]:
    """``n`` zeroed records of ``fields`` (array of structs), each padded to whole cache lines
    and the first starting on a line boundary, so one record never straddles two lines.

    ``table[name]`` is a strided view of one field that vectorised numpy code uses like any
    other array.
    """
    packed = np.dtype(fields, align=True)
    size = -(-packed.itemsize // CACHE_LINE) * CACHE_LINE
    layout = dict(packed.fields or {})
    dtype = np.dtype({"names": list(layout), "formats": [layout[name][0] for name in layout],
                      "offsets": [layout[name][1] for name in layout], "itemsize": size})
    raw = np.zeros(n * size + CACHE_LINE, dtype=np.uint8)
    start = -raw.ctypes.data % CACHE_LINE
    return raw[start:start + n * size].view(dtype)


class ScalarViews:
    """Memoryviews of an object's one-dimensional numpy arrays, under the same names.

    The per-call hot path reads and writes one account at a time. Indexing a numpy array for
    that returns a numpy scalar and costs about twice as much as indexing a memoryview of the
    same memory, which returns a plain ``int``, ``float`` or ``bool``. Writes through a view
    land in the array, so the vectorised code sees them. The arrays must be changed in place,
    never rebound (every per-account array here is allocated once, for the whole portfolio).
    """

    def __init__(self, owner: object) -> None:
        for name, value in vars(owner).items():
            if isinstance(value, np.ndarray) and value.ndim >= 1:
                setattr(self, name, scalar_view(value))

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"no array {name!r} to view")


@dataclass
class Accounts:
    """Struct of arrays, one entry per account."""

    segment_names: list[str]
    segment: npt.NDArray[np.int16]
    balance: IntArray  # placed balance, cents
    days_past_due: npt.NDArray[np.int32]
    answer_rate: FloatArray
    willingness: FloatArray
    lump_sum_share: FloatArray
    monthly_capacity: FloatArray
    self_cure_rate: FloatArray
    reminder_lift: FloatArray
    payment_link_lift: FloatArray
    cure_budget: FloatArray  # Exp(1): the account self-cures when its accumulated hazard passes it
    misunderstanding: BoolArray
    dispute_rate: FloatArray
    complaint_sensitivity: FloatArray
    cease_rate: FloatArray
    callback_rate: FloatArray
    promise_keep: FloatArray
    hardship_response: FloatArray
    breathing_space_request: FloatArray
    redefault_risk: FloatArray
    propensity: FloatArray  # true chance the account pays if worked
    payer: BoolArray  # latent "would pay" type, drawn with probability `propensity`
    phone_valid: BoolArray
    email_valid: BoolArray
    # chance a current cardholder misses a later minimum payment (one value per segment), and
    # when that minimum is beyond what they can pay a month
    minimum_miss: FloatArray = field(default_factory=lambda: np.zeros(0))
    unaffordable_minimum_miss: FloatArray = field(default_factory=lambda: np.zeros(0))
    # reasons as mechanisms (sim.model.portfolio.reasons): days after placement until income
    # returns (inf: never fell, or not within the program) and the capacity it brings
    income_returns_after: FloatArray = field(default_factory=lambda: np.zeros(0))
    recovered_capacity: FloatArray = field(default_factory=lambda: np.zeros(0))
    cleared_cure_rate: FloatArray = field(default_factory=lambda: np.zeros(0))
    misunderstood_complaint: FloatArray = field(default_factory=lambda: np.zeros(0))
    # when the cardholder answers (sim.model.agency.reach): the local clock's lead on the
    # agencies' clock (days), and the answer factors of weekday evenings and weekends
    local_offset: FloatArray = field(default_factory=lambda: np.zeros(0))
    evening_answer_factor: FloatArray = field(default_factory=lambda: np.zeros(0))
    weekend_answer_factor: FloatArray = field(default_factory=lambda: np.zeros(0))
    # placement (set by the bank when each vintage is placed)
    agency: npt.NDArray[np.int16] = field(default_factory=lambda: np.zeros(0, np.int16))
    placed_day: FloatArray = field(default_factory=lambda: np.zeros(0))
    workable_day: FloatArray = field(default_factory=lambda: np.zeros(0))
    recall_day: FloatArray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        n = len(self.balance)
        self.n = n
        for name, empty in (("minimum_miss", 0.0), ("unaffordable_minimum_miss", 0.0),
                            ("income_returns_after", np.inf), ("recovered_capacity", 0.0),
                            ("cleared_cure_rate", 0.0), ("misunderstood_complaint", 0.0),
                            ("local_offset", 0.0), ("evening_answer_factor", 1.0),
                            ("weekend_answer_factor", 1.0)):
            if len(getattr(self, name)) != n:
                setattr(self, name, np.full(n, empty))
        if len(self.agency) != n:  # not yet placed: no agency, no dates
            self.agency = np.full(n, -1, dtype=np.int16)
            self.placed_day = np.full(n, np.inf)
            self.workable_day = np.full(n, np.inf)
            self.recall_day = np.full(n, np.inf)
        state = self.call_state = record_table(n, CALL_STATE_FIELDS)
        state["agency"], state["phone_valid"] = self.agency, self.phone_valid
        self.agency, self.phone_valid = state["agency"], state["phone_valid"]
        self.last_attempt: FloatArray = state["last_attempt"]
        self.first_attempt: FloatArray = state["first_attempt"]  # time of the first call
        self.first_rpc: FloatArray = state["first_rpc"]  # time of the first conversation
        self.attempts: npt.NDArray[np.int32] = state["attempts"]
        self.attempts_today: npt.NDArray[np.int32] = state["attempts_today"]
        self.rpcs: npt.NDArray[np.int32] = state["rpcs"]
        self.max_pressure: npt.NDArray[np.int32] = state["max_pressure"]
        self.status: npt.NDArray[np.int8] = state["status"]
        self.recalled: BoolArray = state["recalled"]
        self.phone_known_bad: BoolArray = state["phone_known_bad"]
        self.status[:] = Status.PENDING
        self.last_attempt[:] = -1e9
        self.first_attempt[:] = self.first_rpc[:] = np.nan
        self.is_placed = np.zeros(n, dtype=np.bool_)
        # placed a second time (sim.model.bank.second_placement)
        self.replaced = np.zeros(n, dtype=np.bool_)
        self.first: dict[str, np.ndarray] | None = None  # first placement, when re-placed
        self.vintage = np.zeros(n, dtype=np.int16)
        self.cure_level = np.zeros(n)
        # ledger, integer cents
        self.placed = self.balance.copy()
        self.accrued = np.zeros(n, dtype=np.int64)
        self.collected = np.zeros(n, dtype=np.int64)
        self.waived = np.zeros(n, dtype=np.int64)
        self.outstanding = self.balance.copy()
        self.interest_frozen = np.zeros(n, dtype=np.bool_)
        self.collected_at_recall = np.zeros(n, dtype=np.int64)
        self.plan_at_recall = np.zeros(n, dtype=np.bool_)
        # contact history (attempts, first_attempt/first_rpc: times of the first call and
        # conversation, and the rest of the per-call state: see CALL_STATE_FIELDS)
        self.conversations = np.zeros(n, dtype=np.int32)
        self.complaints = np.zeros(n, dtype=np.int32)
        self.disputes = np.zeros(n, dtype=np.int32)
        self.breathing_spaces = np.zeros(n, dtype=np.int32)
        self.violations = np.zeros(n, dtype=np.int32)  # against the regime in force
        self.breaches = np.zeros(n, dtype=np.int32)  # against the reference standard
        self.regulator_complaints = np.zeros(n, dtype=np.int32)
        self.messages = np.zeros(n, dtype=np.int32)
        self.reminded = np.zeros(n, dtype=np.bool_)  # reached by a message today
        self.linked = np.zeros(n, dtype=np.bool_)  # reached by a message with a payment link today
        # what the call strategy remembers (sim.model.agency.call_list): unanswered dials since
        # the last conversation, the times of the last refusal and broken promise, and the
        # parts of the week (sim.model.agency.reach.DayPart bits) the cardholder answered in
        self.unanswered_since_talk = np.zeros(n, dtype=np.int32)
        self.last_refusal = np.full(n, -np.inf)
        self.last_broken = np.full(n, -np.inf)
        self.answered_parts = np.zeros(n, dtype=np.int8)
        # how far down its offer ladder the agency has gone with the cardholder (offers refused
        # in earlier conversations since charge-off and since this placement began:
        # sim.model.agency.conversation)
        self.offers_refused = np.zeros(n, dtype=np.int8)
        # skip tracing (sim.model.agency.desk): when the trace of a number found wrong answers,
        # and how many traces were run
        self.trace_due = np.full(n, np.inf)
        # the day a cardholder the agency was working paid of their own accord (the agency
        # learns of it [bank] posting_lag_days later)
        self.paid_day = np.full(n, -np.inf)
        self.traces = np.zeros(n, dtype=np.int32)
        # promises and plans
        self.promises = np.zeros(n, dtype=np.int32)
        self.promises_kept = np.zeros(n, dtype=np.int32)
        self.promises_broken = np.zeros(n, dtype=np.int32)
        self.promise_due = np.full(n, NOT_YET)
        self.promise_amount = np.zeros(n, dtype=np.int64)
        self.promise_settles = np.zeros(n, dtype=np.bool_)  # kept promise closes as SETTLED
        self.promise_waives = np.zeros(n, dtype=np.bool_)  # remainder waived when kept
        self.keep_probability = np.zeros(n)
        self.plan_installment = np.zeros(n, dtype=np.int64)
        self.plan_left = np.zeros(n, dtype=np.int32)
        self.plan_paid = np.zeros(n, dtype=np.int32)
        self.plans_started = np.zeros(n, dtype=np.int32)
        self.redefaulted = np.zeros(n, dtype=np.bool_)
        self.ever_paid_instalment = np.zeros(n, dtype=np.bool_)
        self.self_cured = np.zeros(n, dtype=np.bool_)
        self.closed_day = np.full(n, np.nan)
        # the bank's control group: kept by the bank, never placed with an agency
        self.in_control = np.zeros(n, dtype=np.bool_)
        # delinquency lifecycle (sim.model.portfolio.lifecycle); money in integer cents
        self.minimum_payment = np.zeros(n, dtype=np.int64)
        self.past_due = np.zeros(n, dtype=np.int64)
        self.paid_this_cycle = np.zeros(n, dtype=np.int64)
        self.due_offset = np.zeros(n, dtype=np.int16)  # due dates: days d with d % 30 == it
        self.entered_day = np.full(n, -1, dtype=np.int32)  # day it entered the lifecycle
        self.cycle_state = np.full(n, -1, dtype=np.int8)  # Delinquency at the last due date
        self.state_at_placement = np.full(n, -1, dtype=np.int8)
        self.state_at_recall = np.full(n, -1, dtype=np.int8)
        self.delinquent_at_recall = np.zeros(n, dtype=np.bool_)
        self.charged_off = np.zeros(n, dtype=np.bool_)
        self.charged_off_day = np.full(n, np.nan)  # -inf: placed already charged off
        self.written_off = np.zeros(n, dtype=np.int64)  # balance charged off the books
        self.collected_after_charge_off = np.zeros(n, dtype=np.int64)
        self.cured_day = np.full(n, np.nan)  # first cure in the program
        self.reages = np.zeros(n, dtype=np.int32)
        self.last_reage_day = np.full(n, -np.inf)
        self.plan_reages = np.zeros(n, dtype=np.bool_)  # the live plan re-ages when done
        self.promise_cures = np.zeros(n, dtype=np.bool_)  # the live promise pays the past due
        self.income_returned = np.zeros(n, dtype=np.bool_)
        self.hardship_payment = np.zeros(n, dtype=np.int64)  # reduced minimum; 0 = none
        self.hardship_until = np.full(n, np.inf)  # day a hardship programme steps up

    @cached_property
    def views(self) -> ScalarViews:
        """One-element access to every per-account array, for the hot path."""
        return ScalarViews(self)

    def in_program(self) -> BoolArray:
        """Accounts in the program: placed with a desk, or held out in the control group once
        their vintage is (until then a later vintage's control accounts wait, as its placed
        accounts do: no interest, no payments)."""
        return self.is_placed | (self.in_control & np.isfinite(self.placed_day))

    # ------------------------------------------------------------------ money

    def pay(self, idx: IntArray, amounts: IntArray) -> None:
        """Record payments of ``amounts`` cents (at most the outstanding) on distinct ``idx``.

        A payment goes to the past-due amount first (see
        :mod:`sim.model.portfolio.lifecycle`); after charge-off it is a recovery.
        """
        amounts = np.minimum(amounts, self.outstanding[idx])
        self.collected[idx] += amounts
        self.outstanding[idx] -= amounts
        self.paid_this_cycle[idx] += amounts
        self.collected_after_charge_off[idx] += np.where(self.charged_off[idx], amounts, 0)
        left = np.maximum(self.past_due[idx] - amounts, 0)
        self.past_due[idx] = np.where(self.outstanding[idx] == 0, 0, left)

    def waive(self, idx: IntArray) -> None:
        """Forgive what remains outstanding on ``idx``."""
        self.waived[idx] += self.outstanding[idx]
        self.outstanding[idx] = 0
        self.past_due[idx] = 0

    def accrue(self, idx: IntArray, amounts: IntArray) -> None:
        """Add interest or fees of ``amounts`` cents to ``idx``."""
        self.accrued[idx] += amounts
        self.outstanding[idx] += amounts

    def ledger_gap(self) -> IntArray:
        """placed + accrued − collected − waived − outstanding, per account (all zeros if sound)."""
        return self.placed + self.accrued - self.collected - self.waived - self.outstanding

    def check_ledger(self) -> None:
        """Raise ``AssertionError`` if any account's money does not add up.

        Besides the identity, the charged-off column must hold: what a charged-off account
        still owes never exceeds what was written off (no interest or fees after charge-off),
        only charged-off accounts have anything written off, and no past-due amount is
        negative.
        """
        gap = self.ledger_gap()
        bad = np.flatnonzero(gap)
        if len(bad) or (self.outstanding < 0).any():
            raise AssertionError(f"ledger broken on {len(bad)} accounts, first {bad[:5]}")
        grown = np.flatnonzero(self.charged_off & (self.outstanding > self.written_off))
        if len(grown):
            raise AssertionError(f"charged-off balance grew on {len(grown)} accounts, "
                                 f"first {grown[:5]}")
        phantom = np.flatnonzero(~self.charged_off & (self.written_off != 0))
        if len(phantom) or (self.past_due < 0).any():
            raise AssertionError(f"charged-off column broken on {len(phantom)} accounts")


def draw_portfolio(spec: Portfolio, bank: Bank, streams: Streams) -> Accounts:
    """Draw the latent attributes of every account from the ``portfolio`` stream."""
    rng = streams.get("portfolio")
    n = spec.accounts
    names = list(spec.segments)
    shares = np.array([spec.segments[s].share for s in names])
    segment = rng.choice(len(names), size=n, p=shares / shares.sum()).astype(np.int16)

    columns: dict[str, FloatArray] = {
        key: np.zeros(n)
        for key in ("answer_rate", "willingness", "lump_sum_share", "monthly_capacity",
                    "self_cure_rate", "reminder_lift", "payment_link_lift", "dispute_rate",
                    "complaint_sensitivity", "cease_rate", "callback_rate", "promise_keep",
                    "hardship_response", "misunderstanding", "balance_scale",
                    "breathing_space_request", "redefault_risk", "minimum_miss",
                    "unaffordable_minimum_miss", "cleared_cure_rate", "misunderstood_complaint",
                    "evening_answer_factor", "weekend_answer_factor")
    }
    for code, name in enumerate(names):
        seg = spec.segments[name]
        members = np.flatnonzero(segment == code)
        m = len(members)
        traits = draw_traits(rng, {key: getattr(seg, key) for key in BETA_TRAITS},
                             seg.concentration, m, spec.trait_correlations)
        for key in BETA_TRAITS:
            columns[key][members] = traits[key]
        for key in ("self_cure_rate", "reminder_lift", "payment_link_lift", "hardship_response",
                    "balance_scale", "breathing_space_request", "redefault_risk", "minimum_miss",
                    "unaffordable_minimum_miss", "cleared_cure_rate", "misunderstood_complaint",
                    "evening_answer_factor", "weekend_answer_factor"):
            columns[key][members] = getattr(seg, key)
        columns["misunderstanding"][members] = rng.random(m) < seg.misunderstanding

    dist = spec.balance
    raw = np.exp(rng.normal(np.log(dist.median), dist.sigma, n)) * columns["balance_scale"]
    balance = np.rint(np.clip(raw, dist.min, dist.max) * CENTS_PER_UNIT).astype(np.int64)
    dpd = rng.integers(spec.days_past_due.low, spec.days_past_due.high + 1, n).astype(np.int32)
    cure_budget = rng.standard_exponential(n)
    ability = np.minimum(1.0, columns["lump_sum_share"] + 6.0 * columns["monthly_capacity"])
    propensity = columns["willingness"] * ability
    payer = rng.random(n) < propensity
    # contact data: each segment's own quality, else the bank's
    phone_share = np.array([_or(spec.segments[s].phone_valid, bank.phone_valid) for s in names])
    email_share = np.array([_or(spec.segments[s].email_valid, bank.email_valid) for s in names])
    phone_valid = rng.random(n) < phone_share[segment]
    email_valid = rng.random(n) < email_share[segment]
    zones = spec.time_zones  # drawn from a stream of their own: no other draw moves
    zone_shares = np.array([z.share for z in zones])
    zone = streams.get("timezones").choice(len(zones), size=n, p=zone_shares / zone_shares.sum())
    local_offset = np.array([z.offset_hours for z in zones], dtype=np.float64)[zone] / 24.0
    returns_after, recovered = income_spells(spec, segment, dpd, columns["monthly_capacity"],
                                             streams.get("income"))

    return Accounts(
        segment_names=names,
        segment=segment,
        balance=balance,
        days_past_due=dpd,
        answer_rate=columns["answer_rate"],
        willingness=columns["willingness"],
        lump_sum_share=columns["lump_sum_share"],
        monthly_capacity=columns["monthly_capacity"],
        self_cure_rate=columns["self_cure_rate"],
        reminder_lift=columns["reminder_lift"],
        payment_link_lift=columns["payment_link_lift"],
        cure_budget=cure_budget,
        misunderstanding=columns["misunderstanding"].astype(np.bool_),
        dispute_rate=columns["dispute_rate"],
        complaint_sensitivity=columns["complaint_sensitivity"],
        cease_rate=columns["cease_rate"],
        callback_rate=columns["callback_rate"],
        promise_keep=columns["promise_keep"],
        hardship_response=columns["hardship_response"],
        breathing_space_request=columns["breathing_space_request"],
        redefault_risk=columns["redefault_risk"],
        propensity=propensity,
        payer=payer,
        phone_valid=phone_valid,
        email_valid=email_valid,
        minimum_miss=columns["minimum_miss"],
        unaffordable_minimum_miss=columns["unaffordable_minimum_miss"],
        income_returns_after=returns_after,
        recovered_capacity=recovered,
        cleared_cure_rate=columns["cleared_cure_rate"],
        misunderstood_complaint=columns["misunderstood_complaint"],
        local_offset=local_offset,
        evening_answer_factor=columns["evening_answer_factor"],
        weekend_answer_factor=columns["weekend_answer_factor"],
    )


def _or(value: float | None, default: float) -> float:
    """``value``, or ``default`` when it is unset."""
    return default if value is None else value
