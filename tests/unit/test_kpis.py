"""The KPI registry (sim.model.kpis): every KPI described once, and formatted the same way by
every command that prints it (``run``, ``compare``, ``table``, ``sweep``) and by the report."""

from __future__ import annotations

import contextlib
import io
import math
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.cli.experiments import summary_text
from sim.cli.main import main
from sim.cli.run import json_payload, text_table
from sim.experiment.compare import Comparison, comparison_text, differences
from sim.experiment.replicate import summarise
from sim.experiment.table import markdown
from sim.model import results
from sim.model.kpis import (
    BY_NAME,
    EXTRA_KPIS,
    KPI_GROUPS,
    KPI_NAMES,
    KPIS,
    MISSING,
    MONEY_KPIS,
    Direction,
    Unit,
    format_difference,
    format_half,
    format_interval,
    format_value,
)
from sim.report import style

# One KPI of each unit, and values with more digits than any format shows.
SAMPLES = {
    "recovery_rate": (0.175641, 0.004123),
    "commission": (9161234.5678, 321987.654),
    "rule_violations": (2664.25, 57.33),
    "complaints_per_1000": (25.3456, 9.6123),
    "mean_days_to_first_rpc": (8.4567, 2.3456),
    "cx_index": (35.1234, 1.2345),
}


# --------------------------------------------------------------------------- registry


def test_every_kpi_has_one_entry_with_unit_direction_group_and_definition() -> None:
    names = [k.name for k in KPIS]
    assert len(names) == len(set(names))
    assert set(names) == set(KPI_NAMES) | set(EXTRA_KPIS)
    for name in (*KPI_NAMES, *EXTRA_KPIS):
        entry = BY_NAME[name]
        assert isinstance(entry.unit, Unit)
        assert isinstance(entry.direction, Direction)
        assert entry.definition and entry.label
    assert [k.name for k in KPIS if k.headline] == list(KPI_NAMES)


def test_constants_derive_from_the_registry_and_stay_importable_from_results() -> None:
    assert results.KPI_NAMES is KPI_NAMES
    assert {n: BY_NAME[n].definition for n in KPI_NAMES} == results.KPI_DOCS
    assert results.EXTRA_KPIS == EXTRA_KPIS
    assert results.MONEY_KPIS == MONEY_KPIS == {k.name for k in KPIS if k.unit is Unit.MONEY}
    grouped = [name for _, members in KPI_GROUPS for name in members]
    assert sorted(grouped) == sorted(BY_NAME)


def test_kpis_command_lists_name_unit_direction_and_definition() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["kpis"]) == 0
    lines = {line.split()[0]: line for line in out.getvalue().splitlines()[1:]}
    assert set(lines) == set(BY_NAME)
    for kpi in KPIS:
        line = lines[kpi.name]
        assert str(kpi.unit) in line and str(kpi.direction) in line
        assert line.endswith(kpi.definition)


# --------------------------------------------------------------------------- formats


@pytest.mark.parametrize(("name", "value", "averaged", "text"), [
    ("recovery_rate", 0.175641, False, "17.6%"),
    ("commission", 9161234.5678, False, "9,161,235"),
    ("commission", 12.345, True, "12"),
    ("rule_violations", 2664, False, "2,664"),
    ("rule_violations", 2664.25, True, "2,664.2"),
    ("accounts", 10012, False, "10,012"),
    ("complaints_per_1000", 25.3456, False, "25.3"),
    ("mean_days_to_first_attempt", 2.66, False, "2.7"),
    ("cx_index", 35.1234, True, "35.1"),
    ("ptp_kept_rate", math.nan, True, MISSING),
    ("collected", None, False, MISSING),
])
def test_values_in_their_unit(name: str, value: float, averaged: bool, text: str) -> None:
    assert format_value(name, value, averaged) == text


def test_half_widths_and_differences_are_in_the_same_unit() -> None:
    assert format_interval("recovery_rate", 0.175641, 0.004123) == "17.6% ±0.4"
    assert format_interval("commission", 9161234.5678, 321987.654) == "9,161,235 ±321,988"
    assert format_interval("rule_violations", 2664.25, 57.33) == "2,664.2 ±57.3"
    assert format_interval("cx_index", 35.1, math.nan) == "35.1"
    assert format_half("netback_rate", -0.0123) == "±1.2"
    assert format_difference("recovery_rate", -0.009289, 0.00518) == "-0.9 pp ±0.5"
    assert format_difference("commission", 1234.5678) == "+1,235"


def test_the_report_formats_with_the_registry() -> None:
    for name, (mean, half) in SAMPLES.items():
        assert style.format_interval(name, mean, half) == format_interval(name, mean, half)
        assert style.format_value(name, mean) == format_value(name, mean)


# --------------------------------------------------------------------------- commands


