"""The special functions and distributions, against sums of exact probabilities (no SciPy here)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from entitlement_core.forecast.distributions import (
    betainc,
    gamma_mean_excess,
    gamma_ppf,
    gamma_sf,
    gammainc,
    lgamma,
    nbinom_cdf,
    nbinom_mean_excess,
    nbinom_ppf,
    nbinom_sf,
)


def nb_pmf(n: int, r: float, p: float) -> float:
    return math.exp(
        math.lgamma(n + r) - math.lgamma(r) - math.lgamma(n + 1) + r * math.log(p) + n * math.log1p(-p)
    )


def nb_cdf(n: int, r: float, p: float) -> float:
    return sum(nb_pmf(k, r, p) for k in range(n + 1))


def poisson_cdf(n: int, mean: float) -> float:
    return sum(math.exp(-mean + k * math.log(mean) - math.lgamma(k + 1)) for k in range(n + 1))


@pytest.mark.parametrize("x", [1e-3, 0.3, 0.5, 1.0, 2.5, 10.0, 171.5, 1e5])
def test_lgamma_matches_the_standard_library(x):
    assert lgamma(np.array([x]))[0] == pytest.approx(math.lgamma(x), rel=1e-13, abs=1e-12)


# (r, p): small and large shapes, probabilities near 0 and 1; each below the gamma-approximation mean.
NB_CASES = [(0.5, 0.3), (3.2, 0.7), (50.0, 0.95), (1000.0, 0.999), (0.02, 0.5), (7.0, 0.2)]


@pytest.mark.parametrize(("r", "p"), NB_CASES)
def test_negative_binomial_cdf_and_tail_are_exact(r, p):
    ns = np.array([0, 1, 2, 5, 20, 60])
    expected = np.array([nb_cdf(int(n), r, p) for n in ns])
    rr, pp = np.full(ns.size, r), np.full(ns.size, p)
    assert nbinom_cdf(ns, rr, pp) == pytest.approx(expected, abs=1e-12)
    assert nbinom_sf(ns, rr, pp) == pytest.approx(1 - expected, abs=1e-12)
    # Beyond the summation limit the continued fraction answers, as exactly.
    lower, upper = betainc(np.array([r]), np.array([501.0]), np.array([p]))
    assert lower[0] == pytest.approx(nb_cdf(500, r, p), abs=1e-10)
    assert upper[0] == pytest.approx(1 - nb_cdf(500, r, p), abs=1e-10)


@pytest.mark.parametrize(("r", "p"), NB_CASES)
@pytest.mark.parametrize("q", [0.1, 0.5, 0.9])
def test_negative_binomial_quantile_is_the_smallest_count_reaching_q(r, p, q):
    n = int(nbinom_ppf(q, np.array([r]), np.array([p]))[0])
    assert nb_cdf(n, r, p) >= q - 1e-12
    assert n == 0 or nb_cdf(n - 1, r, p) < q


@pytest.mark.parametrize(("r", "p"), NB_CASES)
@pytest.mark.parametrize("m", [0, 1, 3, 10])
def test_negative_binomial_mean_excess_in_closed_form(r, p, m):
    expected = sum(max(k - m, 0) * nb_pmf(k, r, p) for k in range(20_000))
    got = nbinom_mean_excess(np.array([float(m)]), np.array([r]), np.array([p]))[0]
    assert got == pytest.approx(expected, rel=1e-8, abs=1e-10)


def test_large_means_use_the_matched_gamma_closely():
    r, p = np.array([400.0]), np.array([0.5])  # mean 400
    for n in (350, 400, 450):
        exact = nb_cdf(n, 400.0, 0.5)
        assert nbinom_cdf(np.array([n]), r, p)[0] == pytest.approx(exact, abs=3e-3)
    quantile = nbinom_ppf(0.9, r, p)[0]
    assert nb_cdf(int(quantile), 400.0, 0.5) == pytest.approx(0.9, abs=0.01)


@pytest.mark.parametrize(("a", "x"), [(1.0, 0.5), (3.0, 2.0), (10.0, 15.0), (7.0, 7.0), (500.0, 480.0)])
def test_incomplete_gamma_of_whole_shapes_is_a_poisson_tail(a, x):
    lower, upper = gammainc(np.array([a]), np.array([x]))
    expected = 1 - poisson_cdf(int(a) - 1, x)
    assert lower[0] == pytest.approx(expected, abs=1e-12)
    assert upper[0] == pytest.approx(1 - expected, abs=1e-12)


def test_incomplete_gamma_of_a_fractional_shape():
    # P(0.5, x) = erf(sqrt(x))
    for x in (0.01, 0.7, 3.0):
        lower, _ = gammainc(np.array([0.5]), np.array([x]))
        assert lower[0] == pytest.approx(math.erf(math.sqrt(x)), abs=1e-12)


@pytest.mark.parametrize("a", [0.3, 2.0, 9.0, 40.0])
@pytest.mark.parametrize("q", [0.1, 0.5, 0.9])
def test_gamma_quantile_inverts_the_tail(a, q):
    x = gamma_ppf(q, np.array([a]), np.array([2.0]))
    tolerance = 1e-9 if a < 10 else 1e-3  # Wilson-Hilferty from shape 10
    assert 1 - gamma_sf(x, np.array([a]), np.array([2.0]))[0] == pytest.approx(q, abs=tolerance)


def test_gamma_mean_excess_matches_integration():
    a, scale, t = 2.0, 3.0, 2.0
    grid = np.linspace(1e-9, 200, 2_000_001)
    density = np.exp((a - 1) * np.log(grid) - grid / scale - math.lgamma(a) - a * math.log(scale))
    expected = np.trapezoid(np.maximum(grid - t, 0) * density, grid)
    got = gamma_mean_excess(np.array([t]), np.array([a]), np.array([scale]))[0]
    assert got == pytest.approx(expected, rel=1e-6)


def test_vectorised_over_rows_of_mixed_regimes():
    r = np.array([0.5, 30.0, 2000.0, 5.0])
    p = np.array([0.4, 0.9, 0.5, 0.999])
    q = nbinom_ppf(0.5, r, p)
    assert q.shape == (4,)
    assert (np.diff(nbinom_cdf(np.stack([q - 1, q]), r, p), axis=0) >= 0).all()
