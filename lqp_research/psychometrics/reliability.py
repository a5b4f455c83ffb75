"""Reliability of scales: Cronbach's alpha, McDonald's omega, and a table of both.

Functions take the item scores of one rating (respondents by items, reverse items
already reversed, NaN = missing). Missing answers are handled as psych does by
default: covariances and correlations use pairwise-complete observations.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import InputDataError
from ._data import (
    OmegaIdentificationWarning,
    PsychometricsWarning,
    check_choice,
    check_items,
    check_key,
    check_range,
    drop_constant_items,
    pairwise_correlation,
    pairwise_covariance,
    warn,
)
from .exploratory import METHODS, efa, extract_factors
from .rotation import oblimin, promax

logger = logging.getLogger(__name__)


# Cronbach's alpha -----------------------------------------------------------------


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's alpha with its confidence interval.

    Attributes
    ----------
    alpha : float
    ci_low, ci_high : float
        Bounds of the confidence interval.
    confidence : float
        Coverage of the interval, e.g. 0.95.
    ci_method : str
        ``"feldt"`` or ``"bootstrap"``.
    n_items : int
        Items used (items without variance are left out).
    n_respondents : int
        Respondents with at least one answer on the items.
    """

    alpha: float
    ci_low: float
    ci_high: float
    confidence: float
    ci_method: str
    n_items: int
    n_respondents: int


def cronbach_alpha(
    items: pd.DataFrame,
    *,
    confidence: float = 0.95,
    ci_method: str = "feldt",
    n_boot: int = 1000,
    random_state: int | np.random.Generator | None = None,
) -> AlphaResult:
    """Compute Cronbach's alpha of one scale with a confidence interval.

    Parameters
    ----------
    items : DataFrame
        Item scores of one scale, respondents by items; NaN is missing.
    confidence : float, default 0.95
        Coverage of the confidence interval.
    ci_method : {"feldt", "bootstrap"}, default "feldt"
        Feldt's (1965) F-distribution interval, or a percentile bootstrap over
        respondents.
    n_boot : int, default 1000
        Bootstrap resamples (only for ``ci_method="bootstrap"``).
    random_state : int or numpy Generator, optional
        Seed or generator for the bootstrap.

    Returns
    -------
    AlphaResult

    Notes
    -----
    ``alpha = k / (k - 1) * (1 - trace(C) / sum(C))`` with ``C`` the covariance
    matrix of the ``k`` items from pairwise-complete observations. This is
    ``psych::alpha(x)$total$raw_alpha`` (psych 2.2.9) with its defaults
    ``use = "pairwise"`` and ``na.rm = TRUE``; like psych, items without variance
    are left out with a :class:`ConstantItemWarning`. The Feldt interval is
    ``1 - (1 - alpha) * F_q(n - 1, (n - 1)(k - 1))`` for the quantiles
    ``q = (1 +/- confidence) / 2``, as ``psych::alpha.ci``. psych takes ``n`` as
    the number of rows; here ``n`` counts respondents with at least one answer,
    which is the same unless a row is empty.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika, 16(3), 297-334. https://doi.org/10.1007/BF02310555

    Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson
    reliability coefficient twenty. Psychometrika, 30(3), 357-370.
    https://doi.org/10.1007/BF02289499
    """
    check_choice(ci_method, ("feldt", "bootstrap"), "ci_method")
    check_range(confidence, 0.0, 1.0, "confidence")
    data = drop_constant_items(check_items(items, min_items=2))
    if data.shape[1] < 2:
        raise InputDataError("psychometrics.too_few_items", argument="items", received=data.shape[1], expected=2)
    data = data[data.notna().any(axis=1)]
    n_respondents, n_items = data.shape
    alpha = _alpha_from_covariance(pairwise_covariance(data))

    if ci_method == "feldt":
        ci_low, ci_high = feldt_interval(alpha, n_respondents, n_items, confidence)
    else:
        ci_low, ci_high = _bootstrap_alpha(data, confidence, n_boot, random_state)
    return AlphaResult(
        alpha=alpha,
        ci_low=ci_low,
        ci_high=ci_high,
        confidence=confidence,
        ci_method=ci_method,
        n_items=n_items,
        n_respondents=n_respondents,
    )


