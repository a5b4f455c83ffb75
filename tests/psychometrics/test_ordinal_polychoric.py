"""Thresholds, polychoric correlations and their asymptotic covariance against lavaan.

Reference values come from tests/reference/ordinal/make_ordinal_reference.R
(lavaan 0.6-14, psych 2.2.9; versions in versions.json there).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import multivariate_normal

from lqp_research.errors import InputDataError
from lqp_research.psychometrics.ordinal import (
    OrdinalEstimationWarning,
    ordinal_moments,
    polychoric_correlations,
)
from lqp_research.psychometrics.ordinal.bivariate_normal import bivariate_normal_cdf

REFERENCE = Path(__file__).parents[1] / "reference" / "ordinal"
BFI = Path(__file__).parents[1] / "data" / "public" / "bfi.csv"
BFI_ITEMS = [f"{trait}{number}" for trait in "ACENO" for number in range(1, 6)]


@pytest.fixture(scope="module")
def hs_data() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "hs_cat5.csv")


@pytest.fixture(scope="module")
def bfi_items() -> pd.DataFrame:
    return pd.read_csv(BFI)[BFI_ITEMS]


def test_bivariate_cdf_matches_scipy():
    rng = np.random.default_rng(20240611)
    h = rng.normal(scale=1.5, size=60)
    k = rng.normal(scale=1.5, size=60)
    rho = np.concatenate(
        [rng.uniform(-0.9, 0.9, 30), rng.uniform(0.93, 0.999, 15), -rng.uniform(0.93, 0.999, 15)]
    )
    expected = [
        multivariate_normal(mean=[0, 0], cov=[[1, r], [r, 1]]).cdf([a, b]) for a, b, r in zip(h, k, rho)
    ]
    np.testing.assert_allclose(bivariate_normal_cdf(h, k, rho), expected, atol=1e-12)


def test_bivariate_cdf_infinite_limits():
    result = bivariate_normal_cdf([np.inf, -np.inf, 0.0, np.inf], [0.0, 1.0, np.inf, np.inf], 0.5)
    np.testing.assert_allclose(result, [0.5, 0.0, 0.5, 1.0], atol=1e-15)


def test_bivariate_cdf_independence():
    h, k = np.array([-0.7, 0.2, 1.3]), np.array([0.4, -1.1, 2.0])
    from scipy.special import ndtr

    np.testing.assert_allclose(bivariate_normal_cdf(h, k, 0.0), ndtr(h) * ndtr(k), atol=1e-15)


def _lavaan_matrix(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / name, index_col=0)


def test_thresholds_match_lavaan(hs_data):
    result = polychoric_correlations(hs_data, missing="listwise")
    expected = pd.read_csv(REFERENCE / "hs_thresholds.csv")
    names = result.thresholds["item"] + "|t" + result.thresholds["threshold"].astype(str)
    assert list(names) == list(expected["name"])
    np.testing.assert_allclose(result.thresholds["value"], expected["value"], atol=1e-8)


def test_polychorics_match_lavaan_hs(hs_data):
    result = polychoric_correlations(hs_data, missing="listwise")
    expected = _lavaan_matrix("hs_polychoric.csv")
    np.testing.assert_allclose(result.correlations.to_numpy(), expected.to_numpy(), atol=1e-4)


@pytest.mark.parametrize("missing", ["pairwise", "listwise"])
def test_polychorics_match_lavaan_bfi(bfi_items, missing):
    result = polychoric_correlations(bfi_items, missing=missing)
    expected = _lavaan_matrix(f"bfi_{missing}_polychoric.csv")
    assert list(result.correlations.columns) == list(expected.columns)
    np.testing.assert_allclose(result.correlations.to_numpy(), expected.to_numpy(), atol=1e-4)

    thresholds = pd.read_csv(REFERENCE / f"bfi_{missing}_thresholds.csv")
    np.testing.assert_allclose(result.thresholds["value"], thresholds["value"], atol=1e-8)


def test_polychorics_close_to_psych(bfi_items):
    # psych::polychoric optimises with optimize() and adds 0.5 to empty cells,
    # so it agrees with lavaan (and this code) only to about 1e-4.
    result = polychoric_correlations(bfi_items, missing="pairwise")
    expected = _lavaan_matrix("bfi_psych_polychoric.csv")
    np.testing.assert_allclose(result.correlations.to_numpy(), expected.to_numpy(), atol=2e-4)


def test_pairwise_counts(bfi_items):
    result = polychoric_correlations(bfi_items, missing="pairwise")
    observed = bfi_items.notna().astype(int)
    np.testing.assert_array_equal(result.n_pairs_used.to_numpy(), (observed.T @ observed).to_numpy())


def test_reversing_item_flips_sign(hs_data):
    reversed_data = hs_data.assign(x1=6 - hs_data["x1"])
    original = polychoric_correlations(hs_data).correlations
    flipped = polychoric_correlations(reversed_data).correlations
    np.testing.assert_allclose(flipped.loc["x1", "x2":], -original.loc["x1", "x2":], atol=1e-7)
    np.testing.assert_allclose(flipped.loc["x2":, "x2":], original.loc["x2":, "x2":], atol=1e-10)


def test_input_not_changed(bfi_items):
    before = bfi_items.copy()
    polychoric_correlations(bfi_items, missing="listwise")
    pd.testing.assert_frame_equal(bfi_items, before)


def test_invalid_missing_raises(hs_data):
    with pytest.raises(InputDataError, match="listwise"):
        polychoric_correlations(hs_data, missing="fiml")


def test_constant_item_raises(hs_data):
    data = hs_data.assign(x3=3.0)
    with pytest.raises(InputDataError) as error:
        polychoric_correlations(data)
    assert "x3" in error.value.message("en")
    assert "at least two" in error.value.message("en")


def test_duplicate_item_warns_near_one(hs_data):
    data = hs_data.assign(copy=hs_data["x1"])
    with pytest.warns(OrdinalEstimationWarning, match="x1.*copy|copy.*x1"):
        polychoric_correlations(data)


def test_gamma_matches_lavaan_hs(hs_data):
    moments = ordinal_moments(hs_data)
    expected = _lavaan_matrix("hs_gamma.csv")
    assert list(moments.names) == list(expected.index)
    np.testing.assert_allclose(moments.gamma(), expected.to_numpy(), atol=1e-6)


@pytest.mark.parametrize("missing", ["pairwise", "listwise"])
def test_gamma_diagonal_matches_lavaan_bfi(bfi_items, missing):
    moments = ordinal_moments(bfi_items, missing=missing)
    expected = pd.read_csv(REFERENCE / f"bfi_{missing}_gamma_diagonal.csv")
    assert list(moments.names) == list(expected["name"])
    np.testing.assert_allclose(moments.gamma_diagonal, expected["value"], rtol=1e-6)


def test_item_with_fewer_categories(hs_data):
    # x2 loses its top category, so it has three thresholds and the others four.
    data = hs_data.assign(x2=hs_data["x2"].clip(upper=4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        moments = ordinal_moments(data)
    assert moments.n_thresholds == 8 * 4 + 3
    assert np.all(np.isfinite(moments.gamma_diagonal))
    assert np.all(moments.gamma_diagonal > 0)
