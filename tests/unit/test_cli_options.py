"""The command line is one vocabulary: every option of every command explains itself, an
option name means one thing wherever it appears, and ``--workers`` has one default."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

import sim.cli.options
import sim.experiment.backends
from sim.cli.main import parser
from sim.cli.options import WORKERS_DEFAULT, WORKERS_HELP, DeprecatedFlag, choose_backend

COMMANDS_THAT_RUN_THE_MODEL = {"run", "compare", "table", "sweep", "sensitivity", "select",
                               "optimise", "calibrate", "robust", "app", "check staffing",
                               "check targets"}


def commands(top: argparse.ArgumentParser | None = None,
             name: str = "") -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every command that takes options (``check queue`` as one), with its parser."""
    top = parser() if top is None else top
    found = [a for a in top._actions if isinstance(a, argparse._SubParsersAction)]
    if not found:
        yield name, top
    for action in found:
        for sub_name, sub in action.choices.items():
            yield from commands(sub, f"{name} {sub_name}".strip())


def options(command: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in command._actions if not isinstance(a, argparse._HelpAction)]


def flag(command: argparse.ArgumentParser, name: str) -> argparse.Action | None:
    return next((a for a in options(command) if name in a.option_strings), None)


def _says_its_default(action: argparse.Action) -> bool:
    """Whether an option's help says what happens without it: its default, that it adds
    to a list (repeatable, empty by default), or when it is needed."""
    text = action.help or ""
    return any(word in text for word in ("default", "repeatable", "needed with"))


def test_every_option_of_every_command_has_help_that_states_its_default() -> None:
    seen = 0
    for name, command in commands():
        for action in options(command):
            seen += 1
            label = f"collectsim {name} {'/'.join(action.option_strings) or action.dest}"
            assert action.help and action.help != argparse.SUPPRESS and \
                len(action.help.split()) >= 2, f"{label}: no help text"
            if action.option_strings and not action.required and action.nargs != 0:
                assert _says_its_default(action), f"{label}: help states no default"
    assert seen > 150  # the walk reached every sub-command, `check`'s included


def test_every_command_prints_its_help() -> None:
    for name, command in commands():
        text = " ".join(command.format_help().split())  # argparse's %-formatting succeeds
        if name in COMMANDS_THAT_RUN_THE_MODEL:
            assert f"--workers W {WORKERS_HELP}" in text, name


def test_every_command_that_runs_the_model_has_workers_with_one_default() -> None:
    having = {name: flag(command, "--workers") for name, command in commands()}
    having = {name: action for name, action in having.items() if action is not None}
    assert set(having) == COMMANDS_THAT_RUN_THE_MODEL
    for name, action in having.items():
        assert action.default is None, name
        assert action.help is not None and action.help.startswith(WORKERS_HELP), \
            (name, action.help)
        assert f"(default: {WORKERS_DEFAULT};" in action.help
    helps = {flag(c, "--backend").help for n, c in commands() if n in having}  # type: ignore
    assert len(helps) == 1, helps


def _args(**given: object) -> argparse.Namespace:
    return argparse.Namespace(**{"workers": None, "backend": None, "scheduler": None, **given})


@pytest.fixture
def four_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (sim.cli.options, sim.experiment.backends):
        monkeypatch.setattr(module, "default_workers", lambda: 4)


@pytest.mark.usefixtures("four_cpus")
@pytest.mark.parametrize(("runs", "expected"), [
    (1, ("serial", 1)),        # one run: in this process, no pool to start
    (3, ("process", 3)),       # never more workers than runs
    (20, ("process", 4)),      # run --reps 20: every CPU
    (None, ("process", 4)),    # runs not known up front: every CPU
])
def test_the_default_is_every_cpu_at_most_one_per_run(runs: int | None,
                                                      expected: tuple[str, int]) -> None:
    args = _args()
    assert choose_backend(args, runs) == expected
    assert args.workers == expected[1]   # carried to whatever runs the work


@pytest.mark.usefixtures("four_cpus")
def test_explicit_values_are_kept(capsys: pytest.CaptureFixture[str]) -> None:
    assert choose_backend(_args(workers=1), 20) == ("serial", 1)
    assert choose_backend(_args(workers=2), 1) == ("process", 2)
    assert choose_backend(_args(backend="serial"), 20) == ("serial", 1)
    assert choose_backend(_args(backend="process"), 1) == ("process", 4)
    assert capsys.readouterr().err == ""
    args = _args(workers=9)
    assert choose_backend(args, 20) == ("process", 4)
    assert capsys.readouterr().err == \
        "note: --workers 9 is more than the 4 CPUs available; using 4\n"
    assert choose_backend(_args(scheduler="tcp://h:8786", workers=9), 2) == ("dask", 9)


def test_accounts_is_a_number_of_accounts_wherever_it_is_not_deprecated() -> None:
    for name, command in commands():
        action = flag(command, "--accounts")
        if action is None:
            continue
        if name == "run":  # the old spelling of --write-accounts, kept for one release
            assert isinstance(action, DeprecatedFlag) and action.dest == "write_accounts"
            continue
        assert action.type is int and action.nargs is None, name


def test_run_accounts_still_writes_the_accounts_with_a_note(
        capsys: pytest.CaptureFixture[str]) -> None:
    old = parser().parse_args(["run", "scenario.toml", "--accounts"])
    assert old.write_accounts is True
    assert capsys.readouterr().err == ("note: --accounts is deprecated and will be removed in "
                                       "the next release; write --write-accounts\n")
    new = parser().parse_args(["run", "scenario.toml", "--write-accounts"])
    assert new.write_accounts is True and capsys.readouterr().err == ""
    assert parser().parse_args(["run", "scenario.toml"]).write_accounts is False
