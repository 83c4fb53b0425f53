"""A results folder as one Excel workbook, for planners who work in spreadsheets.

:func:`write_workbook` reads a results folder the way the report does
(:func:`sim.report.folder.open_folder`, so a folder that is not one is refused with the same
one-line error) and writes one ``.xlsx`` file with openpyxl, atomically
(:func:`sim.experiment.files.atomic_write`). Its sheets, by kind of folder:

- ``run``: ``KPIs`` (``kpis.csv``: one row per replication and agency, segment or total),
  ``summary`` (``summary.csv``: per agency, segment or total and KPI: mean, sd, 95%
  half-width, n), ``segments`` (the segment rows of ``kpis.csv``: one row per replication ×
  segment, when the folder has them), ``daily`` (``daily.parquet``), ``reports``
  (``reports.csv``), ``scorecard`` (the review rows of ``allocation.csv``: per review and
  agency its share after the review, its score and, under a balanced scorecard, each
  component and its score; when allocation reviews agencies) and ``inputs`` (the resolved
  scenario of ``manifest.json``, one row per dotted path, agencies by name);
- ``compare``: ``comparison`` (paired differences), ``summary``, ``KPIs`` (``runs.csv``) and
  ``inputs`` (one column per scenario);
- ``sweep`` and ``sensitivity``: ``summary``, ``KPIs`` (``runs.csv``), ``indices`` (if any),
  ``experiment`` (the experiment file as resolved) and ``inputs`` (its base scenario).

Every value is the number in the file (to the 15 significant digits Excel keeps); only its
display follows the KPI
registry (:mod:`sim.model.kpis`): shares as percentages, money and counts with thousands
separators, each with the registry's decimals. In tables with a ``metric`` column (summaries,
comparisons) each row's figures take that metric's format. The header row is bold and frozen,
and every column is as wide as its longest entry (up to :data:`MAX_WIDTH` characters).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sim.config.loading import ScenarioError
from sim.experiment.files import atomic_write
from sim.experiment.kpi_rows import join_rows
from sim.experiment.marker import EXPORT_FILE
from sim.model.kpis import BY_NAME, Kpi, Unit
from sim.report.figures_allocation import review_rows
from sim.report.folder import ResultsFolder, open_folder, read_csv

MAX_WIDTH = 60
"""Widest a column is set, in characters."""
WIDTH_SAMPLE = 2000
"""Rows read to size a column."""
FIGURE_COLUMNS = ("mean", "sd", "ci95", "base_mean", "diff", "low", "high")
"""Columns of a long table (one row per metric) shown in the row's metric's format."""


@dataclass(frozen=True)
class Sheet:
    """One worksheet: its name and table."""

    name: str
    table: pd.DataFrame


def number_format(kpi: Kpi, averaged: bool = False) -> str:
    """The Excel number format of a KPI's values: ``0.0%`` for a share, ``#,##0`` for money,
    ``#,##0.0`` for a rate, with the registry's decimals."""
    decimals = kpi.decimals(averaged)
    fraction = "." + "0" * decimals if decimals else ""
    if kpi.unit in (Unit.SHARE, Unit.POINTS):  # a difference of shares shows as one too
        return f"0{fraction}%"
    return f"#,##0{fraction}"


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """A resolved scenario (or any JSON value) as ``(dotted.path, value)`` rows: tables key
    by key, agencies (entries with a ``name``) by name, other arrays of tables by position,
    arrays of plain values as one JSON cell."""
    if isinstance(value, Mapping):
        rows: list[tuple[str, Any]] = []
        for key, item in value.items():
            rows += flatten(item, f"{prefix}.{key}" if prefix else str(key))
        return rows
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        rows = []
        for index, item in enumerate(value):
            name = item.get("name")
            rows += flatten(item, f"{prefix}.{name if isinstance(name, str) else index}")
        return rows
    if isinstance(value, list):
        return [(prefix, json.dumps(value))]
    return [(prefix, value)]


def _inputs(scenarios: Mapping[str, Any]) -> pd.DataFrame:
    """One row per dotted path, one column per scenario (``value`` if only one)."""
    columns = {label: dict(flatten(scenario)) for label, scenario in scenarios.items()}
    paths = list(dict.fromkeys(path for rows in columns.values() for path in rows))
    names = ["value"] if len(columns) == 1 else list(columns)
    table = pd.DataFrame({"path": paths})
    for name, rows in zip(names, columns.values(), strict=True):
        table[name] = [rows.get(path) for path in paths]
    return table


def _file(folder: ResultsFolder, name: str) -> pd.DataFrame | None:
    path = folder.path / name
    if path.is_symlink() or not path.is_file():
        return None
    return read_csv(path)


def _joined(agencies: pd.DataFrame | None, segments: pd.DataFrame | None
            ) -> pd.DataFrame | None:
    """The rows per agency, per segment and in total, as ``kpis.csv`` and ``summary.csv``
    hold them (:func:`~sim.experiment.kpi_rows.join_rows`)."""
    return None if agencies is None else join_rows(agencies, segments)


