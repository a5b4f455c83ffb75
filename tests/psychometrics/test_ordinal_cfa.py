"""WLSMV confirmatory factor analysis against lavaan 0.6-14.

Reference fits come from tests/reference/ordinal/make_ordinal_reference.R:
``cfa(model, data, ordered = TRUE, estimator = "WLSMV")`` on a five-category
HolzingerSwineford1939 and on psych::bfi (pairwise and listwise deletion).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lqp_research.errors import InputDataError
from lqp_research.psychometrics.confirmatory import compile_model, parse_model
from lqp_research.psychometrics.ordinal import cfa_ordinal

REFERENCE = Path(__file__).parents[1] / "reference" / "ordinal"
BFI = Path(__file__).parents[1] / "data" / "public" / "bfi.csv"

HS_MODEL = """
visual  =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed   =~ x7 + x8 + x9
"""
BFI_MODEL = """
agreeableness     =~ A1 + A2 + A3 + A4 + A5
conscientiousness =~ C1 + C2 + C3 + C4 + C5
extraversion      =~ E1 + E2 + E3 + E4 + E5
neuroticism       =~ N1 + N2 + N3 + N4 + N5
openness          =~ O1 + O2 + O3 + O4 + O5
"""

HS_SECOND_ORDER_MODEL = HS_MODEL + "general =~ visual + textual + speed\n"

CASES = {
    "hs": ("hs_cat5", HS_MODEL, "listwise"),
    "hs_second_order": ("hs_cat5", HS_SECOND_ORDER_MODEL, "listwise"),
    "bfi_pairwise": ("bfi", BFI_MODEL, "pairwise"),
    "bfi_listwise": ("bfi", BFI_MODEL, "listwise"),
}


def _data(name: str) -> pd.DataFrame:
    if name == "bfi":
        return pd.read_csv(BFI)
    return pd.read_csv(REFERENCE / f"{name}.csv")


@pytest.fixture(scope="module", params=list(CASES))
def case(request):
    data_name, model, missing = CASES[request.param]
    result = cfa_ordinal(_data(data_name), model, missing=missing)
    return request.param, result


def _fit_measures(prefix: str) -> pd.Series:
    return pd.read_csv(REFERENCE / f"{prefix}_fit_measures.csv").set_index("measure")["value"]


def _merged(result_table: pd.DataFrame, reference_file: str) -> pd.DataFrame:
    reference = pd.read_csv(REFERENCE / reference_file).fillna({"rhs": ""})
    return result_table.merge(reference, on=["lhs", "op", "rhs"], suffixes=("", "_lavaan"))


def test_chisq_scaled(case):
    prefix, result = case
    expected = json.loads((REFERENCE / f"{prefix}_test.json").read_text())
    assert result.n_respondents == expected["ntotal"]
    assert result.test.df == expected["df"]
    assert result.test.chisq == pytest.approx(expected["chisq"], rel=1e-3)
    assert result.test.chisq_scaled == pytest.approx(expected["chisq_scaled"], rel=1e-3)
    assert result.test.trace_ugamma == pytest.approx(expected["trace_ugamma"], rel=1e-5)
    assert result.test.trace_ugamma2 == pytest.approx(expected["trace_ugamma2"], rel=1e-5)
    assert result.test.shift_parameter == pytest.approx(expected["shift_parameter"], rel=1e-4)


@pytest.mark.parametrize(
    "measure",
    [
        "cfi", "tli", "cfi.scaled", "tli.scaled", "cfi.robust", "tli.robust",
        "rmsea", "rmsea.ci.lower", "rmsea.ci.upper",
        "rmsea.scaled", "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled",
        "rmsea.robust", "rmsea.ci.lower.robust", "rmsea.ci.upper.robust", "srmr",
    ],
)
def test_fit_indices(case, measure):
    prefix, result = case
    assert result.fit_measures[measure] == pytest.approx(_fit_measures(prefix)[measure], abs=0.002)


@pytest.mark.parametrize(
    "measure",
    ["npar", "chisq", "df", "pvalue.scaled", "baseline.chisq", "baseline.chisq.scaled",
     "chisq.scaling.factor", "baseline.chisq.scaling.factor"],
)
def test_test_statistics(case, measure):
    prefix, result = case
    assert result.fit_measures[measure] == pytest.approx(_fit_measures(prefix)[measure], rel=1e-3, abs=1e-12)


def test_no_information_criteria(case):
    _, result = case
    assert np.isnan(result.fit_measures["aic"])
    assert np.isnan(result.fit_measures["bic"])


def test_estimates_and_standard_errors(case):
    prefix, result = case
    merged = _merged(result.parameters, f"{prefix}_parameters.csv")
    free = merged[merged["free"]]
    assert len(free) == result.fit_measures["npar"]
    np.testing.assert_allclose(free["est"], free["est_lavaan"], atol=1e-4)
    np.testing.assert_allclose(free["se"], free["se_lavaan"], rtol=1e-3)
    residual = merged[(merged["op"] == "~~") & (merged["lhs"] == merged["rhs"]) & ~merged["free"]]
    np.testing.assert_allclose(residual["est"], residual["est_lavaan"], atol=1e-4)


def test_standardized_loadings(case):
    prefix, result = case
    reference = pd.read_csv(REFERENCE / f"{prefix}_standardized.csv")
    items = result.polychoric.columns
    loadings = reference[(reference["op"] == "=~") & reference["rhs"].isin(items)]
    merged = result.standardized_loadings.merge(
        loadings, left_on=["factor", "item"], right_on=["lhs", "rhs"]
    )
    assert len(merged) == len(result.standardized_loadings) == len(loadings)
    np.testing.assert_allclose(merged["loading"], merged["est.std"], atol=0.005)
    np.testing.assert_allclose(merged["se_x"], merged["se_y"], atol=0.005)


def test_factor_correlations(case):
    prefix, result = case
    reference = pd.read_csv(REFERENCE / f"{prefix}_standardized.csv")
    items = set(result.polychoric.columns)
    covariances = reference[
        (reference["op"] == "~~") & (reference["lhs"] != reference["rhs"]) & ~reference["lhs"].isin(items)
    ]
    merged = result.factor_correlations.merge(covariances, left_on=["factor_a", "factor_b"], right_on=["lhs", "rhs"])
    assert len(merged) == len(result.factor_correlations) == len(covariances)
    np.testing.assert_allclose(merged["correlation"], merged["est.std"], atol=0.005)
    np.testing.assert_allclose(merged["se_x"], merged["se_y"], atol=0.005)


def test_standardized_solution(case):
    prefix, result = case
    merged = _merged(result.standardized, f"{prefix}_standardized.csv")
    assert len(merged) == len(result.standardized)
    np.testing.assert_allclose(merged["est_std"], merged["est.std"], atol=0.005)
    with_se = merged[merged["se_lavaan"] > 0]
    np.testing.assert_allclose(with_se["se"], with_se["se_lavaan"], atol=0.005)


def test_polychoric_in_result(case):
    prefix, result = case
    expected = pd.read_csv(REFERENCE / f"{prefix}_polychoric.csv", index_col=0)
    np.testing.assert_allclose(result.polychoric.to_numpy(), expected.to_numpy(), atol=1e-4)


def test_simulated_loadings_recovered():
    rng = np.random.default_rng(7)
    n = 3000
    loadings = np.array([0.8, 0.7, 0.6, 0.5, 0.75, 0.65, 0.55, 0.7])
    factor_correlation = 0.4
    factors = rng.multivariate_normal([0, 0], [[1, factor_correlation], [factor_correlation, 1]], size=n)
    structure = np.zeros((8, 2))
    structure[:4, 0] = loadings[:4]
    structure[4:, 1] = loadings[4:]
    latent = factors @ structure.T + rng.normal(size=(n, 8)) * np.sqrt(1 - loadings**2)
    answers = np.digitize(latent, [-1.5, -0.5, 0.4, 1.2]) + 1.0
    data = pd.DataFrame(answers, columns=[f"y{i}" for i in range(1, 9)])

    result = cfa_ordinal(data, "f1 =~ y1 + y2 + y3 + y4\nf2 =~ y5 + y6 + y7 + y8")

    np.testing.assert_allclose(result.standardized_loadings["loading"], loadings, atol=0.05)
    assert result.factor_correlations["correlation"].iloc[0] == pytest.approx(factor_correlation, abs=0.05)
    assert result.converged
    assert result.fit_measures["cfi.scaled"] > 0.99


def test_missing_model_column_raises():
    data = pd.read_csv(REFERENCE / "hs_cat5.csv").drop(columns="x9")
    with pytest.raises(InputDataError) as error:
        cfa_ordinal(data, HS_MODEL)
    assert "x9" in error.value.message("en")


def test_free_residual_model_raises():
    model = compile_model(parse_model(HS_MODEL))
    data = pd.read_csv(REFERENCE / "hs_cat5.csv")
    with pytest.raises(InputDataError, match="residual_variances='derived'"):
        cfa_ordinal(data, model)


def test_input_not_changed():
    data = pd.read_csv(BFI)
    before = data.copy()
    cfa_ordinal(data, BFI_MODEL, missing="pairwise")
    pd.testing.assert_frame_equal(data, before)


def test_dwls_iteration_limit_warns():
    from lqp_research.psychometrics.ordinal import OrdinalEstimationWarning, ordinal_moments
    from lqp_research.psychometrics.ordinal.dwls import fit_dwls

    model = compile_model(parse_model(HS_MODEL), residual_variances="derived")
    data = pd.read_csv(REFERENCE / "hs_cat5.csv")
    moments = ordinal_moments(data[list(model.observed)])
    with pytest.warns(OrdinalEstimationWarning, match="did not converge after 1 iterations|konvergerede ikke efter 1"):
        estimate = fit_dwls(moments, model, max_iterations=1)
    assert not estimate.converged
