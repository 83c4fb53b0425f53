"""Finding files: a claim the model makes, and the assumptions it might not survive.

A finding file (TOML, read with :mod:`tomllib`; nothing in it is executed) states a claim as
two scenarios, a KPI of the program total and a direction, then the uncertain parameters with
their plausible ranges and the size of the design::

    [finding]
    claim = "aggressive tone cures fewer accounts"
    a = "../../scenarios/aggressive_tone.toml"   # relative to this file
    b = "../../scenarios/baseline.toml"          # or a number in the KPI's unit
    kpi = "cure_rate"
    direction = "a < b"                          # a > b, a < b, a >= b, a <= b
    margin = 0.0                                 # optional, in the KPI's unit (default 0)

    [uncertain]                                  # dotted scenario paths, as --set names them
    "behaviour.stage.tone_keep" = [-1.5, 0.0]    # [low, high]; whole numbers: an integer field

    [design]
    points = 64                                  # Latin hypercube points over [uncertain]
    reps = 2                                     # replications of each scenario at each point
    seed = 0                                     # optional: the Latin hypercube's seed

``b`` may be a number instead of a scenario: the claim then compares scenario ``a``'s KPI
with that fixed value (a share as a fraction). Each uncertain value is applied to *both*
scenarios. Bounds written as two TOML integers make an integer parameter (sampled so that
every whole number in the range is equally likely, as in experiment files).

:func:`load_finding` validates everything before anything runs and reports every problem it
finds, one line each (:meth:`ScenarioError.several`): the file against pydantic models that
forbid unknown keys, the KPI against the registry (:mod:`sim.model.kpis`, listing the valid
names), the two scenario files with the command line's ``--set`` and ``--scale-collectors``,
and every uncertain path *by applying its low, middle and high values to both scenarios and
validating the result*, so an unknown path or a range a scenario refuses fails at once. A
parameter on which the two scenarios differ is refused too: one value for both would erase
the very difference the claim is about.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim import __version__
from sim.config.loading import (
    ScenarioError,
    apply_override,
    load_scenario,
    read_toml,
    scenario_hash,
    validate,
)
from sim.config.names import unknown_name
from sim.config.schema import Scenario
from sim.config.wording import plain_problem
from sim.experiment.experiment_file import Design, Factor
from sim.model.kpis import KPIS

DIRECTIONS = ("a > b", "a < b", "a >= b", "a <= b")
Dotted = Annotated[str, Field(min_length=1, max_length=200,
                              pattern=r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")]
Bound = int | float


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Claim(_Strict):
    """``[finding]``: the claim, as two scenarios (or a scenario and a value), a KPI and a
    direction."""

    claim: str = Field(min_length=1, max_length=500)
    a: str = Field(min_length=1)
    b: str | float = Field(union_mode="left_to_right")
    kpi: str = Field(min_length=1)
    direction: Literal["a > b", "a < b", "a >= b", "a <= b"]
    margin: float = Field(default=0.0, ge=0.0, allow_inf_nan=False)


class FindingDesign(_Strict):
    """``[design]``: how many Latin hypercube points and replications, and the sampling seed."""

    points: int = Field(ge=2, le=100_000)
    reps: int = Field(ge=1, le=1_000)
    seed: int = Field(default=0, ge=0, lt=2**63)


class FindingFile(_Strict):
    """A whole finding file."""

    finding: Claim
    uncertain: dict[Dotted, tuple[Bound, Bound]] = Field(min_length=1, max_length=100)
    design: FindingDesign


@dataclass(frozen=True)
class Finding:
    """A finding resolved against its scenarios: what to run and how to judge it.

    ``b`` is ``None`` when the claim compares scenario ``a`` with the fixed ``value``.
    """

    source: str
    spec: FindingFile
    a: Scenario
    b: Scenario | None
    a_file: str
    b_file: str | None
    factors: tuple[Factor, ...]

    @property
    def claim(self) -> str:
        """The claim in words."""
        return self.spec.finding.claim

    @property
    def kpi(self) -> str:
        """The KPI the claim is about (program total)."""
        return self.spec.finding.kpi

    @property
    def direction(self) -> str:
        """``a > b``, ``a < b``, ``a >= b`` or ``a <= b``."""
        return self.spec.finding.direction

    @property
    def margin(self) -> float:
        """The margin in the KPI's unit (see :func:`sim.experiment.robust.holds`)."""
        return self.spec.finding.margin

    @property
    def value(self) -> float | None:
        """The fixed value ``b`` stands for, when it is not a scenario."""
        b = self.spec.finding.b
        return None if isinstance(b, str) else float(b)

    @property
    def paths(self) -> list[str]:
        """The uncertain parameters' dotted paths, in file order."""
        return [f.path for f in self.factors]

    @property
    def ranges(self) -> dict[str, tuple[float, float]]:
        """Each uncertain parameter's plausible range ``(low, high)``."""
        return {f.path: f.bounds for f in self.factors if f.bounds is not None}

    @property
    def design(self) -> Design:
        """The Latin hypercube as an experiment design (:mod:`sim.experiment.design`)."""
        spec = self.spec.design
        return Design(kind="lhs", samples=spec.points, seed=spec.seed)

    @property
    def seed(self) -> int:
        """The seed of every run: scenario ``a``'s, so both scenarios share random numbers."""
        return self.a.scenario.seed

    def key(self, assignments: list[tuple[tuple[str, Any], ...]]) -> str:
        """SHA-256 of what determines the runs: both scenarios, the design points, the seed
        and the collectsim version. The KPI, direction and replications are left out, so a
        different claim on the same scenarios, or more replications, reuse stored runs."""
        canonical = json.dumps({
            "a": scenario_hash(self.a), "b": scenario_hash(self.b) if self.b else None,
            "seed": self.seed, "collectsim": __version__,
            "points": [list(map(list, a)) for a in assignments]},
            sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def resolved(self) -> dict[str, Any]:
        """The finding as resolved, for manifests."""
        return {"file": self.source, "finding": self.spec.model_dump(mode="json"),
                "a": {"file": self.a_file, "hash": scenario_hash(self.a),
                      "scenario": self.a.model_dump(mode="json")},
                "b": ({"file": self.b_file, "hash": scenario_hash(self.b),
                       "scenario": self.b.model_dump(mode="json")}
                      if self.b is not None else {"value": self.value}),
                "seed": self.seed}


@dataclass(frozen=True)
class CommandLine:
    """What the command line changes: ``--set`` overrides and ``--scale-collectors`` in both
    scenarios, and ``--points`` and ``--reps`` in place of the design's."""

    overrides: tuple[str, ...] = ()
    scale_collectors: bool = False
    points: int | None = None
    reps: int | None = None


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": [0, 1]}}`` as ``{"a.b": [0, 1]}``: dotted keys may be written quoted or
    as nested tables."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, path))
        else:
            flat[path] = value
    return flat


def _pydantic_problems(exc: ValidationError, label: str) -> list[ScenarioError]:
    problems = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error["loc"]]
        if loc[:1] == ["uncertain"] and len(loc) > 2:
            loc = loc[:2]  # the pair as a whole: "[low, high]"
        field = ".".join(loc) or None
        if error["type"] == "missing":
            problems.append(ScenarioError(label, field, "required field is missing"))
            continue
        if loc[:1] == ["uncertain"]:
            message = "must be [low, high], two numbers"
        elif loc == ["finding", "b"]:
            message = "must be a scenario file (a string) or a number in the KPI's unit"
        else:
            message = plain_problem(error, field or "", FindingFile)
        problems.append(ScenarioError(label, field, message, error.get("input"),
                                      show_got=True))
    unique = {str(p): p for p in problems}
    return list(unique.values())


