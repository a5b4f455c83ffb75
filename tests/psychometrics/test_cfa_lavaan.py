"""CFA estimates, standard errors and fit measures against lavaan 0.6-14.

Reference values come from tests/reference/cfa/make_cfa_reference.R (see the
README there). lavaan stops its optimiser at a relative tolerance of about 1e-10
in the objective, so parameters agree to about 1e-5 while the chi-square and the
fit indices agree to about 1e-6 relative.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lqp_research.psychometrics.confirmatory import cfa, compare_models, measurement_invariance

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "cfa"
HS_PATH = Path(__file__).resolve().parents[1] / "data" / "public" / "HolzingerSwineford1939.csv"

THREE_FACTOR = """
visual  =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed   =~ x7 + x8 + x9
"""
ONE_FACTOR = "g =~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9"
SECOND_ORDER = THREE_FACTOR + "g =~ visual + textual + speed"
RESIDUAL_COVARIANCE = THREE_FACTOR + "x7 ~~ x8"
BIFACTOR = """
g  =~ y1 + y2 + y3 + y4 + y5 + y6 + y7 + y8 + y9 + y10 + y11 + y12
s1 =~ y1 + y2 + y3 + y4
s2 =~ y5 + y6 + y7 + y8
s3 =~ y9 + y10 + y11 + y12
"""

FIT_MEASURES_ML = [
    "npar", "fmin", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "cfi", "tli", "logl",
    "unrestricted.logl", "aic", "bic", "bic2", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper",
    "rmsea.pvalue", "srmr",
]
FIT_MEASURES_MLR = FIT_MEASURES_ML + [
    "chisq.scaled", "pvalue.scaled", "chisq.scaling.factor", "baseline.chisq.scaled",
    "baseline.chisq.scaling.factor", "cfi.scaled", "tli.scaled", "cfi.robust", "tli.robust",
    "rmsea.scaled", "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled", "rmsea.robust",
    "rmsea.ci.lower.robust", "rmsea.ci.upper.robust",
]


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(HS_PATH)


@pytest.fixture(scope="module")
def bifactor_data() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "bifactor_data.csv")


CASES = {
    "hs3_ml": ("hs", THREE_FACTOR, "ml", {}),
    "hs3_mlr": ("hs", THREE_FACTOR, "mlr", {}),
    "hs1_ml": ("hs", ONE_FACTOR, "ml", {}),
    "hs1_mlr": ("hs", ONE_FACTOR, "mlr", {}),
    "hs_second_order_ml": ("hs", SECOND_ORDER, "ml", {}),
    "hs_second_order_mlr": ("hs", SECOND_ORDER, "mlr", {}),
    "hs_rescov_ml": ("hs", RESIDUAL_COVARIANCE, "ml", {}),
    "sim_bifactor_ml": ("bifactor_data", BIFACTOR, "ml", {"orthogonal": True}),
    "hs_configural_ml": ("hs", THREE_FACTOR, "ml", {"group": "school"}),
    "hs_metric_ml": ("hs", THREE_FACTOR, "ml", {"group": "school", "group_equal": ["loadings"]}),
    "hs_scalar_ml": (
        "hs", THREE_FACTOR, "ml", {"group": "school", "group_equal": ["loadings", "intercepts"]}
    ),
}

_FITS: dict = {}


def fitted(name: str, request) -> object:
    if name not in _FITS:
        data_name, model, estimator, options = CASES[name]
        data = request.getfixturevalue(data_name)
        _FITS[name] = cfa(data, model, estimator, **options)
    return _FITS[name]


def reference_parameters(name: str) -> pd.DataFrame:
    table = pd.read_csv(REFERENCE / f"{name}_parameters.csv", keep_default_na=False, na_values=["NA"])
    if "group" not in table.columns:
        table["group"] = 1
    return table


@pytest.mark.parametrize("name", list(CASES))
def test_fit_measures_match_lavaan(name, request):
    fit = fitted(name, request)
    reference = json.loads((REFERENCE / f"{name}_fit.json").read_text())
    keys = FIT_MEASURES_MLR if name.endswith("_mlr") else FIT_MEASURES_ML
    for key in keys:
        assert fit.fit_measures[key] == pytest.approx(reference[key], rel=1e-5, abs=1e-6), key


@pytest.mark.parametrize("name", list(CASES))
def test_parameters_match_lavaan(name, request):
    fit = fitted(name, request)
    reference = reference_parameters(name)
    merged = reference.merge(fit.parameters, on=["lhs", "op", "rhs", "group"], how="left", suffixes=("_lavaan", ""))
    assert not merged["est"].isna().any(), "a lavaan parameter is missing from the workbench table"
    assert len(fit.parameters) == len(reference)
    np.testing.assert_allclose(merged["est"], merged["est_lavaan"], atol=5e-5, rtol=0)
    np.testing.assert_allclose(merged["se"], merged["se_lavaan"], atol=5e-5, rtol=0)
    np.testing.assert_allclose(merged["std_all"], merged["est.std"], atol=5e-5, rtol=0)
    free = merged["se_lavaan"] > 0
    np.testing.assert_allclose(merged.loc[free, "z"], merged.loc[free, "z_lavaan"], rtol=1e-3)


def test_three_factor_headline_numbers(request):
    fit = fitted("hs3_ml", request)
    measures = fit.fit_measures
    assert measures["chisq"] == pytest.approx(85.306, abs=1e-3)
    assert measures["df"] == 24
    assert measures["cfi"] == pytest.approx(0.931, abs=5e-4)
    assert measures["tli"] == pytest.approx(0.896, abs=5e-4)
    assert measures["rmsea"] == pytest.approx(0.092, abs=5e-4)
    assert measures["srmr"] == pytest.approx(0.065, abs=5e-4)


def test_second_order_with_three_factors_equals_correlated(request):
    # Three first-order factors make the second-order part just identified.
    second_order = fitted("hs_second_order_ml", request)
    correlated = fitted("hs3_ml", request)
    assert second_order.fit_measures["chisq"] == pytest.approx(correlated.fit_measures["chisq"], rel=1e-8)
    assert second_order.fit_measures["df"] == correlated.fit_measures["df"]


def test_standardized_loadings_table(request):
    fit = fitted("hs3_ml", request)
    loadings = fit.standardized_loadings
    reference = reference_parameters("hs3_ml")
    row = reference[(reference["lhs"] == "visual") & (reference["rhs"] == "x2")].iloc[0]
    assert list(loadings.columns) == ["visual", "textual", "speed"]
    assert loadings.loc["x2", "visual"] == pytest.approx(row["est.std"], abs=1e-5)
    assert np.isnan(loadings.loc["x2", "speed"])


def test_factor_correlations_match_std_all(request):
    fit = fitted("hs3_ml", request)
    reference = reference_parameters("hs3_ml")
    row = reference[(reference["lhs"] == "visual") & (reference["rhs"] == "textual")].iloc[0]
    correlations = fit.factor_correlations
    assert correlations.loc["visual", "textual"] == pytest.approx(row["est.std"], abs=1e-5)
    np.testing.assert_allclose(np.diag(correlations), 1.0)


@pytest.mark.parametrize("name", ["hs3_ml", "sim_bifactor_ml"])
def test_modification_indices_match_lavaan(name, request):
    fit = fitted(name, request)
    reference = pd.read_csv(REFERENCE / f"{name}_modindices.csv")
    ours = fit.modification_indices(n=None)
    merged = reference.merge(ours, on=["lhs", "op", "rhs"], how="left", suffixes=("_lavaan", ""))
    assert not merged["mi"].isna().any(), "a lavaan modification index is missing"
    np.testing.assert_allclose(merged["mi"], merged["mi_lavaan"], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(merged["epc"], merged["epc_lavaan"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(merged["sepc_all"], merged["sepc.all"], rtol=1e-4, atol=1e-5)


def test_modification_indices_sorted_top_n(request):
    fit = fitted("hs3_ml", request)
    top = fit.modification_indices(n=3)
    assert list(top["lhs"] + top["op"] + top["rhs"]) == ["visual=~x9", "x7~~x8", "visual=~x7"]
    assert top["mi"].is_monotonic_decreasing


def test_compare_models_ml_matches_lavtestlrt(request):
    table = compare_models([fitted("hs3_ml", request), fitted("hs1_ml", request)], names=["three", "one"])
    reference = pd.read_csv(REFERENCE / "lrt_ml.csv")
    assert list(table["model"]) == ["three", "one"]
    assert table.loc[1, "delta_chisq"] == pytest.approx(reference["Chisq diff"].iloc[1], rel=1e-7)
    assert table.loc[1, "delta_df"] == reference["Df diff"].iloc[1]
    assert table.loc[1, "pvalue"] == pytest.approx(reference["Pr(>Chisq)"].iloc[1], rel=1e-5)
    assert table.loc[1, "aic"] == pytest.approx(reference["AIC"].iloc[1], rel=1e-9)
    assert np.isnan(table.loc[0, "delta_chisq"])


def test_compare_models_mlr_scaled_difference(request):
    table = compare_models([fitted("hs1_mlr", request), fitted("hs3_mlr", request)])
    reference = pd.read_csv(REFERENCE / "lrt_mlr.csv")
    # Ordered by df, so the three-factor model comes first whatever the input order.
    assert list(table["df"]) == [24, 27]
    assert table.loc[1, "delta_chisq"] == pytest.approx(reference["Chisq diff"].iloc[1], rel=1e-5)
    assert table.loc[1, "pvalue"] == pytest.approx(reference["Pr(>Chisq)"].iloc[1], rel=1e-3)


def test_measurement_invariance_by_school(hs):
    result = measurement_invariance(hs, THREE_FACTOR, "school")
    reference = pd.read_csv(REFERENCE / "lrt_invariance.csv")
    table = result.table
    assert list(table["model"]) == ["configural", "metric", "scalar"]
    np.testing.assert_allclose(table["chisq"], reference["Chisq"], rtol=1e-7)
    np.testing.assert_allclose(table["delta_chisq"].iloc[1:], reference["Chisq diff"].iloc[1:], rtol=1e-6)
    for step in ("configural", "metric", "scalar"):
        lavaan = json.loads((REFERENCE / f"hs_{step}_ml_fit.json").read_text())
        row = table[table["model"] == step].iloc[0]
        assert row["cfi"] == pytest.approx(lavaan["cfi"], abs=1e-7)
        assert row["rmsea"] == pytest.approx(lavaan["rmsea"], abs=1e-7)
    metric = json.loads((REFERENCE / "hs_metric_ml_fit.json").read_text())
    configural = json.loads((REFERENCE / "hs_configural_ml_fit.json").read_text())
    assert table.loc[1, "delta_cfi"] == pytest.approx(metric["cfi"] - configural["cfi"], abs=1e-7)
