"""Exploratory factor analysis and the checks that come before it.

Sampling adequacy (:func:`kmo`), sphericity (:func:`bartlett_sphericity`), the
number of factors (:func:`parallel_analysis`, :func:`velicer_map`) and the
factor solution itself (:func:`efa`). All of them work on the Pearson correlations
of pairwise-complete observations, as psych's functions do by default.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats
from threadpoolctl import threadpool_limits

from ..errors import InputDataError
from ._data import (
    ConvergenceWarning,
    HeywoodCaseWarning,
    PsychometricsWarning,
    check_choice,
    check_items,
    check_range,
    pairwise_correlation,
    warn,
)
from .rotation import ROTATIONS, rotate

logger = logging.getLogger(__name__)

METHODS = ("minres", "ml")
_PREFIX = {"minres": "MR", "ml": "ML"}
_LOWER_UNIQUENESS = 0.005


# Sampling adequacy and sphericity ------------------------------------------------


@dataclass(frozen=True)
class Kmo:
    """Kaiser-Meyer-Olkin measure of sampling adequacy.

    Attributes
    ----------
    overall : float
        MSA of the whole correlation matrix.
    items : DataFrame
        Columns ``item`` and ``msa`` (the MSA of each item).
    """

    overall: float
    items: pd.DataFrame


def kmo(items: pd.DataFrame) -> Kmo:
    """Compute the Kaiser-Meyer-Olkin measure of sampling adequacy.

    Parameters
    ----------
    items : DataFrame
        Item scores of one rating, respondents by items; NaN is missing.

    Returns
    -------
    Kmo

    Notes
    -----
    ``MSA = sum(r_ij**2) / (sum(r_ij**2) + sum(q_ij**2))`` over ``i != j``, where
    ``q`` are the partial correlations from the inverse correlation matrix; the
    item MSA sums over one column. Matches ``psych::KMO`` (psych 2.2.9) on the
    pairwise correlation matrix. Kaiser (1974) calls values below 0.5
    unacceptable and values of 0.8 or more meritorious.

    References
    ----------
    Kaiser, H. F. (1970). A second generation little jiffy. Psychometrika, 35(4),
    401-415. https://doi.org/10.1007/BF02291817

    Kaiser, H. F. (1974). An index of factorial simplicity. Psychometrika, 39(1),
    31-36. https://doi.org/10.1007/BF02291575
    """
    data = check_items(items, min_items=2)
    correlation = pairwise_correlation(data)
    precision = _inverse(correlation)

    scale = 1 / np.sqrt(np.diag(precision))
    partial = precision * np.outer(scale, scale)
    np.fill_diagonal(partial, 0.0)
    off_diagonal = correlation.copy()
    np.fill_diagonal(off_diagonal, 0.0)
    r_squared = (off_diagonal**2).sum(axis=0)
    q_squared = (partial**2).sum(axis=0)
    overall = r_squared.sum() / (r_squared.sum() + q_squared.sum())
    per_item = pd.DataFrame({"item": data.columns, "msa": r_squared / (r_squared + q_squared)})
    return Kmo(overall=float(overall), items=per_item)


@dataclass(frozen=True)
class Bartlett:
    """Bartlett's test that the correlation matrix is an identity matrix."""

    chi_square: float
    df: int
    p_value: float
    n_respondents: int


def bartlett_sphericity(items: pd.DataFrame) -> Bartlett:
    """Test whether the items are uncorrelated (Bartlett's test of sphericity).

    Parameters
    ----------
    items : DataFrame
        Item scores of one rating, respondents by items; NaN is missing.

    Returns
    -------
    Bartlett
        ``chi_square = -ln|R| (n - 1 - (2p + 5) / 6)`` on ``p (p - 1) / 2`` degrees
        of freedom, where ``n`` counts respondents with at least one answer.

    Notes
    -----
    Matches ``psych::cortest.bartlett(R, n)`` (psych 2.2.9) with the pairwise
    correlation matrix and ``n`` as above. Given raw data, psych uses the number
    of rows, which is the same unless a row has no answer at all.

    References
    ----------
    Bartlett, M. S. (1951). The effect of standardization on a chi square
    approximation in factor analysis. Biometrika, 38(3/4), 337-344.
    https://doi.org/10.2307/2332580
    """
    data = check_items(items, min_items=2)
    correlation = pairwise_correlation(data)
    n = int(data.notna().any(axis=1).sum())
    n_items = correlation.shape[0]

    sign, log_determinant = np.linalg.slogdet(correlation)
    if sign <= 0:
        raise InputDataError("psychometrics.singular_correlation", determinant=float(sign * np.exp(log_determinant)))
    statistic = -log_determinant * (n - 1 - (2 * n_items + 5) / 6)
    df = n_items * (n_items - 1) // 2
    return Bartlett(chi_square=float(statistic), df=df, p_value=float(stats.chi2.sf(statistic, df)), n_respondents=n)


