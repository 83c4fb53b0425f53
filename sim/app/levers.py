"""The page's levers: which scenario fields it offers, read from the schema and the loaded file.

A lever is one scenario field addressed by the dotted path ``--set`` takes (agencies by name:
``agencies.alpha.collectors``). Which fields are levers is a short list of *names* per table
(:data:`PORTFOLIO_FIELDS`, :data:`AGENCY_FIELDS`, :data:`RULE_FIELDS`); everything else — the
input kind, the choices of a fixed set, the bounds, the help text and the starting value — is
read from the schema (:class:`sim.config.schema.Scenario`) and the scenario as loaded, so a
field the schema gains or changes shows up with its own type and bounds. A name the schema does
not have is left out (``dialler`` appears once agencies have one; ``dialler.mode`` if it is a
table with a mode).

A page sends back only the levers moved away from the loaded value, as ``path=value`` texts
(:func:`overrides`), together with the advanced panel's lines; the scenario is then loaded
exactly as the command line's ``--set`` loads it (:func:`sim.config.loading.load_scenario`),
so a bad combination gets the same one-line errors.
"""

from __future__ import annotations

import json
import math
import re
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.config.schema import Agency, Portfolio, Rules, Scenario

PORTFOLIO_FIELDS = ("accounts",)
AGENCY_FIELDS = ("share", "collectors", "commission", "tone", "dialler", "dialler.mode")
RULE_PREFIXES = ("regime", "reference", "max_", "window_", "quiet_")
"""Rule fields offered: the regime and the reference standard, every cap (``max_…``), the call
window and the quiet days, in that order."""


class LeverKind(StrEnum):
    """How a lever is entered on the page."""

    INTEGER = "integer"
    NUMBER = "number"
    CHOICE = "choice"
    SWITCH = "switch"
    TEXT = "text"


@dataclass(frozen=True)
class Lever:
    """One scenario field on the page: its ``--set`` path, how it is entered, its value."""

    path: str
    label: str
    group: str
    kind: LeverKind
    value: Any
    help: str = ""
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None

    @property
    def step(self) -> float | None:
        """The input's step: 1 for whole numbers, 0.01 for shares, none otherwise."""
        if self.kind is LeverKind.INTEGER:
            return 1
        if self.kind is LeverKind.NUMBER and self.low == 0 and self.high == 1:
            return 0.01
        return None


def _leaf(model: type[BaseModel], dotted: str) -> FieldInfo | None:
    """The schema field at ``dotted`` under ``model``, if every step is a field of a table."""
    info: FieldInfo | None = None
    current: Any = model
    for part in dotted.split("."):
        fields = getattr(current, "model_fields", None)
        if not isinstance(fields, dict) or part not in fields:
            return None
        info = fields[part]
        current = _plain(info.annotation)
    return info


