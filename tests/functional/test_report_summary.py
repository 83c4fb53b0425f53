"""The report a manager reads in two minutes: the executive summary, per-segment and roll-rate
tables, inputs folded away, tables that fit the page.

* a run's summary states recovery, cure rate and the change in delinquency against the
  control group with the intervals of ``summary.csv`` / ``control.csv``, and the best and
  worst agency by netback; one replication says "no interval", a run without a control group
  says "no counterfactual", and every summary lists what the model leaves out;
* a comparison's summary gives each difference that matters with its paired interval, a
  sweep's its best point;
* the per-segment table shows the segment rows of ``summary.csv``; a run folder written
  before ``kpis.csv`` had segment rows gets it from ``segments.csv``, and one written before
  ``segments.csv``, ``control.csv`` and ``roll_rates.csv`` existed still renders, without
  those tables;
* every table sits in a horizontally scrolling box, and a sweep with many KPIs is split into
  tables narrow enough for a 1,280-pixel-wide page.
"""

from __future__ import annotations

import re
import shutil
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import BASELINE

from sim.cli.main import main
from sim.experiment.replicate import run_summary
from sim.report.folder import ResultsFolder, SweepData, open_folder, read_csv
from sim.report.html import CSS, build_report
from sim.report.scope import NOT_MODELLED
from sim.report.style import format_difference, format_interval
from sim.report.tables import MAX_NUMBER_COLUMNS
from sim.report.tables_run import roll_rate_summary

SMALL = ["--set", "portfolio.accounts=300", "--set", "agencies.alpha.collectors=2",
         "--set", "agencies.beta.collectors=2", "--set", "scenario.horizon_days=40"]
PAGE_PX = 1280
BODY_PX = 1180  # the CSS's max-width of the body (inside a 1,280-pixel window)


def text_of(html: str) -> str:
    """What a reader sees: inline tags dropped, block tags as spaces."""
    inline = re.sub(r"</?(b|code|span)\b[^>]*>", "", html)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", inline)))


def section(html: str, ident: str) -> str:
    start = html.index(f"<section id='{ident}'>")
    return html[start:html.index("</section>", start)]


def run(tmp: Path, name: str, *extra: str) -> Path:
    out = tmp / name
    assert main(["run", str(BASELINE), *SMALL, *extra, "--out", str(out), "--quiet",
                 "--workers", "1", "--format", "json", "--no-figures"]) == 0
    return out


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run(tmp_path_factory.mktemp("summary"), "res", "--reps", "3")


@pytest.mark.slow
def test_run_summary_states_the_answer_with_the_folder_s_intervals(run_folder: Path) -> None:
    html = build_report(open_folder(run_folder))
    assert html.index("<section id='summary'>") < html.index("<section id='numbers'>")
    said = text_of(section(html, "summary"))
    summary = read_csv(run_folder / "summary.csv")
    summary = summary[summary["segment"] == "total"].set_index(["agency", "metric"])
    control = run_summary(read_csv(run_folder / "control.csv")).set_index(["agency", "metric"])

    def interval(table: pd.DataFrame, agency: str, metric: str) -> str:
        row = table.loc[(agency, metric)]
        return format_interval(metric, row["mean"], row["ci95"])

    assert f"repaid {interval(summary, 'total', 'recovery_rate')} of the balance" in said
    assert f"control group, not placed, repaid {interval(control, 'control', 'recovery_rate')}"\
        in said
    uplift = summary.loc[("total", "recovery_uplift")]
    assert format_difference("recovery_uplift", uplift["mean"], uplift["ci95"]) in said
    assert f"{interval(summary, 'total', 'cure_rate')} of the accounts placed" in said
    change = summary.loc[("total", "delinquency_change")]
    assert format_difference("delinquency_change", change["mean"], change["ci95"]) in said
    netback = {a: summary.loc[(a, "netback_rate"), "mean"] for a in ("alpha", "beta")}
    best, worst = sorted(netback, key=netback.__getitem__, reverse=True)
    assert "Best agency by netback rate" in said
    assert f": {best}, {interval(summary, best, 'netback_rate')}; worst: {worst}," in said
    assert "One replication" not in said and "No control group" not in said
    for item in NOT_MODELLED:
        assert text_of(item) in said


