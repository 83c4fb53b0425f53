"""``collectsim export RESULTS_DIR --format xlsx``: one workbook per results folder that
pandas reads back with the folder's own numbers, formatted by the KPI registry."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from support import BASELINE, GOOD_EXPERIMENT, ROOT, TINY, assert_bad_input, call, write

from sim.model.kpis import BY_NAME, KPIS, Unit
from sim.report.folder import read_csv

RELATIVE = 1e-14  # Excel keeps 15 significant digits


def _same(book: pd.DataFrame, csv: pd.DataFrame) -> None:
    """The sheet holds the table of the CSV: same columns, same values to Excel's precision."""
    assert list(book.columns) == list(csv.columns)
    assert len(book) == len(csv)
    for column in csv.columns:
        if pd.api.types.is_numeric_dtype(csv[column]) and not pd.api.types.is_bool_dtype(
                csv[column]):
            pd.testing.assert_series_equal(book[column].astype(float),
                                           csv[column].astype(float), rtol=RELATIVE,
                                           check_names=False)
        else:
            assert book[column].astype(str).tolist() == csv[column].astype(str).tolist()


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "run"
    status, _, err = call(["run", BASELINE, *TINY, "--reps", "2", "--workers", "1", "--out", out,
                           "--quiet", "--no-figures"])
    assert status == 0, err
    return out


def test_run_folder_workbook_has_the_folder_numbers(run_folder: Path) -> None:
    status, out, err = call(["export", run_folder, "--format", "xlsx"])
    assert (status, err) == (0, "")
    path = run_folder / "results.xlsx"
    assert out == f"workbook written to {path}\n"
    book = pd.read_excel(path, sheet_name=None, engine="openpyxl")
    assert list(book) == ["KPIs", "summary", "segments", "daily", "reports", "inputs"]
    _same(book["KPIs"], read_csv(run_folder / "kpis.csv"))
    _same(book["summary"], read_csv(run_folder / "summary.csv"))
    kpis = read_csv(run_folder / "kpis.csv")  # the segment sheet holds its segment rows
    segments = kpis[kpis["segment"] != "total"].drop(columns=["agency"]).reset_index(drop=True)
    _same(book["segments"], segments)
    _same(book["segments"], read_csv(run_folder / "segments.csv"))
    assert set(book["segments"]["segment"]) == {"money_management", "income_shock",
                                                "misunderstanding"}
    _same(book["reports"], read_csv(run_folder / "reports.csv"))
    daily = pd.read_parquet(run_folder / "daily.parquet")
    assert len(book["daily"]) == len(daily)
    assert book["daily"]["collected_to_date"].tolist() == pytest.approx(
        daily["collected_to_date"].tolist(), rel=RELATIVE)
    inputs = dict(zip(book["inputs"]["path"], book["inputs"]["value"], strict=True))
    assert inputs["portfolio.accounts"] == 60
    assert inputs["agencies.alpha.collectors"] == 1
    assert inputs["scenario.name"] == "baseline"
    assert inputs["agencies.beta.shift.days"] == '["mon", "tue", "wed", "thu", "fri"]'


def test_a_run_folder_without_segment_rows_gets_no_segments_sheet(run_folder: Path,
                                                                   tmp_path: Path) -> None:
    old = tmp_path / "old"  # as written before kpis.csv had segment rows and segments.csv
    shutil.copytree(run_folder, old)
    (old / "segments.csv").unlink()
    for name in ("kpis.csv", "summary.csv"):
        table = read_csv(old / name)
        table[table["segment"] == "total"].drop(columns=["segment"]).to_csv(old / name,
                                                                            index=False)
    (old / "results.xlsx").unlink(missing_ok=True)
    assert call(["export", old])[0] == 0
    book = openpyxl.load_workbook(old / "results.xlsx", read_only=True)
    assert book.sheetnames == ["KPIs", "summary", "daily", "reports", "inputs"]


