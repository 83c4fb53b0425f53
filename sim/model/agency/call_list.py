"""An agency's call list: which of its accounts the dialler dials in each pacing interval.

The agency keeps its accounts in its priority order (score, balance, days past due or random),
computed at hand-over. At the start of each pacing interval the dialler asks for the accounts
it may dial (:meth:`CallList.candidates`): workable, worth the agency's effort (expected fee at
least ``min_expected_fee``), not under a promise, number not known to be wrong, attempts today below
the agency's cap (raised by its response to its standing: :mod:`sim.model.agency.response`),
last attempt at least ``retry_hours`` ago, inside the contact window on the cardholder's local
clock (as the agency's records have it), and allowed by the rules — or let
through by one of the agency's slips (:mod:`sim.model.agency.conduct`). A cardholder who paid of
their own accord stays on the list until the payment reaches the agency (``[bank]
posting_lag_days``). The order depends on the agency's ``strategy``:

* ``static`` — the priority order as computed at hand-over, from the top every interval: the
  best accounts are called again and again while the rest wait;
* ``adaptive`` — what collection operations do: accounts not yet attempted first, oldest
  hand-over first (the first-attempt service level); then the priority order, each account's
  standing falling by ``attempt_decay`` with every unanswered attempt since its last
  conversation and doubled where the cardholder answered before at this time of the week
  (:mod:`sim.model.agency.reach`); nobody is called during the cool-off after a refusal or a
  broken promise — except on the day a cardholder asked to be called back.

Contact pressure (calls in the last 7 days) is what the cardholder feels at each call: it is
read from the rule book's ring of call times.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

from sim.config.schema import Agency
from sim.model.agency.conduct import Conduct
from sim.model.agency.fees import expected_fee
from sim.model.agency.reach import day_part, part_bits
from sim.model.agency.response import Standing, respond
from sim.model.codes import Delinquency, Rule, Status
from sim.model.portfolio.accounts import Accounts
from sim.model.rules.book import RuleBook
from sim.model.rules.history import local_day
from sim.model.rules.table import CLOCK_TOLERANCE, Contact
from sim.model.units import CENTS_PER_UNIT, HOURS_PER_DAY, PRESSURE_WINDOW_DAYS

ALLOWED, ACTIVE = int(Rule.ALLOWED), int(Status.ACTIVE)
FRESH_FIRST = 1e9  # puts never-attempted accounts ahead of every standing (keys are days)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class CallList:
    """Membership, priority order and the call list of agency ``index``, which ``rules``
    bind and whose ``conduct`` may let a forbidden call through.

    ``score`` is the agency's own score of every account; ``priority_rng`` orders accounts
    under ``priority = "random"``.
    """

    def __init__(self, index: int, profile: Agency, accounts: Accounts, rules: RuleBook,
                 conduct: Conduct, horizon_days: int, score: np.ndarray,
                 priority_rng: np.random.Generator, start_weekday: int = 0,
                 posting_lag: float = 0.0) -> None:
        self.index = index
        self.profile = profile
        self.acc = accounts
        self.rules = rules
        self.horizon_days = horizon_days
        self.score = score
        self.priority_key = priority_keys(profile, accounts, score, priority_rng)
        self.conduct = conduct
        self.history = rules.history
        self.members = np.zeros(0, dtype=np.int64)
        self.order = self.members
        """The members in priority order."""
        self.by_account = self.members
        """The members in order of account number (the order their records are stored in)."""
        self.place = np.zeros(accounts.n, dtype=np.int32)
        """Each member's place in :attr:`order` (0 for the best)."""
        self.today = self.members
        """The accounts workable at the start of the day, in order of account number (see
        :meth:`new_day`): read in storage order, the day's list is read from memory in one
        sweep whatever its size; the calls it yields are put in priority order."""
        self.worked = np.ones(accounts.n, dtype=np.bool_)
        self.adaptive = profile.strategy == "adaptive"
        self.start_weekday = start_weekday
        self.retry = profile.retry_hours / HOURS_PER_DAY
        self.posting_lag = posting_lag
        self.days_behind = 0
        self.review_standing: Standing | None = None
        """The agency's standing at the bank's last review (``None`` before the first)."""
        self.book: float | None = None
        """The accounts the agency holds over those its ``collectors`` were planned for (set
        each day before :meth:`new_day`; ``None``: not known)."""
        self.effort = respond(profile, profile.compliance, None)
        """Today's compliance, attempts cap and collectors working this client
        (:mod:`sim.model.agency.response`)."""

    def add_members(self, idx: np.ndarray) -> None:
        """Take on newly placed accounts ``idx`` and re-rank the call list."""
        if len(idx) == 0:
            return
        self.members = np.concatenate([self.members, idx])
        self.conduct.take_on(idx)
        self.order = self.members[np.argsort(self.priority_key[self.members], kind="stable")]
        self.by_account = np.sort(self.members)
        self.place[self.order] = np.arange(len(self.order))
        profile = self.profile
        if profile.kind == "contingency" and profile.min_expected_fee > 0:
            prior = float(self.acc.propensity.mean())  # the agency knows the portfolio's mix
            balance = self.acc.balance[idx] / CENTS_PER_UNIT
            charged = self.acc.state_at_placement[idx] == Delinquency.CHARGED_OFF
            fee = expected_fee(profile, balance, self.score[idx], prior, charged)
            self.worked[idx] = fee >= profile.min_expected_fee

    def new_day(self, day: int) -> None:
        """List the accounts workable today (accounts only become workable at midnight: at
        hand-over, when a promise breaks), and start the day's conduct: the agency's controls
        catch slips with chance ``compliance`` (``compliance_when_behind`` while it is behind
        its target pace), less its response to its standing at the last review, which also
        sets the day's attempts cap and collectors (:mod:`sim.model.agency.response`)."""
        acc = self.acc
        self.today = workable_today(self.by_account, acc.agency, self.index, acc.recalled,
                                    acc.status, acc.paid_day, self.posting_lag, day,
                                    acc.phone_known_bad, self.worked, acc.first_attempt)
        compliance = self.profile.compliance
        if self.behind_target(day):
            self.days_behind += 1
            if self.profile.compliance_when_behind is not None:
                compliance = self.profile.compliance_when_behind
        self.effort = respond(self.profile, compliance, self.review_standing, self.book)
        self.conduct.new_day(self.members, self.effort.compliance)

    def behind_target(self, day: int) -> bool:
        """Whether recovery so far trails ``target_recovery`` pro rata to the accounts' age."""
        profile = self.profile
        if not profile.target_recovery:
            return False
        acc, members = self.acc, self.members
        if len(members) == 0:
            return False
        placed = acc.placed[members].astype(np.float64)
        age = np.clip((day - acc.placed_day[members]) / self.horizon_days, 0.0, 1.0)
        pace = profile.target_recovery * float((placed * age).sum() / placed.sum())
        return float(acc.collected[members].sum() / placed.sum()) < pace

    def candidates(self, start: float, end: float, limit: int) -> tuple[IntArray, IntArray]:
        """Up to ``limit`` accounts to dial in the pacing interval ``[start, end)``, best first,
        with the rule each call would break (``ALLOWED`` if none).

        An account is a candidate when it is being worked by this agency (active, not
        recalled, not screened out once it has had its first call, number not known to be
        wrong), it is under the agency's
        daily attempt cap, its last attempt is ``retry_hours`` old, it is out of any cool-off
        (adaptive strategy; a cardholder who asked to be called today is not), its contact
        window covers the whole interval on the clock the agency believes the cardholder keeps,
        and the rules allow a call — or one of the agency's slips lets it through.
        """
        acc, profile, window = self.acc, self.profile, self.rules
        # accounts leave the day's list (a promise, a wrong number found, the one call an
        # account screened out is owed, the day's attempts made), never join it
        self.today, chosen = callable_now(
            self.today, acc.status, acc.paid_day, self.posting_lag, acc.phone_known_bad,
            self.worked, acc.first_attempt, acc.attempts_today, self.effort.attempts,
            acc.last_attempt, self.retry, self.adaptive, acc.last_refusal,
            profile.cool_off_days_after_refusal, acc.last_broken,
            profile.cool_off_days_after_broken_promise, self.history.consent_day,
            acc.local_offset, self.conduct.believed_offset, window.window_start,
            window.window_end, start, end)
        blocks = self.rules.account_block_reasons(chosen, start)
        allowed = blocks == ALLOWED
        blocked = np.flatnonzero(~allowed)  # a slip can only let a forbidden call through
        allowed[blocked] = self.conduct.overlooked(chosen[blocked], blocks[blocked], start,
                                                   Contact.CALL)
        chosen, blocks = chosen[allowed], blocks[allowed]
        rank = self.adaptive_rank(chosen, start) if self.adaptive else None
        ranked = np.argsort(self.place[chosen])  # from account order into priority order
        chosen, blocks = chosen[ranked], blocks[ranked]
        if rank is None:
            return chosen[:limit], blocks[:limit]
        rank = rank[ranked]
        if len(chosen) > limit:
            best = np.argpartition(rank, limit - 1)[:limit]
            picked = best[np.argsort(rank[best], kind="stable")]
        else:
            picked = np.argsort(rank, kind="stable")
        return chosen[picked], blocks[picked]

    def adaptive_rank(self, idx: IntArray, now: float) -> FloatArray:
        """Sort keys of ``idx`` under the adaptive strategy (smaller is dialled first).

        Cardholders who asked to be called today come first (the collector said they would
        call), then accounts never attempted, oldest hand-over first; the rest by their standing
        in the agency's priority order (1 for the best, towards 0 for the worst) times
        ``attempt_decay`` per unanswered attempt since the last conversation, doubled where the
        cardholder answered before in the part of the week the interval falls in.
        """
        acc = self.acc
        fresh = np.isnan(acc.first_attempt[idx])  # not yet called in this placement
        standing = 1.0 - self.place[idx] / len(self.order)  # 1 for the best, towards 0
        value = standing * self.profile.attempt_decay ** acc.unanswered_since_talk[idx]
        bits = part_bits(day_part(now + acc.local_offset[idx], self.start_weekday))
        value = np.where((acc.answered_parts[idx] & bits) != 0, 2.0 * value, value)
        return np.where(self.asked_today(idx, now), -2.0 * FRESH_FIRST,
                        np.where(fresh, acc.workable_day[idx] - FRESH_FIRST, -value))

    def asked_today(self, idx: IntArray, now: float) -> BoolArray:
        """Which cardholders of ``idx`` asked to be called back on the local day of ``now``."""
        return self.history.consent_day[idx] == local_day(now, self.acc.local_offset[idx])

    def pressure(self, idx: IntArray, now: float) -> IntArray:
        """Calls placed to each of ``idx`` in the 7 days before ``now`` (contact pressure)."""
        return (self.history.call_times[idx] > now - PRESSURE_WINDOW_DAYS).sum(axis=1)