def feldt_interval(alpha: float, n_respondents: int, n_items: int, confidence: float = 0.95) -> tuple[float, float]:
    """Return Feldt's (1965) confidence interval ``(low, high)`` for Cronbach's alpha."""
    tail = (1 - confidence) / 2
    df_between, df_within = n_respondents - 1, (n_respondents - 1) * (n_items - 1)
    low = 1 - (1 - alpha) * stats.f.ppf(1 - tail, df_between, df_within)
    high = 1 - (1 - alpha) * stats.f.ppf(tail, df_between, df_within)
    return float(low), float(high)


def _alpha_from_covariance(covariance: np.ndarray) -> float:
    n_items = covariance.shape[0]
    return float(n_items / (n_items - 1) * (1 - np.trace(covariance) / covariance.sum()))


def _bootstrap_alpha(data: pd.DataFrame, confidence, n_boot, random_state) -> tuple[float, float]:
    if n_boot < 2:
        raise InputDataError("psychometrics.out_of_range", argument="n_boot", received=n_boot, expected="[2, inf)")
    generator = np.random.default_rng(random_state)
    values = data.to_numpy()
    estimates = np.empty(n_boot)
    for draw in range(n_boot):
        sample = pd.DataFrame(values[generator.integers(0, len(values), len(values))])
        covariance = sample.cov(min_periods=2).to_numpy()
        estimates[draw] = _alpha_from_covariance(covariance) if np.isfinite(covariance).all() else np.nan
    tail = (1 - confidence) / 2
    low, high = np.nanquantile(estimates, [tail, 1 - tail])
    return float(low), float(high)


# Omega ------------------------------------------------------------------------------


def omega_total(items: pd.DataFrame, method: str = "minres") -> float:
    """Compute McDonald's omega total of one scale from a one-factor solution.

    Parameters
    ----------
    items : DataFrame
        Item scores of one scale, respondents by items; NaN is missing.
    method : {"minres", "ml"}, default "minres"
        Extraction method of the one-factor model.

    Returns
    -------
    float
        ``1 - sum(u2) / sum(R)``, where ``R`` is the pairwise correlation matrix and
        ``u2 = 1 - h2`` the uniquenesses of the one-factor solution. NaN for fewer
        than three items, where a one-factor model is not identified.

    Notes
    -----
    Equals ``psych::omega(x, nfactors = 1, fm = method)$omega.tot`` (psych 2.2.9)
    when all items load positively. psych would first reflect negatively loading
    items, but a reverse-scored scale with a common factor has none. The value is
    the reliability of the sum of standardized items.

    References
    ----------
    McDonald, R. P. (1999). Test Theory: A Unified Treatment. Lawrence Erlbaum.

    Revelle, W., & Zinbarg, R. E. (2009). Coefficients alpha, beta, omega, and the
    glb: Comments on Sijtsma. Psychometrika, 74(1), 145-154.
    https://doi.org/10.1007/s11336-008-9102-z
    """
    check_choice(method, METHODS, "method")
    data = drop_constant_items(check_items(items, min_items=1))
    if data.shape[1] < 3:
        return float("nan")
    correlation = pairwise_correlation(data)
    fit = extract_factors(correlation, 1, method)
    uniquenesses = 1 - (fit.loadings**2).sum(axis=1)
    return float(1 - uniquenesses.sum() / correlation.sum())


@dataclass(frozen=True)
class SchmidLeimanOmega:
    """Omega coefficients from a Schmid-Leiman transformation.

    Attributes
    ----------
    omega_hierarchical : float
        Share of the variance of the (standardized) total score due to the general factor.
    omega_total : float
        Share of that variance due to all common factors.
    alpha : float
        Standardized alpha from the same correlation matrix.
    loadings : DataFrame
        Items by ``g``, the group factors ``F1*``..., ``h2``, ``u2`` and ``p2``
        (``g**2 / h2``), in input order. Items whose general loading was negative
        are reflected.
    n_factors : int
        Number of group factors.
    """

    omega_hierarchical: float
    omega_total: float
    alpha: float
    loadings: pd.DataFrame
    n_factors: int