def _kpi_rows() -> pd.DataFrame:
    """Two replications of every KPI for agency ``alpha`` and the total: the SAMPLES' means
    with their 95% half-widths; every other KPI 1.0 and 3.0."""
    t = 12.706204736174707  # t(0.975, 1): half-width = t · |a − b| / 2
    rows = []
    for replication in (0, 1):
        for agency in ("alpha", "total"):
            row: dict[str, object] = {"seed": 1, "replication": replication, "agency": agency}
            for name in (*KPI_NAMES, *EXTRA_KPIS):
                mean, half = SAMPLES.get(name, (2.0, t))
                row[name] = mean + (half / t if replication else -half / t)
            rows.append(row)
    return pd.DataFrame(rows)


def _cells(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


def test_one_value_reads_the_same_in_run_compare_table_and_sweep() -> None:
    kpis = _kpi_rows()
    summary = summarise(kpis, list(SAMPLES))
    total = summary[summary["agency"] == "total"].set_index("metric")
    expected = {m: format_interval(m, total.loc[m, "mean"], total.loc[m, "ci95"])
                for m in SAMPLES}
    for metric, (mean, half) in SAMPLES.items():
        assert total.loc[metric, "mean"] == pytest.approx(mean)
        assert total.loc[metric, "ci95"] == pytest.approx(half)

    run_lines = text_table("s", 1, kpis, 2, 0.0, Path("out")).splitlines()
    run = {_cells(line)[0]: _cells(line)[-1] for line in run_lines[2:-1]}

    runs = pd.concat([kpis.assign(scenario=label) for label in ("a", "b")], ignore_index=True)
    compared = Comparison(
        labels=["a", "b"], seed=1, reps=2, agency="total", runs=runs,
        differences=differences(runs, ["a", "b"], list(SAMPLES)),
        summary=pd.concat([summary.assign(scenario=label) for label in ("a", "b")],
                          ignore_index=True).query("agency == 'total'"))
    compare_lines = comparison_text(compared).splitlines()
    compare = {_cells(line)[0]: _cells(line)[1] for line in compare_lines
               if line.split(" ")[0] in SAMPLES}

    table = pd.DataFrame([{"scenario": "a", "file": "a.toml", "metric": m,
                           "mean": total.loc[m, "mean"], "ci95": total.loc[m, "ci95"],
                           "reps": 2} for m in SAMPLES])
    header, _, row = markdown(table).splitlines()[:3]
    names = [cell.strip(" `") for cell in header.split("|")[2:-1]]
    tabled = dict(zip(names, [cell.strip() for cell in row.split("|")[2:-1]], strict=True))

    assert {m: run[m] for m in SAMPLES} == expected
    assert compare == expected
    assert tabled == expected


def test_an_empty_cell_is_explained_under_the_table_and_only_then() -> None:
    legend = f"{MISSING} no value: nothing to divide by or compare with"
    kpis = _kpi_rows()
    lines = text_table("s", 1, kpis, 2, 0.0, Path("out")).splitlines()
    assert MISSING not in "\n".join(lines) and legend not in lines
    one = kpis[kpis["replication"] == 0].assign(ptp_kept_rate=math.nan)  # no promise due
    lines = text_table("s", 1, one, 1, 0.0, Path("out")).splitlines()
    assert _cells(next(line for line in lines if line.startswith("ptp_kept_rate")))[1:] == [
        MISSING, MISSING]
    assert lines[-2:] == [legend, "results written to out/"]


def test_sweep_summary_uses_the_same_format() -> None:
    experiment = SimpleNamespace(name="e", points=pd.DataFrame({"fee": [0.2]}),
                                 replications=2, assignments=[()], agencies=["total"])
    summary = pd.DataFrame([{"point": 0, "fee": 0.2, "agency": "total", "metric": m,
                             "mean": mean, "ci95": half, "n": 2}
                            for m, (mean, half) in SAMPLES.items()])
    swept = SimpleNamespace(experiment=experiment, summary=summary, total=2, ran=2, resumed=0,
                            failed=0, seconds=0.0, backend="serial")

    lines = summary_text(swept).splitlines()  # type: ignore[arg-type]
    header, row = _cells(lines[1]), _cells(lines[2])
    shown = dict(zip(header, row, strict=True))
    for metric, (mean, half) in SAMPLES.items():
        assert shown[metric] == format_interval(metric, mean, half)


def test_json_keeps_full_precision() -> None:
    kpis = _kpi_rows()
    payload = json_payload("s", 1, kpis[kpis["replication"] == 0], 1)
    mean, half = SAMPLES["commission"]
    assert payload["kpis"]["total"]["commission"] == mean - half / 12.706204736174707
    assert isinstance(payload["kpis"]["total"]["recovery_rate"], float)
    assert not isinstance(payload["kpis"]["total"]["recovery_rate"], np.floating)