@njit(cache=True)
def being_worked(i: int, status: np.ndarray, paid_day: FloatArray, posting_lag: float,
                 now: float, known_bad: BoolArray, worked: BoolArray,
                 first_attempt: FloatArray) -> bool:
    """Whether account ``i`` is one the agency works at ``now``: active (or it paid of its own
    accord too recently for the agency to know), its number not known to be wrong, and not
    screened out once it has had its first call in this placement (``first_attempt``: its
    time, NaN before)."""
    active = status[i] == ACTIVE
    unposted = paid_day[i] + posting_lag > now and not active
    return (active or unposted) and not known_bad[i] \
        and (worked[i] or math.isnan(first_attempt[i]))


@njit(cache=True)
def workable_today(members: IntArray, agency: np.ndarray, index: int, recalled: BoolArray,
                   status: np.ndarray, paid_day: FloatArray, posting_lag: float, day: int,
                   known_bad: BoolArray, worked: BoolArray,
                   first_attempt: FloatArray) -> IntArray:
    """The accounts of ``members`` agency ``index`` works on ``day`` (not recalled, and
    :func:`being_worked`), in their order. Compiled: it reads every member each day."""
    out = np.empty(len(members), dtype=np.int64)
    n = 0
    for i in members:
        if agency[i] == index and not recalled[i] and being_worked(
                i, status, paid_day, posting_lag, day, known_bad, worked, first_attempt):
            out[n] = i
            n += 1
    return out[:n]