def test_run_workbook_formats_follow_the_kpi_registry(run_folder: Path) -> None:
    path = run_folder / "results.xlsx"
    call(["export", run_folder])
    book = openpyxl.load_workbook(path)
    kpis = book["KPIs"]
    header = [cell.value for cell in kpis[1]]
    assert all(cell.font.bold for cell in kpis[1])
    assert kpis.freeze_panes == "A2"
    for kpi in KPIS:
        if kpi.name not in header:
            continue
        cell = kpis.cell(row=2, column=header.index(kpi.name) + 1)
        if kpi.unit in (Unit.SHARE, Unit.POINTS):
            assert cell.number_format.endswith("%"), kpi.name
        else:
            assert cell.number_format.startswith("#,##0"), kpi.name
        width = kpis.column_dimensions[openpyxl.utils.get_column_letter(
            header.index(kpi.name) + 1)].width
        assert width >= len(kpi.name)
    summary = book["summary"]
    names = [cell.value for cell in summary[1]]
    for row in summary.iter_rows(min_row=2):
        metric = row[names.index("metric")].value
        mean = row[names.index("mean")]
        share = BY_NAME[metric].unit in (Unit.SHARE, Unit.POINTS)
        assert mean.number_format.endswith("%") == share, metric


def test_export_to_another_file_and_a_run_can_still_replace_the_folder(
        run_folder: Path, tmp_path: Path) -> None:
    target = tmp_path / "planner.xlsx"
    status, _, err = call(["export", run_folder, "--out", target])
    assert (status, err) == (0, "")
    assert list(pd.read_excel(target, sheet_name=None, engine="openpyxl")) == [
        "KPIs", "summary", "segments", "daily", "reports", "inputs"]
    folder = tmp_path / "copy"
    shutil.copytree(run_folder, folder)
    call(["export", folder])
    assert (folder / "results.xlsx").is_file()
    status, _, err = call(["run", BASELINE, *TINY, "--out", folder, "--quiet", "--no-figures"])
    assert status == 0, err
    assert not (folder / "results.xlsx").exists()


@pytest.mark.parametrize(("make", "fragment"), [
    ("empty", "not a collectsim results folder"),
    ("missing", "no such folder"),
])
def test_not_a_results_folder_is_refused(tmp_path: Path, make: str, fragment: str) -> None:
    folder = tmp_path / "folder"
    if make == "empty":
        folder.mkdir()
    assert_bad_input(*call(["export", folder]), str(folder), fragment)
    assert not folder.exists() or list(folder.iterdir()) == []


@pytest.mark.parametrize(("out", "fragment"), [
    ("book.csv", "must name an .xlsx file"),
    ("nowhere/book.xlsx", "its folder does not exist"),
])
def test_bad_out_is_refused_and_nothing_written(run_folder: Path, tmp_path: Path, out: str,
                                                fragment: str) -> None:
    assert_bad_input(*call(["export", run_folder, "--out", tmp_path / out]), "--out",
                     fragment)
    assert not (tmp_path / out).exists()


@pytest.mark.slow
def test_compare_and_sweep_workbooks(tmp_path: Path) -> None:
    compared = tmp_path / "cmp"
    status, _, err = call(["compare", BASELINE, ROOT / "scenarios" / "aggressive_tone.toml",
                           *TINY, "--reps", "2", "--backend", "serial", "--quiet",
                           "--out", compared])
    assert status == 0, err
    assert call(["export", compared])[0] == 0
    book = pd.read_excel(compared / "results.xlsx", sheet_name=None, engine="openpyxl")
    assert list(book) == ["comparison", "summary", "KPIs", "inputs"]
    _same(book["comparison"], read_csv(compared / "comparison.csv"))
    _same(book["KPIs"], read_csv(compared / "runs.csv"))
    assert list(book["inputs"].columns) == ["path", "baseline", "aggressive_tone"]
    tones = book["inputs"].set_index("path").loc["agencies.alpha.tone"]
    assert tones["baseline"] != tones["aggressive_tone"]

    swept = tmp_path / "sweep"
    experiment = write(tmp_path, GOOD_EXPERIMENT)
    assert call(["sweep", experiment, "--backend", "serial", "--quiet", "--out", swept])[0] == 0
    assert call(["export", swept])[0] == 0
    book = pd.read_excel(swept / "results.xlsx", sheet_name=None, engine="openpyxl")
    assert list(book) == ["summary", "KPIs", "experiment", "inputs"]
    _same(book["summary"], read_csv(swept / "summary.csv"))
    spec = dict(zip(book["experiment"]["path"], book["experiment"]["value"], strict=True))
    assert spec["factors.0.path"] == "agencies.alpha.tone"
