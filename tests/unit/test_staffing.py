"""The analytic head-count of ``check staffing``: dial outcomes, collector time per dial, shift
hours to the deadline, the workload answer and the Erlang A answer, against hand computations."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from support import MINIMAL, write

from sim.config.loading import load_scenario
from sim.config.schema import Scenario
from sim.validation.erlang import erlang_a
from sim.validation.staffing import (
    dial_outcomes,
    erlang_a_collectors,
    minutes_per_dial,
    placement_share,
    plan_agency,
    planned_agencies,
    shift_hours,
)

# every dial reaches a valid number, half are answered, all by the cardholder
SIMPLE = ["bank.phone_valid=1.0", "bank.wrong_party_share=0.0",
          "portfolio.segments.a.answer_rate=0.5", "agencies.alpha.ring_minutes=0.6",
          "agencies.alpha.talk_minutes=6.0", "agencies.alpha.wrap_minutes=1.0",
          "agencies.alpha.preview_seconds=30", "bank.transfer_delay_days=0",
          "portfolio.accounts=1000", "agencies.alpha.first_attempt_sla_days=1"]


def _scenario(tmp_path: Path, overrides: list[str]) -> Scenario:
    return load_scenario(write(tmp_path, MINIMAL, "mini.toml"), overrides)


def test_dial_outcomes_split_every_dial_by_validity_answer_and_party(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, ["bank.phone_valid=0.8", "bank.wrong_party_share=0.25",
                                    "portfolio.segments.a.answer_rate=0.4"])
    outcomes = dial_outcomes(scenario)
    assert outcomes.wrong_number == pytest.approx(0.2)
    assert outcomes.no_answer == pytest.approx(0.8 * 0.6)
    assert outcomes.wrong_party == pytest.approx(0.8 * 0.4 * 0.25)
    assert outcomes.answered == pytest.approx(0.8 * 0.4 * 0.75)
    total = (outcomes.wrong_number + outcomes.no_answer + outcomes.wrong_party
             + outcomes.answered)
    assert total == pytest.approx(1.0)


@pytest.mark.parametrize(("dialler", "minutes"), [
    # half ring out (ring), half answered (ring, then 6 talk + 1 wrap)
    ("progressive", 0.5 * 0.6 + 0.5 * (0.6 + 7.0)),
    # every dial read for 30 s; ring and wrap on those that ring out
    ("preview", 0.5 + 0.5 * (0.6 + 1.0) + 0.5 * (0.6 + 7.0)),
    # only answered calls take a collector
    ("predictive", 0.5 * 7.0)])
def test_minutes_per_dial_follow_the_dialler(tmp_path: Path, dialler: str,
                                             minutes: float) -> None:
    scenario = _scenario(tmp_path, [*SIMPLE, f'agencies.alpha.dialler="{dialler}"'])
    agency = scenario.agencies[0]
    assert minutes_per_dial(agency, dial_outcomes(scenario)) == pytest.approx(minutes)


@pytest.mark.parametrize(("start", "days", "hours"), [
    (2.0, 3.0, 24.0),  # Wednesday to Friday, 09:00-17:00
    (4.0, 3.0, 8.0),  # Friday, then the weekend
    (2.5, 1.0, 8.0),  # Wednesday noon to Thursday noon: 5 h + 3 h
    (5.0, 2.0, 0.0),  # the weekend
    (0.0, 0.0, 0.0)])
def test_shift_hours_count_only_worked_hours_in_the_window(tmp_path: Path, start: float,
                                                           days: float, hours: float) -> None:
    agency = _scenario(tmp_path, []).agencies[0]
    assert shift_hours(agency, 0, start, days) == pytest.approx(hours)


def test_workload_answer_by_hand(tmp_path: Path) -> None:
    """1,000 accounts on a Monday, 1 day (8 shift hours) to call 90% of them at 4.1 collector
    minutes a dial: 61.5 collector-hours over 8 × 0.85 available per collector = 9.04 -> 10."""
    scenario = _scenario(tmp_path, SIMPLE)
    plan = plan_agency(scenario, scenario.agencies[0], 0.9, None, 0.85)
    assert plan.accounts_per_vintage == pytest.approx(1000)
    assert plan.window_shift_hours == pytest.approx(8.0)
    assert plan.workload_hours == pytest.approx(0.9 * 1000 * 4.1 / 60)
    assert plan.collectors_for_sla == 10 == plan.collectors
    assert plan.collectors_for_abandon is None and plan.abandon_at_plan is None


def test_control_group_vintages_and_share_divide_the_accounts(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, [*SIMPLE, "bank.control_share=0.2", 'bank.placement="flow"',
                                    "bank.vintages=4"])
    plan = plan_agency(scenario, scenario.agencies[0], 0.9, None)
    assert plan.accounts_per_vintage == pytest.approx(1000 * 0.8 / 4)
    assert plan.vintages == 4


def test_the_vintage_with_fewest_shift_hours_decides(tmp_path: Path) -> None:
    """Vintages every 4 days from Monday: the one on Friday has only Friday's shift."""
    scenario = _scenario(tmp_path, [*SIMPLE, 'bank.placement="flow"', "bank.vintages=3",
                                    "bank.vintage_every_days=4",
                                    "agencies.alpha.first_attempt_sla_days=3"])
    plan = plan_agency(scenario, scenario.agencies[0], 0.9, None)
    assert plan.window_shift_hours == pytest.approx(8.0)


