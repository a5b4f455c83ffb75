"""The normal log-likelihood of incomplete data, by missing-data pattern.

Respondent i observes the variables ``o_i`` and misses ``m_i``. Its log-likelihood
under ``N(mu, Sigma)`` is

    l_i = -1/2 [p_i log(2 pi) + log|Sigma_oo| + z_o' Sigma_oo^-1 z_o],   z = x_i - mu.

With ``P = Sigma^-1`` every pattern reuses one Cholesky factor of Sigma: the
inverse of ``Sigma_oo``, padded with zeros to p x p, is

    K_i = P - P[:, m] P_mm^-1 P[m, :]

(the Schur complement; its rows and columns in ``m`` are zero), and
``log|Sigma_oo| = log|Sigma| + log|P_mm|``. Only ``P_mm`` (as small as the number
of missing answers) is factored per pattern, so one evaluation costs O(N p^2)
rather than one Cholesky of ``Sigma_oo`` per pattern. Patterns with the same
number of missing values are handled together as batches.

The derivatives with respect to Sigma (as a symmetric matrix) and mu are

    dl_i / dSigma = (a_i a_i' - K_i) / 2,   dl_i / dmu = a_i,   a_i = K_i z_i.

The saturated (H1) model is fitted by the EM algorithm and the independence
(baseline) model has a closed form, because its likelihood splits into one
univariate normal likelihood per variable.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.linalg

logger = logging.getLogger(__name__)

_LOG_2PI = float(np.log(2.0 * np.pi))


@dataclass(frozen=True)
class PatternBatch:
    """Missing-data patterns that miss the same number ``k`` of variables.

    Attributes
    ----------
    missing : ndarray of int, shape (n_patterns, k)
        The missing variables of each pattern.
    counts : ndarray of int, shape (n_patterns,)
        Respondents with the pattern.
    rows : ndarray of int
        Rows (of the group's data) with one of these patterns.
    pattern_of_row : ndarray of int
        For each entry of ``rows``, its pattern (a row of ``missing``).
    """

    missing: np.ndarray
    counts: np.ndarray
    rows: np.ndarray
    pattern_of_row: np.ndarray


@dataclass(frozen=True)
class MissingPatterns:
    """Incomplete data of one group, grouped by missing-data pattern.

    Attributes
    ----------
    values : ndarray, shape (n, p)
        The data with missing values set to 0 (they never enter a computation).
    observed : ndarray of bool, shape (n, p)
    n_observed : ndarray of int, shape (n,)
        Observed variables per respondent.
    batches : tuple of PatternBatch
        Incomplete patterns, one batch per number of missing values. Complete
        rows belong to no batch.
    """

    values: np.ndarray
    observed: np.ndarray
    n_observed: np.ndarray
    batches: tuple[PatternBatch, ...]

    @property
    def n(self) -> int:
        """Number of respondents."""
        return int(self.values.shape[0])

    @property
    def n_patterns(self) -> int:
        """Number of distinct missing-data patterns, the complete one included."""
        complete = int(np.any(self.n_observed == self.values.shape[1]))
        return complete + sum(len(batch.counts) for batch in self.batches)


def missing_patterns(data: np.ndarray) -> MissingPatterns:
    """Group the rows of ``data`` (NaN = missing) by their missing-data pattern.

    Rows must have at least one observed value.
    """
    observed = ~np.isnan(data)
    values = np.where(observed, data, 0.0)
    n_missing = (~observed).sum(axis=1)
    batches = []
    for k in np.unique(n_missing):
        if k == 0:
            continue
        rows = np.flatnonzero(n_missing == k)
        masks = ~observed[rows]
        unique, pattern_of_row, counts = np.unique(masks, axis=0, return_inverse=True, return_counts=True)
        missing = np.nonzero(unique)[1].reshape(len(unique), int(k))
        batches.append(PatternBatch(missing, counts, rows, pattern_of_row.reshape(-1)))
    return MissingPatterns(values, observed, observed.sum(axis=1), tuple(batches))


@dataclass(frozen=True)
class _PatternTerms:
    """Per-evaluation quantities of one batch (see :func:`_batch_terms`)."""

    correction: np.ndarray  # (n_rows, k): c_i = P_mm^-1 (P z_i)_m
    inverse_mm: np.ndarray  # (n_patterns, k, k): P_mm^-1, the conditional covariance of x_m
    log_det_mm: np.ndarray  # (n_patterns,)
    half_inverse_rows: np.ndarray  # (n_patterns, k, p): L_mm^-1 P[m, :], with P_mm = L_mm L_mm'


def _batch_terms(precision: np.ndarray, weighted: np.ndarray, batch: PatternBatch) -> _PatternTerms:
    missing = batch.missing
    precision_mm = precision[missing[:, :, None], missing[:, None, :]]
    cholesky = np.linalg.cholesky(precision_mm)
    log_det_mm = 2.0 * np.sum(np.log(np.diagonal(cholesky, axis1=1, axis2=2)), axis=1)
    identity = np.broadcast_to(np.eye(missing.shape[1]), precision_mm.shape)
    inverse_cholesky = np.linalg.solve(cholesky, identity)
    inverse_mm = np.swapaxes(inverse_cholesky, 1, 2) @ inverse_cholesky
    half_inverse_rows = inverse_cholesky @ precision[missing]
    row_missing = missing[batch.pattern_of_row]
    weighted_m = np.take_along_axis(weighted[batch.rows], row_missing, axis=1)
    correction = np.einsum("rkl,rl->rk", inverse_mm[batch.pattern_of_row], weighted_m)
    return _PatternTerms(correction, inverse_mm, log_det_mm, half_inverse_rows)


@dataclass(frozen=True)
class SaturatedTerms:
    """Log-likelihood of incomplete data at ``(mu, Sigma)`` and its derivatives.

    Attributes
    ----------
    loglik : float
        Sum of the respondents' log-likelihoods.
    sigma_gradient : ndarray, shape (p, p)
        ``dl / dSigma``, symmetric: ``(A'A - sum_i K_i) / 2``.
    mean_gradient : ndarray, shape (p,)
        ``dl / dmu = sum_i a_i``.
    a : ndarray, shape (n, p)
        ``a_i = K_i (x_i - mu)``, zero at missing variables.
    precision : ndarray
        ``P = Sigma^-1``.
    """

    loglik: float
    sigma_gradient: np.ndarray
    mean_gradient: np.ndarray
    a: np.ndarray
    precision: np.ndarray
    batch_terms: tuple[_PatternTerms, ...]


def saturated_terms(patterns: MissingPatterns, mean: np.ndarray, covariance: np.ndarray) -> SaturatedTerms | None:
    """Return the log-likelihood and its derivatives, or None if Sigma is not positive definite."""
    try:
        cholesky = scipy.linalg.cholesky(covariance, lower=True, check_finite=False)
    except (np.linalg.LinAlgError, ValueError):
        return None
    if not np.all(np.isfinite(cholesky)):
        return None
    log_det = 2.0 * np.sum(np.log(np.diag(cholesky)))
    precision = scipy.linalg.cho_solve((cholesky, True), np.eye(len(mean)), check_finite=False)
    precision = 0.5 * (precision + precision.T)

    centred = np.where(patterns.observed, patterns.values - mean, 0.0)
    weighted = centred @ precision
    quadratic = np.einsum("ij,ij->i", centred, weighted)
    log_dets = np.full(patterns.n, log_det)
    a = weighted.copy()
    sum_k = patterns.n * precision
    terms = []
    for batch in patterns.batches:
        try:
            batch_terms = _batch_terms(precision, weighted, batch)
        except np.linalg.LinAlgError:
            return None
        terms.append(batch_terms)
        row_missing = batch.missing[batch.pattern_of_row]
        weighted_m = np.take_along_axis(weighted[batch.rows], row_missing, axis=1)
        quadratic[batch.rows] -= np.einsum("rk,rk->r", weighted_m, batch_terms.correction)
        log_dets[batch.rows] += batch_terms.log_det_mm[batch.pattern_of_row]
        a[batch.rows] -= np.einsum("rk,rkp->rp", batch_terms.correction, precision[row_missing])
        scaled = batch_terms.half_inverse_rows * np.sqrt(batch.counts)[:, None, None]
        stacked = scaled.reshape(-1, scaled.shape[2])
        sum_k -= stacked.T @ stacked

    loglik = -0.5 * float(np.sum(patterns.n_observed * _LOG_2PI + log_dets + quadratic))
    sigma_gradient = 0.5 * (a.T @ a - sum_k)
    return SaturatedTerms(loglik, sigma_gradient, a.sum(axis=0), a, precision, tuple(terms))


def saturated_loglik(patterns: MissingPatterns, mean: np.ndarray, covariance: np.ndarray) -> float:
    """Return the log-likelihood of the data at ``(mu, Sigma)`` (``-inf`` if Sigma is not positive definite)."""
    terms = saturated_terms(patterns, mean, covariance)
    return -np.inf if terms is None else terms.loglik


@dataclass(frozen=True)
class EmResult:
    """Maximum likelihood estimates of the saturated model from incomplete data."""

    mean: np.ndarray
    covariance: np.ndarray
    loglik: float
    iterations: int
    converged: bool


def em_saturated(
    patterns: MissingPatterns, *, max_iterations: int = 10_000, tolerance: float = 1e-12
) -> EmResult:
    """Estimate the mean vector and covariance matrix of incomplete normal data by EM.

    Parameters
    ----------
    patterns : MissingPatterns
    max_iterations : int, default 10000
    tolerance : float, default 1e-12
        Stop when the log-likelihood rises by less than ``tolerance`` times its
        absolute value and no mean or covariance element changes by more than
        ``100 * tolerance`` times the largest variance.

    Returns
    -------
    EmResult

    Notes
    -----
    The E step replaces each missing block by its conditional mean
    ``mu_m - P_mm^-1 (P z)_m`` and adds the conditional covariance ``P_mm^-1``
    to the cross products; the M step takes their averages. Starts from the
    available-case means and variances (zero covariances), as lavaan's
    ``lav_mvnorm_missing_h1_estimate_moments``. lavaan stops at a looser
    tolerance, so its ``unrestricted.logl`` can lie slightly below ours.

    References
    ----------
    Dempster, A. P., Laird, N. M., & Rubin, D. B. (1977). Maximum likelihood from
    incomplete data via the EM algorithm. Journal of the Royal Statistical
    Society: Series B, 39(1), 1-38. https://doi.org/10.1111/j.2517-6161.1977.tb01600.x
    """
    mean, variances = available_case_moments(patterns)
    covariance = np.diag(variances)
    previous = -np.inf
    converged = False
    iteration = 0
    for iteration in range(1, max_iterations + 1):
        terms = saturated_terms(patterns, mean, covariance)
        if terms is None:
            break
        filled = np.where(patterns.observed, patterns.values - mean, 0.0)
        conditional = np.zeros_like(covariance)
        for batch, batch_terms in zip(patterns.batches, terms.batch_terms):
            row_missing = batch.missing[batch.pattern_of_row]
            filled[batch.rows[:, None], row_missing] = -batch_terms.correction
            weighted = batch_terms.inverse_mm * batch.counts[:, None, None]
            np.add.at(conditional, (batch.missing[:, :, None], batch.missing[:, None, :]), weighted)
        shift = filled.mean(axis=0)
        new_mean = mean + shift
        new_covariance = (filled.T @ filled + conditional) / patterns.n - np.outer(shift, shift)
        new_covariance = 0.5 * (new_covariance + new_covariance.T)
        change = max(np.max(np.abs(new_mean - mean)), np.max(np.abs(new_covariance - covariance)))
        mean, covariance = new_mean, new_covariance
        small_rise = terms.loglik - previous < tolerance * abs(terms.loglik)
        if small_rise and change < 100.0 * tolerance * np.max(np.diag(covariance)):
            converged = True
            break
        previous = terms.loglik
    loglik = saturated_loglik(patterns, mean, covariance)
    logger.debug("EM: %d iterations, log-likelihood %.10f", iteration, loglik)
    return EmResult(mean, covariance, loglik, iteration, converged)


def available_case_moments(patterns: MissingPatterns) -> tuple[np.ndarray, np.ndarray]:
    """Return each variable's mean and variance (divisor n_j) over its observed values."""
    counts = patterns.observed.sum(axis=0)
    mean = patterns.values.sum(axis=0) / counts
    centred = np.where(patterns.observed, patterns.values - mean, 0.0)
    variances = np.sum(centred**2, axis=0) / counts
    return mean, variances


def independence_loglik(patterns: MissingPatterns) -> float:
    """Return the maximised log-likelihood of the independence (baseline) model.

    With a diagonal Sigma the likelihood is a product of univariate normal
    likelihoods, so the estimates are the available-case means and variances.
    """
    _, variances = available_case_moments(patterns)
    counts = patterns.observed.sum(axis=0)
    return float(-0.5 * np.sum(counts * (_LOG_2PI + np.log(variances) + 1.0)))
