"""The JSON Schema of scenario files documents every key, and documenting it changed nothing.

``collectsim schema`` prints :meth:`Scenario.model_json_schema`; each field's description comes
from the attribute docstring under it in :mod:`sim.config.schema` (``use_attribute_docstrings``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sim.config.loading import load_scenario
from sim.config.schema import Scenario

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.toml"


def _properties(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every property of the top-level model and of every model in ``$defs``, as
    ``(Model.field, property schema)``."""
    models = {"Scenario": schema, **schema.get("$defs", {})}
    for model, definition in models.items():
        for field, prop in definition.get("properties", {}).items():
            yield f"{model}.{field}", prop


SCHEMA = Scenario.model_json_schema()
PROPERTIES = dict(_properties(SCHEMA))


def test_schema_has_the_expected_models() -> None:
    assert {"Agency", "Bank", "Behaviour", "Portfolio", "Rules", "ScenarioInfo", "Segment",
            "StageParameters", "HawkesParameters"} <= set(SCHEMA["$defs"])
    assert len(PROPERTIES) > 100


def test_every_property_has_a_description() -> None:
    missing = sorted(name for name, prop in PROPERTIES.items()
                     if not isinstance(prop.get("description"), str)
                     or not prop["description"].strip())
    assert missing == [], f"properties without a description: {missing}"


def test_baseline_still_validates() -> None:
    scenario = load_scenario(BASELINE)
    assert isinstance(scenario, Scenario)
    assert scenario.scenario.name == "baseline"
    assert [a.name for a in scenario.agencies] == ["alpha", "beta"]
