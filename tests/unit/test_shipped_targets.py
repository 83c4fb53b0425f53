"""The targets files shipped in ``experiments/targets/``: each loads with the targets loader,
names only KPIs of the registry that a calibration can weigh, and cites a source beside every
figure."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from support import ROOT

from sim.experiment.targets import CURVE_PREFIX, MEASURABLE_UNITS, load_targets
from sim.model.kpis import BY_NAME

SHIPPED = sorted((ROOT / "experiments" / "targets").glob("*.toml"))


def test_public_targets_are_shipped() -> None:
    assert {"industry.toml", "recovery_placement.toml"} <= {path.name for path in SHIPPED}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_shipped_targets_load_and_name_registry_kpis(path: Path) -> None:
    targets = load_targets(path)
    assert targets.names and targets.source.strip()
    kpis = [name for name in targets.names if not name.startswith(CURVE_PREFIX)]
    assert kpis == list(tomllib.loads(path.read_text(encoding="utf-8"))["targets"]
                        .get("kpis", {}))
    for name in kpis:
        assert name in BY_NAME, name
        assert BY_NAME[name].unit in MEASURABLE_UNITS, name
    assert set(targets.sd) == set(targets.observed)
    assert all(sd > 0 for sd in targets.sd.values())


def _figure_lines(text: str) -> list[tuple[int, str]]:
    """``(index, line)`` of each key set in ``[targets.kpis]`` or ``[targets.curve]``."""
    table, found = "", []
    for index, line in enumerate(text.splitlines()):
        stripped = line.strip()
        if stripped.startswith("["):
            table = stripped
        elif table in ("[targets.kpis]", "[targets.curve]") and "=" in stripped \
                and not stripped.startswith("#"):
            found.append((index, line))
    return found


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_every_shipped_figure_has_its_source_beside_it(path: Path) -> None:
    """A figure with no comment on its line or the line above has no cited source."""
    lines = path.read_text(encoding="utf-8").splitlines()
    figures = _figure_lines("\n".join(lines))
    assert figures
    for index, line in figures:
        above = lines[index - 1].strip() if index else ""
        assert "#" in line or above.startswith("#"), f"{path.name}: {line.strip()}"


def test_figure_lines_are_found_only_in_the_figure_tables() -> None:
    text = ("[targets]\naccounts = 5\n[targets.kpis]\n# a source\nrpc_rate = 0.2\n"
            "ptp_rate = 0.3\n[targets.curve]\ndays = [30]  # a source\n")
    assert [line for _, line in _figure_lines(text)] == [
        "rpc_rate = 0.2", "ptp_rate = 0.3", "days = [30]  # a source"]
