"""Maximum likelihood estimation: discrepancy function, gradient, information, optimiser.

The ML discrepancy of group g (normal likelihood, divisor N as lavaan's default
``likelihood = "normal"``) is

    F_g = log|Sigma| + tr(S Sigma^-1) + (ybar - mu)' Sigma^-1 (ybar - mu) - log|S| - p

and the function minimised is ``F = sum_g (n_g / N) F_g``; lavaan's ``fmin`` is
``F / 2`` and its test statistic ``N F``. The gradient and the expected (Fisher)
information use the rank-two derivative terms of :mod:`.model`, so one evaluation
costs a few p x p and p x q products.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.optimize

from .model import CompiledModel
from .sample import SampleMoments

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Estimate:
    """Result of the optimiser.

    Attributes
    ----------
    theta : ndarray
        Free parameters at the minimum.
    objective : float
        ``F`` at ``theta`` (twice lavaan's ``fmin``).
    gradient : ndarray
        Gradient of ``F`` at ``theta``.
    converged : bool
    iterations : int
    method : str
        ``"fisher-scoring"``, or ``"fisher-scoring+bfgs"`` when the quasi-Newton
        fallback was needed.
    message : str
    """

    theta: np.ndarray
    objective: float
    gradient: np.ndarray
    converged: bool
    iterations: int
    method: str
    message: str


def ml_discrepancy(model: CompiledModel, theta: np.ndarray, sample: SampleMoments) -> float:
    """Return ``F(theta)``, or ``inf`` where an implied covariance matrix is not positive definite."""
    total = 0.0
    for group, weight in enumerate(sample.weights):
        value = _group_discrepancy(model, theta, sample, group)
        if not np.isfinite(value):
            return np.inf
        total += weight * value
    return total


def _group_discrepancy(model: CompiledModel, theta: np.ndarray, sample: SampleMoments, group: int) -> float:
    sigma, mu = model.implied_moments(theta, group)
    try:
        factor = scipy.linalg.cho_factor(sigma, lower=True, check_finite=False)
    except (np.linalg.LinAlgError, ValueError):
        return np.inf
    covariance = sample.covariances[group]
    log_det_sigma = 2.0 * np.sum(np.log(np.diag(factor[0])))
    trace = np.trace(scipy.linalg.cho_solve(factor, covariance, check_finite=False))
    value = log_det_sigma + trace
    if mu is not None:
        difference = sample.means[group] - mu
        value += difference @ scipy.linalg.cho_solve(factor, difference, check_finite=False)
    _, log_det_sample = np.linalg.slogdet(covariance)
    return float(value - log_det_sample - covariance.shape[0])


def ml_gradient_and_information(
    model: CompiledModel, theta: np.ndarray, sample: SampleMoments, *, information: bool = True
) -> tuple[np.ndarray, np.ndarray | None]:
    """Return the gradient of ``F`` and the expected information per observation.

    The information is ``sum_g (n_g / N) I_g`` with
    ``I_g[k, l] = tr(Sigma^-1 dSigma_k Sigma^-1 dSigma_l) / 2 + dmu_k' Sigma^-1 dmu_l``,
    the expected information of the log-likelihood divided by N (lavaan's
    ``information = "expected"``). The expected Hessian of ``F`` is twice it.
    """
    gradient = np.zeros(model.n_free)
    info = np.zeros((model.n_free, model.n_free)) if information else None
    for group, weight in enumerate(sample.weights):
        group_gradient, group_info = _group_gradient_and_information(model, theta, sample, group, information)
        gradient += weight * group_gradient
        if information:
            info += weight * group_info
    return gradient, info


def weighted_residuals(
    model: CompiledModel, theta: np.ndarray, sample: SampleMoments, group: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``Sigma^-1``, ``W = Sigma^-1 (Sigma - S - d d') Sigma^-1`` and ``Sigma^-1 d``.

    ``d`` is the mean residual (sample means minus implied means), zero without
    a mean structure. These are the pieces of the ML gradient with respect to
    any covariance or mean cell, shared by the estimator and the modification
    indices.
    """
    sigma, mu = model.implied_moments(theta, group)
    sigma_inverse = _symmetric_inverse(sigma)
    residual = sigma - sample.covariances[group]
    weighted_mean_residual = np.zeros(sigma.shape[0])
    if mu is not None:
        difference = sample.means[group] - mu
        residual = residual - np.outer(difference, difference)
        weighted_mean_residual = sigma_inverse @ difference
    return sigma_inverse, sigma_inverse @ residual @ sigma_inverse, weighted_mean_residual


def _group_gradient_and_information(
    model: CompiledModel, theta: np.ndarray, sample: SampleMoments, group: int, information: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    sigma_inverse, w, weighted_mean_residual = weighted_residuals(model, theta, sample, group)
    terms = model.derivative_terms(theta, group)

    # dF/dcell = tr(W dSigma) - 2 (Sigma^-1 d)' dmu, with tr(W (uv' + vu')) = 2 v'Wu.
    cell_gradient = 2.0 * terms.scale * np.einsum("ik,ik->k", terms.v, w @ terms.u)
    cell_gradient -= 2.0 * weighted_mean_residual @ terms.mean
    gradient = cell_gradient @ terms.cells_to_free
    if not information:
        return gradient, None

    inverse_u = sigma_inverse @ terms.u
    inverse_v = sigma_inverse @ terms.v
    uu = terms.u.T @ inverse_u
    uv = terms.u.T @ inverse_v
    vv = terms.v.T @ inverse_v
    # tr(A (u_k v_k' + v_k u_k') A (u_l v_l' + v_l u_l')) = 2 (uv_kl uv_lk + uu_kl vv_kl).
    cell_information = np.outer(terms.scale, terms.scale) * (uv * uv.T + uu * vv)
    cell_information += terms.mean.T @ sigma_inverse @ terms.mean
    info = terms.cells_to_free.T @ cell_information @ terms.cells_to_free
    return gradient, info


def _symmetric_inverse(matrix: np.ndarray) -> np.ndarray:
    factor = scipy.linalg.cho_factor(matrix, lower=True, check_finite=False)
    return scipy.linalg.cho_solve(factor, np.eye(matrix.shape[0]), check_finite=False)


def observed_information(model: CompiledModel, theta: np.ndarray, sample: SampleMoments) -> np.ndarray:
    """Return the observed information per observation: the Hessian of ``F / 2``.

    Computed by central differences of the analytic gradient and symmetrised, as
    lavaan's ``information = "observed"``, ``observed.information = "hessian"``.
    """
    step = 1e-6
    hessian = np.zeros((model.n_free, model.n_free))
    for k in range(model.n_free):
        shift = np.zeros(model.n_free)
        shift[k] = step
        forward, _ = ml_gradient_and_information(model, theta + shift, sample, information=False)
        backward, _ = ml_gradient_and_information(model, theta - shift, sample, information=False)
        hessian[:, k] = (forward - backward) / (2.0 * step)
    return 0.25 * (hessian + hessian.T)


def fit_ml(
    model: CompiledModel,
    sample: SampleMoments,
    *,
    start: np.ndarray | None = None,
    max_iterations: int = 1000,
    gradient_tolerance: float = 1e-9,
) -> Estimate:
    """Minimise ``F`` by Fisher scoring, then quasi-Newton (BFGS) steps near the minimum.

    Parameters
    ----------
    model : CompiledModel
    sample : SampleMoments
    start : ndarray, optional
        Start values; :meth:`CompiledModel.start_values` when omitted.
    max_iterations : int, default 1000
        Iterations of both phases together before giving up.
    gradient_tolerance : float, default 1e-9
        Convergence when the largest absolute gradient element of ``F`` is below it.

    Returns
    -------
    Estimate

    Notes
    -----
    Fisher scoring (the expected information as Hessian) is robust far from the
    minimum but converges only linearly when the model does not fit exactly,
    because the expected and the observed information then differ. Once the
    largest gradient element is below 1e-3 the optimiser switches to BFGS
    updates started from the last Fisher matrix, which converge superlinearly.
    lavaan 0.6 uses ``nlminb`` (a quasi-Newton method); both reach the same
    minimum to the precision of their stopping rules.
    """
    theta = model.start_values(sample.covariances, sample.means) if start is None else np.asarray(start, float)
    objective = ml_discrepancy(model, theta, sample)
    if not np.isfinite(objective):
        theta = _repair_start(model, theta, sample)
        objective = ml_discrepancy(model, theta, sample)

    converged = False
    iteration = 0
    gradient, info = ml_gradient_and_information(model, theta, sample)
    inverse_hessian = None
    method = "fisher-scoring"
    for iteration in range(1, max_iterations + 1):
        if np.max(np.abs(gradient)) < gradient_tolerance:
            converged = True
            break
        if inverse_hessian is None:
            direction = _solve_direction(2.0 * info, -gradient)
        else:
            direction = -inverse_hessian @ gradient
        accepted = line_search(lambda x: ml_discrepancy(model, x, sample), theta, objective, gradient, direction)
        if accepted is None:
            if inverse_hessian is None:
                break
            # A stale quasi-Newton matrix: restart from the Fisher matrix.
            inverse_hessian = None
            gradient, info = ml_gradient_and_information(model, theta, sample)
            continue
        candidate, objective, step = accepted
        if inverse_hessian is None and np.max(np.abs(gradient)) < 1e-3:
            inverse_hessian = np.linalg.pinv(2.0 * info, hermitian=True)
            method = "fisher-scoring+quasi-newton"
        if inverse_hessian is None:
            new_gradient, info = ml_gradient_and_information(model, candidate, sample)
        else:
            new_gradient, _ = ml_gradient_and_information(model, candidate, sample, information=False)
            inverse_hessian = bfgs_update(inverse_hessian, candidate - theta, new_gradient - gradient)
        theta, gradient = candidate, new_gradient
        logger.debug("iteration %d: F = %.15g, step %.3g, max |gradient| %.3g",
                     iteration, objective, step, np.max(np.abs(gradient)))

    if not converged:
        logger.info("Own iterations stopped after %d steps; switching to scipy BFGS.", iteration)
        theta, objective, gradient, _ = scipy_bfgs(
            lambda x: ml_discrepancy(model, x, sample),
            lambda x: ml_gradient_and_information(model, x, sample, information=False)[0],
            theta,
            gradient_tolerance,
        )
        method += "+scipy-bfgs"
        converged = np.max(np.abs(gradient)) < 1e3 * gradient_tolerance
    message = "converged" if converged else f"largest gradient element {np.max(np.abs(gradient)):.3g}"
    return Estimate(theta, objective, gradient, bool(converged), iteration, method, message)


def line_search(discrepancy, theta, objective, gradient, direction):
    """Backtrack from a full step until ``discrepancy`` decreases enough (Armijo rule)."""
    slope = gradient @ direction
    if slope >= 0:
        return None
    step = 1.0
    while step > 1e-10:
        candidate = theta + step * direction
        value = discrepancy(candidate)
        if value <= objective + 1e-4 * step * slope:
            return candidate, value, step
        # Near the minimum the decrease falls below the rounding error of F; a
        # full step that does not raise F beyond that error is accepted.
        if step == 1.0 and value <= objective + 1e-13 * max(1.0, abs(objective)):
            return candidate, value, step
        step *= 0.5
    return None


def bfgs_update(inverse_hessian: np.ndarray, s: np.ndarray, y: np.ndarray) -> np.ndarray:
    curvature = y @ s
    if curvature <= 1e-12 * np.linalg.norm(y) * np.linalg.norm(s):
        return inverse_hessian
    rho = 1.0 / curvature
    hy = inverse_hessian @ y
    return (
        inverse_hessian
        - rho * (np.outer(hy, s) + np.outer(s, hy))
        + (rho * rho * (y @ hy) + rho) * np.outer(s, s)
    )


def _solve_direction(hessian: np.ndarray, negative_gradient: np.ndarray) -> np.ndarray:
    try:
        factor = scipy.linalg.cho_factor(hessian, lower=True, check_finite=False)
        return scipy.linalg.cho_solve(factor, negative_gradient, check_finite=False)
    except np.linalg.LinAlgError:
        # A singular information matrix (model not identified): take the minimum-norm step.
        return np.linalg.lstsq(hessian, negative_gradient, rcond=1e-12)[0]


def _repair_start(model: CompiledModel, theta: np.ndarray, sample: SampleMoments) -> np.ndarray:
    # Shrink loadings and covariances towards zero until Sigma is positive definite.
    table = model.parameter_table
    free = table[table["free"] > 0].drop_duplicates("free")
    variances = ((free["op"] == "~~") & (free["lhs"] == free["rhs"])).to_numpy()
    positions = free["free"].to_numpy() - 1
    for _ in range(30):
        shrink = ~variances
        theta = theta.copy()
        theta[positions[shrink]] *= 0.5
        if np.isfinite(ml_discrepancy(model, theta, sample)):
            break
    return theta


def scipy_bfgs(discrepancy, gradient_of, theta, gradient_tolerance):
    """Minimise with scipy's BFGS; return ``theta, objective, gradient, success``."""

    def objective(x):
        value = discrepancy(x)
        return value if np.isfinite(value) else 1e10

    def jacobian(x):
        if not np.isfinite(discrepancy(x)):
            return np.zeros_like(x)
        return gradient_of(x)

    result = scipy.optimize.minimize(
        objective, theta, jac=jacobian, method="BFGS",
        options={"gtol": gradient_tolerance, "maxiter": 10000},
    )
    gradient = jacobian(result.x)
    return result.x, float(result.fun), gradient, bool(result.success)
