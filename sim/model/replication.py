"""One replication of a scenario, wired together and run: the seam between model and experiments.

:func:`run_replication` is the only thing experiment code calls: give it a validated
:class:`~sim.config.schema.Scenario`, a seed and a replication number, get
:class:`~sim.model.results.Results`.
It builds the portfolio, allocates and places accounts, starts each agency's collectors, and
drives a daily process that, at 00:00 of each day, in this order:

1. credits the payments cardholders made of their own accord during the day just ended
   (self-cures, or a repayment process's partial payments) and collects the promises and
   instalments falling due today — so those due on a recall day are settled before the
   recall — then closes the series of the day just ended;
2. recalls accounts whose placement has ended (nothing happens to them afterwards);
3. reviews agencies (performance-based allocation moves the share of future vintages, on one
   KPI or a scorecard: :mod:`sim.model.bank.scorecard`; agencies learn their standing, to
   which they may respond: :mod:`sim.model.agency.response`), places
   the vintage due that day (holding out the control group), and hands newly transferred
   accounts to their agencies;
4. accrues a day's interest and any late fee (and notes the day of each payment that took an
   account the agency was working out of collection: the agency learns of it
   ``[bank] posting_lag_days`` later);
5. returns income to cardholders whose spell has ended and steps hardship programmes up
   (:mod:`sim.model.portfolio.reasons`), then moves the delinquency lifecycle on: cures, due
   dates, rolls and charge-offs (:mod:`sim.model.portfolio.lifecycle`);
6. resets the per-day contact counters and call lists;
7. sends the day's message batches (a reminder raises that day's self-cure hazard) and queues
   the callbacks they trigger.

Each agency's dialler then works the pacing intervals of its shifts as a SimPy process until the
next midnight (:mod:`sim.model.agency.dialler`).
"""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import Any

import numpy as np
import pandas as pd
import simpy

from sim.config.schema import Scenario
from sim.model import payments
from sim.model.agency.desk import AgencyDesk
from sim.model.bank import placement as bank
from sim.model.bank import second_placement as placements
from sim.model.bank.allocation import Allocator
from sim.model.bank.follow_up import follow_up
from sim.model.bank.scorecard import review
from sim.model.behaviour import BehaviourModel, make_behaviour
from sim.model.codes import Status
from sim.model.portfolio import lifecycle, reasons
from sim.model.portfolio.accounts import Accounts, draw_portfolio
from sim.model.results import Results, build_results
from sim.model.rng import Streams
from sim.model.rules.book import RuleBooks
from sim.model.series import SeriesTracker
from sim.model.units import CENTS_PER_UNIT
from sim.model.world import CountingEnvironment, World

PAID_UP = (Status.PAID, Status.SETTLED, Status.CURED)


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
    accounts.vintage[:] = bank.vintage_of_accounts(accounts.n, scenario.bank.vintages)
    bank.draw_control(scenario, accounts, streams)
    allocator = Allocator(scenario, accounts, streams)
    scores = bank.agency_scores(scenario, accounts, streams)

    env = CountingEnvironment()
    horizon = bank.program_days(scenario)
    world = World(env=env, scenario=scenario, accounts=accounts,
                  books=RuleBooks(scenario.rules, accounts.local_offset, accounts.placed_day),
                  streams=streams,
                  horizon=horizon, start_weekday=scenario.scenario.start_date.weekday(),
                  record_events=record_events)
    behaviour = make_behaviour(scenario.behaviour, accounts, streams,
                               breathing_space_offered=scenario.rules.breathing_space_days > 0)
    desks = [AgencyDesk(index, profile, world, behaviour, streams, scores[index])
             for index, profile in enumerate(scenario.agencies)]
    for desk in desks:
        desk.start()

    if scenario.bank.second_placement:
        placements.start_copies(accounts, world.history)
    tracker = SeriesTracker(world, desks)
    rolls = lifecycle.RollCounts()
    env.process(_days(world, desks, behaviour, allocator, tracker, rolls, audit))
    env.run(until=horizon + 1e-9)
    if audit:
        accounts.check_ledger()
    redefault_day, follow = follow_up(accounts, scenario.bank.follow_up_days,
                                      scenario.behaviour.stage.instalment_persistence, streams)
    wall = time.perf_counter() - started
    return build_results(world, desks, tracker.frame(), seed=seed, replication=replication,
                         wall_seconds=wall, keep_accounts=keep_accounts,
                         vintages=tracker.vintage_frame(),
                         allocation=pd.DataFrame(allocator.history),
                         redefault_day=redefault_day, follow_up=follow, rolls=rolls)