def _scenario(label: str, field: str, base_dir: Path, name: str,
              command_line: CommandLine) -> tuple[str, Scenario]:
    path = base_dir / name
    if not path.is_file():
        raise ScenarioError(label, field, f"scenario file not found (looked for {path})", name)
    return str(path), load_scenario(path, command_line.overrides,
                                    scale_collectors=command_line.scale_collectors)


def _check_kpi(spec: FindingFile, label: str) -> list[ScenarioError]:
    names = [k.name for k in KPIS]
    if spec.finding.kpi not in names:
        return [ScenarioError(label, "finding.kpi", unknown_name("KPI", "KPIs", spec.finding.kpi,
                                                                 names), spec.finding.kpi)]
    return []


def _factors(spec: FindingFile, label: str) -> tuple[list[Factor], list[ScenarioError]]:
    factors, problems = [], []
    for path, (low, high) in spec.uncertain.items():
        where = f"uncertain.{path}"
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            problems.append(ScenarioError(label, where, "needs finite bounds with low < high",
                                          [low, high]))
            continue
        integer = isinstance(low, int) and isinstance(high, int)
        factors.append(Factor(path=path, bounds=(float(low), float(high)), integer=integer))
    return factors, problems


def _probe(factor: Factor) -> list[Any]:
    assert factor.bounds is not None
    low, high = factor.bounds
    values: list[Any] = [low, (low + high) / 2, high]
    return [round(v) for v in values] if factor.integer else values


