"""One replication of a scenario, wired together and run: the seam between model and experiments.

:func:`run_replication` is the only thing experiment code calls: give it a validated
:class:`~sim.schema.Scenario`, a seed and a replication number, get :class:`~sim.results.Results`.
It builds the portfolio, allocates and places accounts, starts each agency's collectors, and
drives a daily process that, at 00:00 of each day, in this order:

1. credits the payments cardholders made of their own accord during the day just ended
   (self-cures, or a repayment process's partial payments), then closes that day's series;
2. recalls accounts whose placement has ended (nothing happens to them afterwards);
3. hands newly transferred accounts to their agencies;
4. accrues a day's interest and any monthly fee;
5. collects promises and instalments falling due;
6. resets the per-day contact counters and call lists;
7. sends the day's message batches (a reminder raises that day's self-cure hazard) and queues
   the callbacks they trigger.

Collectors then work their shifts as SimPy processes until the next midnight.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Generator
from typing import Any

import numpy as np
import pandas as pd
import simpy

from sim import bank, payments
from sim.agency import AgencyDesk
from sim.behaviour import BehaviourModel, make_behaviour
from sim.portfolio import PAID, PLAN, Accounts, draw_portfolio
from sim.results import Results, build_results
from sim.rng import Streams
from sim.rules import RuleBook
from sim.schema import Scenario
from sim.world import World


def run_replication(scenario: Scenario, replication: int = 0, seed: int | None = None, *,
                    record_events: bool = False, keep_accounts: bool = False,
                    audit: bool = False) -> Results:
    """Run one replication of ``scenario``.

    ``seed`` defaults to the scenario's own. ``record_events`` keeps a log of every contact
    (costly, off by default); ``keep_accounts`` returns the per-account outcome table; ``audit``
    checks the money ledger of every account at every daily step.
    """
    started = time.perf_counter()
    seed = scenario.scenario.seed if seed is None else seed
    streams = Streams(seed, replication)
    accounts = draw_portfolio(scenario.portfolio, scenario.bank, streams)
    bank.place_batch(scenario, accounts, bank.allocate(scenario, streams))
    scores = bank.agency_scores(scenario, accounts, streams)

    env = simpy.Environment()
    horizon = int(np.ceil(accounts.recall_day.max())) if accounts.n else 0
    world = World(env=env, scenario=scenario, accounts=accounts,
                  rules=RuleBook(scenario.rules, accounts.n), streams=streams,
                  horizon=horizon, start_weekday=scenario.scenario.start_date.weekday(),
                  record_events=record_events)
    behaviour = make_behaviour(scenario.behaviour, accounts, streams)
    desks = []
    for index, profile in enumerate(scenario.agencies):
        members = np.flatnonzero(accounts.agency == index)
        desk = AgencyDesk(index, profile, world, behaviour, streams, members,
                          scores[index][members])
        desk.start()
        desks.append(desk)

    tracker = _SeriesTracker(world, desks)
    env.process(_days(world, desks, behaviour, tracker, audit))
    env.run(until=horizon + 1e-9)
    for desk in desks:
        desk.queue.close()
    if audit:
        accounts.check_ledger()
    wall = time.perf_counter() - started
    return build_results(world, desks, tracker.frame(), seed=seed, replication=replication,
                         wall_seconds=wall, keep_accounts=keep_accounts)


class _SeriesTracker:
    """Snapshots per agency at each midnight: collected to date, plans, delinquency."""

    def __init__(self, world: World, desks: list[AgencyDesk]) -> None:
        self.world = world
        self.desks = desks
        self.rows: list[dict[str, float | int | str | dt.date]] = []
        self._abandoned = [0] * len(desks)

    def close_day(self, day: int) -> None:
        acc: Accounts = self.world.accounts
        start = self.world.scenario.scenario.start_date
        groups = len(self.desks)
        collected = np.bincount(acc.agency, weights=acc.collected, minlength=groups)
        placed = np.bincount(acc.agency, weights=acc.placed, minlength=groups)
        on_plan = np.bincount(acc.agency, weights=(acc.status == PLAN) & ~acc.recalled,
                              minlength=groups)
        current = (acc.status >= PAID) | ((acc.status == PLAN) & acc.ever_paid_instalment)
        delinquent = np.bincount(acc.agency, weights=~current, minlength=groups)
        counts = np.bincount(acc.agency, minlength=groups)
        for desk in self.desks:
            a = desk.index
            abandoned = desk.queue.abandoned - self._abandoned[a]
            self._abandoned[a] = desk.queue.abandoned
            row: dict[str, float | int | str | dt.date] = {
                "day": day, "date": start + dt.timedelta(days=day), "agency": desk.profile.name,
                "collected_to_date": collected[a] / 100.0,
                "recovery_to_date": collected[a] / placed[a] if placed[a] else 0.0,
            }
            for name, values in desk.daily.items():
                row[name] = values[day]
            row["abandoned"] = abandoned
            row["active_plans"] = int(on_plan[a])
            row["placed"] = placed[a] / 100.0
            row["accounts"] = int(counts[a])
            row["delinquent"] = int(delinquent[a])
            self.rows.append(row)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)


def _days(world: World, desks: list[AgencyDesk], behaviour: BehaviourModel,
          tracker: _SeriesTracker, audit: bool) -> Generator[simpy.Event, Any, None]:
    acc = world.accounts
    scenario = world.scenario
    apr = scenario.portfolio.apr
    fee = round(scenario.portfolio.late_fee * 100)
    reminded = np.zeros(acc.n, dtype=np.bool_)
    for day in range(world.horizon + 1):
        if day > 0:
            payments.self_cure(acc, behaviour, day - 1, reminded)
            tracker.close_day(day - 1)
        bank.recall(acc, day)
        if day >= world.horizon:
            break
        bank.hand_over(acc, day)
        if day > 0:
            payments.accrue_interest(acc, apr, fee, day)
        payments.resolve_promises(acc, behaviour, day)
        payments.resolve_instalments(acc, behaviour, day)
        world.rules.new_day()
        acc.attempts_today[:] = 0
        reminded = np.zeros(acc.n, dtype=np.bool_)
        for desk in desks:
            desk.new_day()
            reached = desk.send_messages(day)
            reminded[reached] = True
            if len(reached):
                callers = reached[behaviour.calls_back(reached, day)]
                desk.schedule_callbacks(callers, day)
        if audit:
            acc.check_ledger()
        yield world.env.timeout(1.0)