# Factor extraction -------------------------------------------------------------


@dataclass(frozen=True)
class EfaResult:
    """An exploratory factor solution.

    Attributes
    ----------
    loadings : DataFrame
        Pattern matrix, items by factors (named ``MR1``... for minres, ``ML1``...
        for ml), factors sorted by explained variance and reflected so that each
        column sums to a positive value, as psych does.
    structure : DataFrame
        Structure matrix ``loadings @ factor_correlations`` (item-factor correlations).
    communalities : Series
        Common variance of each item, ``diag(L Phi L')``.
    uniquenesses : Series
        ``1 - communalities``.
    factor_correlations : DataFrame
        Phi; the identity for orthogonal rotations and no rotation.
    variance : DataFrame
        One row per factor: ``factor``, ``ss_loadings`` (``diag(Phi L'L)``),
        ``proportion_var`` (``ss_loadings / n_items``) and ``cumulative_var``.
    eigenvalues : DataFrame
        ``position``, ``observed`` (of the correlation matrix) and ``common`` (of
        the correlation matrix with the communalities on its diagonal).
    unrotated_loadings : DataFrame
        Loadings before rotation, reflected like ``loadings``.
    method, rotation : str
    n_factors, n_respondents : int
    converged : bool
        Whether the extraction optimiser reported convergence.
    objective : float
        Final value of the extraction criterion.
    """

    loadings: pd.DataFrame
    structure: pd.DataFrame
    communalities: pd.Series
    uniquenesses: pd.Series
    factor_correlations: pd.DataFrame
    variance: pd.DataFrame
    eigenvalues: pd.DataFrame
    unrotated_loadings: pd.DataFrame
    method: str
    rotation: str
    n_factors: int
    n_respondents: int
    converged: bool
    objective: float


