"""Calibration targets: a bank's own figures, and how precisely its portfolio measures them.

A targets file (TOML) states the observed portfolio's size, where the figures come from, KPI
values by registry name (:mod:`sim.model.kpis`) and, optionally, points of the liquidation
curve — the cumulative share of placed balance collected by given days of the placement::

    [targets]
    accounts = 20000                      # size of the observed portfolio
    source = "2025 placements, internal MI"
    [targets.kpis]
    rpc_rate = 0.18
    [targets.curve]
    days = [30, 60, 90]
    values = [0.08, 0.13, 0.17]
    [targets.sources]                     # optional: where each figure comes from
    rpc_rate = "dialler MI, 2025"
    curve = "finance ledger"

Each figure's sampling error at the observed size is what a calibration weighs it by
(:func:`sampling_sd`): a share ``p`` measured on ``N`` accounts has standard deviation
``sqrt(p(1 - p) / N)`` (binomial); a rate ``r`` per 1,000 accounts, a Poisson count of
``r·N/1000`` events, has ``sqrt(1000·r / N)``. Curve points are shares of the same ``N``
accounts. Shares whose denominator is not the accounts (call attempts, conversations) are
treated the same way, which understates their precision; KPIs in other units (money, days,
counts, the index) have no sampling model here and are refused.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.config.loading import ScenarioError
from sim.model.kpis import BY_NAME, Unit

CURVE_PREFIX = "recovery_to_date_day_"
MEASURABLE_UNITS = (Unit.SHARE, Unit.PER_1000)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class CurveTargets(_Strict):
    """Points of the cumulative liquidation curve: share of placed balance collected by day."""

    days: list[int] = Field(min_length=1)
    values: list[float] = Field(min_length=1)

    @model_validator(mode="after")
    def _matching(self) -> CurveTargets:
        if len(self.days) != len(self.values):
            raise ValueError(f"values: needs one value per day ({len(self.days)} days)")
        if any(d < 1 for d in self.days) or any(b <= a for a, b in zip(self.days, self.days[1:],
                                                                      strict=False)):
            raise ValueError("days: must be positive and increasing")
        if any(not 0.0 < v < 1.0 for v in self.values):
            raise ValueError("values: each must be a share strictly between 0 and 1")
        return self


class TargetSet(_Strict):
    """The ``[targets]`` table."""

    accounts: int = Field(gt=0)
    source: str = Field(min_length=1)
    kpis: dict[str, float] = Field(default_factory=dict)
    curve: CurveTargets | None = None
    sources: dict[str, str] = Field(default_factory=dict)


class TargetsFile(_Strict):
    """A whole targets file: one ``[targets]`` table."""

    targets: TargetSet


@dataclass(frozen=True)
class Targets:
    """Observed figures by statistic name, with the sampling error of each."""

    path: str
    accounts: int
    source: str
    observed: dict[str, float]
    sd: dict[str, float]
    curve_days: tuple[int, ...]
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """The statistics a simulation must report, in file order."""
        return list(self.observed)


def sampling_sd(unit: Unit, value: float, accounts: int) -> float:
    """Standard deviation of a figure in ``unit`` measured on ``accounts`` accounts."""
    if unit is Unit.PER_1000:
        return math.sqrt(1000.0 * value / accounts)
    return math.sqrt(value * (1.0 - value) / accounts)


def target_metric(name: str) -> str:
    """The KPI whose unit and format statistic ``name`` takes (a curve point: a share of the
    placed balance, as ``recovery_rate``)."""
    return "recovery_rate" if name.startswith(CURVE_PREFIX) else name


def curve_name(day: int) -> str:
    """The statistic name of the liquidation curve's point at ``day``."""
    return f"{CURVE_PREFIX}{day}"


def _check_kpi(path: str, name: str, value: float) -> None:
    field = f"targets.kpis.{name}"
    kpi = BY_NAME.get(name)
    if kpi is None:
        raise ScenarioError(path, field, "not a KPI (see `collectsim kpis`)", name)
    if kpi.unit not in MEASURABLE_UNITS:
        raise ScenarioError(path, field, f"a KPI in {kpi.unit} has no sampling error to weigh "
                            "it by; use a share or a rate per 1,000 accounts", value)
    if kpi.unit is Unit.SHARE and not 0.0 < value < 1.0:
        raise ScenarioError(path, field, "a share must be strictly between 0 and 1", value)
    if kpi.unit is Unit.PER_1000 and not 0.0 < value < math.inf:
        raise ScenarioError(path, field, "a rate per 1,000 accounts must be positive", value)


def _first_problem(path: str, exc: ValidationError, data: Any) -> ScenarioError:
    error = exc.errors()[0]
    location = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    got = error.get("input", data)
    if ": " in message and error["type"] == "value_error":
        inner, message = message.split(": ", 1)
        location = f"{location}.{inner}" if location else inner
        got = got.get(inner) if isinstance(got, dict) else got
    return ScenarioError(path, location or None, message, got)


def load_targets(path: str | Path) -> Targets:
    """Read and check a targets file; every problem is a one-line :class:`ScenarioError`."""
    label = str(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(label, None, f"cannot read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(label, None, f"not valid TOML: {exc}") from None
    try:
        parsed = TargetsFile.model_validate(data).targets
    except ValidationError as exc:
        raise _first_problem(label, exc, data) from None
    observed: dict[str, float] = {}
    sd: dict[str, float] = {}
    for name, value in parsed.kpis.items():
        _check_kpi(label, name, value)
        observed[name] = value
        sd[name] = sampling_sd(BY_NAME[name].unit, value, parsed.accounts)
    days: tuple[int, ...] = ()
    if parsed.curve is not None:
        days = tuple(parsed.curve.days)
        for day, value in zip(parsed.curve.days, parsed.curve.values, strict=True):
            observed[curve_name(day)] = value
            sd[curve_name(day)] = sampling_sd(Unit.SHARE, value, parsed.accounts)
    if not observed:
        raise ScenarioError(label, "targets", "names no figure: give [targets.kpis] or "
                            "[targets.curve]")
    sources: dict[str, str] = {}
    for name, text in parsed.sources.items():
        if name != "curve" and name not in parsed.kpis:
            raise ScenarioError(label, f"targets.sources.{name}", "names no figure of "
                                "[targets.kpis] (or \"curve\")", text)
        for statistic in ([curve_name(d) for d in days] if name == "curve" else [name]):
            sources[statistic] = text
    return Targets(label, parsed.accounts, parsed.source, observed, sd, days, sources)
