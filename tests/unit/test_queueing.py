"""InboundQueue: FIFO callers with patience, served by collectors that pull
(sim.model.agency.inbound_queue).

Driven by a real :class:`simpy.Environment`.
"""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from sim.model.agency.inbound_queue import InboundQueue


def arrive_at(env, queue, when, item, patience):
    def process():
        yield env.timeout(when - env.now)
        queue.arrive(item, patience)
    env.process(process())


def take_at(env, queue, when, log):
    def process():
        yield env.timeout(when - env.now)
        log.append((env.now, queue.take()))
    env.process(process())


def test_callers_are_served_first_come_first_served():
    env = simpy.Environment()
    queue: InboundQueue[str] = InboundQueue(env)
    for when, item in ((0.0, "a"), (1.0, "b"), (2.0, "c")):
        arrive_at(env, queue, when, item, 100.0)
    log: list = []
    for when in (3.0, 3.0, 4.0, 5.0):
        take_at(env, queue, when, log)
    env.run()
    assert [entry for _, entry in log] == [("a", 3.0), ("b", 2.0), ("c", 2.0), None]
    assert queue.arrivals == 3
    assert queue.served == 3
    assert queue.abandoned == 0
    assert queue.served_immediately == 0
    assert queue.total_wait == pytest.approx(7.0)
    assert len(queue) == 0


def test_idle_collector_serves_an_arrival_at_once():
    env = simpy.Environment()
    queue: InboundQueue[str] = InboundQueue(env)
    got: list = []

    def collector():
        value = yield queue.wait_for_caller()
        got.append((env.now, value))

    env.process(collector())
    arrive_at(env, queue, 5.0, "x", 1.0)
    env.run()
    assert got == [(5.0, ("x", 0.0))]
    assert queue.served == 1
    assert queue.served_immediately == 1
    assert queue.total_wait == 0.0
    assert len(queue) == 0


def test_idle_collectors_are_woken_in_order():
    env = simpy.Environment()
    queue: InboundQueue[int] = InboundQueue(env)
    got: list = []

    def collector(name):
        item, _ = yield queue.wait_for_caller()
        got.append((name, item, env.now))

    for name in ("first", "second"):
        env.process(collector(name))
    arrive_at(env, queue, 1.0, 10, 1.0)
    arrive_at(env, queue, 2.0, 20, 1.0)
    arrive_at(env, queue, 3.0, 30, 1.0)  # nobody idle: waits in the queue
    env.run()
    assert got == [("first", 10, 1.0), ("second", 20, 2.0)]
    assert len(queue) == 1
    assert queue.served_immediately == 2


def test_withdrawn_waiter_is_not_served():
    env = simpy.Environment()
    queue: InboundQueue[str] = InboundQueue(env)
    waiter = queue.wait_for_caller()
    queue.withdraw(waiter)
    queue.withdraw(waiter)  # harmless twice
    arrive_at(env, queue, 1.0, "x", 5.0)
    env.run()
    assert not waiter.triggered
    assert len(queue) == 1
    assert queue.served == 0


def test_caller_past_patience_is_abandoned_with_wait_equal_to_patience():
    env = simpy.Environment()
    queue: InboundQueue[str] = InboundQueue(env)
    arrive_at(env, queue, 0.0, "impatient", 2.0)
    arrive_at(env, queue, 1.0, "patient", 10.0)
    log: list = []
    take_at(env, queue, 5.0, log)
    env.run()
    assert log == [(5.0, ("patient", 4.0))]
    assert queue.abandoned == 1
    assert queue.served == 1
    assert queue.total_wait == pytest.approx(2.0 + 4.0)


def test_close_settles_remaining_callers():
    env = simpy.Environment()
    queue: InboundQueue[str] = InboundQueue(env)
    arrive_at(env, queue, 0.0, "gone", 1.0)
    arrive_at(env, queue, 0.5, "also gone", 2.0)
    arrive_at(env, queue, 9.0, "still waiting", 5.0)
    env.run(until=10.0)
    censored = queue.close()
    assert censored == 1
    assert queue.abandoned == 2
    assert queue.total_wait == pytest.approx(1.0 + 2.0)
    assert len(queue) == 0
    assert queue.arrivals == queue.served + queue.abandoned + censored


def test_random_multi_server_run_is_consistent():
    """c collectors pulling from the queue: FIFO among served, nobody served past patience."""
    rng = np.random.default_rng(1)
    env = simpy.Environment()
    queue: InboundQueue[int] = InboundQueue(env)
    n, servers = 400, 3
    arrivals = np.cumsum(rng.exponential(1.0, n))
    patience = rng.exponential(2.0, n)
    served: list[tuple[int, float]] = []

    def caller_feed():
        for k in range(n):
            yield env.timeout(arrivals[k] - env.now)
            queue.arrive(k, float(patience[k]))

    def collector():
        while True:
            taken = queue.take()
            if taken is None:
                taken = yield queue.wait_for_caller()
            served.append(taken)
            yield env.timeout(rng.exponential(2.5))

    env.process(caller_feed())
    for _ in range(servers):
        env.process(collector())
    env.run(until=arrivals[-1] + 1.0)
    censored = queue.close()
    assert queue.arrivals == n
    assert queue.served == len(served)
    assert queue.served + queue.abandoned + censored == n
    assert queue.abandoned > 0
    assert queue.served_immediately > 0
    items = [item for item, _ in served]
    assert items == sorted(items)  # first come, first served
    for item, wait in served:
        assert 0.0 <= wait <= patience[item] + 1e-12
    # the abandoned each waited their whole patience; the censored were still within theirs
    end = env.now
    served_ids = set(items)
    lost = [k for k in range(n) if k not in served_ids]
    abandoned = [k for k in lost if arrivals[k] + patience[k] <= end]
    assert len(abandoned) == queue.abandoned
    assert len(lost) - len(abandoned) == censored
    expected = sum(wait for _, wait in served) + float(patience[abandoned].sum())
    assert queue.total_wait == pytest.approx(expected, rel=1e-9)