def omega_hierarchical(
    items: pd.DataFrame, n_factors: int = 3, method: str = "minres", rotation: str = "oblimin"
) -> SchmidLeimanOmega:
    """Compute omega hierarchical and omega total by the Schmid-Leiman transformation.

    Parameters
    ----------
    items : DataFrame
        Item scores of the whole instrument, respondents by items; NaN is missing.
    n_factors : int, default 3
        Number of group factors (psych's ``nfactors``).
    method : {"minres", "ml"}, default "minres"
        Extraction method of the group factors and of the general factor.
    rotation : {"oblimin", "promax"}, default "oblimin"
        Oblique rotation of the group factors.

    Returns
    -------
    SchmidLeimanOmega

    Notes
    -----
    Follows ``psych::omega(x, nfactors, fm = method, rotate = rotation)`` (psych
    2.2.9): a varimax solution of ``n_factors`` factors is rotated obliquely, one
    factor is extracted from the factor correlations, and the transformation gives
    each item a general loading ``g`` and group loadings. Items with a negative
    ``g`` are reflected (psych's ``flip = TRUE``). With ``V`` the sum of the
    correlation matrix, ``omega_hierarchical = sum(g)**2 / V`` and
    ``omega_total = (V - sum(u2)) / V``. With two group factors the general
    loadings are set equal (psych's ``option = "equal"``) and with one there is no
    general factor; both cases issue an :class:`OmegaIdentificationWarning`.

    References
    ----------
    Schmid, J., & Leiman, J. M. (1957). The development of hierarchical factor
    solutions. Psychometrika, 22(1), 53-61. https://doi.org/10.1007/BF02289209

    Zinbarg, R. E., Revelle, W., Yovel, I., & Li, W. (2005). Cronbach's alpha,
    Revelle's beta, and McDonald's omega_H: Their relations with each other and two
    alternative conceptualizations of reliability. Psychometrika, 70(1), 123-133.
    https://doi.org/10.1007/s11336-003-0974-7
    """
    check_choice(method, METHODS, "method")
    check_choice(rotation, ("oblimin", "promax"), "rotation")
    data = check_items(items, min_items=3)
    correlation = pairwise_correlation(data)
    n_items = correlation.shape[0]

    orthogonal = efa(data, n_factors, method=method, rotation="varimax").loadings.to_numpy()
    if n_factors == 1:
        warn(OmegaIdentificationWarning, "psychometrics.warning.one_factor_omega")
        pattern, general = orthogonal, np.ones(1)
    else:
        oblique = oblimin(orthogonal) if rotation == "oblimin" else promax(orthogonal)
        pattern = oblique.loadings.to_numpy()
        phi = oblique.factor_correlations.to_numpy()
        general = _general_loadings(phi, method)

    general_loadings = pattern @ general
    communalities = (orthogonal**2).sum(axis=1)
    residual = np.clip(pattern**2 * (1 - general**2), 0.0, None)
    group_loadings = np.sign(pattern) * np.sqrt(residual)
    signs = np.where(general_loadings < 0, -1.0, 1.0)
    general_loadings, group_loadings = general_loadings * signs, group_loadings * signs[:, None]
    flipped = correlation * np.outer(signs, signs)

    total = flipped.sum()
    uniquenesses = 1 - communalities
    table = pd.DataFrame(group_loadings, index=data.columns, columns=[f"F{n}*" for n in range(1, n_factors + 1)])
    table.insert(0, "g", general_loadings)
    table["h2"] = communalities
    table["u2"] = uniquenesses
    table["p2"] = general_loadings**2 / communalities
    return SchmidLeimanOmega(
        omega_hierarchical=float(general_loadings.sum() ** 2 / total),
        omega_total=float((total - uniquenesses.sum()) / total),
        alpha=float((total - n_items) / total * n_items / (n_items - 1)),
        loadings=table,
        n_factors=n_factors,
    )


def _general_loadings(phi: np.ndarray, method: str) -> np.ndarray:
    if phi.shape[0] == 2:
        warn(OmegaIdentificationWarning, "psychometrics.warning.two_factor_omega")
        root = np.sqrt(abs(phi[0, 1]))
        return np.array([root, np.sign(phi[0, 1]) * root])
    with warnings.catch_warnings():
        # Three group factors make the general factor just identified, so a bound
        # uniqueness is expected there and is no finding about the items.
        warnings.simplefilter("ignore", PsychometricsWarning)
        loadings = extract_factors(phi, 1, method).loadings[:, 0]
    return loadings if loadings.sum() >= 0 else -loadings


