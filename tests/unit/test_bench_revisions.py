"""``bench --against`` and ``bench --scaling`` without running the model or any command: the
side-by-side summary and table, the alternation of runs, the cache of other revisions (with a
runner standing in for git, venv and pip), the timing script's command and what it imports,
and the scaling rule and program length it times."""

from __future__ import annotations

import ast
import io
import json
import sys
import tarfile
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from support import call

from sim.bench import revisions, side_by_side, timer
from sim.bench.model import BASELINE, bench_scaling, scaling_figures
from sim.config.capacity import scaled_collectors
from sim.config.loading import load_scenario
from sim.config.schema import limits

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def timed(wall: float, *, accounts: int = 1_000, days: int = 90, rss: float = 200.0,
          events: int | None = 5_000, scenario: str = "a/scenarios/baseline.toml",
          cpu: float | None = None) -> dict[str, Any]:
    return {"scenario": scenario, "accounts": accounts, "collectors": 2, "program_days": days,
            "account_days": accounts * days, "wall_seconds": wall,
            "cpu_seconds": wall * 0.9 if cpu is None else cpu,
            "account_days_per_second": accounts * days / wall, "events": events,
            "peak_rss_mb": rss}


# ------------------------------------------------------------------ summary and table


def test_summary_takes_medians_the_ratio_of_medians_and_the_paired_spread() -> None:
    ours = [timed(2.0, rss=210, cpu=1.0), timed(1.0, rss=250, cpu=0.8),
            timed(1.5, rss=205, cpu=1.2)]
    theirs = [timed(9.0, rss=300, events=None, cpu=4.0),
              timed(6.0, rss=320, events=None, cpu=3.0),
              timed(7.5, rss=310, events=None, cpu=5.0)]
    summary = side_by_side.summarise(ours, theirs, "aaa with uncommitted changes", COMMIT)
    assert summary["repeats"] == 3
    current, against = summary["current"], summary["against"]
    assert current["revision"] == "aaa with uncommitted changes"
    assert against["revision"] == COMMIT
    assert current["wall_seconds"] == [2.0, 1.0, 1.5]
    assert current["median_wall_seconds"] == 1.5 and against["median_wall_seconds"] == 7.5
    assert current["account_days_per_second"] == pytest.approx(90_000 / 1.5)
    assert against["account_days_per_second"] == pytest.approx(90_000 / 7.5)
    assert current["peak_rss_mb"] == 250 and against["peak_rss_mb"] == 320
    assert current["events"] == 5_000 and against["events"] is None
    assert summary["time_ratio"] == pytest.approx(5.0)
    # pairs in turn: 9/2, 6/1, 7.5/1.5
    assert summary["time_ratio_low"] == pytest.approx(4.5)
    assert summary["time_ratio_high"] == pytest.approx(6.0)
    # processor time alongside: medians 1.0 and 4.0
    assert current["cpu_seconds"] == [1.0, 0.8, 1.2] and current["median_cpu_seconds"] == 1.0
    assert against["median_cpu_seconds"] == 4.0
    assert summary["cpu_time_ratio"] == pytest.approx(4.0)
    assert "each revision runs its own scenarios/baseline.toml" in summary["note"]
    json.dumps(summary)  # plain data, ready for --format json


def test_summary_refuses_unpaired_or_missing_runs() -> None:
    with pytest.raises(ValueError, match="unpaired"):
        side_by_side.summarise([timed(1.0)], [timed(1.0), timed(2.0)], "a", "b")
    with pytest.raises(ValueError, match="no runs"):
        side_by_side.summarise([], [], "a", "b")


def test_events_that_differ_between_runs_are_all_kept() -> None:
    side = side_by_side.side_summary([timed(1.0, events=10), timed(1.0, events=12)])
    assert side["events"] == [10, 12]


def test_table_shows_both_revisions_their_rates_and_the_ratio() -> None:
    summary = side_by_side.summarise([timed(2.0), timed(1.0)],
                                     [timed(8.0, events=None), timed(6.0, events=None)],
                                     "f" * 40 + " with uncommitted changes", COMMIT)
    lines = side_by_side.table_lines(summary)
    text = "\n".join(lines)
    assert "f" * 12 + " +changes" in text and COMMIT[:12] in text
    rate_row = next(line for line in lines if line.startswith("account-days per second"))
    assert rate_row.split()[-2:] == ["60,000", "12,857"]  # 90,000 / 1.5 s and / 7 s
    assert next(line for line in lines if line.startswith("events")).split()[-2:] == [
        "5,000", "—"]
    assert "time ratio, against / this revision: 4.67×" in text
    assert "4.00–6.00×" in text and "medians of 2 runs each" in text
    assert "of CPU time: 4.67×" in text  # 0.9 of each wall time, so the same ratio
    cpu_row = next(line for line in lines if line.startswith("CPU time, median"))
    assert cpu_row.split()[-2:] == ["1.35", "6.30"]
    assert lines[-1].startswith("note: each revision runs its own scenarios/baseline.toml")
    # the columns line up: every row of the table is as wide as the header
    widths = {len(line) for line in lines[:-2]}
    assert len(widths) == 1, lines


