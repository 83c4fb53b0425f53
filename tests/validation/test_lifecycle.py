"""The delinquency lifecycle held against its absorbing Markov chain.

The chain itself is checked first (rows of the transition matrix sum to one, current and
charged off absorb, a two-cycle case worked by hand, deterministic chains). Then the model's own
lifecycle code, driven by :func:`sim.validation.lifecycle.simulate`, must give every state's
share within four binomial standard errors of the chain at every due date, over a grid of cure
and roll chances (edge cases 0 and 1 included), every start bucket and one to eight cycles,
with fixed seeds; where the chain gives a share of exactly 0 or 1 the simulation must match it
exactly. The model's own transition counts (``roll_rates.csv``) must match the matrix's rows.
Last, ``collectsim check lifecycle``: its JSON, its table and its one-line errors.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from support import assert_bad_input, call, run_process

from sim.model.codes import Delinquency
from sim.model.portfolio import lifecycle
from sim.model.rng import Streams
from sim.validation.anchors import LIFECYCLE_CASE
from sim.validation.lifecycle import (
    CHAIN,
    CHAIN_LABELS,
    CHARGED_OFF,
    LifecycleParameterError,
    agrees,
    analytic_shares,
    check_lifecycle,
    check_parameters,
    deviations,
    idle_scenario,
    simulate,
    standard_errors,
    transition_matrix,
)

Z = 4.0  # tolerance in standard errors
MAX_CYCLES = 8
ACCOUNTS = 3_000

VECTORS = {
    # name: (cure c_1..c_5, roll r_1..r_5)
    "falling_cures": ((0.30, 0.20, 0.15, 0.10, 0.05), (0.40, 0.50, 0.60, 0.70, 0.80)),
    "always_cure": ((1.0,) * 5, (0.0,) * 5),
    "always_roll": ((0.0,) * 5, (1.0,) * 5),
    "always_stay": ((0.0,) * 5, (0.0,) * 5),
    "never_stay": ((0.5, 0.25, 0.2, 0.1, 0.0), (0.5, 0.75, 0.8, 0.9, 1.0)),
    "zeros_and_ones": ((0.0, 0.4, 0.0, 0.2, 0.5), (0.3, 0.0, 1.0, 0.5, 0.25)),
}


# ---------------------------------------------------------------------------- the chain


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_transition_matrix_is_stochastic_with_two_absorbing_states(name: str) -> None:
    matrix = transition_matrix(*VECTORS[name])
    assert matrix.shape == (7, 7)
    assert (matrix >= 0).all()
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(matrix[0], np.eye(7)[0])
    np.testing.assert_array_equal(matrix[CHARGED_OFF], np.eye(7)[CHARGED_OFF])
    for bucket in range(1, 6):  # only cure, stay or roll one bucket
        assert set(np.flatnonzero(matrix[bucket])) <= {0, bucket, bucket + 1}


def test_two_cycles_worked_by_hand() -> None:
    # bucket 1: cure 0.5, roll 0.25, stay 0.25; bucket 2: cure 0.2, roll 0.5, stay 0.3.
    # After one cycle: current 0.5, b1 0.25, b2 0.25. After two:
    #   current 0.5 + 0.25·0.5 + 0.25·0.2 = 0.675, b1 0.25·0.25 = 0.0625,
    #   b2 0.25·0.25 + 0.25·0.3 = 0.1375, b3 0.25·0.5 = 0.125.
    cure, roll = (0.5, 0.2, 0.0, 0.0, 0.0), (0.25, 0.5, 0.0, 0.0, 0.0)
    np.testing.assert_allclose(analytic_shares(cure, roll, 1, 1),
                               [0.5, 0.25, 0.25, 0, 0, 0, 0], atol=1e-15)
    np.testing.assert_allclose(analytic_shares(cure, roll, 1, 2),
                               [0.675, 0.0625, 0.1375, 0.125, 0, 0, 0], atol=1e-15)


@pytest.mark.parametrize("start", range(1, 6))
@pytest.mark.parametrize("cycles", range(1, MAX_CYCLES + 1))
def test_deterministic_chains(start: int, cycles: int) -> None:
    rolled = analytic_shares((0.0,) * 5, (1.0,) * 5, start, cycles)
    assert rolled.tolist() == np.eye(7)[min(start + cycles, CHARGED_OFF)].tolist()
    assert analytic_shares((1.0,) * 5, (0.0,) * 5, start, cycles).tolist() == np.eye(7)[0].tolist()
    assert analytic_shares((0.0,) * 5, (0.0,) * 5, start, cycles).tolist() \
        == np.eye(7)[start].tolist()


def test_chain_labels_follow_the_model_codes() -> None:
    assert CHAIN_LABELS == ("current", "30-59", "60-89", "90-119", "120-149", "150-179",
                            "charged_off")
    assert Delinquency.DPD_1_29 not in CHAIN


def test_the_check_all_case_reaches_every_state() -> None:
    cure, roll, start, cycles, _ = LIFECYCLE_CASE
    shares = analytic_shares(cure, roll, start, cycles)
    assert ((shares > 0) & (shares < 1)).all()  # every row of `check all` has a finite deviation


@pytest.mark.parametrize(("args", "parameter"), [
    (((0.1,) * 4, (0.1,) * 5, 1, 1, 10), "cure"),
    (((0.1,) * 5, (0.1,) * 6, 1, 1, 10), "roll"),
    (((0.1, 0.1, -0.1, 0.1, 0.1), (0.1,) * 5, 1, 1, 10), "cure"),
    (((0.1,) * 5, (0.1, float("nan"), 0.1, 0.1, 0.1), 1, 1, 10), "roll"),
    (((0.6,) * 5, (0.5,) * 5, 1, 1, 10), "roll"),
    (((0.1,) * 5, (0.1,) * 5, 0, 1, 10), "start"),
    (((0.1,) * 5, (0.1,) * 5, 6, 1, 10), "start"),
    (((0.1,) * 5, (0.1,) * 5, 1, 0, 10), "cycles"),
    (((0.1,) * 5, (0.1,) * 5, 1, 1, 0), "accounts"),
])
def test_bad_parameters_are_refused(args: tuple, parameter: str) -> None:
    with pytest.raises(LifecycleParameterError) as caught:
        check_parameters(*args)
    assert caught.value.parameter == parameter


def test_cure_plus_roll_of_exactly_one_is_allowed() -> None:
    check_parameters((0.7, 0.3, 0.1, 0.9, 0.0), (0.3, 0.7, 0.9, 0.1, 1.0), 1, 1, 1)


# ---------------------------------------------------------------------------- model vs chain


def _seed(name: str, start: int) -> int:
    return 1000 * (sorted(VECTORS).index(name) + 1) + start


@pytest.mark.parametrize("start", range(1, 6))
@pytest.mark.parametrize("name", sorted(VECTORS))
def test_simulated_shares_match_the_chain_at_every_due_date(name: str, start: int) -> None:
    cure, roll = VECTORS[name]
    run = simulate(cure, roll, start, MAX_CYCLES, ACCOUNTS, seed=_seed(name, start))
    np.testing.assert_array_equal(run.counts.sum(axis=1), ACCOUNTS)  # no state off the chain
    for cycles in range(1, MAX_CYCLES + 1):
        analytic = analytic_shares(cure, roll, start, cycles)
        simulated = run.shares[cycles - 1]
        se = standard_errors(analytic, ACCOUNTS)
        assert agrees(simulated, analytic, se, Z).all(), (
            name, start, cycles, simulated, analytic, deviations(simulated, analytic, se))
        exact = (analytic == 0) | (analytic == 1)
        np.testing.assert_array_equal(simulated[exact], analytic[exact])


def test_the_models_roll_counts_match_the_transition_matrix() -> None:
    cure, roll = VECTORS["falling_cures"]
    run = simulate(cure, roll, 1, MAX_CYCLES, 20_000, seed=7)
    counts = run.rolls.placed[np.ix_(CHAIN, CHAIN)]  # Delinquency codes -> chain order
    assert run.rolls.placed.sum() == counts.sum()  # nothing counted off the chain
    assert run.rolls.control.sum() == 0
    matrix = transition_matrix(cure, roll)
    for bucket in range(1, 6):
        seen = counts[bucket].sum()
        assert seen > 500, bucket
        p = matrix[bucket]
        se = np.sqrt(p * (1 - p) / seen)
        assert agrees(counts[bucket] / seen, p, se, Z).all(), (bucket, counts[bucket] / seen, p)


def test_ledger_and_past_due_after_a_run() -> None:
    run = simulate(*VECTORS["falling_cures"], 2, 6, 2_000, seed=3)
    acc = run.accounts
    acc.check_ledger()
    charged = acc.charged_off
    assert charged.any() and (~charged).any()
    np.testing.assert_array_equal(acc.past_due[charged], acc.outstanding[charged])
    current = ~charged & (acc.past_due == 0)
    # a delinquent account's past-due amount is whole minimums: 2 (30-59) to 6 (150-179)
    missed = acc.past_due[~charged & ~current] / acc.minimum_payment[~charged & ~current]
    assert set(np.unique(missed)) <= {2.0, 3.0, 4.0, 5.0, 6.0}


def test_the_same_seed_gives_the_same_shares_and_another_seed_others() -> None:
    args = (*VECTORS["falling_cures"], 1, 3, 2_000)
    assert check_lifecycle(*args, seed=5) == check_lifecycle(*args, seed=5)
    assert check_lifecycle(*args, seed=5) != check_lifecycle(*args, seed=6)


# ---------------------------------------------------------------------------- known defects


def _placed(days_past_due: int, charged_off: bool) -> lifecycle.Accounts:
    from sim.model.portfolio.accounts import draw_portfolio

    scenario = idle_scenario(1, 1, 3, seed=0)
    acc = draw_portfolio(scenario.portfolio, scenario.bank, Streams(0))
    acc.days_past_due[:] = days_past_due
    lifecycle.enter(acc, np.arange(acc.n), 0, 0.01, 25.0, 0.0, charged_off=charged_off)
    return acc


def test_an_account_placed_on_its_due_date_keeps_its_bucket_that_day() -> None:
    acc = _placed(60, charged_off=False)
    everyone = np.arange(acc.n)
    before = lifecycle.states(acc, everyone, 0)
    lifecycle.advance(acc, 0, 180, np.random.default_rng(0), lifecycle.RollCounts())
    np.testing.assert_array_equal(lifecycle.states(acc, everyone, 0), before)


def test_an_account_placed_charged_off_on_its_due_date_owes_no_more_than_its_balance() -> None:
    acc = _placed(210, charged_off=True)
    lifecycle.advance(acc, 0, 180, np.random.default_rng(0), lifecycle.RollCounts())
    assert (acc.past_due <= acc.outstanding).all()


# ---------------------------------------------------------------------------- command line

COMMAND = ["check", "lifecycle", "--cure", "0.3,0.2,0.15,0.1,0.05",
           "--roll", "0.4,0.5,0.6,0.7,0.8", "--start", "2", "--cycles", "4",
           "--accounts", "2000", "--seed", "9"]


def test_json_output_has_seven_shares_and_standard_errors() -> None:
    status, out, err = call([*COMMAND, "--format", "json"])
    assert status == 0, err
    report = json.loads(out)
    assert set(report) == {"simulated", "analytic"}
    assert set(report["simulated"]) == {"shares", "se"}
    assert set(report["analytic"]) == {"shares"}
    simulated = np.array(report["simulated"]["shares"])
    se = np.array(report["simulated"]["se"])
    analytic = np.array(report["analytic"]["shares"])
    assert simulated.shape == se.shape == analytic.shape == (7,)
    assert simulated.sum() == pytest.approx(1.0) and analytic.sum() == pytest.approx(1.0)
    assert analytic[1] == 0.0 and simulated[1] == 0.0  # started in bucket 2: never back in 1
    np.testing.assert_allclose(se, standard_errors(analytic, 2000))
    assert agrees(simulated, analytic, se, Z).all()
    expected = check_lifecycle((0.3, 0.2, 0.15, 0.1, 0.05), (0.4, 0.5, 0.6, 0.7, 0.8), 2, 4,
                               2000, seed=9)
    assert report == expected


def test_table_output_names_every_state_and_its_agreement() -> None:
    status, out, err = call(COMMAND)
    assert status == 0, err
    lines = out.splitlines()
    assert "within 4 SE" in lines[1]
    rows = lines[2:]
    assert [row.split()[0] for row in rows] == list(CHAIN_LABELS)
    assert all(row.split()[-1] == "yes" for row in rows)


def _with(option: str, value: str) -> list[str]:
    argv = list(COMMAND)
    argv[argv.index(option) + 1] = value
    return argv


@pytest.mark.parametrize(("option", "value", "fragment"), [
    ("--cure", "0.1,0.2,0.3,0.4", "--cure: needs 5 probabilities"),
    ("--roll", "0.1,0.2,0.3,0.4,0.5,0.6", "--roll: needs 5 probabilities"),
    ("--cure", "0.1,x,0.3,0.4,0.5", "--cure: needs 5 comma-separated probabilities"),
    ("--cure", "0.1,0.2,1.3,0.4,0.5", "--cure: each probability must be in [0, 1] (got 1.3)"),
    ("--roll", "0.1,-0.2,0.3,0.4,0.5", "--roll: each probability must be in [0, 1]"),
    ("--roll", "0.4,0.5,0.6,0.7,inf", "--roll: each probability must be in [0, 1]"),
    ("--roll", "0.8,0.5,0.6,0.7,0.8", "--roll: cure + roll must not exceed 1 (bucket 1"),
    ("--start", "0", "--start: must be a bucket 1 to 5 (got 0)"),
    ("--start", "6", "--start: must be a bucket 1 to 5 (got 6)"),
    ("--cycles", "0", "--cycles: must be 1 to"),
    ("--cycles", "-3", "--cycles: must be 1 to"),
    ("--accounts", "0", "--accounts: must be 1 to"),
    ("--seed", "-1", "--seed: must be non-negative"),
    ("--start", "two", "invalid int value"),
])
def test_bad_options_are_one_line_and_exit_2(option: str, value: str, fragment: str) -> None:
    assert_bad_input(*call(_with(option, value)), fragment)


@pytest.mark.slow
def test_command_in_a_process_exits_0_and_2(tmp_path) -> None:
    good = run_process([*COMMAND, "--format", "json"], tmp_path)
    assert good.returncode == 0, good.stderr
    assert len(json.loads(good.stdout)["simulated"]["shares"]) == 7
    bad = run_process(_with("--start", "9"), tmp_path)
    assert_bad_input(bad.returncode, bad.stdout, bad.stderr, "--start")
    assert list(tmp_path.iterdir()) == []
