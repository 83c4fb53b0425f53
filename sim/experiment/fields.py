"""The scenario fields a calibration sets, by dotted path.

A calibration parameter is one of two kinds:

* **a field** — ``portfolio.segments.money_management.answer_rate``: the candidate value is
  the field's value, as ``--set`` would put it;
* **a common factor** — ``scale:portfolio.segments.*.answer_rate``: the candidate value
  multiplies every field the pattern matches, each from its value in the scenario as given, so
  the ratios between them stay as the scenario (or a reason profile) sets them. A ``*`` in
  place of one key stands for every key of that table (every segment) or every agency by name.
  This is how a figure measured on the whole portfolio (a right-party contact rate) calibrates
  a level shared by several segments, whose differences no such figure identifies.

Agencies are addressed by name, as ``--set`` addresses them; integer fields are rounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim.config.schema import Scenario

SCALE_PREFIX = "scale:"
WILDCARD = "*"


def is_factor(path: str) -> bool:
    """Whether ``path`` names a common factor rather than one field."""
    return path.startswith(SCALE_PREFIX)


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def field_value(scenario: Scenario, path: str) -> Any:
    """The value at dotted ``path`` of a resolved scenario (agencies by name), or ``None``."""
    node: Any = scenario.model_dump(mode="json")
    for part in path.split("."):
        if isinstance(node, list):
            node = next((a for a in node if isinstance(a, dict) and a.get("name") == part), None)
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


def matching_fields(scenario: Scenario, pattern: str) -> dict[str, float | int]:
    """Every numeric field ``pattern`` matches (``*`` for any one key), by dotted path."""
    found: dict[str, float | int] = {}

    def walk(node: Any, parts: list[str], prefix: list[str]) -> None:
        if not parts:
            if _numeric(node):
                found[".".join(prefix)] = node
            return
        head, rest = parts[0], parts[1:]
        if isinstance(node, list):
            children = {a["name"]: a for a in node if isinstance(a, dict) and "name" in a}
        elif isinstance(node, dict):
            children = node
        else:
            return
        keys = list(children) if head == WILDCARD else [head]
        for key in keys:
            if key in children:
                walk(children[key], rest, [*prefix, str(key)])

    walk(scenario.model_dump(mode="json"), pattern.split("."), [])
    return found


def parameter_fields(scenario: Scenario, path: str) -> dict[str, float | int]:
    """The fields a parameter sets and their values in ``scenario``: one for a field, every
    match for a common factor (empty when nothing numeric matches)."""
    if is_factor(path):
        return matching_fields(scenario, path.removeprefix(SCALE_PREFIX))
    value = field_value(scenario, path)
    return {path: value} if _numeric(value) else {}


def _typed(value: float, like: Any) -> float | int:
    return round(value) if isinstance(like, int) else float(value)


def assignments(scenario: Scenario, path: str, value: float) -> dict[str, float | int]:
    """What parameter ``path`` at ``value`` sets, field by field (rounded for integers)."""
    fields = parameter_fields(scenario, path)
    if is_factor(path):
        return {f: _typed(value * base, base) for f, base in fields.items()}
    return {f: _typed(value, like) for f, like in fields.items()}


def overrides_for(scenario: Scenario, params: Mapping[str, float]) -> list[str]:
    """``--set`` texts putting every parameter of ``params`` at its value."""
    return [f"{f}={v!r}" for path, value in params.items()
            for f, v in assignments(scenario, path, value).items()]
