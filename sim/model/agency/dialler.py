"""An agency's dialler: batches of dials each pacing interval, and the collectors who take them.

The dialler is one SimPy process per agency. During the agency's shifts it wakes at the start
of each pacing interval (``pacing_minutes``), asks the call list
(:mod:`sim.model.agency.call_list`) for the accounts it may dial, and plans the interval's dials
as one batch: whether each dial reaches a wrong number, rings out or is answered is drawn for
all of them at once — and whether a call picked up is the cardholder or someone else
(``[bank] wrong_party_share``: the collector verifies, finds out and wraps up) — from
counter-based draws keyed by the account and its own attempt count
(:func:`sim.model.rng.counter_uniforms`), so the same cardholder answers the same k-th call in
every scenario that calls them k times. The answer chance is the behaviour model's, times the
factor of the part of the week on the cardholder's local clock (:mod:`sim.model.agency.reach`).

Only the collectors' side is played out call by call, in time order, and only for what takes a
collector: answered calls and cardholders phoning in (:mod:`sim.model.agency.inbound`), who are
served first come, first served, ahead of the dialler's calls: each caller ringing in an
interval is answered by the first collector free within their patience (after the interval's
end if every collector is busy until then) or hangs up — every one of them on a day nobody
works the client (an agency coasting at the top of the ranking, or staffing an empty book).
What is said in those conversations is then decided for the interval at once
(:meth:`Dialler.hold`; a cardholder who phones twice in an interval has the first call decided
before the second is answered). How dials reach collectors depends on the agency's
``dialler``:

* ``preview`` and ``progressive`` — each collector works through the list one dial at a time
  (the preview dialler adds ``preview_seconds`` of reading and a wrap-up to every dial; the
  progressive dialler only the ring, and logs unanswered dials itself), so an answered call
  always has its collector and none is abandoned;
* ``predictive`` — the dialler spreads its dials evenly over the interval, as many as the
  load Erlang's loss formula allows the collectors free over the interval at its abandonment
  aim, divided by its hit rate; unanswered dials take no collector time; an answered call that
  finds no collector free within :data:`CONNECT_WITHIN` is abandoned. After each interval the
  aim's correction moves to hold abandoned calls over answered calls, both summed over the
  calls as the rule counts them, within ``abandon_target`` (:mod:`sim.model.agency.pacing`).

The dials of the batch are then recorded at once (:mod:`sim.model.agency.dial_record`):
attempts, the call history, wrong numbers found, right-party contacts, the collectors' busy
time, and conduct. Each call is read against
the agency's rule book (a **violation** of the regime in force) and the reference standard (a
**conduct breach**): the account's rules as they stood at the start of the interval (within an
interval only the account's own call changes them: each account is dialled once an interval,
written requests, holds and breathing spaces start and end at midnight, and a spoken request is
made in the call itself), the contact window at the moment of the dial on the cardholder's own
clock. A wrong party who was told about the debt, or a voicemail that said too much
(:mod:`sim.model.agency.conduct`), discloses the debt to a third party.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from sim.config.schema import Agency
from sim.model.agency import collectors_loop as loop
from sim.model.agency.batch import Batch
from sim.model.agency.call_list import CallList
from sim.model.agency.conduct import Conduct
from sim.model.agency.conversation import Conversations
from sim.model.agency.counters import DeskCounters, LegalRecord, Shifts
from sim.model.agency.dial_record import record_dials
from sim.model.agency.inbound import Callers, InboundLine
from sim.model.agency.pacing import Pacing
from sim.model.agency.reach import answer_factor, day_part, part_bit_at, part_bits
from sim.model.behaviour.base import BehaviourModel
from sim.model.codes import OUTCOME_LABELS, Rule
from sim.model.rng import counter_uniforms
from sim.model.rules.book import RuleBook
from sim.model.rules.table import CLOCK_TOLERANCE
from sim.model.units import MINUTES_PER_DAY
from sim.model.world import World

ALLOWED = int(Rule.ALLOWED)
CONNECT_WITHIN = 2.0 / 86_400.0
"""Days an answered call may wait for a collector before it counts as abandoned (2 seconds
after the greeting: Ofcom's persistent-misuse policy)."""


class Dialler:
    """The dialler and collectors of agency ``index`` (see the module docstring).

    ``keys`` are the :func:`~sim.model.rng.counter_uniforms` keys of the answer, the talk time and
    the party who picks up of each (account, attempt), and of the length of each inbound
    conversation (account, conversation), the same for every agency; ``book`` is the rule book
    binding the agency, ``conduct`` its slips.
    """

    def __init__(self, index: int, profile: Agency, world: World, behaviour: BehaviourModel,
                 call_list: CallList, conversations: Conversations, inbound: InboundLine,
                 shifts: Shifts, counters: DeskCounters, legal: LegalRecord,
                 keys: tuple[int, int, int, int], book: RuleBook, conduct: Conduct) -> None:
        self.index = index
        self.profile = profile
        self.world = world
        self.acc = world.accounts
        self.book = book
        self.reference = world.books.reference
        self.same_standard = self.reference.limits == book.limits
        """Whether the reference standard is the agency's own rule book (then a call's
        breach is the rule it breaks, read once)."""
        self.conduct = conduct
        self.behaviour = behaviour
        self.call_list = call_list
        self.conversations = conversations
        self.inbound = inbound
        self.shifts = shifts
        self.counters = counters
        self.legal = legal
        self._answer_key, self._talk_key, self._party_key, self._inbound_talk_key = keys
        self.free_at = [0.0] * profile.collectors
        self.pace = profile.pacing_minutes / MINUTES_PER_DAY
        self.pacing = Pacing(profile.abandon_target)
        minutes = 1.0 / MINUTES_PER_DAY
        self.ring = profile.ring_minutes * minutes
        self.wrap = profile.wrap_minutes * minutes
        self.talk = profile.talk_minutes * minutes
        preview = profile.preview_seconds / 60.0 * minutes
        mode = profile.dialler
        self.predictive = mode == "predictive"
        # collector time of a dial up to its end (unanswered) or to the greeting (answered)
        if mode == "preview":
            self.no_answer_lead = preview + self.ring + self.wrap
            self.wrong_lead = preview + profile.wrong_number_minutes * minutes + self.wrap
            self.answer_lead = preview + self.ring
        elif mode == "progressive":
            self.no_answer_lead = self.ring
            self.wrong_lead = profile.wrong_number_minutes * minutes
            self.answer_lead = self.ring
        else:
            self.no_answer_lead = self.wrong_lead = self.answer_lead = 0.0
        # a wrong party who picks up: the collector verifies, finds out and wraps up
        self.verify = profile.wrong_number_minutes * minutes + self.wrap

    def start(self) -> None:
        """Start the dialler's process."""
        if self.profile.collectors > 0:
            self.world.env.process(self.run())

    def run(self) -> Generator[simpy.Event, Any, None]:
        """Every pacing interval of every shift of the program."""
        env, shifts = self.world.env, self.shifts
        for day in range(self.world.horizon):
            if not shifts.workdays[day]:
                continue
            start, end = day + shifts.start, day + shifts.end
            while start < end - CLOCK_TOLERANCE:
                stop = min(start + self.pace, end)
                if env.now < start:
                    yield env.timeout(start - env.now)
                self.interval(start, stop, day)
                start = stop

    # ------------------------------------------------------------------ one interval

    def interval(self, start: float, end: float, day: int) -> None:
        """Plan, place and record the dials of the interval ``[start, end)``."""
        acc = self.acc
        callers = self.inbound.take(end)
        self.counters.daily["inbound"][day] += len(callers.times)
        if callers.accounts:
            phoning = np.array(callers.accounts)
            callers.draws = self.conversations.draws(phoning).tolist()
            callers.talks = (-np.log(counter_uniforms(self._inbound_talk_key, phoning,
                                                      acc.conversations[phoning]))).tolist()
        working = self.call_list.effort.collectors
        if working > len(self.free_at):  # the team grew with the agency's book
            self.free_at.extend([start] * (working - len(self.free_at)))
        free = [max(f, start) for f in self.free_at[:working]]
        capacity = sum(max(0.0, end - f) for f in free)
        limit = self.dial_limit(capacity, end - start, self.slot(start, day))
        candidates, blocks = self.call_list.candidates(start, end, limit)
        if callers.accounts and len(candidates):  # a cardholder on the line is not dialled
            phoning = np.isin(candidates, np.array(callers.accounts))
            candidates, blocks = candidates[~phoning], blocks[~phoning]
        batch = self.plan(candidates, blocks, start, day)
        answered, wrong_party, valid = batch.answered, batch.wrong_party, batch.valid
        if self.predictive:
            placed, times = self.predict(batch, free, callers, start, end, limit)
        else:
            lead = np.where(answered, self.answer_lead,
                            np.where(wrong_party, self.answer_lead + self.verify,
                                     np.where(valid, self.no_answer_lead, self.wrong_lead)))
            placed, times = self.work_through(batch, lead, free, callers, start, end)
        self.hold(batch)
        self.record(batch, placed, times)

    def plan(self, candidates: np.ndarray, blocks: np.ndarray, start: float,
             day: int) -> Batch:
        """Draw what becomes of a dial to each of ``candidates`` (in the order they are to be
        dialled; ``blocks``: the rule of the agency's book each breaks) made in the interval
        starting at ``start``.

        Everything is drawn or read for each account on its own, so it is worked out in order
        of account number — the order the accounts' records are stored in, read from memory
        in one sweep however large the portfolio — and put back in dialling order.
        """
        acc = self.acc
        into_storage = np.argsort(candidates)
        back = np.empty_like(into_storage)
        back[into_storage] = np.arange(len(into_storage))
        idx = candidates[into_storage]
        pressure = self.call_list.pressure(idx, start)
        parts = day_part(start + acc.local_offset[idx], self.world.start_weekday)
        chance = self.behaviour.answer_chance(idx, pressure)
        chance = chance * answer_factor(acc, idx, parts)
        attempt = acc.attempts[idx]
        valid = acc.phone_valid[idx]
        picked_up = valid & (counter_uniforms(self._answer_key, idx, attempt) < chance)
        wrong_party = picked_up & (counter_uniforms(self._party_key, idx, attempt)
                                   < self.world.scenario.bank.wrong_party_share)
        answered = picked_up & ~wrong_party  # the cardholder: a conversation
        talk = -np.log(counter_uniforms(self._talk_key, idx, attempt)) * self.talk
        asked_for = self.book.history.asked_for(idx, start)
        batch = Batch(candidates, pressure[back], blocks, answered[back],
                      (talk + self.wrap)[back], part_bits(parts)[back], day)
        batch.breaches = blocks if self.same_standard else \
            self.reference.account_block_reasons(idx, start)[back]
        batch.asked_for = asked_for[back]
        batch.wrong_party, batch.valid = wrong_party[back], valid[back]
        return batch

    def slot(self, start: float, day: int) -> int:
        """The time of the shift of an interval starting at ``start`` on ``day``: its place in
        the shift, weekend days apart (the predictive dialler learns its hit rate by it)."""
        place = round((start - day - self.shifts.start) / self.pace)
        weekend = (self.world.start_weekday + day) % 7 >= 5
        return 2 * place + int(weekend)

    def dial_limit(self, capacity: float, length: float, slot: int = 0) -> int:
        """The most dials an interval of ``length`` days can use: the collectors' free time
        over the shortest dial (progressive, preview), or the predictive dialler's planned
        dials."""
        if not self.predictive:
            shortest = min(self.no_answer_lead, self.wrong_lead, self.answer_lead)
            return int(capacity / shortest) + 1
        pacing, members = self.pacing, self.call_list.members
        if math.isnan(pacing.hit_rate) and len(members):  # what the portfolio's figures promise
            pacing.hit_rate = float((self.acc.answer_rate[members]
                                     * self.acc.phone_valid[members]).mean())
        return pacing.dials(capacity, self.talk + self.wrap, length, slot)

    def work_through(self, batch: Batch, lead: np.ndarray, free: list[float], callers: Callers,
                     start: float, end: float) -> tuple[int, np.ndarray]:
        """Preview and progressive dialling: each collector takes the next account when free
        (:mod:`sim.model.agency.collectors_loop`), answering callers first.

        Returns the number of candidates dialled (the first ones) and their dial times.
        """
        n, crew = len(lead), len(free)
        offset = np.concatenate(([0.0], np.cumsum(lead)))
        answer_at = np.flatnonzero(batch.answered)
        order = np.lexsort((np.arange(crew), np.asarray(free)))  # a sorted list is a heap
        heap_times, heap_ids = np.asarray(free)[order], order.astype(np.int64)
        state = np.zeros(loop.STATE_FIELDS, dtype=np.int64)
        state[loop.SIZE] = crew
        clock = np.array([self.counters.busy_by_day[batch.day], 0.0])
        times, free_at = np.zeros(n), np.zeros(crew)
        placed_at = np.zeros(len(answer_at), dtype=np.int64)
        dialled, greeted = np.zeros(len(answer_at)), np.zeros(len(answer_at))
        ctimes, cdeadlines = np.array(callers.times), np.array(callers.deadlines)
        idle_keys, idle_ids = np.zeros(crew), np.zeros(crew, dtype=np.int64)
        settled = 0
        while True:
            code = loop.work_through(state, heap_times, heap_ids, offset, answer_at,
                                     batch.handle, ctimes, cdeadlines, end, times, free_at,
                                     clock, placed_at, dialled, greeted, idle_keys, idle_ids)
            placed = int(state[loop.PLACED])
            self.converse_all(batch, placed_at[settled:placed], dialled[settled:placed],
                              greeted[settled:placed])
            settled = placed
            if code == loop.DONE:
                break
            # a caller is answered: placed now, on the account's state as it stands
            self.counters.busy_by_day[batch.day] = float(clock[loop.BUSY])
            collector, now = int(state[loop.CALLER_COLLECTOR]), float(clock[loop.CALLER_AT])
            duration = self.answer_caller(callers, int(state[loop.CALLER_INDEX]), now, batch)
            clock[loop.BUSY] = self.counters.busy_by_day[batch.day]
            state[loop.SIZE] = loop.heap_push(heap_times, heap_ids, int(state[loop.SIZE]),
                                              now + duration, collector)
        self.inbound.abandoned += int(state[loop.ABANDONED])
        self.free_at[:crew] = free_at.tolist()
        pos = int(state[loop.POS])
        self.counters.busy_by_day[batch.day] = float(clock[loop.BUSY]) + float(lead[:pos].sum())
        return pos, times[:pos]

    def predict(self, batch: Batch, free: list[float], callers: Callers, start: float,
                end: float, planned: int) -> tuple[int, np.ndarray]:
        """Predictive dialling: dials spread over the interval, answered calls connected to the
        first collector free within :data:`CONNECT_WITHIN`, else abandoned (``planned``: the
        dials the pacing wanted)."""
        n = len(batch.accounts)
        times = start + (np.arange(n) + 0.5) * ((end - start) / max(n, 1))
        greetings = (times + self.ring).tolist()
        answered = np.flatnonzero(batch.answered | batch.wrong_party).tolist()
        wrong_party = batch.wrong_party
        heap = [(f, a) for a, f in enumerate(free)]
        heapq.heapify(heap)
        ctimes = callers.times
        taken = dropped = 0
        for k in answered:
            greeting = greetings[k]
            while taken < len(ctimes) and ctimes[taken] <= greeting:
                self.serve_caller(heap, callers, taken, batch)
                taken += 1
            if not heap or heap[0][0] > greeting + CONNECT_WITHIN:  # nobody free to take it
                batch.abandoned.append(k)
                dropped += 1
                continue
            f, a = heap[0]
            begin = max(f, greeting)
            if wrong_party[k]:  # verified and found to be someone else
                heapq.heapreplace(heap, (begin + self.verify, a))
                self.counters.busy_by_day[batch.day] += self.verify
                continue
            self.converse(batch, k, greeting - self.ring, begin)
            heapq.heapreplace(heap, (begin + batch.handle[k], a))
        while taken < len(ctimes):
            self.serve_caller(heap, callers, taken, batch)
            taken += 1
        for f, a in heap:
            self.free_at[a] = f
        self.pacing.steer(len(answered), dropped, n, planned, len(ctimes),
                          self.slot(start, batch.day))
        return n, times

    def serve_caller(self, heap: list[tuple[float, int]], callers: Callers, k: int,
                     batch: Batch) -> None:
        """Answer the ``k``-th caller with the first collector free within their patience, or
        lose them (as with nobody working the client today: an empty ``heap``)."""
        if not heap or heap[0][0] > callers.deadlines[k]:
            self.inbound.abandoned += 1
            return
        f, a = heap[0]
        begin = max(f, callers.times[k])
        heapq.heapreplace(heap, (begin + self.answer_caller(callers, k, begin, batch), a))

    def answer_caller(self, callers: Callers, k: int, now: float, batch: Batch) -> float:
        """Talk to the ``k``-th caller at ``now``; returns the collector's time on the call,
        days."""
        self.inbound.served += 1
        account = callers.accounts[k]
        if batch.talks.waiting(account):  # phoning again: the first call is decided first
            self.hold(batch)
        talked = self.conversations.can_talk(account)
        if talked:
            acc = self.acc
            if math.isnan(acc.first_rpc[account]):
                acc.first_rpc[account] = now
            bit = part_bit_at(now + float(acc.local_offset[account]), self.world.start_weekday)
            batch.talks.add(account, now, self.book.history.pressure(account, now), False, bit,
                            callers.draws[k], -1)
        duration = self.wrap + (self.talk * callers.talks[k] if talked else 0.0)
        self.counters.busy_by_day[batch.day] += duration
        return max(duration, 1e-6)

    def converse(self, batch: Batch, k: int, dialled: float, now: float) -> None:
        """Place the conversation of the batch's ``k``-th dial, placed at ``dialled`` and begun
        at ``now`` (:meth:`converse_all`), and count its collector's time."""
        self.converse_all(batch, np.array([k]), np.array([dialled]), np.array([now]))
        self.counters.busy_by_day[batch.day] += float(batch.handle[k])

    def converse_all(self, batch: Batch, places: np.ndarray, dialled: np.ndarray,
                     greeted: np.ndarray) -> None:
        """Place the conversations of the batch's dials ``places``, in turn, placed at
        ``dialled`` and begun at ``greeted`` (their collectors' time is counted by the caller);
        the cardholder feels a call any rule forbids (in force or of the reference standard)
        as one. Each conversation is dated by its call (the event log's time): the rules count
        the quiet days after a conversation from the call, never seconds later."""
        if len(places) == 0:
            return
        idx = batch.accounts[places]
        clock = (dialled + self.acc.local_offset[idx]) % 1.0 + CLOCK_TOLERANCE
        book, reference = self.book, self.reference
        violated = ((batch.blocks[places] != ALLOWED) | (batch.breaches[places] != ALLOWED)
                    | ~((book.window_start <= clock) & (clock < book.window_end))
                    | ~((reference.window_start <= clock) & (clock < reference.window_end)))
        # the draws of each account's next conversation: no conversation with these accounts
        # has been decided since the interval began (each is dialled once, none phoned in)
        batch.talks.extend(idx, dialled, batch.pressure[places], violated, batch.bits[places],
                           self.conversations.draws(idx), places)
        batch.connected.append(places)
        batch.greeted.append(greeted)

    def hold(self, batch: Batch) -> None:
        """Decide the conversations the interval has placed so far, all at once (each account
        appears once: their order only decides which complaints go further)."""
        talks = batch.talks
        outcome = self.conversations.hold(talks, batch.day)
        if self.world.record_events and len(talks):
            accounts, times, *_, places = talks.columns()
            for code, place, account, time in zip(outcome.tolist(), places.tolist(),
                                                  accounts.tolist(), times.tolist(), strict=True):
                label = OUTCOME_LABELS[code]
                if place >= 0:
                    batch.labels[place] = label
                else:
                    self.world.log(time, account, self.index, "inbound", label, ALLOWED)
        talks.clear()

    # ------------------------------------------------------------------ the record

    def record(self, batch: Batch, placed: int, times: np.ndarray) -> None:
        """Record the first ``placed`` dials of ``batch``, made at ``times``
        (:func:`sim.model.agency.dial_record.record_dials`)."""
        record_dials(self, batch, placed, times)