_ABSENT = object()


def value_at(data: Any, path: str) -> Any:
    """The value at a dotted path of a scenario's data (agencies by name), or a marker
    object when there is none."""
    node = data
    for part in path.split("."):
        if isinstance(node, list):
            node = next((a for a in node if isinstance(a, dict) and a.get("name") == part),
                        _ABSENT)
        elif isinstance(node, dict):
            node = node.get(part, _ABSENT)
        else:
            return _ABSENT
        if node is _ABSENT:
            return _ABSENT
    return node


def _check_paths(factors: list[Factor], scenarios: list[tuple[str, Scenario]],
                 label: str) -> list[ScenarioError]:
    """Apply each factor's low, middle and high value to every scenario and validate; refuse
    a parameter on which the two scenarios differ (one value for both would erase the
    difference the claim is about)."""
    problems: list[ScenarioError] = []
    dumps = [scenario.model_dump(mode="json") for _, scenario in scenarios]
    for factor in factors:
        where = f"uncertain.{factor.path}"
        for file, scenario in scenarios:
            problem = _probe_one(factor, scenario, label, where, file)
            if problem is not None:
                problems.append(problem)
                break
        else:
            values = [value_at(d, factor.path) for d in dumps]
            if len(values) == 2 and values[0] != values[1]:
                problems.append(ScenarioError(
                    label, where, f"scenarios a and b differ here (a: {values[0]!r}, b: "
                    f"{values[1]!r}); one value for both would erase that difference, so "
                    "vary a parameter they share", factor.path))
    return problems


def _probe_one(factor: Factor, scenario: Scenario, label: str, where: str,
               file: str) -> ScenarioError | None:
    for value in _probe(factor):
        data = scenario.model_dump()
        try:
            apply_override(data, factor.path.split("."), value, label)
            validate(data, label)
        except ScenarioError as exc:
            if exc.problem.startswith(("unknown key", "no agency")) or exc.field is None:
                return ScenarioError(label, where, f"not a field of {file}: {exc.field}: "
                                     f"{exc.problem}", factor.path)
            return ScenarioError(label, where, f"{exc.field}: {exc.problem} in {file}", value)
    return None


def build_finding(data: dict[str, Any], label: str, base_dir: Path,
                  command_line: CommandLine = CommandLine()) -> Finding:
    """Validate finding data (as read from TOML) and resolve it; see the module docstring."""
    if isinstance(data.get("uncertain"), dict):
        data = {**data, "uncertain": _flatten(data["uncertain"])}
    design = data.get("design")
    if isinstance(design, dict):
        given = {"points": command_line.points, "reps": command_line.reps}
        data = {**data, "design": {**design, **{k: v for k, v in given.items()
                                                  if v is not None}}}
    try:
        spec = FindingFile.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError.several(_pydantic_problems(exc, label)) from None
    problems = _check_kpi(spec, label)
    factors, bad_bounds = _factors(spec, label)
    problems += bad_bounds
    scenarios: list[tuple[str, Scenario]] = []
    files: dict[str, str] = {}
    sides = [("a", spec.finding.a)]
    if isinstance(spec.finding.b, str):
        sides.append(("b", spec.finding.b))
    for side, name in sides:
        try:
            file, scenario = _scenario(label, f"finding.{side}", base_dir, name, command_line)
        except ScenarioError as exc:
            problems.append(exc)
            continue
        scenarios.append((file, scenario))
        files[side] = file
    if len(scenarios) == len(sides):
        problems += _check_paths(factors, scenarios, label)
    if problems:
        raise ScenarioError.several(problems)
    return Finding(source=label, spec=spec, a=scenarios[0][1],
                   b=scenarios[1][1] if len(scenarios) > 1 else None, a_file=files["a"],
                   b_file=files.get("b"), factors=tuple(factors))


def load_finding(path: str | Path, command_line: CommandLine = CommandLine()) -> Finding:
    """Read, validate and resolve a finding file (raises :class:`ScenarioError`)."""
    path = Path(path)
    data = read_toml(path)
    return build_finding(data, str(path), path.resolve().parent, command_line)
