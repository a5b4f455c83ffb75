"""HTMT, AVE, composite reliability and Fornell-Larcker against semTools 0.5-6 on HolzingerSwineford1939."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lqp_research.errors import InputDataError
from lqp_research.psychometrics import average_variance_extracted, fornell_larcker, htmt

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "reference" / "psych"
KEY = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}


@pytest.fixture(scope="module")
def holzinger() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / "public" / "HolzingerSwineford1939.csv")


@pytest.fixture(scope="module")
def standardized() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "hs_standardized_loadings.csv")


@pytest.mark.parametrize(("method", "file"), [("htmt2", "hs_htmt2.csv"), ("htmt", "hs_htmt.csv")])
def test_htmt_matches_semtools(holzinger, method, file):
    result = htmt(holzinger, KEY, method=method)
    expected = pd.read_csv(REFERENCE / file, index_col="factor")
    assert list(result.index) == list(KEY)
    np.testing.assert_allclose(result, expected.loc[list(KEY), list(KEY)], atol=1e-12, rtol=0)


def test_htmt_is_symmetric_with_unit_diagonal(holzinger):
    result = htmt(holzinger, KEY).to_numpy()
    np.testing.assert_allclose(result, result.T, atol=1e-15)
    np.testing.assert_array_equal(np.diag(result), 1.0)


def test_htmt_drops_incomplete_rows(holzinger):
    damaged = holzinger.copy()
    damaged.loc[:9, "x1"] = np.nan
    expected = htmt(holzinger.iloc[10:], KEY)
    pd.testing.assert_frame_equal(htmt(damaged, KEY), expected)


def test_htmt_unknown_item_raises(holzinger):
    with pytest.raises(InputDataError) as error:
        htmt(holzinger, {"visual": ["x1", "x99"]})
    assert "x99" in error.value.message("en")


def test_standardized_ave_and_cr_match_formulas(standardized):
    result = average_variance_extracted(standardized)
    expected = pd.read_csv(REFERENCE / "hs_ave_cr.csv")
    assert list(result["factor"]) == list(expected["factor"])
    np.testing.assert_allclose(result["ave"], expected["ave_standardized"], atol=1e-12, rtol=0)
    np.testing.assert_allclose(
        result["composite_reliability"], expected["composite_reliability_standardized"], atol=1e-12, rtol=0
    )
    assert list(result["n_items"]) == [3, 3, 3]


def test_unstandardized_ave_and_cr_match_semtools():
    loadings = pd.read_csv(REFERENCE / "hs_unstandardized_loadings.csv")
    variances = pd.read_csv(REFERENCE / "hs_factor_variances.csv").set_index("factor")["variance"].to_dict()
    result = average_variance_extracted(loadings, variances)
    expected = pd.read_csv(REFERENCE / "hs_ave_cr.csv")
    np.testing.assert_allclose(result["ave"], expected["ave"], atol=1e-12, rtol=0)
    np.testing.assert_allclose(result["composite_reliability"], expected["composite_reliability"], atol=1e-12, rtol=0)


def test_fornell_larcker_table(standardized):
    correlations = pd.read_csv(REFERENCE / "hs_factor_correlations.csv")
    table = fornell_larcker(standardized, correlations)
    ave = average_variance_extracted(standardized).set_index("factor")["ave"]
    np.testing.assert_allclose(np.diag(table), np.sqrt(ave.loc[table.index]), atol=1e-15)
    for row in correlations.itertuples():
        assert table.loc[row.factor_a, row.factor_b] == row.correlation
        assert table.loc[row.factor_b, row.factor_a] == row.correlation


def test_fornell_larcker_accepts_square_matrix(standardized):
    correlations = pd.read_csv(REFERENCE / "hs_factor_correlations.csv")
    long_result = fornell_larcker(standardized, correlations)
    values = long_result.to_numpy().copy()
    np.fill_diagonal(values, 1.0)
    square = pd.DataFrame(values, index=long_result.index, columns=long_result.columns)
    pd.testing.assert_frame_equal(fornell_larcker(standardized, square), long_result)


def test_fornell_larcker_unknown_factor_raises(standardized):
    correlations = pd.DataFrame({"factor_a": ["visual"], "factor_b": ["memory"], "correlation": [0.3]})
    with pytest.raises(InputDataError) as error:
        fornell_larcker(standardized, correlations)
    assert "names factor memory" in error.value.message("en")


def test_bad_loadings_table_raises():
    with pytest.raises(InputDataError) as error:
        average_variance_extracted(pd.DataFrame({"lhs": ["visual"], "est": [0.7]}))
    assert "loadings must have the columns factor, item, loading" in error.value.message("en")


def test_htmt2_zero_correlation_without_runtime_warning():
    # b1 is uncorrelated with a1 (dot product of centred columns is 0), so log(0) occurs.
    items = pd.DataFrame({
        "a1": [1.0, 2, 3, 4, 5, 1, 2, 3, 4, 5], "a2": [1.0, 2, 3, 4, 4, 2, 2, 3, 5, 5],
        "b1": [3.0, 1, 5, 5, 1, 3, 1, 5, 5, 1], "b2": [3.0, 2, 4, 5, 1, 3, 2, 5, 4, 1],
    })
    assert items["a1"].corr(items["b1"]) == pytest.approx(0.0, abs=1e-12)

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = htmt(items, {"A": ["a1", "a2"], "B": ["b1", "b2"]})

    assert result.loc["A", "B"] == pytest.approx(0.0)