def sheets(folder: ResultsFolder) -> list[Sheet]:
    """The worksheets of a results folder, in order (see the module docstring); tables the
    folder lacks are left out."""
    manifest = folder.manifest
    found: list[tuple[str, pd.DataFrame | None]] = []
    if folder.run is not None:
        run = folder.run
        found += [("KPIs", _joined(run.kpis, run.segments)),
                  ("summary", _joined(run.summary, run.segment_summary)),
                  ("segments", run.segments), ("daily", run.daily),
                  ("reports", _file(folder, "reports.csv")),
                  ("scorecard", review_rows(run.allocation))]
        scenario = manifest.get("scenario")
        if isinstance(scenario, Mapping):
            found.append(("inputs", _inputs({folder.run.scenario: scenario})))
    elif folder.compare is not None:
        data = folder.compare
        found += [("comparison", data.differences), ("summary", data.summary),
                  ("KPIs", data.runs)]
        scenarios = {str(s.get("label")): s.get("scenario") for s in manifest.get(
            "scenarios", []) if isinstance(s, Mapping) and isinstance(s.get("scenario"),
                                                                      Mapping)}
        if scenarios:
            found.append(("inputs", _inputs(scenarios)))
    elif folder.sweep is not None:
        data_sweep = folder.sweep
        found += [("summary", data_sweep.summary), ("KPIs", data_sweep.runs),
                  ("indices", data_sweep.indices)]
        resolved = manifest.get("experiment")
        if isinstance(resolved, Mapping):
            spec = resolved.get("experiment")
            if isinstance(spec, Mapping):
                found.append(("experiment", _inputs({"experiment": spec})))
            base = resolved.get("base_scenario")
            if isinstance(base, Mapping):
                found.append(("inputs", _inputs({"base scenario": base})))
    return [Sheet(name, table) for name, table in found if table is not None]


def _cell(value: Any) -> Any:
    """A value openpyxl writes: numpy scalars unwrapped, missing as empty, other objects as
    text."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, bool | int | float | str | dt.date | dt.datetime):
        return value
    return str(value)


def _write_sheet(sheet: Worksheet, table: pd.DataFrame) -> None:
    columns = [str(c) for c in table.columns]
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row in table.itertuples(index=False, name=None):
        sheet.append([_cell(v) for v in row])
    _format_numbers(sheet, table, columns)
    for index, column in enumerate(columns, start=1):
        sample = table[table.columns[index - 1]].head(WIDTH_SAMPLE)
        longest = max([len(column), *(len(str(_cell(v) if _cell(v) is not None else ""))
                                      for v in sample)])
        sheet.column_dimensions[get_column_letter(index)].width = min(MAX_WIDTH, longest + 2)


def _format_numbers(sheet: Worksheet, table: pd.DataFrame, columns: Sequence[str]) -> None:
    """Registry formats: a KPI column in its unit; in a long table, each row's figure columns
    in that row's metric's unit (a mean over replications)."""
    rows = len(table)
    for index, column in enumerate(columns, start=1):
        kpi = BY_NAME.get(column)
        if kpi is None:
            continue
        style = number_format(kpi)
        for (cell,) in sheet.iter_rows(min_row=2, max_row=rows + 1, min_col=index,
                                       max_col=index):
            cell.number_format = style
    if "metric" not in columns:
        return
    figures = [columns.index(c) + 1 for c in FIGURE_COLUMNS if c in columns]
    for offset, metric in enumerate(table["metric"].astype(str), start=2):
        kpi = BY_NAME.get(metric)
        if kpi is None:
            continue
        style = number_format(kpi, averaged=True)
        for index in figures:
            sheet.cell(row=offset, column=index).number_format = style


def build_workbook(folder: ResultsFolder) -> Workbook:
    """The workbook of a results folder (in memory)."""
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for sheet in sheets(folder):
        _write_sheet(book.create_sheet(sheet.name), sheet.table)
    return book


def write_workbook(path: str | Path, out: str | Path | None = None) -> Path:
    """Write the workbook of the results folder at ``path`` to ``out`` (default
    ``<path>/results.xlsx``), atomically; return where it was written.

    Raises :class:`~sim.config.loading.ScenarioError` when ``path`` is not a results folder or
    ``out`` cannot be written.
    """
    folder = open_folder(path)
    target = Path(out) if out is not None else folder.path / EXPORT_FILE
    if target.suffix.lower() != ".xlsx":
        raise ScenarioError("--out", None, "must name an .xlsx file", str(target))
    if target.is_dir():
        raise ScenarioError("--out", None, "is a folder; name an .xlsx file", str(target))
    if not target.parent.is_dir():
        raise ScenarioError("--out", None, "its folder does not exist", str(target))
    book = build_workbook(folder)
    try:
        return atomic_write(target, lambda tmp: book.save(tmp))
    except OSError as exc:
        raise ScenarioError(str(target), None, f"cannot write: {exc.strerror or exc}") from None
