"""The compiled pieces of the dialler: the collectors' loop, its heap, the counter-based draws
and the call list's passes, each held to a plain statement of what it computes."""

from __future__ import annotations

import bisect
import heapq
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.agency import collectors_loop as loop
from sim.model.agency.call_list import callable_now, workable_today
from sim.model.codes import Status
from sim.model.rng import counter_uniforms

MINUTE = 1.0 / 1440.0


@given(st.lists(st.tuples(st.integers(0, 20).map(float), st.integers(0, 50)), max_size=40,
                unique_by=lambda item: item[1]))
@settings(max_examples=200, deadline=None)
def test_heap_gives_collectors_in_order_of_time_then_number(items):
    times, ids = np.zeros(len(items)), np.zeros(len(items), dtype=np.int64)
    size = 0
    for f, a in items:
        size = loop.heap_push(times, ids, size, f, a)
    popped = []
    while size:
        popped.append((float(times[0]), int(ids[0])))
        size = loop._heap_drop_first(times, ids, size)
    assert popped == sorted(items)
    reference = list(items)
    heapq.heapify(reference)
    assert popped == [heapq.heappop(reference) for _ in items]


def run_loop(leads, answered, handle, free, callers=(), end=60 * MINUTE, talks=None):
    """Run the loop to the end, answering caller ``k`` in ``talks[k]`` (a minute unless
    given); returns the dial times, the conversations placed, the callers answered, the
    integer and float state and when each collector is free after the interval."""
    leads = np.asarray(leads, dtype=np.float64)
    n, crew = len(leads), len(free)
    offset = np.concatenate(([0.0], np.cumsum(leads)))
    answer_at = np.flatnonzero(answered).astype(np.int64)
    order = np.lexsort((np.arange(crew), np.asarray(free, dtype=np.float64)))
    heap_times = np.asarray(free, dtype=np.float64)[order]
    heap_ids = order.astype(np.int64)
    state = np.zeros(loop.STATE_FIELDS, dtype=np.int64)
    state[loop.SIZE] = crew
    clock = np.zeros(2)
    times, free_at = np.zeros(n), np.zeros(crew)
    placed_at = np.zeros(len(answer_at), dtype=np.int64)
    dialled, greeted = np.zeros(len(answer_at)), np.zeros(len(answer_at))
    ctimes = np.array([c[0] for c in callers], dtype=np.float64)
    deadlines = np.array([c[1] for c in callers], dtype=np.float64)
    idle_keys, idle_ids = np.zeros(crew), np.zeros(crew, dtype=np.int64)
    answered_callers = []
    while loop.work_through(state, heap_times, heap_ids, offset, answer_at,
                            np.asarray(handle, dtype=np.float64), ctimes, deadlines, end,
                            times, free_at, clock, placed_at, dialled, greeted, idle_keys,
                            idle_ids) == loop.CALLER:
        who, now = int(state[loop.CALLER_COLLECTOR]), float(clock[loop.CALLER_AT])
        k = int(state[loop.CALLER_INDEX])
        answered_callers.append((k, who, now))
        state[loop.SIZE] = loop.heap_push(heap_times, heap_ids, int(state[loop.SIZE]),
                                          now + (MINUTE if talks is None else talks[k]), who)
    placed = int(state[loop.PLACED])
    conversations = list(zip(placed_at[:placed].tolist(), dialled[:placed].tolist(),
                             greeted[:placed].tolist(), strict=True))
    return times[:int(state[loop.POS])], conversations, answered_callers, state, clock, free_at


def test_one_collector_dials_in_turn_and_talks_on_the_answered_dial():
    leads = [MINUTE] * 5
    answered = [False, False, True, False, False]
    times, conversations, _, state, clock, _ = run_loop(leads, answered, [4 * MINUTE] * 5,
                                                        [0.0])
    # dials 0 and 1 ring out, dial 2 is answered at 2 minutes, greeted at 3, talked 4
    assert times == pytest.approx(np.array([0, 1, 2, 7, 8]) * MINUTE)
    assert conversations == [(2, pytest.approx(2 * MINUTE), pytest.approx(3 * MINUTE))]
    assert clock[loop.BUSY] == pytest.approx(4 * MINUTE)
    assert state[loop.POS] == 5


