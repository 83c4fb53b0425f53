"""Experiment files: what to vary, how, how many replications, which metrics.

An experiment file is TOML (read with :mod:`tomllib`; nothing in it is executed)::

    [experiment]
    name = "fee_by_collectors"
    scenario = "../scenarios/baseline.toml"   # relative to this file
    replications = 3
    metrics = ["netback_rate", "recovery_rate"]
    agency = "total"                           # or a list of agency names

    [overrides]                                # applied to the scenario before any factor
    portfolio.accounts = 4000
    agencies.alpha.collectors = 8

    [design]
    kind = "grid"                              # grid | lhs | sobol | morris

    [[factors]]
    path = "agencies.alpha.commission"         # dotted path, agencies by name (as --set)
    levels = [0.15, 0.20, 0.25]

``grid`` factors give ``levels`` (any TOML values) or ``bounds`` with ``steps``; ``lhs`` (Latin
hypercube, :mod:`scipy.stats.qmc`), ``sobol`` and ``morris`` (SALib) factors give numeric
``bounds = [low, high]``, optionally ``integer = true``. ``[design]`` takes ``samples`` (LHS
points, Sobol base samples *N*, a power of two, or Morris trajectories), a sampling ``seed``,
``second_order`` (Sobol), ``levels`` (Morris grid), ``resamples`` and ``confidence`` (bootstrap).

Every design point runs replications ``0 .. R-1`` with the same seed (the experiment's
``seed``, else the scenario's), so points are compared on common random numbers.

:func:`load_experiment` validates everything before anything runs: the file against pydantic
models that forbid unknown keys, the base scenario with the overrides, and every factor path
and value *by applying it to the base scenario and validating the result*, so a bad path or an
out-of-range bound fails at once with the one-line input error every command prints, raised as
:class:`~sim.config.loading.ScenarioError`.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim import __version__
from sim.config.capacity import explicit_collectors, scale_collectors
from sim.config.loading import (
    ScenarioError,
    apply_override,
    load_scenario,
    parse_override,
    read_toml,
    scenario_hash,
    validate,
)
from sim.config.names import unknown_name
from sim.config.schema import Scenario
from sim.config.wording import plain_problem
from sim.experiment.design import design_points
from sim.experiment.preflight import check_design
from sim.experiment.tasks import point_scenario
from sim.model.kpis import EXTRA_KPIS, KPI_NAMES
from sim.model.results import TOTAL

DEFAULT_METRICS = ("recovery_rate", "net_recovery", "netback_rate", "cx_index")
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]
Dotted = Annotated[str, Field(min_length=1, max_length=200,
                              pattern=r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")]
Level = str | bool | int | float


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExperimentInfo(_Strict):
    """``[experiment]``: the base scenario, replications, metrics and seed."""

    name: Name
    description: str = ""
    scenario: str = Field(min_length=1)
    replications: int = Field(default=1, ge=1, le=100_000)
    seed: int | None = Field(default=None, ge=0, lt=2**63)
    metrics: list[str] = Field(default_factory=lambda: list(DEFAULT_METRICS), min_length=1)
    agency: str | list[str] = TOTAL


class Design(_Strict):
    """``[design]``: how design points are chosen."""

    kind: Literal["grid", "lhs", "sobol", "morris"]
    samples: int | None = Field(default=None, ge=1, le=10_000_000)
    seed: int = Field(default=0, ge=0, lt=2**63)
    second_order: bool = False
    levels: int = Field(default=4, ge=2, le=100)
    resamples: int = Field(default=100, ge=10, le=100_000)
    confidence: float = Field(default=0.95, gt=0.5, lt=1.0)


class Factor(_Strict):
    """``[[factors]]``: one thing to vary, by dotted path."""

    path: Dotted
    name: str | None = Field(default=None, min_length=1, max_length=200)
    levels: list[Level] | None = Field(default=None, min_length=1)
    bounds: tuple[float, float] | None = None
    steps: int | None = Field(default=None, ge=2, le=10_000)
    integer: bool = False

    @property
    def label(self) -> str:
        """Column name of this factor in outputs (``name``, else the path)."""
        return self.name or self.path


class ExperimentFile(_Strict):
    """A whole experiment file."""

    experiment: ExperimentInfo
    overrides: dict[str, Any] = Field(default_factory=dict)
    design: Design
    factors: list[Factor] = Field(min_length=1, max_length=1000)


@dataclass
class Experiment:
    """An experiment resolved against its base scenario, with its design points."""

    source: str
    spec: ExperimentFile
    scenario_file: str
    base: Scenario
    seed: int
    points: pd.DataFrame
    assignments: list[tuple[tuple[str, Any], ...]]
    sample: np.ndarray | None

    @property
    def name(self) -> str:
        """The experiment's name."""
        return self.spec.experiment.name

    @property
    def replications(self) -> int:
        """Replications per design point."""
        return self.spec.experiment.replications

    @property
    def metrics(self) -> list[str]:
        """KPI names reported."""
        return list(self.spec.experiment.metrics)

    @property
    def agencies(self) -> list[str]:
        """Agencies whose KPIs are reported (``total`` by default)."""
        agency = self.spec.experiment.agency
        return [agency] if isinstance(agency, str) else list(agency)

    @property
    def factors(self) -> list[Factor]:
        """The factors, in file order."""
        return list(self.spec.factors)

    @property
    def key(self) -> str:
        """SHA-256 of what determines the runs: base scenario, design points, seed and the
        collectsim version.

        Replications and metrics are left out, so raising ``replications`` and resuming adds
        runs to the same store.
        """
        canonical = json.dumps({"scenario": scenario_hash(self.base), "seed": self.seed,
                                "collectsim": __version__,
                                "points": [list(map(list, a)) for a in self.assignments]},
                               sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def point_values(self, point: int) -> dict[str, Any]:
        """Factor values of design point ``point``, by factor label, as given to the model."""
        return {f.label: value for f, (_, value)
                in zip(self.spec.factors, self.assignments[point], strict=True)}

    def scenario_at(self, point: int) -> Scenario:
        """The validated scenario of design point ``point``."""
        return point_scenario(self.base, self.assignments[point], self.source)

    def resolved(self) -> dict[str, Any]:
        """The experiment as resolved, for manifests."""
        return {"file": self.source, "experiment": self.spec.model_dump(mode="json"),
                "scenario_file": self.scenario_file, "seed": self.seed,
                "base_scenario_hash": scenario_hash(self.base),
                "base_scenario": self.base.model_dump(mode="json"),
                "points": len(self.assignments), "key": self.key}


# --------------------------------------------------------------------------- loading


def _flatten(table: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key, value in table.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            items.extend(_flatten(value, path))
        else:
            items.append((path, value))
    return items


def _pydantic_error(exc: ValidationError, label: str) -> ScenarioError:
    error = exc.errors(include_url=False)[0]
    field = ".".join(str(part) for part in error["loc"]) or None
    if error["type"] == "missing":
        return ScenarioError(label, field, "required field is missing")
    message = plain_problem(error, field or "", ExperimentFile)
    return ScenarioError(label, field, message, error.get("input"), show_got=True)


def _check_design(spec: ExperimentFile, label: str) -> None:
    design, kind = spec.design, spec.design.kind
    seen: set[str] = set()
    for i, factor in enumerate(spec.factors):
        where = f"factors.{i}"
        if factor.label in seen:
            raise ScenarioError(label, f"{where}.path", "factor appears twice", factor.label)
        seen.add(factor.label)
        if factor.bounds is not None:
            low, high = factor.bounds
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                raise ScenarioError(label, f"{where}.bounds",
                                    "need finite bounds with low < high", list(factor.bounds))
            if factor.integer and not (low.is_integer() and high.is_integer()):
                raise ScenarioError(label, f"{where}.bounds",
                                    "integer factors need whole-number bounds",
                                    list(factor.bounds))
        if kind == "grid":
            if factor.levels is None and (factor.bounds is None or factor.steps is None):
                raise ScenarioError(label, f"{where}.levels",
                                    "a grid factor needs levels (or bounds and steps)")
            if factor.levels is not None and (factor.bounds or factor.steps):
                raise ScenarioError(label, f"{where}.bounds",
                                    "give either levels or bounds with steps, not both")
            if factor.levels is not None and len(set(map(repr, factor.levels))) \
                    != len(factor.levels):
                raise ScenarioError(label, f"{where}.levels", "levels repeat", factor.levels)
        else:
            if factor.levels is not None or factor.steps is not None:
                raise ScenarioError(label, f"{where}.levels",
                                    f"design {kind!r} samples within bounds; levels and steps "
                                    "are for grids")
            if factor.bounds is None:
                raise ScenarioError(label, f"{where}.bounds",
                                    f"design {kind!r} needs bounds = [low, high]")
    if kind == "grid" and design.samples is not None:
        raise ScenarioError(label, "design.samples", "a grid has no samples", design.samples)
    if kind != "grid" and design.samples is None:
        what = {"lhs": "points", "sobol": "base samples N", "morris": "trajectories"}[kind]
        raise ScenarioError(label, "design.samples", f"design {kind!r} needs samples ({what})")
    if kind == "lhs" and design.samples is not None and design.samples < 2:
        raise ScenarioError(label, "design.samples", "need at least 2 points", design.samples)
    if kind in ("sobol", "morris") and design.samples is not None and design.samples < 2:
        raise ScenarioError(label, "design.samples", "need at least 2", design.samples)
    if kind == "sobol" and design.samples is not None \
            and design.samples & (design.samples - 1):
        raise ScenarioError(label, "design.samples",
                            "Sobol base samples must be a power of two", design.samples)


def _check_metrics(spec: ExperimentFile, base: Scenario, label: str) -> None:
    known = (*KPI_NAMES, *EXTRA_KPIS)
    for metric in spec.experiment.metrics:
        if metric not in known:
            raise ScenarioError(label, "experiment.metrics",
                                unknown_name("KPI", "KPIs", metric, known), metric)
    names = [a.name for a in base.agencies] + [TOTAL]
    agency = spec.experiment.agency
    for name in [agency] if isinstance(agency, str) else agency:
        if name not in names:
            raise ScenarioError(label, "experiment.agency",
                                unknown_name("agency", "agencies", name, names), name)


def _load_base(spec: ExperimentFile, base_dir: Path, label: str,
               command_line: CommandLine) -> tuple[str, Scenario]:
    path = base_dir / spec.experiment.scenario
    if not path.exists():
        raise ScenarioError(label, "experiment.scenario", "file not found",
                            spec.experiment.scenario)
    scenario = load_scenario(path)
    data = scenario.model_dump()
    explicit: list[tuple[str, ...]] = []
    for dotted, value in _flatten(spec.overrides):
        try:
            apply_override(data, dotted.split("."), value, label)
        except ScenarioError as exc:
            raise ScenarioError(label, f"overrides.{dotted}", exc.problem) from None
        explicit.append(tuple(dotted.split(".")))
    for text in command_line.overrides:
        parts, value = parse_override(text)
        apply_override(data, parts, value, "--set")
        explicit.append(tuple(parts))
    if command_line.scale_collectors:
        scale_collectors(data, scenario.portfolio.accounts, explicit_collectors(explicit),
                         explicit_collectors(explicit, "fixed_monthly_cost"))
    from_command_line = {".".join(parse_override(text)[0]) for text in command_line.overrides}
    try:
        return str(path), validate(data, label)
    except ScenarioError as exc:
        if exc.field in from_command_line:
            raise ScenarioError("--set", exc.field, exc.problem, exc.got,
                                show_got=exc.got is not None) from None
        raise ScenarioError(label, f"overrides.{exc.field}", exc.problem, exc.got,
                            show_got=exc.got is not None) from None


def _probe_values(factor: Factor) -> list[Any]:
    if factor.levels is not None:
        return list(factor.levels)
    assert factor.bounds is not None
    low, high = factor.bounds
    values: list[Any] = [low, (low + high) / 2, high]
    if factor.integer:
        values = [round(v) for v in values]
    return values


def _check_factor_paths(spec: ExperimentFile, base: Scenario, label: str) -> None:
    for i, factor in enumerate(spec.factors):
        where = f"factors.{i}"
        values_field = f"{where}.levels" if factor.levels is not None else f"{where}.bounds"
        for value in _probe_values(factor):
            data = base.model_dump()
            try:
                apply_override(data, factor.path.split("."), value, label)
            except ScenarioError as exc:
                raise ScenarioError(label, f"{where}.path", exc.problem, factor.path) from None
            try:
                validate(data, label)
            except ScenarioError as exc:
                if exc.problem.startswith("unknown key"):
                    raise ScenarioError(label, f"{where}.path", f"{exc.field}: {exc.problem}",
                                        factor.path) from None
                raise ScenarioError(label, values_field, f"{exc.field}: {exc.problem}",
                                    value) from None


@dataclass(frozen=True)
class CommandLine:
    """What the command line changes in an experiment: ``--set`` overrides of the base
    scenario (after the file's ``[overrides]``), ``--reps`` in place of ``replications``, and
    ``--scale-collectors`` (:mod:`sim.config.capacity`, relative to the base scenario file)."""

    overrides: tuple[str, ...] = ()
    reps: int | None = None
    scale_collectors: bool = False


def build_experiment(data: dict[str, Any], label: str, base_dir: Path,
                     command_line: CommandLine = CommandLine()) -> Experiment:
    """Validate experiment data (as read from TOML) and resolve it; see the module docstring."""
    if command_line.reps is not None and isinstance(data.get("experiment"), dict):
        data = {**data, "experiment": {**data["experiment"],
                                       "replications": command_line.reps}}
    try:
        spec = ExperimentFile.model_validate(data)
    except ValidationError as exc:
        raise _pydantic_error(exc, label) from None
    _check_design(spec, label)
    check_design(spec.design, spec.factors, label)
    scenario_file, base = _load_base(spec, base_dir, label, command_line)
    _check_metrics(spec, base, label)
    _check_factor_paths(spec, base, label)
    sample, values = design_points(spec.design, spec.factors)
    paths = [f.path for f in spec.factors]
    assignments = [tuple(zip(paths, row, strict=True)) for row in values]
    points = pd.DataFrame(values, columns=[f.label for f in spec.factors])
    points.index.name = "point"
    seed = spec.experiment.seed if spec.experiment.seed is not None else base.scenario.seed
    return Experiment(source=label, spec=spec, scenario_file=scenario_file, base=base,
                      seed=seed, points=points, assignments=assignments, sample=sample)


def experiment_from_manifest(resolved: dict[str, Any], label: str) -> Experiment:
    """The experiment a sweep's ``manifest.json`` recorded (its ``experiment`` entry, written
    by :meth:`Experiment.resolved`), rebuilt without reading the experiment or scenario files:
    the design points are drawn again from the recorded design. Raises
    :class:`ScenarioError` when the entry is not one, or when the rebuilt experiment's key
    differs from the recorded one."""
    try:
        spec = ExperimentFile.model_validate(resolved["experiment"])
        # the manifest holds the scenario in JSON form (dates as text): read it as JSON
        base = Scenario.model_validate_json(json.dumps(resolved["base_scenario"]))
        seed = int(resolved["seed"])
        sample, values = design_points(spec.design, spec.factors)
        key = str(resolved["key"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ScenarioError(label, "experiment", f"is not a sweep manifest's experiment "
                            f"({type(exc).__name__}: {exc})") from None
    paths = [f.path for f in spec.factors]
    points = pd.DataFrame(values, columns=[f.label for f in spec.factors])
    points.index.name = "point"
    experiment = Experiment(source=str(resolved.get("file", label)), spec=spec,
                            scenario_file=str(resolved.get("scenario_file", "")), base=base,
                            seed=seed, points=points,
                            assignments=[tuple(zip(paths, row, strict=True)) for row in values],
                            sample=sample)
    if experiment.key != key:
        raise ScenarioError(label, "experiment.key", "does not match the experiment it "
                            "records (another collectsim version wrote it?)", key)
    return experiment


def load_experiment(path: str | Path, command_line: CommandLine = CommandLine()) -> Experiment:
    """Read, validate and resolve an experiment file, with what the command line changes
    (raises :class:`ScenarioError`)."""
    path = Path(path)
    data = read_toml(path)
    return build_experiment(data, str(path), path.resolve().parent, command_line)
