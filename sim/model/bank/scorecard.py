"""What a performance review compares: one KPI, or a balanced scorecard of several.

Agencies are compared **like for like**: vintage by vintage — the same vintages at the same
age — and each component's per-vintage rates are averaged with weights common to all agencies
(each vintage's placed balance for money rates, its number of placed accounts for the others),
only over the vintages every agency holds, so an agency is not favoured for holding more of the
older vintages.

The components (:data:`COMPONENTS`, named as in the KPI registry :mod:`sim.model.kpis`, whose
``Direction`` says which way is better) are measured on the day of the review:

* ``netback_rate`` — collected less fees (what :func:`sim.model.agency.fees.fees_owed` counts
  so far on each of a fee-paid agency's accounts: contingency, per-account fees, cure bonuses)
  or, for an in-house team, its fully loaded costs to date spread over its vintages by placed
  balance, over balance placed; ``recovery_rate`` — collected over balance placed;
* ``cure_rate`` — accounts placed before charge-off that are current (at recall, once
  recalled), over those accounts;
* ``complaints_per_1000`` and ``conduct_breaches`` — per 1,000 accounts placed;
* ``first_attempt_sla_share`` — accounts first called within the agency's
  ``first_attempt_sla_days`` of hand-over, over those whose deadline has passed and that were
  still open at it or called before it;
* ``contact_rate`` (penetration) — accounts reached by a conversation, over accounts placed.

A scorecard (:class:`~sim.config.schema.bank.Scorecard`) scores each component relative to the
agencies' mean, ``(x - mean) / |mean|`` with the sign turned for lower-is-better KPIs, so every
component is on one scale (a share of the mean) whatever its unit; the score is the weighted
mean of the component scores (0 = an average agency). A component no agency can be measured on
yet (no vintage every agency holds, no deadline passed) is left out and the rest re-weighted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.config.schema import Scorecard
from sim.model.agency import fees
from sim.model.agency.desk import AgencyDesk
from sim.model.bank.second_placement import PlacementView
from sim.model.codes import Delinquency
from sim.model.kpis import BY_NAME, Direction
from sim.model.portfolio import lifecycle
from sim.model.units import CENTS_PER_UNIT
from sim.model.world import World

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

PER_1000 = 1000.0


@dataclass(frozen=True)
class Review:
    """What one review measured: each agency's ``score`` (what moves share) and, for a
    scorecard, each component's value per agency (``components``) and its score on the common
    scale (``scaled``)."""

    score: FloatArray
    components: dict[str, FloatArray]
    scaled: dict[str, FloatArray]

    def columns(self, index: int) -> dict[str, float]:
        """Agency ``index``'s components as ``allocation.csv`` columns: each value (under
        :func:`column`'s name) and its score (``<KPI>_score``)."""
        row: dict[str, float] = {}
        for name, values in self.components.items():
            row[column(name)] = float(values[index])
            row[f"{name}_score"] = float(self.scaled[name][index])
        return row


@dataclass(frozen=True)
class Cells:
    """The placed accounts of a review, cut by (agency, vintage)."""

    idx: IntArray
    cell: IntArray
    groups: int
    vintages: int

    def total(self, weights: npt.ArrayLike) -> FloatArray:
        """Sum of ``weights`` (one per account of ``idx``) in each (agency, vintage) cell."""
        sums = np.bincount(self.cell, weights=np.asarray(weights, dtype=np.float64),
                           minlength=self.groups * self.vintages)
        return np.asarray(sums, dtype=np.float64).reshape(self.groups, self.vintages)


