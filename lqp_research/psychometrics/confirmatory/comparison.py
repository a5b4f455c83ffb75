"""Chi-square difference tests between nested models and measurement invariance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ...errors import InputDataError
from .fitting import FitResult, cfa
from .specification import ModelSpec

COMPARISON_COLUMNS = [
    "model", "npar", "chisq", "df", "cfi", "tli", "rmsea", "srmr", "aic", "bic",
    "delta_chisq", "delta_df", "pvalue",
]

INVARIANCE_STEPS = {
    "configural": (),
    "metric": ("loadings",),
    "scalar": ("loadings", "intercepts"),
}


def compare_models(fits: Sequence[FitResult], names: Sequence[str] | None = None) -> pd.DataFrame:
    """Compare nested models with chi-square difference tests, as lavaan ``lavTestLRT``.

    Parameters
    ----------
    fits : sequence of FitResult
        At least two fits of the same data with the same estimator. They are
        ordered by degrees of freedom (the least restricted first) and each is
        tested against the one before it.
    names : sequence of str, optional
        Display names; the models' own names when omitted.

    Returns
    -------
    DataFrame
        Columns ``model, npar, chisq, df, cfi, tli, rmsea, srmr, aic, bic,
        delta_chisq, delta_df, pvalue``; the first row has NaN differences. For
        MLR ``chisq`` is the unscaled statistic (as lavaan prints it),
        ``delta_chisq`` the Satorra-Bentler (2001) scaled difference, and
        ``cfi``, ``tli``, ``rmsea`` are the robust versions.

    Raises
    ------
    InputDataError
        If fewer than two fits are given, or they differ in estimator or sample size.

    Notes
    -----
    For ML the difference is ``chisq_0 - chisq_1`` on ``df_0 - df_1`` degrees of
    freedom. For MLR it is ``(T_0 - T_1) / c_d`` with
    ``c_d = (df_0 c_0 - df_1 c_1) / (df_0 - df_1)``, where ``T`` are the unscaled
    statistics and ``c`` the scaling factors, as lavaan 0.6
    ``lavTestLRT(method = "satorra.bentler.2001")``. Nesting is not checked.

    References
    ----------
    Satorra, A., & Bentler, P. M. (2001). A scaled difference chi-square test
    statistic for moment structure analysis. Psychometrika, 66(4), 507-514.
    https://doi.org/10.1007/BF02296192
    """
    if len(fits) < 2:
        raise InputDataError("cfa.compare_too_few", n=len(fits))
    estimators = {fit.estimator for fit in fits}
    sizes = {fit.sample.n_total for fit in fits}
    if len(estimators) > 1 or len(sizes) > 1:
        raise InputDataError(
            "cfa.compare_mismatch",
            estimators=", ".join(sorted(estimators)),
            sizes=", ".join(str(n) for n in sorted(sizes)),
        )
    labels = list(names) if names is not None else [fit.name for fit in fits]
    order = sorted(range(len(fits)), key=lambda i: fits[i].fit_measures["df"])
    robust = estimators == {"mlr"}
    suffix = ".robust" if robust else ""

    rows = []
    previous = None
    for index in order:
        measures = fits[index].fit_measures
        row = {
            "model": labels[index],
            "npar": int(measures["npar"]),
            "chisq": measures["chisq"],
            "df": int(measures["df"]),
            "cfi": measures["cfi" + suffix],
            "tli": measures["tli" + suffix],
            "rmsea": measures["rmsea" + suffix],
            "srmr": measures["srmr"],
            "aic": measures["aic"],
            "bic": measures["bic"],
            "delta_chisq": np.nan,
            "delta_df": np.nan,
            "pvalue": np.nan,
        }
        if previous is not None:
            row.update(_difference_test(previous, measures, robust))
        rows.append(row)
        previous = measures
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def _difference_test(less_restricted: dict, more_restricted: dict, robust: bool) -> dict:
    delta_df = more_restricted["df"] - less_restricted["df"]
    delta = more_restricted["chisq"] - less_restricted["chisq"]
    if robust and delta_df > 0:
        scaling = (
            more_restricted["df"] * more_restricted["chisq.scaling.factor"]
            - less_restricted["df"] * less_restricted["chisq.scaling.factor"]
        ) / delta_df
        delta = delta / scaling
    pvalue = float(stats.chi2.sf(delta, delta_df)) if delta_df > 0 else np.nan
    return {"delta_chisq": delta, "delta_df": delta_df, "pvalue": pvalue}


@dataclass(frozen=True)
class InvarianceResult:
    """Configural, metric and scalar fits and their comparison.

    Attributes
    ----------
    fits : dict of str to FitResult
        Keyed ``"configural"``, ``"metric"``, ``"scalar"``.
    table : DataFrame
        :func:`compare_models` columns plus ``delta_cfi`` and ``delta_rmsea``
        (each step minus the step before), one row per step.
    """

    fits: dict
    table: pd.DataFrame


def measurement_invariance(
    data: pd.DataFrame, model: ModelSpec | str, group: str, *, estimator: str = "ml", orthogonal: bool = False
) -> InvarianceResult:
    """Test configural, metric and scalar invariance across the groups of a column.

    Parameters
    ----------
    data : DataFrame
    model : ModelSpec or str
    group : str
        Grouping column (for example ``"team"`` or a background variable).
    estimator : {"ml", "mlr"}, default "ml"
    orthogonal : bool, default False
        With a syntax string, make the exogenous factors uncorrelated.

    Returns
    -------
    InvarianceResult

    Notes
    -----
    The steps are lavaan 0.6 ``cfa(model, data, group = group, group.equal = ...)``
    with ``group.equal`` empty (configural), ``"loadings"`` (metric) and
    ``c("loadings", "intercepts")`` (scalar; factor means free in all groups but
    the first), compared as ``lavTestLRT`` and semTools ``compareFit`` do.
    Cheung and Rensvold (2002) suggest a CFI drop of more than 0.01 as evidence
    against the more restricted step.

    References
    ----------
    Cheung, G. W., & Rensvold, R. B. (2002). Evaluating goodness-of-fit indexes
    for testing measurement invariance. Structural Equation Modeling, 9(2),
    233-255. https://doi.org/10.1207/S15328007SEM0902_5
    """
    fits = {
        step: cfa(data, model, estimator, group=group, group_equal=equal, orthogonal=orthogonal)
        for step, equal in INVARIANCE_STEPS.items()
    }
    table = compare_models(list(fits.values()), names=list(fits))
    table["delta_cfi"] = table["cfi"].diff()
    table["delta_rmsea"] = table["rmsea"].diff()
    return InvarianceResult(fits=fits, table=table)
