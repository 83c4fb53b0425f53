"""Which agency gets which account: the four allocation methods of ``[bank.allocation]``.

Every method is deterministic given (seed, replication) and stable under small changes:

* **fixed** — weighted rendezvous hashing. Each (account, agency) pair has its own Exp(1) key
  from a stream keyed by the agency's name; an account goes to the agency with the smallest
  ``key / share``. Each agency receives each account with probability equal to its share, and
  adding an agency only moves accounts *to* it.
* **champion/challenger** — within each stratum of like accounts (same vintage, segment and
  balance quintile) the challenger takes exactly ``round(challenger_share · n)`` accounts, those
  with the smallest challenger keys, so both samples have the same mix and the comparison is
  fair.
* **segment rules** — the first matching route decides; the rest are split as ``fixed``.
* **performance** — like ``fixed`` with shares that change at each review: ``step`` of share
  moves from the agency with the worst metric (one KPI or a balanced scorecard:
  :mod:`sim.model.bank.scorecard`) on the vintages placed so far to the best, within ``floor``
  and ``cap``. Comparisons are fair because every agency has received a share of the same
  vintages. Each review's standing (:meth:`Allocator.standing`) is what agencies that respond
  to it read (:mod:`sim.model.agency.response`).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy.stats import norm

from sim.config.schema import Scenario
from sim.model.agency.response import Standing
from sim.model.portfolio.accounts import Accounts
from sim.model.rng import Streams
from sim.model.units import CENTS_PER_UNIT

if TYPE_CHECKING:  # the scorecard reads agencies' desks, whose fee screen reads this module
    from sim.model.bank.scorecard import Review

BALANCE_BANDS = 5


def agency_key(name: str) -> int:
    """The stream sub-key of an agency: a stable function of its name."""
    return zlib.crc32(name.encode())


def separation_for_auc(auc: float) -> float:
    """Mean separation of two unit-variance normals whose ranking AUC is ``auc``."""
    return float(np.sqrt(2.0) * norm.ppf(auc))


def noisy_score(payer: np.ndarray, auc: float, rng: np.random.Generator) -> np.ndarray:
    """``d·payer + N(0, 1)``: ranks the payer type with AUC exactly ``auc`` (binormal model)."""
    return separation_for_auc(auc) * payer.astype(np.float64) + rng.standard_normal(len(payer))


@dataclass
class Allocator:
    """Allocates each vintage at its placement and revises shares at reviews."""

    scenario: Scenario
    accounts: Accounts
    streams: Streams
    shares: np.ndarray = field(init=False)
    keys: np.ndarray = field(init=False)
    history: list[dict[str, float | int | str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        agencies = self.scenario.agencies
        n = self.accounts.n
        self.names = [a.name for a in agencies]
        self.shares = np.array([a.share or 0.0 for a in agencies], dtype=np.float64)
        self.keys = np.empty((len(agencies), n))
        for index, name in enumerate(self.names):
            self.keys[index] = self.streams.get("allocation", agency_key(name)) \
                .standard_exponential(n)
        spec = self.scenario.bank
        bank_score = noisy_score(self.accounts.payer, spec.analytics_auc,
                                 self.streams.get("scores", 0))
        order = np.argsort(bank_score, kind="stable")
        self.score_percentile = np.empty(n)
        self.score_percentile[order] = np.arange(n) / max(1, n - 1)
        self.last_score = np.full(len(agencies), np.nan)
        """Each agency's score at the last review (NaN before the first)."""
        self._record(0, "initial")

    # ------------------------------------------------------------------ placement

    def allocate(self, idx: np.ndarray) -> np.ndarray:
        """Agency index for each account of ``idx`` (one vintage)."""
        method = self.scenario.bank.allocation.method
        if method == "champion_challenger":
            return self._champion_challenger(idx)
        choice = self._by_share(idx, self.shares)
        if method == "segment_rules":
            routed, agency = self._routes(idx)
            choice[routed] = agency[routed]
        return choice

    def _by_share(self, idx: np.ndarray, shares: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            weighted = self.keys[:, idx] / shares[:, None]
        return np.argmin(weighted, axis=0).astype(np.int16)

    def _champion_challenger(self, idx: np.ndarray) -> np.ndarray:
        spec = self.scenario.bank.allocation
        champion = self.names.index(str(spec.champion))
        challenger = self.names.index(str(spec.challenger))
        acc = self.accounts
        balance = acc.balance[idx]
        edges = np.quantile(balance, np.linspace(0, 1, BALANCE_BANDS + 1)[1:-1])
        band = np.searchsorted(edges, balance, side="right")
        stratum = acc.segment[idx].astype(np.int64) * BALANCE_BANDS + band
        choice = np.full(len(idx), champion, dtype=np.int16)
        key = self.keys[challenger, idx]
        for value in np.unique(stratum):
            members = np.flatnonzero(stratum == value)
            take = round(spec.challenger_share * len(members))
            chosen = members[np.argsort(key[members], kind="stable")[:take]]
            choice[chosen] = challenger
        return choice

    def _routes(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        acc = self.accounts
        routed = np.zeros(len(idx), dtype=np.bool_)
        agency = np.zeros(len(idx), dtype=np.int16)
        balance = acc.balance[idx] / CENTS_PER_UNIT
        dpd = acc.days_past_due[idx]
        score = self.score_percentile[idx]
        segments = acc.segment_names
        for route in self.scenario.bank.allocation.routes:
            match = ~routed
            if route.segment is not None:
                match &= acc.segment[idx] == segments.index(route.segment)
            for values, low, high in ((balance, route.balance_min, route.balance_max),
                                      (dpd, route.days_past_due_min, route.days_past_due_max),
                                      (score, route.score_min, route.score_max)):
                if low is not None:
                    match &= values >= low
                if high is not None:  # the top is excluded, except a top of the whole range
                    match &= (values < high) | ((values == high) & (values is score)
                                                & (high >= 1.0))
            agency[match] = self.names.index(route.agency)
            routed |= match
        return routed, agency

    # ------------------------------------------------------------------ reviews

    def review(self, day: int, measured: Review) -> None:
        """Move ``step`` of future share from the worst to the best agency by the review's
        score."""
        spec = self.scenario.bank.allocation
        if spec.method != "performance" or len(self.shares) < 2:
            return
        metric = measured.score
        finite = np.where(np.isfinite(metric), metric, -np.inf)
        best, worst = int(np.argmax(finite)), int(np.argmin(finite))
        if best != worst and finite[best] > finite[worst]:
            delta = min(spec.step, self.shares[worst] - spec.floor, spec.cap - self.shares[best])
            if delta > 0:
                self.shares[worst] -= delta
                self.shares[best] += delta
        self.last_score = metric.copy()
        self._record(day, "review", measured)

    def standing(self, index: int) -> Standing | None:
        """Agency ``index``'s standing at the last review and the share the next one can move;
        ``None`` before the first review, or when reviews move no share."""
        spec = self.scenario.bank.allocation
        score = self.last_score
        if spec.method != "performance" or len(score) < 2 or not np.isfinite(score).all():
            return None
        below = int((score < score[index]).sum())
        above = int((score > score[index]).sum())
        rank = 0.5 if below + above == 0 else below / (below + above)
        return Standing(rank=rank, share=float(self.shares[index]), step=spec.step)

    def _record(self, day: int, event: str, measured: Review | None = None) -> None:
        """One row per agency of ``allocation.csv``: the share of future vintages after the
        event, what reviews compare (``measure``: a KPI or ``scorecard``) and the agency's
        ``metric`` (its score); under a scorecard each component's value (named by its KPI)
        and its score on the common scale (``<KPI>_score``)."""
        for index, name in enumerate(self.names):
            row: dict[str, float | int | str] = {
                "day": day, "event": event, "agency": name,
                "measure": self.scenario.bank.allocation.metric,
                "share": float(self.shares[index]),
                "metric": float(measured.score[index]) if measured is not None
                else float("nan"),
            }
            if measured is not None:
                row.update(measured.columns(index))
            self.history.append(row)