def efa(
    items: pd.DataFrame, n_factors: int, method: str = "minres", rotation: str | None = "oblimin"
) -> EfaResult:
    """Fit an exploratory factor model to item scores.

    Parameters
    ----------
    items : DataFrame
        Item scores of one rating, respondents by items, reverse items already
        reversed; NaN is missing (pairwise deletion).
    n_factors : int
        Number of factors, at least 1 and fewer than the number of items.
    method : {"minres", "ml"}, default "minres"
        Minimum residual (unweighted least squares) or maximum likelihood.
    rotation : {"oblimin", "promax", "varimax", None}, default "oblimin"
        Rotation of the extracted loadings; oblimin is quartimin (``gamma = 0``),
        promax is psych's Kaiser-normalized Promax with power 4.

    Returns
    -------
    EfaResult

    Notes
    -----
    Both methods optimise the uniquenesses ``psi`` within ``[0.005, 1]`` with
    L-BFGS-B, starting from ``1 - SMC``, and compute the loadings from the
    eigendecomposition of ``R - diag(psi)`` (minres) or of
    ``psi^-1/2 R psi^-1/2`` (ml), as ``psych::fa`` does. Minres minimises
    ``||R - LL' - diag(psi)||^2``; ml minimises the discrepancy
    ``-sum(log e - e) - k + p`` over the ``p - k`` smallest eigenvalues ``e`` of the
    scaled matrix. Factors are reflected, rotated, reflected again and sorted as in
    ``psych::fa`` (psych 2.2.9), so the results match psych's ``loadings``,
    ``Structure``, ``Phi``, ``communality``, ``uniquenesses`` and
    ``Vaccounted`` (its first three rows).

    A :class:`ConvergenceWarning` is issued when the optimiser stops without
    convergence, and a :class:`HeywoodCaseWarning` when a uniqueness reaches its
    lower bound.

    References
    ----------
    Harman, H. H., & Jones, W. H. (1966). Factor analysis by minimizing residuals
    (minres). Psychometrika, 31(3), 351-368. https://doi.org/10.1007/BF02289468

    Jöreskog, K. G. (1967). Some contributions to maximum likelihood factor
    analysis. Psychometrika, 32(4), 443-482. https://doi.org/10.1007/BF02289658

    Revelle, W. (2022). psych: Procedures for Psychological, Psychometric, and
    Personality Research (R package version 2.2.9). Northwestern University.
    https://CRAN.R-project.org/package=psych
    """
    check_choice(method, METHODS, "method")
    check_choice(rotation, ROTATIONS, "rotation")
    data = check_items(items, min_items=2)
    if not 1 <= n_factors < data.shape[1]:
        raise InputDataError(
            "psychometrics.out_of_range", argument="n_factors", received=n_factors, expected=f"[1, {data.shape[1] - 1}]"
        )
    correlation = pairwise_correlation(data)

    fit = extract_factors(correlation, n_factors, method)
    unrotated = _reflect(fit.loadings)
    columns = [f"{_PREFIX[method]}{number}" for number in range(1, n_factors + 1)]
    unrotated_frame = pd.DataFrame(unrotated, index=data.columns, columns=columns)

    rotated = rotate(unrotated_frame, rotation)
    pattern = rotated.loadings.to_numpy()
    phi = rotated.factor_correlations.to_numpy()
    signs = np.where(pattern.sum(axis=0) < 0, -1.0, 1.0)
    pattern = pattern * signs
    phi = phi * np.outer(signs, signs)
    explained = np.diag(phi @ pattern.T @ pattern)
    order = np.argsort(-explained, kind="stable")
    pattern, phi, explained = pattern[:, order], phi[np.ix_(order, order)], explained[order]

    communalities = (unrotated**2).sum(axis=1)
    reduced = correlation.copy()
    np.fill_diagonal(reduced, communalities)
    n_items = correlation.shape[0]
    variance = pd.DataFrame(
        {
            "factor": columns,
            "ss_loadings": explained,
            "proportion_var": explained / n_items,
            "cumulative_var": np.cumsum(explained) / n_items,
        }
    )
    eigenvalues = pd.DataFrame(
        {
            "position": np.arange(1, n_items + 1),
            "observed": np.linalg.eigvalsh(correlation)[::-1],
            "common": np.linalg.eigvalsh(reduced)[::-1],
        }
    )
    return EfaResult(
        loadings=pd.DataFrame(pattern, index=data.columns, columns=columns),
        structure=pd.DataFrame(pattern @ phi, index=data.columns, columns=columns),
        communalities=pd.Series(communalities, index=data.columns, name="communality"),
        uniquenesses=pd.Series(1 - communalities, index=data.columns, name="uniqueness"),
        factor_correlations=pd.DataFrame(phi, index=columns, columns=columns),
        variance=variance,
        eigenvalues=eigenvalues,
        unrotated_loadings=unrotated_frame,
        method=method,
        rotation="none" if rotation is None else rotation,
        n_factors=n_factors,
        n_respondents=int(data.notna().any(axis=1).sum()),
        converged=fit.converged,
        objective=fit.objective,
    )


@dataclass(frozen=True)
class Extraction:
    """Unrotated loadings from :func:`extract_factors`, with the optimiser's outcome."""

    loadings: np.ndarray
    uniquenesses: np.ndarray
    objective: float
    converged: bool