def test_the_next_free_collector_takes_the_next_dials():
    leads = [MINUTE] * 4
    answered = [True, False, False, False]
    times, conversations, *_ = run_loop(leads, answered, [10 * MINUTE] * 4, [0.0, 0.0])
    # collector 0 talks from the first dial; collector 1 dials the rest meanwhile
    assert [c[0] for c in conversations] == [0]
    assert times == pytest.approx(np.array([0, 0, 1, 2]) * MINUTE)


def test_a_caller_is_answered_at_the_end_of_the_dial_during_which_they_ring():
    leads = [MINUTE] * 10
    caller = (2.5 * MINUTE, 10 * MINUTE)  # rings during the third dial
    times, _, answered_callers, *_ = run_loop(leads, [False] * 10, [0.0] * 10, [0.0],
                                              callers=[caller])
    assert answered_callers == [(0, 0, pytest.approx(3 * MINUTE))]
    # the collector is on the phone for a minute, then dials on
    assert times[3] == pytest.approx(4 * MINUTE)


def test_a_caller_whose_patience_runs_out_first_hangs_up():
    leads = [10 * MINUTE]
    caller = (MINUTE, 2 * MINUTE)  # gives up before the ten-minute dial ends
    _, _, answered_callers, state, *_ = run_loop(leads, [False], [0.0], [0.0],
                                                 callers=[caller])
    assert answered_callers == []
    assert state[loop.ABANDONED] == 1


def test_collectors_stop_at_the_end_of_the_interval():
    leads = [MINUTE] * 100
    times, _, _, state, _, free_at = run_loop(leads, [False] * 100, [0.0] * 100, [0.0],
                                              end=10 * MINUTE)
    assert state[loop.POS] == 10  # the dial that ends at 10 minutes is the last
    assert times.max() < 10 * MINUTE
    assert free_at[0] == pytest.approx(10 * MINUTE)


def test_a_caller_waiting_at_the_end_is_answered_by_the_first_collector_free_after_it():
    """Every collector is busy past the end of the interval (an hour): the callers who rang
    in it still wait, and the first collector free answers the first of them within their
    patience, after the end; a caller whose patience runs out first hangs up."""
    callers = [(20 * MINUTE, 80 * MINUTE), (30 * MINUTE, 65 * MINUTE),
               (40 * MINUTE, 90 * MINUTE)]
    times, _, answered_callers, state, _, free_at = run_loop(
        [MINUTE] * 5, [False] * 5, [0.0] * 5, [70 * MINUTE], callers=callers)
    assert len(times) == 0  # no dial after the end
    assert answered_callers == [(0, 0, pytest.approx(70 * MINUTE)),
                                (2, 0, pytest.approx(71 * MINUTE))]
    assert state[loop.ABANDONED] == 1
    assert free_at[0] == pytest.approx(72 * MINUTE)


def test_a_collector_whose_dial_runs_past_the_end_answers_the_caller_waiting():
    """The only collector's dial rings on past the end of the interval while a caller waits:
    the collector answers them when the dial is over."""
    times, _, answered_callers, state, _, free_at = run_loop(
        [70 * MINUTE, MINUTE], [False, False], [0.0, 0.0], [0.0],
        callers=[(10 * MINUTE, 100 * MINUTE)])
    assert times.tolist() == [0.0]
    assert answered_callers == [(0, 0, pytest.approx(70 * MINUTE))]
    assert state[loop.ABANDONED] == 0
    assert free_at[0] == pytest.approx(71 * MINUTE)


def test_with_no_collector_every_caller_hangs_up():
    _, _, answered_callers, state, *_ = run_loop(
        [MINUTE], [False], [0.0], [], callers=[(MINUTE, 50 * MINUTE), (2 * MINUTE, 3 * MINUTE)])
    assert answered_callers == []
    assert state[loop.ABANDONED] == 2
    assert state[loop.TAKEN] == 2


