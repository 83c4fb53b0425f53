"""The predictive dialler's pacing arithmetic: Erlang's loss formula, the load it allows, and
the correction that steers on the calls as the rule counts them and does not wind up while
the call list runs short."""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np
import pytest

from sim.model.agency.pacing import AIM, GAIN, Pacing, erlang_loss, load_within


def erlang_b(servers: int, load: float) -> float:
    """Erlang B by the textbook recursion B(k) = A·B(k−1) / (k + A·B(k−1))."""
    loss = 1.0
    for k in range(1, servers + 1):
        loss = load * loss / (k + load * loss)
    return loss


@pytest.mark.parametrize(("servers", "load"), [(1, 0.5), (5, 3.0), (17, 11.0), (40, 35.0),
                                               (200, 180.0)])
def test_erlang_loss_is_erlang_b_at_whole_servers(servers, load):
    assert erlang_loss(servers, np.array([load]))[0] == pytest.approx(erlang_b(servers, load),
                                                                      rel=1e-9)


def test_fractional_servers_lie_between_their_neighbours():
    loads = np.array([4.0])
    below, between, above = (erlang_loss(s, loads)[0] for s in (6.0, 6.5, 7.0))
    assert above < between < below


def test_the_allowed_load_meets_the_loss_and_grows_with_servers():
    loads = [load_within(servers, 0.03) for servers in (2.0, 5.0, 17.0, 60.0)]
    assert all(a < b for a, b in pairwise(loads))
    for servers, load in zip((2.0, 5.0, 17.0, 60.0), loads, strict=True):
        assert erlang_loss(servers, np.array([load]))[0] <= 0.03
        # within a grid step of the largest such load
        assert erlang_loss(servers, np.array([load + servers * 0.01]))[0] > 0.03
    assert load_within(0.0, 0.03) == 0.0


def test_callers_expected_take_collectors_from_the_dialler():
    quiet, busy = Pacing(0.03, hit_rate=0.3), Pacing(0.03, hit_rate=0.3, callers=40.0)
    hour, handle = 1 / 24, 7 / 1440
    assert busy.dials(17 * hour, handle, hour) < quiet.dials(17 * hour, handle, hour)


def test_hit_rates_are_learnt_by_time_of_the_shift():
    pacing = Pacing(0.03)
    pacing.steer(answered=40, abandoned=0, dialled=100, planned=100, callers=0, slot=0)
    pacing.steer(answered=10, abandoned=0, dialled=100, planned=100, callers=0, slot=2)
    hour, handle = 1 / 24, 7 / 1440
    # the first hour answered more: fewer dials buy the same load there
    assert pacing.dials(17 * hour, handle, hour, slot=0) < pacing.dials(17 * hour, handle, hour,
                                                                         slot=2)


def test_the_correction_does_not_wind_up_while_the_list_runs_short():
    pacing = Pacing(0.03, hit_rate=0.3)
    for _ in range(20):  # quiet intervals: nothing abandoned, but fewer dials than planned
        pacing.steer(answered=10, abandoned=0, dialled=30, planned=200, callers=0)
    assert pacing.correction == 1.0
    for _ in range(5):  # the list is full again: no abandonment lets the pace rise
        pacing.steer(answered=60, abandoned=0, dialled=200, planned=200, callers=0)
    assert pacing.correction > 1.0
    raised = pacing.correction
    for _ in range(5):  # too many abandoned: the pace falls
        pacing.steer(answered=60, abandoned=12, dialled=200, planned=200, callers=0)
    assert pacing.correction < raised


def test_the_correction_counts_calls_not_intervals():
    """A busy interval abandoning a little over the aim and a quiet one abandoning none,
    together exactly at it as the rule counts (3 of 100 answered calls), leave the correction
    where it was; the average of the two intervals' shares (3.3% and 0%) would read as half
    the aim and raise the pace to its limit. (The correction drifts by a few percent while the
    mean interval it scales its step by is still being learnt.)"""
    pacing = Pacing(0.03 / AIM, hit_rate=0.3)  # an aim of 3%
    for _ in range(50):
        pacing.steer(answered=90, abandoned=3, dialled=300, planned=300, callers=0)
        pacing.steer(answered=10, abandoned=0, dialled=30, planned=30, callers=0)
    assert pacing.correction == pytest.approx(1.0, rel=0.05)
    assert pacing.abandon_rate == pytest.approx(0.03)
    assert (pacing.answered, pacing.abandoned) == (5000, 150)


def test_abandoning_beyond_the_aim_lowers_the_correction_alike_for_any_team_size():
    """One interval answering 100 calls at an aim of 3% allows 3 abandoned; 5 abandoned are 2
    beyond it, two thirds of the mean interval's allowance: the correction falls by
    exp(−GAIN × 2/3). A team ten times larger abandoning the same share moves it as much, and
    where the allowance is under one call each call counts whole."""
    for scale in (1, 10):
        pacing = Pacing(0.03 / AIM, hit_rate=0.3)
        pacing.steer(answered=100 * scale, abandoned=5 * scale, dialled=300 * scale,
                     planned=300 * scale, callers=0)
        assert pacing.correction == pytest.approx(math.exp(-2 / 3 * GAIN)), scale
    small = Pacing(0.03 / AIM, hit_rate=0.3)
    small.steer(answered=10, abandoned=2, dialled=30, planned=30, callers=0)
    assert small.correction == pytest.approx(math.exp(-(2 - 0.3) * GAIN))
