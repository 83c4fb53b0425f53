"""Every long command shows its progress on a terminal: ``compare``, ``sweep``, ``select``,
``optimise`` and ``calibrate`` draw a ``\\r``-redrawn line on stderr that ends at the number of
runs (or simulations) done and is finished by one newline; with ``--quiet`` they write
nothing there (``run`` and ``table`` are tested in ``test_run_progress.py`` and
``test_table_progress.py``).

Stderr is taken to be a terminal by giving each command a :class:`Progress` that is shown."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from support import BASELINE, GOOD_EXPERIMENT, TINY, call, write

from sim.cli import choose, experiments
from sim.experiment.progress import Progress


def _on_a_terminal(monkeypatch: pytest.MonkeyPatch, module: ModuleType) -> None:
    class Terminal(Progress):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            self.enabled = not kwargs.get("quiet")  # stderr is taken to be a terminal

    monkeypatch.setattr(module, "Progress", Terminal)


def _commands(tmp_path: Path) -> dict[str, tuple[ModuleType, list[str | Path], str]]:
    """Each command: its module, its arguments, and the last progress count it must show."""
    dear = write(tmp_path, f'extends = "{BASELINE}"\n\n[scenario]\nname = "dear"\n\n'
                           '[[agencies]]\nname = "alpha"\ncommission = 0.4\n', "dear.toml")
    experiment = write(tmp_path, GOOD_EXPERIMENT, "tiny.toml")
    return {
        "compare": (experiments, ["compare", BASELINE, dear, *TINY, "--reps", "2",
                                  "--backend", "serial"], "runs 4/4"),
        "sweep": (experiments, ["sweep", experiment, "--reps", "1", "--backend", "serial",
                                "--out", tmp_path / "sweep"], "runs 2/2"),
        "select": (choose, ["select", BASELINE, dear, *TINY, "--kpi", "netback_rate",
                            "--delta", "0.01", "--pcs", "0.8", "--n0", "3", "--max-reps", "4",
                            "--workers", "1"], "replications "),
        "optimise": (choose, ["optimise", BASELINE, *TINY, "--lever",
                              "agencies.alpha.tone=0.2:0.8", "--kpi", "netback_rate",
                              "--budget", "2", "--reps", "2", "--keep", "2",
                              "--workers", "1"], "replications "),
    }


@pytest.mark.parametrize("command", ["compare", "sweep", "select", "optimise"])
@pytest.mark.parametrize("quiet", [False, True])
def test_long_commands_show_progress_on_a_terminal_unless_quiet(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, command: str, quiet: bool) -> None:
    module, argv, last = _commands(tmp_path)[command]
    _on_a_terminal(monkeypatch, module)
    status, out, err = call([*argv, "--format", "json", *(["--quiet"] if quiet else [])])
    assert status == 0, err
    assert out.startswith(("{", "["))  # the results alone on stdout
    err = "".join(line for line in err.splitlines(keepends=True)
                  if not line.startswith("note: "))  # the notes on the scenario files
    if quiet:
        assert err == ""
        return
    assert err.count("\n") == 1
    progress = err.split("\n")[-2]  # the progress line, finished by one newline
    assert err.endswith("\x1b[K\n") and progress.startswith("\r")
    final = progress.split("\r")[-1]
    assert final.startswith(last), final
    done, total = final.split(" ")[1].rstrip(",").split("/")
    assert done == total and int(done) > 0


CALIBRATION_TARGETS = """[targets]
accounts = 20000
source = "a test figure"
[targets.kpis]
rpc_rate = 0.2
"""


@pytest.mark.slow
@pytest.mark.parametrize("quiet", [False, True])
def test_calibrate_counts_its_simulations_on_a_terminal_unless_quiet(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, quiet: bool) -> None:
    pytest.importorskip("pyabc")
    from sim.cli import calibrate

    _on_a_terminal(monkeypatch, calibrate)
    targets = write(tmp_path, CALIBRATION_TARGETS, "targets.toml")
    status, out, err = call([
        "calibrate", BASELINE, *TINY, "--targets", targets, "--param",
        "portfolio.segments.money_management.answer_rate=0.05:0.6", "--budget", "40",
        "--format", "json", "--seed", "5", "--workers", "1",
        *(["--quiet"] if quiet else [])])
    assert status == 0, err
    assert out.startswith("{")
    if quiet:
        assert err == ""
        return
    first, progress = err.split("\n")[:2]
    assert first.startswith("calibrating 1 parameters to 1 targets")
    assert progress.startswith("\rsimulations ") and err.endswith("\x1b[K\n")
    assert progress.split("\r")[-1].startswith("simulations 40/40, ")
