"""Backtests: every shipped scenario, run at a reduced size with its own seed, against stored KPIs.

Any change in model output shows up here and must be deliberate: after an intended change,
regenerate the stored figures and review the difference in the commit::

    python tests/backtest/backtest.py

Scenarios run at a quarter of their size (accounts, collectors and fixed costs scaled
together, as ``--scale-collectors`` does) to keep the suite fast; the stored file also
records the resolved scenario's hash, so a changed scenario file is reported as such rather
than as a changed model.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"
EXPECTED = Path(__file__).resolve().parent / "expected"
SCALE = 0.25


def reduced(path: Path) -> Any:
    """The scenario at ``path`` with its accounts scaled by ``SCALE``, and its collectors and
    fixed costs with them (``--scale-collectors``)."""
    from sim.config.loading import load_scenario

    full = load_scenario(path)
    sets = [f"portfolio.accounts={max(100, round(full.portfolio.accounts * SCALE))}"]
    return load_scenario(path, sets, scale_collectors=True)


def measure(path: Path) -> dict[str, Any]:
    """Run the reduced scenario once and return its hash and KPIs, JSON-ready."""
    from sim.config.loading import scenario_hash
    from sim.model.replication import run_replication

    scenario = reduced(path)
    result = run_replication(scenario)
    kpis = {agency: {k: _plain(v) for k, v in row.items()}
            for agency, row in result.kpis.to_dict(orient="index").items()}
    return {"scenario": path.name, "scenario_hash": scenario_hash(scenario),
            "seed": scenario.scenario.seed, "scale": SCALE, "kpis": kpis}


def _plain(value: Any) -> Any:
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and not math.isfinite(value) else value


def regenerate() -> None:
    """Write the stored figures of every shipped scenario."""
    EXPECTED.mkdir(exist_ok=True)
    for path in sorted(SCENARIOS.glob("*.toml")):
        target = EXPECTED / f"{path.stem}.json"
        target.write_text(json.dumps(measure(path), indent=1, sort_keys=True) + "\n")
        print(f"wrote {target.relative_to(REPO)}", file=sys.stderr)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    regenerate()
