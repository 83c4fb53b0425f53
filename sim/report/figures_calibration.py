"""The figures of ``collectsim calibrate``: targets against the posterior predictive, the
posterior's marginals and pairs, and how the sequential Monte Carlo went generation by
generation.

Each function draws from the calibration folder's own files (``predictive.csv``,
``posterior.parquet``, ``generations.csv``, ``summary.json``), so ``collectsim report`` can draw
them again; a target's values are formatted as its KPI (:mod:`sim.model.kpis`; liquidation-curve
points as a recovery share).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sim.experiment.targets import CURVE_PREFIX, target_metric
from sim.report.style import (
    BAND_ALPHA,
    PALETTE,
    TOTAL_COLOUR,
    Target,
    axis_formatter,
    heading,
    kpi_label,
    new_figure,
    save,
    styled,
)


def target_label(name: str) -> str:
    """A reader's name for a target statistic, with its unit."""
    if name.startswith(CURVE_PREFIX):
        return f"collected by day {name.removeprefix(CURVE_PREFIX)} (% of placed balance)"
    return kpi_label(name)


def predictive_figure(predictive: pd.DataFrame, bands: Mapping[str, Mapping[str, Any]],
                      holdout: Mapping[str, Any] | None, target: Target) -> None:
    """Per target, the posterior predictive simulations (dots), their 5%–95% band and median,
    and the observed value with its 95% sampling interval; the holdout target, predicted by
    the fit without it, in its own row."""
    rows: list[tuple[str, str, Mapping[str, Any]]] = [("all", n, b) for n, b in bands.items()]
    if holdout is not None:
        rows.append(("holdout", str(holdout["target"]), holdout))
    with styled():
        fig = new_figure(1.3 + 0.75 * len(rows))
        top = heading(fig, "Targets against the posterior predictive",
                      "dots: posterior draws simulated again on fresh seeds; bar: their 5%–95% "
                      "band, tick: median; diamond: observed, whiskers: its 95% sampling "
                      "interval (1.96 sd at the observed portfolio size); orange row: the "
                      "holdout target, predicted by the fit without it")
        axes = fig.subplots(len(rows), 1, squeeze=False)[:, 0]
        rng = np.random.default_rng(0)  # jitter only: the values are not random
        for ax, (fit, name, band) in zip(axes, rows, strict=True):
            values = predictive.loc[predictive["fit"] == fit, name].to_numpy(dtype=float) \
                if name in predictive.columns and "fit" in predictive.columns \
                else np.array([])
            colour = PALETTE[1] if fit == "holdout" else PALETTE[0]
            ax.axvspan(band["q05"], band["q95"], color=colour, alpha=BAND_ALPHA, lw=0)
            ax.axvline(band["median"], color=colour, lw=1.4)
            ax.plot(values, rng.uniform(-0.25, 0.25, len(values)), "o", ms=3, color=colour,
                    alpha=0.7)
            half = 1.96 * float(band["sd"])
            ax.errorbar([band["observed"]], [0], xerr=[[half], [half]], fmt="D", ms=6,
                        color=TOTAL_COLOUR, capsize=3, zorder=4)
            ax.set_ylim(-0.6, 0.6)
            ax.set_yticks([])
            label = target_label(name) + (" — holdout" if fit == "holdout" else "")
            ax.set_title(label, fontsize=8.5)
            ax.xaxis.set_major_formatter(axis_formatter(target_metric(name)))
            ax.grid(axis="y", visible=False)
        fig.tight_layout(rect=(0, 0, 1, top))
        save(fig, target)


def _weighted_hist(ax: Any, values: np.ndarray, weights: np.ndarray, low: float, high: float,
                   colour: str) -> None:
    ax.hist(values, bins=20, range=(low, high), weights=weights, color=colour, alpha=0.75)


