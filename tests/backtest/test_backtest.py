"""Every shipped scenario reproduces its stored KPIs (see ``backtest.py`` to regenerate)."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("backtest_support",
                                               Path(__file__).with_name("backtest.py"))
assert _spec is not None and _spec.loader is not None
_support = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_support)
EXPECTED, SCENARIOS, measure = _support.EXPECTED, _support.SCENARIOS, _support.measure

FILES = sorted(SCENARIOS.glob("*.toml"))
# The baseline's backtest runs in the fast loop; the other eighteen are marked slow.
FAST = "baseline"
PARAMS = [pytest.param(path, id=path.stem, marks=() if path.stem == FAST else pytest.mark.slow)
          for path in FILES]


def test_every_shipped_scenario_has_stored_figures():
    stored = {p.stem for p in EXPECTED.glob("*.json")}
    assert stored == {p.stem for p in FILES}, "run: python tests/backtest/backtest.py"


@pytest.mark.parametrize("path", PARAMS)
def test_scenario_reproduces_stored_kpis(path):
    expected = json.loads((EXPECTED / f"{path.stem}.json").read_text())
    got = measure(path)
    assert got["scenario_hash"] == expected["scenario_hash"], (
        f"{path.name} changed; if intended, run: python tests/backtest/backtest.py")
    assert set(got["kpis"]) == set(expected["kpis"])
    changed = []
    for agency, values in expected["kpis"].items():
        for name, want in values.items():
            have = got["kpis"][agency].get(name)
            same = (want is None and have is None) or (
                want is not None and have is not None
                and math.isclose(have, want, rel_tol=1e-9, abs_tol=1e-9))
            if not same:
                changed.append(f"{agency}.{name}: {want} -> {have}")
    assert not changed, (f"{path.name}: model output changed; if intended, run "
                         f"python tests/backtest/backtest.py\n" + "\n".join(changed[:20]))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_shipped_scenario_calls_its_open_accounts(path):
    """Whatever the regime or strategy, at most 5% of the accounts still open at the agency's
    first-attempt deadline are never called (the stored figures are the model's own: the test
    above holds the model to them)."""
    expected = json.loads((EXPECTED / f"{path.stem}.json").read_text())
    never = expected["kpis"]["total"]["never_attempted_share"]
    assert never is not None and never <= 0.05, f"{path.name}: {never:.1%} never called"

