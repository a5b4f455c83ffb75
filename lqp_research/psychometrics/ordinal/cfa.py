"""Confirmatory factor analysis of ordered items with lavaan's WLSMV estimator."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from ...errors import InputDataError
from ..confirmatory.model import CompiledModel, compile_model
from ..confirmatory.specification import ModelSpec, parse_model
from . import fit_measures as measures
from .dwls import DwlsEstimate, ScaledShiftedTest, baseline_test, fit_dwls, model_test
from .moments import OrdinalMoments, ordinal_moments
from .warnings import OrdinalEstimationWarning

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OrdinalFitResult:
    """Estimates, standard errors and fit measures of a WLSMV factor model.

    Attributes
    ----------
    parameters : pandas.DataFrame
        One row per model parameter as lavaan's ``parameterEstimates()``:
        ``lhs``, ``op``, ``rhs``, ``free`` (bool), ``est``, ``se``, ``z``,
        ``pvalue``, and ``est_std`` (``standardizedSolution()`` ``std.all``).
        Thresholds have ``op = "|"`` and ``rhs = "t1"``, ``"t2"`` ...; residual
        variances are derived (delta parameterization), so their ``se`` is NaN.
    standardized : pandas.DataFrame
        ``lhs``, ``op``, ``rhs``, ``est_std``, ``se``, ``z``, ``pvalue``.
    standardized_loadings : pandas.DataFrame
        ``factor``, ``item``, ``loading``, ``se`` (standardized, std.all).
    factor_correlations : pandas.DataFrame
        ``factor_a``, ``factor_b``, ``correlation``, ``se``.
    fit_measures : dict of str to float
        lavaan's names (``chisq.scaled``, ``cfi.robust`` ...); ``aic`` and ``bic``
        are NaN because WLSMV has no likelihood.
    polychoric : pandas.DataFrame
        Polychoric correlation matrix of the model's items.
    test : ScaledShiftedTest
        The adjusted test statistic and its parts.
    n_respondents : int
        Rows used (after listwise deletion when ``missing="listwise"``).
    converged : bool
    warnings : tuple of str
        Messages of the warnings raised during the fit, in the current language.
    estimator : str
        ``"WLSMV"``.
    """

    parameters: pd.DataFrame
    standardized: pd.DataFrame
    standardized_loadings: pd.DataFrame
    factor_correlations: pd.DataFrame
    fit_measures: dict[str, float]
    polychoric: pd.DataFrame
    test: ScaledShiftedTest
    n_respondents: int
    converged: bool
    warnings: tuple[str, ...] = field(default=())
    estimator: str = "WLSMV"


def _compile(model: str | ModelSpec | CompiledModel) -> CompiledModel:
    if isinstance(model, CompiledModel):
        if not model.parameter_table["derived"].any():
            raise InputDataError("ordinal.model_not_delta")
        return model
    spec = parse_model(model) if isinstance(model, str) else model
    return compile_model(spec, residual_variances="derived")


def _standardized_values(model: CompiledModel, theta: np.ndarray) -> np.ndarray:
    """Return std.all values of the rows of ``model.parameter_table`` at ``theta``."""
    matrices = model.matrices(theta)
    phi = matrices.latent_covariance
    latent_sd = np.sqrt(np.clip(np.diag(phi), 0.0, None))
    table = model.parameter_table
    values = np.empty(len(table))
    for position, (kind, row, col) in enumerate(zip(table["matrix"], table["row"], table["col"])):
        if kind == "lambda":
            values[position] = matrices.lambda_[row, col] * latent_sd[col]
        elif kind == "beta":
            values[position] = matrices.beta[row, col] * latent_sd[col] / latent_sd[row]
        elif kind == "psi":
            values[position] = matrices.psi[row, col] / (latent_sd[row] * latent_sd[col])
        elif kind == "theta":
            values[position] = matrices.theta[row, col]
        else:
            values[position] = np.nan
    return values


def _standardized_covariance(
    model: CompiledModel, theta: np.ndarray, covariance: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return estimates, parameter-space Jacobian and SEs of the std.all values (delta method)."""
    values = _standardized_values(model, theta)
    jacobian = np.empty((values.size, theta.size))
    for k in range(theta.size):
        step = 1e-6 * max(1.0, abs(theta[k]))
        forward, backward = theta.copy(), theta.copy()
        forward[k] += step
        backward[k] -= step
        jacobian[:, k] = (
            _standardized_values(model, forward) - _standardized_values(model, backward)
        ) / (2.0 * step)
    variances = np.einsum("ij,jk,ik->i", jacobian, covariance, jacobian)
    return values, jacobian, np.sqrt(np.clip(variances, 0.0, None))


