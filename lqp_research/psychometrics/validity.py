"""Discriminant and convergent validity: HTMT, AVE, composite reliability, Fornell-Larcker.

:func:`htmt` works on item scores and a key. The other functions take a
standardized CFA solution as tables, so they work with any CFA engine: loadings
in long form (``factor``, ``item``, ``loading``) and factor correlations in long
form (``factor_a``, ``factor_b``, ``correlation``) or as a square DataFrame.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import InputDataError
from ._data import check_choice, check_items, check_key

HTMT_METHODS = ("htmt2", "htmt")


def htmt(
    items: pd.DataFrame, key: Mapping[str, Sequence[str]], *, method: str = "htmt2", absolute: bool = True
) -> pd.DataFrame:
    """Compute the heterotrait-monotrait ratio of correlations between scales.

    Parameters
    ----------
    items : DataFrame
        Item scores, respondents by items; rows with any missing answer on the
        keyed items are dropped (listwise deletion).
    key : mapping
        ``{scale: [items]}``.
    method : {"htmt2", "htmt"}, default "htmt2"
        ``"htmt"`` averages correlations arithmetically (Henseler et al., 2015);
        ``"htmt2"`` geometrically (Roemer et al., 2021), which needs positive
        correlations and is consistent under congeneric models.
    absolute : bool, default True
        Use absolute correlations (always for ``"htmt2"``).

    Returns
    -------
    DataFrame
        Square, scales by scales, with 1 on the diagonal.

    Notes
    -----
    Matches ``semTools::htmt(model, data, htmt2 = method == "htmt2")``
    (semTools 0.5-6), whose defaults are listwise deletion, absolute correlations
    and HTMT2. Values above 0.85 (Henseler et al., 2015) or 0.90 (Gold et al.,
    2001) indicate weak discriminant validity. A scale with one item has no
    within-scale correlation, so its row is NaN.

    References
    ----------
    Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). A new criterion for
    assessing discriminant validity in variance-based structural equation
    modeling. Journal of the Academy of Marketing Science, 43(1), 115-135.
    https://doi.org/10.1007/s11747-014-0403-8

    Roemer, E., Schuberth, F., & Henseler, J. (2021). HTMT2: An improved criterion
    for assessing discriminant validity in structural equation modeling.
    Industrial Management & Data Systems, 121(12), 2637-2650.
    https://doi.org/10.1108/IMDS-02-2021-0082
    """
    check_choice(method, HTMT_METHODS, "method")
    if not isinstance(items, pd.DataFrame):
        raise InputDataError("psychometrics.not_dataframe", argument="items", received=type(items).__name__)
    scales = check_key(key, items.columns)
    used = list(dict.fromkeys(item for scale_items in scales.values() for item in scale_items))
    complete = check_items(items[used]).dropna()
    if len(complete) < 3:
        raise InputDataError("psychometrics.too_few_respondents", argument="items", received=len(complete), expected=3)
    correlation = complete.corr()
    if absolute or method == "htmt2":
        correlation = correlation.abs()

    def average(values: np.ndarray) -> float:
        if values.size == 0:
            return float("nan")
        if method != "htmt2":
            return float(values.mean())
        # A correlation of exactly 0 makes the geometric mean 0: log gives -inf and exp(-inf) is 0.
        with np.errstate(divide="ignore"):
            return float(np.exp(np.log(values).mean()))

    names = list(scales)
    within = {}
    for scale in names:
        block = correlation.loc[scales[scale], scales[scale]].to_numpy()
        within[scale] = average(block[~np.eye(len(block), dtype=bool)])
    result = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    for first in names:
        for second in names:
            if first != second:
                between = correlation.loc[scales[first], scales[second]].to_numpy().ravel()
                result.loc[first, second] = average(between) / np.sqrt(within[first] * within[second])
    return result


def average_variance_extracted(
    loadings: pd.DataFrame, factor_variances: Mapping[str, float] | None = None
) -> pd.DataFrame:
    """Compute average variance extracted and composite reliability per factor.

    Parameters
    ----------
    loadings : DataFrame
        Loadings in long form, columns ``factor``, ``item``, ``loading`` and
        optionally ``residual_variance``. Without ``residual_variance`` the
        loadings must be standardized, and residual variances are ``1 - l**2``.
    factor_variances : mapping, optional
        ``{factor: variance}`` for unstandardized loadings; 1 when omitted.

    Returns
    -------
    DataFrame
        One row per factor in order of appearance: ``factor``, ``n_items``,
        ``ave`` and ``composite_reliability``.

    Notes
    -----
    With factor variance ``psi`` and residual variances ``theta``,
    ``ave = psi sum(l**2) / (psi sum(l**2) + sum(theta))`` and
    ``composite_reliability = psi (sum l)**2 / (psi (sum l)**2 + sum(theta))``.
    For a standardized solution these are the mean squared loading and
    ``(sum l)**2 / ((sum l)**2 + sum(1 - l**2))`` of Fornell & Larcker (1981). Items
    must load on one factor and have no residual covariances. Given the
    unstandardized solution, the results equal ``semTools::AVE(fit, obs.var = FALSE)``
    and ``semTools::compRelSEM(fit, obs.var = FALSE)`` (semTools 0.5-6), which
    differ from the standardized formulas by up to 0.005 on HolzingerSwineford1939.
    Fornell & Larcker ask for an AVE of at least 0.5.

    References
    ----------
    Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models
    with unobservable variables and measurement error. Journal of Marketing
    Research, 18(1), 39-50. https://doi.org/10.1177/002224378101800104
    """
    table = _loadings_table(loadings)
    if "residual_variance" in loadings.columns:
        table["residual_variance"] = loadings["residual_variance"].astype(float).to_numpy()
    else:
        table["residual_variance"] = 1 - table["loading"] ** 2
    variances = dict(factor_variances or {})
    rows = []
    for factor, group in table.groupby("factor", sort=False):
        values = group["loading"].to_numpy()
        residual = group["residual_variance"].sum()
        psi = float(variances.get(factor, 1.0))
        squared = psi * (values**2).sum()
        common = psi * values.sum() ** 2
        rows.append(
            {
                "factor": factor,
                "n_items": len(values),
                "ave": float(squared / (squared + residual)),
                "composite_reliability": float(common / (common + residual)),
            }
        )
    return pd.DataFrame(rows, columns=["factor", "n_items", "ave", "composite_reliability"])


def fornell_larcker(loadings: pd.DataFrame, factor_correlations: pd.DataFrame) -> pd.DataFrame:
    """Tabulate the Fornell-Larcker criterion: sqrt(AVE) on the diagonal, factor correlations off it.

    Parameters
    ----------
    loadings : DataFrame
        Standardized loadings in long form, columns ``factor``, ``item``, ``loading``.
    factor_correlations : DataFrame
        Either long form with columns ``factor_a``, ``factor_b``, ``correlation``
        (one row per pair is enough), or a square DataFrame indexed by factor.

    Returns
    -------
    DataFrame
        Square, factors by factors, in the order of ``loadings``; the AVE is that of
        :func:`average_variance_extracted` with residual variances ``1 - l**2``,
        so pass standardized loadings. Discriminant
        validity holds for a factor when its diagonal value exceeds its
        correlations with every other factor.

    References
    ----------
    Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models
    with unobservable variables and measurement error. Journal of Marketing
    Research, 18(1), 39-50. https://doi.org/10.1177/002224378101800104
    """
    extracted = average_variance_extracted(_loadings_table(loadings))
    names = list(extracted["factor"])
    square = _square_correlations(factor_correlations, names)
    result = square.copy()
    for name, ave in zip(names, extracted["ave"]):
        result.loc[name, name] = np.sqrt(ave)
    return result


def _loadings_table(loadings: pd.DataFrame) -> pd.DataFrame:
    expected = ["factor", "item", "loading"]
    if not isinstance(loadings, pd.DataFrame) or not set(expected) <= set(loadings.columns):
        received = list(loadings.columns) if isinstance(loadings, pd.DataFrame) else type(loadings).__name__
        raise InputDataError(
            "psychometrics.bad_loadings_table", argument="loadings", expected=", ".join(expected), received=received
        )
    return loadings[expected].astype({"loading": float})


def _square_correlations(correlations: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    long_columns = {"factor_a", "factor_b", "correlation"}
    square = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    if isinstance(correlations, pd.DataFrame) and long_columns <= set(correlations.columns):
        for row in correlations.itertuples():
            for factor in (row.factor_a, row.factor_b):
                if factor not in square.index:
                    raise InputDataError(
                        "psychometrics.unknown_factor", argument="factor_correlations", factor=factor, other="loadings"
                    )
            square.loc[row.factor_a, row.factor_b] = row.correlation
            square.loc[row.factor_b, row.factor_a] = row.correlation
        return square
    if isinstance(correlations, pd.DataFrame) and set(names) <= set(correlations.index) and set(names) <= set(correlations.columns):
        return correlations.loc[names, names].astype(float).copy()
    received = list(correlations.columns) if isinstance(correlations, pd.DataFrame) else type(correlations).__name__
    raise InputDataError(
        "psychometrics.bad_loadings_table",
        argument="factor_correlations",
        expected="factor_a, factor_b, correlation (or a square matrix of the factors)",
        received=received,
    )
