"""Self-exciting repayment behaviour after Chehrazi & Weber (Management Science 2015) and
Chehrazi, Glynn & Weber (Management Science 2019).

Each account's repayment intensity λ(t) decays toward a base rate ``lambda_inf`` at rate
``kappa``, starting from ``lambda0`` at placement::

    dλ = κ(λ∞ − λ) dt + (δ10 + δ11·R) dN + δ2 dA

where N counts repayments and A right-party contacts (collection actions). Each repayment pays
a share R ~ U(r_min, r_max) of the outstanding balance. Times are in days.

Conversations still follow the stage model for complaints, disputes and cease requests (an
account that objects is not paid out of the conversation); there are no promises: the effect of
a contact is the jump ``delta2`` in the repayment intensity.

Simulation is exact. Between boundaries (the day's contacts, and the end of the day) the
intensity is deterministic, so the next repayment time is drawn by inversion of the
cumulative intensity: the sum of a constant part λ∞ and a decaying part (λ − λ∞)e^{−κs}, whose
first event times are drawn separately and the earlier taken (Dassios & Zhao 2013). All open
accounts are advanced together with numpy; only accounts with a repayment or a boundary in the
remaining day take another turn.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from sim.behaviour.base import (
    REFUSAL,
    AgencyStyle,
    BoolArray,
    Conversation,
    FloatArray,
    IntArray,
    Offer,
)
from sim.behaviour.stage import StageModel
from sim.portfolio import Accounts
from sim.rng import Streams
from sim.schema import HawkesParameters, StageParameters


def next_event_delay(lam: FloatArray, lam_inf: float, kappa: float,
                     u1: FloatArray, u2: FloatArray) -> FloatArray:
    """Exact delay to the next event of an intensity ``lam_inf + (lam − lam_inf)·e^{−κs}``.

    Requires ``lam >= lam_inf``. Returns ``inf`` where no event ever comes.
    """
    excess = lam - lam_inf
    with np.errstate(divide="ignore", invalid="ignore"):
        if kappa > 0:
            d = 1.0 + kappa * np.log(u1) / excess
            decaying = np.where((excess > 0) & (d > 0), -np.log(d) / kappa, np.inf)
        else:
            decaying = np.where(excess > 0, -np.log(u1) / excess, np.inf)
        constant = -np.log(u2) / lam_inf if lam_inf > 0 else np.full(len(lam), np.inf)
    return np.minimum(decaying, constant)


class HawkesModel(StageModel):
    """Repayments as a self-exciting point process per account; see the module docstring."""

    def __init__(self, accounts: Accounts, stage: StageParameters, params: HawkesParameters,
                 streams: Streams) -> None:
        super().__init__(accounts, stage, streams)
        self.h = params
        self._rng = streams.get("payments", 1)
        self.intensity = np.full(accounts.n, params.lambda0)
        self.clock = np.full(accounts.n, np.nan)  # time of `intensity`; set at placement
        self._contacts: dict[int, list[float]] = defaultdict(list)
        self.repayments = np.zeros(accounts.n, dtype=np.int32)

    def converse(self, i: int, now: float, style: AgencyStyle, offer: Offer, pressure: int,
                 violation: bool) -> Conversation:
        complaint = self.complains(i, style, pressure, violation)
        objection = self.objects(i, style, pressure)
        return Conversation(REFUSAL if objection is None else objection, complaint)

    def contacted(self, i: int, now: float) -> None:
        self._contacts[i].append(now)

    def keeps(self, idx: IntArray, day: int, first: BoolArray) -> BoolArray:
        return np.zeros(len(idx), dtype=np.bool_)

    def spontaneous(self, idx: IntArray, day: int, reminded: BoolArray) -> FloatArray:
        """Advance ``idx`` through day ``[day, day+1)``; return the share each repaid."""
        h = self.h
        end = float(day + 1)
        remaining = np.ones(len(idx))
        fresh = idx[np.isnan(self.clock[idx])]
        self.clock[fresh] = self.acc.placed_day[fresh]  # the process starts at placement
        t = np.maximum(self.clock[idx], float(day))
        lam = self._decay(self.intensity[idx], t - self.clock[idx])
        boundaries, pointer, stop = self._boundaries(idx, t, end)
        active = np.flatnonzero(t < end)
        while len(active):
            nxt = np.where(pointer[active] < stop[active],
                           boundaries[np.minimum(pointer[active], len(boundaries) - 1)], end)
            delay = next_event_delay(lam[active], h.lambda_inf, h.kappa,
                                     self._rng.random(len(active)), self._rng.random(len(active)))
            at = t[active] + delay
            pays = at < nxt
            # repayments before the next boundary
            payers = active[pays]
            share = self._rng.uniform(h.r_min, h.r_max, len(payers))
            lam[payers] = self._decay(lam[payers], delay[pays]) + h.delta10 + h.delta11 * share
            t[payers] = at[pays]
            remaining[payers] *= 1.0 - share
            self.repayments[idx[payers]] += 1
            # boundaries reached first: a contact (jump) or the end of the day
            movers = active[~pays]
            lam[movers] = self._decay(lam[movers], nxt[~pays] - t[movers])
            t[movers] = nxt[~pays]
            contact = movers[pointer[movers] < stop[movers]]
            lam[contact] += h.delta2
            pointer[contact] += 1
            active = np.concatenate([payers[remaining[payers] > 0], contact])
            active = active[t[active] < end]
        self.intensity[idx] = lam
        self.clock[idx] = np.maximum(t, end)
        self._contacts.clear()
        return 1.0 - remaining

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