def test_runs_alternate_starting_with_this_revision() -> None:
    order: list[str] = []

    def current() -> dict[str, Any]:
        order.append("current")
        return timed(1.0 + len(order))

    def other() -> dict[str, Any]:
        order.append("other")
        return timed(10.0 + len(order))

    said: list[str] = []
    ours, theirs = side_by_side.alternate(current, other, 3, said.append)
    assert order == ["current", "other"] * 3
    assert [run["wall_seconds"] for run in ours] == [2.0, 4.0, 6.0]
    assert [run["wall_seconds"] for run in theirs] == [12.0, 14.0, 16.0]
    assert said[0] == "run 1/3: this revision" and said[-1] == "run 3/3: the other"


def test_scaling_figures_compare_the_two_runs() -> None:
    small = timed(10.0, accounts=100_000, rss=400.0, events=1_000, cpu=9.0)
    large = timed(115.0, accounts=1_000_000, rss=1_300.0, events=9_800, cpu=99.0)
    figures = scaling_figures(small, large, 10)
    assert figures["time_ratio"] == pytest.approx(11.5)
    assert figures["cpu_time_ratio"] == pytest.approx(11.0)
    assert figures["events_ratio"] == pytest.approx(9.8)
    assert figures["scaled_peak_rss_mb"] == 1_300.0 and figures["peak_rss_mb"] == 400.0
    assert figures["scaled_accounts"] == 1_000_000 and figures["factor"] == 10
    assert scaling_figures(timed(1.0, events=None), timed(2.0, events=None),
                           2)["events_ratio"] is None


def test_repeated_scaling_runs_alternate_and_report_medians_and_the_paired_spread() -> None:
    """``bench --scaling --repeats 3``: smaller and larger in turn, figures of the medians."""
    walls = iter([10.0, 120.0, 9.0, 95.0, 11.0, 110.0])
    sizes: list[int] = []

    def runner(command: Sequence[str], cwd: Path | None) -> str:
        request = json.loads(command[-1])
        sizes.append(request["accounts"])
        return json.dumps(timed(next(walls), accounts=request["accounts"],
                                rss=100.0 + len(sizes)))

    figures = bench_scaling(100, 10, runner=runner, repeats=3)
    assert sizes == [100, 1_000] * 3
    assert figures["wall_seconds"] == 10.0 and figures["scaled_wall_seconds"] == 110.0
    assert figures["time_ratio"] == pytest.approx(11.0)
    assert figures["time_ratio_low"] == pytest.approx(110.0 / 11.0)
    assert figures["time_ratio_high"] == pytest.approx(12.0)
    assert figures["repeats"] == 3
    assert figures["peak_rss_mb"] == 105.0 and figures["scaled_peak_rss_mb"] == 106.0
    assert figures["account_days_per_second"] == pytest.approx(100 * 90 / 10.0)
    once = bench_scaling(100, 10, runner=lambda c, _: json.dumps(
        timed(2.0, accounts=json.loads(c[-1])["accounts"])))
    assert "time_ratio_low" not in once and once["time_ratio"] == pytest.approx(1.0)


def test_overrides_reach_every_timed_run_and_the_figures_name_them() -> None:
    """``bench --scaling --set …``: both sizes run the changed scenario, and say so."""
    requests: list[dict[str, Any]] = []

    def runner(command: Sequence[str], cwd: Path | None) -> str:
        request = json.loads(command[-1])
        requests.append(request)
        return json.dumps({**timed(1.0, accounts=request["accounts"]),
                           "overrides": request["overrides"]})

    changes = ["agencies.alpha.collectors=0", 'agencies.beta.dialler="predictive"']
    figures = bench_scaling(100, 10, runner=runner, repeats=2, overrides=changes)
    assert [r["overrides"] for r in requests] == [changes] * 4
    assert figures["overrides"] == changes
    assert bench_scaling(100, 10, runner=runner)["overrides"] == []


def test_a_side_by_side_with_overrides_says_so_in_its_note() -> None:
    changes = ["agencies.alpha.collectors=0"]
    ours = [{**timed(1.0), "overrides": changes}]
    theirs = [{**timed(2.0), "overrides": changes}]
    summary = side_by_side.summarise(ours, theirs, "mine", COMMIT)
    assert summary["current"]["overrides"] == summary["against"]["overrides"] == changes
    assert summary["note"].endswith("with agencies.alpha.collectors=0")
    plain = side_by_side.summarise([timed(1.0)], [timed(2.0)], "mine", COMMIT)
    assert plain["current"]["overrides"] == [] and "=" not in plain["note"]