@njit(cache=True)
def callable_now(today: IntArray, status: np.ndarray, paid_day: FloatArray, posting_lag: float,
                 known_bad: BoolArray, worked: BoolArray, first_attempt: FloatArray,
                 attempts_today: np.ndarray, cap: int, last_attempt: FloatArray, retry: float,
                 adaptive: bool, last_refusal: FloatArray, refusal_cool_off: float,
                 last_broken: FloatArray, broken_cool_off: float, consent_day: IntArray,
                 local_offset: FloatArray, believed_offset: FloatArray, window_start: float,
                 window_end: float, start: float, end: float) -> tuple[IntArray, IntArray]:
    """The accounts of ``today`` still on the day's list at ``start`` (being worked, in one
    pass: see :meth:`CallList.candidates`), and those of them callable in ``[start, end)``,
    in the list's order. Compiled: it reads every account on the day's list each interval."""
    kept = np.empty(len(today), dtype=np.int64)
    chosen = np.empty(len(today), dtype=np.int64)
    n_kept = n_chosen = 0
    for i in today:
        if not being_worked(i, status, paid_day, posting_lag, start, known_bad, worked,
                            first_attempt) or attempts_today[i] >= cap:
            continue
        kept[n_kept] = i
        n_kept += 1
        if not start - last_attempt[i] >= retry:
            continue
        cooling = adaptive and (start - last_refusal[i] < refusal_cool_off
                                or start - last_broken[i] < broken_cool_off)
        if cooling and consent_day[i] != math.floor(start + local_offset[i]):  # not asked to
            continue  # be called back today
        first = (start + believed_offset[i]) % 1.0 + CLOCK_TOLERANCE
        last = first + (end - start) - 2 * CLOCK_TOLERANCE
        if first >= window_start and last <= window_end:
            chosen[n_chosen] = i
            n_chosen += 1
    return kept[:n_kept], chosen[:n_chosen]


def priority_keys(profile: Agency, acc: Accounts, score: np.ndarray,
                  rng: np.random.Generator) -> np.ndarray:
    """Sort key of every account under the agency's priority (smaller is called first)."""
    priority = profile.priority
    if priority == "score":
        return -score
    if priority == "balance":
        return -acc.balance.astype(np.float64)
    if priority == "days_past_due":
        return acc.days_past_due.astype(np.float64)
    return rng.random(acc.n)
