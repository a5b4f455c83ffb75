"""CFA model interface, syntax, LQP builders, input checks, warnings and properties."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lqp_research import load_instrument
from lqp_research.errors import InputDataError
from lqp_research.psychometrics.confirmatory import (
    ConvergenceWarning,
    HeywoodWarning,
    IdentificationWarning,
    build_model,
    cfa,
    compile_model,
    parse_model,
    vech,
    vechs,
)
from lqp_research.psychometrics.confirmatory.estimation import (
    ml_discrepancy,
    ml_gradient_and_information,
)
from lqp_research.psychometrics.confirmatory.sample import sample_moments

HS_PATH = Path(__file__).resolve().parents[1] / "data" / "public" / "HolzingerSwineford1939.csv"
SECOND_ORDER = """
visual  =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed   =~ x7 + x8 + x9
g =~ visual + textual + speed
x1 ~~ x4
"""


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(HS_PATH)


def numerical_derivative(function, theta, step=1e-6):
    columns = []
    for k in range(len(theta)):
        shift = np.zeros_like(theta)
        shift[k] = step
        columns.append((np.asarray(function(theta + shift)) - np.asarray(function(theta - shift))) / (2 * step))
    return np.stack(columns, axis=-1)


@pytest.mark.parametrize("meanstructure, n_groups", [(False, 1), (True, 2)])
def test_sigma_and_mean_jacobians_match_numerical(meanstructure, n_groups):
    model = compile_model(
        parse_model(SECOND_ORDER), n_groups=n_groups, meanstructure=meanstructure,
        group_equal=("loadings", "intercepts") if n_groups > 1 else (),
    )
    theta = np.random.default_rng(3).uniform(0.3, 0.8, model.n_free)
    for group in range(n_groups):
        analytic = model.sigma_jacobian(theta, group)
        numerical = numerical_derivative(lambda t: vech(model.implied_covariance(t, group)), theta)
        np.testing.assert_allclose(analytic, numerical, atol=1e-7)
        if meanstructure:
            mean_numerical = numerical_derivative(lambda t: model.implied_moments(t, group)[1], theta)
            np.testing.assert_allclose(model.mean_jacobian(theta, group), mean_numerical, atol=1e-7)


@pytest.mark.parametrize("group", [None, "school"])
def test_gradient_matches_numerical(hs, group):
    model = compile_model(parse_model(SECOND_ORDER), n_groups=2 if group else 1, meanstructure=bool(group))
    sample = sample_moments(hs, model.observed, group)
    theta = model.start_values(sample.covariances, sample.means) * 0.9 + 0.05
    gradient, _ = ml_gradient_and_information(model, theta, sample, information=False)
    numerical = numerical_derivative(lambda t: ml_discrepancy(model, t, sample), theta)
    np.testing.assert_allclose(gradient, numerical, atol=1e-6)


def test_delta_parameterization_gives_correlation():
    model = compile_model(parse_model("f =~ y1 + y2 + y3 + y4"), residual_variances="derived")
    theta = np.array([0.8, 0.9, 0.7, 0.5])
    correlation = model.implied_correlation(theta)
    np.testing.assert_allclose(np.diag(correlation), 1.0)
    numerical = numerical_derivative(lambda t: vechs(model.implied_correlation(t)), theta)
    np.testing.assert_allclose(model.correlation_jacobian(theta), numerical, atol=1e-7)
    assert model.n_free == 4  # three loadings and one factor variance, no residual variances


def test_implied_correlation_needs_delta_model():
    model = compile_model(parse_model("f =~ y1 + y2 + y3"))
    with pytest.raises(ValueError, match="residual_variances='derived'"):
        model.implied_correlation(np.ones(model.n_free))


def test_parse_model_modifiers_and_comments():
    spec = parse_model("f =~ NA*a + 0.5*b + c  # comment\nf ~~ 1*f; a ~~ lab*b")
    first, second, third, variance, covariance = spec.statements
    assert first.free
    assert second.fixed == 0.5
    assert third.fixed is None
    assert not third.free
    assert variance.fixed == 1.0
    assert covariance.label == "lab"
    assert spec.observed == ("a", "b", "c")


@pytest.mark.parametrize("syntax, pattern", [("f -> a", "=~"), ("f =~ a + ", "empty term"), ("", "no factor")])
def test_parse_model_rejects_bad_syntax(syntax, pattern):
    with pytest.raises(InputDataError) as caught:
        parse_model(syntax)
    assert pattern in caught.value.message("en")


def test_marker_and_defaults_in_parameter_table():
    model = compile_model(parse_model("a =~ x1 + x2 + x3\nb =~ x4 + x5 + x6"))
    table = model.parameter_table
    marker = table[(table["lhs"] == "a") & (table["rhs"] == "x1")].iloc[0]
    assert marker["free"] == 0
    assert marker["value"] == 1.0
    assert ((table["lhs"] == "a") & (table["op"] == "~~") & (table["rhs"] == "b")).sum() == 1
    assert model.n_free == 4 + 6 + 3


def test_build_model_lqp_sizes():
    lqp = load_instrument()
    n_items = len(lqp.item_ids)
    expected_free = {
        "M1": (n_items - 1) + n_items + 1,
        "M2": (n_items - 3) + n_items + 3 + 3,
        "M3": (n_items - 9) + n_items + 9 + 36,
        "M4": (n_items - 9) + n_items + 9 + 6 + 3 + 3,
        "M5": (n_items - 1) + (n_items - 9) + n_items + 10,
    }
    for name, free in expected_free.items():
        spec = build_model(lqp, name)
        assert compile_model(spec).n_free == free, name
        assert set(spec.observed) == set(lqp.item_ids)
    assert build_model(lqp, "M4").latent[-3:] == lqp.dimension_codes
    assert build_model(lqp, "M5").orthogonal


def test_build_model_unknown_name():
    with pytest.raises(InputDataError) as caught:
        build_model(load_instrument(), "M9")
    assert "M9" in caught.value.message("en")


def test_model_syntax_round_trip():
    spec = build_model(load_instrument(), "M4")
    again = parse_model(spec.to_syntax())
    assert again.statements == spec.statements


def test_cfa_rejects_unknown_estimator(hs):
    with pytest.raises(InputDataError) as caught:
        cfa(hs, "f =~ x1 + x2 + x3", estimator="wls")
    assert "wls" in caught.value.message("en")


def test_cfa_rejects_missing_column(hs):
    with pytest.raises(InputDataError) as caught:
        cfa(hs, "f =~ x1 + x2 + nope")
    assert "nope" in caught.value.message("en")


def test_cfa_rejects_too_few_respondents(hs):
    with pytest.raises(InputDataError) as caught:
        cfa(hs.head(8), "f =~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9")
    assert "8 complete responses for 9 items" in caught.value.message("en")


def test_cfa_rejects_constant_item(hs):
    data = hs.assign(x3=1.0)
    with pytest.raises(InputDataError) as caught:
        cfa(data, "f =~ x1 + x2 + x3")
    assert "x3" in caught.value.message("en")


def test_cfa_rejects_duplicated_item(hs):
    data = hs.assign(copy=hs["x2"])
    with pytest.raises(InputDataError) as caught:
        cfa(data, "f =~ x1 + x2 + x3 + copy")
    assert "x2, copy" in caught.value.message("en")


def test_cfa_listwise_deletion_leaves_input_unchanged(hs):
    data = hs.copy()
    data.loc[[0, 5], "x1"] = np.nan
    before = data.copy()
    fit = cfa(data, "f =~ x1 + x2 + x3 + x4")
    assert fit.sample.n_total == len(hs) - 2
    assert fit.sample.n_deleted == 2
    pd.testing.assert_frame_equal(data, before)


def test_heywood_case_warns():
    # With r_ab = r_ac = 0.7 and r_bc = 0.4 the one-factor solution has a
    # standardized loading of a of sqrt(0.49 / 0.4) > 1, so a negative residual variance.
    correlation = np.array([[1.0, 0.7, 0.7], [0.7, 1.0, 0.4], [0.7, 0.4, 1.0]])
    values = np.random.default_rng(11).multivariate_normal(np.zeros(3), correlation, size=2000)
    data = pd.DataFrame(values, columns=["a", "b", "c"])
    with pytest.warns(HeywoodWarning, match="Heywood"):
        fit = cfa(data, "f =~ a + b + c")
    assert any(isinstance(w, HeywoodWarning) for w in fit.warnings)


def test_unidentified_model_warns(hs):
    # Two indicators of an uncorrelated factor: the loading and variance are not identified.
    with pytest.warns(IdentificationWarning):
        fit = cfa(hs, "a =~ x1 + x2 + x3\nb =~ x4 + x5", orthogonal=True)
    assert np.isnan(fit.parameters.loc[fit.parameters["free"] > 0, "se"]).all()


def test_convergence_warning_category_is_lqp_warning():
    from lqp_research.errors import LqpWarning

    assert issubclass(ConvergenceWarning, LqpWarning)
    assert issubclass(HeywoodWarning, LqpWarning)


def test_simulated_structure_recovered():
    rng = np.random.default_rng(2024)
    n = 4000
    loadings = np.array([[0.8, 0.7, 0.6, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.75, 0.65, 0.55]]).T
    phi = np.array([[1.0, 0.4], [0.4, 1.0]])
    factors = rng.multivariate_normal(np.zeros(2), phi, size=n)
    residual_sd = np.sqrt(1 - np.sum(loadings**2, axis=1))
    values = factors @ loadings.T + rng.standard_normal((n, 6)) * residual_sd
    data = pd.DataFrame(values, columns=[f"y{i}" for i in range(1, 7)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = cfa(data, "f1 =~ y1 + y2 + y3\nf2 =~ y4 + y5 + y6")
    standardized = fit.standardized_loadings
    np.testing.assert_allclose(standardized.loc[["y1", "y2", "y3"], "f1"], [0.8, 0.7, 0.6], atol=0.04)
    np.testing.assert_allclose(standardized.loc[["y4", "y5", "y6"], "f2"], [0.75, 0.65, 0.55], atol=0.04)
    assert fit.factor_correlations.loc["f1", "f2"] == pytest.approx(0.4, abs=0.05)
    assert fit.fit_measures["cfi"] > 0.99
    assert fit.converged


def test_lqp_second_order_model_fits_simulated_data():
    lqp = load_instrument()
    rng = np.random.default_rng(7)
    n = 1500
    dimensions = rng.multivariate_normal(np.zeros(3), [[1, 0.5, 0.4], [0.5, 1, 0.6], [0.4, 0.6, 1]], size=n)
    columns = {}
    for factor in lqp.factors:
        index = lqp.dimension_codes.index(factor.dimension)
        score = 0.8 * dimensions[:, index] + 0.6 * rng.standard_normal(n)
        for item_id in factor.items:
            columns[item_id] = 0.7 * score + np.sqrt(1 - 0.49) * rng.standard_normal(n)
    data = pd.DataFrame(columns)
    fit = cfa(data, build_model(lqp, "M4"))
    second_order = fit.parameters[(fit.parameters["op"] == "=~") & fit.parameters["lhs"].isin(lqp.dimension_codes)]
    np.testing.assert_allclose(second_order["std_all"], 0.8, atol=0.06)
    assert fit.fit_measures["rmsea"] < 0.02
    assert fit.fit_measures["df"] == 90 * 91 // 2 - 192


def test_convergence_warning_when_not_converged(hs, monkeypatch):
    from dataclasses import replace

    from lqp_research.psychometrics.confirmatory import fitting

    original = fitting.fit_ml

    def stopped_early(model, sample):
        return replace(original(model, sample), converged=False, message="largest gradient element 0.1")

    monkeypatch.setattr(fitting, "fit_ml", stopped_early)
    with pytest.warns(ConvergenceWarning, match="0.1"):
        fit = cfa(hs, "f =~ x1 + x2 + x3 + x4")
    assert not fit.converged


def test_compare_models_rejects_mixed_estimators(hs):
    from lqp_research.psychometrics.confirmatory import compare_models

    ml = cfa(hs, "f =~ x1 + x2 + x3 + x4")
    mlr = cfa(hs, "f =~ x1 + x2 + x3 + x4", "mlr")
    with pytest.raises(InputDataError) as caught:
        compare_models([ml, mlr])
    assert "ml, mlr" in caught.value.message("en")


def test_compare_models_needs_two_fits(hs):
    from lqp_research.psychometrics.confirmatory import compare_models

    with pytest.raises(InputDataError) as caught:
        compare_models([cfa(hs, "f =~ x1 + x2 + x3 + x4")])
    assert "got 1" in caught.value.message("en")


def test_invariance_mlr_uses_scaled_difference(hs):
    from lqp_research.psychometrics.confirmatory import measurement_invariance

    result = measurement_invariance(hs, "f =~ x1 + x2 + x3 + x4", "school", estimator="mlr")
    table = result.table
    metric = result.fits["metric"].fit_measures
    configural = result.fits["configural"].fit_measures
    scaling = (metric["df"] * metric["chisq.scaling.factor"]
               - configural["df"] * configural["chisq.scaling.factor"]) / (metric["df"] - configural["df"])
    expected = (metric["chisq"] - configural["chisq"]) / scaling
    assert table.loc[1, "delta_chisq"] == pytest.approx(expected, rel=1e-12)
    assert table.loc[1, "cfi"] == pytest.approx(metric["cfi.robust"], rel=1e-12)
    assert list(table["delta_df"].iloc[1:]) == [3, 3]