def posterior_figure(draws: pd.DataFrame, priors: Mapping[str, Sequence[float]],
                     posterior: Mapping[str, Mapping[str, float]],
                     correlations: Mapping[str, float], ridges: Sequence[Sequence[str]],
                     target: Target) -> None:
    """Marginals (weighted histograms over the prior range, median and 90% interval) on the
    diagonal; every pair's draws below it, sized by weight, with the weighted correlation;
    pairs of which only a combination is identified outlined in orange."""
    paths = list(priors)
    k = len(paths)
    weights = draws["weight"].to_numpy(dtype=float)
    flagged = {frozenset(pair) for pair in ridges}
    with styled():
        fig = new_figure(1.2 + (2.6 if k == 1 else 2.0 * k))
        top = heading(fig, "Posterior of the calibrated parameters",
                      "diagonal: weighted histogram of the final generation over the prior "
                      "range (x axis), solid line: median, dashed: 90% interval; below: pairs "
                      "of draws (size ∝ weight) with their weighted correlation r; orange "
                      "frame: only a combination of the pair is identified (|r| > 0.7, "
                      "neither identified alone)")
        axes = fig.subplots(k, k, squeeze=False)
        for i, a in enumerate(paths):
            for j, b in enumerate(paths):
                ax = axes[i, j]
                if j > i:
                    ax.set_visible(False)
                    continue
                if i == j:
                    low, high = priors[a]
                    _weighted_hist(ax, draws[a].to_numpy(dtype=float), weights, low, high,
                                   PALETTE[0])
                    post = posterior[a]
                    ax.axvline(post["median"], color=TOTAL_COLOUR, lw=1.2)
                    for q in ("q05", "q95"):
                        ax.axvline(post[q], color=TOTAL_COLOUR, lw=0.9, ls="--")
                    ax.set_xlim(low, high)
                    ax.set_yticks([])
                else:
                    ax.scatter(draws[b], draws[a], s=8 + 400 * weights, color=PALETTE[0],
                               alpha=0.6, lw=0)
                    ax.set_xlim(*priors[b])
                    ax.set_ylim(*priors[a])
                    r = correlations.get(f"{b} ~ {a}", correlations.get(f"{a} ~ {b}"))
                    ax.text(0.03, 0.95, f"r = {r:+.2f}" if r is not None and np.isfinite(r)
                            else "r: undefined", transform=ax.transAxes, va="top",
                            fontsize=8)
                    if frozenset((a, b)) in flagged:
                        for spine in ax.spines.values():
                            spine.set_visible(True)
                            spine.set_color(PALETTE[1])
                            spine.set_linewidth(2)
                if i == k - 1:
                    ax.set_xlabel(_short_path(b), fontsize=8)
                if j == 0 and i != j:
                    ax.set_ylabel(_short_path(a), fontsize=8)
                ax.xaxis.set_major_locator(MaxNLocator(4))
        fig.tight_layout(rect=(0, 0, 1, top))
        save(fig, target)


def _short_path(path: str) -> str:
    """The last two parts of a dotted path (the full paths are in the report's table)."""
    return ".".join(path.split(".")[-2:])


def traces_figure(generations: pd.DataFrame, target: Target) -> None:
    """Tolerance, acceptance rate and effective sample size by generation."""
    x = generations["generation"].to_numpy(dtype=float)
    with styled():
        fig = new_figure(3.0)
        top = heading(fig, "How the sequential Monte Carlo went",
                      "per generation: the tolerance a candidate's distance had to be within "
                      "(in sampling standard deviations, log scale), the share of simulated "
                      "candidates kept, and the effective sample size of the kept candidates' "
                      "weights (Kish) against the population kept")
        axes = fig.subplots(1, 3)
        axes[0].plot(x, generations["epsilon"], "o-", color=PALETTE[0])
        axes[0].set_yscale("log")
        plain = FuncFormatter(lambda v, _: f"{v:.3g}")
        axes[0].yaxis.set_major_formatter(plain)
        axes[0].yaxis.set_minor_formatter(plain)
        axes[0].set_ylabel("tolerance (sampling sd)")
        axes[1].plot(x, generations["acceptance_rate"], "o-", color=PALETTE[2])
        axes[1].yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.0f}%"))
        axes[1].set_ylim(0, None)
        axes[1].set_ylabel("acceptance rate (%)")
        axes[2].plot(x, generations["effective_sample_size"], "o-", color=PALETTE[5],
                     label="effective sample size")
        axes[2].plot(x, generations["accepted"], "--", color=TOTAL_COLOUR, lw=0.9,
                     label="population")
        axes[2].set_ylim(0, None)
        axes[2].set_ylabel("draws")
        axes[2].legend(handles=[Line2D([], [], color=PALETTE[5], marker="o",
                                       label="effective sample size"),
                                Line2D([], [], color=TOTAL_COLOUR, ls="--", label="population")
                                ], fontsize=7.5)
        for ax in axes:
            ax.set_xlabel("generation")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        fig.tight_layout(rect=(0, 0, 1, top))
        save(fig, target)


__all__ = ["posterior_figure", "predictive_figure", "target_label", "target_metric",
           "traces_figure"]