@dataclass(frozen=True)
class CfaOmega:
    """Omega coefficients from a confirmatory bifactor or second-order solution."""

    omega_hierarchical: float
    omega_total: float
    n_items: int


def omega_bifactor(loadings: pd.DataFrame, general: str) -> CfaOmega:
    """Compute omega hierarchical and total from a standardized bifactor solution.

    Parameters
    ----------
    loadings : DataFrame
        Standardized loadings in long form with columns ``factor``, ``item`` and
        ``loading`` (e.g. the ``=~`` rows of a standardized solution). All factors
        are taken as uncorrelated, as in an orthogonal bifactor model.
    general : str
        Name of the general factor in ``loadings["factor"]``.

    Returns
    -------
    CfaOmega

    Notes
    -----
    Residual variances are ``1 - sum of squared loadings`` of each item (no
    residual covariances). With ``V = sum_f (sum_i l_if)**2 + sum(residuals)``, the
    variance of the sum of standardized items, ``omega_hierarchical =
    (sum_i l_ig)**2 / V`` and ``omega_total = sum_f (sum_i l_if)**2 / V``. The
    reference values are these formulas in R on a lavaan 0.6-14 standardized
    solution; semTools has no bifactor omega hierarchical under this name.

    References
    ----------
    Rodriguez, A., Reise, S. P., & Haviland, M. G. (2016). Evaluating bifactor
    models: Calculating and interpreting statistical indices. Psychological
    Methods, 21(2), 137-150. https://doi.org/10.1037/met0000045
    """
    table = _check_loadings_table(loadings, "loadings")
    if general not in set(table["factor"]):
        raise InputDataError("psychometrics.unknown_factor", argument="general", factor=general, other="loadings")
    wide = table.pivot_table(index="item", columns="factor", values="loading", aggfunc="sum", fill_value=0.0)

    sums = wide.sum(axis=0)
    residuals = 1 - (wide**2).sum(axis=1)
    total = (sums**2).sum() + residuals.sum()
    return CfaOmega(
        omega_hierarchical=float(sums[general] ** 2 / total),
        omega_total=float((sums**2).sum() / total),
        n_items=len(wide),
    )


def omega_second_order(first_order: pd.DataFrame, second_order: pd.DataFrame) -> CfaOmega:
    """Compute omega hierarchical and total from a standardized second-order solution.

    Parameters
    ----------
    first_order : DataFrame
        Standardized loadings of the items on the first-order factors, columns
        ``factor``, ``item``, ``loading``.
    second_order : DataFrame
        Standardized loadings of the first-order factors on one second-order
        factor, columns ``factor`` (the second-order factor), ``item`` (the
        first-order factor) and ``loading``.

    Returns
    -------
    CfaOmega

    Notes
    -----
    With first-order loadings ``L``, second-order loadings ``gamma`` and factor
    correlations ``Phi_kl = gamma_k gamma_l`` (1 on the diagonal), the implied
    correlation matrix is ``L Phi L' + Theta`` with ``Theta = 1 - diag(L Phi L')``.
    With ``V`` its sum, ``omega_hierarchical = (sum_k gamma_k sum_i L_ik)**2 / V``
    and ``omega_total = sum(L Phi L') / V``. This is the Schmid-Leiman form of the
    second-order model. semTools' ``compRelSEM(higher = )`` (0.5-6) reports a
    different ratio (the higher-order factor's share of the first-order factors'
    common variance), so the reference values are these formulas in R on a
    lavaan 0.6-14 standardized solution.

    References
    ----------
    Zinbarg, R. E., Yovel, I., Revelle, W., & McDonald, R. P. (2006). Estimating
    generalizability to a latent variable common to all of a scale's indicators: A
    comparison of estimators for omega_h. Applied Psychological Measurement, 30(2),
    121-144. https://doi.org/10.1177/0146621605278814
    """
    first = _check_loadings_table(first_order, "first_order")
    second = _check_loadings_table(second_order, "second_order")
    if second["factor"].nunique() != 1:
        raise InputDataError(
            "psychometrics.bad_loadings_table",
            argument="second_order",
            expected="one second-order factor",
            received=", ".join(map(str, second["factor"].unique())),
        )
    gamma = second.set_index("item")["loading"]
    missing = sorted(set(first["factor"]) - set(gamma.index))
    if missing:
        raise InputDataError("psychometrics.unknown_factor", argument="first_order", factor=missing[0], other="second_order")
    wide = first.pivot_table(index="item", columns="factor", values="loading", aggfunc="sum", fill_value=0.0)

    gamma = gamma.reindex(wide.columns).to_numpy()
    phi = np.outer(gamma, gamma)
    np.fill_diagonal(phi, 1.0)
    common = wide.to_numpy() @ phi @ wide.to_numpy().T
    total = common.sum() - np.trace(common) + len(wide)
    general = float((wide.to_numpy() @ gamma).sum())
    return CfaOmega(
        omega_hierarchical=general**2 / float(total),
        omega_total=float(common.sum() / total),
        n_items=len(wide),
    )


