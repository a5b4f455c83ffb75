"""Fit measures of a WLSMV fit, as lavaan 0.6-14 ``fitMeasures()`` reports them.

Three families appear side by side, as in lavaan:

* plain (``cfi``, ``rmsea``): from the unadjusted DWLS statistic;
* ``.scaled``: from the scaled-and-shifted statistics of the model and the
  baseline model;
* ``.robust``: the population-corrected measures of Savalei (2021) for
  categorical data, which rescale the ML discrepancy of the fitted model on the
  polychoric matrix ("catML").

lavaan uses ``N - 1`` as the sample size in every RMSEA of a DWLS fit, and so do
these functions; callers pass that number.

References
----------
Savalei, V. (2021). Improving fit indices in structural equation modeling with
categorical data. *Multivariate Behavioral Research*, 56(3), 390-407.
https://doi.org/10.1080/00273171.2020.1717922

Steiger, J. H. (1990). Structural model evaluation and modification: An interval
estimation approach. *Multivariate Behavioral Research*, 25(2), 173-180.
https://doi.org/10.1207/s15327906mbr2502_4
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats


def rmsea(chisq: float, df: float, n: float, c_hat: float = 1.0) -> float:
    """Return ``sqrt(max(chisq / (n df) - c_hat / n, 0))``, 0 when ``df`` is 0.

    Notes
    -----
    lavaan's ``lav_fit_rmsea``; ``c_hat`` is 1 except for the robust RMSEA.
    """
    if df <= 0:
        return 0.0
    return float(np.sqrt(max(chisq / (n * df) - c_hat / n, 0.0)))


def _noncentral_cdf(chisq: float, df: float, noncentrality: float) -> float:
    if noncentrality <= 0:
        return float(stats.chi2.cdf(chisq, df))
    return float(stats.ncx2.cdf(chisq, df, noncentrality))


def rmsea_interval(
    chisq: float, df: float, n: float, c_hat: float = 1.0, level: float = 0.90
) -> tuple[float, float]:
    """Return the confidence interval of the RMSEA from the noncentral chi-square.

    Notes
    -----
    Inverts ``P(X <= chisq; df, lambda)`` for the noncentrality ``lambda`` and
    maps the bounds to ``sqrt(c_hat lambda / (n df))``, with lavaan's search
    interval ``[0, max(n, 4 chisq)]`` for the upper bound
    (``lav_fit_rmsea_ci``, lavaan 0.6-14).
    """
    if not np.isfinite(chisq) or df < 1:
        return 0.0, 0.0
    upper_probability = 1.0 - (1.0 - level) / 2.0
    lower_probability = (1.0 - level) / 2.0

    def excess(noncentrality: float, target: float) -> float:
        return _noncentral_cdf(chisq, df, noncentrality) - target

    if excess(0.0, upper_probability) < 0:
        lower = 0.0
    else:
        root = optimize.brentq(excess, 0.0, max(chisq, 1e-12), args=(upper_probability,), xtol=1e-12)
        lower = float(np.sqrt(c_hat * root / (n * df)))

    search_limit = max(n, 4.0 * chisq)
    if excess(search_limit, lower_probability) > 0 or excess(0.0, lower_probability) < 0:
        upper = 0.0
    else:
        root = optimize.brentq(excess, 0.0, search_limit, args=(lower_probability,), xtol=1e-12)
        upper = float(np.sqrt(c_hat * root / (n * df)))
    return lower, upper


def cfi(
    chisq: float,
    df: float,
    chisq_null: float,
    df_null: float,
    c_hat: float = 1.0,
    c_hat_null: float = 1.0,
) -> float:
    """Return the comparative fit index (Bentler, 1990), lavaan's ``lav_fit_cfi``.

    With ``c_hat`` and ``c_hat_null`` the noncentralities are ``chisq - c_hat df``
    (the robust CFI); otherwise ``chisq - df``.
    """
    numerator = max(chisq - c_hat * df, 0.0)
    denominator = max(chisq - c_hat * df, chisq_null - c_hat_null * df_null, 0.0)
    if np.isclose(numerator, 0.0) and np.isclose(denominator, 0.0):
        return 1.0
    return float(1.0 - numerator / denominator)


def tli(
    chisq: float,
    df: float,
    chisq_null: float,
    df_null: float,
    c_hat: float = 1.0,
    c_hat_null: float = 1.0,
) -> float:
    """Return the Tucker-Lewis index, lavaan's ``lav_fit_tli``."""
    numerator = (chisq - c_hat * df) * df_null
    denominator = (chisq_null - c_hat_null * df_null) * df
    if df > 0 and abs(denominator) > 0:
        return float(1.0 - numerator / denominator)
    return 1.0


