"""Experiments end to end: replications, backends, store, resume, paired comparison.

* replication r re-run alone equals replication r inside a batch, on any backend;
* serial, process-pool and dask (a real ``LocalCluster`` of 2 worker processes on loopback)
  give bit-identical KPIs, daily series and sweep tables;
* the sequential procedure chooses the same number of replications whatever the workers;
* a sweep killed with SIGKILL mid-way and resumed equals an uninterrupted sweep: no run lost,
  none duplicated;
* a run that fails is recorded with its error and the sweep goes on;
* on a shipped comparison, common random numbers give paired intervals narrower than the
  unpaired (Welch) ones.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from sim.cli.main import main
from sim.config.loading import load_scenario
from sim.experiment import compare, open_backend, replicate, sweep
from sim.experiment.experiment_file import load_experiment
from sim.model.replication import run_replication

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "scenarios" / "baseline.toml"
TINY = ["portfolio.accounts=300", "agencies.alpha.collectors=2", "agencies.beta.collectors=2",
        "scenario.horizon_days=20"]
VOLATILE = ["seconds", "worker"]  # timing and host:pid differ between runs by nature


def set_options(overrides: list[str]) -> list[str]:
    return [part for text in overrides for part in ("--set", text)]


def experiment_text(levels: str = "[0.2, 0.8]", replications: int = 3,
                    extra: str = "") -> str:
    return f"""
[experiment]
name = "tiny_sweep"
scenario = "{BASELINE}"
replications = {replications}
metrics = ["recovery_rate", "netback_rate", "complaints_per_1000"]
agency = ["alpha", "total"]

[overrides]
portfolio.accounts = 300
scenario.horizon_days = 20
agencies.alpha.collectors = 2
agencies.beta.collectors = 2

[design]
kind = "grid"

[[factors]]
path = "agencies.alpha.tone"
levels = {levels}

