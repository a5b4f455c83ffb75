"""Sample statistics of ordered items and their asymptotic covariance matrix.

The statistics are the thresholds followed by the polychoric correlations. Their
asymptotic covariance matrix Gamma (lavaan's NACOV) follows Muthén (1984) and
Muthén and Satorra (1995) as lavaan 0.6 computes it: every respondent contributes
the scores of the univariate threshold likelihoods and of each pair's bivariate
likelihood, and the two-step estimator is linearised through outer-product
estimates of the Hessian blocks. Gamma is never formed here. Instead each
respondent's row of the influence matrix ``Z`` (n_respondents x n_statistics) is
stored so that ``Gamma = Z.T @ Z``; the fit keeps to products with ``Z``, which
for 90 items and 1,500 respondents is far cheaper than the 4,365 x 4,365 Gamma.

References
----------
Muthén, B. (1984). A general structural equation model with dichotomous, ordered
categorical, and continuous latent variable indicators. *Psychometrika*, 49(1),
115-132. https://doi.org/10.1007/BF02294210

Muthén, B. O., & Satorra, A. (1995). Technical aspects of Muthén's LISCOMP
approach to estimation of latent variable relations with a comprehensive
measurement model. *Psychometrika*, 60(4), 489-503.
https://doi.org/10.1007/BF02294325
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from .polychoric import (
    MIN_PROBABILITY,
    OrdinalData,
    PolychoricFit,
    cell_derivatives,
    encode_ordinal,
    fit_polychoric_matrix,
)


@dataclass(frozen=True)
class OrdinalMoments:
    """Thresholds, polychoric correlations and their influence matrix.

    Attributes
    ----------
    fit : PolychoricFit
        The two-step estimates and the tables they came from.
    names : tuple of str
        Statistic names in lavaan's order: ``item|t1`` ... then ``first~~second``
        for each pair.
    values : numpy.ndarray, shape (n_statistics,)
        Thresholds (item by item) followed by the polychoric correlations.
    n_thresholds : int
        Number of thresholds at the start of ``values``.
    influence : numpy.ndarray, shape (n_respondents, n_statistics)
        Influence matrix ``Z`` with ``Gamma = Z.T @ Z``, Gamma being the
        asymptotic covariance of ``sqrt(N) * (values - population values)``.
    n_respondents : int
        N: the rows used, including rows with missing answers under pairwise
        deletion.
    """

    fit: PolychoricFit
    names: tuple[str, ...]
    values: np.ndarray
    n_thresholds: int
    influence: np.ndarray
    n_respondents: int

    @property
    def ordinal(self) -> OrdinalData:
        """The coded data the statistics come from."""
        return self.fit.ordinal

    @property
    def gamma_diagonal(self) -> np.ndarray:
        """Diagonal of Gamma, the inverse of the DWLS weights."""
        return np.einsum("ij,ij->j", self.influence, self.influence)

    def gamma(self) -> np.ndarray:
        """Form the full Gamma matrix (n_statistics squared; for tests and small models)."""
        return self.influence.T @ self.influence


def _univariate_scores(ordinal: OrdinalData, thresholds: np.ndarray) -> np.ndarray:
    """Return each category's threshold scores, shape (n_items, K + 1, K - 1).

    Row ``a`` contains d log P(category a) / d tau_t, and row K (missing) is zero.
    """
    p, n_thresholds = thresholds.shape
    width = n_thresholds + 1
    finite = np.isfinite(thresholds)
    density = np.where(finite, np.exp(-0.5 * np.where(finite, thresholds, 0.0) ** 2), 0.0)
    density /= np.sqrt(2.0 * np.pi)
    cumulative = np.hstack([np.zeros((p, 1)), ndtr(thresholds), np.ones((p, 1))])
    probability = np.diff(cumulative, axis=1)

    scores = np.zeros((p, width + 1, n_thresholds))
    for t in range(n_thresholds):
        with np.errstate(divide="ignore", invalid="ignore"):
            upper = np.where(finite[:, t], density[:, t] / probability[:, t], 0.0)
            lower = np.where(finite[:, t], -density[:, t] / probability[:, t + 1], 0.0)
        scores[:, t, t] = upper
        scores[:, t + 1, t] = lower
    return scores


def _threshold_slices(
    rho: np.ndarray, own: np.ndarray, other: np.ndarray
) -> np.ndarray:
    """Return phi(tau_t) * P(other item in category b | latent = tau_t), shape (pairs, K-1, K).

    This is d P(cell) / d tau_t of a pair's own-item threshold, up to the sign
    given by whether tau_t is the cell's upper or lower limit.
    """
    finite = np.isfinite(own)
    tau = np.where(finite, own, 0.0)[:, :, None]
    other_limits = np.hstack(
        [np.full((other.shape[0], 1), -np.inf), other, np.full((other.shape[0], 1), np.inf)]
    )[:, None, :]
    r = rho[:, None, None]
    spread = np.sqrt(1.0 - r * r)
    conditional = ndtr((other_limits - r * tau) / spread)
    mass = np.diff(conditional, axis=2)
    density = np.exp(-0.5 * tau**2) / np.sqrt(2.0 * np.pi)
    return np.where(finite[:, :, None], density * mass, 0.0)


def compute_ordinal_moments(fit: PolychoricFit) -> OrdinalMoments:
    """Compute the influence matrix of thresholds and polychorics of ``fit``.

    Notes
    -----
    With ``Z = SC @ B^-T`` for the score matrix ``SC`` and lavaan's block matrix
    ``B`` (``A11`` block-diagonal, ``A21`` and diagonal ``A22``, all outer
    products of scores), ``N * Z.T @ Z`` equals ``lavInspect(fit, "gamma")`` of
    lavaan 0.6-14 (``lavaan:::muthen1984``). Missing answers contribute zero
    scores, as lavaan's NA-skipping cross-products do under pairwise deletion.
    """
    ordinal = fit.ordinal
    n, p = ordinal.codes.shape
    width = ordinal.max_categories
    n_pad = width - 1
    codes = np.where(ordinal.codes >= 0, ordinal.codes, width)

    # Univariate threshold scores and the per-item A11 blocks.
    table = _univariate_scores(ordinal, fit.thresholds)
    threshold_scores = table[np.arange(p)[None, :], codes]  # (n, p, K-1)
    a11 = np.einsum("npk,npl->pkl", threshold_scores, threshold_scores)
    valid = np.isfinite(fit.thresholds)
    padding = (~valid).astype(float)
    a11 += padding[:, :, None] * np.eye(n_pad)[None, :, :]
    influence_thresholds = np.einsum("npk,pkl->npl", threshold_scores, np.linalg.inv(a11))

    # Bivariate correlation scores per cell and the A21 / A22 outer products.
    first, second = fit.first, fit.second
    cells = cell_derivatives(fit.rho, fit.thresholds[first], fit.thresholds[second])
    usable = cells.probabilities > MIN_PROBABILITY
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(usable, cells.first / cells.probabilities, 0.0)
        weighted = np.where(usable, fit.tables * ratio / cells.probabilities, 0.0)
    a22 = np.sum(fit.tables * ratio**2, axis=(1, 2))

    slices_first = _threshold_slices(fit.rho, fit.thresholds[first], fit.thresholds[second])
    slices_second = _threshold_slices(fit.rho, fit.thresholds[second], fit.thresholds[first])
    # A21[pair, tau_t] = sum over cells of n * (dlogP/drho) * (dlogP/dtau_t).
    a21_first = np.sum(slices_first * (weighted[:, :-1, :] - weighted[:, 1:, :]), axis=2)
    weighted_t = np.swapaxes(weighted, 1, 2)
    a21_second = np.sum(slices_second * (weighted_t[:, :-1, :] - weighted_t[:, 1:, :]), axis=2)

    n_pairs = first.size
    a21 = np.zeros((n_pairs, p * n_pad))
    columns = np.arange(n_pad)
    a21[np.arange(n_pairs)[:, None], first[:, None] * n_pad + columns] = a21_first
    a21[np.arange(n_pairs)[:, None], second[:, None] * n_pad + columns] = a21_second

    ratio_padded = np.zeros((n_pairs, width + 1, width + 1))
    ratio_padded[:, :width, :width] = ratio
    cell_index = codes[:, first] * (width + 1) + codes[:, second]
    rho_scores = ratio_padded.reshape(n_pairs, -1)[np.arange(n_pairs)[None, :], cell_index]

    flat_thresholds = influence_thresholds.reshape(n, p * n_pad)
    influence_rho = (rho_scores - flat_thresholds @ a21.T) / a22

    # Keep only real thresholds, and scale so that Gamma = Z.T @ Z.
    keep = valid.ravel()
    influence = np.hstack([flat_thresholds[:, keep], influence_rho]) * np.sqrt(n)

    names = [
        f"{item}|t{t + 1}"
        for item, n_categories in zip(ordinal.items, ordinal.n_categories)
        for t in range(n_categories - 1)
    ]
    names += [f"{ordinal.items[i]}~~{ordinal.items[j]}" for i, j in zip(first, second)]
    values = np.concatenate([fit.thresholds.ravel()[keep], fit.rho])
    return OrdinalMoments(
        fit=fit,
        names=tuple(names),
        values=values,
        n_thresholds=int(keep.sum()),
        influence=influence,
        n_respondents=n,
    )


def ordinal_moments(data, missing: str = "listwise") -> OrdinalMoments:
    """Estimate thresholds, polychorics and their asymptotic covariance from ``data``.

    Parameters
    ----------
    data : pandas.DataFrame
        One numeric column per ordered item; NaN is missing. Not changed.
    missing : {"listwise", "pairwise"}, default "listwise"
        Row handling as in :func:`encode_ordinal`.

    Returns
    -------
    OrdinalMoments
    """
    ordinal = encode_ordinal(data, missing=missing)
    return compute_ordinal_moments(fit_polychoric_matrix(ordinal))
