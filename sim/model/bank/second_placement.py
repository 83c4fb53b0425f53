"""Second placement: recalled accounts placed again with another agency, and who gets credit.

With ``[bank] second_placement = "<agency>"``, an account that comes back from its first
placement still owing — not paid, not settled, not on a live plan — is placed the same day with
that agency for another ``horizon_days`` (usually at a higher fee: the agency's own
``commission``). One account then belongs to two agencies in turn, so every figure is split
by placement: at the moment of re-placement the account's counters and state are copied
(:func:`replace_accounts`), the first agency is credited with the copy, and the second agency
with what happened since. The events each placement records afresh — the first call and
conversation, the highest contact pressure, the first cure, an instalment paid, a re-default, a
self-cure — are cleared at re-placement, so what the second agency is credited with happened
while it held the account. For the program as a whole an account re-placed keeps its first
placement's start (agency, placement and hand-over days, state at placement), the earlier of
the two placements' first events, the higher pressure and an event of either placement
(:data:`ACROSS`). :class:`PlacementView` serves those figures to the KPI code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np

from sim.model.codes import Status
from sim.model.portfolio.accounts import NOT_YET, Accounts
from sim.model.rules.history import ContactHistory

# Counters that add up over placements: the second placement's share is final − copy.
ADDITIVE = ("collected", "waived", "accrued", "attempts", "rpcs", "conversations", "promises",
            "promises_kept", "promises_broken", "complaints", "disputes", "violations", "breaches",
            "regulator_complaints", "messages", "breathing_spaces", "collected_after_charge_off")
# State read at the end of a placement: the first placement's is the copy.
STATE = ("status", "outstanding", "first_attempt", "first_rpc", "max_pressure",
         "ever_paid_instalment", "redefaulted", "self_cured", "plan_at_recall", "agency",
         "placed_day", "workable_day", "state_at_placement", "state_at_recall",
         "delinquent_at_recall", "charged_off", "charged_off_day", "written_off",
         "promise_amount", "keep_probability", "plan_left", "plan_paid", "plan_installment",
         "plan_reages", "cured_day")

Kind = Literal["all", "first", "second"]
Combine = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _first_placement(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The first placement's value: where the program began."""
    return first


ACROSS: dict[str, Combine] = {
    "agency": _first_placement, "placed_day": _first_placement,
    "workable_day": _first_placement, "state_at_placement": _first_placement,
    "first_attempt": np.fmin, "first_rpc": np.fmin, "cured_day": np.fmin,
    "max_pressure": np.maximum,
    "ever_paid_instalment": np.logical_or, "redefaulted": np.logical_or,
    "self_cured": np.logical_or,
}
"""How the program as a whole reads a field that re-placement sets afresh, from the first
placement's value and the second's: the start of the program, the earlier first event (a time,
NaN if none), the higher contact pressure, an event of either placement."""


def start_copies(acc: Accounts, rules: ContactHistory) -> None:
    """Prepare the arrays that hold each account's first placement."""
    acc.first = {name: np.zeros_like(getattr(acc, name)) for name in (*ADDITIVE, *STATE)}
    acc.first["ceased"] = np.zeros_like(rules.ceased)


def eligible(acc: Accounts, recalled: np.ndarray) -> np.ndarray:
    """Of the accounts just recalled from an agency (not the bank's control group), those
    still owing and not yet placed twice."""
    status = acc.status[recalled]
    owing = ((status == Status.ACTIVE) | (status == Status.PENDING)
             | (status == Status.PROMISE)) \
        & (acc.outstanding[recalled] > 0) & ~acc.replaced[recalled] & acc.is_placed[recalled]
    return recalled[owing]


def replace_accounts(acc: Accounts, rules: ContactHistory, idx: np.ndarray, agency: int, day: int,
                     transfer_days: int, horizon_days: int) -> None:
    """Copy the first placement of ``idx`` and place them again with ``agency`` on ``day``."""
    copy = acc.first
    assert copy is not None, "start_copies first"
    for name in (*ADDITIVE, *STATE):
        copy[name][idx] = getattr(acc, name)[idx]
    copy["ceased"][idx] = rules.ceased[idx]
    acc.state_at_placement[idx] = acc.state_at_recall[idx]
    acc.replaced[idx] = True
    acc.agency[idx] = agency
    acc.placed_day[idx] = float(day)
    acc.workable_day[idx] = float(day + transfer_days)
    acc.recall_day[idx] = float(day + horizon_days)
    acc.recalled[idx] = False
    acc.status[idx] = Status.PENDING
    acc.promise_due[idx] = NOT_YET
    acc.first_attempt[idx] = np.nan
    acc.first_rpc[idx] = np.nan
    acc.max_pressure[idx] = 0
    acc.cured_day[idx] = np.nan
    acc.ever_paid_instalment[idx] = False
    acc.redefaulted[idx] = False
    acc.self_cured[idx] = False


class PlacementView:
    """Per-account figures of ``members`` for one placement (or for all placements together).

    ``kind = "first"``: what each account looked like when its first placement ended;
    ``"second"``: what happened during its second placement; ``"all"``: the program, from the
    first placement's start to the end (:data:`ACROSS`). Reads like
    :class:`~sim.model.portfolio.accounts.Accounts` (``view.collected`` is an array over
    members).
    """

    def __init__(self, acc: Accounts, rules: ContactHistory, members: np.ndarray,
                 kind: Kind) -> None:
        self._acc = acc
        self._rules = rules
        self.members = members
        self.kind: Kind = kind if getattr(acc, "first", None) is not None else "all"

    def __getattr__(self, name: str) -> np.ndarray:
        acc, members = self._acc, self.members
        source = self._rules if name == "ceased" else acc
        current = getattr(source, name)[members]
        copy = acc.first
        if self.kind == "all":
            if copy is None or name not in ACROSS:
                return current
            combined = ACROSS[name](copy[name][members], current)
            return np.where(acc.replaced[members], combined, current)
        assert copy is not None
        if self.kind == "first":
            if name in copy:
                return np.where(acc.replaced[members], copy[name][members], current)
            return current
        if name in ADDITIVE:
            return current - copy[name][members]
        if name == "placed":
            return copy["outstanding"][members]
        return current
