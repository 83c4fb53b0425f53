"""The pieces of the Excel export: a scenario flattened to dotted paths, and number formats
taken from the KPI registry."""

from __future__ import annotations

import json

import pytest

from sim.model.kpis import KPIS, Unit
from sim.report.workbook import flatten, number_format


def test_flatten_names_agencies_and_keeps_plain_arrays_whole() -> None:
    scenario = {"scenario": {"name": "x", "seed": 3},
                "agencies": [{"name": "alpha", "shift": {"days": ["mon", "tue"]},
                              "commission_tiers": [{"rate": 0.2}, {"rate": 0.3}]}],
                "bank": {"second_placement": None, "allocation": {"routes": []}}}
    assert flatten(scenario) == [
        ("scenario.name", "x"), ("scenario.seed", 3),
        ("agencies.alpha.name", "alpha"), ("agencies.alpha.shift.days", '["mon", "tue"]'),
        ("agencies.alpha.commission_tiers.0.rate", 0.2),
        ("agencies.alpha.commission_tiers.1.rate", 0.3),
        ("bank.second_placement", None), ("bank.allocation.routes", json.dumps([]))]


@pytest.mark.parametrize("kpi", KPIS, ids=[k.name for k in KPIS])
def test_number_format_follows_each_kpi_unit_and_decimals(kpi) -> None:
    style = number_format(kpi)
    decimals = kpi.decimals()
    if kpi.unit in (Unit.SHARE, Unit.POINTS):  # a difference of shares is a percentage too
        assert style == "0" + ("." + "0" * decimals if decimals else "") + "%"
    else:
        assert style == "#,##0" + ("." + "0" * decimals if decimals else "")
    assert number_format(kpi, averaged=True).count("0") - style.count("0") == (
        kpi.decimals(True) - decimals)