def reference_loop(leads, answered, handle, free, callers, end, talks):
    """The collectors' loop as the module docstring states it, one collector at a time
    through :mod:`heapq` (every idle collector waking at every ring)."""
    n = len(leads)
    offset = [0.0, *np.cumsum(leads).tolist()]
    answer_at = [k for k in range(n) if answered[k]]
    times, conversations, served = [0.0] * n, [], []
    free_at = [0.0] * len(free)
    heap = [(f, a) for a, f in enumerate(free)]
    heapq.heapify(heap)
    pos = taken = following = abandoned = 0
    busy = 0.0
    while heap:
        f, a = heapq.heappop(heap)
        answering = False
        while taken < len(callers) and callers[taken][0] <= f:
            answering = callers[taken][1] >= f
            if answering:
                served.append((taken, a, f))
                heapq.heappush(heap, (f + talks[taken], a))
            else:
                abandoned += 1
            taken += 1
            if answering:
                break
        if answering:
            continue
        if f >= end:  # no more dials: a collector free after the end only answers callers
            free_at[a] = f
            continue
        ring_next = callers[taken][0] if taken < len(callers) else math.inf
        stop = min(end, ring_next)
        if pos >= n:
            if ring_next < end:
                heapq.heappush(heap, (ring_next, a))
            else:
                free_at[a] = f
            continue
        while following < len(answer_at) and answer_at[following] < pos:
            following += 1
        answer = answer_at[following] if following < len(answer_at) else n
        base = f - offset[pos]
        last = bisect.bisect_left(offset, stop - base, pos, answer + 1 if answer < n else n)
        for j in range(pos, last):
            times[j] = base + offset[j]
        if answer < n and last > answer:
            greeting = base + offset[answer + 1]
            conversations.append((answer, base + offset[answer], greeting))
            busy += handle[answer]
            pos = answer + 1
            heapq.heappush(heap, (greeting + handle[answer], a))
            continue
        pos, busy_until = last, base + offset[last]
        if ring_next < end or (busy_until < end and pos < n):
            heapq.heappush(heap, (max(busy_until, min(ring_next, end)), a))
        else:
            free_at[a] = busy_until
    abandoned += len(callers) - taken  # no collector to answer them
    return times[:pos], conversations, served, abandoned, busy, free_at


@given(st.data())
@settings(max_examples=300, deadline=None)
def test_the_compiled_loop_is_the_loop_it_states(data):
    dials = data.draw(st.integers(0, 60))
    crew = data.draw(st.integers(0, 6))
    minutes = st.integers(1, 12)
    leads = [data.draw(minutes) * MINUTE / 4 for _ in range(dials)]
    answered = [data.draw(st.booleans()) for _ in range(dials)]
    handle = [data.draw(minutes) * MINUTE for _ in range(dials)]
    # some collectors busy past the end of the interval (an hour) from a call carried over
    free = [data.draw(st.one_of(st.integers(0, 20), st.sampled_from((55, 60, 75)))) * MINUTE
            for _ in range(crew)]
    rings = sorted(data.draw(st.lists(st.integers(0, 59), max_size=25)))
    callers = [(r * MINUTE, r * MINUTE + data.draw(st.integers(0, 30)) * MINUTE)
               for r in rings]
    talks = [data.draw(minutes) * MINUTE for _ in callers]
    end = 60 * MINUTE
    times, conversations, served, state, clock, free_at = run_loop(
        leads, answered, handle, free, callers, end, talks)
    want = reference_loop(leads, answered, handle, free, callers, end, talks)
    assert times.tolist() == want[0]
    assert conversations == want[1]
    assert served == want[2]
    assert state[loop.ABANDONED] == want[3]
    assert clock[loop.BUSY] == want[4]
    assert free_at.tolist() == want[5]
    # every caller taken off the line is answered or hangs up
    assert len(served) + state[loop.ABANDONED] == len(callers)


def splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, as published (Steele, Lea and Flood 2014), in numpy."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def test_counter_uniforms_are_splitmix64_of_key_index_and_counter():
    rng = np.random.default_rng(3)
    index = rng.integers(0, 10**7, size=(50, 1)).astype(np.uint64)
    counter = np.arange(11, dtype=np.uint64)[None, :]
    key = np.uint64(0xDEADBEEF12345678)
    with np.errstate(over="ignore"):
        x = splitmix64(key ^ splitmix64(index))
        x = splitmix64(x ^ splitmix64(counter + np.uint64(0xBF58476D1CE4E5B9)))
    expected = ((x >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53
    got = counter_uniforms(int(key), index, counter)
    assert got.shape == (50, 11)
    np.testing.assert_array_equal(got, expected)
    assert np.ndim(counter_uniforms(5, 3, 2)) == 0


def test_workable_today_and_callable_now_keep_the_rules_of_the_list():
    n = 8
    status = np.full(n, int(Status.ACTIVE), dtype=np.int8)
    status[1] = int(Status.PROMISE)
    agency = np.zeros(n, dtype=np.int16)
    agency[2] = 1
    recalled = np.zeros(n, dtype=np.bool_)
    recalled[3] = True
    bad = np.zeros(n, dtype=np.bool_)
    bad[4] = True
    paid_day = np.full(n, -np.inf)
    worked = np.ones(n, dtype=np.bool_)
    first_attempt = np.full(n, np.nan)
    today = workable_today(np.arange(n), agency, 0, recalled, status, paid_day, 0.0, 1,
                           bad, worked, first_attempt)
    assert today.tolist() == [0, 5, 6, 7]
    attempts_today = np.zeros(n, dtype=np.int32)
    attempts_today[5] = 2  # at the day's cap
    last_attempt = np.full(n, -1e9)
    last_attempt[6] = 1 + 8 / 24  # called at 08:00: inside the four-hour retry wait
    offsets = np.zeros(n)
    offsets[7] = -0.5  # twelve hours behind: the window is shut on their clock
    consent = np.full(n, -1, dtype=np.int64)
    never = np.full(n, -np.inf)
    kept, chosen = callable_now(
        today, status, paid_day, 0.0, bad, worked, first_attempt, attempts_today, 2, last_attempt,
        4 / 24, True, never, 7.0, never, 7.0, consent, offsets, offsets, 8 / 24, 21 / 24,
        1 + 10 / 24, 1 + 11 / 24)
    assert kept.tolist() == [0, 6, 7]  # the account at its cap leaves the day's list
    assert chosen.tolist() == [0]


def test_an_account_screened_out_is_owed_one_call_in_each_placement():
    """An account not worth the agency's effort stays on the list until its first call in this
    placement: account 1 was called by its first agency (attempts carried over) but not yet by
    this one (sim.model.bank.second_placement), account 2 already was."""
    n = 3
    status = np.full(n, int(Status.ACTIVE), dtype=np.int8)
    agency = np.zeros(n, dtype=np.int16)
    recalled = np.zeros(n, dtype=np.bool_)
    bad = np.zeros(n, dtype=np.bool_)
    paid_day = np.full(n, -np.inf)
    worked = np.array([True, False, False])
    first_attempt = np.array([np.nan, np.nan, 91.4])
    today = workable_today(np.arange(n), agency, 0, recalled, status, paid_day, 0.0, 92,
                           bad, worked, first_attempt)
    assert today.tolist() == [0, 1]
    never = np.full(n, -np.inf)
    kept, chosen = callable_now(
        np.arange(n), status, paid_day, 0.0, bad, worked, first_attempt,
        np.zeros(n, dtype=np.int32), 2, np.full(n, -1e9), 4 / 24, True, never, 7.0, never, 7.0,
        np.full(n, -1, dtype=np.int64), np.zeros(n), np.zeros(n), 8 / 24, 21 / 24,
        92 + 10 / 24, 92 + 11 / 24)
    assert kept.tolist() == chosen.tolist() == [0, 1]
