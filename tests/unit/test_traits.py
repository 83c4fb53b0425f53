"""Correlated Beta traits (``sim.model.portfolio.traits``) and their scenario table.

With 200,000 draws every pair of traits must have the rank correlation the Gaussian copula
gives, (6/π)·asin(ρ/2), and every trait the mean, variance and distribution of its Beta; bad
``trait_correlations`` tables are one-line errors naming the field. Drawing 200,000 accounts'
traits takes about 2.5 s (the inverse Beta distribution function), so the tests on them are
``slow``; the fast loop checks one pair on a 20,000-account portfolio.

Tolerances: Spearman's r_s on n bivariate-normal pairs has atanh(r_s) with variance about
1.06/(n − 3) (Fieller, Hartley & Pearson, Biometrika 44:470, 1957), so the transformed
correlations are compared within 4 of those standard errors. A sample mean has standard error
σ/√n; a sample variance √((μ₄ − σ⁴)/n), with μ₄ the Beta's fourth central moment.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from support import MINIMAL

from sim.config.loading import ScenarioError, load_scenario
from sim.config.schema.traits import (
    BETA_TRAITS,
    STATED_CORRELATIONS,
    correlation_matrix,
    default_correlations,
)
from sim.model.portfolio.accounts import draw_portfolio
from sim.model.portfolio.traits import draw_traits
from sim.model.rng import Streams

ROOT = Path(__file__).resolve().parents[2]
DRAWS = 200_000
CONCENTRATION = 8.0
MEANS = dict(zip(BETA_TRAITS, (0.3, 0.5, 0.3, 0.1, 0.05, 0.02, 0.2, 0.7, 0.6), strict=True))
SPEARMAN_VARIANCE = 1.06  # of atanh(r_s), times n − 3 (Fieller, Hartley & Pearson, 1957)
TOLERANCE_SE = 4.0


def copula_rank_correlation(rho: float) -> float:
    """Spearman's rank correlation of a Gaussian copula with normal correlation ``rho``."""
    return 6.0 / math.pi * math.asin(rho / 2.0)


@pytest.fixture(scope="module")
def drawn() -> dict[str, np.ndarray]:
    return draw_traits(np.random.default_rng(2024), MEANS, CONCENTRATION, DRAWS,
                       default_correlations())


@pytest.mark.slow
def test_every_pair_has_the_copula_rank_correlation(drawn: dict[str, np.ndarray]) -> None:
    """Stated pairs and the unstated ones (which must come out uncorrelated) alike."""
    matrix = correlation_matrix(BETA_TRAITS, default_correlations())
    ranks = np.array([stats.rankdata(drawn[name]) for name in BETA_TRAITS])
    spearman = np.corrcoef(ranks)  # Spearman's r_s: the correlation of the ranks
    se = math.sqrt(SPEARMAN_VARIANCE / (DRAWS - 3))
    for (i, first), (j, second) in itertools.combinations(enumerate(BETA_TRAITS), 2):
        measured = spearman[i, j]
        expected = copula_rank_correlation(matrix[i, j])
        gap = (math.atanh(measured) - math.atanh(expected)) / se
        assert abs(gap) < TOLERANCE_SE, (first, second, measured, expected, gap)


@pytest.mark.slow
def test_stated_pairs_are_correlated_as_stated(drawn: dict[str, np.ndarray]) -> None:
    """The default pairs are not all zero: a positive pair ranks together, a negative apart."""
    for stated in STATED_CORRELATIONS:
        measured = stats.spearmanr(drawn[stated.first], drawn[stated.second]).statistic
        assert np.sign(measured) == np.sign(stated.value), stated
        assert abs(measured) > 0.15, stated


@pytest.mark.slow
@pytest.mark.parametrize("name", BETA_TRAITS)
def test_each_trait_keeps_its_beta(drawn: dict[str, np.ndarray], name: str) -> None:
    mean = MEANS[name]
    beta = stats.beta(mean * CONCENTRATION, (1.0 - mean) * CONCENTRATION)
    values = drawn[name]
    variance = float(beta.var())
    fourth = (float(beta.stats(moments="k")) + 3.0) * variance**2
    assert abs(values.mean() - beta.mean()) < TOLERANCE_SE * math.sqrt(variance / DRAWS)
    variance_se = math.sqrt((fourth - variance**2) / DRAWS)
    assert abs(values.var(ddof=1) - variance) < TOLERANCE_SE * variance_se
    # the whole distribution, not only two moments (Kolmogorov–Smirnov at level 0.001)
    assert stats.kstest(values, beta.cdf).pvalue > 1e-3


def test_degenerate_means_give_constants() -> None:
    means = {**MEANS, "dispute_rate": 0.0, "callback_rate": 1.0}
    traits = draw_traits(np.random.default_rng(7), means, CONCENTRATION, 1000,
                         default_correlations())
    assert (traits["dispute_rate"] == 0.0).all()
    assert (traits["callback_rate"] == 1.0).all()
    assert traits["willingness"].min() > 0.0 and traits["willingness"].max() < 1.0


