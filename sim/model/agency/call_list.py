"""An agency's call list: which of its accounts a free collector dials next.

The list is the agency's accounts in priority order (score, balance, days past due or random),
filtered with one vectorised pass whenever it runs out: workable, worth the agency's effort
(expected fee at least ``min_expected_fee``), not under a promise, number not known to be
wrong, attempts today below the agency's cap, last attempt at least ``retry_hours`` ago, and
allowed by the rules, or defied by the agency on one of its defiant days. Each account is
re-checked when its turn comes, since others may have called or reached it meanwhile.

The filters stream through the per-account arrays in memory order and only the verdict is
gathered in priority order; at a million accounts, gathering every array in priority order
touches memory at random and costs more than the whole pass.

Contact pressure (calls in the last 7 days) is what the cardholder feels at each call. It is
counted once per listed account when the list is built, with the time until which that count
stays exact (when the oldest call inside the window ages out of it); at dial time it is the
count plus the calls placed since, and only past that time is the call ring read again.
"""

from __future__ import annotations

import numpy as np

from sim.config.schema import Agency
from sim.model.agency.fees import expected_fee
from sim.model.codes import Rule, Status
from sim.model.portfolio.accounts import Accounts, scalar_view
from sim.model.rules.book import RuleBook
from sim.model.units import CENTS_PER_UNIT, HOUR, HOURS_PER_DAY, PRESSURE_WINDOW_DAYS

ALLOWED, ACTIVE = int(Rule.ALLOWED), int(Status.ACTIVE)  # plain ints for the per-call path


class CallList:
    """Membership, priority order, the day's defiance and the call list of agency ``index``.

    ``score`` is the agency's own score of every account; ``priority_rng`` orders accounts
    under ``priority = "random"``; ``defiance_rng`` draws each day's defiant accounts.
    """

    def __init__(self, index: int, profile: Agency, accounts: Accounts, rules: RuleBook,
                 horizon_days: int, score: np.ndarray, priority_rng: np.random.Generator,
                 defiance_rng: np.random.Generator) -> None:
        self.index = index
        self.profile = profile
        self.acc = accounts
        self.rules = rules
        self.horizon_days = horizon_days
        self.score = score
        self.priority_key = priority_keys(profile, accounts, score, priority_rng)
        self._defiance_rng = defiance_rng
        self.members = np.zeros(0, dtype=np.int64)
        self.order = self.members
        self.worked = np.ones(accounts.n, dtype=np.bool_)
        self.defiant = np.zeros(accounts.n, dtype=np.bool_)
        self._defiant = scalar_view(self.defiant)
        self._views = accounts.views
        self.retry = profile.retry_hours / HOURS_PER_DAY
        self.days_behind = 0
        self.compliance_today = profile.compliance
        self.idle_until = -1.0
        """Until when the list is known to be empty (a collector waits rather than rebuild)."""
        self._list: list[int] = []
        self._position = 0
        self._pressure: list[int] = []
        self._exact_until: list[float] = []
        self._attempts_then: list[int] = []

    def add_members(self, idx: np.ndarray) -> None:
        """Take on newly placed accounts ``idx`` and re-rank the call list."""
        if len(idx) == 0:
            return
        self.members = np.concatenate([self.members, idx])
        self.order = self.members[np.argsort(self.priority_key[self.members], kind="stable")]
        profile = self.profile
        if profile.kind == "contingency" and profile.min_expected_fee > 0:
            prior = float(self.acc.propensity.mean())  # the agency knows the portfolio's mix
            balance = self.acc.balance[idx] / CENTS_PER_UNIT
            fee = expected_fee(profile, balance, self.score[idx], prior)
            self.worked[idx] = fee >= profile.min_expected_fee

    def new_day(self, day: int) -> None:
        """Start each day from the top of the priority list, and decide today's defiance.

        For each of its accounts, the agency ignores the rules today with probability
        ``1 − compliance`` (``1 − compliance_when_behind`` while it is behind its target pace):
        if a rule blocks a call to such an account, the call is made anyway and counted as a
        violation of that rule.
        """
        self._list, self._position = [], 0
        self.idle_until = -1.0
        compliance = self.profile.compliance
        if self.behind_target(day):
            self.days_behind += 1
            if self.profile.compliance_when_behind is not None:
                compliance = self.profile.compliance_when_behind
        self.compliance_today = compliance
        if compliance < 1.0:
            draws = self._defiance_rng.random(len(self.members))
            self.defiant[self.members] = draws >= compliance
        else:
            self.defiant[self.members] = False

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

    def rebuild(self, now: float) -> None:
        """Refill the call list from the top of the priority order (see the module docstring)."""
        acc = self.acc
        callable_now = ((acc.agency == self.index) & (acc.status == Status.ACTIVE)
                        & ~acc.recalled & self.worked & ~acc.phone_known_bad
                        & (acc.attempts_today < self.profile.max_attempts_per_day)
                        & (now - acc.last_attempt >= self.retry))
        candidates = np.flatnonzero(callable_now)
        blocked = ~(self.rules.call_allowed(candidates, now) | self.defiant[candidates])
        callable_now[candidates[blocked]] = False
        order = self.order
        chosen = order[callable_now[order]]
        self._list = chosen.tolist()
        self._position = 0
        ring = self.rules.call_times[chosen]
        inside = ring > now - PRESSURE_WINDOW_DAYS
        self._pressure = inside.sum(axis=1).tolist()
        self._exact_until = (np.where(inside, ring, np.inf).min(axis=1, initial=np.inf)
                             + PRESSURE_WINDOW_DAYS).tolist()
        self._attempts_then = acc.attempts[chosen].tolist()

    def pressure_at(self, position: int, i: int, now: float) -> int:
        """Calls placed to the account at list ``position`` (account ``i``) in the last 7 days."""
        if now < self._exact_until[position]:
            return int(self._pressure[position] + self._views.attempts[i]
                       - self._attempts_then[position])
        return self.rules.pressure(i, now)

    def next_outbound(self, now: float) -> tuple[int, int, int]:
        """The next account to dial, the rule the call breaks (``ALLOWED`` if none) and the
        account's contact pressure; ``(-1, ALLOWED, 0)`` if there is nobody to call."""
        v = self._views
        status, recalled, agency, last_attempt = v.status, v.recalled, v.agency, v.last_attempt
        index, retry, defiant = self.index, self.retry, self._defiant
        call_block = self.rules.call_block
        listed = self._list
        while True:
            position = self._position
            if position >= len(listed):
                if now < self.idle_until:
                    return -1, ALLOWED, 0
                self.rebuild(now)
                listed, position = self._list, 0
                if not listed:
                    self.idle_until = now + max(retry, HOUR)
                    return -1, ALLOWED, 0
            i = listed[position]
            self._position = position + 1
            if status[i] != ACTIVE or recalled[i] or agency[i] != index:
                continue
            if now - last_attempt[i] < retry:
                continue
            block = call_block(i, now)
            if block == ALLOWED or defiant[i]:
                return i, block, self.pressure_at(position, i, now)
            # a rule says no and the agency obeys today: skip this account


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
