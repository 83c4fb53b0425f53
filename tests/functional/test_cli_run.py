"""``collectsim run`` end to end: the JSON and table output, the results folder it writes, and
the command as a subprocess (exit status, one-line errors, nothing written on bad input).

Simulations here are tiny (a few hundred accounts, a few weeks) so each run takes about a second.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from support import (
    AGENCIES,
    BASELINE,
    PNG_MAGIC,
    SMALL,
    SMALL_OVERRIDES,
    TINY,
    TOTAL,
    assert_bad_input,
    bad_scenario_files,
    call,
    entries,
    read_kpis,
    read_segment_kpis,
    run_process,
)

from sim.config.loading import load_scenario, scenario_hash
from sim.model.results import KPI_NAMES

# --------------------------------------------------------------------------- run: happy path


def _run_json(out: Path, *extra: str) -> tuple[int, str, str]:
    return call(["run", BASELINE, *SMALL, "--out", out, "--format", "json", "--workers", "1",
                 *extra])


@pytest.fixture(scope="module")
def one_rep(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("one_rep")
    out = base / "res"
    status, stdout, stderr = _run_json(out)
    return {"status": status, "stdout": stdout, "stderr": stderr, "out": out}


@pytest.fixture(scope="module")
def three_reps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("three_reps")
    out = base / "res"
    status, stdout, stderr = _run_json(out, "--reps", "3")
    return {"status": status, "stdout": stdout, "stderr": stderr, "out": out}


def test_run_json_exit_status_and_shape(one_rep: dict[str, Any]) -> None:
    assert one_rep["status"] == 0, one_rep["stderr"]
    assert one_rep["stderr"] == ""            # progress is off when stderr is not a terminal
    payload = json.loads(one_rep["stdout"])
    assert set(payload) == {"scenario", "seed", "reps", "kpis"}
    assert payload["scenario"] == "baseline"
    assert payload["seed"] == load_scenario(BASELINE).scenario.seed
    assert payload["reps"] == 1
    # the baseline holds out 10% as a control group, and has three segments
    assert set(payload["kpis"]) == {"total", "control", "agencies", "segments"}
    assert set(payload["kpis"]["agencies"]) == set(AGENCIES)
    assert set(KPI_NAMES) <= set(payload["kpis"]["control"])


def test_run_json_has_every_kpi_as_a_number(one_rep: dict[str, Any]) -> None:
    kpis = json.loads(one_rep["stdout"])["kpis"]
    groups = {TOTAL: kpis["total"], **kpis["agencies"]}
    for name, group in groups.items():
        assert set(KPI_NAMES) <= set(group), (name, set(KPI_NAMES) - set(group))
        for kpi in KPI_NAMES:
            value = group[kpi]
            assert value is None or (isinstance(value, int | float)
                                     and not isinstance(value, bool)), (name, kpi, value)


def test_run_json_totals_add_up(one_rep: dict[str, Any]) -> None:
    kpis = json.loads(one_rep["stdout"])["kpis"]
    total, agencies = kpis["total"], kpis["agencies"]
    # portfolio.accounts=300 was asked for, the control group held out of them
    assert total["accounts"] + kpis["control"]["accounts"] == 300
    for kpi in ("accounts", "balance_placed", "collected", "commission", "waived"):
        assert total[kpi] == pytest.approx(sum(a[kpi] for a in agencies.values()), rel=1e-9,
                                           abs=1e-6), kpi
    assert total["recovery_rate"] == pytest.approx(total["collected"] / total["balance_placed"])


def test_run_kpis_csv_has_rows_per_agency_per_segment_and_in_total(one_rep: dict[str, Any]
                                                                    ) -> None:
    written = pd.read_csv(one_rep["out"] / "kpis.csv")
    assert list(written.columns[:4]) == ["seed", "replication", "agency", "segment"]
    kpis = json.loads(one_rep["stdout"])["kpis"]
    expected = {*((a, TOTAL) for a in (*AGENCIES, TOTAL)),
                *((TOTAL, s) for s in kpis["segments"])}
    assert sorted(zip(written["agency"], written["segment"], strict=True)) == sorted(expected)
    segments = read_segment_kpis(one_rep["out"]).set_index("segment")
    for name, group in kpis["segments"].items():  # the same numbers as run --format json
        for kpi in KPI_NAMES:
            value = segments.loc[name, kpi]
            if group[kpi] is None:
                assert not np.isfinite(value), (name, kpi)
            else:
                assert value == pytest.approx(group[kpi], rel=1e-9, abs=1e-12), (name, kpi)
    assert segments["accounts"].sum() == kpis["total"]["accounts"]


def test_run_kpis_csv(one_rep: dict[str, Any]) -> None:
    table = read_kpis(one_rep["out"])
    assert len(table) == len(AGENCIES) + 1
    assert sorted(table["agency"]) == sorted([*AGENCIES, TOTAL])
    assert set(KPI_NAMES) <= set(table.columns)
    assert {"replication", "seed"} <= set(table.columns)
    assert set(table["replication"]) == {0}
    kpis = json.loads(one_rep["stdout"])["kpis"]
    for _, row in table.iterrows():
        group = kpis["total"] if row["agency"] == TOTAL else kpis["agencies"][row["agency"]]
        for kpi in KPI_NAMES:
            if group[kpi] is None:
                assert not np.isfinite(row[kpi]), kpi
            else:
                assert row[kpi] == pytest.approx(group[kpi], rel=1e-9, abs=1e-12), kpi


def test_run_daily_parquet(one_rep: dict[str, Any]) -> None:
    daily = pd.read_parquet(one_rep["out"] / "daily.parquet")
    assert {"day", "agency", "collected_to_date"} <= set(daily.columns)
    assert set(daily["agency"]) == {*AGENCIES, TOTAL}
    horizon = 20
    for _, group in daily.groupby("agency"):
        assert group["day"].is_unique
        assert group["day"].min() >= 0 and group["day"].max() <= horizon
        assert group["collected_to_date"].is_monotonic_increasing
    kpis = read_kpis(one_rep["out"]).set_index("agency")
    last = daily.sort_values("day").groupby("agency")["collected_to_date"].last()
    for agency in (*AGENCIES, TOTAL):
        assert last[agency] == pytest.approx(kpis.loc[agency, "collected"], rel=1e-9, abs=0.01)


def test_run_manifest(one_rep: dict[str, Any]) -> None:
    manifest = json.loads((one_rep["out"] / "manifest.json").read_text())
    resolved = load_scenario(BASELINE, SMALL_OVERRIDES)
    assert manifest["scenario_hash"] == scenario_hash(resolved)
    assert manifest["scenario"] == resolved.model_dump(mode="json")
    assert manifest["seed"] == resolved.scenario.seed
    assert manifest["overrides"] == SMALL_OVERRIDES
    versions = manifest["versions"]
    assert {"python", "collectsim", "numpy", "pandas", "simpy"} <= set(versions)
    assert all(isinstance(v, str) and v for v in versions.values())


def test_run_figure_is_a_png(one_rep: dict[str, Any]) -> None:
    png = one_rep["out"] / "liquidation_curve.png"
    assert png.read_bytes()[:8] == PNG_MAGIC
    assert png.stat().st_size > 1000


def test_run_folder_has_no_accounts_file_and_no_temporary_siblings(
        one_rep: dict[str, Any]) -> None:
    out = one_rep["out"]
    names = entries(out)
    assert {"kpis.csv", "daily.parquet", "manifest.json", "liquidation_curve.png"} <= set(names)
    assert "accounts.parquet" not in names
    assert not [n for n in names if n.startswith(".")]
    assert entries(out.parent) == ["res"]


@pytest.mark.slow
def test_run_three_reps_json_summaries(three_reps: dict[str, Any]) -> None:
    assert three_reps["status"] == 0, three_reps["stderr"]
    payload = json.loads(three_reps["stdout"])
    assert payload["reps"] == 3
    table = read_kpis(three_reps["out"])
    groups = {TOTAL: payload["kpis"]["total"], **payload["kpis"]["agencies"]}
    assert set(groups) == {*AGENCIES, TOTAL}
    for agency, group in groups.items():
        rows = table[table["agency"] == agency]
        assert len(rows) == 3
        for kpi in KPI_NAMES:
            summary = group[kpi]
            assert set(summary) == {"mean", "sd", "ci95"}, (agency, kpi)
            values = rows[kpi].to_numpy(dtype=float)
            values = values[np.isfinite(values)]
            if len(values) == 0:
                assert summary["mean"] is None
                continue
            assert summary["mean"] == pytest.approx(values.mean(), rel=1e-9, abs=1e-12)
            if len(values) > 1:
                assert summary["sd"] == pytest.approx(values.std(ddof=1), rel=1e-9, abs=1e-12)
                assert summary["ci95"] is not None and summary["ci95"] >= 0
                if summary["sd"] > 0:
                    assert summary["ci95"] > summary["sd"] / np.sqrt(len(values))


@pytest.mark.slow
def test_run_three_reps_files(three_reps: dict[str, Any]) -> None:
    out = three_reps["out"]
    table = read_kpis(out)
    assert len(table) == 3 * (len(AGENCIES) + 1)
    assert sorted(table.groupby(["replication", "agency"]).size().index.tolist()) == sorted(
        (r, a) for r in range(3) for a in (*AGENCIES, TOTAL))
    daily = pd.read_parquet(out / "daily.parquet")
    assert set(daily["replication"]) == {0, 1, 2}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["replications"] == [0, 1, 2]
    # Replications use different random streams: the placed portfolios differ.
    totals = table[table["agency"] == TOTAL]["balance_placed"]
    assert totals.nunique() == 3


@pytest.mark.slow
def test_run_accounts_file(tmp_path: Path) -> None:
    out = tmp_path / "res"
    status, _, stderr = _run_json(out, "--write-accounts")
    assert status == 0, stderr
    assert "deprecated" not in stderr
    accounts = pd.read_parquet(out / "accounts.parquet")
    assert len(accounts) == 300
    assert set(accounts["replication"]) == {0}


@pytest.mark.slow
def test_rerun_replaces_the_folder_completely(tmp_path: Path) -> None:
    out = tmp_path / "res"
    # the old spelling still writes the file, with a note saying what to write instead
    status, first_stdout, stderr = _run_json(out, "--accounts")
    assert status == 0, stderr
    assert "note: --accounts is deprecated and will be removed in the next release; write " \
        "--write-accounts\n" in stderr
    assert (out / "accounts.parquet").exists()
    first_entries = set(entries(out))
    first_kpis = (out / "kpis.csv").read_text()
    (out / "sub").mkdir()  # not written by collectsim: the folder is kept
    status, _, stderr = _run_json(out)
    assert status == 2 and "holds 'sub'" in stderr
    (out / "sub").rmdir()

    status, second_stdout, stderr = _run_json(out)
    assert status == 0, stderr
    assert set(entries(out)) == first_entries - {"accounts.parquet"}
    assert {"kpis.csv", "daily.parquet", "manifest.json", "liquidation_curve.png"} <= set(
        entries(out))
    assert entries(tmp_path) == ["res"]           # no .res.*.partial / .res.*.old siblings
    assert (out / "kpis.csv").read_text() == first_kpis       # same seed, same results
    assert json.loads(second_stdout) == json.loads(first_stdout)


@pytest.mark.slow
def test_run_seed_option(tmp_path: Path, one_rep: dict[str, Any]) -> None:
    out = tmp_path / "nested" / "deeper" / "res"          # missing parents are created
    status, stdout, stderr = _run_json(out, "--seed", "7")
    assert status == 0, stderr
    payload = json.loads(stdout)
    assert payload["seed"] == 7
    assert json.loads((out / "manifest.json").read_text())["seed"] == 7
    table = read_kpis(out)
    assert set(table["seed"]) == {7}
    default = json.loads(one_rep["stdout"])
    assert default["seed"] != 7
    assert payload["kpis"]["total"]["balance_placed"] != \
        default["kpis"]["total"]["balance_placed"]


@pytest.mark.slow
def test_run_table_format_and_default_folder(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    status, stdout, stderr = call(["run", BASELINE, *TINY])
    assert status == 0, stderr
    default_out = tmp_path / "results" / "baseline"
    assert (default_out / "kpis.csv").exists()
    assert entries(tmp_path / "results") == ["baseline"]
    for kpi in KPI_NAMES:
        assert kpi in stdout
    for agency in (*AGENCIES, TOTAL):
        assert agency in stdout
    assert "results written to" in stdout
    with pytest.raises(json.JSONDecodeError):
        json.loads(stdout)


# --------------------------------------------------------------------------- real processes


@pytest.mark.slow
def test_process_validate_ok(tmp_path: Path) -> None:
    done = run_process(["validate", BASELINE], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "baseline" in done.stdout


@pytest.mark.slow
def test_process_validate_bad_file_has_no_traceback(tmp_path: Path) -> None:
    path, field = bad_scenario_files(tmp_path)["agency_typo"]
    done = run_process(["validate", path], tmp_path)
    line = assert_bad_input(done.returncode, done.stdout, done.stderr, str(path))
    assert f": {field}: " in line


@pytest.mark.slow
def test_process_run_bad_override_writes_nothing(tmp_path: Path) -> None:
    done = run_process(["run", BASELINE, "--set", "agencies.gamma.collectors=3",
                        "--out", tmp_path / "res"], tmp_path)
    assert_bad_input(done.returncode, done.stdout, done.stderr, "agencies.gamma")
    assert entries(tmp_path) == []


@pytest.mark.slow
def test_process_usage_error_is_one_line(tmp_path: Path) -> None:
    done = run_process(["run", BASELINE, "--reps", "many"], tmp_path)
    assert_bad_input(done.returncode, done.stdout, done.stderr, "--reps")
    assert entries(tmp_path) == []


@pytest.mark.slow
def test_process_run_out_current_directory_is_bad_input(tmp_path: Path) -> None:
    """``--out .`` cannot be replaced by a results folder: reject it, don't crash."""
    (tmp_path / "keep.txt").write_text("mine")
    done = run_process(["run", BASELINE, *TINY, "--out", "."], tmp_path)
    assert_bad_input(done.returncode, done.stdout, done.stderr, "--out")
    assert entries(tmp_path) == ["keep.txt"]


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_process_run_out_in_unwritable_place_is_bad_input(tmp_path: Path) -> None:
    """A results folder that cannot be created is bad input: one line, exit 2, no traceback."""
    done = run_process(["run", BASELINE, *TINY, "--out", "/proc/collectsim-results"], tmp_path)
    assert_bad_input(done.returncode, done.stdout, done.stderr, "collectsim-results")
