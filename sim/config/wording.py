"""Plain words for what pydantic found wrong with a scenario file.

pydantic describes a problem in the terms of its own machinery: ``String should match pattern
'^[A-Za-z0-9_\\-]+$'``, ``Input should be a valid dictionary or instance of
DaysPastDueDistribution``, ``Extra inputs are not permitted``. A planner writing a TOML file
needs the same facts in the terms of the file: which characters a name may hold, that a table
is written ``{ low = 30, high = 90 }``, which key was probably meant, that a share of 25% is
written 0.25. :func:`plain_problem` turns one pydantic error into that text, looking up the
schema field the error is about (:func:`locate`) for its choices, bounds and an example.
"""

from __future__ import annotations

import json
import math
import re
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticUndefined

from sim.config.names import did_you_mean
from sim.config.schema import Scenario
from sim.config.schema.common import NAME_CHARACTERS, NAME_PATTERN

KEY_MARK = "[key]"
"""The part pydantic adds to an error's location when a table's key (a name) is wrong."""
PERCENT = 100
EXAMPLE_FIELDS = 2
"""How many fields a table's example shows."""
SHARE_WORDS = ("share", "chance", "fee", "rate", "percentile")
"""Words that, before "0–1" in a field's description, make it a share (see :func:`_is_share`)."""
LARGEST_WRITTEN_OUT = 1e16
"""Bounds below this that are whole numbers are written out in full."""
BARE_KEY = re.compile(r"[A-Za-z0-9_\-]+")
"""Keys TOML lets a file write without quotes."""
PLACEHOLDERS: dict[Any, Any] = {str: "alpha", int: 1, float: 0.5, bool: True}
"""Example values of required fields, by type."""


@dataclass(frozen=True)
class Located:
    """Where an error's location leads in the schema."""

    model: type[BaseModel] | None
    """The table (model) holding the last key of the location."""
    field: FieldInfo | None
    """The field at the location (``None``: an unknown key, or below the schema)."""
    annotation: Any
    """The type expected at the location (``None`` if unknown)."""