def test_same_seed_same_traits_and_no_correlations_means_independent() -> None:
    first = draw_traits(np.random.default_rng(3), MEANS, CONCENTRATION, 5000, {})
    again = draw_traits(np.random.default_rng(3), MEANS, CONCENTRATION, 5000, {})
    assert all(np.array_equal(first[name], again[name]) for name in BETA_TRAITS)
    correlated = draw_traits(np.random.default_rng(3), MEANS, CONCENTRATION, 5000,
                             default_correlations())
    assert not np.array_equal(first["promise_keep"], correlated["promise_keep"])


def test_a_pair_naming_a_trait_not_drawn_is_refused() -> None:
    with pytest.raises(ValueError, match="no pair of traits"):
        draw_traits(np.random.default_rng(0), {"willingness": 0.5}, CONCENTRATION, 10,
                    {"willingness:promise_keep": 0.5})


def test_draw_portfolio_is_deterministic_and_correlates_within_segments() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "baseline.toml",
                             ["portfolio.accounts=20000"])
    one = draw_portfolio(scenario.portfolio, scenario.bank, Streams(11, 0))
    two = draw_portfolio(scenario.portfolio, scenario.bank, Streams(11, 0))
    for name in (*BETA_TRAITS, "balance", "segment", "payer"):
        assert np.array_equal(getattr(one, name), getattr(two, name)), name
    for code in range(len(one.segment_names)):
        members = one.segment == code
        measured = stats.spearmanr(one.willingness[members],
                                   one.promise_keep[members]).statistic
        expected = copula_rank_correlation(scenario.portfolio.trait_correlations
                                           ["willingness:promise_keep"])
        se = math.sqrt(SPEARMAN_VARIANCE / (members.sum() - 3))
        assert abs(math.atanh(measured) - math.atanh(expected)) < TOLERANCE_SE * se


# --------------------------------------------------------------------------- the table


def load_with(tmp_path: Path, table: str) -> ScenarioError:
    path = tmp_path / "traits.toml"
    text = MINIMAL.replace("accounts = 100\n", f"accounts = 100\ntrait_correlations = {table}\n")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    error = info.value
    assert len(error.problems) == 1, error.lines()
    assert "\n" not in str(error)
    assert str(error).startswith(f"{path}: {error.field}: ")
    return error


@pytest.mark.parametrize(("table", "field", "words"), [
    ('{ "wilingness:promise_keep" = 0.5 }', "portfolio.trait_correlations",
     "no trait 'wilingness'"),
    ('{ "willingness:promise_keep" = 0.5, "promise_keep:willingness" = 0.4 }',
     "portfolio.trait_correlations", "given twice"),
    ('{ "willingness" = 0.5 }', "portfolio.trait_correlations", 'written "trait:trait"'),
    ('{ "willingness:willingness" = 0.5 }', "portfolio.trait_correlations", "itself"),
    ('{ "willingness:promise_keep" = 0.9, "willingness:answer_rate" = 0.9, '
     '"answer_rate:promise_keep" = -0.9 }', "portfolio.trait_correlations",
     "not positive definite"),
    ('{ "willingness:promise_keep" = 0.99 }',
     "portfolio.trait_correlations.willingness:promise_keep", "0.95"),
    ('{ "willingness:promise_keep" = nan }',
     "portfolio.trait_correlations.willingness:promise_keep", ""),
])
def test_bad_tables_are_one_line_errors(tmp_path: Path, table: str, field: str,
                                        words: str) -> None:
    error = load_with(tmp_path, table)
    assert error.field == field, str(error)
    assert words in str(error), str(error)
    assert "(got " in str(error), str(error)


def test_tables_given_replace_the_default(tmp_path: Path) -> None:
    path = tmp_path / "traits.toml"
    path.write_text(MINIMAL.replace("accounts = 100\n",
                                    'accounts = 100\ntrait_correlations = { "cease_rate:'
                                    'callback_rate" = -0.3 }\n'), encoding="utf-8")
    assert load_scenario(path).portfolio.trait_correlations == {"cease_rate:callback_rate": -0.3}
    empty = MINIMAL.replace("accounts = 100\n", "accounts = 100\ntrait_correlations = {}\n")
    path.write_text(empty, encoding="utf-8")
    assert load_scenario(path).portfolio.trait_correlations == {}


def test_defaults_are_listed_in_the_sources() -> None:
    """Each stated correlation is an assumption with its range in docs/sources.md."""
    sources = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    for stated in STATED_CORRELATIONS:
        row = next((line for line in sources.splitlines()
                    if f"`{stated.first}`–`{stated.second}`" in line), None)
        assert row is not None, stated.key
        assert f"{stated.value:+.1f}" in row.replace("−", "-"), row
        assert f"{stated.low:+.1f} to {stated.high:+.1f}" in row.replace("−", "-"), row
        assert "assumption" in row, row
