"""``collectsim run`` shows its progress while a replication runs, not only when it ends: on a
terminal the stderr line counts the seconds elapsed while the first (or only) replication is
under way; piped, with ``--quiet`` or with ``--format json`` nothing but the results reaches
stdout and nothing at all reaches a piped stderr."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

import pytest
from support import BASELINE, PYTHON, TINY, call

from sim.cli import run as run_module
from sim.experiment.progress import Progress

LARGE = ["--set", "portfolio.accounts=8000", "--scale-collectors"]  # a replication of 2-4 s


def test_a_replication_in_progress_is_shown_on_a_terminal(monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    class Terminal(Progress):
        def __init__(self, *args: object, **kwargs: object) -> None:
            kwargs.pop("quiet")
            super().__init__(*args, enabled=True, tick=0.01, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(run_module, "Progress", Terminal)
    status, out, err = call(["run", BASELINE, *TINY, "--out", tmp_path / "r", "--no-figures",
                             "--format", "json"])
    assert status == 0
    assert json.loads(out)["reps"] == 1  # stdout holds the JSON and nothing else
    assert "\rreplications 0/1, " in err  # drawn before the replication finished
    assert err.endswith("\x1b[K\n") and err.count("\n") == 1
    assert "replications 1/1" in err.split("\r")[-1]


def _on_a_terminal(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    """Run the command with stderr on a pseudo-terminal and stdout on a pipe."""
    main, child = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    process = subprocess.Popen([PYTHON, "-m", "sim", *argv], cwd=cwd, env=env,
                               stdout=subprocess.PIPE, stderr=child, stdin=subprocess.DEVNULL)
    os.close(child)
    seen = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        seen += chunk
    os.close(main)
    stdout = process.stdout.read() if process.stdout else b""
    return process.wait(timeout=120), stdout.decode(), seen.decode()


@pytest.mark.slow
def test_one_replication_counts_its_seconds_on_a_real_terminal(tmp_path: Path) -> None:
    status, out, err = _on_a_terminal(["run", str(BASELINE), *LARGE, "--out", "r",
                                       "--no-figures"], tmp_path)
    assert status == 0, err
    assert out.startswith("baseline: seed ") and "\r" not in out
    assert "replications 0/1, 1s elapsed" in err  # while the replication ran
    assert "\rreplications 1/1, " in err and err.endswith("\x1b[K\r\n")


@pytest.mark.slow
def test_nothing_on_a_piped_stderr_and_only_json_on_stdout(tmp_path: Path) -> None:
    process = subprocess.run([PYTHON, "-m", "sim", "run", str(BASELINE), *TINY, "--out", "r",
                              "--no-figures", "--format", "json"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=120, check=False)
    assert process.returncode == 0 and process.stderr == ""
    assert json.loads(process.stdout)["reps"] == 1
    status, out, err = _on_a_terminal(["run", str(BASELINE), *TINY, "--out", "q",
                                       "--no-figures", "--quiet"], tmp_path)
    assert status == 0 and err == "" and out.startswith("baseline: seed ")
