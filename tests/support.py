"""What several test modules share: the baseline, tiny run settings, ways to call
``collectsim`` in-process or as a subprocess and check its one-line errors, a small experiment
file, and the size of a PNG figure."""

from __future__ import annotations

import contextlib
import io
import os
import struct
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim.cli.main import main
from sim.report.style import DPI

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
PYTHON = sys.executable
AGENCIES = ("alpha", "beta")
TOTAL = "total"
SMALL = ["--set", "portfolio.accounts=300",
         "--set", "agencies.alpha.collectors=2",
         "--set", "agencies.beta.collectors=2",
         "--set", "scenario.horizon_days=20"]
SMALL_OVERRIDES = [SMALL[i + 1] for i in range(0, len(SMALL), 2)]
TINY = ["--set", "portfolio.accounts=60",
        "--set", "agencies.alpha.collectors=1",
        "--set", "agencies.beta.collectors=1",
        "--set", "scenario.horizon_days=5"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def call(argv: Sequence[str | Path]) -> tuple[int, str, str]:
    """Run ``main`` in-process; return (status, stdout, stderr), catching usage SystemExit."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main([str(a) for a in argv])
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else 1
    return status, out.getvalue(), err.getvalue()


def run_process(argv: Sequence[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    return subprocess.run([PYTHON, "-m", "sim", *map(str, argv)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def assert_bad_input(status: int, stdout: str, stderr: str, *fragments: str) -> str:
    """Exit 2, nothing on stdout, one ``error: `` line on stderr containing ``fragments``."""
    assert status == 2, (status, stdout, stderr)
    assert stdout == ""
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert stderr.endswith("\n")
    line = lines[0]
    assert line.startswith("error: "), line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


def bad_input_lines(status: int, stdout: str, stderr: str) -> list[str]:
    """Exit 2, nothing on stdout, no traceback, and only ``error: `` lines on stderr (one per
    problem); returns the lines without their ``error: `` prefix."""
    assert status == 2, (status, stdout, stderr)
    assert stdout == ""
    assert "Traceback" not in stderr
    assert stderr.endswith("\n")
    lines = stderr.splitlines()
    assert all(line.startswith("error: ") for line in lines), stderr
    return [line.removeprefix("error: ") for line in lines]


def entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def read_kpis(folder: Path) -> pd.DataFrame:
    """The agency and total rows of a run folder's ``kpis.csv`` (``segment == "total"``),
    without the ``segment`` column."""
    table = pd.read_csv(folder / "kpis.csv")
    return table[table["segment"] == TOTAL].drop(columns=["segment"]).reset_index(drop=True)


def read_segment_kpis(folder: Path) -> pd.DataFrame:
    """The per-segment rows of a run folder's ``kpis.csv``, without the ``agency`` column."""
    table = pd.read_csv(folder / "kpis.csv")
    return table[table["segment"] != TOTAL].drop(columns=["agency"]).reset_index(drop=True)

def bad_scenario_files(tmp_path: Path) -> dict[str, tuple[Path, str | None]]:
    """Bad scenario files, each with the field its error must name (None: file-level)."""
    base = BASELINE.read_text()
    cases: dict[str, tuple[Path, str | None]] = {}

    def add(name: str, text: str | bytes, field: str | None) -> None:
        path = tmp_path / f"{name}.toml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        cases[name] = (path, field)

    cases["missing"] = (tmp_path / "missing.toml", None)
    (tmp_path / "folder").mkdir()
    cases["folder"] = (tmp_path / "folder", None)
    add("syntax", "[scenario\nname = 'x'\n", None)
    add("garbage", b"\xff\xfe\x00\x9c" + bytes(range(256)) * 4, None)
    add("wrong_type", base.replace("accounts = 20000", 'accounts = "lots"'), "portfolio.accounts")
    add("negative", base.replace("accounts = 20000", "accounts = -1"), "portfolio.accounts")
    add("nan", base.replace("apr = 0.2499", "apr = nan"), "portfolio.apr")
    add("agency_typo", base.replace("collectors = 20 ", "colectors = 20 ", 1),
        "agencies.alpha.colectors")
    add("shares", base.replace("share = 0.5\ncollectors", "share = 0.6\ncollectors", 1),
        "agencies")
    add("window", base.replace('regime = "us_reg_f"', 'regime = "us_reg_f"\nwindow_start = "8 am"'),
        "rules.window_start")
    add("cycle", "extends = 'cycle.toml'\n", "extends")
    add("orphan", "extends = 'no-such-parent.toml'\n", "extends")
    return cases


# A small grid experiment on the baseline: two tones for alpha, two replications each.
GOOD_EXPERIMENT = f"""
[experiment]
name = "tiny"
scenario = "{BASELINE}"
replications = 2
metrics = ["recovery_rate", "netback_rate"]

[overrides]
portfolio.accounts = 200
scenario.horizon_days = 10
agencies.alpha.collectors = 1
agencies.beta.collectors = 1

[design]
kind = "grid"

[[factors]]
path = "agencies.alpha.tone"
levels = [0.2, 0.8]
"""


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    """Write ``text`` to ``tmp_path / name`` and return the path."""
    path = tmp_path / name
    path.write_text(text)
    return path


def px(height_in: float) -> int:
    """Pixels of a figure dimension in inches (matplotlib truncates)."""
    return int(height_in * DPI)


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk (bytes 16-24)."""
    assert data[:8] == PNG_MAGIC
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# The smallest valid scenario: everything else comes from schema defaults.
MINIMAL = """\
[scenario]
name = "mini"

[portfolio]
accounts = 100

[portfolio.segments.a]
share = 1.0

[[agencies]]
name = "alpha"
share = 1.0
"""


def review_snapshot(curves: pd.DataFrame, day: int) -> tuple[pd.DataFrame, pd.DataFrame,
                                                             pd.Series, pd.Series]:
    """What a performance review at the start of ``day`` compares, from the vintage curves
    (``results.vintages`` without the total): collected and placed per agency × vintage as
    closed at the end of ``day - 1``, which vintages every agency holds, and their weights
    (placed over all agencies)."""
    snap = curves[curves.day == day - 1]
    collected = snap.pivot(index="agency", columns="vintage", values="collected_to_date")
    placed = snap.pivot(index="agency", columns="vintage", values="placed")
    held = placed.notna().all(axis=0)
    return collected, placed, held, placed.sum(axis=0)[held]