def extract_factors(correlation: np.ndarray, n_factors: int, method: str = "minres") -> Extraction:
    """Extract unrotated factor loadings from a correlation matrix (no reflection or rotation).

    Parameters
    ----------
    correlation : ndarray, shape (p, p)
    n_factors : int
    method : {"minres", "ml"}

    Returns
    -------
    Extraction
        Loadings as the eigendecomposition gives them; :func:`efa` reflects them.
    """
    check_choice(method, METHODS, "method")
    correlation = np.asarray(correlation, dtype=float)
    start = 1 / np.diag(_inverse(correlation))
    objective, gradient, loadings_of = {
        "minres": (_minres_objective, _minres_gradient, _minres_loadings),
        "ml": (_ml_objective, _ml_gradient, _ml_loadings),
    }[method]
    # Item correlation matrices are small, and multithreaded BLAS makes their
    # eigendecompositions slower (90 items on 2 busy cores: 0.06 s against 0.002 s).
    with threadpool_limits(limits=1, user_api="blas"):
        result = optimize.minimize(
            objective,
            np.clip(start, _LOWER_UNIQUENESS, 1.0),
            args=(correlation, n_factors),
            jac=gradient,
            method="L-BFGS-B",
            bounds=[(_LOWER_UNIQUENESS, 1.0)] * correlation.shape[0],
            options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 10000},
        )
        loadings = loadings_of(result.x, correlation, n_factors)
    # L-BFGS-B reports a failed line search when ftol is below what floating point
    # resolves; a vanishing projected gradient still marks a minimum.
    projected = np.where(
        (result.x <= _LOWER_UNIQUENESS) & (result.jac > 0) | (result.x >= 1.0) & (result.jac < 0), 0.0, result.jac
    )
    converged = bool(result.success or np.abs(projected).max() < 1e-6)
    if not converged:
        warn(ConvergenceWarning, "psychometrics.warning.extraction_not_converged", method=method, detail=str(result.message))
    at_bound = result.x <= _LOWER_UNIQUENESS + 1e-8
    if at_bound.any():
        warn(HeywoodCaseWarning, "psychometrics.warning.heywood", items=", ".join(str(i + 1) for i in np.flatnonzero(at_bound)))
    logger.debug("%s extraction: %d iterations, objective %.6g", method, result.nit, result.fun)
    return Extraction(
        loadings=loadings,
        uniquenesses=result.x,
        objective=float(result.fun),
        converged=converged,
    )


def _minres_loadings(psi, correlation, n_factors):
    values, vectors = np.linalg.eigh(correlation - np.diag(psi))
    values, vectors = values[::-1][:n_factors], vectors[:, ::-1][:, :n_factors]
    return vectors * np.sqrt(np.maximum(values, 0.0))


def _minres_objective(psi, correlation, n_factors):
    values = np.linalg.eigvalsh(correlation - np.diag(psi))[::-1]
    top = values[:n_factors]
    return 0.5 * ((values[n_factors:] ** 2).sum() + (np.minimum(top, 0.0) ** 2).sum())


def _minres_gradient(psi, correlation, n_factors):
    loadings = _minres_loadings(psi, correlation, n_factors)
    return (loadings**2).sum(axis=1) + psi - np.diag(correlation)


def _ml_loadings(psi, correlation, n_factors):
    scale = 1 / np.sqrt(psi)
    values, vectors = np.linalg.eigh(correlation * np.outer(scale, scale))
    values, vectors = values[::-1][:n_factors], vectors[:, ::-1][:, :n_factors]
    return np.sqrt(psi)[:, None] * vectors * np.sqrt(np.maximum(values - 1, 0.0))


def _ml_objective(psi, correlation, n_factors):
    scale = 1 / np.sqrt(psi)
    values = np.linalg.eigvalsh(correlation * np.outer(scale, scale))[::-1][n_factors:]
    return -(np.log(values) - values).sum() - n_factors + correlation.shape[0]


def _ml_gradient(psi, correlation, n_factors):
    loadings = _ml_loadings(psi, correlation, n_factors)
    return ((loadings**2).sum(axis=1) + psi - np.diag(correlation)) / psi**2


def _reflect(loadings: np.ndarray) -> np.ndarray:
    signs = np.where(loadings.sum(axis=0) < 0, -1.0, 1.0)
    return loadings * signs


def _inverse(correlation: np.ndarray) -> np.ndarray:
    try:
        inverse = np.linalg.inv(correlation)
    except np.linalg.LinAlgError:
        inverse = None
    if inverse is None or not np.all(np.isfinite(inverse)) or np.linalg.cond(correlation) > 1e12:
        raise InputDataError("psychometrics.singular_correlation", determinant=float(np.linalg.det(correlation)))
    return inverse


# Number of factors -------------------------------------------------------------


