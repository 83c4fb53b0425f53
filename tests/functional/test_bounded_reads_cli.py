"""Files that never end, on the command line: ``/dev/zero`` as a scenario or as the parent an
``extends`` names is refused with one line, before a byte is read; a ``*.png`` link to it in a
results folder is left out of the report.

Each command runs in a child process limited to a few GiB of address space and a minute, so a
reader that does not stop fails the test (a ``MemoryError`` or a timeout) instead of taking
this machine's memory.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from support import BASELINE, TINY, assert_bad_input

ADDRESS_SPACE_BYTES = 4 << 30


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_BYTES, ADDRESS_SPACE_BYTES))


def _collectsim(*argv: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["OPENBLAS_NUM_THREADS"] = "1"
    return subprocess.run([sys.executable, "-m", "sim", *map(str, argv)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60, check=False,
                          preexec_fn=_limited)


@pytest.mark.slow
def test_validate_dev_zero_is_refused(tmp_path: Path) -> None:
    done = _collectsim("validate", "/dev/zero", cwd=tmp_path)
    assert_bad_input(done.returncode, done.stdout, done.stderr,
                     "error: /dev/zero: is a character device, not a regular file")


@pytest.mark.slow
@pytest.mark.parametrize("command", ["validate", "run"])
def test_extends_dev_zero_is_refused(tmp_path: Path, command: str) -> None:
    child = tmp_path / "child.toml"
    child.write_text('extends = "/dev/zero"\n')
    done = _collectsim(command, child, cwd=tmp_path)
    assert_bad_input(done.returncode, done.stdout, done.stderr,
                     f"error: {child}: extends: is a character device, not a regular file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["child.toml"]


@pytest.mark.slow
def test_report_of_a_folder_with_a_png_link_to_dev_zero(tmp_path: Path) -> None:
    out = tmp_path / "run"
    made = _collectsim("run", BASELINE, *TINY, "--out", out, "--quiet", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    (out / "zero.png").symlink_to("/dev/zero")
    done = _collectsim("report", out, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "zero.png is not embedded" in (out / "report.html").read_text()
