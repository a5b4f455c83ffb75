"""Diagonally weighted least squares (DWLS) estimation on ordinal sample statistics.

The statistics ``s`` are thresholds and polychoric correlations, the weights are
``W = diag(Gamma)^-1`` and the model is a delta-parameterized factor model from
:mod:`lqp_research.psychometrics.confirmatory.model`, whose implied correlations
``sigma(theta)`` are the off-diagonal elements of ``Lambda Phi Lambda'``. In a
single-group model the thresholds are saturated, so they equal the sample
thresholds and only the correlations are fitted:

    F(theta) = sum_r w_r (s_r - sigma_r(theta))^2

Standard errors are the sandwich ("robust.sem") form and the test statistic is
the mean-and-variance adjusted ("scaled.shifted") one of Asparouhov and Muthén
(2010), both as lavaan 0.6 computes them for ``estimator = "WLSMV"``.

References
----------
Muthén, B., du Toit, S. H. C., & Spisic, D. (1997). Robust inference using
weighted least squares and quadratic estimating equations in latent variable
modeling with categorical and continuous outcomes. Unpublished technical report,
https://www.statmodel.com/download/Article_075.pdf

Asparouhov, T., & Muthén, B. (2010). Simple second order chi-square correction.
Technical appendix, https://www.statmodel.com/download/WLSMV_new_chi21.pdf
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np

from ..confirmatory.model import CompiledModel, vechs
from .moments import OrdinalMoments
from .warnings import OrdinalEstimationWarning

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DwlsEstimate:
    """Point estimates and their sampling covariance from a DWLS fit.

    Attributes
    ----------
    theta : numpy.ndarray, shape (n_free,)
        Free model parameters in the order of ``model.parameter_table``.
    thresholds : numpy.ndarray, shape (n_thresholds,)
        Threshold estimates (equal to the sample thresholds).
    covariance : numpy.ndarray, shape (n_free + n_thresholds, n_free + n_thresholds)
        Robust sampling covariance of ``(theta, thresholds)``.
    delta : numpy.ndarray, shape (n_statistics, n_free + n_thresholds)
        Jacobian of the implied statistics at the estimate.
    weights : numpy.ndarray, shape (n_statistics,)
        DWLS weights ``1 / diag(Gamma)``.
    residuals : numpy.ndarray, shape (n_statistics,)
        ``s - sigma(theta)``.
    information_inverse : numpy.ndarray
        ``(Delta' W Delta)^-1``.
    chisq : float
        Unadjusted statistic ``(N - 1) * F(theta)``, lavaan's DWLS convention.
    converged : bool
    iterations : int
    """

    theta: np.ndarray
    thresholds: np.ndarray
    covariance: np.ndarray
    delta: np.ndarray
    weights: np.ndarray
    residuals: np.ndarray
    information_inverse: np.ndarray
    chisq: float
    converged: bool
    iterations: int


def _full_delta(moments: OrdinalMoments, correlation_jacobian: np.ndarray) -> np.ndarray:
    """Stack the threshold identity block and the correlation Jacobian."""
    n_thresholds = moments.n_thresholds
    n_free = correlation_jacobian.shape[1]
    n_pairs = correlation_jacobian.shape[0]
    delta = np.zeros((n_thresholds + n_pairs, n_free + n_thresholds))
    delta[:n_thresholds, n_free:] = np.eye(n_thresholds)
    delta[n_thresholds:, :n_free] = correlation_jacobian
    return delta


def _levenberg_marquardt(residual, jacobian, start: np.ndarray, max_iterations: int):
    """Minimise ``||residual(theta)||^2`` by Levenberg-Marquardt on the normal equations.

    The normal equations are only n_free wide (126 for M3), so they are solved
    directly. Convergence: the relative change in the objective is below 1e-14
    and the largest step below 1e-9, or the gradient is below 1e-10.
    """
    theta = start.astype(float).copy()
    current = residual(theta)
    objective = float(current @ current)
    damping = 1e-3
    for iteration in range(1, max_iterations + 1):
        jac = jacobian(theta)
        gradient = jac.T @ current
        if np.max(np.abs(gradient)) < 1e-10:
            return theta, True, iteration
        normal = jac.T @ jac
        scale = np.diag(normal).copy()
        while True:
            step = np.linalg.solve(normal + damping * np.diag(scale), -gradient)
            candidate = theta + step
            trial = residual(candidate)
            trial_objective = float(trial @ trial)
            if np.isfinite(trial_objective) and trial_objective <= objective:
                break
            damping *= 10.0
            if damping > 1e12:
                return theta, False, iteration
        improvement = objective - trial_objective
        theta, current, objective = candidate, trial, trial_objective
        damping = max(damping / 10.0, 1e-12)
        if improvement <= 1e-14 * (1.0 + objective) and np.max(np.abs(step)) < 1e-9:
            return theta, True, iteration
    return theta, False, max_iterations


def start_values(model: CompiledModel, correlations: np.ndarray) -> np.ndarray:
    """Return start values for a delta-parameterized model from a correlation matrix.

    Every factor measured by observed items starts from the first principal
    component of its items' correlations, signed so the marker loads
    positively: loadings ``l_i / l_marker``, variance ``l_marker^2``, and factor
    covariances from the least-squares fit ``r_ik = l_i l_k rho_fg`` of the
    between-factor block. Other parameters keep the model's own start values.
    A principal component start is needed because the model's covariance-based
    start breaks down when a marker item is reverse-worded.
    """
    theta = model.start_values([correlations])
    table = model.parameter_table
    indicator_rows: dict[int, list[int]] = {}
    markers: dict[int, int] = {}
    for kind, row, col, free in zip(table["matrix"], table["row"], table["col"], table["free"]):
        if kind != "lambda":
            continue
        indicator_rows.setdefault(col, []).append(row)
        if free == 0:
            markers.setdefault(col, row)

    standardized: dict[int, np.ndarray] = {}
    for factor, rows in indicator_rows.items():
        block = correlations[np.ix_(rows, rows)]
        eigenvalues, eigenvectors = np.linalg.eigh(block)
        component = eigenvectors[:, -1] * np.sqrt(max(eigenvalues[-1], 1e-6))
        marker = rows.index(markers[factor]) if factor in markers else 0
        if component[marker] < 0:
            component = -component
        standardized[factor] = np.clip(component, -0.95, 0.95)

    def marker_loading(factor: int) -> float:
        if factor not in markers:
            return 1.0
        value = standardized[factor][indicator_rows[factor].index(markers[factor])]
        return max(value, 0.1)

    for kind, row, col, free in zip(table["matrix"], table["row"], table["col"], table["free"]):
        if free == 0:
            continue
        if kind == "lambda" and col in standardized:
            theta[free - 1] = standardized[col][indicator_rows[col].index(row)] / marker_loading(col)
        elif kind == "psi" and row == col and row in standardized:
            theta[free - 1] = marker_loading(row) ** 2
        elif kind == "psi" and row in standardized and col in standardized:
            rows_f, rows_g = indicator_rows[row], indicator_rows[col]
            products = np.outer(standardized[row], standardized[col])
            block = correlations[np.ix_(rows_f, rows_g)]
            correlation = float(np.sum(block * products) / max(np.sum(products**2), 1e-12))
            correlation = float(np.clip(correlation, -0.9, 0.9))
            theta[free - 1] = correlation * marker_loading(row) * marker_loading(col)
    return theta


def fit_dwls(moments: OrdinalMoments, model: CompiledModel, *, max_iterations: int = 200) -> DwlsEstimate:
    """Fit ``model`` to ``moments`` by DWLS and compute robust standard errors.

    Parameters
    ----------
    moments : OrdinalMoments
        Statistics of the model's observed variables, in ``model.observed`` order.
    model : CompiledModel
        Compiled with ``residual_variances="derived"`` (delta parameterization).
    max_iterations : int, default 200
        Limit on the Levenberg-Marquardt iterations.

    Returns
    -------
    DwlsEstimate

    Notes
    -----
    The minimiser is Levenberg-Marquardt on ``sqrt(w) * (sigma(theta) - s)`` with
    the analytic Jacobian; lavaan uses ``nlminb`` on the same function, so the
    estimates agree to the optimisers' tolerances (about 1e-5).
    The covariance is ``E^-1 (Delta' W Gamma W Delta) E^-1 / (N - 1)`` with
    ``E = Delta' W Delta``, lavaan's ``lav_model_nvcov_robust_sem``; lavaan
    0.6-14 uses N - 1 for least-squares estimators, in the test statistic too.
    """
    n_thresholds = moments.n_thresholds
    weights = 1.0 / moments.gamma_diagonal
    sample_correlations = moments.values[n_thresholds:]
    root_weights = np.sqrt(weights[n_thresholds:])

    polychoric = np.eye(len(model.observed))
    polychoric[moments.fit.first, moments.fit.second] = moments.fit.rho
    polychoric[moments.fit.second, moments.fit.first] = moments.fit.rho
    start = start_values(model, polychoric)

    def residual(theta: np.ndarray) -> np.ndarray:
        implied = vechs(model.implied_correlation(theta))
        return root_weights * (implied - sample_correlations)

    def jacobian(theta: np.ndarray) -> np.ndarray:
        return root_weights[:, None] * model.correlation_jacobian(theta)

    theta, converged, iterations = _levenberg_marquardt(residual, jacobian, start, max_iterations)
    if not converged:
        warnings.warn(
            OrdinalEstimationWarning("ordinal.dwls_not_converged", iterations=iterations),
            stacklevel=3,
        )
    logger.debug("DWLS fit: %d iterations, converged: %s.", iterations, converged)

    correlation_jacobian = model.correlation_jacobian(theta)
    delta = _full_delta(moments, correlation_jacobian)
    implied = np.concatenate(
        [moments.values[:n_thresholds], vechs(model.implied_correlation(theta))]
    )
    residuals = moments.values - implied

    information = delta.T @ (weights[:, None] * delta)
    try:
        information_inverse = np.linalg.inv(information)
    except np.linalg.LinAlgError:
        warnings.warn(OrdinalEstimationWarning("ordinal.information_singular"), stacklevel=3)
        information_inverse = np.linalg.pinv(information)

    # lavaan divides by N - 1 for DWLS (lav_model_vcov and lav_model_objective).
    n_minus_one = moments.n_respondents - 1
    weighted_influence = moments.influence @ (weights[:, None] * delta)
    meat = weighted_influence.T @ weighted_influence
    covariance = information_inverse @ meat @ information_inverse / n_minus_one

    chisq = float(n_minus_one * np.sum(weights * residuals**2))
    return DwlsEstimate(
        theta=theta,
        thresholds=moments.values[:n_thresholds].copy(),
        covariance=covariance,
        delta=delta,
        weights=weights,
        residuals=residuals,
        information_inverse=information_inverse,
        chisq=chisq,
        converged=converged,
        iterations=iterations,
    )


@dataclass(frozen=True)
class ScaledShiftedTest:
    """Mean-and-variance adjusted test statistic (lavaan's ``scaled.shifted``).

    Attributes
    ----------
    chisq : float
        Unadjusted DWLS statistic.
    chisq_scaled : float
        ``a * chisq + b``.
    df : int
    trace_ugamma, trace_ugamma2 : float
        ``tr(U Gamma)`` and ``tr((U Gamma)^2)``.
    scaling_factor : float
        ``1 / a`` with ``a = sqrt(df / tr((U Gamma)^2))``.
    shift_parameter : float
        ``b = df - a tr(U Gamma)``.
    """

    chisq: float
    chisq_scaled: float
    df: int
    trace_ugamma: float
    trace_ugamma2: float
    scaling_factor: float
    shift_parameter: float


def squared_frobenius_of_gram(matrix: np.ndarray) -> float:
    """Return ``||A' A||_F^2`` through the smaller of ``A' A`` and ``A A'``."""
    if matrix.shape[0] < matrix.shape[1]:
        gram = matrix @ matrix.T
    else:
        gram = matrix.T @ matrix
    return float(np.sum(gram * gram))


def scaled_shifted(chisq: float, df: int, trace_ugamma: float, trace_ugamma2: float) -> ScaledShiftedTest:
    """Adjust ``chisq`` so its mean and variance match a chi-square with ``df`` degrees of freedom."""
    a = np.sqrt(df / trace_ugamma2)
    shift = df - a * trace_ugamma
    return ScaledShiftedTest(
        chisq=chisq,
        chisq_scaled=float(a * chisq + shift),
        df=df,
        trace_ugamma=float(trace_ugamma),
        trace_ugamma2=float(trace_ugamma2),
        scaling_factor=float(1.0 / a),
        shift_parameter=float(shift),
    )


def model_test(moments: OrdinalMoments, estimate: DwlsEstimate, df: int) -> ScaledShiftedTest:
    """Compute the scaled-and-shifted test of a fitted model.

    Notes
    -----
    With ``U = W - W Delta E^-1 Delta' W`` and ``Gamma = Z' Z`` the traces are
    computed from products with the influence matrix ``Z``, never from Gamma:
    ``tr(U Gamma) = sum_i w_i Gamma_ii - tr(E^-1 H' H)`` with ``H = Z W Delta``, and
    ``tr((U Gamma)^2) = ||W^1/2 Gamma W^1/2||^2 - 2 tr(E^-1 C W C') +
    tr((E^-1 H' H)^2)`` with ``C = H' Z``. The result equals
    ``lavInspect(fit, "test")$scaled.shifted`` of lavaan 0.6-14.
    """
    weights = estimate.weights
    influence = moments.influence
    weighted_delta = weights[:, None] * estimate.delta
    h = influence @ weighted_delta
    c = h.T @ influence
    hh = h.T @ h
    e_inv = estimate.information_inverse

    trace_ugamma = float(np.sum(weights * moments.gamma_diagonal) - np.sum(e_inv * hh))
    first = squared_frobenius_of_gram(influence * np.sqrt(weights))
    second = float(np.sum(e_inv * ((c * weights) @ c.T)))
    projected = e_inv @ hh
    third = float(np.sum(projected * projected.T))
    trace_ugamma2 = first - 2.0 * second + third
    return scaled_shifted(estimate.chisq, df, trace_ugamma, trace_ugamma2)


def baseline_test(moments: OrdinalMoments, weights: np.ndarray) -> ScaledShiftedTest:
    """Compute the scaled-and-shifted test of the independence (baseline) model.

    The baseline model has free thresholds and zero correlations, so its
    statistic is ``(N - 1) sum_r w_r r^2`` with one degree of freedom per pair and
    ``U`` is ``W`` restricted to the correlations (lavaan's
    ``lav_object_independence`` for ordered data).
    """
    n_thresholds = moments.n_thresholds
    correlation_weights = weights[n_thresholds:]
    correlations = moments.values[n_thresholds:]
    chisq = float((moments.n_respondents - 1) * np.sum(correlation_weights * correlations**2))
    influence = moments.influence[:, n_thresholds:]
    gamma_diagonal = moments.gamma_diagonal[n_thresholds:]
    trace_ugamma = float(np.sum(correlation_weights * gamma_diagonal))
    trace_ugamma2 = squared_frobenius_of_gram(influence * np.sqrt(correlation_weights))
    return scaled_shifted(chisq, correlations.size, trace_ugamma, trace_ugamma2)
