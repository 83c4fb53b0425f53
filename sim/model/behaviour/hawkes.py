"""Self-exciting repayment behaviour after Chehrazi & Weber (Management Science 2015) and
Chehrazi, Glynn & Weber (Management Science 2019).

Each account's repayment intensity λ(t) decays toward a base rate ``lambda_inf`` at rate
``kappa``, starting from ``lambda0`` at placement::

    dλ = κ(λ∞ − λ) dt + (δ10 + δ11·R) dN + δ2 dA

where N counts repayments and A right-party contacts (collection actions). Each repayment pays
a share R ~ U(r_min, r_max) of what the account owes now: the outstanding balance once it is
charged off (the setting of Chehrazi & Weber, and of ``check hawkes``), the past-due amount
before (so a repayment of R = 1 cures it; :func:`sim.model.payments.self_cure`). Times are in
days.

Conversations still follow the stage model for complaints, disputes and cease requests (an
account that objects is not paid out of the conversation); there are no promises: the effect of
a contact is the jump ``delta2`` in the repayment intensity.

Simulation is exact, by the time-change theorem: each account holds an Exp(1) budget, and its
next repayment comes when the integrated intensity since the last one uses the budget up.
Between boundaries (the day's contacts, and the end of the day) the intensity is
deterministic, so the integral has a closed form; the moment a budget runs out is found by
Newton's method. Budgets and repaid shares are counter-based draws keyed by (account,
repayment number) — they belong to accounts, not to the order of draws — so scenarios that
differ only in ways that leave an account's intensity alone give that account the same
repayments (common random numbers). All open accounts advance together with numpy; only those
with a repayment or a boundary left in the day take another turn.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from sim.config.schema import Behaviour, HawkesParameters, StageParameters
from sim.model.behaviour.base import (
    NO_OFFER,
    AgencyStyle,
    BoolArray,
    FloatArray,
    IntArray,
    Offers,
    Outcomes,
)
from sim.model.behaviour.stage import ALREADY_PAID, NO_OBJECTION, REFUSAL, StageModel
from sim.model.portfolio.accounts import Accounts
from sim.model.rng import Streams, counter_uniforms


def integrated_intensity(lam: FloatArray, lam_inf: float, kappa: float,
                         span: FloatArray) -> FloatArray:
    """∫₀^span of ``lam_inf + (lam − lam_inf)·e^{−κs}`` ds."""
    if kappa <= 0:
        return lam * span
    return lam_inf * span + (lam - lam_inf) * -np.expm1(-kappa * span) / kappa


def time_to_mass(lam: FloatArray, lam_inf: float, kappa: float, mass: FloatArray) -> FloatArray:
    """The span over which the intensity integrates to ``mass`` (which it must reach).

    Newton's method from ``mass / lam``: the integrated intensity is increasing and concave
    (``lam >= lam_inf``), so the iterates rise monotonically to the root.
    """
    span = mass / lam
    for _ in range(60):
        gap = integrated_intensity(lam, lam_inf, kappa, span) - mass
        if np.all(np.abs(gap) <= 1e-12 * np.maximum(mass, 1.0)):
            break
        slope = lam_inf + (lam - lam_inf) * np.exp(-kappa * span)
        span = span - gap / slope
    return span


class HawkesModel(StageModel):
    """Repayments as a self-exciting point process per account; see the module docstring."""

    def __init__(self, accounts: Accounts, stage: StageParameters, params: HawkesParameters,
                 streams: Streams) -> None:
        super().__init__(accounts, stage, streams)
        self.h = params
        self._share_key = streams.key("payments", 1)
        self._budget_key = streams.key("payments", 2)
        self.budget = self._exponential(np.arange(accounts.n), np.zeros(accounts.n))
        self.intensity = np.full(accounts.n, params.lambda0)
        self.clock = np.full(accounts.n, np.nan)  # time of `intensity`; set at placement
        self._contacts: dict[int, list[float]] = defaultdict(list)
        self.repayments = np.zeros(accounts.n, dtype=np.int32)

    @classmethod
    def from_spec(cls, spec: Behaviour, accounts: Accounts, streams: Streams,
                  breathing_space_offered: bool) -> HawkesModel:
        """The model with ``[behaviour.hawkes]``, and ``[behaviour.stage]`` for answers,
        complaints and objections."""
        model = cls(accounts, spec.stage, spec.hawkes, streams)
        model.breathing_space_offered = breathing_space_offered
        return model

    def converse_many(self, idx: IntArray, now: FloatArray, style: AgencyStyle, offers: Offers,
                      pressure: IntArray, violation: BoolArray, draws: FloatArray) -> Outcomes:
        """Complaints and objections as in the stage model; no promises: repayments come from
        the point process, and a conversation that raises no objection is a refusal."""
        paid = offers.kind[:, 0] == NO_OFFER  # called after paying (see the stage model)
        complaint = self.complains_many(idx, style, pressure, violation, draws,
                                        np.where(paid, self.p.paid_call_complaint, 0.0))
        outcome = np.where(paid, ALREADY_PAID, REFUSAL).astype(np.int64)
        talking = np.flatnonzero(~paid)
        objection = self.objects_many(idx[talking], style, pressure[talking], draws[talking])
        objects = objection != NO_OBJECTION
        outcome[talking[objects]] = objection[objects]
        return Outcomes(outcome, complaint, np.zeros(len(idx)), np.full(len(idx), -1))

    def contacted(self, i: int, now: float) -> None:
        self._contacts[i].append(now)

    def keeps(self, idx: IntArray, day: int, first: BoolArray) -> BoolArray:
        return np.zeros(len(idx), dtype=np.bool_)

    def spontaneous(self, idx: IntArray, day: int, reminded: BoolArray,
                    linked: BoolArray | None = None) -> FloatArray:
        """Advance ``idx`` through day ``[day, day+1)``; return the share each repaid."""
        h = self.h
        end = float(day + 1)
        remaining = np.ones(len(idx))
        fresh = idx[np.isnan(self.clock[idx])]
        self.clock[fresh] = self.acc.placed_day[fresh]  # the process starts at placement
        t = np.maximum(self.clock[idx], float(day))
        lam = self._decay(self.intensity[idx], t - self.clock[idx])
        boundaries, pointer, stop = self._boundaries(idx, t, end)
        budget = self.budget[idx]
        active = np.flatnonzero(t < end)
        while len(active):
            nxt = np.where(pointer[active] < stop[active],
                           boundaries[np.minimum(pointer[active], len(boundaries) - 1)], end)
            mass = integrated_intensity(lam[active], h.lambda_inf, h.kappa, nxt - t[active])
            fires = mass >= budget[active]
            # a repayment before the next boundary
            payers = active[fires]
            span = time_to_mass(lam[payers], h.lambda_inf, h.kappa, budget[payers])
            account, count = idx[payers], self.repayments[idx[payers]]
            share = h.r_min + (h.r_max - h.r_min) * counter_uniforms(self._share_key, account,
                                                                     count)
            lam[payers] = self._decay(lam[payers], span) + h.delta10 + h.delta11 * share
            t[payers] = np.minimum(t[payers] + span, nxt[fires])
            remaining[payers] *= 1.0 - share
            budget[payers] = self._exponential(account, count + 1)
            self.repayments[account] += 1
            # the boundary comes first: a contact (jump) or the end of the day
            movers = active[~fires]
            budget[movers] -= mass[~fires]
            lam[movers] = self._decay(lam[movers], nxt[~fires] - t[movers])
            t[movers] = nxt[~fires]
            contact = movers[pointer[movers] < stop[movers]]
            lam[contact] += h.delta2
            pointer[contact] += 1
            active = np.concatenate([payers[remaining[payers] > 0], contact])
            active = np.sort(active[t[active] < end])
        self.budget[idx] = budget
        self.intensity[idx] = lam
        self.clock[idx] = np.maximum(t, end)
        self._contacts.clear()
        return 1.0 - remaining

    def _exponential(self, account: np.ndarray, count: np.ndarray) -> FloatArray:
        """The Exp(1) budget before repayment number ``count + 1`` of each account."""
        return -np.log(counter_uniforms(self._budget_key, account, count))

    def _decay(self, lam: FloatArray, elapsed: FloatArray) -> FloatArray:
        h = self.h
        return h.lambda_inf + (lam - h.lambda_inf) * np.exp(-h.kappa * elapsed)

    def _boundaries(self, idx: IntArray, start: FloatArray,
                    end: float) -> tuple[FloatArray, IntArray, IntArray]:
        """The day's contact times, flattened, with each account's [pointer, stop) range.

        ``idx`` is sorted (it comes from ``np.flatnonzero``).
        """
        pointer = np.zeros(len(idx), dtype=np.int64)
        stop = np.zeros(len(idx), dtype=np.int64)
        times: list[float] = []
        if self._contacts:
            accounts = np.fromiter(self._contacts.keys(), dtype=np.int64)
            where = np.minimum(np.searchsorted(idx, accounts), len(idx) - 1)
            for account, k in zip(accounts.tolist(), where.tolist(), strict=True):
                if idx[k] != account:
                    continue  # closed or recalled since the contact
                inside = sorted(w for w in self._contacts[account] if start[k] <= w < end)
                pointer[k] = len(times)
                times.extend(inside)
                stop[k] = len(times)
        return np.asarray(times if times else [np.inf]), pointer, stop