@pytest.mark.slow
def test_run_report_has_segment_and_roll_rate_tables_and_folded_inputs(run_folder: Path
                                                                      ) -> None:
    html = build_report(open_folder(run_folder))
    numbers = section(html, "numbers")
    summary = read_csv(run_folder / "summary.csv")
    per_segment = summary[summary["segment"] != "total"].set_index(["segment", "metric"])
    assert set(summary.loc[summary["segment"] != "total", "agency"]) == {"total"}
    assert "<h3 id='segments'>Per segment" in numbers
    cells = re.findall(r'data-metric="(\w+)" data-segment="(\w+)" data-mean="([^"]+)" '
                       r'data-ci95="([^"]+)"', numbers)
    shown = per_segment[per_segment["mean"].notna()]
    assert len(cells) == len(shown) > 0  # every segment row with a value, nothing else
    for metric, segment, mean, half in cells:  # the numbers of summary.csv's segment rows
        row = per_segment.loc[(segment, metric)]
        assert float(mean) == float(row["mean"])
        assert float(half) == float(row["ci95"]) or np.isnan(row["ci95"])
    rolls = roll_rate_summary(read_csv(run_folder / "roll_rates.csv"))
    assert "<h3 id='roll-rates'>Roll rates" in numbers
    shown = re.findall(r'data-kind="roll" data-group="(\w+)" data-start="([^"]+)" '
                       r'data-end="([^"]+)" data-mean="([^"]+)"', numbers)
    assert len(shown) == len(rolls) > 0
    assert {g for g, *_ in shown} == {"placed", "control"}
    for group, start, end, mean in shown:
        row = rolls[(rolls["group"] == group) & (rolls["from"] == start) & (rolls["to"] == end)]
        assert float(mean) == float(row["mean"].iloc[0])
    for group in ("placed", "control"):  # each row of a transition matrix sums to 100%
        table = rolls[rolls["group"] == group]
        assert np.allclose(table.groupby("from")["mean"].sum(), 1.0)
    inputs = section(html, "inputs")
    assert "<details>" in inputs and "<details open" not in inputs


@pytest.mark.slow
def test_one_replication_without_control_group_says_what_it_cannot(tmp_path: Path) -> None:
    out = run(tmp_path, "bare", "--set", "bank.control_share=0")
    assert not (out / "control.csv").exists()
    said = text_of(section(build_report(open_folder(out)), "summary"))
    assert "One replication: no interval." in said
    assert "No control group: no counterfactual." in said
    assert "±" not in said.split("What these results cannot say")[0]


