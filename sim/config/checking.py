"""Validating merged scenario data, reporting every problem at once in plain words.

:func:`validate` checks a dictionary (a file after ``extends`` and ``--set``) against
:class:`~sim.config.schema.Scenario`. Every problem pydantic finds becomes one
:class:`~sim.config.errors.ScenarioError` line, worded by :mod:`sim.config.wording`; checks
across fields may report several problems at once, one per line of their message
(:func:`sim.config.schema.common.raise_problems`). pydantic runs the checks across the whole
scenario only once every field is valid, so when fields are wrong the names the allocation
uses are checked here on the raw data (:func:`sim.config.schema.references.reference_problems`):
a misspelt agency is reported in the same run as a wrong type.

Which values an error line shows: only values the user wrote. ``origins`` maps each dotted path
to the inherited file that set it (``None``: the file the user named, or ``--set``); a problem
with a value from an inherited file is reported against that file, without the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from sim.config.errors import ScenarioError
from sim.config.schema import Allocation, Scenario
from sim.config.schema.references import reference_problems, reserved_name_problems
from sim.config.wording import KEY_MARK, plain_problem

FIELD_IN_MESSAGE = re.compile(r"^([a-z_]+(?:\.[A-Za-z0-9_\-]+)*): (.*)$", re.DOTALL)
LONG_VALUE = 60
Origins = dict[tuple[str, ...], str | None]  # None: the file the user named, or --set


def _field_parts(loc: Iterable[Any], data: Mapping[str, Any]) -> list[str]:
    """Dotted path parts for a pydantic error location, naming agencies rather than indexing
    them (a wrong table key's ``[key]`` mark left out)."""
    parts: list[str] = []
    node: Any = data
    for item in loc:
        if item == KEY_MARK:
            continue
        if isinstance(item, int) and isinstance(node, list):
            entry = node[item] if item < len(node) else None
            name = entry.get("name") if isinstance(entry, dict) else None
            parts.append(str(name) if isinstance(name, str) and name else str(item))
            node = entry
        else:
            parts.append(str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return parts


def _inherited_from(parts: list[str], origins: Origins) -> str | None:
    """The inherited file that set the value at ``parts`` (None: the user's file or --set)."""
    for end in range(len(parts), 0, -1):
        if tuple(parts[:end]) in origins:
            return origins[tuple(parts[:end])]
    return None


def _error(label: str, field: str | None, message: str, got: Any, show: bool) -> ScenarioError:
    if show and isinstance(got, dict) and len(repr(got)) > LONG_VALUE:
        got = "{...}"
    return ScenarioError(label, field, message, got if show else None, show_got=show)


def _located(label: str, parts: list[str], line: str, origins: Origins) -> ScenarioError:
    """A problem line of a check across fields, ``"inner.field: problem (got value)"``,
    below the table at ``parts``."""
    found = FIELD_IN_MESSAGE.match(line)
    if found is None:
        field = ".".join(parts) or None
        inherited = _inherited_from(parts, origins)
        if inherited is not None:
            return _error(inherited, field, line.split(" (got ")[0], None, False)
        return _error(label, field, line, None, False)
    inner, message = found.group(1), found.group(2)
    inner_parts = [*parts, *inner.split(".")]
    inherited = _inherited_from(inner_parts, origins)
    if inherited is not None:
        label, message = inherited, message.split(" (got ")[0]
    return _error(label, ".".join(inner_parts), message, None, False)


def _problems(error: ErrorDetails, data: Mapping[str, Any], label: str,
              origins: Origins) -> list[ScenarioError]:
    parts = _field_parts(error["loc"], data)
    field = ".".join(parts) or None
    if error["type"] == "missing":
        return [_error(label, field, "required field is missing", None, False)]
    message = plain_problem(error, field or "")
    lines = message.split("\n")
    if len(lines) > 1 or FIELD_IN_MESSAGE.match(message):
        return [_located(label, parts, line, origins) for line in lines]
    show = "(got " not in message
    inherited = _inherited_from(parts, origins)
    if inherited is not None:
        label, show, message = inherited, False, message.split(" (got ")[0]
    return [_error(label, field, message, error.get("input"), show)]


def _dicts(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _reference_errors(data: Mapping[str, Any], label: str, origins: Origins,
                      taken: set[str | None]) -> list[ScenarioError]:
    """The names the allocation uses that name nothing, and agencies or segments named like
    a row of the results, read from raw (invalid) data."""
    agencies = data.get("agencies")
    if not isinstance(agencies, list):
        return []
    names = [entry.get("name") if isinstance(entry, Mapping) else None for entry in agencies]
    if not all(isinstance(name, str) for name in names):
        return []
    segments = _dicts(data.get("portfolio")).get("segments")
    bank = _dicts(data.get("bank"))
    allocation = _dicts(bank.get("allocation"))
    routes = allocation.get("routes", [])
    lines = reference_problems(
        [str(name) for name in names],
        list(segments) if isinstance(segments, Mapping) else None,
        allocation.get("method", Allocation.model_fields["method"].default),
        allocation.get("champion"), allocation.get("challenger"),
        [(_dicts(r).get("agency"), _dicts(r).get("segment"))
         for r in (routes if isinstance(routes, list) else [])],
        bank.get("second_placement"))
    lines += reserved_name_problems([str(name) for name in names],
                                    list(segments) if isinstance(segments, Mapping) else [])
    found = [_located(label, [], line, origins) for line in lines]
    return [error for error in found if error.field not in taken]


def validate(data: Mapping[str, Any], label: str, origins: Origins | None = None) -> Scenario:
    """Validate a merged dictionary, raising every problem found as one
    :class:`ScenarioError` (see :meth:`ScenarioError.several`).

    With ``origins`` (from the ``extends`` chain), a bad value set by an inherited file is
    reported against that file, without its value.
    """
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    origins = origins or {}
    found = [problem for error in errors for problem in _problems(error, data, label, origins)]
    if all(error["loc"] for error in errors):  # the checks across the scenario did not run
        found += _reference_errors(data, label, origins, {e.field for e in found})
    raise ScenarioError.several(found) from None
