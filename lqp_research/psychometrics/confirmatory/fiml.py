"""Full-information maximum likelihood (FIML) for incomplete data, as lavaan's ``missing = "ml"``.

The function minimised is

    F(theta) = 2 (l_H1 - l(theta)) / N,

with ``l`` the casewise normal log-likelihood summed over respondents and groups
(:mod:`.missing_data`) and ``l_H1`` its maximum under the saturated model (EM).
So ``chisq = N F``, as with complete data, and lavaan's ``fmin`` is ``F / 2``.
The derivatives of ``l`` with respect to Sigma and mu are turned into derivatives
with respect to ``theta`` by the rank-two terms of :mod:`.model`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from .estimation import Estimate, bfgs_update, fit_ml, line_search, ml_gradient_and_information, scipy_bfgs
from .missing_data import MissingPatterns, saturated_terms
from .model import CompiledModel, vech_indices
from .sample import SampleMoments

logger = logging.getLogger(__name__)


def _require_fiml(sample: SampleMoments) -> tuple[MissingPatterns, ...]:
    if sample.patterns is None:
        raise ValueError("FIML needs sample moments from sample_moments(..., missing='fiml').")
    return sample.patterns


def fiml_loglik(model: CompiledModel, theta: np.ndarray, sample: SampleMoments) -> float:
    """Return the casewise log-likelihood ``l(theta)`` (``-inf`` where Sigma is not positive definite)."""
    total = 0.0
    for group, patterns in enumerate(_require_fiml(sample)):
        sigma, mu = model.implied_moments(theta, group)
        terms = saturated_terms(patterns, mu, sigma)
        if terms is None:
            return -np.inf
        total += terms.loglik
    return total


def fiml_discrepancy(model: CompiledModel, theta: np.ndarray, sample: SampleMoments) -> float:
    """Return ``F(theta) = 2 (l_H1 - l(theta)) / N`` (``inf`` where Sigma is not positive definite)."""
    return 2.0 * (sample.unrestricted_loglik - fiml_loglik(model, theta, sample)) / sample.n_total


def fiml_gradient(model: CompiledModel, theta: np.ndarray, sample: SampleMoments) -> np.ndarray:
    """Return the gradient of ``F`` (NaN where Sigma is not positive definite)."""
    gradient = np.zeros(model.n_free)
    for group, patterns in enumerate(_require_fiml(sample)):
        sigma, mu = model.implied_moments(theta, group)
        terms = saturated_terms(patterns, mu, sigma)
        if terms is None:
            return np.full(model.n_free, np.nan)
        derivative = model.derivative_terms(theta, group)
        # tr(G c (u v' + v u')) = 2 c u'G v for the symmetric dl/dSigma = G.
        cell = 2.0 * derivative.scale * np.einsum("ik,ik->k", derivative.u, terms.sigma_gradient @ derivative.v)
        cell += terms.mean_gradient @ derivative.mean
        gradient += cell @ derivative.cells_to_free
    return -2.0 * gradient / sample.n_total


def fiml_observed_information(model: CompiledModel, theta: np.ndarray, sample: SampleMoments) -> np.ndarray:
    """Return the observed information per observation: the Hessian of ``-l(theta) / N``.

    Central differences of the analytic gradient, symmetrised, as lavaan's
    ``information = "observed"``, ``observed.information = "hessian"`` (its
    default with ``missing = "ml"``).
    """
    step = 1e-6
    hessian = np.zeros((model.n_free, model.n_free))
    for k in range(model.n_free):
        shift = np.zeros(model.n_free)
        shift[k] = step
        forward = fiml_gradient(model, theta + shift, sample)
        backward = fiml_gradient(model, theta - shift, sample)
        hessian[:, k] = (forward - backward) / (2.0 * step)
    return 0.25 * (hessian + hessian.T)


def fit_fiml(
    model: CompiledModel,
    sample: SampleMoments,
    *,
    max_iterations: int = 1000,
    gradient_tolerance: float = 1e-9,
) -> Estimate:
    """Minimise the FIML discrepancy ``F``.

    Parameters
    ----------
    model : CompiledModel
        Compiled with ``meanstructure=True``.
    sample : SampleMoments
        From ``sample_moments(..., missing="fiml")``.
    max_iterations : int, default 1000
        Quasi-Newton iterations before the scipy BFGS fallback.
    gradient_tolerance : float, default 1e-9
        Convergence when the largest absolute gradient element of ``F`` is below it.

    Returns
    -------
    Estimate

    Notes
    -----
    Starts from the ML estimates for the EM moments (the two-stage estimator),
    which are close to the FIML estimates when few values are missing, and
    refines them by BFGS updates started from the inverse expected information.
    lavaan 0.6 uses ``nlminb`` on the same function.
    """
    two_stage = fit_ml(model, sample)
    theta = two_stage.theta

    def discrepancy(x):
        return fiml_discrepancy(model, x, sample)

    def gradient_of(x):
        return fiml_gradient(model, x, sample)

    objective = discrepancy(theta)
    gradient = gradient_of(theta)
    _, information = ml_gradient_and_information(model, theta, sample)
    inverse_hessian = np.linalg.pinv(2.0 * information, hermitian=True)
    converged = False
    iteration = 0
    method = "two-stage+quasi-newton"
    for iteration in range(1, max_iterations + 1):
        if np.max(np.abs(gradient)) < gradient_tolerance:
            converged = True
            break
        accepted = line_search(discrepancy, theta, objective, gradient, -inverse_hessian @ gradient)
        if accepted is None:
            break
        candidate, objective, _ = accepted
        new_gradient = gradient_of(candidate)
        inverse_hessian = bfgs_update(inverse_hessian, candidate - theta, new_gradient - gradient)
        theta, gradient = candidate, new_gradient
        logger.debug("FIML iteration %d: F = %.15g, max |gradient| %.3g", iteration, objective,
                     np.max(np.abs(gradient)))

    if not converged:
        logger.info("FIML iterations stopped after %d steps; switching to scipy BFGS.", iteration)
        theta, objective, gradient, _ = scipy_bfgs(discrepancy, gradient_of, theta, gradient_tolerance)
        method += "+scipy-bfgs"
        converged = np.max(np.abs(gradient)) < 1e3 * gradient_tolerance
    message = "converged" if converged else f"largest gradient element {np.max(np.abs(gradient)):.3g}"
    return Estimate(theta, objective, gradient, bool(converged), iteration, method, message)


def fiml_casewise_scores(model: CompiledModel, theta: np.ndarray, sample: SampleMoments, group: int) -> np.ndarray:
    """Return the scores ``dl_i / dtheta`` of each respondent of ``group``, shape ``(n_g, n_free)``.

    The score of model cell k is ``c_k [(a_i'u_k)(a_i'v_k) - u_k' K_i v_k] + a_i' dmu_k``
    (see :mod:`.missing_data` for ``a_i`` and ``K_i``).
    """
    patterns = _require_fiml(sample)[group]
    sigma, mu = model.implied_moments(theta, group)
    terms = saturated_terms(patterns, mu, sigma)
    derivative = model.derivative_terms(theta, group)
    u, v = derivative.u, derivative.v
    inner = np.broadcast_to(np.einsum("ik,ik->k", u, terms.precision @ v), (patterns.n, u.shape[1])).copy()
    for batch, batch_terms in zip(patterns.batches, terms.batch_terms):
        # u' K_i v = u' P v - (H u)'(H v) with H = L_mm^-1 P[m, :].
        half = batch_terms.half_inverse_rows
        correction = np.einsum("jkc,jkc->jc", half @ u, half @ v)
        inner[batch.rows] -= correction[batch.pattern_of_row]
    cell = derivative.scale * ((terms.a @ u) * (terms.a @ v) - inner) + terms.a @ derivative.mean
    return cell @ derivative.cells_to_free


@dataclass(frozen=True)
class FimlRobustResult:
    """Sandwich covariance and Yuan-Bentler-Mplus scaling of a FIML solution.

    Attributes are those of :class:`~.robust.RobustResult`.
    """

    covariance: np.ndarray
    scaling_factor: float
    trace_h1: float
    trace_h0: float
    baseline_scaling_factor: float


def fiml_robust(
    model: CompiledModel, theta: np.ndarray, sample: SampleMoments, information: np.ndarray, df: int
) -> FimlRobustResult:
    """Return the Huber-White covariance and the Yuan-Bentler-Mplus scaling factors under FIML.

    Parameters
    ----------
    model : CompiledModel
    theta : ndarray
        FIML estimates.
    sample : SampleMoments
        From ``sample_moments(..., missing="fiml")``.
    information : ndarray
        Observed information per observation at ``theta``
        (:func:`fiml_observed_information`).
    df : int
        Degrees of freedom of the model.

    Returns
    -------
    FimlRobustResult

    Notes
    -----
    Matches lavaan 0.6-14 ``estimator = "MLR", missing = "ml"``: bread the
    observed information, meat the cross products of the casewise scores, and
    test ``"yuan.bentler.mplus"``. The unrestricted model's ``tr(A1^-1 B1)``,
    with A1 the observed information of the saturated model, is evaluated at
    the EM moments: lavaan 0.6-14 does so although its option reads
    ``h1.information = "structured"``, and the tests confirm it to 1e-8. The
    baseline factor uses the same ``tr(A1^-1 B1)`` and the independence model's
    own A0 and B0 at its estimates; these are blocks (means and variances) of the
    saturated A1 and B1 there, because the independence model is linear in them.

    NOTE: A1 is built from central differences of the saturated gradient, one
    pair per mean and covariance element, so the cost grows with p^4 N and
    dominates MLR fits with many items.

    References
    ----------
    Yuan, K.-H., & Bentler, P. M. (2000). Three likelihood-based methods for mean
    and covariance structure analysis with nonnormal missing data. Sociological
    Methodology, 30, 165-200. https://doi.org/10.1111/0081-1750.00078
    """
    n_total = sample.n_total
    meat = np.zeros_like(information)
    for group in range(len(sample.n_obs)):
        scores = fiml_casewise_scores(model, theta, sample, group)
        meat += scores.T @ scores / n_total
    bread = np.linalg.inv(information)
    covariance = bread @ meat @ bread / n_total
    trace_h0 = float(np.trace(bread @ meat))

    trace_h1 = 0.0
    baseline_h0 = 0.0
    for group, patterns in enumerate(sample.patterns):
        a1, b1 = saturated_information(patterns, sample.means[group], sample.covariances[group], n_total)
        trace_h1 += float(np.sum(np.linalg.solve(a1, b1).diagonal()))
        mean, variances = sample.baseline_moments[group]
        block = _mean_and_variance_positions(len(mean))
        a0, b0 = saturated_information(patterns, mean, np.diag(variances), n_total, positions=block)
        baseline_h0 += float(np.sum(np.linalg.solve(a0, b0).diagonal()))

    p = len(sample.observed)
    baseline_df = len(sample.n_obs) * (p * (p + 1) // 2 - p)
    scaling = (trace_h1 - trace_h0) / df if df > 0 else np.nan
    baseline_scaling = (trace_h1 - baseline_h0) / baseline_df if baseline_df > 0 else np.nan
    return FimlRobustResult(covariance, float(scaling), float(trace_h1), trace_h0, float(baseline_scaling))


def _mean_and_variance_positions(p: int) -> np.ndarray:
    rows, cols = vech_indices(p)
    return np.concatenate([np.arange(p), p + np.flatnonzero(rows == cols)])


def _saturated_gradient(patterns: MissingPatterns, parameters: np.ndarray, p: int) -> np.ndarray:
    rows, cols = vech_indices(p)
    mean = parameters[:p]
    covariance = np.zeros((p, p))
    covariance[rows, cols] = parameters[p:]
    covariance[cols, rows] = parameters[p:]
    terms = saturated_terms(patterns, mean, covariance)
    off_diagonal = np.where(rows == cols, 1.0, 2.0)
    return np.concatenate([terms.mean_gradient, off_diagonal * terms.sigma_gradient[rows, cols]])


def saturated_information(
    patterns: MissingPatterns,
    mean: np.ndarray,
    covariance: np.ndarray,
    n_total: int,
    positions: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the observed information A1 and the first-order information B1 of the saturated model.

    Both are per observation (divided by ``n_total``), for the parameters
    ``(mu, vech(Sigma))`` at the given moments, or only the rows and columns
    ``positions`` of them.
    """
    p = len(mean)
    rows, cols = vech_indices(p)
    parameters = np.concatenate([mean, covariance[rows, cols]])
    positions = np.arange(len(parameters)) if positions is None else np.asarray(positions)
    step = 1e-6 * max(1.0, float(np.max(np.diag(covariance))))
    hessian = np.zeros((len(positions), len(positions)))
    for column, k in enumerate(positions):
        shift = np.zeros(len(parameters))
        shift[k] = step
        forward = _saturated_gradient(patterns, parameters + shift, p)[positions]
        backward = _saturated_gradient(patterns, parameters - shift, p)[positions]
        hessian[:, column] = (forward - backward) / (2.0 * step)
    observed_information = -0.5 * (hessian + hessian.T) / n_total

    terms = saturated_terms(patterns, mean, covariance)
    a = terms.a
    inverse_vech = np.broadcast_to(terms.precision[rows, cols], (patterns.n, len(rows))).copy()
    for batch, batch_terms in zip(patterns.batches, terms.batch_terms):
        half = batch_terms.half_inverse_rows
        correction = np.einsum("jki,jki->ji", half[:, :, rows], half[:, :, cols])
        inverse_vech[batch.rows] -= correction[batch.pattern_of_row]
    off_diagonal = np.where(rows == cols, 0.5, 1.0)
    sigma_scores = off_diagonal * (a[:, rows] * a[:, cols] - inverse_vech)
    scores = np.hstack([a, sigma_scores])[:, positions]
    first_order = scores.T @ scores / n_total
    return observed_information, first_order