def like_for_like(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """Each agency's rate ``numerator / denominator`` (agency × vintage cells), averaged over
    the vintages every agency holds with weights common to all agencies (each vintage's total
    ``denominator``); NaN for every agency when no vintage qualifies."""
    held = (denominator > 0).all(axis=0)
    if not held.any():
        return np.full(numerator.shape[0], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = numerator[:, held] / denominator[:, held]
    weights = denominator.sum(axis=0)[held]
    return np.asarray((rates * weights).sum(axis=1) / weights.sum(), dtype=np.float64)


def relative_scores(values: FloatArray, direction: Direction) -> FloatArray:
    """``values`` scored relative to their mean, ``(x - mean) / |mean|``, better positive
    (``direction``); all zero when the mean is zero (nobody differs on a scale of the mean),
    all NaN when any value is missing."""
    if not np.isfinite(values).all():
        return np.full(len(values), np.nan)
    mean = float(values.mean())
    if mean == 0.0:
        return np.zeros(len(values))
    sign = -1.0 if direction is Direction.LOWER else 1.0
    return np.asarray(sign * (values - mean) / abs(mean), dtype=np.float64)


def weighted_score(scaled: dict[str, FloatArray], weights: dict[str, float]) -> FloatArray:
    """The weighted mean of the component scores ``scaled``, over the components measured for
    every agency (weights re-normalised over them); NaN when none is."""
    measured = [name for name in weights if np.isfinite(scaled[name]).all()]
    if not measured:
        return np.full(len(next(iter(scaled.values()))), np.nan)
    total = sum(weights[name] for name in measured)
    return np.asarray(sum(weights[name] * scaled[name] for name in measured) / total,
                      dtype=np.float64)


def score_scorecard(components: dict[str, FloatArray], scorecard: Scorecard) -> Review:
    """Score measured ``components`` with the weights of ``scorecard``."""
    weights = scorecard.weights()
    scaled = {name: relative_scores(components[name], BY_NAME[name].direction)
              for name in weights}
    return Review(weighted_score(scaled, weights), components, scaled)


def review(world: World, desks: list[AgencyDesk], day: int) -> Review:
    """Measure what the ``[bank.allocation]`` metric compares, for each agency, on ``day``."""
    spec = world.scenario.bank.allocation
    cells = placed_cells(world, len(desks))
    if spec.metric != "scorecard" or spec.scorecard is None:
        value = measure(spec.metric, world, desks, day, cells)
        return Review(value, {}, {})
    components = {name: measure(name, world, desks, day, cells)
                  for name in spec.scorecard.weights()}
    return score_scorecard(components, spec.scorecard)


def placed_cells(world: World, groups: int) -> Cells:
    """The accounts placed so far, by (agency, vintage)."""
    acc = world.accounts
    idx = np.flatnonzero(acc.is_placed)
    vintages = int(acc.vintage[idx].max()) + 1 if len(idx) else 0
    cell = acc.agency[idx].astype(np.int64) * vintages + acc.vintage[idx]
    return Cells(idx, cell, groups, vintages)


def measure(name: str, world: World, desks: list[AgencyDesk], day: int,
            cells: Cells) -> FloatArray:
    """Component ``name`` of every agency on ``day``, like for like (see the module)."""
    if cells.vintages == 0:
        return np.full(cells.groups, np.nan)
    return MEASURES[name](world, desks, day, cells)


def _money(world: World, desks: list[AgencyDesk], day: int, cells: Cells,
           netback: bool) -> FloatArray:
    acc, idx = world.accounts, cells.idx
    placed = cells.total(acc.placed[idx])
    collected = cells.total(acc.collected[idx])
    if netback:
        for desk in desks:
            a = desk.index
            if desk.profile.kind == "in_house":
                cost = desk.operating_cost(day) * CENTS_PER_UNIT
                share = placed[a] / placed[a].sum() if placed[a].sum() > 0 else 0.0
                collected[a] = collected[a] - cost * share
            else:  # its fees so far on each of its accounts (fees.fees_owed), by vintage
                mine = acc.agency[idx] == a
                owed = np.zeros(len(idx))
                view = PlacementView(acc, world.history, idx[mine], "all")
                owed[mine] = fees.view_fees(desk.profile, view).total * CENTS_PER_UNIT
                collected[a] = collected[a] - cells.total(owed)[a]
    return like_for_like(collected, placed)


def _netback(world: World, desks: list[AgencyDesk], day: int, cells: Cells) -> FloatArray:
    return _money(world, desks, day, cells, netback=True)


def _recovery(world: World, desks: list[AgencyDesk], day: int, cells: Cells) -> FloatArray:
    return _money(world, desks, day, cells, netback=False)


def _cure(world: World, desks: list[AgencyDesk], day: int, cells: Cells) -> FloatArray:
    acc, idx = world.accounts, cells.idx
    before = acc.state_at_placement[idx] != Delinquency.CHARGED_OFF
    state = np.where(acc.recalled[idx], acc.state_at_recall[idx],
                     lifecycle.states(acc, idx, day))
    current = before & (state == Delinquency.CURRENT)
    return like_for_like(cells.total(current), cells.total(before))


def _per_1000(counts: Callable[[World], npt.NDArray[np.int32]]) -> Measure:
    def rate(world: World, desks: list[AgencyDesk], day: int, cells: Cells) -> FloatArray:
        idx = cells.idx
        return PER_1000 * like_for_like(cells.total(counts(world)[idx]),
                                        cells.total(np.ones(len(idx))))
    return rate


def _first_attempt_sla(world: World, desks: list[AgencyDesk], day: int,
                       cells: Cells) -> FloatArray:
    acc, idx = world.accounts, cells.idx
    sla = np.array([d.profile.first_attempt_sla_days for d in desks])
    deadline = acc.workable_day[idx] + sla[acc.agency[idx].astype(np.int64)]
    due = deadline <= day
    closed = np.fmin(acc.closed_day[idx], acc.cured_day[idx])
    open_past = ~(closed < deadline)
    called = np.isfinite(acc.first_attempt[idx])  # in the placement the account is in
    in_time = called & (acc.first_attempt[idx] <= deadline)
    return like_for_like(cells.total(due & in_time), cells.total(due & (open_past | in_time)))


def _penetration(world: World, desks: list[AgencyDesk], day: int, cells: Cells) -> FloatArray:
    idx = cells.idx
    reached = np.isfinite(world.accounts.first_rpc[idx])
    return like_for_like(cells.total(reached), cells.total(np.ones(len(idx))))


Measure = Callable[[World, list[AgencyDesk], int, Cells], FloatArray]

MEASURES: dict[str, Measure] = {
    "netback_rate": _netback,
    "recovery_rate": _recovery,
    "cure_rate": _cure,
    "complaints_per_1000": _per_1000(lambda world: world.accounts.complaints),
    "conduct_breaches": _per_1000(lambda world: world.accounts.breaches),
    "first_attempt_sla_share": _first_attempt_sla,
    "contact_rate": _penetration,
}
"""How each metric a review can compare is measured (see the module)."""

COMPONENTS = tuple(name for name in Scorecard.model_fields)
"""The KPIs a scorecard can weight, in the order of its table."""

MEASURED_AS = {"conduct_breaches": "conduct_breaches_per_1000"}
"""Components measured in another unit than their KPI's (a count per 1,000 accounts, so that
agencies of different sizes compare), by the column name their values take in
``allocation.csv``."""


def column(name: str) -> str:
    """The ``allocation.csv`` column of component ``name``'s values."""
    return MEASURED_AS.get(name, name)