def _z_and_p(estimate: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, estimate / se, np.nan)
    return z, 2.0 * stats.norm.sf(np.abs(z))


def _parameter_tables(
    model: CompiledModel, moments: OrdinalMoments, estimate: DwlsEstimate
) -> tuple[pd.DataFrame, pd.DataFrame]:
    table = model.parameter_table
    n_free = model.n_free
    covariance = estimate.covariance[:n_free, :n_free]

    values = model.matrices(estimate.theta)
    est = np.empty(len(table))
    for position, (kind, row, col) in enumerate(zip(table["matrix"], table["row"], table["col"])):
        matrix = {"lambda": values.lambda_, "beta": values.beta, "psi": values.psi, "theta": values.theta}[kind]
        est[position] = matrix[row, col]
    free_position = table["free"].to_numpy() - 1
    is_free = free_position >= 0
    se = np.full(len(table), np.nan)
    se[is_free] = np.sqrt(np.diag(covariance))[free_position[is_free]]
    z, pvalue = _z_and_p(est, se)

    std, _, std_se = _standardized_covariance(model, estimate.theta, covariance)
    std_z, std_p = _z_and_p(std, std_se)
    # The std.all variance of an exogenous factor is 1 by definition and has no
    # sampling error. A disturbance variance of a first-order factor under a
    # second-order factor is 1 - R^2 and keeps its standard error.
    endogenous = set(table.loc[table["matrix"] == "beta", "rhs"])
    unit = (
        (table["matrix"] == "psi").to_numpy()
        & (table["row"] == table["col"]).to_numpy()
        & ~table["lhs"].isin(endogenous).to_numpy()
    )
    std_se[unit] = np.nan
    std_z[unit] = np.nan
    std_p[unit] = np.nan

    threshold_names = moments.names[: moments.n_thresholds]
    threshold_se = np.sqrt(np.diag(estimate.covariance)[n_free:])
    threshold_z, threshold_p = _z_and_p(estimate.thresholds, threshold_se)
    thresholds = pd.DataFrame(
        {
            "lhs": [name.split("|")[0] for name in threshold_names],
            "op": "|",
            "rhs": [name.split("|")[1] for name in threshold_names],
            "free": True,
            "est": estimate.thresholds,
            "se": threshold_se,
            "z": threshold_z,
            "pvalue": threshold_p,
            "est_std": estimate.thresholds,
        }
    )
    model_rows = pd.DataFrame(
        {
            "lhs": table["lhs"],
            "op": table["op"],
            "rhs": table["rhs"],
            "free": is_free,
            "est": est,
            "se": se,
            "z": z,
            "pvalue": pvalue,
            "est_std": std,
        }
    )
    loadings = model_rows[model_rows["op"] == "=~"]
    others = model_rows[model_rows["op"] != "=~"]
    parameters = pd.concat([loadings, thresholds, others], ignore_index=True)

    standardized_model = pd.DataFrame(
        {
            "lhs": table["lhs"],
            "op": table["op"],
            "rhs": table["rhs"],
            "est_std": std,
            "se": std_se,
            "z": std_z,
            "pvalue": std_p,
        }
    )
    standardized_thresholds = thresholds[["lhs", "op", "rhs", "est"]].rename(columns={"est": "est_std"})
    standardized_thresholds = standardized_thresholds.assign(
        se=threshold_se, z=threshold_z, pvalue=threshold_p
    )
    standardized = pd.concat(
        [
            standardized_model[standardized_model["op"] == "=~"],
            standardized_thresholds,
            standardized_model[standardized_model["op"] != "=~"],
        ],
        ignore_index=True,
    )
    return parameters, standardized