[[factors]]
path = "agencies.alpha.commission"
levels = [0.15, 0.25]
{extra}"""


@pytest.fixture(scope="module")
def tiny():
    return load_scenario(BASELINE, TINY)


@pytest.fixture(scope="module")
def experiment_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("exp") / "tiny.toml"
    path.write_text(experiment_text())
    return path


@pytest.fixture(scope="module")
def backends():
    """A process pool and a dask LocalCluster (2 worker processes each), shared by tests."""
    with open_backend("process", 2) as pool, open_backend("dask", 2) as cluster:
        yield {"process": pool, "dask": cluster}


def stable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=[c for c in VOLATILE if c in frame.columns])


def test_replication_alone_equals_inside_a_serial_batch(tiny):
    batch = replicate(tiny, 3, seed=99, backend="serial")
    alone = run_replication(tiny, 2, 99)
    assert_frame_equal(alone.kpis, batch.results[2].kpis, check_exact=True)
    assert_frame_equal(alone.daily, batch.results[2].daily, check_exact=True)
    assert [res.replication for res in batch.results] == [0, 1, 2]
    assert {"mean", "ci95", "low", "high"} <= set(batch.bands.columns)


@pytest.mark.slow
def test_replication_alone_equals_inside_batch(tiny, backends):
    batch = replicate(tiny, 4, seed=99, backend=backends["process"])
    for r in (0, 3):
        alone = run_replication(tiny, r, 99)
        assert_frame_equal(alone.kpis, batch.results[r].kpis, check_exact=True)
        assert_frame_equal(alone.daily, batch.results[r].daily, check_exact=True)
    assert [res.replication for res in batch.results] == [0, 1, 2, 3]


@pytest.mark.slow
def test_replicate_identical_on_every_backend(tiny, backends):
    serial = replicate(tiny, 4)
    for name in ("process", "dask"):
        other = replicate(tiny, 4, backend=backends[name])
        assert_frame_equal(serial.kpis, other.kpis, check_exact=True)
        assert_frame_equal(serial.daily, other.daily, check_exact=True)
        assert_frame_equal(serial.summary, other.summary, check_exact=True)
    assert {"mean", "ci95", "low", "high"} <= set(serial.bands.columns)


@pytest.mark.slow
def test_sweep_identical_on_every_backend(experiment_file, backends, tmp_path):
    experiment = load_experiment(experiment_file)
    results = {"serial": sweep(experiment, tmp_path / "serial", backend="serial")}
    for name in ("process", "dask"):
        results[name] = sweep(experiment, tmp_path / name, backend=backends[name])
    reference = results["serial"]
    assert reference.ran == 12 and reference.failed == 0
    for name in ("process", "dask"):
        assert_frame_equal(stable(reference.runs), stable(results[name].runs),
                           check_exact=True)
        assert_frame_equal(reference.summary, results[name].summary, check_exact=True)
        for file in ("runs.csv", "summary.csv"):
            left = pd.read_csv(tmp_path / "serial" / file)
            right = pd.read_csv(tmp_path / name / file)
            assert_frame_equal(stable(left), stable(right), check_exact=True)
        assert_frame_equal(pd.read_parquet(tmp_path / "serial" / "daily"),
                           pd.read_parquet(tmp_path / name / "daily"), check_exact=True)
    manifest = json.loads((tmp_path / "dask" / "manifest.json").read_text())
    assert manifest["experiment_key"] == experiment.key
    assert manifest["runs"]["total"] == 12
    assert "dask" in manifest["backend"] and "SALib" in manifest["versions"]


@pytest.mark.slow
def test_compare_identical_on_every_backend(tiny, backends):
    other = load_scenario(REPO / "scenarios" / "aggressive_tone.toml", TINY)
    serial = compare([tiny, other], reps=3, backend="serial")
    for name in ("process", "dask"):
        parallel = compare([tiny, other], reps=3, backend=backends[name])
        assert_frame_equal(serial.differences, parallel.differences, check_exact=True)
        assert_frame_equal(serial.runs, parallel.runs, check_exact=True)


@pytest.mark.slow
def test_target_precision_independent_of_workers(tiny, backends):
    serial = replicate(tiny, 3, targets=["recovery_rate=12%"], max_reps=40)
    pooled = replicate(tiny, 3, targets=["recovery_rate=12%"], max_reps=40,
                       backend=backends["process"])
    assert serial.target_reached and pooled.target_reached
    assert serial.reps == pooled.reps >= 3 + 5
    assert_frame_equal(serial.kpis, pooled.kpis, check_exact=True)
    target = serial.targets[0]
    assert target.achieved(serial.results) <= 0.12
    capped = replicate(tiny, 3, targets=["recovery_rate=0.0001"], max_reps=6)
    assert capped.reps == 6 and capped.target_reached is False


@pytest.mark.slow
def test_run_cli_parallel_matches_serial(tmp_path, capsys):
    argv = ["run", str(BASELINE), *set_options(TINY), "--reps", "3",
            "--format", "json", "--quiet"]
    assert main([*argv, "--out", str(tmp_path / "serial"), "--workers", "1"]) == 0
    serial = json.loads(capsys.readouterr().out)
    assert main([*argv, "--out", str(tmp_path / "pool")]) == 0  # default: every CPU, up to 3
    pooled = json.loads(capsys.readouterr().out)
    assert serial == pooled
    assert serial["reps"] == 3 and set(serial["kpis"]["total"]["recovery_rate"]) \
        == {"mean", "sd", "ci95"}
    for name in ("kpis.csv", "daily.parquet", "manifest.json", "daily_bands.parquet"):
        assert (tmp_path / "pool" / name).is_file()
    assert main([*argv, "--out", str(tmp_path / "t"), "--target-ci",
                 "recovery_rate=15%"]) == 0
    assert json.loads(capsys.readouterr().out)["reps"] >= 8
    assert main([*argv, "--max-reps", "5"]) == 2
    assert "--max-reps: only applies with --target-ci" in capsys.readouterr().err


def _ok_runs(store: Path) -> int:
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT COUNT(*) FROM runs WHERE status='ok'").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_sweep_killed_and_resumed_equals_uninterrupted(tmp_path):
    path = tmp_path / "exp.toml"
    path.write_text(experiment_text(levels="[0.1, 0.5, 0.9]", replications=4))
    experiment = load_experiment(path)
    total = len(experiment.assignments) * experiment.replications  # 24
    reference = sweep(experiment, tmp_path / "reference", backend="serial")

    out = tmp_path / "killed"
    command = [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out),
               "--backend", "serial", "--quiet"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=dict(os.environ))
    deadline = time.monotonic() + 60
    while _ok_runs(out / "runs.sqlite") < 4 and process.poll() is None \
            and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = _ok_runs(out / "runs.sqlite")
    assert process.returncode == -signal.SIGKILL, process.stderr.read() if process.stderr \
        else ""
    assert 4 <= before < total
    assert not (out / "runs.csv").exists()

    resumed = subprocess.run([*command[:-1], "--resume", "--quiet"], capture_output=True,
                             text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    with sqlite3.connect(out / "runs.sqlite") as db:
        rows = db.execute("SELECT COUNT(*), COUNT(DISTINCT point || '/' || replication) "
                          "FROM runs").fetchone()
    assert rows == (total, total)  # nothing lost, nothing duplicated
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs"]["resumed"] == before
    assert manifest["runs"]["ran_now"] == total - before
    assert_frame_equal(stable(pd.read_csv(out / "runs.csv")),
                       stable(reference.runs), check_exact=True, check_dtype=False)
    assert_frame_equal(pd.read_csv(out / "summary.csv"), reference.summary,
                       check_exact=True, check_dtype=False)
    assert_frame_equal(pd.read_parquet(out / "daily"), pd.read_parquet(
        tmp_path / "reference" / "daily"), check_exact=True)
    assert sorted(p.name for p in (out / "daily").iterdir()) == sorted(
        p.name for p in (tmp_path / "reference" / "daily").iterdir())


def test_failed_run_is_recorded_and_the_sweep_goes_on(tmp_path, capsys):
    extra = """
