"""Shared fixtures: the shipped baseline scenario and a factory of small, fast variants of it.

``small_scenario(*overrides, accounts=1500, collectors=3, horizon=60, each={...})`` loads
``scenarios/baseline.toml`` with dotted overrides that shrink it (accounts, collectors per
agency, placement length) so a replication runs in well under a second; ``each`` sets the same
keys on every agency of the baseline (``each={"compliance": 1.0, "sms.every_days": 0}``), and
any further ``overrides`` (``"rules.max_calls_per_7_days=3"``) are applied last. The
baseline's control group is switched off (every account placed) unless an override sets
``bank.control_share``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from sim.config.loading import load_scenario
from sim.config.schema import Scenario

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.toml"
BASELINE_AGENCIES = ("alpha", "beta")
NO_MESSAGES = {"sms.every_days": 0, "email.every_days": 0, "letter.every_days": 0}


def toml_value(value: Any) -> str:
    """A Python value written as the TOML text of a ``--set`` override."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def build_small(*overrides: str, accounts: int = 1500, collectors: int = 3, horizon: int = 60,
                each: Mapping[str, Any] | None = None) -> Scenario:
    sets = [f"portfolio.accounts={accounts}", f"scenario.horizon_days={horizon}",
            "bank.control_share=0.0"]
    for name in BASELINE_AGENCIES:
        sets.append(f"agencies.{name}.collectors={collectors}")
        for key, value in (each or {}).items():
            sets.append(f"agencies.{name}.{key}={toml_value(value)}")
    sets.extend(overrides)
    return load_scenario(BASELINE, sets)


@pytest.fixture(scope="session")
def baseline_path() -> Path:
    """Path of the shipped baseline scenario file."""
    return BASELINE


@pytest.fixture(scope="session")
def no_messages() -> dict[str, int]:
    """``each=`` settings that switch off every message channel of an agency."""
    return dict(NO_MESSAGES)


@pytest.fixture(scope="session")
def small_scenario() -> Callable[..., Scenario]:
    """Factory of small baseline variants (see the module docstring)."""
    return build_small
