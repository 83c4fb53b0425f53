"""The one JSON helper (sim.config.plain): plain Python values, non-finite floats as null."""

from __future__ import annotations

import json
import math

import numpy as np

from sim.config.plain import json_ready, python_value


def test_non_finite_floats_become_null() -> None:
    assert json_ready(math.nan) is None
    assert json_ready(math.inf) is None
    assert json_ready(-math.inf) is None
    assert json_ready(np.float64("nan")) is None
    assert json_ready(np.float32("inf")) is None


def test_numpy_scalars_become_python_values() -> None:
    for value, kind in ((np.int64(7), int), (np.float64(0.1), float), (np.bool_(True), bool),
                        (np.int32(-3), int), (np.str_("alpha"), str)):
        plain = json_ready(value)
        assert type(plain) is kind
        assert plain == value.item()
    assert json_ready(np.float64(0.1)) == 0.1  # full precision kept


def test_nested_containers_are_cleaned_and_strict_json() -> None:
    value = {"a": [np.float64(1.5), (np.int64(2), math.nan)], "b": {"c": np.array([1.0, np.inf])},
             "d": None, "e": "text"}
    plain = json_ready(value)
    assert plain == {"a": [1.5, [2, None]], "b": {"c": [1.0, None]}, "d": None, "e": "text"}
    json.dumps(plain, allow_nan=False)  # raises on anything strict JSON cannot hold


def test_python_value_unwraps_but_keeps_nan() -> None:
    assert type(python_value(np.float64(2.5))) is float
    assert math.isnan(python_value(np.float64("nan")))
    marker = object()
    assert python_value(marker) is marker
