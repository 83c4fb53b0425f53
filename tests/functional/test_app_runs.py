"""The what-if page's engine without a browser: background replications that match ``run``'s,
the cache by scenario hash, cancelling at a replication boundary, the paired comparison, the
KPI cards and the downloads."""

from __future__ import annotations

import re
import zipfile

import numpy as np
import pandas as pd
import pytest
from support import BASELINE, TINY

from sim.app import views
from sim.app.exports import Exports
from sim.app.runs import ResultCache, RunJob, RunRequest, RunStatus
from sim.config.loading import load_scenario
from sim.experiment.intervals import paired_difference
from sim.experiment.kpi_rows import kpi_rows
from sim.experiment.replicate import kpi_table, replicate
from sim.model.kpis import KPIS, MISSING, format_difference

TINY_SET = [TINY[i + 1] for i in range(0, len(TINY), 2)]
HEADLINE = [k.name for k in KPIS if k.headline]


@pytest.fixture(scope="module")
def tiny():
    return load_scenario(BASELINE, TINY_SET)


def _run(request: RunRequest, cache: ResultCache) -> RunJob:
    job = RunJob(request, cache)
    job.start()
    job.join(timeout=120)
    assert not job.is_alive()
    return job


def test_a_job_gives_runs_replications_and_answers_again_from_the_cache(tiny) -> None:
    cache = ResultCache()
    request = RunRequest(tiny, reps=3, seed=11, backend="serial")
    job = _run(request, cache)
    progress = job.progress()
    assert (progress.status, progress.done, progress.total) == (RunStatus.FINISHED, 3, 3)
    expected = kpi_table(replicate(tiny, 3, 11).results)
    pd.testing.assert_frame_equal(kpi_table(job.results()), expected)
    again = _run(request, cache)
    assert again.progress().total == 0 and again.progress().status is RunStatus.FINISHED
    assert [id(r) for r in again.results()] == [id(r) for r in job.results()]
    more = _run(RunRequest(tiny, reps=4, seed=11, backend="serial"), cache)
    assert more.progress().total == 1  # only the missing replication runs
    other_seed = RunJob(RunRequest(tiny, reps=3, seed=12, backend="serial"), cache)
    assert other_seed.progress().total == 3


def test_cancel_stops_at_a_replication_boundary_and_keeps_what_finished(tiny) -> None:
    cache = ResultCache()
    job = RunJob(RunRequest(tiny, reps=400, seed=3, backend="serial"), cache)
    job.start()
    while job.progress().done < 1:
        job.join(timeout=0.05)
    job.cancel()
    job.join(timeout=60)
    progress = job.progress()
    assert progress.status is RunStatus.CANCELLED
    assert 1 <= progress.done < 400
    assert len(job.results()) == progress.done
    assert [r.replication for r in job.results()] == list(range(progress.done))


def test_a_job_cancelled_before_it_starts_runs_nothing(tiny) -> None:
    job = RunJob(RunRequest(tiny, reps=5, seed=3, backend="serial"), ResultCache())
    job.cancel()
    job.start()
    job.join(timeout=30)
    assert job.progress().status is RunStatus.CANCELLED and job.results() == []


def test_a_bad_replication_fails_the_job_in_one_line(tiny, monkeypatch) -> None:
    def broken(task):
        raise RuntimeError("no room")

    monkeypatch.setattr("sim.app.runs.run_full", broken)
    job = _run(RunRequest(tiny, reps=2, seed=3, backend="serial"), ResultCache())
    progress = job.progress()
    assert progress.status is RunStatus.FAILED
    assert "RuntimeError: no room" in progress.error and "\n" not in progress.error


def test_cards_fill_from_dashes_to_values_to_intervals(tiny) -> None:
    job = _run(RunRequest(tiny, reps=3, seed=5, backend="serial"), ResultCache())
    results = job.results()
    empty = views.kpi_cards([])
    assert empty.count('class="kpi"') == len(HEADLINE)
    assert all(f'id="kpi-{name}"' in empty for name in HEADLINE)
    assert empty.count(f'<div class="kpi-value">{MISSING}</div>') == len(HEADLINE)
    one = views.kpi_cards(results[:1])
    assert re.search(r'id="kpi-recovery_rate"[^>]*data-n="1".*?kpi-value">[\d.]+%</div>',
                     one)
    three = views.kpi_cards(results)
    match = re.search(r'id="kpi-recovery_rate" data-mean="([^"]+)" data-ci95="([^"]+)" '
                      r'data-n="3"><div class="kpi-label">[^<]*</div>'
                      r'<div class="kpi-value">([^<]+)</div>', three)
    assert match, three[:400]
    values = [r.kpi("recovery_rate") for r in results]
    assert float(match.group(1)) == pytest.approx(np.mean(values))
    assert re.fullmatch(r"[\d.]+% ±[\d.]+", match.group(3))


def test_the_comparison_is_the_paired_difference_on_common_random_numbers(tiny) -> None:
    moved = load_scenario(BASELINE, [*TINY_SET, "agencies.alpha.tone=0.9"])
    job = _run(RunRequest(moved, reps=3, seed=5, base=tiny, backend="serial"), ResultCache())
    current, base = job.results(0), job.results(1)
    assert [r.replication for r in current] == [r.replication for r in base] == [0, 1, 2]
    html = views.comparison_table(current, base)
    d = paired_difference(np.array([r.kpi("complaints_per_1000") for r in base]),
                          np.array([r.kpi("complaints_per_1000") for r in current]))
    row = re.search(r'<tr data-metric="complaints_per_1000">(.*?)</tr>', html)
    assert row and format_difference("complaints_per_1000", d.diff, d.ci95) in row.group(1)
    assert views.comparison_table(current, []) == ""


@pytest.mark.slow
def test_downloads_are_runs_folder_report_and_workbook(tiny, tmp_path) -> None:
    job = _run(RunRequest(tiny, reps=2, seed=5, backend="serial",
                          overrides=("agencies.alpha.tone=0.9",)), ResultCache())
    exports = Exports(str(BASELINE))
    try:
        folder = exports.folder(tiny, job.request.overrides, job.results(), 5, 1.0)
        assert exports.folder(tiny, job.request.overrides, job.results(), 5, 1.0) == folder
        with zipfile.ZipFile(exports.archive(folder)) as archive:
            names = set(archive.namelist())
        assert {f"{folder.name}/{n}" for n in ("kpis.csv", "summary.csv", "manifest.json",
                                               "collectsim.json", "daily.parquet")} <= names
        assert any(n.endswith("liquidation_curve.png") for n in names)
        report = exports.report(folder).read_text(encoding="utf-8")
        assert report.startswith("<!DOCTYPE html>") and re.search(r"<section id=.summary.", report)
        sheets = pd.read_excel(exports.workbook(folder), sheet_name=None)
        assert {"KPIs", "summary", "inputs"} <= set(sheets)
        pd.testing.assert_frame_equal(
            pd.read_csv(folder / "kpis.csv"),
            kpi_rows(job.results()).reset_index(drop=True), check_dtype=False)
    finally:
        exports.close()
    assert not exports.root.exists()