def _plain(annotation: Any) -> Any:
    """``annotation`` without ``None`` in a union (``float | None`` → ``float``)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        rest = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return annotation


def _constraints(info: FieldInfo) -> list[Any]:
    """Every constraint of a field: its own and those of an ``Annotated`` type it uses (a
    ``Probability | None`` keeps its bounds inside the union)."""
    found: list[Any] = list(info.metadata)
    annotation = _plain(info.annotation)
    for item in getattr(annotation, "__metadata__", ()):
        found.append(item)
        found.extend(getattr(item, "metadata", ()))
    return found


def _bounds(info: FieldInfo) -> tuple[float | None, float | None]:
    low = high = None
    for item in _constraints(info):
        for name in ("ge", "gt"):
            if getattr(item, name, None) is not None:
                low = float(getattr(item, name))
        for name in ("le", "lt"):
            if getattr(item, name, None) is not None:
                high = float(getattr(item, name))
    return low, high


def _help(info: FieldInfo) -> str:
    text = " ".join((info.description or "").split())
    return text.replace("``", "")


def _lever(path: str, label: str, group: str, info: FieldInfo, value: Any) -> Lever | None:
    """A lever for a scalar field, or ``None`` for a table, a list or an unset table."""
    annotation = _plain(info.annotation)
    low, high = _bounds(info)
    text = _help(info)
    if typing.get_origin(annotation) is Literal:
        choices = tuple(str(c) for c in typing.get_args(annotation))
        return Lever(path, label, group, LeverKind.CHOICE, value, text, choices)
    if isinstance(value, bool):
        return Lever(path, label, group, LeverKind.SWITCH, value, text)
    if isinstance(value, int):
        return Lever(path, label, group, LeverKind.INTEGER, value, text, low=low, high=high)
    if isinstance(value, float):
        return Lever(path, label, group, LeverKind.NUMBER, value, text, low=low, high=high)
    if isinstance(value, str):
        return Lever(path, label, group, LeverKind.TEXT, value, text)
    return None


def _value(data: Mapping[str, Any], dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _rule_rank(field: str) -> int:
    """The place of a rule field among the levers: by its prefix in :data:`RULE_PREFIXES`."""
    return next(k for k, prefix in enumerate(RULE_PREFIXES) if field.startswith(prefix))


def scenario_levers(scenario: Scenario) -> list[Lever]:
    """The levers of ``scenario``, grouped: portfolio, each agency, rules; values as loaded."""
    data = scenario.model_dump(mode="json")
    levers: list[Lever] = []

    def add(model: type[BaseModel], field: str, prefix: str, group: str,
            values: Mapping[str, Any]) -> None:
        info = _leaf(model, field)
        if info is None:
            return
        lever = _lever(f"{prefix}.{field}", field.replace("_", " ").replace(".", " "), group,
                       info, _value(values, field))
        if lever is not None:
            levers.append(lever)

    for field in PORTFOLIO_FIELDS:
        add(Portfolio, field, "portfolio", "Portfolio", data["portfolio"])
    for agency in data["agencies"]:
        for field in AGENCY_FIELDS:
            add(Agency, field, f"agencies.{agency['name']}", f"Agency {agency['name']}",
                agency)
    offered = [field for field in Rules.model_fields if field.startswith(RULE_PREFIXES)]
    for field in sorted(offered, key=_rule_rank):
        add(Rules, field, "rules", "Contact rules", data["rules"])
    return levers


def input_ids(levers: Sequence[Lever]) -> dict[str, Lever]:
    """A page input id for each lever (``lever_`` and the path's letters and digits), unique."""
    ids: dict[str, Lever] = {}
    for lever in levers:
        base = "lever_" + re.sub(r"\W", "_", lever.path.replace(".", "__"))
        name, count = base, 1
        while name in ids:
            count += 1
            name = f"{base}_{count}"
        ids[name] = lever
    return ids


def toml_value(value: Any) -> str:
    """``value`` written as the TOML value ``--set`` parses (strings quoted)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value))


def _same(lever: Lever, given: Any) -> bool:
    if lever.kind in (LeverKind.INTEGER, LeverKind.NUMBER):
        try:
            return math.isclose(float(given), float(lever.value), rel_tol=1e-12, abs_tol=0.0)
        except (TypeError, ValueError):
            return False
    if lever.kind is LeverKind.SWITCH:
        return bool(given) == bool(lever.value)
    return str(given) == str(lever.value)


def _entered(lever: Lever, given: Any) -> Any:
    """What the page sent, as the field's type where it can be (else as typed, for the
    schema to reject with its own words)."""
    if lever.kind is LeverKind.INTEGER and isinstance(given, float) and given.is_integer():
        return int(given)
    if lever.kind is LeverKind.NUMBER and isinstance(given, int) and not isinstance(given, bool):
        return float(given)
    if given is None:
        return ""
    return given


def overrides(levers: Mapping[str, Lever], values: Mapping[str, Any]) -> list[str]:
    """``path=value`` for every lever whose page value (by input id) differs from the loaded
    one, in lever order."""
    changed = []
    for name, lever in levers.items():
        if name not in values:
            continue
        given = values[name]
        if not _same(lever, given):
            changed.append(f"{lever.path}={toml_value(_entered(lever, given))}")
    return changed


def advanced_lines(text: str | None) -> list[str]:
    """The advanced panel's ``dotted.path=value`` lines (blank lines and ``#`` comments
    skipped), each given to the loader as one ``--set``."""
    lines: Iterable[str] = (text or "").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