@dataclass(frozen=True)
class ParallelAnalysis:
    """Horn's parallel analysis.

    Attributes
    ----------
    table : DataFrame
        One row per position: ``position``, ``pc_observed``, ``pc_simulated_mean``,
        ``pc_simulated_threshold``, ``fa_observed``, ``fa_simulated_mean``,
        ``fa_simulated_threshold``. Columns of a kind not requested are NaN.
    n_factors, n_components : int or None
        Number of leading observed eigenvalues above the threshold, for factors and
        components (``None`` when not requested).
    quantile : float or None
        Quantile of the simulated eigenvalues used as threshold; ``None`` means the mean.
    n_iter : int
    """

    table: pd.DataFrame
    n_factors: int | None
    n_components: int | None
    quantile: float | None
    n_iter: int


def parallel_analysis(
    items: pd.DataFrame,
    *,
    kind: str = "both",
    n_iter: int = 20,
    quantile: float | None = 0.95,
    random_state: int | np.random.Generator | None = None,
) -> ParallelAnalysis:
    """Suggest the number of factors by comparing eigenvalues with those of random data.

    Parameters
    ----------
    items : DataFrame
        Item scores of one rating, respondents by items; NaN is missing.
    kind : {"both", "fa", "pc"}, default "both"
        Eigenvalues of principal factors ("fa": of the correlation matrix with the
        communalities of a one-factor minres solution on its diagonal), of
        principal components ("pc": of the correlation matrix), or both.
    n_iter : int, default 20
        Number of simulated data sets.
    quantile : float or None, default 0.95
        Threshold quantile of the simulated eigenvalues; ``None`` uses their mean.
    random_state : int or numpy Generator, optional
        Seed or generator for the simulated data.

    Returns
    -------
    ParallelAnalysis

    Notes
    -----
    Each simulated data set has as many rows as ``items`` and as many independent
    standard normal columns as it has items. The suggested number is the count of
    leading observed eigenvalues greater than the threshold. This is
    ``psych::fa.parallel(x, fm = "minres", fa = kind, n.iter = n_iter, quant = quantile)``
    (psych 2.2.9) with simulated data only: psych also resamples the observed data,
    which does not enter its suggested numbers. Results vary with the random data,
    so they equal psych's only in distribution.

    References
    ----------
    Horn, J. L. (1965). A rationale and test for the number of factors in factor
    analysis. Psychometrika, 30(2), 179-185. https://doi.org/10.1007/BF02289447
    """
    check_choice(kind, ("both", "fa", "pc"), "kind")
    if quantile is not None:
        check_range(quantile, 0.0, 1.0, "quantile")
    if n_iter < 1:
        raise InputDataError("psychometrics.out_of_range", argument="n_iter", received=n_iter, expected="[1, inf)")
    data = check_items(items, min_items=3)
    generator = np.random.default_rng(random_state)
    n_rows, n_items = data.shape
    correlation = pairwise_correlation(data)
    with_fa = kind in ("both", "fa")
    with_pc = kind in ("both", "pc")

    simulated_pc = np.full((n_iter, n_items), np.nan)
    simulated_fa = np.full((n_iter, n_items), np.nan)
    for iteration in range(n_iter):
        simulated = np.corrcoef(generator.standard_normal((n_rows, n_items)), rowvar=False)
        if with_pc:
            with threadpool_limits(limits=1, user_api="blas"):
                simulated_pc[iteration] = np.linalg.eigvalsh(simulated)[::-1]
        if with_fa:
            simulated_fa[iteration] = _common_eigenvalues(simulated, quiet=True)

    def summarise(observed, simulated, enabled):
        if not enabled:
            nan = np.full(n_items, np.nan)
            return nan, nan, nan, None
        mean = simulated.mean(axis=0)
        threshold = mean if quantile is None else np.quantile(simulated, quantile, axis=0)
        above = observed > threshold
        count = int(n_items if above.all() else np.argmin(above))
        return observed, mean, threshold, count

    pc = summarise(np.linalg.eigvalsh(correlation)[::-1], simulated_pc, with_pc)
    fa = summarise(_common_eigenvalues(correlation) if with_fa else None, simulated_fa, with_fa)
    table = pd.DataFrame(
        {
            "position": np.arange(1, n_items + 1),
            "pc_observed": pc[0],
            "pc_simulated_mean": pc[1],
            "pc_simulated_threshold": pc[2],
            "fa_observed": fa[0],
            "fa_simulated_mean": fa[1],
            "fa_simulated_threshold": fa[2],
        }
    )
    return ParallelAnalysis(table=table, n_factors=fa[3], n_components=pc[3], quantile=quantile, n_iter=n_iter)


