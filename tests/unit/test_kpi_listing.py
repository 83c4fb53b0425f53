"""``collectsim kpis`` lists every KPI of the registry with its label, unit, direction and
definition, as a table or as JSON."""

from __future__ import annotations

import json

from support import call

from sim.model.kpis import KPIS


def test_kpis_json_lists_the_registry_in_order() -> None:
    status, out, err = call(["kpis", "--format", "json"])
    assert (status, err) == (0, "")
    listed = json.loads(out)
    assert [k["name"] for k in listed] == [k.name for k in KPIS]
    for entry, kpi in zip(listed, KPIS, strict=True):
        assert entry == {"name": kpi.name, "label": kpi.label, "unit": str(kpi.unit),
                         "direction": str(kpi.direction), "group": str(kpi.group),
                         "headline": kpi.headline, "definition": kpi.definition}


def test_kpis_table_has_one_aligned_row_per_kpi() -> None:
    status, out, err = call(["kpis"])
    assert (status, err) == (0, "")
    header, *rows = out.splitlines()
    assert header.split() == ["name", "label", "unit", "direction", "definition"]
    assert len(rows) == len(KPIS)
    label_at = header.index("label")
    unit_at = header.index("unit")
    for row, kpi in zip(rows, KPIS, strict=True):
        assert row.startswith(kpi.name + " ")
        assert row[label_at:].startswith(kpi.label + " ")
        assert row[unit_at:].startswith(str(kpi.unit) + " ")
        assert row.endswith(kpi.definition)
