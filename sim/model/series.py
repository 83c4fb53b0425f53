"""Daily series of one replication: per agency, and per vintage for flows of placements.

:class:`SeriesTracker` takes a snapshot at each midnight. Per agency it keeps the day's flows
counted by the agency desk (calls, right-party contacts, promises, complaints, violations,
messages, inbound callers and abandonments, collectors' busy and paid shift hours) and stocks
read off the accounts (collected to date, live plans, accounts placed, delinquent accounts).
Busy hours count each call whole on the day it began, so a day's utilisation can pass 1 by the
calls still running when the shift ends. Per vintage and agency it keeps collected to date
against the vintage's placed balance, so liquidation curves of vintages can be compared at
equal age. Shares and ``total`` rows are derived in :mod:`sim.model.results`.

Money is credited to the placement it was collected in (:func:`placements`): with a second
placement (:mod:`sim.model.bank.second_placement`) the first agency keeps what it collected
before the account moved on, and the balance it was placed with; the second agency is credited
with what was collected since, against what the account still owed when it was placed again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.model.agency.desk import AgencyDesk
from sim.model.codes import Status
from sim.model.portfolio import lifecycle
from sim.model.portfolio.accounts import Accounts
from sim.model.units import CENTS_PER_UNIT, HOURS_PER_DAY
from sim.model.world import World


@dataclass(frozen=True)
class Placements:
    """One entry per placement of some accounts (arrays over the entries): the agency that
    holds or held it, the accounts' vintage, the money collected during it and the balance it
    began with (cents), and its first day."""

    agency: np.ndarray
    vintage: np.ndarray
    collected: np.ndarray
    placed: np.ndarray
    placed_day: np.ndarray


def placements(acc: Accounts, idx: np.ndarray) -> Placements:
    """The placements of the placed accounts ``idx``: one each, and a second one for an
    account placed again (:mod:`sim.model.bank.second_placement`), which splits its
    collections at re-placement between the two agencies and starts the second placement with
    what the account still owed then."""
    agency, collected, placed = acc.agency[idx], acc.collected[idx], acc.placed[idx]
    vintage, placed_day = acc.vintage[idx], acc.placed_day[idx]
    copy = acc.first
    if copy is None:
        return Placements(agency, vintage, collected, placed, placed_day)
    again = acc.replaced[idx]
    twice = idx[again]
    before = copy["collected"][twice]
    return Placements(
        agency=np.concatenate([np.where(again, copy["agency"][idx], agency), agency[again]]),
        vintage=np.concatenate([vintage, vintage[again]]),
        collected=np.concatenate([np.where(again, copy["collected"][idx], collected),
                                  collected[again] - before]),
        placed=np.concatenate([placed, copy["outstanding"][twice]]),
        placed_day=np.concatenate([np.where(again, copy["placed_day"][idx], placed_day),
                                   placed_day[again]]))


class SeriesTracker:
    """Collects the daily snapshots of a replication."""

    def __init__(self, world: World, desks: list[AgencyDesk]) -> None:
        self.world = world
        self.desks = desks
        self.rows: list[dict[str, float | int | str | dt.date]] = []
        self.vintage_rows: list[dict[str, float | int | str]] = []
        self._abandoned = [0] * len(desks)

    def close_day(self, day: int) -> None:
        """Snapshot the state at the end of ``day``."""
        acc = self.world.accounts
        start = self.world.scenario.scenario.start_date
        groups = len(self.desks)
        placed_idx = np.flatnonzero(acc.is_placed)
        agency = acc.agency[placed_idx]

        def per_agency(values: np.ndarray | None = None) -> np.ndarray:
            weights = None if values is None else values[placed_idx]
            return np.bincount(agency, weights=weights, minlength=groups)

        credited = placements(acc, placed_idx)
        collected = np.bincount(credited.agency, weights=credited.collected, minlength=groups)
        placed = np.bincount(credited.agency, weights=credited.placed, minlength=groups)
        on_plan = per_agency((acc.status == Status.PLAN) & ~acc.recalled)
        delinquent = np.bincount(agency, weights=lifecycle.delinquent(acc, placed_idx),
                                 minlength=groups)
        counts = per_agency()
        for desk in self.desks:
            a = desk.index
            abandoned = desk.queue.abandoned - self._abandoned[a]
            self._abandoned[a] = desk.queue.abandoned
            row: dict[str, float | int | str | dt.date] = {
                "day": day, "date": start + dt.timedelta(days=day), "agency": desk.profile.name,
                "collected_to_date": collected[a] / CENTS_PER_UNIT,
            }
            for name, values in desk.daily.items():
                row[name] = values[day]
            row["abandoned"] = abandoned
            row["busy_hours"] = desk.busy_by_day[day] * HOURS_PER_DAY
            row["staffed_hours"] = desk.staffed_hours_on(day)
            row["active_plans"] = int(on_plan[a])
            row["placed"] = placed[a] / CENTS_PER_UNIT
            row["accounts"] = int(counts[a])
            row["delinquent"] = int(delinquent[a])
            self.rows.append(row)
        if self.world.scenario.bank.vintages > 1:
            self._close_vintages(day, credited)

    def _close_vintages(self, day: int, credited: Placements) -> None:
        groups = len(self.desks)
        vintages = self.world.scenario.bank.vintages
        cell = credited.vintage.astype(np.int64) * groups + credited.agency
        size = vintages * groups
        collected = np.bincount(cell, weights=credited.collected, minlength=size)
        placed = np.bincount(cell, weights=credited.placed, minlength=size)
        first_day = np.full(size, np.inf)
        np.minimum.at(first_day, cell, credited.placed_day)
        for key in np.flatnonzero(placed > 0):
            vintage, a = divmod(int(key), groups)
            self.vintage_rows.append({
                "day": day, "vintage": vintage, "agency": self.desks[a].profile.name,
                "age": day - int(first_day[key]),
                "collected_to_date": collected[key] / CENTS_PER_UNIT,
                "placed": placed[key] / CENTS_PER_UNIT,
            })

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)

    def vintage_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.vintage_rows, columns=["day", "vintage", "agency", "age",
                                                        "collected_to_date", "placed"])