def _fit_measure_table(
    model: CompiledModel,
    moments: OrdinalMoments,
    estimate: DwlsEstimate,
    test: ScaledShiftedTest,
    baseline: ScaledShiftedTest,
) -> dict[str, float]:
    df = test.df
    df_null = baseline.df
    n_minus_one = moments.n_respondents - 1
    polychoric = _polychoric_matrix(moments)
    implied = model.implied_correlation(estimate.theta)

    result: dict[str, float] = {
        "npar": float(model.n_free + moments.n_thresholds),
        "chisq": test.chisq,
        "df": float(df),
        "pvalue": float(stats.chi2.sf(test.chisq, df)) if df > 0 else np.nan,
        "chisq.scaled": test.chisq_scaled,
        "df.scaled": float(df),
        "pvalue.scaled": float(stats.chi2.sf(test.chisq_scaled, df)) if df > 0 else np.nan,
        "chisq.scaling.factor": test.scaling_factor,
        "baseline.chisq": baseline.chisq,
        "baseline.df": float(df_null),
        "baseline.pvalue": float(stats.chi2.sf(baseline.chisq, df_null)),
        "baseline.chisq.scaled": baseline.chisq_scaled,
        "baseline.df.scaled": float(df_null),
        "baseline.pvalue.scaled": float(stats.chi2.sf(baseline.chisq_scaled, df_null)),
        "baseline.chisq.scaling.factor": baseline.scaling_factor,
        "cfi": measures.cfi(test.chisq, df, baseline.chisq, df_null),
        "tli": measures.tli(test.chisq, df, baseline.chisq, df_null),
        "cfi.scaled": measures.cfi(test.chisq_scaled, df, baseline.chisq_scaled, df_null),
        "tli.scaled": measures.tli(test.chisq_scaled, df, baseline.chisq_scaled, df_null),
    }

    n_thresholds = moments.n_thresholds
    robust = measures.robust_categorical(
        sample=polychoric,
        implied=implied,
        correlation_influence=moments.influence[:, n_thresholds:],
        correlation_weights=estimate.weights[n_thresholds:],
        correlation_jacobian=estimate.delta[n_thresholds:, : model.n_free],
        jacobian_information_inverse=estimate.information_inverse[: model.n_free, : model.n_free],
        n_respondents=moments.n_respondents,
        df=df,
    ) if df > 0 else None
    if robust is None:
        result["cfi.robust"] = result["tli.robust"] = np.nan
    else:
        result["cfi.robust"] = measures.cfi(
            robust.chisq, df, robust.chisq_null, df_null, robust.c_hat, robust.c_hat_null
        )
        result["tli.robust"] = measures.tli(
            robust.chisq, df, robust.chisq_null, df_null, robust.c_hat, robust.c_hat_null
        )

    result["rmsea"] = measures.rmsea(test.chisq, df, n_minus_one)
    result["rmsea.ci.lower"], result["rmsea.ci.upper"] = measures.rmsea_interval(test.chisq, df, n_minus_one)
    result["rmsea.ci.level"] = 0.90
    result["rmsea.scaled"] = measures.rmsea(test.chisq_scaled, df, n_minus_one)
    result["rmsea.ci.lower.scaled"], result["rmsea.ci.upper.scaled"] = measures.rmsea_interval(
        test.chisq_scaled, df, n_minus_one
    )
    if robust is None:
        result["rmsea.robust"] = result["rmsea.ci.lower.robust"] = result["rmsea.ci.upper.robust"] = np.nan
    else:
        result["rmsea.robust"] = measures.rmsea(robust.chisq, df, n_minus_one, robust.c_hat)
        result["rmsea.ci.lower.robust"], result["rmsea.ci.upper.robust"] = measures.rmsea_interval(
            robust.chisq / robust.c_hat, df, n_minus_one, c_hat=robust.c_hat
        )
    result["srmr"] = measures.srmr(polychoric, implied)
    result["aic"] = np.nan
    result["bic"] = np.nan
    return result


def _polychoric_matrix(moments: OrdinalMoments) -> np.ndarray:
    p = len(moments.ordinal.items)
    matrix = np.eye(p)
    matrix[moments.fit.first, moments.fit.second] = moments.fit.rho
    matrix[moments.fit.second, moments.fit.first] = moments.fit.rho
    return matrix


def _loading_table(standardized: pd.DataFrame, latent: tuple[str, ...]) -> pd.DataFrame:
    rows = standardized[(standardized["op"] == "=~") & ~standardized["rhs"].isin(latent)]
    return pd.DataFrame(
        {
            "factor": rows["lhs"].to_numpy(),
            "item": rows["rhs"].to_numpy(),
            "loading": rows["est_std"].to_numpy(),
            "se": rows["se"].to_numpy(),
        }
    )


def _correlation_table(standardized: pd.DataFrame, latent: tuple[str, ...]) -> pd.DataFrame:
    rows = standardized[
        (standardized["op"] == "~~")
        & standardized["lhs"].isin(latent)
        & (standardized["lhs"] != standardized["rhs"])
    ]
    return pd.DataFrame(
        {
            "factor_a": rows["lhs"].to_numpy(),
            "factor_b": rows["rhs"].to_numpy(),
            "correlation": rows["est_std"].to_numpy(),
            "se": rows["se"].to_numpy(),
        }
    )