[[factors]]
path = "portfolio.days_past_due.low"
levels = [30, 80]

[[factors]]
path = "portfolio.days_past_due.high"
levels = [60, 90]
"""
    path = tmp_path / "exp.toml"
    path.write_text(experiment_text(levels="[0.2]", replications=1, extra=extra))
    out = tmp_path / "out"
    status = main(["sweep", str(path), "--out", str(out), "--backend", "serial", "--quiet"])
    captured = capsys.readouterr()
    assert status == 1
    assert "2 of 8 runs failed" in captured.err
    runs = pd.read_csv(out / "runs.csv")
    failed = runs[runs["status"] == "failed"]
    assert set(failed["portfolio.days_past_due.low"]) == {80}
    assert set(failed["portfolio.days_past_due.high"]) == {60}
    assert failed["error"].str.contains("low must not exceed high").all()
    assert (runs[runs["status"] == "ok"]["recovery_rate"] > 0).all()
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary[summary["n"] == 0]["failed"]) == {1}


@pytest.mark.slow
def test_paired_intervals_narrower_on_a_shipped_comparison(tmp_path, capsys):
    sets = set_options(TINY)
    status = main(["compare", str(BASELINE), str(REPO / "scenarios" / "aggressive_tone.toml"),
                   *sets, "--reps", "8", "--format", "json", "--backend", "serial",
                   "--out", str(tmp_path / "cmp")])
    assert status == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["base"] == "baseline" and payload["reps"] == 8
    kpis = payload["comparisons"][0]["kpis"]
    for metric in ("recovery_rate", "netback_rate", "collected", "cx_index"):
        row = kpis[metric]
        assert row["ci95"] < row["ci95_unpaired"], metric
        assert row["paired_to_unpaired"] < 1
        assert row["low"] <= row["diff"] <= row["high"]
    # the aggressive agencies' looser controls breach Regulation F well beyond replication noise
    assert kpis["conduct_breaches"]["significant"] and kpis["conduct_breaches"]["diff"] > 0
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    assert set(table["scenario"]) == {"aggressive_tone"}
    runs = pd.read_csv(tmp_path / "cmp" / "runs.csv")
    assert len(runs[runs["agency"] == "total"]) == 16


def test_compare_table_output(capsys):
    sets = set_options([s for s in TINY if "beta" not in s])
    assert main(["compare", str(BASELINE), str(REPO / "scenarios" / "single_agency.toml"),
                 *sets, "--reps", "3",
                 "--metric", "recovery_rate", "--metric", "netback_rate",
                 "--workers", "1", "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "single_agency vs baseline" in text and "±unpaired" in text
    assert "recovery_rate" in text and "cx_index" not in text


@pytest.mark.slow
def test_sweep_in_memory_writes_nothing(experiment_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    experiment = load_experiment(experiment_file)
    memory = sweep(experiment, backend="serial")
    assert list(tmp_path.iterdir()) == []
    stored = sweep(experiment, tmp_path / "out", backend="serial")
    assert_frame_equal(stable(memory.runs), stable(stored.runs), check_exact=True)
    assert_frame_equal(memory.daily, stored.daily, check_exact=True)
    assert len(memory.daily) == 12 * len(run_replication(experiment.base, 0).daily)
