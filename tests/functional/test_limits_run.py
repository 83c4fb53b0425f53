"""A full disk and Ctrl-C while a run works: one line, the right exit status, nothing left."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from support import BASELINE, ROOT, TINY, call


def _no_space(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "kpis.csv")


def test_full_disk_while_writing_results_is_one_line(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pd.DataFrame, "to_csv", _no_space)
    status, out, err = call(["run", BASELINE, *TINY, "--out", tmp_path / "out", "--no-figures",
                             "--quiet"])
    assert status == 2, err
    assert out == ""
    assert "Traceback" not in err
    assert err.splitlines() == [f"error: kpis.csv: cannot write: {os.strerror(errno.ENOSPC)}"]
    assert list(tmp_path.iterdir()) == []


def test_full_tmpfs_while_writing_results_is_one_line(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8k", "tmpfs", str(disk)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        status, _, err = call(["run", BASELINE, *TINY, "--out", disk / "out", "--quiet"])
        assert status == 2
        assert "Traceback" not in err
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and "space" in lines[0]
        assert list(disk.iterdir()) == []
    finally:
        subprocess.run(["umount", str(disk)], check=False)


@pytest.mark.slow
@pytest.mark.parametrize(("backend", "wait"), [("process", 4.0), ("dask", 10.0)])
def test_ctrl_c_gives_one_line_and_exit_130(tmp_path: Path, backend: str, wait: float) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    process = subprocess.Popen(
        # replications enough to outlast the wait on any machine
        [sys.executable, "-m", "sim", "run", str(BASELINE), "--reps", "40", "--workers", "2",
         "--backend", backend, "--out", str(tmp_path / "out"), "--quiet"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # a shell running the suite in the background ignores Ctrl-C, and its children would
        # inherit that: the command gets Ctrl-C's usual meaning back, as in a terminal
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(wait)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if line.strip()] == ["error: interrupted"]
    assert not (tmp_path / "out").exists()
