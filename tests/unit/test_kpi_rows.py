"""The rows of a run's ``kpis.csv`` and ``summary.csv``: per agency, per segment and in total,
told apart by the ``agency`` and ``segment`` columns (``total`` in either: all of them), and
split back into the agency rows and the segment rows a report and a workbook read."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.experiment.kpi_rows import join_rows, split_rows, summary_rows
from sim.experiment.replicate import summarise

SEGMENTS = ("money_management", "income_shock")


def agency_rows() -> pd.DataFrame:
    rows = [{"seed": 7, "replication": r, "agency": a, "recovery_rate": 0.1 * (r + 1) + i,
             "collector_utilization": 0.5 + 0.1 * r}
            for r in range(3) for i, a in enumerate(("alpha", "beta", "total"))]
    return pd.DataFrame(rows)


def segment_rows() -> pd.DataFrame:
    rows = [{"seed": 7, "replication": r, "segment": s, "recovery_rate": 0.05 * (r + 1) + i,
             "collector_utilization": np.nan}  # a figure only a desk has
            for r in range(3) for i, s in enumerate(SEGMENTS)]
    return pd.DataFrame(rows)


def test_joined_rows_name_agency_and_segment_with_total_for_all_of_them() -> None:
    joined = join_rows(agency_rows(), segment_rows())
    assert list(joined.columns) == ["seed", "replication", "agency", "segment", "recovery_rate",
                                    "collector_utilization"]
    pairs = set(zip(joined["agency"], joined["segment"], strict=True))
    assert pairs == {("alpha", "total"), ("beta", "total"), ("total", "total"),
                     ("total", "money_management"), ("total", "income_shock")}
    assert joined["replication"].is_monotonic_increasing  # each replication's rows together
    assert len(joined) == 3 * 5


def test_split_gives_back_the_agency_and_the_segment_rows() -> None:
    agencies, segments = split_rows(join_rows(agency_rows(), segment_rows()))
    pd.testing.assert_frame_equal(agencies, agency_rows())
    assert segments is not None
    pd.testing.assert_frame_equal(segments.sort_values(["replication", "segment"],
                                                       ignore_index=True),
                                  segment_rows().sort_values(["replication", "segment"],
                                                             ignore_index=True))


def test_a_table_from_before_the_segment_column_is_all_agency_rows() -> None:
    old = agency_rows()
    agencies, segments = split_rows(old)
    assert segments is None and agencies is old
    summary = summary_rows(old)
    pd.testing.assert_frame_equal(summary, summarise(old, ["recovery_rate",
                                                           "collector_utilization"]))


def test_joining_without_segment_rows_adds_only_the_column() -> None:
    joined = join_rows(agency_rows(), None)
    assert set(joined["segment"]) == {"total"}
    assert join_rows(joined, segment_rows()) is joined  # already joined: left as it is


def test_summary_has_mean_and_interval_per_agency_and_per_segment() -> None:
    summary = summary_rows(join_rows(agency_rows(), segment_rows()))
    assert list(summary.columns) == ["agency", "segment", "metric", "mean", "sd", "ci95", "n"]
    row = summary[(summary["segment"] == "income_shock")
                  & (summary["metric"] == "recovery_rate")].iloc[0]
    values = np.array([0.05, 0.10, 0.15]) + 1
    assert row["agency"] == "total"
    assert row["mean"] == pytest.approx(values.mean())
    assert row["sd"] == pytest.approx(values.std(ddof=1))
    assert row["ci95"] == pytest.approx(4.302652729749464 * values.std(ddof=1) / np.sqrt(3))
    assert row["n"] == 3
    desk_only = summary[(summary["segment"] == "income_shock")
                        & (summary["metric"] == "collector_utilization")].iloc[0]
    assert np.isnan(desk_only["mean"]) and desk_only["n"] == 0
    agencies, segments = split_rows(summary)
    assert set(agencies["agency"]) == {"alpha", "beta", "total"}
    assert segments is not None and set(segments["segment"]) == set(SEGMENTS)