# ------------------------------------------------------------------ the revision cache


class FakeRunner:
    """Stands in for git, venv and pip: records each command and leaves behind what the real
    one would (an archive with a baseline, an interpreter in the environment)."""

    def __init__(self) -> None:
        self.commands: list[list[str]] = []

    def __call__(self, command: Sequence[str], cwd: Path | None) -> str:
        command = list(command)
        self.commands.append(command)
        if command[3:5] == ["rev-parse", "--verify"]:
            return COMMIT + "\n"
        if "archive" in command:
            out = Path(command[command.index("-o") + 1])
            with tarfile.open(out, "w") as tar:
                data = b"[scenario]\n"
                info = tarfile.TarInfo("scenarios/baseline.toml")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        if command[1:3] == ["-m", "venv"]:
            python = revisions.Checkout(COMMIT, Path(command[3]).parent).python
            python.parent.mkdir(parents=True)
            python.write_text("")
        return ""

    def kinds(self) -> list[str]:
        return ["pip" if "pip" in command else "venv" if "venv" in command else command[3]
                for command in self.commands]


def test_a_revision_is_checked_out_and_installed_once_then_reused(tmp_path: Path) -> None:
    runner, said = FakeRunner(), []
    repository = tmp_path / "repo"
    checkout = revisions.prepare("v1", repository=repository, cache=tmp_path / "cache",
                                 runner=runner, python="/usr/bin/python3", note=said.append)
    assert checkout.commit == COMMIT
    assert checkout.folder == tmp_path / "cache" / COMMIT  # keyed by the full hash
    assert checkout.baseline.read_text() == "[scenario]\n"
    assert checkout.ready and checkout.marker.read_text() == COMMIT + "\n"
    assert runner.kinds() == ["rev-parse", "archive", "venv", "pip"]
    assert runner.commands[0] == ["git", "-C", str(repository), "rev-parse", "--verify",
                                  "--quiet", "v1^{commit}"]
    assert runner.commands[2] == ["/usr/bin/python3", "-m", "venv", str(checkout.venv)]
    assert runner.commands[3] == [str(checkout.python), "-m", "pip", "install", "--quiet",
                                  "-e", str(checkout.source)]
    assert len(said) == 1 and COMMIT[:12] in said[0]
    assert sorted(p.name for p in checkout.folder.iterdir()) == ["ready", "source", "venv"]

    again = FakeRunner()
    assert revisions.prepare("v1", repository=repository, cache=tmp_path / "cache",
                             runner=again, note=said.append) == checkout
    assert again.kinds() == ["rev-parse"] and len(said) == 1


def test_an_interrupted_build_keeps_the_files_and_builds_the_environment_again(
        tmp_path: Path) -> None:
    runner = FakeRunner()
    checkout = revisions.prepare("v1", repository=tmp_path, cache=tmp_path / "cache",
                                 runner=runner, note=lambda _: None)
    checkout.marker.unlink()  # as if pip had been interrupted
    (checkout.venv / "half-built").write_text("")
    again = FakeRunner()
    revisions.prepare("v1", repository=tmp_path, cache=tmp_path / "cache", runner=again,
                      note=lambda _: None)
    assert again.kinds() == ["rev-parse", "venv", "pip"]
    assert not (checkout.venv / "half-built").exists() and checkout.ready


def test_a_failed_install_leaves_the_revision_unmarked(tmp_path: Path) -> None:
    class FailingPip(FakeRunner):
        def __call__(self, command: Sequence[str], cwd: Path | None) -> str:
            if "pip" in command:
                raise revisions.CommandError(command, 1, "no matching distribution")
            return super().__call__(command, cwd)

    with pytest.raises(revisions.CommandError, match="no matching distribution"):
        revisions.prepare("v1", repository=tmp_path, cache=tmp_path, runner=FailingPip(),
                          note=lambda _: None)
    assert not revisions.Checkout(COMMIT, tmp_path / COMMIT).ready


