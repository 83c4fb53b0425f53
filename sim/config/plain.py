"""Plain Python values for JSON: numpy scalars unwrapped, non-finite floats as ``null``.

Every JSON the command line prints or writes goes through :func:`json_ready` (strict JSON has
no NaN or Infinity, and ``json`` cannot encode numpy scalars); full precision is kept.
:func:`python_value` unwraps a single numpy scalar and nothing more — NaN stays NaN — for
stores that keep NaN on purpose (:mod:`sim.experiment.store`).

It lives in the configuration layer, the lowest, so that every layer can use it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np


def python_value(value: Any) -> Any:
    """A numpy scalar as the equivalent Python value; anything else unchanged."""
    return value.item() if isinstance(value, np.generic) else value


def json_ready(value: Any) -> Any:
    """``value`` — a scalar, or mappings and sequences of them, nested — as plain Python
    values: numpy scalars unwrapped, NaN and ±infinity as ``None``, tuples and arrays as lists."""
    if isinstance(value, Mapping):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    value = python_value(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