def _common_eigenvalues(correlation: np.ndarray, quiet: bool = False) -> np.ndarray:
    with warnings.catch_warnings():
        # Heywood cases are common in one-factor fits to random data and do not
        # matter for their eigenvalues; psych silences them too (warnings = FALSE).
        if quiet:
            warnings.simplefilter("ignore", PsychometricsWarning)
        fit = extract_factors(correlation, 1, "minres")
    reduced = correlation.copy()
    np.fill_diagonal(reduced, (fit.loadings**2).sum(axis=1))
    return np.linalg.eigvalsh(reduced)[::-1]


@dataclass(frozen=True)
class VelicerMap:
    """Velicer's minimum average partial (MAP) test.

    Attributes
    ----------
    table : DataFrame
        ``n_factors`` (0 to ``max_factors``), ``map_squared`` (average squared
        partial correlation after removing that many components) and
        ``map_fourth`` (average fourth power).
    n_factors_squared, n_factors_fourth : int
        The number of components at which each average is smallest.
    """

    table: pd.DataFrame
    n_factors_squared: int
    n_factors_fourth: int


def velicer_map(items: pd.DataFrame, max_factors: int = 8) -> VelicerMap:
    """Suggest the number of factors by Velicer's minimum average partial test.

    Parameters
    ----------
    items : DataFrame
        Item scores of one rating, respondents by items; NaN is missing.
    max_factors : int, default 8
        Largest number of components partialled out (capped at ``n_items - 1``).

    Returns
    -------
    VelicerMap

    Notes
    -----
    The first ``m`` principal components are partialled out of the correlation
    matrix, and the off-diagonal partial correlations are averaged squared
    (Velicer, 1976) or to the fourth power (Velicer, Eaton & Fava, 2000). The row
    ``m = 0`` averages the correlations themselves. ``map_squared`` for ``m >= 1``
    matches ``psych::VSS(x, n = max_factors)$map`` (psych 2.2.9). psych gives
    neither the fourth-power variant nor the row ``m = 0``, and it picks the
    minimum over ``m >= 1`` only; here the minimum is taken over all rows, as in
    Velicer's procedure.

    References
    ----------
    Velicer, W. F. (1976). Determining the number of components from the matrix of
    partial correlations. Psychometrika, 41(3), 321-327.
    https://doi.org/10.1007/BF02293557

    Velicer, W. F., Eaton, C. A., & Fava, J. L. (2000). Construct explication
    through factor or component analysis: A review and evaluation of alternative
    procedures for determining the number of factors or components. In R. D.
    Goffin & E. Helmes (Eds.), Problems and Solutions in Human Assessment
    (pp. 41-71). Springer. https://doi.org/10.1007/978-1-4615-4397-8_3
    """
    data = check_items(items, min_items=3)
    if max_factors < 1:
        raise InputDataError("psychometrics.out_of_range", argument="max_factors", received=max_factors, expected="[1, inf)")
    correlation = pairwise_correlation(data)
    n_items = correlation.shape[0]
    max_factors = min(max_factors, n_items - 1)

    values, vectors = np.linalg.eigh(correlation)
    components = vectors[:, ::-1] * np.sqrt(np.maximum(values[::-1], 0.0))
    off_diagonal = ~np.eye(n_items, dtype=bool)
    rows = []
    for m in range(max_factors + 1):
        residual = correlation - components[:, :m] @ components[:, :m].T
        scale = 1 / np.sqrt(np.diag(residual))
        partial = (residual * np.outer(scale, scale))[off_diagonal]
        rows.append({"n_factors": m, "map_squared": np.mean(partial**2), "map_fourth": np.mean(partial**4)})
    table = pd.DataFrame(rows)
    return VelicerMap(
        table=table,
        n_factors_squared=int(table["n_factors"][table["map_squared"].idxmin()]),
        n_factors_fourth=int(table["n_factors"][table["map_fourth"].idxmin()]),
    )