def srmr(sample: np.ndarray, implied: np.ndarray) -> float:
    """Return the standardized root mean square residual of two correlation matrices.

    Notes
    -----
    The mean runs over the ``p (p + 1) / 2`` elements of the lower triangle with
    the diagonal, whose residuals are zero; this is lavaan's ``srmr`` for
    categorical data (``srmr_bentler_nomean``).
    """
    rows, columns = np.tril_indices(sample.shape[0])
    residual = sample[rows, columns] - implied[rows, columns]
    return float(np.sqrt(np.mean(residual**2)))


@dataclass(frozen=True)
class RobustCategorical:
    """Statistics behind lavaan's ``cfi.robust`` and ``rmsea.robust`` for ordinal data.

    Attributes
    ----------
    chisq : float
        ``N`` times the ML discrepancy between the polychoric matrix and the
        implied correlations at the DWLS estimates (lavaan's ``XX3``).
    c_hat : float
        Its scaling correction ``tr(U' V U Gamma) / df``.
    chisq_null : float
        ``-N log det(R)``, the same discrepancy for the independence model.
    c_hat_null : float
        ``tr(Gamma_r) / df_null``.
    """

    chisq: float
    c_hat: float
    chisq_null: float
    c_hat_null: float


def _quadratic_trace(a: np.ndarray, rows: np.ndarray, columns: np.ndarray, y: np.ndarray) -> float:
    """Return ``sum_c 0.5 tr(A Y_c A Y_c)`` with ``Y_c`` symmetric, off-diagonal ``y[c]``."""
    p = a.shape[0]
    total = 0.0
    chunk = 256
    for start in range(0, y.shape[0], chunk):
        block = y[start : start + chunk]
        matrices = np.zeros((block.shape[0], p, p))
        matrices[:, rows, columns] = block
        matrices[:, columns, rows] = block
        product = a @ matrices
        total += 0.5 * float(np.einsum("nij,nji->", product, product))
    return total


def robust_categorical(
    sample: np.ndarray,
    implied: np.ndarray,
    correlation_influence: np.ndarray,
    correlation_weights: np.ndarray,
    correlation_jacobian: np.ndarray,
    jacobian_information_inverse: np.ndarray,
    n_respondents: int,
    df: int,
) -> RobustCategorical | None:
    """Compute Savalei's (2021) catML statistics for the robust CFI and RMSEA.

    Parameters
    ----------
    sample, implied : numpy.ndarray, shape (p, p)
        Polychoric and model-implied correlation matrices.
    correlation_influence : numpy.ndarray, shape (n_respondents, n_pairs)
        Correlation columns of the influence matrix (``Gamma_r = Z' Z``).
    correlation_weights : numpy.ndarray, shape (n_pairs,)
        DWLS weights of the correlations.
    correlation_jacobian : numpy.ndarray, shape (n_pairs, n_free)
        ``d sigma / d theta`` at the estimate.
    jacobian_information_inverse : numpy.ndarray, shape (n_free, n_free)
        ``(J' W J)^-1``, the model block of the inverted information.
    n_respondents : int
    df : int

    Returns
    -------
    RobustCategorical or None
        ``None`` when the polychoric matrix is not positive definite; lavaan then
        smooths it and refits, which is not implemented here.

    Notes
    -----
    ``U = I - J E^-1 J' W`` and ``V = 0.5 D' (Sigma^-1 x Sigma^-1) D`` on the
    correlations, so ``tr(U' V U Gamma) = sum_c 0.5 tr(A Y_c A Y_c)`` with
    ``A = Sigma^-1`` and ``Y_c`` the symmetric matrix of respondent ``c``'s
    projected influence; Gamma is never formed. Matches ``cfi.robust`` and
    ``rmsea.robust`` of lavaan 0.6-14 (``lav_fit_catml_dwls``).
    """
    eigenvalues = np.linalg.eigvalsh(sample)
    if np.any(eigenvalues < np.sqrt(np.finfo(float).eps)):
        return None
    p = sample.shape[0]
    inverse = np.linalg.inv(implied)
    discrepancy = (
        np.linalg.slogdet(implied)[1]
        - np.linalg.slogdet(sample)[1]
        + float(np.sum(sample * inverse))
        - p
    )
    chisq = n_respondents * discrepancy

    weighted = (correlation_influence * correlation_weights) @ correlation_jacobian
    projected = correlation_influence - weighted @ jacobian_information_inverse @ correlation_jacobian.T
    columns, rows = np.triu_indices(p, k=1)
    trace = _quadratic_trace(inverse, rows, columns, projected)

    n_pairs = correlation_weights.size
    gamma_trace = float(np.einsum("ij,ij->", correlation_influence, correlation_influence))
    return RobustCategorical(
        chisq=float(chisq),
        c_hat=trace / df,
        chisq_null=float(-n_respondents * np.linalg.slogdet(sample)[1]),
        c_hat_null=gamma_trace / n_pairs,
    )
