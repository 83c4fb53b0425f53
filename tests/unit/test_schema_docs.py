"""The JSON Schema of scenario files documents every key, documenting it changed nothing, and
the Markdown reference generated from it (docs/scenario-reference.md) is current.

``collectsim schema`` prints :meth:`Scenario.model_json_schema`; each field's description comes
from the attribute docstring under it in :mod:`sim.config.schema` (``use_attribute_docstrings``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from support import call

from sim.config.loading import load_scenario
from sim.config.reference import REGENERATE, reference_markdown
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


# --------------------------------------------------------------------------- the reference


def test_scenario_reference_is_current() -> None:
    """docs/scenario-reference.md is what the schema generates now."""
    written = (ROOT / "docs" / "scenario-reference.md").read_text(encoding="utf-8")
    assert written == reference_markdown(), (
        f"docs/scenario-reference.md is out of date with the schema; run `{REGENERATE}`")


def test_reference_describes_every_table_and_key() -> None:
    text = reference_markdown()
    for heading in ("`[scenario]`", "`[portfolio.segments.<name>]`", "`[[agencies]]`",
                    "`[agencies.sms]`, `[agencies.email]`, `[agencies.letter]`",
                    "`[[bank.allocation.routes]]`", "`[behaviour.hawkes]`"):
        assert f"## {heading}\n" in text, heading
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert len(rows) == len(PROPERTIES)
    for name in PROPERTIES:
        key = name.split(".", 1)[1]
        assert any(row.startswith(f"| `{key}` |") for row in rows), name
    assert "`^[" not in text and "``" not in text


def test_reference_rows_give_type_default_and_bounds() -> None:
    rows = {line.split(" | ")[0]: line for line in reference_markdown().splitlines()
            if line.startswith("| `")}
    assert rows["| `commission`"].startswith(
        "| `commission` | number | `0.2` | 0 to 1 | Contingency fee 0–1")
    assert rows["| `priority`"].startswith(
        '| `priority` | one of `"score"`, `"balance"`, `"days_past_due"`, `"random"` | '
        '`"score"` |')
    assert "| `name` | text | `required` | 1–64 characters; letters, digits, '_' and '-' |" \
        in rows["| `name`"]
    assert rows["| `compliance_when_behind`"].startswith(
        "| `compliance_when_behind` | number (may be left unset) | `unset` | 0 to 1 |")
    assert rows["| `tone_keep`"].startswith("| `tone_keep` | number | `-0.8` | finite |")
    assert "| `days` | array of one of" in rows["| `days`"]
    assert '`["mon", "tue", "wed", "thu", "fri"]`' in rows["| `days`"]


def test_schema_command_prints_the_reference_and_the_json_schema() -> None:
    status, out, err = call(["schema", "--format", "markdown"])
    assert (status, err) == (0, "")
    assert out == reference_markdown()
    status, out, _ = call(["schema"])
    assert status == 0 and json.loads(out) == SCHEMA
