"""Fitting the standard CFA models M1-M5 with one estimator, in one tidy shape.

The ML and MLR engine (:func:`~lqp_research.psychometrics.confirmatory.cfa`) and
the WLSMV engine (:func:`~lqp_research.psychometrics.ordinal.cfa_ordinal`) return
different result objects. :func:`fit_model` wraps both in :class:`ModelFit`, whose
fit measures are named as in ``fit.csv`` and whose standardized loadings always
carry a standard error.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from ..instrument import Instrument
from ..psychometrics.confirmatory import FitResult, build_model, cfa, compare_models
from ..psychometrics.ordinal import OrdinalFitResult, cfa_ordinal

ESTIMATORS = ("ml", "mlr", "wlsmv")
MISSING_METHODS = ("listwise", "pairwise", "fiml")

#: Columns of ``fit.csv``, in order.
FIT_COLUMNS = (
    "model", "estimator", "chisq", "df", "pvalue", "cfi", "tli", "rmsea",
    "rmsea_ci_low", "rmsea_ci_high", "srmr", "aic", "bic",
)

# lavaan fitMeasures() names behind each fit.csv column. MLR and WLSMV report the
# scaled test statistic and the robust CFI, TLI and RMSEA, as lavaan 0.6-14
# prints them in the "Robust" column of summary(fit, fit.measures = TRUE). Where
# the robust indices are NaN (lavaan reports NA for them, e.g. under pairwise
# deletion), the indices of the scaled statistic are used instead.
_MEASURE_NAMES = {
    "ml": {
        "chisq": "chisq", "df": "df", "pvalue": "pvalue", "cfi": "cfi", "tli": "tli", "rmsea": "rmsea",
        "rmsea_ci_low": "rmsea.ci.lower", "rmsea_ci_high": "rmsea.ci.upper", "srmr": "srmr", "aic": "aic", "bic": "bic",
    },
    "robust": {
        "chisq": "chisq.scaled", "df": "df.scaled", "pvalue": "pvalue.scaled", "cfi": "cfi.robust",
        "tli": "tli.robust", "rmsea": "rmsea.robust", "rmsea_ci_low": "rmsea.ci.lower.robust",
        "rmsea_ci_high": "rmsea.ci.upper.robust", "srmr": "srmr", "aic": "aic", "bic": "bic",
    },
    "scaled": {
        "chisq": "chisq.scaled", "df": "df.scaled", "pvalue": "pvalue.scaled", "cfi": "cfi.scaled",
        "tli": "tli.scaled", "rmsea": "rmsea.scaled", "rmsea_ci_low": "rmsea.ci.lower.scaled",
        "rmsea_ci_high": "rmsea.ci.upper.scaled", "srmr": "srmr", "aic": "aic", "bic": "bic",
    },
}

#: fit.csv columns whose value is either the robust or the scaled variant.
INDEX_COLUMNS = ("cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high")

#: Variants of CFI, TLI and RMSEA a fit can report (``ModelFit.index_variant``).
INDEX_VARIANTS = ("standard", "robust", "scaled", "none")

#: Pairs (more restricted, less restricted) of nested models for chi-square difference tests.
#: M1 is M2 with dimension correlations of 1, M2 is M4 with first-order
#: disturbances of 0, and M4 is M3 with the factor correlations reproduced by
#: three second-order factors. The first two constraints lie on the boundary of
#: the parameter space, where the chi-square reference distribution is only approximate.
NESTED_PAIRS = (("M1", "M2"), ("M2", "M4"), ("M4", "M3"))

LOADING_COLUMNS = ("model", "estimator", "factor", "indicator", "loading", "se")
CORRELATION_COLUMNS = ("model", "factor_a", "factor_b", "correlation")
COMPARISON_COLUMNS = ("restricted", "general", "delta_chisq", "delta_df", "pvalue", "delta_cfi", "delta_rmsea")

# Relative step of the central differences in the delta-method standard errors.
_STEP = 1e-6


@dataclass(frozen=True)
class ModelFit:
    """One fitted model, with the same fields for every estimator.

    Attributes
    ----------
    model : str
        ``"M1"`` ... ``"M5"``.
    estimator : {"ml", "mlr", "wlsmv"}
    n_used : int
        Respondents the fit used.
    n_deleted : int
        Respondents left out by listwise deletion (0 under pairwise deletion).
    converged : bool
    measures : dict
        The ``fit.csv`` columns after ``model`` and ``estimator``; NaN where a
        measure does not exist (AIC and BIC under WLSMV).
    loadings : DataFrame
        Columns ``LOADING_COLUMNS``: standardized (``std.all``) loadings of items
        on first-order factors and of first-order factors on second-order
        factors, with their delta-method standard errors.
    factor_correlations : DataFrame
        Columns ``CORRELATION_COLUMNS``, one row per pair of factors.
    result : FitResult or OrdinalFitResult
        The engine's own result, for anything not copied here.
    index_variant : {"standard", "robust", "scaled", "none"}
        Which CFI, TLI and RMSEA ``measures`` holds: the standard ones (ML), the
        robust ones, the scaled ones because the robust ones are NaN, or none
        because both are NaN.
    """

    model: str
    estimator: str
    n_used: int
    n_deleted: int
    converged: bool
    measures: dict
    loadings: pd.DataFrame
    factor_correlations: pd.DataFrame
    result: FitResult | OrdinalFitResult
    index_variant: str = "standard"

    def fit_row(self) -> dict:
        """Return the ``fit.csv`` row of this fit."""
        return {"model": self.model, "estimator": self.estimator, **self.measures}


def fit_model(
    items: pd.DataFrame, instrument: Instrument, model: str, estimator: str = "ml", missing: str = "listwise"
) -> ModelFit:
    """Fit one of the standard models M1-M5 to item scores.

    Parameters
    ----------
    items : DataFrame
        Item scores of one rating, respondents by item ids, reverse items
        reversed (``lqp_research.scoring.item_scores``). Not changed.
    instrument : Instrument
    model : {"M1", "M2", "M3", "M4", "M5"}
        See :func:`~lqp_research.psychometrics.confirmatory.build_model`.
    estimator : {"ml", "mlr", "wlsmv"}, default "ml"
    missing : {"listwise", "pairwise", "fiml"}, default "listwise"
        Pairwise deletion exists only for WLSMV (lavaan's ``missing =
        "pairwise"``), FIML only for ML and MLR (lavaan's ``missing = "ml"``).

    Returns
    -------
    ModelFit

    Raises
    ------
    InputDataError
        From the engines: too few complete respondents, a constant or
        duplicated item, a singular covariance matrix.

    Notes
    -----
    Standard errors of the standardized loadings are those of lavaan 0.6
    ``standardizedSolution()``: the delta method on the estimates' covariance
    matrix. The engines' WLSMV results carry them; for ML and MLR they are
    computed here with a central-difference Jacobian of ``std.all``.
    """
    spec = build_model(instrument, model)
    if estimator == "wlsmv":
        result = cfa_ordinal(items, spec, missing=missing)
        return _from_ordinal(model, result, len(items))
    result = cfa(items, spec, estimator, missing=missing)
    return _from_ml(model, result)


def select_measures(fit_measures: dict, estimator: str, robust_available: bool = True) -> tuple[dict, str]:
    """Pick the ``fit.csv`` measures from lavaan-named fit measures.

    Parameters
    ----------
    fit_measures : dict
        lavaan ``fitMeasures()`` names to values.
    estimator : {"ml", "mlr", "wlsmv"}
    robust_available : bool, default True
        False where the engine's robust indices do not match lavaan's and must
        not be shown (MLR with FIML).

    Returns
    -------
    tuple of (dict, str)
        The measures keyed by ``FIT_COLUMNS[2:]`` and the variant of CFI, TLI
        and RMSEA (see ``INDEX_VARIANTS``). MLR and WLSMV use the robust
        indices when CFI, TLI and RMSEA all exist as robust values, the scaled
        ones otherwise, and report ``"none"`` when neither set is complete.
    """
    if estimator == "ml":
        names = _MEASURE_NAMES["ml"]
        return {column: _number(fit_measures.get(name)) for column, name in names.items()}, "standard"

    def pick(variant: str) -> dict:
        return {column: _number(fit_measures.get(name)) for column, name in _MEASURE_NAMES[variant].items()}

    def complete(measures: dict) -> bool:
        return all(np.isfinite(measures[column]) for column in ("cfi", "tli", "rmsea"))

    robust = pick("robust")
    if robust_available and complete(robust):
        return robust, "robust"
    scaled = pick("scaled")
    if complete(scaled):
        return scaled, "scaled"
    return scaled, "none"


def _from_ml(model: str, result: FitResult) -> ModelFit:
    # The engine does not compute lavaan's missing-data corrections of the robust
    # CFI, TLI and RMSEA, so MLR with FIML shows the scaled indices.
    measures, variant = select_measures(result.fit_measures, result.estimator, robust_available=result.missing != "fiml")

    parameters = result.parameters
    rows = parameters[(parameters["op"] == "=~") & (parameters["group"] == 1)]
    loadings = pd.DataFrame({
        "model": model,
        "estimator": result.estimator,
        "factor": rows["lhs"].to_numpy(),
        "indicator": rows["rhs"].to_numpy(),
        "loading": rows["std_all"].to_numpy(dtype=float),
        "se": standardized_loading_se(result, rows),
    }, columns=list(LOADING_COLUMNS))

    correlations = result.factor_correlations
    pairs = [
        {"model": model, "factor_a": a, "factor_b": b, "correlation": float(correlations.loc[a, b])}
        for a, b in combinations(correlations.index, 2)
    ]
    return ModelFit(
        model=model,
        estimator=result.estimator,
        n_used=result.sample.n_total,
        n_deleted=result.sample.n_deleted,
        converged=result.converged,
        measures=measures,
        loadings=loadings,
        factor_correlations=pd.DataFrame(pairs, columns=list(CORRELATION_COLUMNS)),
        result=result,
        index_variant=variant,
    )


def _from_ordinal(model: str, result: OrdinalFitResult, n_rows: int) -> ModelFit:
    measures, variant = select_measures(result.fit_measures, "wlsmv")

    standardized = result.standardized
    rows = standardized[standardized["op"] == "=~"]
    loadings = pd.DataFrame({
        "model": model,
        "estimator": "wlsmv",
        "factor": rows["lhs"].to_numpy(),
        "indicator": rows["rhs"].to_numpy(),
        "loading": rows["est_std"].to_numpy(dtype=float),
        "se": rows["se"].to_numpy(dtype=float),
    }, columns=list(LOADING_COLUMNS))
    correlations = result.factor_correlations.rename(columns={}).assign(model=model)
    return ModelFit(
        model=model,
        estimator="wlsmv",
        n_used=result.n_respondents,
        n_deleted=n_rows - result.n_respondents,
        converged=result.converged,
        measures=measures,
        loadings=loadings,
        factor_correlations=correlations.loc[:, list(CORRELATION_COLUMNS)].reset_index(drop=True),
        result=result,
        index_variant=variant,
    )


def _number(value) -> float:
    return float(value) if value is not None else float("nan")


def standardized_loading_se(result: FitResult, rows: pd.DataFrame) -> np.ndarray:
    """Return delta-method standard errors of the ``std.all`` values of loading rows.

    Parameters
    ----------
    result : FitResult
        A single-group ML or MLR fit.
    rows : DataFrame
        Rows of ``result.parameters`` with ``op == "=~"`` (``matrix``, ``row``,
        ``col`` locate each loading in ``lambda`` or ``beta``).

    Returns
    -------
    ndarray
        One standard error per row; NaN when the fit has no covariance matrix
        (a model that is not identified).

    Notes
    -----
    ``se = sqrt(diag(J V J'))`` with ``V`` the covariance of the free
    parameters (inverse expected information for ML, sandwich for MLR) and
    ``J`` the Jacobian of the standardized loadings, by central differences.
    lavaan 0.6 ``standardizedSolution()`` uses the same formula with an
    analytic Jacobian.
    """
    covariance = result.covariance
    if not np.all(np.isfinite(covariance)):
        return np.full(len(rows), np.nan)
    model = result.model
    kinds = rows["matrix"].to_numpy()
    row_index = rows["row"].to_numpy(dtype=int)
    col_index = rows["col"].to_numpy(dtype=int)

    def standardized(theta: np.ndarray) -> np.ndarray:
        matrices = model.matrices(theta, 0)
        sigma, _ = model.implied_moments(theta, 0)
        sd_observed = np.sqrt(np.abs(np.diag(sigma)))
        sd_latent = np.sqrt(np.abs(np.diag(matrices.latent_covariance)))
        values = np.empty(len(kinds))
        for position, (kind, row, col) in enumerate(zip(kinds, row_index, col_index)):
            if kind == "lambda":
                values[position] = matrices.lambda_[row, col] * sd_latent[col] / sd_observed[row]
            else:
                values[position] = matrices.beta[row, col] * sd_latent[col] / sd_latent[row]
        return values

    theta = np.asarray(result.theta, dtype=float)
    jacobian = np.empty((len(kinds), theta.size))
    for k in range(theta.size):
        step = _STEP * max(1.0, abs(theta[k]))
        forward, backward = theta.copy(), theta.copy()
        forward[k] += step
        backward[k] -= step
        jacobian[:, k] = (standardized(forward) - standardized(backward)) / (2.0 * step)
    variances = np.einsum("ij,jk,ik->i", jacobian, covariance, jacobian)
    return np.sqrt(np.clip(variances, 0.0, None))


def nested_comparisons(fits: dict[str, ModelFit]) -> pd.DataFrame:
    """Test each pair of ``NESTED_PAIRS`` whose two models were fitted with ML or MLR.

    Returns
    -------
    DataFrame
        Columns ``COMPARISON_COLUMNS``: the restricted and the general model, the
        chi-square difference (Satorra-Bentler scaled for MLR), its degrees of
        freedom and p-value, and the change in CFI and RMSEA (restricted minus
        general). See :func:`~lqp_research.psychometrics.confirmatory.compare_models`.
    """
    rows = []
    for restricted, general in NESTED_PAIRS:
        if restricted not in fits or general not in fits:
            continue
        first, second = fits[restricted], fits[general]
        if first.estimator == "wlsmv" or second.estimator == "wlsmv":
            continue
        table = compare_models([first.result, second.result], names=[restricted, general])
        tested = table.iloc[-1]
        rows.append({
            "restricted": restricted,
            "general": general,
            "delta_chisq": float(tested["delta_chisq"]),
            "delta_df": int(tested["delta_df"]),
            "pvalue": float(tested["pvalue"]),
            "delta_cfi": first.measures["cfi"] - second.measures["cfi"],
            "delta_rmsea": first.measures["rmsea"] - second.measures["rmsea"],
        })
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


def fit_table(fits: dict[str, ModelFit]) -> pd.DataFrame:
    """Return the ``fit.csv`` table: one row per fitted model, columns ``FIT_COLUMNS``."""
    return pd.DataFrame([fit.fit_row() for fit in fits.values()], columns=list(FIT_COLUMNS))


__all__ = [
    "CORRELATION_COLUMNS",
    "COMPARISON_COLUMNS",
    "ESTIMATORS",
    "FIT_COLUMNS",
    "LOADING_COLUMNS",
    "MISSING_METHODS",
    "ModelFit",
    "NESTED_PAIRS",
    "fit_model",
    "fit_table",
    "nested_comparisons",
    "standardized_loading_se",
]
