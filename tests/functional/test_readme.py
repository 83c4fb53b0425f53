"""The README's Python examples run as written, and its contracts match the code."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pytest

from sim.model.results import KPI_NAMES

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _python_block(after_heading: str) -> str:
    section = README.split(after_heading, 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, f"no python example after {after_heading!r}"
    return match.group(1)


@pytest.mark.slow
def test_library_example_runs(monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    namespace: dict[str, object] = {}
    exec(compile(_python_block("## Library use"), "README.md", "exec"), namespace)
    result = namespace["result"]
    assert 0.0 < result.kpi("recovery_rate") < 1.0  # type: ignore[attr-defined]


@pytest.mark.parametrize("kpi", KPI_NAMES)
def test_every_kpi_is_documented(kpi):
    assert f"| `{kpi}` |" in README


def test_quick_start_has_exactly_two_commands():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", quick, re.DOTALL)
    assert len(blocks) == 2
    assert "collectsim run scenarios/baseline.toml" in blocks[0]
    assert "pytest" in blocks[1]
    assert blocks[1].strip() in (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text()


def _section(heading: str) -> str:
    return README.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def test_a_new_planner_is_told_to_start_from_the_baseline_or_init():
    scenarios = _section("Scenarios")
    start = scenarios.strip().split("\n\n", 1)[0]  # the section's first paragraph
    assert "scenarios/baseline.toml" in start and "collectsim init" in start


def test_each_test_command_says_how_long_it_takes():
    block = re.search(r"```sh\n(.*?)```", _section("Tests"), re.DOTALL)
    assert block
    commands = [line for line in block.group(1).splitlines() if "pytest" in line]
    assert len(commands) >= 2
    for line in commands:
        assert re.search(r"# .*about \d+(\.\d+)? (s|min)\b", line), line


@pytest.mark.parametrize("finding", sorted(
    (Path(__file__).resolve().parents[2] / "experiments" / "findings").glob("*.toml")),
    ids=lambda path: path.stem)
def test_every_finding_states_how_far_it_holds(finding: Path) -> None:
    """Each finding file's share, as `collectsim robust` measured it, is in the findings list."""
    findings = " ".join(_section("What the scenarios show").split())  # lines joined
    assert re.search(rf"holds in \d+% \[\d+, \d+\] of the plausible range \(`{finding.name}`",
                     findings), finding.name
