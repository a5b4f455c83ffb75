"""Thresholds and polychoric correlations estimated in two steps, as lavaan does.

Step one takes each item's thresholds from its own marginal proportions. Step two
maximises each pair's bivariate ordinal likelihood over the correlation alone, with
the thresholds held fixed (Olsson, 1979). All pairs are estimated together: the
contingency tables come from one matrix product of one-hot codes, and Newton steps
with analytic first and second derivatives update every correlation at once.

References
----------
Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation
coefficient. *Psychometrika*, 44(4), 443-460. https://doi.org/10.1007/BF02296207
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from ...errors import InputDataError
from .bivariate_normal import bivariate_normal_cdf, bivariate_normal_pdf
from .warnings import OrdinalEstimationWarning

logger = logging.getLogger(__name__)

# lavaan bounds the polychoric correlation to [-0.999, 0.999] in nlminb.
RHO_BOUND = 0.999
# lavaan floors cell probabilities at sqrt(machine epsilon) in the likelihood.
MIN_PROBABILITY = float(np.sqrt(np.finfo(float).eps))


@dataclass(frozen=True)
class OrdinalData:
    """Items coded as 0-based category indices, ready for ordinal statistics.

    Attributes
    ----------
    items : tuple of str
        Item names in column order.
    codes : numpy.ndarray of int, shape (n_respondents, n_items)
        Category index per answer; ``-1`` marks a missing answer.
    categories : tuple of numpy.ndarray
        The observed answer values of each item, in ascending order; code ``c``
        stands for ``categories[item][c]``.
    n_respondents : int
        Number of rows used (after listwise deletion, if requested).
    """

    items: tuple[str, ...]
    codes: np.ndarray
    categories: tuple[np.ndarray, ...]
    n_respondents: int

    @property
    def n_categories(self) -> np.ndarray:
        """Number of observed categories per item."""
        return np.array([len(values) for values in self.categories])

    @property
    def max_categories(self) -> int:
        """The largest number of categories of any item."""
        return int(self.n_categories.max())


def encode_ordinal(data: pd.DataFrame, missing: str = "listwise") -> OrdinalData:
    """Code every column of ``data`` as ordered categories, lavaan-style.

    Parameters
    ----------
    data : pandas.DataFrame
        One column per item with numeric answers; NaN is missing.
    missing : {"listwise", "pairwise"}, default "listwise"
        ``"listwise"`` drops every row with a missing answer (lavaan's default
        for categorical data); ``"pairwise"`` keeps them and uses, per statistic,
        the rows that have the answers it needs.

    Returns
    -------
    OrdinalData

    Notes
    -----
    As ``lavaan::lavaan(ordered = ...)``, the categories of an item are the
    values that occur in the data, so an unused answer option is no category.
    """
    if missing not in ("listwise", "pairwise"):
        raise InputDataError("ordinal.invalid_missing", value=missing)
    values = data.to_numpy(dtype=float, copy=True)
    if missing == "listwise":
        values = values[~np.isnan(values).any(axis=1)]

    codes = np.full(values.shape, -1, dtype=np.int64)
    categories = []
    for column, name in enumerate(data.columns):
        observed = ~np.isnan(values[:, column])
        levels = np.unique(values[observed, column])
        if len(levels) < 2:
            raise InputDataError("ordinal.too_few_categories", item=name, n=len(levels))
        codes[observed, column] = np.searchsorted(levels, values[observed, column])
        categories.append(levels)
    return OrdinalData(
        items=tuple(str(name) for name in data.columns),
        codes=codes,
        categories=tuple(categories),
        n_respondents=values.shape[0],
    )


def one_hot(ordinal: OrdinalData) -> np.ndarray:
    """Return the (n_respondents, n_items * max_categories) indicator matrix.

    A missing answer has an all-zero block, so products of these matrices count
    pairwise-complete cases.
    """
    n, p = ordinal.codes.shape
    width = ordinal.max_categories
    indicators = np.zeros((n, p * width))
    rows, columns = np.nonzero(ordinal.codes >= 0)
    indicators[rows, columns * width + ordinal.codes[rows, columns]] = 1.0
    return indicators


def estimate_thresholds(ordinal: OrdinalData) -> np.ndarray:
    """Estimate each item's thresholds from its marginal proportions.

    Returns
    -------
    numpy.ndarray, shape (n_items, max_categories - 1)
        ``Phi^-1`` of the cumulative proportions among the item's observed
        answers; ``+inf`` pads items with fewer categories.

    Notes
    -----
    Equals ``lavaan:::lav_uvord_th`` (the univariate probit maximum likelihood
    estimate without covariates).
    """
    width = ordinal.max_categories
    thresholds = np.full((len(ordinal.items), width - 1), np.inf)
    for column, n_categories in enumerate(ordinal.n_categories):
        codes = ordinal.codes[:, column]
        counts = np.bincount(codes[codes >= 0], minlength=n_categories)
        cumulative = np.cumsum(counts)[:-1] / counts.sum()
        thresholds[column, : n_categories - 1] = ndtri(cumulative)
    return thresholds


def pair_indices(n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the (first, second) item indices of every pair in lavaan's order.

    lavaan orders correlations as the column-wise lower triangle without the
    diagonal: (2,1), (3,1), ..., (p,1), (3,2), ... In 0-based (first, second)
    terms with first < second this is the row-wise upper triangle.
    """
    first, second = np.triu_indices(n_items, k=1)
    return first, second


