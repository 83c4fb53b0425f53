"""Figures in results folders and ``collectsim report`` end to end.

* ``run``, ``compare``, ``sweep`` and ``sensitivity`` write their figures as PNGs after their
  data; ``run`` also writes ``summary.csv``; a figure that raises costs a warning, never a
  result;
* ``report`` writes one self-contained ``report.html``: every figure embedded as a PNG data
  URI, no scripts, nothing fetched from the network; its numbers equal ``summary.csv`` (and
  ``comparison.csv``, ``indices.csv``) to the last bit;
* a sweep with failed runs, without ``summary.csv``, or interrupted before its tables were
  written yields a report that says what is missing; a folder that is not a results folder is
  one line of bad input (exit 2) and nothing is written.
"""

from __future__ import annotations

import base64
import re
import struct
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim.cli.main import main
from sim.experiment.replicate import kpi_columns, summarise
from sim.report.folder import read_csv
from sim.report.style import WIDTH_PX

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "scenarios" / "baseline.toml"
TINY = ["portfolio.accounts=300", "agencies.alpha.collectors=2", "agencies.beta.collectors=2",
        "scenario.horizon_days=20"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
RUN_FIGURES = {"liquidation_curve.png", "contact_funnel.png", "scorecard.png", "tradeoff.png",
               "daily_operations.png"}
NOT_RESULTS = "not a collectsim results folder (no manifest.json)"


def sets(overrides: list[str]) -> list[str]:
    return [part for text in overrides for part in ("--set", text)]


def experiment(tmp: Path, name: str, design: str, factors: str, replications: int = 2,
               overrides: str = "") -> Path:
    path = tmp / f"{name}.toml"
    path.write_text(f"""
[experiment]
name = "{name}"
description = "a tiny experiment: {name}"
scenario = "{BASELINE}"
replications = {replications}
metrics = ["recovery_rate", "netback_rate"]
agency = ["alpha", "total"]

[overrides]
portfolio.accounts = 300
scenario.horizon_days = 20
agencies.alpha.collectors = 2
agencies.beta.collectors = 2
{overrides}

[design]
{design}
{factors}""")
    return path


class Page(HTMLParser):
    """Collects what the tests check: tags, data- attributes of cells, src/href values."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.cells: list[dict[str, str]] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = {k: v or "" for k, v in attrs}
        if "data-metric" in values:
            self.cells.append(values)
        for key in ("src", "href"):
            if key in values:
                self.links.append(values[key])


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def embedded_pngs(html: str) -> list[bytes]:
    return [base64.b64decode(m) for m in
            re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)]


def report(folder: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["report", str(folder)]) == 0, capsys.readouterr().err
    assert capsys.readouterr().out.strip() == f"report written to {folder / 'report.html'}"
    return (folder / "report.html").read_text(encoding="utf-8")


def assert_self_contained(html: str, folder: Path) -> None:
    page = parse(html)
    assert "script" not in page.tags and "<script" not in html.lower()
    assert "link" not in page.tags and "iframe" not in page.tags
    assert "@import" not in html and "url(" not in html
    for link in page.links:
        assert link.startswith(("data:image/png;base64,", "#")), link[:60]
    pngs = embedded_pngs(html)
    files = sorted(folder.glob("*.png"))
    assert len(pngs) >= len(files) > 0
    for png in pngs:
        assert png_size(png)[0] == WIDTH_PX
    for path in files:  # every figure of the folder is in the report, byte for byte
        assert path.read_bytes() in pngs, path.name


def read(path: Path) -> pd.DataFrame:
    return read_csv(path)  # floats exactly as written


# --------------------------------------------------------------------------- run


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "res"
    status = main(["run", str(BASELINE), *sets(TINY), "--reps", "3", "--workers", "1",
                   "--out", str(out), "--quiet", "--format", "json"])
    assert status == 0
    return out


@pytest.mark.slow
def test_run_writes_figures_and_summary(run_folder: Path) -> None:
    names = {p.name for p in run_folder.iterdir()}
    assert names >= RUN_FIGURES
    assert {"kpis.csv", "daily.parquet", "manifest.json", "summary.csv",
            "daily_bands.parquet"} <= names
    for name in RUN_FIGURES:
        width, height = png_size((run_folder / name).read_bytes())
        assert width == WIDTH_PX and height > 300
    kpis = read(run_folder / "kpis.csv")
    summary = read(run_folder / "summary.csv")
    assert list(summary.columns) == ["agency", "segment", "metric", "mean", "sd", "ci95", "n"]
    for (agency, segment), rows in kpis.groupby(["agency", "segment"], sort=False):
        expected = summarise(rows, kpi_columns(rows)).drop(columns=["agency"])
        written = summary[(summary["agency"] == agency) & (summary["segment"] == segment)]
        pd.testing.assert_frame_equal(written.drop(columns=["agency", "segment"])
                                      .reset_index(drop=True), expected, check_dtype=False)


@pytest.mark.slow
def test_run_without_figures_writes_the_data_and_the_report_draws_them(
        tmp_path: Path, run_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bare"
    status = main(["run", str(BASELINE), *sets(TINY), "--reps", "3", "--workers", "1",
                   "--out", str(out), "--quiet", "--format", "json", "--no-figures"])
    assert status == 0
    capsys.readouterr()
    assert not list(out.glob("*.png"))
    for name in ("kpis.csv", "summary.csv", "daily.parquet", "daily_bands.parquet"):
        assert (out / name).read_bytes() == (run_folder / name).read_bytes(), name
    html = report(out, capsys)
    assert len(embedded_pngs(html)) == len(RUN_FIGURES)
    assert html.count("drawn for this report") == len(RUN_FIGURES)


@pytest.mark.slow
def test_run_report_is_self_contained(run_folder: Path, capsys: pytest.CaptureFixture[str]
                                      ) -> None:
    html = report(run_folder, capsys)
    assert_self_contained(html, run_folder)
    assert len(embedded_pngs(html)) == len(RUN_FIGURES)
    for text in ("Two contingency agencies", "How these numbers were made", "Not modelled",
                 "Scenario hash", "<details", "portfolio.accounts=300", "Random numbers"):
        assert text in html, text
    assert "What is missing" not in html


@pytest.mark.slow
def test_run_report_numbers_equal_summary_csv(run_folder: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    html = report(run_folder, capsys)
    summary = read(run_folder / "summary.csv")
    summary = summary[summary["segment"] == "total"].set_index(["agency", "metric"])
    cells = [c for c in parse(html).cells if "data-mean" in c and "data-agency" in c]
    table = [c for c in cells if c.get("data-n")]  # the KPI table (cards carry no n)
    assert len(table) == len(summary)
    for cell in cells:
        row = summary.loc[(cell["data-agency"], cell["data-metric"])]
        for key in ("mean", "ci95", "sd", "n"):
            if f"data-{key}" not in cell:
                continue
            value = float(cell[f"data-{key}"])
            if pd.isna(row[key]):
                assert value != value  # nan
            else:
                assert value == float(row[key]), (cell["data-metric"], key)


def test_a_failing_figure_never_loses_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from sim.report import figures_kpi

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the plotter broke")

    monkeypatch.setattr(figures_kpi, "scorecard", broken)
    out = tmp_path / "res"
    assert main(["run", str(BASELINE), *sets(TINY), "--out", str(out), "--quiet",
                 "--format", "json"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["warning: figure scorecard.png not written: RuntimeError: the plotter broke"]
    names = {p.name for p in out.iterdir()}
    assert {"kpis.csv", "summary.csv", "manifest.json", "daily.parquet"} <= names
    assert RUN_FIGURES - {"scorecard.png"} <= names and "scorecard.png" not in names


# --------------------------------------------------------------------------- compare


@pytest.mark.slow
def test_compare_figures_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cmp"
    assert main(["compare", str(BASELINE), str(REPO / "scenarios" / "aggressive_tone.toml"),
                 *sets(TINY), "--reps", "3", "--backend", "serial", "--quiet",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "aggressive_tone vs baseline" in text and "±paired" in text
    names = {p.name for p in out.glob("*.png")}
    assert names == {"differences.png", "tradeoff.png", "scorecard.png", "contact_funnel.png"}
    html = report(out, capsys)
    assert_self_contained(html, out)
    assert "How do aggressive_tone differ from baseline?" in html
    cells = parse(html).cells
    summary = read(out / "summary.csv").set_index(["scenario", "metric"])
    means = [c for c in cells if "data-scenario" in c and "data-mean" in c]
    assert len(means) == len(summary)
    for cell in means:  # a KPI with no value (abandonment without a predictive dialler): nan
        np.testing.assert_equal(float(cell["data-mean"]), summary.loc[
            (cell["data-scenario"], cell["data-metric"]), "mean"])
    comparison = read(out / "comparison.csv").set_index(["scenario", "metric"])
    diffs = [c for c in cells if c.get("data-kind") == "difference"]
    assert len(diffs) == len(comparison)
    for cell in diffs:
        row = comparison.loc[(cell["data-scenario"], cell["data-metric"])]
        np.testing.assert_equal(float(cell["data-diff"]), row["diff"])


# --------------------------------------------------------------------------- sweeps


GRID = """
[[factors]]
path = "portfolio.days_past_due.low"
name = "dpd_low"
levels = [30, 80]

[[factors]]
path = "portfolio.days_past_due.high"
name = "dpd_high"
levels = [60, 90]
"""


@pytest.fixture(scope="module")
def failed_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2 × 2 grid whose point 2 (days past due from 80 to 60) fails in both replications."""
    tmp = tmp_path_factory.mktemp("sweep")
    path = experiment(tmp, "partly_failed", 'kind = "grid"', GRID)
    out = tmp / "out"
    assert main(["sweep", str(path), "--out", str(out), "--backend", "serial",
                 "--quiet"]) == 1
    return out


def test_sweep_with_failed_runs_reports_what_is_missing(
        failed_sweep: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = read(failed_sweep / "runs.csv")
    assert (runs["status"] == "failed").any()
    assert (failed_sweep / "sweep_heatmap.png").is_file()
    html = report(failed_sweep, capsys)
    assert_self_contained(html, failed_sweep)
    assert "What is missing" in html and "Failed runs" in html
    assert "2 run(s) failed, at design point(s) 2:" in html
    assert "low must not exceed high" in html
    assert "no run" in html
    summary = read(failed_sweep / "summary.csv").set_index(["point", "agency", "metric"])
    cells = [c for c in parse(html).cells if "data-point" in c]
    assert len(cells) == len(summary)
    for cell in cells:
        row = summary.loc[(int(cell["data-point"]), cell["data-agency"], cell["data-metric"])]
        mean = float(cell["data-mean"])
        assert mean == row["mean"] or (pd.isna(row["mean"]) and mean != mean)


@pytest.mark.slow
def test_sweep_without_summary_or_manifest_still_reports(
        failed_sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    partial = tmp_path / "partial"
    shutil.copytree(failed_sweep, partial)
    (partial / "summary.csv").unlink()
    (partial / "report.html").unlink(missing_ok=True)
    html = report(partial, capsys)
    assert "summary.csv is missing" in html and "computed from the runs" in html
    assert "data-point" in html

    interrupted = tmp_path / "interrupted"
    shutil.copytree(failed_sweep, interrupted)
    for name in ("manifest.json", "runs.csv", "summary.csv", "report.html"):
        (interrupted / name).unlink(missing_ok=True)
    for png in interrupted.glob("*.png"):
        png.unlink()
    html = report(interrupted, capsys)
    assert "manifest.json is missing" in html and "runs.csv is missing" in html
    assert "--resume" in html and "Failed runs" in html
    assert len(embedded_pngs(html)) == 1  # drawn from the store for the report
    assert not list(interrupted.glob("*.png"))  # the report writes nothing but itself


@pytest.mark.slow
def test_sensitivity_figures_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    factors = """
[[factors]]
path = "agencies.alpha.tone"
name = "tone"
bounds = [0.1, 0.9]

[[factors]]
path = "agencies.alpha.commission"
name = "fee"
bounds = [0.15, 0.25]
"""
    path = experiment(tmp_path, "tiny_morris", 'kind = "morris"\nsamples = 2\nlevels = 4\n'
                      'seed = 3\nresamples = 20', factors, replications=1)
    out = tmp_path / "morris"
    assert main(["sensitivity", str(path), "--out", str(out), "--backend", "serial",
                 "--quiet", "--format", "json"]) == 0
    capsys.readouterr()
    assert {p.name for p in out.glob("*.png")} == {"sweep_points.png",
                                                    "sensitivity_indices.png"}
    html = report(out, capsys)
    assert_self_contained(html, out)
    assert "Sensitivity analysis report" in html and "a tiny" in html
    indices = read(out / "indices.csv").set_index(["metric", "factor"])
    cells = [c for c in parse(html).cells if c.get("data-kind") == "index"]
    assert {(c["data-metric"], c["data-factor"]) for c in cells} == set(indices.index)
    for cell in cells:
        assert float(cell["data-value"]) == indices.loc[(cell["data-metric"],
                                                         cell["data-factor"]),
                                                        cell["data-index"]]


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("make", ["empty", "files", "missing"])
def test_not_a_results_folder_is_one_line_exit_2(tmp_path: Path, make: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "somewhere"
    if make != "missing":
        folder.mkdir()
    if make == "files":
        (folder / "notes.txt").write_text("hello")
    status = main(["report", str(folder)])
    captured = capsys.readouterr()
    assert status == 2 and captured.out == ""
    expected = NOT_RESULTS if make != "missing" else "no such folder"
    assert captured.err == f"error: {folder}: {expected}\n"
    assert not (folder / "report.html").exists()


def test_report_of_a_broken_manifest_is_bad_input(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "manifest.json").write_text("{not json")
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {tmp_path}: manifest.json: cannot be read")
    assert len(err.strip().splitlines()) == 1
