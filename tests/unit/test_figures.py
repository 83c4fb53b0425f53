"""Figures: every figure function alone, from DataFrames, to a valid PNG.

Each figure is drawn from small hand-made experiment tables and must be a PNG of the house
width (:data:`sim.report.style.WIDTH_PX`) and of the height its figure size gives; a figure
that fails to draw warns on one line and never stops the others; number formats and the
TOML-style rendering of a resolved scenario are exact. Figures drawn from the tables of real
replications are tested in ``tests/functional/test_run_figures.py``.
"""

from __future__ import annotations

import io
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from support import png_size, px

from sim.config.loading import load_scenario
from sim.report import figures_experiment as fx
from sim.report.figures import FigureSpec, write_figures
from sim.report.figures_allocation import review_rows, standings
from sim.report.method import toml_text
from sim.report.style import WIDTH_PX, format_difference, format_interval, format_value

REPO = Path(__file__).resolve().parents[2]




def draw(function: Callable[..., None], data: Any, *args: Any, **kwargs: Any
         ) -> tuple[int, int]:
    """Draw ``function(data, buffer, *args, **kwargs)``; the PNG's (width, height)."""
    buffer = io.BytesIO()
    function(data, buffer, *args, **kwargs)
    png = buffer.getvalue()
    assert len(png) > 5000
    return png_size(png)


# --------------------------------------------------------------------------- experiment figures


def differences_table() -> pd.DataFrame:
    rows = []
    for scenario, shift in (("aggressive", 0.1), ("soft", -0.05)):
        for metric, base in (("recovery_rate", 0.18), ("complaints_per_1000", 30.0),
                             ("cx_index", 40.0), ("accounts", 300.0), ("contact_cost", 0.0),
                             ("rule_violations", 100.0)):
            same = metric == "accounts"
            rows.append({"scenario": scenario, "base": "baseline", "agency": "total",
                         "metric": metric, "n": 3, "base_mean": base,
                         "mean": base * (1 + shift), "diff": 0.0 if same else base * shift,
                         "ci95": 0.0 if same else abs(base * shift) / 2,
                         "significant": not same,
                         "p_value": 0.01})
    rows.append({**rows[-1], "metric": "lawsuits", "diff": 50.0, "ci95": 1.0,
                 "base_mean": 1.0})  # +5000%: drawn at the edge
    return pd.DataFrame(rows)


def test_comparison_differences() -> None:
    width, height = draw(fx.comparison_differences, differences_table())
    assert width == WIDTH_PX and height > 300


def test_comparison_with_nothing_to_compare_raises() -> None:
    table = differences_table()
    table = table[table["metric"] == "accounts"]
    with pytest.raises(ValueError, match="no KPI differs"):
        fx.comparison_differences(table, io.BytesIO())


def sweep_summary(failed_point: int | None = None) -> pd.DataFrame:
    rows = []
    point = 0
    for fee in (0.15, 0.2, 0.25):
        for collectors in (2, 4):
            for agency in ("alpha", "total"):
                for metric, base in (("recovery_rate", 0.15), ("netback_rate", 0.12)):
                    ok = point != failed_point
                    rows.append({"point": point, "fee": fee, "collectors": collectors,
                                 "agency": agency, "metric": metric,
                                 "mean": base + collectors / 100 - fee / 10 if ok else np.nan,
                                 "sd": 0.01 if ok else np.nan,
                                 "ci95": 0.02 if ok else np.nan, "n": 3 if ok else 0,
                                 "failed": 0 if ok else 3})
            point += 1
    return pd.DataFrame(rows)


def test_sweep_heatmap_with_a_failed_point() -> None:
    width, height = draw(fx.sweep_heatmap, sweep_summary(failed_point=2),
                         ("collectors", "fee"))
    assert width == WIDTH_PX and height > 300


def test_sweep_lines_and_scatter() -> None:
    one = sweep_summary()
    one = one[one["collectors"] == 2]
    assert draw(fx.sweep_lines, one, "fee")[0] == WIDTH_PX
    assert draw(fx.sweep_scatter, sweep_summary(failed_point=1), ["fee", "collectors"])[0] \
        == WIDTH_PX


@pytest.mark.parametrize("kind", ["sobol", "morris"])
def test_sensitivity_indices(kind: str) -> None:
    rows = []
    for metric in ("recovery_rate", "netback_rate"):
        for k, factor in enumerate(("fee", "tone", "auc")):
            if kind == "sobol":
                rows.append({"metric": metric, "agency": "total", "factor": factor,
                             "S1": 0.5 / (k + 1), "S1_conf": 0.1, "ST": 0.6 / (k + 1),
                             "ST_conf": 0.05, "noise_share": 0.02})
            else:
                rows.append({"metric": metric, "agency": "total", "factor": factor,
                             "mu": 0.01, "mu_star": 0.02 / (k + 1), "mu_star_conf": 0.004,
                             "sigma": 0.005, "noise_share": float("nan")})
    width, height = draw(fx.sensitivity_indices, pd.DataFrame(rows))
    assert width == WIDTH_PX and height == px(0.9 + 2 * (0.8 + 0.3 * 3))


