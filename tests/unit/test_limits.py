"""Limits on money, dates and sizes: bad input is one line, exit 2, before any work."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import BASELINE, assert_bad_input, call

from sim.config.loading import load_scenario
from sim.config.schema import limits


@pytest.mark.parametrize("value", ["1e15", "1e300"])
def test_huge_median_balance_is_refused_naming_the_field(value: str) -> None:
    status, out, err = call(["validate", BASELINE, "--set", f"portfolio.balance.median={value}"])
    assert_bad_input(status, out, err, "portfolio.balance.median", "1000000000")


@pytest.mark.parametrize("field", ["portfolio.late_fee", "agencies.alpha.cost_per_call",
                                   "agencies.alpha.collector_hourly_wage",
                                   "agencies.alpha.sms.cost", "rules.lawsuit_cost",
                                   "portfolio.balance.min"])
def test_every_amount_of_money_is_bounded(field: str) -> None:
    status, out, err = call(["validate", BASELINE, "--set", f"{field}=2e9"])
    assert_bad_input(status, out, err, field)


def test_portfolio_that_could_outgrow_exact_cents_is_refused() -> None:
    status, out, err = call(["validate", BASELINE, "--set", "portfolio.balance.max=1e9",
                             "--set", "portfolio.accounts=50000000"])
    assert_bad_input(status, out, err, "portfolio.balance.max", "cents")


def test_interest_over_a_long_program_counts_toward_the_bound() -> None:
    status, out, err = call(["validate", BASELINE, "--set", "portfolio.apr=2.0",
                             "--set", "scenario.horizon_days=3650"])
    assert_bad_input(status, out, err, "portfolio.balance.max", "3650 days")


def test_far_start_date_is_refused_at_validation() -> None:
    status, out, err = call(["validate", BASELINE, "--set", "scenario.start_date=9999-12-01"])
    assert_bad_input(status, out, err, "scenario.start_date", "9999-12-31")


def test_start_date_counts_the_follow_up() -> None:
    ok = load_scenario(BASELINE, ["scenario.start_date=9999-09-01"])
    assert ok.scenario.start_date.year == 9999
    status, out, err = call(["validate", BASELINE, "--set", "scenario.start_date=9999-09-01",
                             "--set", "bank.follow_up_days=200"])
    assert_bad_input(status, out, err, "scenario.start_date")


def test_shipped_scenarios_are_well_inside_the_limits() -> None:
    for path in sorted((Path(BASELINE).parent).glob("*.toml")):
        scenario = load_scenario(path)
        worst = limits.worst_portfolio_cents(
            scenario.portfolio.accounts, scenario.portfolio.balance.max, scenario.portfolio.apr,
            scenario.portfolio.late_fee, 2 * scenario.scenario.horizon_days)
        assert worst < limits.MAX_PORTFOLIO_CENTS / 1000, path.name


def test_child_file_naming_an_agency_twice_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "baseline.toml").write_text(BASELINE.read_text())
    child = tmp_path / "child.toml"
    child.write_text('extends = "baseline.toml"\n'
                     '[[agencies]]\nname = "gamma"\nshare = 0.0\n'
                     '[[agencies]]\nname = "gamma"\ntone = 0.9\n')
    status, out, err = call(["validate", child])
    assert_bad_input(status, out, err, str(child), "agencies.gamma", "twice")


def test_child_file_updating_an_inherited_agency_twice_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "baseline.toml").write_text(BASELINE.read_text())
    child = tmp_path / "child.toml"
    child.write_text('extends = "baseline.toml"\n'
                     '[[agencies]]\nname = "alpha"\ntone = 0.1\n'
                     '[[agencies]]\nname = "alpha"\ntone = 0.9\n')
    status, out, err = call(["validate", child])
    assert_bad_input(status, out, err, "agencies.alpha", "twice")


def test_set_path_of_a_thousand_parts_is_one_line() -> None:
    path = ".".join(["portfolio"] * 1000)
    status, out, err = call(["validate", BASELINE, "--set", f"{path}=1"])
    assert_bad_input(status, out, err, "--set", "1000 parts")


@pytest.mark.parametrize("value", ["[" * 500 + "]" * 500, "{a=" * 200 + "1" + "}" * 200])
def test_deeply_nested_set_value_is_one_line(value: str) -> None:
    status, out, err = call(["run", BASELINE, "--set", f"portfolio.accounts={value}"])
    assert_bad_input(status, out, err, "--set", "nested")


def test_workers_above_the_cpus_are_capped_with_a_note(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.cli.run
    from sim.experiment.backends import default_workers

    seen: dict[str, object] = {}

    def fake_replicate(*args: object, **kwargs: object) -> None:
        seen.update(kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.cli.run, "replicate", fake_replicate)
    status, _, err = call(["run", BASELINE, "--workers", "100000", "--reps", "2",
                           "--out", tmp_path / "out", "--quiet"])
    assert status == 130
    assert seen["workers"] == default_workers()
    notes = [line for line in err.splitlines() if line.startswith("note: --workers")]
    assert len(notes) == 1 and f"{default_workers()} CPUs" in notes[0]


# --------------------------------------------------------------------------- pre-flight


def _many_agencies(tmp_path: Path, agencies: int, collectors: int) -> Path:
    path = tmp_path / "many.toml"
    text = '[scenario]\nname = "many"\n[portfolio]\n[portfolio.segments.all]\nshare = 1.0\n'
    text += "".join(f'[[agencies]]\nname = "a{i}"\nshare = {1 / agencies}\n'
                    f"collectors = {collectors}\n" for i in range(agencies))
    path.write_text(text)
    return path


def _refused(argv: list[str | Path], *fragments: str, tmp_path: Path | None = None) -> None:
    status, out, err = call(argv)
    line = assert_bad_input(status, out, err, *fragments)
    assert "available on this machine" in line or "limit" in line
    if tmp_path is not None:
        assert not (tmp_path / "out").exists()


def test_fifty_million_accounts_are_refused_before_running(tmp_path: Path) -> None:
    _refused(["run", BASELINE, "--set", "portfolio.accounts=50000000", "--out", tmp_path / "out"],
             "portfolio.accounts", "GB of memory", tmp_path=tmp_path)


def test_hundred_agencies_of_hundred_thousand_collectors_are_refused(tmp_path: Path) -> None:
    _refused(["run", _many_agencies(tmp_path, 100, 100_000), "--out", tmp_path / "out"],
             "agencies.collectors", "of memory", tmp_path=tmp_path)


@pytest.mark.parametrize("command", ["run", "table"])
def test_a_billion_replications_are_refused(tmp_path: Path, command: str) -> None:
    extra = ["--out", tmp_path / "out"] if command == "run" else []
    _refused([command, BASELINE, "--reps", "1000000000", *extra], "--reps", "TB of memory")


def test_compare_with_a_hundred_million_replications_is_refused() -> None:
    _refused(["compare", BASELINE, BASELINE, "--reps", "100000000"], "--reps", "of memory")


def test_a_three_by_thousand_step_grid_is_refused_before_its_points_are_drawn(
        tmp_path: Path) -> None:
    factors = "".join(f'[[factors]]\npath = "agencies.alpha.{name}"\nbounds = [0.1, 0.3]\n'
                      "steps = 1000\n" for name in ("commission", "tone", "skill"))
    path = tmp_path / "grid.toml"
    path.write_text(f'[experiment]\nname = "grid"\nscenario = "{BASELINE}"\n'
                    f'[design]\nkind = "grid"\n{factors}')
    _refused(["sweep", path, "--out", tmp_path / "out"], "design", "1,000,000,000 points",
             tmp_path=tmp_path)


def test_a_sweep_that_would_compute_for_months_is_refused(tmp_path: Path) -> None:
    factors = "".join(f'[[factors]]\npath = "agencies.alpha.{name}"\nbounds = [0.1, 0.3]\n'
                      "steps = 100\n" for name in ("commission", "tone", "skill"))
    path = tmp_path / "grid.toml"
    path.write_text(f'[experiment]\nname = "grid"\nscenario = "{BASELINE}"\n'
                    f'[design]\nkind = "grid"\n{factors}')
    _refused(["sweep", path, "--out", tmp_path / "out", "--backend", "serial"], "design",
             "days on 1 worker", tmp_path=tmp_path)


@pytest.mark.parametrize(("argv", "flag"), [
    (["--servers", "10", "--arrival-rate", "9", "--service-rate", "1", "--horizon", "1e15"],
     "--horizon"),
    (["--servers", "1000000000", "--arrival-rate", "9", "--service-rate", "1"], "--servers"),
    (["--servers", "10", "--arrival-rate", "1e300", "--service-rate", "1e300",
      "--horizon", "1"], "--horizon"),
])
def test_queue_checks_that_cannot_fit_are_refused(argv: list[str], flag: str) -> None:
    _refused(["check", "queue", *argv], flag)


@pytest.mark.parametrize("lambda0", ["1e300", "1e9"])
def test_hawkes_check_with_a_huge_intensity_is_refused_not_hung(lambda0: str) -> None:
    _refused(["check", "hawkes", "--lambda0", lambda0, "--lambda-inf", "0", "--kappa", "0.03",
              "--delta10", "0.005", "--delta11", "0.01", "--r-min", "0", "--r-max", "0.01",
              "--horizon", "30"], "--lambda0", "limit")


def test_bench_beyond_memory_is_refused() -> None:
    _refused(["bench", "--accounts", "50000000"], "--accounts", "of memory")


def test_estimate_follows_the_machines_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    from sim.config.loading import ScenarioError
    from sim.experiment import preflight

    scenario = load_scenario(BASELINE)
    preflight.check_replications([("baseline", scenario)], 5, 2, "process")
    peak = sum(t.bytes for t in preflight.replication_terms(scenario, "baseline"))
    assert 20_000 * 1_600 <= peak < 200 * 2**20
    monkeypatch.setattr(preflight, "available_memory", lambda: 10 * 2**20)
    with pytest.raises(ScenarioError, match=r"10\.5 MB available"):
        preflight.check_replications([("baseline", scenario)], 5, 2, "process")


def test_available_memory_is_read_from_the_machine() -> None:
    from sim.experiment.preflight import available_memory

    assert 2**20 < available_memory() < 2**50