def _check_loadings_table(table: pd.DataFrame, argument: str) -> pd.DataFrame:
    expected = ["factor", "item", "loading"]
    if not isinstance(table, pd.DataFrame) or not set(expected) <= set(table.columns):
        received = list(table.columns) if isinstance(table, pd.DataFrame) else type(table).__name__
        raise InputDataError(
            "psychometrics.bad_loadings_table", argument=argument, expected=", ".join(expected), received=received
        )
    return table[expected].astype({"loading": float})


# The reliability table ---------------------------------------------------------------


RELIABILITY_COLUMNS = [
    "level",
    "scale",
    "n_items",
    "n_respondents",
    "alpha",
    "alpha_ci_low",
    "alpha_ci_high",
    "omega_total",
]


def reliability_table(
    items: pd.DataFrame,
    key: Mapping[str, Sequence[str]],
    dimensions: Mapping[str, Sequence[str]] | None = None,
    *,
    confidence: float = 0.95,
    method: str = "minres",
) -> pd.DataFrame:
    """Tabulate alpha (with Feldt interval) and omega total per factor and per dimension.

    Parameters
    ----------
    items : DataFrame
        Item scores of one rating, respondents by items; NaN is missing.
    key : mapping
        ``{factor: [items]}``, e.g. ``Instrument.scoring_key()``.
    dimensions : mapping, optional
        ``{dimension: [factors]}``; a dimension's items are those of its factors,
        e.g. ``{d.code: list(d.factors) for d in instrument.dimensions}``.
    confidence : float, default 0.95
        Coverage of the alpha interval.
    method : {"minres", "ml"}, default "minres"
        Extraction method of the one-factor model behind omega total.

    Returns
    -------
    DataFrame
        Columns ``level`` ("factor" or "dimension"), ``scale``, ``n_items``,
        ``n_respondents`` (respondents with at least one answer on the scale),
        ``alpha``, ``alpha_ci_low``, ``alpha_ci_high`` (see
        :func:`cronbach_alpha`) and ``omega_total`` (see :func:`omega_total`).
        Factors come first in key order, then dimensions.
    """
    data = check_items(items)
    scales = check_key(key, data.columns)
    rows = [("factor", scale, scale_items) for scale, scale_items in scales.items()]
    for dimension, factors in (dimensions or {}).items():
        unknown = [factor for factor in factors if factor not in scales]
        if unknown:
            raise InputDataError(
                "psychometrics.unknown_scale", dimension=dimension, scale=unknown[0], known=", ".join(scales)
            )
        rows.append(("dimension", str(dimension), [item for factor in factors for item in scales[factor]]))

    records = []
    for level, scale, scale_items in rows:
        result = cronbach_alpha(data[scale_items], confidence=confidence)
        records.append(
            {
                "level": level,
                "scale": scale,
                "n_items": result.n_items,
                "n_respondents": result.n_respondents,
                "alpha": result.alpha,
                "alpha_ci_low": result.ci_low,
                "alpha_ci_high": result.ci_high,
                "omega_total": omega_total(data[scale_items], method=method),
            }
        )
    return pd.DataFrame.from_records(records, columns=RELIABILITY_COLUMNS)