# --------------------------------------------------------------------------- writing


def test_a_failing_figure_warns_once_and_the_others_are_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def broken(target: Any) -> None:
        raise RuntimeError("no ink\nleft")

    summary = sweep_summary()
    specs = [FigureSpec("broken.png", "broken", "", broken),
             FigureSpec("sweep_heatmap.png", "heatmap", "",
                        lambda t: fx.sweep_heatmap(summary, t, ("collectors", "fee")))]
    (tmp_path / "broken.png").write_bytes(b"stale")
    assert write_figures(tmp_path, specs) == ["sweep_heatmap.png"]
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["warning: figure broken.png not written: RuntimeError: no ink left"]
    assert not (tmp_path / "broken.png").exists()  # no stale figure left behind
    assert png_size((tmp_path / "sweep_heatmap.png").read_bytes())[0] == WIDTH_PX
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep_heatmap.png"]


# --------------------------------------------------------------------------- formats


@pytest.mark.parametrize(("metric", "mean", "ci", "text"), [
    ("recovery_rate", 0.17564, 0.00412, "17.6% ±0.4"),
    ("collected", 16083670.4, 601439.2, "16,083,670 ±601,439"),
    ("complaints_per_1000", 25.3, 9.61, "25.3 ±9.6"),
    ("cx_index", 35.1, float("nan"), "35.1"),
    ("accounts", 300, 0.0, "300.0 ±0.0"),
    ("lawsuits", 10.333, 5.17, "10.3 ±5.2"),
    ("commission", 91612345.678, 3212345.6, "91,612,346 ±3,212,346"),
    ("ptp_kept_rate", float("nan"), float("nan"), "–"),
])
def test_format_interval(metric: str, mean: float, ci: float, text: str) -> None:
    assert format_interval(metric, mean, ci) == text


def test_format_value_and_difference() -> None:
    assert format_value("netback_rate", 0.1424) == "14.2%"
    assert format_difference("recovery_rate", -0.009289, 0.00518) == "-0.9 pp ±0.5"
    assert format_difference("complaints_per_1000", 26.6, 6.01) == "+26.6 ±6.0"


def test_toml_text_is_valid_toml_of_the_resolved_scenario() -> None:
    scenario = load_scenario(REPO / "scenarios" / "champion_challenger.toml")
    data = scenario.model_dump(mode="json")

    def drop_none(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: drop_none(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [drop_none(v) for v in value]
        return value

    assert tomllib.loads(toml_text(data)) == drop_none(data)


def test_sweep_heatmap_shares_one_colour_scale_per_kpi_across_panels(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib.axes import Axes

    summary = sweep_summary(failed_point=2)
    summary.loc[summary["agency"] == "total", "mean"] += 0.1  # total above alpha everywhere
    images: list[tuple[Axes, Any]] = []
    imshow = Axes.imshow

    def recording(ax: Axes, data: Any, *args: Any, **kwargs: Any) -> Any:
        image = imshow(ax, data, *args, **kwargs)
        images.append((ax, image))
        return image

    monkeypatch.setattr(Axes, "imshow", recording)
    draw(fx.sweep_heatmap, summary, ("collectors", "fee"))
    scales = [(ax.get_title("left") + ax.get_title(), *map(float, image.get_clim()))
              for ax, image in images]
    finite = summary.dropna(subset=["mean"])
    for metric in ("recovery rate", "netback rate"):
        panels = [(low, high) for title, low, high in scales if title.startswith(metric)]
        assert len(panels) == 2, scales  # alpha and total
        rows = finite[finite["metric"] == metric.replace(" ", "_")]
        assert panels[0] == panels[1] == (rows["mean"].min(), rows["mean"].max())


# --------------------------------------------------------------------------- standings


def allocation_history(measure: str) -> pd.DataFrame:
    rows = [{"day": 0, "event": "initial", "agency": a, "measure": measure, "share": 0.5,
             "metric": np.nan, "replication": r} for r in (0, 1) for a in ("alpha", "beta")]
    for r in (0, 1):
        for day, score in ((30, 0.1), (60, 0.05)):
            rows += [{"day": day, "event": "review", "agency": "alpha", "measure": measure,
                      "share": 0.5 + day / 300, "metric": score + r / 100, "replication": r},
                     {"day": day, "event": "review", "agency": "beta", "measure": measure,
                      "share": 0.5 - day / 300, "metric": -score - r / 100, "replication": r}]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("measure", ["scorecard", "netback_rate"])
def test_standings_by_review(measure: str) -> None:
    reviews = review_rows(allocation_history(measure))
    assert reviews is not None and set(reviews.event) == {"review"}
    assert draw(standings, reviews, "competition") == (WIDTH_PX, px(6.8))


def test_no_standings_without_reviews() -> None:
    history = allocation_history("netback_rate")
    assert review_rows(history[history.event == "initial"]) is None
    assert review_rows(None) is None