def test_the_cache_is_in_the_user_cache_folder(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    if sys.platform != "linux":
        pytest.skip("XDG_CACHE_HOME is the Linux convention")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert revisions.cache_root() == tmp_path / "collectsim" / "revisions"


def test_this_revision_is_named_by_commit_and_uncommitted_changes() -> None:
    def runner(changes: str) -> revisions.Runner:
        def run(command: Sequence[str], cwd: Path | None) -> str:
            return f"{COMMIT}\n" if "HEAD" in command else changes
        return run

    assert revisions.describe_current(runner("")) == COMMIT
    assert revisions.describe_current(runner(" M sim/x.py\n")) == \
        f"{COMMIT} with uncommitted changes"


# ------------------------------------------------------------------ the timing script


def test_a_timed_run_is_the_timer_source_run_in_the_revisions_folder(tmp_path: Path) -> None:
    seen: list[tuple[list[str], Path | None]] = []

    def runner(command: Sequence[str], cwd: Path | None) -> str:
        seen.append((list(command), cwd))
        return json.dumps(timed(3.0)) + "\n"

    python = tmp_path / "venv" / "bin" / "python"
    figures = revisions.run_timer(python, tmp_path / "source",
                                  {"scenario": "s.toml", "accounts": 500}, runner)
    assert figures == timed(3.0)
    [(command, cwd)] = seen
    assert cwd == tmp_path / "source"
    assert command[:2] == [str(python), "-c"]
    assert command[2] == Path(timer.__file__).read_text(encoding="utf-8")
    assert json.loads(command[3]) == {"scenario": "s.toml", "accounts": 500}
    assert revisions.timer_command(None, {})[0] == sys.executable


def test_the_timer_imports_only_the_standard_library_and_the_public_seam() -> None:
    tree = ast.parse(Path(timer.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0 and node.module is not None
            imported.add(node.module)
    assert "sim" in imported
    outside = {name for name in imported - {"sim"}
               if name.split(".")[0] not in sys.stdlib_module_names}
    assert not outside and not any(name.startswith("sim.") for name in imported)
    used = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name) and node.value.id == "sim"}
    assert used == {"load_scenario", "run_replication"}


def test_timer_scales_collectors_by_the_rule_of_scale_collectors() -> None:
    for collectors in (0, 1, 3, 20, 37):
        for ratio in (0.01, 0.025, 0.5, 1.0, 2.5, 50.0):
            assert timer.scaled_collectors(collectors, ratio) == \
                scaled_collectors(collectors, ratio), (collectors, ratio)
    assert timer.scaling_overrides(1_000_000, 20_000, {"alpha": 20, "beta": 7}) == [
        "portfolio.accounts=1000000", "agencies.alpha.collectors=1000",
        "agencies.beta.collectors=350"]
    assert timer.scaling_overrides(10, 20_000, {"alpha": 20}) == [
        "portfolio.accounts=10", "agencies.alpha.collectors=1"]


def test_timer_program_days_agree_with_the_schema_and_old_scenarios() -> None:
    baseline = load_scenario(BASELINE)
    bank = baseline.bank
    assert timer.program_days(baseline) == limits.program_days(
        baseline.scenario.horizon_days, bank.vintages, bank.vintage_every_days,
        bank.second_placement is not None)
    flows = load_scenario(BASELINE, ["bank.placement=\"flow\"", "bank.vintages=4",
                                     "bank.vintage_every_days=30"])
    assert timer.program_days(flows) == 3 * 30 + flows.scenario.horizon_days
    # a scenario of a revision without vintages or second placements: one placement
    old = SimpleNamespace(scenario=SimpleNamespace(horizon_days=90), bank=SimpleNamespace())
    assert timer.program_days(old) == 90


# ------------------------------------------------------------------ command-line input


@pytest.mark.parametrize(("argv", "fragment"), [
    (["bench", "--against", "HEAD", "--scenario", "x.toml"], "--scenario: does not apply"),
    (["bench", "--against", "HEAD", "--scaling"], "--scaling: does not apply"),
    (["bench", "--against", "HEAD", "--repeats", "0"], "--repeats: must be 1 to 20"),
    (["bench", "--repeats", "2"], "--repeats: only applies with --against or --scaling"),
    (["bench", "--scaling", "--repeats", "0"], "--repeats: must be 1 to 20"),
    (["bench", "--scaling", "1"], "--scaling: must be 2 to 100"),
    (["bench", "--queue", "--against", "HEAD"], "--against: does not apply with --queue"),
    (["bench", "--queue", "--scaling"], "--scaling: does not apply with --queue"),
    (["bench", "--queue", "--set", "agencies.alpha.collectors=0"],
     "--set: does not apply with --queue"),
    (["bench", "--set", "portfolio.accounts=500"], "--set: use --accounts"),
    (["bench", "--accounts", "100", "--set", "agencies.gamma.collectors=0"],
     "agencies.gamma: no agency named 'gamma'"),
])
def test_bench_options_that_do_not_go_together_are_bad_input(argv: list[str],
                                                             fragment: str) -> None:
    status, out, err = call(argv)
    assert status == 2 and out == "" and err.count("\n") == 1, err
    assert err.startswith("error: ") and fragment in err, err