def _place_vintage(world: World, desks: list[AgencyDesk], allocator: Allocator,
                   vintage: int, day: int) -> None:
    acc = world.accounts
    cohort = np.flatnonzero(acc.vintage == vintage)
    bank.hold_out(world.scenario, acc, cohort[acc.in_control[cohort]], day)
    idx = cohort[~acc.in_control[cohort]]
    agency = allocator.allocate(idx)
    bank.place(world.scenario, acc, idx, agency, day)
    for desk in desks:
        desk.add_members(idx[agency == desk.index])


def _measure_books(acc: Accounts, desks: list[AgencyDesk]) -> None:
    """Tell each agency that staffs to its book how the accounts it holds compare with those
    its ``collectors`` were planned for: its starting share of every account the program
    places."""
    staffing = [d for d in desks if d.profile.response.staff_to_book and d.profile.share]
    if not staffing:
        return
    held = np.bincount(acc.agency[acc.is_placed & ~acc.recalled], minlength=len(desks))
    placed = acc.n - int(acc.in_control.sum())
    for desk in staffing:
        planned = float(desk.profile.share or 0.0) * placed
        desk.call_list.book = float(held[desk.index]) / planned if planned > 0 else None


def _days(world: World, desks: list[AgencyDesk], behaviour: BehaviourModel,
          allocator: Allocator, tracker: SeriesTracker, rolls: lifecycle.RollCounts,
          audit: bool) -> Generator[simpy.Event, Any, None]:
    acc = world.accounts
    scenario = world.scenario
    apr = scenario.portfolio.apr
    fee = round(scenario.portfolio.late_fee * CENTS_PER_UNIT)
    vintage_on = {day: vintage for vintage, day in enumerate(bank.placement_days(scenario))}
    review_every = scenario.bank.allocation.review_every_days
    second = next((d for d in desks if d.profile.name == scenario.bank.second_placement), None)
    charge_off_days = scenario.portfolio.charge_off_days
    lifecycle_rng = world.streams.get("lifecycle")
    for day in range(world.horizon + 1):
        worked = acc.status == Status.ACTIVE  # the payments below reach the agency later
        if day > 0:
            payments.self_cure(acc, behaviour, day - 1, acc.reminded, acc.linked)
            acc.reminded[:] = False  # the messengers mark today's from the start of the shift
            acc.linked[:] = False
        payments.resolve_promises(acc, behaviour, day)
        payments.resolve_instalments(acc, behaviour, day)
        if day > 0:
            tracker.close_day(day - 1)
        recalled = bank.recall(acc, day)
        if day >= world.horizon:
            break
        if second is not None and len(recalled):
            again = placements.eligible(acc, recalled)
            placements.replace_accounts(acc, world.history, again, second.index, day,
                                        scenario.bank.transfer_delay_days,
                                        scenario.scenario.horizon_days)
            second.add_members(again)
        if day > 0 and day % review_every == 0:
            allocator.review(day, review(world, desks, day))
            for desk in desks:
                desk.call_list.review_standing = allocator.standing(desk.index)
        if day in vintage_on:
            _place_vintage(world, desks, allocator, vintage_on[day], day)
        bank.hand_over(acc, day)
        paused = world.history.in_breathing_space(float(day))
        if day > 0:
            payments.accrue_interest(acc, apr, day, paused)
        reasons.advance(acc, day)
        lifecycle.advance(acc, day, charge_off_days, lifecycle_rng, rolls, fee, paused)
        acc.paid_day[worked & np.isin(acc.status, PAID_UP)] = day
        _measure_books(acc, desks)
        acc.attempts_today[:] = 0
        for desk in desks:
            desk.new_day(day)
        if audit:
            acc.check_ledger()
        yield world.env.timeout(1.0)
