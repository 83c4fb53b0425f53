"""The scenario-file reference, written from the schema itself: ``docs/scenario-reference.md``.

:func:`reference_markdown` walks :class:`~sim.config.schema.Scenario` table by table, in the
order a file is written, and gives each field its type, default, bounds and description (the
attribute docstring under the field in :mod:`sim.config.schema`). A table used in several
places (the message channels ``sms``, ``email`` and ``letter``) is described once, under all its
names. ``collectsim schema --format markdown`` prints it; a test keeps the file in the
repository equal to it, so the reference cannot fall behind the schema.
"""

from __future__ import annotations

import datetime as dt
import re
import types
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt, MaxLen, MinLen
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.config.schema import Scenario
from sim.config.schema.common import NAME_CHARACTERS, NAME_PATTERN, check_finite
from sim.config.wording import plain_number, toml_value

REGENERATE = "collectsim schema --format markdown > docs/scenario-reference.md"
SCALARS = {int: "integer", float: "number", str: "text", bool: "true or false",
           dt.date: "date (YYYY-MM-DD, no quotes)"}


@dataclass
class _Table:
    """One table model and the places it appears in a file."""

    model: type[BaseModel]
    paths: list[str] = field(default_factory=list)


def _without_none(annotation: Any) -> tuple[Any, bool]:
    """The annotation without ``| None``, and whether ``None`` was allowed."""
    if get_origin(annotation) in (Union, types.UnionType):
        kept = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(kept) == 1 and len(get_args(annotation)) == 2:
            return kept[0], True
    return annotation, False


def _annotated(annotation: Any) -> tuple[Any, list[Any]]:
    """``Annotated[T, ...]`` as ``T`` and its constraints (those of a ``Field`` included)."""
    if get_origin(annotation) is not Annotated:
        return annotation, []
    base, *extras = get_args(annotation)
    metadata: list[Any] = []
    for extra in extras:
        metadata.extend(extra.metadata if isinstance(extra, FieldInfo) else [extra])
    return base, metadata


def _model(annotation: Any) -> type[BaseModel] | None:
    return annotation if isinstance(annotation, type) and issubclass(annotation,
                                                                     BaseModel) else None


def _tables(model: type[BaseModel], dotted: str, heading: str,
            found: dict[type[BaseModel], _Table]) -> None:
    """Record ``model`` under ``heading`` and walk its sub-tables (``dotted`` is its path)."""
    found.setdefault(model, _Table(model)).paths.append(heading)
    for name, info in model.model_fields.items():
        annotation, _ = _without_none(info.annotation)
        origin, args = get_origin(annotation), get_args(annotation)
        path = f"{dotted}.{name}" if dotted else name
        sub = _model(annotation)
        if sub is not None:
            _tables(sub, path, f"[{path}]", found)
        elif origin is list and args and (item := _model(args[0])) is not None:
            _tables(item, path, f"[[{path}]]", found)
        elif origin is dict and len(args) == 2 and (entry := _model(args[1])) is not None:
            _tables(entry, f"{path}.<name>", f"[{path}.<name>]", found)


def type_text(annotation: Any) -> str:
    """A field's type in a reader's words."""
    annotation, optional = _without_none(annotation)
    annotation, _ = _annotated(annotation)
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        text = "one of " + ", ".join(f"`{toml_value(a)}`" for a in args)
    elif origin is list and args:
        item = _model(args[0])
        text = "array of tables" if item else f"array of {type_text(args[0])}"
    elif origin is dict and len(args) == 2 and _model(args[1]) is None:
        text = f"table of {type_text(args[1])} values"
    elif origin is dict:
        text = "tables by name"
    elif _model(annotation):
        text = "table"
    else:
        text = SCALARS.get(annotation, str(annotation))
    return text + " (may be left unset)" if optional else text


