"""The model benchmark on tiny portfolios: it times the workload it names.

* ``bench_model`` runs the scenario it was given, scaled, and its rate is that scenario's
  accounts × program days over the model time;
* the timing script, run as its own process by this interpreter (as ``--against`` and
  ``--scaling`` run it), times the same workload;
* ``bench_scaling`` at three times the accounts (and collectors) sees about three times the
  account-days;
* ``collectsim bench --scenario`` runs any scenario with its collectors scaled with
  ``--accounts``;
* ``collectsim bench --against HEAD`` runs end to end against a cached checkout of this
  repository's own commit, in an environment that borrows this one's packages (building a
  real one with pip takes minutes).
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sysconfig
from collections.abc import Sequence
from pathlib import Path

import pytest
from support import run_process

from sim.bench import revisions
from sim.bench.model import BASELINE, bench_model, bench_scaling, scenario_at
from sim.cli.main import main
from sim.model.replication import run_replication

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_bench_model_times_the_scaled_scenario_it_names() -> None:
    figures = bench_model(1_000)
    scenario = scenario_at(1_000)
    assert figures["accounts"] == scenario.portfolio.accounts == 1_000
    assert [a.collectors for a in scenario.agencies] == [1, 1]
    assert figures["collectors"] == 2
    assert figures["program_days"] == scenario.scenario.horizon_days
    assert figures["account_days"] == 1_000 * figures["program_days"]
    assert figures["account_days_per_second"] == pytest.approx(
        figures["account_days"] / figures["wall_seconds"])
    replication = run_replication(scenario, 0)
    assert figures["events"] == replication.meta["events_scheduled"] > 0
    for key in ("wall_seconds", "cpu_seconds", "account_days_per_second", "peak_rss_mb"):
        assert math.isfinite(float(figures[key])) and float(figures[key]) > 0, key


@pytest.mark.slow
def test_the_timing_script_run_as_a_process_times_the_same_workload() -> None:
    changes = ["agencies.alpha.collectors=3"]
    request = {"scenario": str(BASELINE), "accounts": 600, "overrides": changes}
    figures = revisions.run_timer(None, revisions.CURRENT_ROOT, request)
    here = bench_model(600, overrides=changes)
    for key in ("accounts", "collectors", "program_days", "account_days", "events",
                "overrides"):
        assert figures[key] == here[key], key
    assert figures["collectors"] == 3 + 1  # alpha as set, beta scaled to 600 accounts
    assert figures["scenario"] == str(BASELINE) and figures["wall_seconds"] > 0


def test_overrides_change_the_timed_scenario_and_collectors_set_are_kept() -> None:
    """``bench --set``: the scaled scenario carries the changes; a number of collectors set
    is kept as set, the others scale with the accounts."""
    changed = scenario_at(1_000, BASELINE, ["agencies.alpha.collectors=7",
                                            'agencies.beta.dialler="predictive"'])
    assert changed.portfolio.accounts == 1_000
    assert [(a.collectors, a.dialler) for a in changed.agencies] == [
        (7, scenario_at(1_000).agencies[0].dialler), (1, "predictive")]
    idle = bench_model(400, overrides=["agencies.alpha.collectors=0",
                                       "agencies.beta.collectors=0"])
    assert idle["collectors"] == 0 and idle["overrides"][0] == "agencies.alpha.collectors=0"
    assert idle["events"] < bench_model(400)["events"]  # no dialler, no conversations


@pytest.mark.slow
def test_bench_scaling_sees_proportionally_more_work() -> None:
    figures = bench_scaling(1_000, 3)
    assert figures["scaled_accounts"] == 3_000 and figures["factor"] == 3
    assert (figures["collectors"], figures["scaled_collectors"]) == (2, 6)
    for key in ("time_ratio", "cpu_time_ratio", "peak_rss_mb", "scaled_peak_rss_mb",
                "account_days_per_second", "scaled_account_days_per_second"):
        assert math.isfinite(float(figures[key])) and float(figures[key]) > 0, key


def test_bench_runs_any_scenario_with_its_collectors_scaled(
        capsys: pytest.CaptureFixture[str]) -> None:
    three = REPO / "scenarios" / "three_agencies.toml"
    own = scenario_at(None, three)
    half = scenario_at(own.portfolio.accounts // 2, three)
    assert half.portfolio.accounts == own.portfolio.accounts // 2
    for mine, theirs in zip(half.agencies, own.agencies, strict=True):
        assert mine.collectors == max(1, math.floor(theirs.collectors / 2 + 0.5))
    assert main(["bench", "--scenario", str(three), "--accounts", "600", "--format",
                 "json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["accounts"] == 600 and figures["account_days"] > 0
    assert figures["scenario"] == str(three)


def test_an_unknown_revision_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs this package's git repository")
    assert main(["bench", "--against", "no-such-revision-here", "--accounts", "100"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: --against: not a commit of "), err
    assert err.endswith("(got 'no-such-revision-here')\n")


def _borrowing_runner(command: Sequence[str], cwd: Path | None) -> str:
    """Runs every command but pip, which it replaces by a path file that lends the
    environment this interpreter's installed packages (the revision's own ``sim`` comes from
    the working directory the timed runs start in)."""
    if "pip" not in command:
        return revisions.run_command(command, cwd)
    python = Path(command[0])
    found = subprocess.run([str(python), "-c", "import sysconfig; "
                            "print(sysconfig.get_paths()['purelib'])"],
                           capture_output=True, text=True, check=True).stdout.strip()
    (Path(found) / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return ""


@pytest.mark.slow
def test_bench_against_head_runs_both_sides_end_to_end(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs this package's git repository")
    cache = tmp_path / "cache"
    repository = revisions.package_repository()
    checkout = revisions.prepare("HEAD", repository=repository,
                                 cache=cache / "collectsim" / "revisions",
                                 runner=_borrowing_runner, note=lambda _: None)
    assert checkout.ready and checkout.baseline.is_file()
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    done = run_process(["bench", "--against", "HEAD", "--accounts", "300", "--repeats", "2",
                        "--format", "json"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert "preparing" not in done.stderr  # the cached checkout was used as it was
    assert summary["against"]["revision"] == checkout.commit
    assert summary["current"]["revision"].startswith(
        revisions.describe_current().split()[0])
    assert summary["against"]["scenario"] == str(checkout.baseline)
    assert summary["current"]["scenario"] == str(BASELINE)
    for side in ("current", "against"):
        figures = summary[side]
        assert figures["accounts"] == 300 and len(figures["wall_seconds"]) == 2
        assert figures["account_days_per_second"] > 0 and figures["peak_rss_mb"] > 0
    assert summary["time_ratio_low"] <= summary["time_ratio_high"]
    for ratio in ("time_ratio", "cpu_time_ratio"):
        assert math.isfinite(summary[ratio]) and summary[ratio] > 0
