"""Bounded reads: every TOML file collectsim reads is a regular file, read up to a size cap.

A scenario, an ``extends`` parent, an experiment file or the scenario an experiment names may
be a FIFO, a device or a directory: each is refused with one line before anything is read, and
a FIFO never blocks the reader. Devices that never end (``/dev/zero``) are tested on the command
line in a child process with a memory limit (``tests/functional/test_bounded_reads_cli.py``), so
that a regression fails there instead of exhausting this machine's memory.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support import GOOD_EXPERIMENT, MINIMAL, call

from sim.config.loading import MAX_FILE_BYTES, ScenarioError, load_scenario
from sim.config.reading import UnreadableFile, read_capped
from sim.experiment.experiment_file import load_experiment

SECONDS = 10


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _within(seconds: float, action: Callable[[], Any], fifo: Path) -> BaseException | None:
    """Run ``action`` in a thread; fail if it has not returned after ``seconds``.

    Returns the exception it raised (None if it returned). A thread stuck opening ``fifo``
    is released by opening the FIFO for writing, so a failing test does not leave it behind.
    """
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            action()
            outcome.append(None)
        except BaseException as exc:  # handed back to the test
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(writer)
        thread.join(seconds)
        pytest.fail(f"reading through the FIFO {fifo} blocked for {seconds} s")
    return outcome[0]


# --------------------------------------------------------------------------- read_capped


@pytest.mark.parametrize("kind", ["directory", "fifo", "character device"])
def test_read_capped_refuses_what_is_not_a_regular_file(tmp_path: Path, kind: str) -> None:
    target = {"directory": lambda: tmp_path, "fifo": lambda: _fifo(tmp_path / "pipe"),
              "character device": lambda: Path("/dev/zero")}[kind]()
    with pytest.raises(UnreadableFile) as info:
        read_capped(target, 100)
    assert kind.split()[0].lower() in info.value.problem.lower()
    assert "not a regular file" in info.value.problem


def test_read_capped_limit_is_inclusive(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 100)
    assert read_capped(path, 100) == b"x" * 100
    with pytest.raises(UnreadableFile, match="larger than 99 bytes"):
        read_capped(path, 99)


def test_read_capped_checks_the_size_while_reading(tmp_path: Path) -> None:
    """A file that claims a size of 0 but keeps giving bytes (as /proc files do) is cut off."""
    proc = Path("/proc/self/maps")
    if not proc.is_file() or proc.stat().st_size != 0:
        pytest.skip("no /proc file of size 0 to read")
    with pytest.raises(UnreadableFile, match="larger than 10 bytes"):
        read_capped(proc, 10)


def test_read_capped_can_refuse_symbolic_links(tmp_path: Path) -> None:
    target = tmp_path / "real"
    target.write_bytes(b"data")
    link = tmp_path / "link"
    link.symlink_to(target)
    assert read_capped(link, 100) == b"data"
    with pytest.raises(UnreadableFile, match="symbolic link"):
        read_capped(link, 100, follow_symlinks=False)


def test_read_capped_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile) as info:
        read_capped(tmp_path / "nope", 100)
    assert info.value.missing


# --------------------------------------------------------------------------- scenario files


def test_extends_naming_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    pipe = _fifo(tmp_path / "parent.toml")
    child = tmp_path / "child.toml"
    child.write_text("extends = 'parent.toml'\n" + MINIMAL)
    error = _within(SECONDS, lambda: load_scenario(child), pipe)
    assert isinstance(error, ScenarioError), error
    assert error.file == str(child) and error.field == "extends"
    assert "FIFO" in error.problem


def test_scenario_that_is_a_fifo_is_refused_on_the_command_line(tmp_path: Path) -> None:
    pipe = _fifo(tmp_path / "scenario.toml")
    result: list[tuple[int, str, str]] = []
    error = _within(SECONDS, lambda: result.append(call(["validate", pipe])), pipe)
    assert error is None, error
    status, out, err = result[0]
    assert status == 2 and out == ""
    assert err == f"error: {pipe}: is a FIFO (named pipe), not a regular file\n"


def test_extends_naming_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "parent.toml").mkdir()
    child = tmp_path / "child.toml"
    child.write_text("extends = 'parent.toml'\n" + MINIMAL)
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    assert (info.value.file, info.value.field) == (str(child), "extends")
    assert "directory" in info.value.problem


def test_oversized_parent_is_refused_before_it_is_read_whole(tmp_path: Path) -> None:
    parent = tmp_path / "parent.toml"
    with parent.open("wb") as handle:  # sparse: its size is known without writing it
        handle.truncate(64 * MAX_FILE_BYTES)
    child = tmp_path / "child.toml"
    child.write_text("extends = 'parent.toml'\n")
    with pytest.raises(ScenarioError, match="larger than"):
        load_scenario(child)


@pytest.mark.parametrize("layout", ["alone", "in a parent"])
def test_utf8_byte_order_mark_is_accepted(tmp_path: Path, layout: str) -> None:
    bom = "\ufeff"
    if layout == "alone":
        path = tmp_path / "bom.toml"
        path.write_text(bom + MINIMAL, encoding="utf-8")
    else:
        (tmp_path / "parent.toml").write_text(bom + MINIMAL, encoding="utf-8")
        path = tmp_path / "child.toml"
        path.write_text(bom + "extends = 'parent.toml'\n[portfolio]\naccounts = 120\n",
                        encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.scenario.name == "mini"
    assert scenario.portfolio.accounts == (100 if layout == "alone" else 120)


def test_byte_order_mark_only_at_the_start(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_text(MINIMAL + "\ufeff", encoding="utf-8")
    with pytest.raises(ScenarioError, match="invalid TOML"):
        load_scenario(path)


# --------------------------------------------------------------------------- experiment files


def test_experiment_file_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    pipe = _fifo(tmp_path / "exp.toml")
    error = _within(SECONDS, lambda: load_experiment(pipe), pipe)
    assert isinstance(error, ScenarioError), error
    assert error.file == str(pipe) and "FIFO" in error.problem


def test_experiment_naming_a_fifo_as_its_scenario_is_refused(tmp_path: Path) -> None:
    pipe = _fifo(tmp_path / "scenario.toml")
    experiment = tmp_path / "exp.toml"
    experiment.write_text(GOOD_EXPERIMENT.replace(
        next(line for line in GOOD_EXPERIMENT.splitlines() if line.startswith("scenario")),
        "scenario = 'scenario.toml'"))
    error = _within(SECONDS, lambda: load_experiment(experiment), pipe)
    assert isinstance(error, ScenarioError), error
    assert "FIFO" in error.problem


def test_experiment_file_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "exp.toml"
    path.write_text("\ufeff" + GOOD_EXPERIMENT, encoding="utf-8")
    assert load_experiment(path).name == "tiny"