def default_text(info: FieldInfo) -> str:
    """A field's default as written in a file (``required`` if it has none)."""
    if info.is_required():
        return "required"
    value = info.get_default(call_default_factory=True)
    if value is None:
        return "unset"
    if isinstance(value, BaseModel):
        return "(table)"
    if isinstance(value, list) and value and isinstance(value[0], BaseModel):
        return "(tables)"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return plain_number(value) if abs(value) >= 1e6 else repr(value)
    return toml_value(value)


def bounds_text(info: FieldInfo) -> str:
    """A field's bounds and constraints: ``0 to 1``, ``≥ 1``, ``1–64 characters``, finite."""
    limits: dict[str, Any] = {}
    parts: list[str] = []
    annotation = _without_none(info.annotation)[0]
    if get_origin(annotation) is dict and len(get_args(annotation)) == 2:
        annotation = get_args(annotation)[1]  # a table's bounds are those of each value
    inner = _annotated(annotation)[1]
    for item in [*info.metadata, *inner]:
        for kind in (Ge, Gt, Le, Lt, MinLen, MaxLen):
            if isinstance(item, kind):
                key = kind.__name__.lower()
                limits[key] = getattr(item, {"minlen": "min_length",
                                             "maxlen": "max_length"}.get(key, key))
        if getattr(item, "pattern", None) == NAME_PATTERN:
            parts.append(NAME_CHARACTERS)
        if getattr(item, "func", None) is check_finite and not (limits.keys()
                                                                & {"ge", "gt", "le", "lt"}):
            parts.append("finite")
    low = ("≥", limits["ge"]) if "ge" in limits else (">", limits["gt"]) \
        if "gt" in limits else None
    high = ("≤", limits["le"]) if "le" in limits else ("<", limits["lt"]) \
        if "lt" in limits else None
    if low and high and low[0] == "≥" and high[0] == "≤":
        parts.insert(0, f"{plain_number(low[1])} to {plain_number(high[1])}")
    else:
        parts[:0] = [f"{bound[0]} {plain_number(bound[1])}" for bound in (low, high) if bound]
    if "minlen" in limits or "maxlen" in limits:
        parts.insert(0, f"{limits.get('minlen', 0)}–{limits.get('maxlen', '')} characters")
    return "; ".join(parts)


def _cell(text: str) -> str:
    """One table cell: on one line, reStructuredText roles and double backquotes as Markdown
    code, ``|`` escaped."""
    text = re.sub(r":\w+:`", "`", text).replace("``", "`")
    return re.sub(r"\s+", " ", text).strip().replace("|", "\\|")


def _section(table: _Table) -> list[str]:
    heading = ", ".join(f"`{path}`" for path in table.paths) if table.paths != [""] \
        else "The whole file"
    lines = [f"## {heading}", ""]
    if table.model.__doc__:
        lines += [_cell(table.model.__doc__), ""]
    lines += ["| key | type | default | bounds | description |",
              "|---|---|---|---|---|"]
    for name, info in table.model.model_fields.items():
        lines.append(f"| `{name}` | {_cell(type_text(info.annotation))} | "
                     f"`{_cell(default_text(info))}` | {_cell(bounds_text(info))} | "
                     f"{_cell(info.description or '')} |")
    return [*lines, ""]


def reference_markdown() -> str:
    """The scenario-file reference as Markdown (the content of docs/scenario-reference.md)."""
    found: dict[type[BaseModel], _Table] = {}
    _tables(Scenario, "", "", found)
    lines = ["# Scenario file reference", "",
             "Every table and key of a scenario file, with its type, default, bounds and "
             "meaning. Generated from the schema (`sim/config/schema/`); do not edit by hand: "
             f"after changing the schema, run `{REGENERATE}`.", "",
             "Unknown keys are errors. Money is in currency units (converted to integer cents "
             "inside), times of day are `\"HH:MM\"`, shares and chances are fractions 0–1 "
             "(0.25 for 25%). `collectsim schema` prints the same as JSON Schema.", ""]
    for table in found.values():
        lines += _section(table)
    return "\n".join(lines).rstrip("\n") + "\n"