def cfa_ordinal(
    data: pd.DataFrame,
    model: str | ModelSpec | CompiledModel,
    *,
    missing: str = "listwise",
) -> OrdinalFitResult:
    """Fit a confirmatory factor model to ordered items with WLSMV.

    Parameters
    ----------
    data : pandas.DataFrame
        One column per observed variable of the model (other columns are
        ignored), with numeric answers such as 1-5 and NaN for missing. Not
        changed.
    model : str, ModelSpec or CompiledModel
        lavaan syntax (``"f =~ y1 + y2 + y3"``), a specification from
        :func:`lqp_research.psychometrics.confirmatory.build_model`, or a model
        compiled with ``residual_variances="derived"``.
    missing : {"listwise", "pairwise"}, default "listwise"
        lavaan's default for categorical data is ``"listwise"``; ``"pairwise"``
        keeps respondents with some missing answers (each threshold from the
        item's answers, each correlation from the pair's).

    Returns
    -------
    OrdinalFitResult

    Raises
    ------
    InputDataError
        If a model variable is not a column of ``data``, an item has fewer than
        two observed categories, or ``missing`` is not a valid choice.

    Warns
    -----
    OrdinalEstimationWarning
        When a polychoric correlation or the DWLS fit does not converge, or a
        derived residual variance is negative (a Heywood case).

    Notes
    -----
    The steps are those of lavaan 0.6 ``cfa(..., ordered = TRUE, estimator =
    "WLSMV")`` with its defaults (``parameterization = "delta"``, marker
    loadings fixed at 1, correlated factors): two-step thresholds and
    polychoric correlations, their asymptotic covariance Gamma (Muthén, 1984),
    DWLS with weights ``diag(Gamma)^-1``, sandwich standard errors
    (``se = "robust.sem"``) and the scaled-and-shifted test (``test =
    "scaled.shifted"``, Asparouhov & Muthén, 2010). Checked against lavaan
    0.6-14 on ``psych::bfi`` (pairwise and listwise) and a five-category
    HolzingerSwineford1939; see ``tests/reference/ordinal``. lavaan's
    population-corrected robust CFI and RMSEA smooth a polychoric matrix that
    is not positive definite and refit; here they are NaN in that case.

    References
    ----------
    Muthén, B. (1984). A general structural equation model with dichotomous,
    ordered categorical, and continuous latent variable indicators.
    *Psychometrika*, 49(1), 115-132. https://doi.org/10.1007/BF02294210

    Asparouhov, T., & Muthén, B. (2010). Simple second order chi-square
    correction. Technical appendix,
    https://www.statmodel.com/download/WLSMV_new_chi21.pdf

    Savalei, V. (2021). Improving fit indices in structural equation modeling
    with categorical data. *Multivariate Behavioral Research*, 56(3), 390-407.
    https://doi.org/10.1080/00273171.2020.1717922
    """
    compiled = _compile(model)
    missing_columns = [name for name in compiled.observed if name not in data.columns]
    if missing_columns:
        raise InputDataError("ordinal.missing_columns", columns=", ".join(missing_columns))

    # One BLAS thread: on 2 shared cores M3 at N = 1,500 took 3.4 s this way
    # against 6-9 s with two threads (benchmarks/bench_wlsmv.py, OpenBLAS 0.3.30).
    with warnings.catch_warnings(record=True) as caught, threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("always", OrdinalEstimationWarning)
        moments = ordinal_moments(data[list(compiled.observed)], missing=missing)
        estimate = fit_dwls(moments, compiled)
        residual_variances = np.diag(compiled.matrices(estimate.theta).theta)
        for item, value in zip(compiled.observed, residual_variances):
            if value < 0:
                warnings.warn(
                    OrdinalEstimationWarning("ordinal.negative_residual_variance", item=item, value=f"{value:.3f}"),
                    stacklevel=2,
                )
        df = len(moments.fit.rho) - compiled.n_free
        test = model_test(moments, estimate, df)
        baseline = baseline_test(moments, estimate.weights)
        parameters, standardized = _parameter_tables(compiled, moments, estimate)
        fit_measure_values = _fit_measure_table(compiled, moments, estimate, test, baseline)

    for warning in caught:
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    logger.info(
        "WLSMV fit of %d items on %d respondents: chisq.scaled %.3f on %d df.",
        len(compiled.observed),
        moments.n_respondents,
        test.chisq_scaled,
        df,
    )
    items = list(compiled.observed)
    return OrdinalFitResult(
        parameters=parameters,
        standardized=standardized,
        standardized_loadings=_loading_table(standardized, compiled.latent),
        factor_correlations=_correlation_table(standardized, compiled.latent),
        fit_measures=fit_measure_values,
        polychoric=pd.DataFrame(_polychoric_matrix(moments), index=items, columns=items),
        test=test,
        n_respondents=moments.n_respondents,
        converged=estimate.converged,
        warnings=tuple(str(warning.message) for warning in caught),
    )