def test_no_shift_hour_in_the_window_means_no_head_count(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, [*SIMPLE, "agencies.alpha.first_attempt_sla_days=0"])
    plan = plan_agency(scenario, scenario.agencies[0], 0.9, None)
    assert plan.collectors_for_sla is None and plan.collectors is None
    assert plan.notes


@pytest.mark.parametrize("servers", [1, 3, 8, 20])
def test_erlang_a_abandonment_falls_as_collectors_are_added(servers: int) -> None:
    rates = (50.0, 9.0, 1800.0)  # calls an hour, calls a collector an hour, 2 s patience
    assert erlang_a(servers + 1, *rates)["p_abandon"] < erlang_a(servers, *rates)["p_abandon"]


@pytest.mark.parametrize("target", [0.01, 0.03, 0.1, 0.3])
def test_erlang_a_collectors_is_the_smallest_meeting_the_target(target: float) -> None:
    rates = (120.0, 60.0 / 6.5, 1800.0)
    servers = erlang_a_collectors(*rates, target)
    assert servers is not None
    assert erlang_a(servers, *rates)["p_abandon"] <= target
    assert servers == 1 or erlang_a(servers - 1, *rates)["p_abandon"] > target


def test_predictive_plan_is_the_larger_answer_and_meets_the_target(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, [*SIMPLE, 'agencies.alpha.dialler="predictive"'])
    plan = plan_agency(scenario, scenario.agencies[0], 0.9, 0.03)
    # 450 answered calls in 8 hours, 7 minutes each: an offered load of 6.56 collectors
    assert plan.answered_per_hour == pytest.approx(0.9 * 1000 * 0.5 / 8)
    assert plan.handle_minutes == pytest.approx(7.0)
    assert plan.collectors_for_abandon is not None and plan.collectors_for_sla is not None
    assert plan.collectors == max(plan.collectors_for_abandon, plan.collectors_for_sla)
    assert plan.abandon_at_plan is not None and plan.abandon_at_plan <= 0.03
    assert plan.collectors_for_abandon > math.ceil(plan.answered_per_hour * 7.0 / 60)
    stricter = plan_agency(scenario, scenario.agencies[0], 0.9, 0.005)
    assert stricter.collectors_for_abandon is not None
    assert stricter.collectors_for_abandon > plan.collectors_for_abandon


def test_shares_follow_the_allocation(tmp_path: Path) -> None:
    text = MINIMAL.replace('name = "alpha"\nshare = 1.0', 'name = "alpha"\nshare = 0.6') + (
        '\n[[agencies]]\nname = "beta"\nshare = 0.4\n'
        '\n[[agencies]]\nname = "gamma"\n\n[bank]\nsecond_placement = "gamma"\n')
    scenario = load_scenario(write(tmp_path, text, "three.toml"))
    shares = {a.name: placement_share(scenario, a) for a in scenario.agencies}
    assert shares == pytest.approx({"alpha": 0.6, "beta": 0.4, "gamma": 0.0})
    assert [a.name for a in planned_agencies(scenario)] == ["alpha", "beta"]
    assert [a.name for a in planned_agencies(scenario, "gamma")] == ["gamma"]


def test_champion_challenger_splits_by_the_challenger_share(tmp_path: Path) -> None:
    text = MINIMAL + ('\n[[agencies]]\nname = "beta"\n\n[bank.allocation]\n'
                      'method = "champion_challenger"\nchampion = "alpha"\n'
                      'challenger = "beta"\nchallenger_share = 0.3\n')
    scenario = load_scenario(write(tmp_path, text, "cc.toml"))
    shares = {a.name: placement_share(scenario, a) for a in scenario.agencies}
    assert shares == pytest.approx({"alpha": 0.7, "beta": 0.3})
