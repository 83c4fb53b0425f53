"""The calibrated scenario ``calibrate`` writes, and the badge of a run that uses one.

:func:`calibrated_toml` writes ``calibrated.toml``: a scenario file that ``extends`` the
calibrated one by a path relative to the results folder and sets each calibrated field, by its
dotted path (agencies by name, as ``--set`` addresses them), to the posterior median — for a
common factor (:mod:`sim.experiment.fields`), the median times the field's value — rounded
for an integer field. Its ``[calibration]`` table (:mod:`sim.config.schema.calibration`)
records, per field, the targets file (relative to ``calibrated.toml``), the figures' source and
the 90% interval. ``--set`` overrides used while calibrating (a smaller portfolio, say) are
listed in a comment but not applied.

:func:`calibration_badge` reads that table back from any resolved scenario — one that extends a
``calibrated.toml`` inherits it — for the run's manifest and report: which values came from
which targets, and whether the scenario still uses the calibrated value (a later file or
``--set`` may have changed it).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.config.schema import Scenario
from sim.experiment.calibrate import Calibration
from sim.experiment.fields import assignments, field_value, is_factor, parameter_fields

BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(text: str) -> str:
    return text if BARE_KEY.match(text) else json.dumps(text)


def _value(value: Any) -> str:
    """A TOML literal (JSON strings, numbers and booleans are valid TOML)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"not a finite number: {value}")
    return json.dumps(value)


def _nested(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Dotted paths as nested tables, and agencies' fields by agency name."""
    tables: dict[str, Any] = {}
    agencies: dict[str, dict[str, Any]] = {}
    for path, value in values.items():
        parts = path.split(".")
        if parts[0] == "agencies" and len(parts) >= 3:
            node = agencies.setdefault(parts[1], {})
            parts = parts[2:]
        else:
            node = tables
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return tables, agencies


def _table_lines(prefix: str, table: Mapping[str, Any], lines: list[str]) -> None:
    scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
    if scalars:
        lines += ["", f"[{prefix}]", *(f"{_key(k)} = {_value(v)}" for k, v in scalars.items())]
    for key, value in table.items():
        if isinstance(value, dict):
            _table_lines(f"{prefix}.{_key(key)}", value, lines)


def calibrated_values(result: Calibration, scenario: Scenario) -> dict[str, float | int]:
    """Each calibrated field at its parameter's posterior median (a factor's median times the
    field's value in ``scenario``), rounded where the field is an integer."""
    out: dict[str, float | int] = {}
    for path, post in result.posterior().items():
        out.update(assignments(scenario, path, float(post["median"])))
    return out


def field_posteriors(result: Calibration, scenario: Scenario) -> dict[str, dict[str, Any]]:
    """Per calibrated field: median and 90% interval in the field's own units (a factor's
    quantiles times the field's value in ``scenario``), and whether its parameter is
    identified."""
    posterior, identifiable = result.posterior(), result.identifiable()
    out: dict[str, dict[str, Any]] = {}
    for path, post in posterior.items():
        for name, base in parameter_fields(scenario, path).items():
            scale = float(base) if is_factor(path) else 1.0
            out[name] = {"median": float(post["median"]) * scale,
                         "q05": float(post["q05"]) * scale, "q95": float(post["q95"]) * scale,
                         "identified": bool(identifiable[path])}
    return out


def calibrated_toml(result: Calibration, scenario: Scenario, scenario_file: Path,
                    targets_file: Path, source: str, out: Path,
                    overrides: Sequence[str] = ()) -> str:
    """The text of ``out/calibrated.toml`` (see the module docstring)."""
    folder = Path(out).resolve()
    parent = Path(os.path.relpath(Path(scenario_file).resolve(), folder)).as_posix()
    targets = Path(os.path.relpath(Path(targets_file).resolve(), folder)).as_posix()
    values = calibrated_values(result, scenario)
    posteriors = field_posteriors(result, scenario)
    lines = [f"# {scenario.scenario.name} at the posterior medians of `collectsim calibrate`,",
             f"# fitted to {targets} ({source}).",
             "# Only the calibrated fields are set; everything else comes from the scenario "
             "it extends."]
    if overrides:
        lines.append("# Calibrated with --set " + " --set ".join(overrides)
                     + " (not applied here).")
    lines += ["", f"extends = {_value(parent)}"]
    tables, agencies = _nested(values)
    for name, table in tables.items():
        _table_lines(_key(name), table, lines)
    for agency, fields in agencies.items():
        lines += ["", "[[agencies]]", f"name = {_value(agency)}"]
        lines += [f"{_key(k)} = {_value(v)}" for k, v in fields.items()
                  if not isinstance(v, dict)]
        for key, value in fields.items():
            if isinstance(value, dict):
                _table_lines(f"agencies.{_key(key)}", value, lines)
    for path in values:
        post = posteriors[path]
        lines += ["", f"[calibration.parameters.{_key(path)}]",
                  f"targets = {_value(targets)}", f"source = {_value(source)}",
                  f"median = {_value(post['median'])}",
                  f"q05 = {_value(post['q05'])}", f"q95 = {_value(post['q95'])}",
                  f"identified = {_value(post['identified'])}"]
    return "\n".join(lines) + "\n"


def calibration_badge(scenario: Scenario) -> dict[str, dict[str, Any]]:
    """Calibrated fields of a resolved scenario: targets file, source, median, 90% interval,
    whether identified, the value the scenario uses and whether that is still the median."""
    if scenario.calibration is None:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for path, entry in scenario.calibration.parameters.items():
        used = field_value(scenario, path)
        calibrated = isinstance(used, int | float) and not isinstance(used, bool) \
            and math.isclose(float(used), entry.median, rel_tol=1e-9, abs_tol=0.5
                             if isinstance(used, int) else 1e-12)
        out[path] = {"targets": entry.targets, "source": entry.source,
                     "median": entry.median, "q05": entry.q05, "q95": entry.q95,
                     "identified": entry.identified, "value": used,
                     "uses_calibrated_value": calibrated}
    return out