def _without_none(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        kept = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(kept) == 1:
            return kept[0]
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def locate(loc: Sequence[Any], root: type[BaseModel] = Scenario) -> Located:
    """The schema model, field and expected type at a pydantic error location."""
    model: type[BaseModel] | None = None
    field: FieldInfo | None = None
    current: Any = root
    for item in loc:
        if item == KEY_MARK:
            break
        current = _without_none(current)
        origin = get_origin(current)
        if _is_model(current):
            model, field = current, current.model_fields.get(str(item))
            if field is None:
                return Located(model, None, None)
            current = field.annotation
        elif origin in (list, tuple) and get_args(current):
            current = get_args(current)[0]
        elif origin is dict and len(get_args(current)) == 2:
            current = get_args(current)[1]
        else:
            return Located(model, field, None)
    return Located(model, field, _without_none(current))


def toml_value(value: Any) -> str:
    """``value`` as it is written in a TOML file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_key(str(k))} = {toml_value(v)}"
                                for k, v in value.items()) + " }" if value else "{}"
    return str(value)


def toml_key(key: str) -> str:
    """A table key as written in a TOML file: bare if it can be, else quoted."""
    return key if BARE_KEY.fullmatch(key) else json.dumps(key)


def _example_value(field: FieldInfo) -> Any:
    if field.default is not PydanticUndefined and field.default is not None:
        return field.default
    if field.default_factory is not None:
        return None
    annotation = _without_none(field.annotation)
    if get_origin(annotation) is Literal:
        return get_args(annotation)[0]
    return PLACEHOLDERS.get(annotation)


def table_example(model: type[BaseModel]) -> str:
    """A short inline-table example of ``model``: its required fields first, then fields with
    a default, leaving out fixed single-choice fields (``{ low = 30, high = 90 }``)."""
    fields = sorted(model.model_fields.items(), key=lambda item: not item[1].is_required())
    parts: list[str] = []
    for name, field in fields:
        annotation = _without_none(field.annotation)
        if get_origin(annotation) is Literal and len(get_args(annotation)) == 1:
            continue
        value = _example_value(field)
        if isinstance(value, bool | int | float | str):
            parts.append(f"{name} = {toml_value(value)}")
        if len(parts) == EXAMPLE_FIELDS:
            break
    return "{ " + ", ".join(parts) + " }"


def _choices(annotation: Any) -> list[str]:
    if get_origin(annotation) is Literal:
        return [str(arg) for arg in get_args(annotation)]
    return []


def _listed(choices: Sequence[str]) -> str:
    quoted = [repr(c) for c in choices]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _looks_numeric(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        float(value.replace("_", ""))
    except ValueError:
        return False
    return True


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_share(field: FieldInfo | None) -> bool:
    """Whether a field bounded by 1 is a share, chance, rate or fee (its description says so
    before "0–1"), as opposed to a 0–1 scale such as skill or tone."""
    text = (field.description or "") if field is not None else ""
    before, scale, _ = text.partition("0–1")
    return bool(scale) and any(word in before.lower() for word in SHARE_WORDS)


def _share_hint(value: Any, bound: Any, field: FieldInfo | None) -> str:
    """``"; write 0.25 for 25%"`` when a share above 1 was meant as a percentage."""
    if (bound == 1 and _number(value) and math.isfinite(value) and 1 < value <= PERCENT
            and _is_share(field)):
        return f"; a share is written as a fraction: write {value / PERCENT:g} for {value:g}%"
    return ""


def plain_number(value: Any) -> str:
    """A bound as a reader writes it: ``1000000000`` rather than ``1e+09``, ``0.5``, ``1``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if _number(value) and math.isfinite(value) and float(value).is_integer() \
            and abs(value) < LARGEST_WRITTEN_OUT:
        return str(int(value))
    return f"{value:g}" if _number(value) else str(value)


def _type_problem(kind: str, value: Any, located: Located, dotted: str) -> str | None:
    annotation = located.annotation
    unquote = ", without quotes" if _looks_numeric(value) else ""
    if kind == "int_type":
        return "must be a whole number" + (unquote or (", not true or false"
                                                       if isinstance(value, bool) else ""))
    if kind == "float_type":
        return "must be a number" + (unquote or (", not true or false"
                                                 if isinstance(value, bool) else ""))
    if kind == "bool_type":
        return "must be true or false" + (", without quotes" if isinstance(value, str) else "")
    if kind == "string_type":
        default = located.field.default if located.field is not None else None
        example = default if isinstance(default, str) and default else "alpha"
        return f"must be text in quotes, like {json.dumps(example)}"
    if kind in ("date_type", "date_parsing", "date_from_datetime_parsing"):
        return ("must be a date written without quotes, like 2026-01-05"
                if isinstance(value, str) else "must be a date like 2026-01-05")
    if kind in ("model_type", "model_attributes_type", "dataclass_type") and _is_model(
            annotation):
        return f"must be a table like {table_example(annotation)}"
    if kind == "dict_type":
        return f"must be a table with one entry per name, like [{dotted}.NAME]"
    if kind == "list_type":
        return _list_problem(value, annotation, located, dotted)
    return None


def _list_problem(value: Any, annotation: Any, located: Located, dotted: str) -> str:
    item = _without_none(get_args(annotation)[0]) if get_args(annotation) else None
    if dotted == "agencies" and isinstance(value, Mapping):
        first = next(iter(value), "alpha")
        name = first if isinstance(first, str) and isinstance(value.get(first), Mapping) \
            else "alpha"
        return (f"must be an array of tables: write [[agencies]] with name = "
                f"{json.dumps(name)} for each agency, not [agencies.{name}]")
    if isinstance(item, type) and issubclass(item, BaseModel):
        return f"must be an array of tables like [{table_example(item)}]"
    default = located.field.get_default(call_default_factory=True) \
        if located.field is not None else None
    if isinstance(default, list) and default:
        return f"must be an array like {toml_value(default)}"
    return "must be an array like [ ... ]"


def _bound_problem(kind: str, ctx: Mapping[str, Any], value: Any,
                   located: Located) -> str | None:
    if kind == "greater_than_equal":
        return f"must be at least {plain_number(ctx['ge'])}"
    if kind == "greater_than":
        return f"must be more than {plain_number(ctx['gt'])}"
    if kind == "less_than_equal":
        return f"must be at most {plain_number(ctx['le'])}" + _share_hint(value, ctx["le"],
                                                                          located.field)
    if kind == "less_than":
        return f"must be less than {plain_number(ctx['lt'])}"
    if kind == "string_too_short":
        return "must not be empty" if ctx.get("min_length") == 1 else \
            f"must have at least {ctx['min_length']} characters"
    if kind == "string_too_long":
        return f"must have at most {ctx['max_length']} characters"
    if kind == "too_short":
        return f"must have at least {ctx['min_length']} entries"
    if kind == "too_long":
        return f"must have at most {ctx['max_length']} entries"
    return None


def plain_problem(error: ErrorDetails, dotted: str, root: type[BaseModel] = Scenario) -> str:
    """What is wrong, in the terms of the file, for one pydantic error at ``dotted`` in a file
    whose schema is ``root`` (a scenario unless told).

    Problems raised by the schema's own checks (``ValueError`` texts) are already plain and
    are returned as written, their first letter in lower case.
    """
    kind, value = error["type"], error.get("input")
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    loc = list(error["loc"])
    located = locate(loc, root)
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        known = list(located.model.model_fields) if located.model is not None else []
        return "unknown key" + did_you_mean(str(loc[-1]), known)
    if kind == "literal_error":
        choices = _choices(located.annotation)
        if choices:
            return f"must be {_listed(choices)}{did_you_mean(value, choices)}"
    if kind == "string_pattern_mismatch":
        subject = "a name " if KEY_MARK in loc else ""
        if ctx.get("pattern") == NAME_PATTERN:
            return f"{subject}may contain only {NAME_CHARACTERS}"
        return f"{subject}is not written in the expected form"
    worded = (_type_problem(kind, value, located, dotted)
              or _bound_problem(kind, ctx, value, located))
    if worded is not None:
        return worded
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message[:1].lower() + message[1:]
