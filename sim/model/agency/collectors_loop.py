"""The collectors of a preview or progressive dialler working through one pacing interval,
compiled.

:class:`~sim.model.agency.dialler.Dialler` plans an interval's dials as one batch; this module
plays out the collectors' side of it in time order. Each collector, when free, first answers a
cardholder waiting on the inbound line within their patience; otherwise they take the next dials
of the list in turn, each the dial's *lead* long (the collector's time up to its end, or up to
the greeting when answered), until a dial is answered (a conversation, ``handle`` long), the
interval ends, or a caller rings (they stop at the end of the dial during which the next caller
rings, so the first collector free after the ring answers). Collectors are taken in order of
the time they come free, ties to the lower number. The interval's callers have all rung
before its end, and each is settled in it: a caller still waiting when the interval ends is
answered by the first collector free within their patience, even after the end (that
collector makes no more dials), or hangs up; with no collector at all, every caller hangs up.

The loop is compiled with numba: it is the model's innermost loop, one turn per run of dials
(a run is cut short when a caller rings, so its turns grow with callers as well as dials).
What a conversation or a call answered does to an account is not decided here: the loop
records each conversation it places (its dial, dial time and greeting) and stops at every
caller to be answered (:data:`CALLER`) so that the dialler can place the call in order, with
the account's state as it stands at that moment, and then resume. The arithmetic is IEEE
double throughout (no fast-math), so the times are those of the same loop run by the
interpreter (``tests/unit/test_collectors_loop.py`` holds it to a plain :mod:`heapq` version).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

(SIZE, POS, TAKEN, NEXT_ANSWER, PLACED, ABANDONED, CALLER_INDEX, CALLER_COLLECTOR,
 IDLE) = range(9)
"""Places in the loop's integer state: collectors in the heap, next dial, next caller, next
answered dial (its place in ``answer_at``), conversations placed, callers who hung up, the
caller to be answered and their collector when the loop stops for one, and collectors idle."""
STATE_FIELDS = 9
BUSY, CALLER_AT = 0, 1
"""Places in the loop's float state: the collectors' time on the day's calls so far (days), and
the time the caller to be answered is answered."""
DONE, CALLER = 0, 1
"""What :func:`work_through` returns: the interval is over, or a caller is to be answered."""


@njit(cache=True)
def _before(f: float, a: int, g: float, b: int) -> bool:
    return f < g or (f == g and a < b)


@njit(cache=True)
def heap_push(times: FloatArray, ids: IntArray, size: int, f: float, a: int) -> int:
    """Put collector ``a``, free at ``f``, on the heap of ``size``; returns the new size."""
    place = size
    while place > 0:
        parent = (place - 1) >> 1
        if not _before(f, a, times[parent], ids[parent]):
            break
        times[place], ids[place] = times[parent], ids[parent]
        place = parent
    times[place], ids[place] = f, a
    return size + 1


@njit(cache=True)
def _heap_drop_first(times: FloatArray, ids: IntArray, size: int) -> int:
    """Remove the first collector of the heap of ``size``; returns the new size."""
    size -= 1
    if size == 0:
        return 0
    f, a = times[size], ids[size]
    place = 0
    while True:
        child = 2 * place + 1
        if child >= size:
            break
        if child + 1 < size and _before(times[child + 1], ids[child + 1], times[child],
                                        ids[child]):
            child += 1
        if not _before(times[child], ids[child], f, a):
            break
        times[place], ids[place] = times[child], ids[child]
        place = child
    times[place], ids[place] = f, a
    return size


@njit(cache=True)
def _bisect_left(values: FloatArray, x: float, lo: int, hi: int) -> int:
    while lo < hi:
        mid = (lo + hi) // 2
        if values[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def work_through(state: IntArray, heap_times: FloatArray, heap_ids: IntArray,
                 offset: FloatArray, answer_at: IntArray, handle: FloatArray,
                 caller_times: FloatArray, caller_deadlines: FloatArray, end: float,
                 times: FloatArray, free_at: FloatArray, clock: FloatArray,
                 placed_at: IntArray, dialled: FloatArray, greeted: FloatArray,
                 idle_keys: FloatArray, idle_ids: IntArray) -> int:
    """Run the interval's loop from ``state`` (integers, :data:`SIZE` …) and ``clock`` (floats,
    :data:`BUSY` …) until it ends (:data:`DONE`) or a caller is to be answered (:data:`CALLER`:
    caller ``state[CALLER_INDEX]`` by collector ``state[CALLER_COLLECTOR]`` at
    ``clock[CALLER_AT]``; put the collector back on the heap with :func:`heap_push` when the
    call is over, and call again).

    The heap (``heap_times``, ``heap_ids``: when each collector is next free, and who) holds
    the collectors not yet done, but for those idle: with nothing left to dial, a collector
    waits for the next caller. Every idle collector wakes at each ring and the first of them,
    by number, answers; so they are kept apart, by number (``idle_ids``, and ``idle_keys``
    all 0), and only the first is woken: an interval with many collectors and many callers
    costs one turn per caller, not one per caller and collector.

    ``offset`` holds the cumulative leads of the dials (``offset[j]``: the leads of the dials
    before dial ``j``), ``answer_at`` the dials the cardholder answers, in order, ``handle``
    each dial's conversation time (days); the callers (``caller_times``, in order, and their
    ``caller_deadlines``) ring before ``end``, and each is answered or counted in
    ``state[ABANDONED]`` by the time the loop is done. Writes each dial's time to ``times``,
    when each collector is free after the interval (and after its callers) to ``free_at``,
    adds the conversations' handle times to ``clock[BUSY]``, and writes each conversation
    placed (its dial, dial time and greeting) to ``placed_at``, ``dialled`` and ``greeted``.
    """
    n = len(offset) - 1
    size, pos, taken = state[SIZE], state[POS], state[TAKEN]
    following, placed, idle = state[NEXT_ANSWER], state[PLACED], state[IDLE]
    n_callers, n_answers = len(caller_times), len(answer_at)
    while size > 0 or (idle > 0 and taken < n_callers):
        if idle > 0 and taken < n_callers and (size == 0 or _before(
                caller_times[taken], idle_ids[0], heap_times[0], heap_ids[0])):
            f, a = caller_times[taken], idle_ids[0]  # woken by the next ring
            idle = _heap_drop_first(idle_keys, idle_ids, idle)
        else:
            f, a = heap_times[0], heap_ids[0]
            size = _heap_drop_first(heap_times, heap_ids, size)
        while taken < n_callers and caller_times[taken] <= f:
            if caller_deadlines[taken] >= f:  # answered: the dialler places the call
                state[SIZE], state[POS], state[TAKEN] = size, pos, taken + 1
                state[NEXT_ANSWER], state[PLACED], state[IDLE] = following, placed, idle
                state[CALLER_INDEX], state[CALLER_COLLECTOR] = taken, a
                clock[CALLER_AT] = f
                return CALLER
            state[ABANDONED] += 1
            taken += 1
        if f >= end:  # the interval is over (and all its callers, who rang before, settled)
            free_at[a] = f
            continue
        ring_next = caller_times[taken] if taken < n_callers else np.inf
        stop = min(end, ring_next)
        if pos >= n:  # nothing left to dial: wait for the next caller, if any
            if ring_next < end:
                idle = heap_push(idle_keys, idle_ids, idle, 0.0, a)
            else:
                free_at[a] = f
            continue
        while following < n_answers and answer_at[following] < pos:
            following += 1
        answer = answer_at[following] if following < n_answers else n
        base = f - offset[pos]
        last = _bisect_left(offset, stop - base, pos, answer + 1 if answer < n else n)
        for j in range(pos, last):
            times[j] = base + offset[j]
        if answer < n and last > answer:  # the answered dial is placed: a conversation
            greeting = base + offset[answer + 1]
            placed_at[placed], dialled[placed], greeted[placed] = (answer, base + offset[answer],
                                                                   greeting)
            placed += 1
            clock[BUSY] += handle[answer]
            pos = answer + 1
            size = heap_push(heap_times, heap_ids, size, greeting + handle[answer], a)
            continue
        pos, busy_until = last, base + offset[last]
        if ring_next < end or (busy_until < end and pos < n):  # a caller to answer, or dials
            size = heap_push(heap_times, heap_ids, size, max(busy_until, min(ring_next, end)), a)
        else:
            free_at[a] = busy_until
    for k in range(idle):  # still idle when the last caller rang, and woken by that ring
        free_at[idle_ids[k]] = caller_times[n_callers - 1]
    state[ABANDONED] += n_callers - taken  # no collector at all: every caller hangs up
    taken = n_callers
    state[SIZE], state[POS], state[TAKEN] = size, pos, taken
    state[NEXT_ANSWER], state[PLACED], state[IDLE] = following, placed, 0
    return DONE