def contingency_tables(ordinal: OrdinalData, indicators: np.ndarray | None = None) -> np.ndarray:
    """Count the bivariate tables of all item pairs (pairwise-complete cases).

    Returns
    -------
    numpy.ndarray, shape (n_pairs, max_categories, max_categories)
        ``tables[pair, a, b]`` counts respondents with category ``a`` on the
        pair's first item and ``b`` on its second.
    """
    if indicators is None:
        indicators = one_hot(ordinal)
    width = ordinal.max_categories
    p = len(ordinal.items)
    products = (indicators.T @ indicators).reshape(p, width, p, width)
    first, second = pair_indices(p)
    return products[first, :, second, :]


def _extended(thresholds: np.ndarray) -> np.ndarray:
    """Add -inf and +inf around each row of thresholds."""
    n = thresholds.shape[0]
    return np.hstack([np.full((n, 1), -np.inf), thresholds, np.full((n, 1), np.inf)])


@dataclass(frozen=True)
class CellDerivatives:
    """Cell probabilities of bivariate tables and their derivatives in rho.

    Attributes
    ----------
    probabilities, first, second : numpy.ndarray, shape (n_pairs, K, K)
        Cell probabilities and their first and second derivatives with respect
        to the correlation.
    """

    probabilities: np.ndarray
    first: np.ndarray
    second: np.ndarray


def _difference(grid: np.ndarray) -> np.ndarray:
    """Turn a grid of distribution values at cell corners into cell masses."""
    return grid[:, 1:, 1:] - grid[:, :-1, 1:] - grid[:, 1:, :-1] + grid[:, :-1, :-1]


def cell_derivatives(
    rho: np.ndarray, thresholds_first: np.ndarray, thresholds_second: np.ndarray
) -> CellDerivatives:
    """Compute the cell probabilities of every pair's table and their rho derivatives.

    Parameters
    ----------
    rho : numpy.ndarray, shape (n_pairs,)
    thresholds_first, thresholds_second : numpy.ndarray, shape (n_pairs, K - 1)
        Thresholds of the first and second item of each pair (``+inf`` padded).
    """
    upper_a = _extended(thresholds_first)[:, :, None]
    upper_b = _extended(thresholds_second)[:, None, :]
    rho_grid = rho[:, None, None]

    corners = bivariate_normal_cdf(upper_a, upper_b, rho_grid)
    density = bivariate_normal_pdf(upper_a, upper_b, rho_grid)
    # d phi2 / d rho = phi2 * (rho / (1 - r2) + hk / (1 - r2) - Q rho / (1 - r2)^2)
    one_minus_r2 = 1.0 - rho_grid**2
    finite = np.isfinite(upper_a) & np.isfinite(upper_b)
    with np.errstate(invalid="ignore"):
        hk = np.where(finite, upper_a * upper_b, 0.0)
        quadratic = np.where(finite, upper_a**2 - 2.0 * rho_grid * upper_a * upper_b + upper_b**2, 0.0)
    density_slope = density * (
        rho_grid / one_minus_r2 + hk / one_minus_r2 - quadratic * rho_grid / one_minus_r2**2
    )
    return CellDerivatives(
        probabilities=_difference(corners),
        first=_difference(density),
        second=_difference(density_slope),
    )