@pytest.mark.slow
def test_a_folder_from_before_the_lifecycle_files_still_renders(run_folder: Path,
                                                                tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(run_folder, old)
    for name in ("segments.csv", "control.csv", "roll_rates.csv", "report.html"):
        (old / name).unlink(missing_ok=True)
    without_segment_rows(old)
    assert main(["report", str(old)]) == 0
    html = (old / "report.html").read_text(encoding="utf-8")
    assert "<section id='summary'>" in html and "<section id='numbers'>" in html
    assert "id='segments'" not in html and "id='roll-rates'" not in html
    said = text_of(section(html, "summary"))
    assert "repaid" in said and "Best agency" in said
    assert "No control group" not in said  # delinquency_change in kpis.csv still tells


def without_segment_rows(folder: Path) -> None:
    """Rewrite ``kpis.csv`` and ``summary.csv`` as collectsim wrote them before they had a
    ``segment`` column: the agency and total rows only."""
    for name in ("kpis.csv", "summary.csv"):
        table = read_csv(folder / name)
        table[table["segment"] == "total"].drop(columns=["segment"]).to_csv(folder / name,
                                                                            index=False)


@pytest.mark.slow
def test_a_folder_with_segments_csv_but_no_segment_rows_gets_its_segment_table(
        run_folder: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(run_folder, old)
    (old / "report.html").unlink(missing_ok=True)
    without_segment_rows(old)
    numbers = section(build_report(open_folder(old)), "numbers")
    assert "<h3 id='segments'>Per segment" in numbers
    means = run_summary(read_csv(old / "segments.csv").rename(columns={"segment": "agency"}))
    cell = re.search(r'data-metric="recovery_rate" data-segment="(\w+)" data-mean="([^"]+)"',
                     numbers)
    assert cell is not None
    row = means[(means["agency"] == cell[1]) & (means["metric"] == "recovery_rate")]
    assert float(cell[2]) == float(row["mean"].iloc[0])


# --------------------------------------------------------------------------- fast: hand-made


def test_every_table_scrolls_inside_the_page_rather_than_widening_it() -> None:
    assert re.search(r"div\.fit \{[^}]*overflow-x: auto", CSS)
    assert re.search(r"body \{[^}]*max-width: 1180px", CSS)
    html = build_report(wide_sweep())
    tables = html.count("<table>")
    assert tables > 1 and html.count("<div class='fit'><table>") == tables


def wide_sweep(metrics: tuple[str, ...] = ("recovery_rate", "netback_rate", "cure_rate",
                                           "complaints_per_1000", "cx_index",
                                           "collected", "delinquency_change")
               ) -> ResultsFolder:
    rows = []
    for point, (fee, collectors) in enumerate([(f, c) for f in (0.15, 0.25) for c in (2, 40)]):
        for agency in ("alpha", "beta", "total"):
            for k, metric in enumerate(metrics):
                mean = (12_345_678.0 if metric == "collected" else 0.1 + k / 100
                        + collectors / 1000 - fee / 10)
                rows.append({"point": point, "commission_of_alpha": fee,
                             "collectors_of_alpha": collectors, "agency": agency,
                             "metric": metric, "mean": mean, "sd": mean / 10,
                             "ci95": mean / 20, "n": 3, "failed": 0})
    summary = pd.DataFrame(rows)
    data = SweepData(name="wide", design="grid",
                     factors=["commission_of_alpha", "collectors_of_alpha"],
                     metrics=list(metrics), agencies=["alpha", "beta", "total"], runs=None,
                     summary=summary)
    return ResultsFolder(path=Path("/nonexistent/wide"), kind="sweep", manifest={},
                         sweep=data)


def estimated_width(table: str) -> float:
    """A table's least width at 13 px type: per column its widest cell at 7.5 px a character
    plus 16 px of padding — a number cell whole (it does not wrap), a header or text cell by
    its longest word (it wraps at spaces)."""
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)
    widths: dict[int, int] = {}
    for row in rows:
        cells = re.findall(r"<(t[hd])([^>]*)>(.*?)</t[hd]>", row, flags=re.S)
        if len(cells) == 1:
            continue  # a group heading spans the table
        for k, (tag, attrs, cell) in enumerate(cells):
            text = text_of(cell).strip()
            whole = tag == "td" and "num" in attrs
            chars = len(text) if whole else max((len(w) for w in text.split()), default=0)
            widths[k] = max(widths.get(k, 0), chars)
    return sum(7.5 * chars + 16 for chars in widths.values())


def test_a_wide_sweep_is_split_into_tables_that_fit_a_1280_pixel_page() -> None:
    html = build_report(wide_sweep())
    numbers = section(html, "numbers")
    tables = re.findall(r"<table>.*?</table>", numbers, flags=re.S)
    assert len(tables) == -(-21 // MAX_NUMBER_COLUMNS)  # 3 agencies × 7 KPIs
    shown = 0
    for table in tables:
        header = re.search(r"<thead>.*?</thead>", table, flags=re.S)
        assert header is not None
        columns = header[0].count("<th")
        assert columns <= 1 + 2 + MAX_NUMBER_COLUMNS + 1  # point, 2 factors, KPIs, failed
        assert estimated_width(table) <= BODY_PX < PAGE_PX, estimated_width(table)
        shown += table.count("data-point=")
    assert shown == len(wide_sweep().sweep.summary)  # type: ignore[union-attr]


def test_sweep_summary_names_the_best_point_and_whether_it_stands_out() -> None:
    said = text_of(section(build_report(wide_sweep()), "summary"))
    # recovery rate rises with collectors and falls with the fee: point 1 (0.15, 40) is best
    assert ("Best point for recovery rate (total; higher is better): point 1 "
            "(commission_of_alpha = 0.15, collectors_of_alpha = 40)") in said
    assert "Best point for complaints per 1,000 accounts (total; lower is better): point 2" \
        in said
    assert "What the model leaves out" in said


def test_compare_summary_gives_each_difference_that_matters() -> None:
    from sim.report.folder import CompareData

    rows = [{"scenario": "tough", "base": "baseline", "agency": "total", "n": 5,
             "metric": metric, "base_mean": base, "mean": base + diff, "diff": diff,
             "ci95": half, "significant": abs(diff) > half, "p_value": 0.01}
            for metric, base, diff, half in (
                ("recovery_rate", 0.18, 0.012, 0.004),
                ("complaints_per_1000", 20.0, 6.5, 1.5),
                ("cx_index", 40.0, -0.2, 0.9),
                ("accounts", 300.0, 0.0, 0.0),
                ("delinquency_change", -0.05, -0.01, 0.003))]
    data = CompareData(base="baseline", labels=["baseline", "tough"], agency="total",
                       differences=pd.DataFrame(rows), summary=None, runs=None)
    folder = ResultsFolder(path=Path("/nonexistent/cmp"), kind="compare", manifest={},
                           compare=data)
    said = text_of(section(build_report(folder), "summary"))
    assert "tough against baseline (total, difference ±95% paired interval)" in said
    assert "recovery rate +1.2 pp ±0.4 (better for the bank)" in said
    assert "complaints per 1,000 accounts +6.5 ±1.5 (worse for the bank)" in said
    assert "delinquency change vs control -1.0 pp ±0.3 (better for the bank)" in said
    assert "Could be no change: customer-experience index" in said
    assert "accounts placed" not in said.split("What these results")[0]
    assert "No control group" not in said and "One replication" not in said
