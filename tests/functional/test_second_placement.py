"""Second placement: who is re-placed, who gets credit, and that the first placement is intact."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.config.loading import ScenarioError, load_scenario
from sim.model.replication import run_replication

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "second_placement.toml"
SMALL = ["portfolio.accounts=1500", "agencies.alpha.collectors=2", "agencies.beta.collectors=2",
         "agencies.delta.collectors=3", "scenario.horizon_days=40"]
FIRST = ("alpha", "beta")


@pytest.fixture(scope="module")
def result():
    return run_replication(load_scenario(SCENARIO, SMALL), audit=True, keep_accounts=True,
                           record_events=True)


def _no_second(overrides):
    """The same scenario without a second placement (delta present, idle)."""
    from sim.config.loading import _resolve_extends, apply_override, parse_override, validate

    data = _resolve_extends(SCENARIO)
    data["bank"].pop("second_placement")
    for text in overrides:
        apply_override(data, *parse_override(text), str(SCENARIO))
    return validate(data, str(SCENARIO))


def test_first_placement_is_untouched_by_a_second_one():
    """The first agencies' figures are those of the same program without a second placement,
    down to their first-attempt service level (read against their own hand-over, not the
    second agency's)."""
    second = run_replication(load_scenario(SCENARIO, SMALL))
    first_only = run_replication(_no_second(SMALL))
    for agency in FIRST:
        for kpi in ("collected", "commission", "call_attempts", "promises", "rule_violations",
                    "outstanding_at_recall", "accounts", "balance_placed",
                    "first_attempt_sla_share", "never_attempted_share",
                    "mean_days_to_first_attempt", "mean_days_to_first_rpc", "contact_rate",
                    "cure_rate", "redefault_rate", "self_cure_share", "charged_off_share",
                    "cx_index", "delinquent_share_end"):
            assert second.kpi(kpi, agency) == pytest.approx(first_only.kpi(kpi, agency),
                                                            rel=1e-12, abs=1e-9), (agency, kpi)
    assert first_only.kpi("accounts", "delta") == 0


def test_credit_adds_up_across_placements(result):
    kpis = result.kpis
    for kpi in ("collected", "commission", "net_recovery", "waived"):
        assert kpis.loc[[*FIRST, "delta"], kpi].sum() == pytest.approx(kpis.loc["total", kpi])
    assert kpis.loc["total", "balance_placed"] == pytest.approx(
        kpis.loc[list(FIRST), "balance_placed"].sum())
    delta_rate = load_scenario(SCENARIO).agency("delta").commission
    assert kpis.loc["delta", "commission"] == pytest.approx(
        delta_rate * kpis.loc["delta", "collected"])


def test_only_accounts_still_owing_are_placed_again(result):
    table = result.accounts
    assert table is not None
    delta = table["agency"].astype(str) == "delta"
    assert delta.sum() == result.kpi("accounts", "delta") > 0
    assert (table.loc[delta, "placed_day"] == 40).all()  # re-placed at the first recall
    # every account left with its first agency ended that placement paid, settled, current
    # again or on a live plan (nothing happens after recall, so its final status is its
    # status then)
    worked = ~delta & ~table["control"]
    kept = table.loc[worked, "status"].astype(str)
    assert set(kept) <= {"paid", "settled", "cured", "plan"}
    # delta's placed balance is what its accounts still owed at their first recall: the
    # first agencies' outstanding at recall, less what the accounts they kept (on a plan, or
    # current again) still owe
    first_owed = result.kpis.loc[list(FIRST), "outstanding_at_recall"].sum()
    kept_owing = table.loc[worked & table["status"].astype(str).isin(["plan", "cured"]),
                           "outstanding"].sum()
    assert result.kpi("balance_placed", "delta") == pytest.approx(first_owed - kept_owing)


def test_no_agency_works_an_account_that_is_not_its_own(result):
    events, table = result.events, result.accounts
    assert events is not None and table is not None
    replaced_at = dict(zip(table.loc[table["agency"].astype(str) == "delta", "account"],
                           table.loc[table["agency"].astype(str) == "delta", "placed_day"],
                           strict=True))
    names = {0: "alpha", 1: "beta", 2: "delta"}
    for row in events.itertuples():
        agency = names[row.agency]
        moved = replaced_at.get(row.account)
        if agency == "delta":
            assert moved is not None and row.time >= moved
        elif moved is not None:
            assert row.time < moved
    assert result.kpi("call_attempts", "delta") > 0


@pytest.mark.parametrize(("override", "problem"), [
    ('bank.second_placement="omega"', "no agency of that name \\(agencies: alpha, beta, delta\\)"),
    ("agencies.delta.share=0.2", "takes only second placements"),
])
def test_bad_second_placement_is_reported(override, problem):
    sets = [override]
    if "share" in override:
        sets.append("agencies.alpha.share=0.3")
    with pytest.raises(ScenarioError, match=problem) as info:
        load_scenario(SCENARIO, sets)
    assert "bank.second_placement" in str(info.value)