def _starting_correlations(ordinal: OrdinalData, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Pearson correlations of the category codes over pairwise-complete rows."""
    codes = ordinal.codes.astype(float)
    observed = ordinal.codes >= 0
    codes[~observed] = 0.0
    weights = observed.astype(float)
    n = weights.T @ weights
    sums = codes.T @ weights
    squares = (codes**2).T @ weights
    products = codes.T @ codes
    with np.errstate(invalid="ignore", divide="ignore"):
        covariance = products - sums * sums.T / n
        variance_first = squares - sums**2 / n
        correlation = covariance / np.sqrt(variance_first * variance_first.T)
    start = correlation[first, second]
    return np.where(np.isfinite(start) & (np.abs(start) < 1.0), start, 0.0)


def fit_polychoric(
    tables: np.ndarray,
    thresholds_first: np.ndarray,
    thresholds_second: np.ndarray,
    start: np.ndarray,
    *,
    tolerance: float = 1e-10,
    max_iterations: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """Maximise every pair's bivariate ordinal log-likelihood over rho.

    Newton steps use the analytic second derivative where it is negative and
    Fisher scoring elsewhere; steps are capped at 0.2 and correlations kept in
    [-0.999, 0.999], lavaan's bounds.

    Returns
    -------
    rho : numpy.ndarray, shape (n_pairs,)
    converged : numpy.ndarray of bool, shape (n_pairs,)

    Notes
    -----
    NOTE: lavaan treats 2 x 2 tables specially (two empty cells give rho = +-1,
    one empty cell gets 0.5 added); that applies to binary items only and is
    not implemented, so such pairs follow the plain likelihood here.
    """
    rho = np.clip(start.astype(float), -RHO_BOUND, RHO_BOUND)
    n_pair = tables.sum(axis=(1, 2))
    active = np.ones(rho.shape, dtype=bool)

    for _ in range(max_iterations):
        index = np.nonzero(active)[0]
        if index.size == 0:
            break
        cells = cell_derivatives(rho[index], thresholds_first[index], thresholds_second[index])
        probability = np.maximum(cells.probabilities, MIN_PROBABILITY)
        counts = tables[index]
        score_ratio = cells.first / probability
        gradient = np.sum(counts * score_ratio, axis=(1, 2))
        hessian = np.sum(counts * (cells.second / probability - score_ratio**2), axis=(1, 2))
        fisher = n_pair[index] * np.sum(cells.first**2 / probability, axis=(1, 2))
        curvature = np.where(hessian < 0, -hessian, fisher)
        step = np.clip(gradient / curvature, -0.2, 0.2)
        rho[index] = np.clip(rho[index] + step, -RHO_BOUND, RHO_BOUND)
        active[index] = np.abs(step) > tolerance
    converged = ~active
    return rho, converged


@dataclass(frozen=True)
class PolychoricResult:
    """Two-step thresholds and polychoric correlations.

    Attributes
    ----------
    thresholds : pandas.DataFrame
        Columns ``item``, ``threshold`` (1-based, as lavaan's ``t1``, ``t2`` ...),
        ``value``.
    correlations : pandas.DataFrame
        Square polychoric correlation matrix with item names as index and columns.
    n_pairs_used : pandas.DataFrame
        Number of respondents in each pair's table (equal everywhere after
        listwise deletion).
    """

    thresholds: pd.DataFrame
    correlations: pd.DataFrame
    n_pairs_used: pd.DataFrame


@dataclass(frozen=True)
class PolychoricFit:
    """Arrays of a two-step polychoric fit, as later estimation steps need them."""

    ordinal: OrdinalData
    thresholds: np.ndarray
    indicators: np.ndarray
    tables: np.ndarray
    rho: np.ndarray
    first: np.ndarray
    second: np.ndarray


def fit_polychoric_matrix(ordinal: OrdinalData) -> PolychoricFit:
    """Estimate thresholds and all polychoric correlations of ``ordinal``."""
    thresholds = estimate_thresholds(ordinal)
    indicators = one_hot(ordinal)
    tables = contingency_tables(ordinal, indicators)
    first, second = pair_indices(len(ordinal.items))

    start = _starting_correlations(ordinal, first, second)
    rho, converged = fit_polychoric(tables, thresholds[first], thresholds[second], start)
    for pair in np.nonzero(~converged)[0]:
        warnings.warn(
            OrdinalEstimationWarning(
                "ordinal.polychoric_not_converged",
                first=ordinal.items[first[pair]],
                second=ordinal.items[second[pair]],
            ),
            stacklevel=3,
        )
    near_one = np.abs(rho) > 0.99
    for pair in np.nonzero(near_one)[0]:
        warnings.warn(
            OrdinalEstimationWarning(
                "ordinal.polychoric_near_one",
                first=ordinal.items[first[pair]],
                second=ordinal.items[second[pair]],
                value=f"{rho[pair]:.3f}",
            ),
            stacklevel=3,
        )
    logger.debug("Estimated %d polychoric correlations.", rho.size)
    return PolychoricFit(
        ordinal=ordinal,
        thresholds=thresholds,
        indicators=indicators,
        tables=tables,
        rho=rho,
        first=first,
        second=second,
    )


def polychoric_correlations(data: pd.DataFrame, missing: str = "pairwise") -> PolychoricResult:
    """Estimate thresholds and polychoric correlations of ordered items.

    Parameters
    ----------
    data : pandas.DataFrame
        One numeric column per item (e.g. answers 1-5); NaN is missing. Not
        changed.
    missing : {"pairwise", "listwise"}, default "pairwise"
        ``"pairwise"`` estimates each threshold from all answers to its item and
        each correlation from the respondents who answered both items.

    Returns
    -------
    PolychoricResult

    Notes
    -----
    The two-step estimator of Olsson (1979): thresholds are ``Phi^-1`` of the
    cumulative marginal proportions, then each correlation maximises
    ``sum n_ab log pi_ab(rho)`` with the thresholds fixed. The result matches
    ``lavInspect(cfa(..., ordered = TRUE, missing = "pairwise"), "sampstat")``
    of lavaan 0.6-14 to about 1e-7. ``psych::polychoric`` differs where a table
    has empty cells, because it adds 0.5 to them by default (``correct = 0.5``).

    References
    ----------
    Olsson, U. (1979). Maximum likelihood estimation of the polychoric
    correlation coefficient. *Psychometrika*, 44(4), 443-460.
    https://doi.org/10.1007/BF02296207
    """
    ordinal = encode_ordinal(data, missing=missing)
    fit = fit_polychoric_matrix(ordinal)
    return polychoric_result(fit)


def polychoric_result(fit: PolychoricFit) -> PolychoricResult:
    """Assemble the tidy result tables of a polychoric fit."""
    items = list(fit.ordinal.items)
    p = len(items)
    correlations = np.eye(p)
    correlations[fit.first, fit.second] = fit.rho
    correlations[fit.second, fit.first] = fit.rho

    rows = []
    for column, item in enumerate(items):
        n_thresholds = fit.ordinal.n_categories[column] - 1
        for index in range(n_thresholds):
            rows.append((item, index + 1, fit.thresholds[column, index]))
    thresholds = pd.DataFrame(rows, columns=["item", "threshold", "value"])

    observed = (fit.ordinal.codes >= 0).astype(float)
    pair_counts = observed.T @ observed
    return PolychoricResult(
        thresholds=thresholds,
        correlations=pd.DataFrame(correlations, index=items, columns=items),
        n_pairs_used=pd.DataFrame(pair_counts.astype(int), index=items, columns=items),
    )
