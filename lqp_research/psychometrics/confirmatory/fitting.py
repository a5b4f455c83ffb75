"""The public entry point :func:`cfa` and its result, :class:`FitResult`."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from ...errors import InputDataError
from ...i18n import translate
from .diagnostics import CfaWarning, ConvergenceWarning, HeywoodWarning, IdentificationWarning
from .estimation import Estimate, fit_ml, ml_gradient_and_information
from .fiml import FimlRobustResult, fiml_observed_information, fiml_robust, fit_fiml
from .fit_measures import fit_measures as compute_fit_measures
from .model import CompiledModel, compile_model
from .modification import modification_indices as compute_modification_indices
from .robust import RobustResult, robust_ml
from .sample import MISSING_METHODS, SampleMoments, sample_moments
from .specification import ModelSpec, parse_model
from .standardized import standardized_column

logger = logging.getLogger(__name__)

ESTIMATORS = ("ml", "mlr")

# Relative eigenvalue below which the information matrix counts as singular.
_IDENTIFICATION_TOLERANCE = 1e-10


@dataclass(frozen=True)
class FitResult:
    """A fitted confirmatory factor model.

    Attributes
    ----------
    model : CompiledModel
        The model with its parameter table and matrices.
    estimator : {"ml", "mlr"}
    theta : ndarray
        Free-parameter estimates, in the order of ``model.parameter_table["free"]``.
    covariance : ndarray
        Covariance matrix of ``theta``: inverse expected information for ML
        (inverse observed information with FIML), Huber-White sandwich for MLR.
        NaN when the model is not identified.
    parameters : DataFrame
        As lavaan ``parameterEstimates()`` with ``std.all``: ``lhs, op, rhs, group,
        label, est, se, z, pvalue, std_all``. Fixed parameters have ``se`` 0 and
        ``z`` and ``pvalue`` NaN, as in lavaan.
    fit_measures : dict
        lavaan ``fitMeasures()`` names, see
        :func:`~lqp_research.psychometrics.confirmatory.fit_measures.fit_measures`.
    sample : SampleMoments
    estimate : Estimate
        Optimiser details (convergence, iterations, method).
    warnings : tuple of CfaWarning
        Warnings raised during the fit (also issued through :mod:`warnings`).
    robust : RobustResult or FimlRobustResult or None
        Scaling details for MLR.
    missing : {"listwise", "fiml"}
        How missing values were handled.
    """

    model: CompiledModel
    estimator: str
    theta: np.ndarray
    covariance: np.ndarray
    parameters: pd.DataFrame
    fit_measures: dict
    sample: SampleMoments
    estimate: Estimate
    warnings: tuple[CfaWarning, ...] = field(default_factory=tuple)
    robust: RobustResult | FimlRobustResult | None = None
    missing: str = "listwise"

    @property
    def name(self) -> str:
        """Display name of the model."""
        return self.model.spec.name

    @property
    def converged(self) -> bool:
        return self.estimate.converged

    @property
    def standardized_loadings(self) -> pd.DataFrame:
        """``std.all`` loadings: one row per observed variable (and group), one column per factor.

        Second-order loadings (a factor on a factor) are rows named by the
        first-order factor. Cells without a loading are NaN.
        """
        loadings = self.parameters[self.parameters["op"] == "=~"]
        wide = loadings.pivot_table(index=["group", "rhs"], columns="lhs", values="std_all", sort=False)
        wide = wide.reindex(columns=[f for f in self.model.latent if f in wide.columns])
        wide.columns.name = None
        if self.model.n_groups == 1:
            wide = wide.droplevel("group")
            wide.index.name = "variable"
        else:
            wide.index = wide.index.set_names(["group", "variable"])
        return wide

    @property
    def factor_correlations(self) -> pd.DataFrame:
        """Model-implied correlations of the factors (from ``G Psi G'``), per group.

        One group: a factors x factors DataFrame. Several groups: rows indexed by
        ``(group, factor)``.
        """
        frames = []
        for group in range(self.model.n_groups):
            phi = self.model.matrices(self.theta, group).latent_covariance
            sd = np.sqrt(np.abs(np.diag(phi)))
            correlation = phi / np.outer(sd, sd)
            frame = pd.DataFrame(correlation, index=list(self.model.latent), columns=list(self.model.latent))
            frames.append(frame)
        if self.model.n_groups == 1:
            return frames[0]
        return pd.concat(frames, keys=range(1, self.model.n_groups + 1), names=["group", "factor"])

    def modification_indices(self, n: int | None = 10, minimum: float = 0.0) -> pd.DataFrame:
        """Return the ``n`` largest modification indices (all when ``n`` is None).

        Columns ``lhs, op, rhs, group, mi, epc, sepc_all``, sorted by ``mi``
        descending; rows with ``mi`` below ``minimum`` are dropped. See
        :func:`~lqp_research.psychometrics.confirmatory.modification.modification_indices`
        (matches lavaan ``modindices(fit, sort. = TRUE)`` for ML).
        """
        # NOTE: with FIML the indices use the expected information at the EM
        # moments, an approximation that lavaan (observed information) does not make.
        table = compute_modification_indices(self.model, self.theta, self.sample)
        table = table[table["mi"] >= minimum].sort_values("mi", ascending=False, kind="stable")
        table = table.reset_index(drop=True)
        return table if n is None else table.head(n)


def cfa(
    data: pd.DataFrame,
    model: ModelSpec | str,
    estimator: str = "ml",
    *,
    group: str | None = None,
    group_equal: Sequence[str] = (),
    meanstructure: bool | None = None,
    orthogonal: bool = False,
    missing: str = "listwise",
) -> FitResult:
    """Fit a confirmatory factor model by maximum likelihood, as lavaan's ``cfa()``.

    Parameters
    ----------
    data : DataFrame
        One row per respondent, one numeric column per observed variable of the
        model (for LQP models, the item ids), NaN for a missing value. Not changed.
    model : ModelSpec or str
        From :func:`build_model`, or lavaan syntax such as
        ``"visual =~ x1 + x2 + x3"``.
    estimator : {"ml", "mlr"}, default "ml"
        ``"ml"``: normal-theory ML, standard errors from the expected information.
        ``"mlr"``: the same estimates with Huber-White standard errors and the
        Yuan-Bentler (Mplus variant) scaled test statistic.
    group : str, optional
        Column that defines groups for a multi-group model.
    group_equal : sequence of str
        Parameters held equal across groups, as lavaan's ``group.equal``
        (``"loadings"``, ``"intercepts"``, ...).
    meanstructure : bool, optional
        Model intercepts and factor means; by default only with ``group`` or FIML.
    orthogonal : bool, default False
        With a syntax string, make the exogenous factors uncorrelated.
    missing : {"listwise", "fiml"}, default "listwise"
        ``"listwise"`` deletes rows with a missing value on a model variable
        (lavaan's default). ``"fiml"`` is full-information ML, lavaan's
        ``missing = "ml"``: every row with at least one observed model variable
        contributes its casewise likelihood, means are estimated, standard errors
        come from the observed information, and the test statistic compares the
        model with the saturated model fitted by EM.

    Returns
    -------
    FitResult

    Raises
    ------
    InputDataError
        For an unknown estimator or missing-data method, invalid syntax, missing
        or non-numeric columns, a singular sample covariance matrix (too few
        respondents, a constant or duplicated item), or ``meanstructure=False``
        with FIML.

    Warns
    -----
    ConvergenceWarning
        The optimiser did not reach a small gradient.
    HeywoodWarning
        A negative variance or a standardized loading beyond +-1.
    IdentificationWarning
        The information matrix is singular; standard errors are NaN.

    Notes
    -----
    Estimates, standard errors, ``std.all`` and fit measures match lavaan 0.6-14
    ``cfa(model, data, estimator = "ML" | "MLR", group, group.equal)`` with
    default options (marker-variable identification, ``likelihood = "normal"``);
    the test suite compares them on HolzingerSwineford1939. With
    ``missing="fiml"`` they match ``cfa(..., missing = "ml")`` (information
    ``"observed"``, and for MLR ``h1.information = "structured"``); the tests
    compare single-group models on HolzingerSwineford1939 with 6 % of the values
    deleted at random. NOTE: multi-group FIML follows the same formulas but is
    not compared with lavaan.

    References
    ----------
    Jöreskog, K. G. (1969). A general approach to confirmatory maximum likelihood
    factor analysis. Psychometrika, 34(2), 183-202. https://doi.org/10.1007/BF02289343

    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling.
    Journal of Statistical Software, 48(2), 1-36. https://doi.org/10.18637/jss.v048.i02

    Arbuckle, J. L. (1996). Full information estimation in the presence of
    incomplete data. In G. A. Marcoulides & R. E. Schumacker (Eds.), Advanced
    structural equation modeling (pp. 243-277). Lawrence Erlbaum.
    """
    # The matrices are small (items x items, parameters x parameters): one BLAS
    # thread is faster than several, whose start-up and spinning dominate
    # (measured by benchmarks/bench_cfa.py on 2 cores with OpenBLAS 0.3).
    with threadpool_limits(limits=1, user_api="blas"):
        return _cfa(data, model, estimator, group, group_equal, meanstructure, orthogonal, missing)


def _cfa(data, model, estimator, group, group_equal, meanstructure, orthogonal, missing) -> FitResult:
    estimator = estimator.lower() if isinstance(estimator, str) else estimator
    if estimator not in ESTIMATORS:
        raise InputDataError("cfa.unknown_estimator", value=estimator, expected=", ".join(ESTIMATORS))
    if missing not in MISSING_METHODS:
        raise InputDataError("cfa.unknown_missing", value=missing, expected=", ".join(MISSING_METHODS))
    fiml = missing == "fiml"
    if fiml and meanstructure is False:
        raise InputDataError("cfa.fiml_needs_meanstructure")
    spec = parse_model(model, orthogonal=orthogonal) if isinstance(model, str) else model
    if meanstructure is None:
        meanstructure = group is not None or fiml

    compiled_single = compile_model(spec)
    sample = sample_moments(data, compiled_single.observed, group, missing=missing)
    compiled = compile_model(
        spec, n_groups=len(sample.n_obs), meanstructure=meanstructure, group_equal=tuple(group_equal)
    )

    estimate = fit_fiml(compiled, sample) if fiml else fit_ml(compiled, sample)
    collected: list[CfaWarning] = []
    if not estimate.converged:
        collected.append(ConvergenceWarning(translate("cfa.warning_not_converged", None, detail=estimate.message)))

    if fiml:
        information = fiml_observed_information(compiled, estimate.theta, sample)
    else:
        _, information = ml_gradient_and_information(compiled, estimate.theta, sample)
    identified = _is_identified(information)
    df = _degrees_of_freedom(compiled, sample)
    robust = None
    if not identified:
        collected.append(IdentificationWarning(translate("cfa.warning_not_identified", None)))
        covariance = np.full((compiled.n_free, compiled.n_free), np.nan)
    elif estimator == "mlr" and fiml:
        robust = fiml_robust(compiled, estimate.theta, sample, information, df)
        covariance = robust.covariance
    elif estimator == "mlr":
        robust = robust_ml(compiled, estimate.theta, sample, df)
        covariance = robust.covariance
    else:
        covariance = np.linalg.inv(information) / sample.n_total

    parameters = _parameter_estimates(compiled, estimate.theta, covariance)
    collected.extend(_heywood_warnings(parameters))
    measures = compute_fit_measures(compiled, estimate.theta, estimate.objective, sample, robust)

    for warning in collected:
        warnings.warn(warning, stacklevel=4)
    logger.info(
        "Fitted %s (%s, %s, N = %d): chisq = %.3f, df = %d, %s after %d iterations.",
        spec.name, estimator, missing, sample.n_total, measures["chisq"], df, estimate.method,
        estimate.iterations,
    )
    return FitResult(
        model=compiled,
        estimator=estimator,
        theta=estimate.theta,
        covariance=covariance,
        parameters=parameters,
        fit_measures=measures,
        sample=sample,
        estimate=estimate,
        warnings=tuple(collected),
        robust=robust,
        missing=missing,
    )


def _degrees_of_freedom(model: CompiledModel, sample: SampleMoments) -> int:
    p = len(sample.observed)
    per_group = p * (p + 1) // 2 + (p if model.meanstructure else 0)
    return len(sample.n_obs) * per_group - model.n_free


def _is_identified(information: np.ndarray) -> bool:
    eigenvalues = np.linalg.eigvalsh(information)
    return bool(eigenvalues[0] > _IDENTIFICATION_TOLERANCE * max(eigenvalues[-1], 1e-300))


def _parameter_estimates(model: CompiledModel, theta: np.ndarray, covariance: np.ndarray) -> pd.DataFrame:
    table = model.parameter_table.copy()
    free = table["free"].to_numpy()
    is_free = free > 0
    estimates = table["value"].to_numpy(dtype=float).copy()
    estimates[is_free] = theta[free[is_free] - 1]
    if table["derived"].any():
        for group in range(model.n_groups):
            residual = np.diag(model.matrices(theta, group).theta)
            mask = (table["derived"] & (table["group"] == group + 1)).to_numpy()
            estimates[mask] = residual[table.loc[mask, "row"].to_numpy()]
    standard_errors = np.zeros(len(table))
    standard_errors[is_free] = np.sqrt(np.abs(np.diag(covariance)))[free[is_free] - 1]
    table["est"] = estimates
    table["se"] = standard_errors
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(is_free, estimates / standard_errors, np.nan)
    table["z"] = z
    table["pvalue"] = 2.0 * stats.norm.sf(np.abs(z))
    table["std_all"] = standardized_column(model, theta, table)
    columns = ["lhs", "op", "rhs", "group", "label", "est", "se", "z", "pvalue", "std_all",
               "free", "matrix", "row", "col"]
    return table[columns]


def _heywood_warnings(parameters: pd.DataFrame) -> list[CfaWarning]:
    found = []
    variances = parameters[(parameters["op"] == "~~") & (parameters["lhs"] == parameters["rhs"])]
    negative = variances[variances["est"] < 0]
    for row in negative.itertuples():
        found.append(HeywoodWarning(translate("cfa.warning_negative_variance", None, name=row.lhs, value=row.est)))
    loadings = parameters[(parameters["op"] == "=~") & (parameters["std_all"].abs() > 1)]
    for row in loadings.itertuples():
        found.append(
            HeywoodWarning(
                translate("cfa.warning_standardized_loading", None, factor=row.lhs, variable=row.rhs,
                          value=row.std_all)
            )
        )
    return found
