"""The rows of a run's ``kpis.csv`` and ``summary.csv``: per agency, per segment and in total.

Both files have an ``agency`` and a ``segment`` column, and ``total`` in either means "all of
them":

- ``agency = <name>, segment = total``: one agency's accounts (every segment);
- ``agency = total, segment = <name>``: one segment's placed accounts, over all agencies
  (:attr:`sim.model.results.Results.segments`: each segment measured against its own part of
  the control group; figures only a desk has are empty);
- ``agency = total, segment = total``: the whole program.

``kpis.csv`` has one such row per replication, ``summary.csv`` one per KPI with its mean,
standard deviation, 95% Student-t half-width and number of replications. So "the agencies" are
the rows with ``segment == "total"`` and "the segments" those with ``segment != "total"``, and
:func:`split_rows` / :func:`join_rows` turn one form into the other. A folder written before
the ``segment`` column existed splits into its rows and no segment rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim.experiment.replicate import (
    daily_bands,
    kpi_columns,
    kpi_table,
    segment_table,
    summarise,
)
from sim.model.results import TOTAL, Results

AGENCY = "agency"
SEGMENT = "segment"
REPLICATION = "replication"


def join_rows(agencies: pd.DataFrame, segments: pd.DataFrame | None) -> pd.DataFrame:
    """One table of the agency rows (``agency`` column, plus ``total``) and the segment rows
    (``segment`` column), with both columns: ``total`` where a row covers every agency or every
    segment. Columns keep the order of ``agencies``, ``segment`` after ``agency``, and rows
    are grouped by replication when there is a ``replication`` column. A table
    without an ``agency`` column, or one that already has ``segment``, is returned as it is;
    segment rows without a ``segment`` column are left out."""
    if AGENCY not in agencies.columns or SEGMENT in agencies.columns:
        return agencies
    rows = agencies.copy()
    rows.insert(rows.columns.get_loc(AGENCY) + 1, SEGMENT, TOTAL)
    if segments is None or segments.empty or SEGMENT not in segments.columns:
        return rows
    extra = segments.copy()
    extra.insert(extra.columns.get_loc(SEGMENT), AGENCY, TOTAL)
    joined = pd.concat([rows, extra], ignore_index=True)[
        [*rows.columns, *[c for c in extra.columns if c not in rows.columns]]]
    if REPLICATION in joined.columns:  # each replication's rows together
        joined = joined.sort_values(REPLICATION, kind="stable", ignore_index=True)
    return joined


def split_rows(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The agency rows (``segment`` dropped) and the segment rows (``agency`` dropped) of a
    joined table; a table without a ``segment`` column is all agency rows (``None``)."""
    if SEGMENT not in table.columns or AGENCY not in table.columns:
        return table, None
    whole = table[SEGMENT].astype(str) == TOTAL
    agencies = table[whole].drop(columns=[SEGMENT]).reset_index(drop=True)
    segments = table[~whole].drop(columns=[AGENCY]).reset_index(drop=True)
    return agencies, segments


def kpi_rows(results: Sequence[Results]) -> pd.DataFrame:
    """``kpis.csv``: per replication, a row per agency, the total and a row per segment."""
    segments = segment_table(results)
    return join_rows(kpi_table(results),
                     segments.rename(columns={AGENCY: SEGMENT}) if not segments.empty
                     else None)


def summary_rows(kpis: pd.DataFrame) -> pd.DataFrame:
    """``summary.csv`` from ``kpis.csv``'s rows: per agency, segment and KPI, the mean, sd,
    95% half-width and replications (a table without ``segment`` summarises per agency)."""
    agencies, segments = split_rows(kpis)
    summary = summarise(agencies, kpi_columns(agencies))
    if segments is None:
        return summary
    per_segment = summarise(segments.rename(columns={SEGMENT: AGENCY}), kpi_columns(segments))
    return join_rows(summary, per_segment.rename(columns={AGENCY: SEGMENT}))


def write_run_outputs(folder: Path, results: Sequence[Results]) -> None:
    """``summary.csv`` (per agency, segment and KPI: mean, sd, ci95, n) and
    ``daily_bands.parquet`` of a ``collectsim run`` results folder (its figures are drawn by
    :mod:`sim.report`)."""
    summary_rows(kpi_rows(results)).to_csv(folder / "summary.csv", index=False)
    daily_bands(results).to_parquet(folder / "daily_bands.parquet", index=False)
