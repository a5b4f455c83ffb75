"""Modification indices: the score test of freeing one fixed-to-zero parameter."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .estimation import ml_gradient_and_information, weighted_residuals
from .model import CompiledModel, cell_derivative_terms
from .sample import SampleMoments
from .standardized import standardize_cells


def modification_indices(model: CompiledModel, theta: np.ndarray, sample: SampleMoments) -> pd.DataFrame:
    """Return modification indices for fixed-to-zero loadings and covariances.

    Candidates, in every group, are the loadings of observed variables on factors
    and the residual covariances that the model does not have. Factor covariances
    fixed at zero (an orthogonal model) are candidates too.

    Returns
    -------
    DataFrame
        Columns ``lhs, op, rhs, group, mi, epc, sepc_all``, unsorted. ``mi`` is the
        score (Lagrange multiplier) statistic, chi-square with 1 df; ``epc`` the
        expected change of the parameter when freed; ``sepc_all`` its ``std.all``.

    Notes
    -----
    Uses the expected information, which equals lavaan 0.6 ``modindices()`` for
    ``estimator = "ML"``: ``mi = N g^2 / (I_cc - I_ct I_tt^-1 I_tc)``, with ``g`` the
    derivative of lavaan's ``fmin`` (``F / 2``) and ``I`` the unit information. For
    MLR lavaan uses the observed information, so its indices differ slightly.
    NOTE: in multi-group models a candidate is freed in one group only, which is
    lavaan's choice too, but this case is not compared with lavaan in the tests.

    References
    ----------
    Sörbom, D. (1989). Model modification. Psychometrika, 54(3), 371-384.
    https://doi.org/10.1007/BF02294623
    """
    _, information = ml_gradient_and_information(model, theta, sample)
    inverse = np.linalg.pinv(information, hermitian=True)
    records = []
    for group, weight in enumerate(sample.weights):
        candidates = _candidates(model, group)
        if candidates.empty:
            continue
        score, cross, own = _candidate_terms(model, theta, sample, group, candidates)
        # Cross information with the free parameters: every group contributes through
        # its weight only to its own candidates, so the group weight enters here.
        cross = weight * cross
        own = weight * own
        score = weight * score
        variance = own - np.einsum("ck,kl,cl->c", cross, inverse, cross)
        with np.errstate(divide="ignore", invalid="ignore"):
            mi = sample.n_total * score**2 / variance
            epc = -score / variance
        standardized = standardize_cells(
            model, theta, group, candidates["matrix"].to_numpy(), candidates["row"].to_numpy(),
            candidates["col"].to_numpy(), epc,
        )
        part = candidates[["lhs", "op", "rhs"]].copy()
        part["group"] = group + 1
        part["mi"] = mi
        part["epc"] = epc
        part["sepc_all"] = standardized
        records.append(part)
    if not records:
        return pd.DataFrame(columns=["lhs", "op", "rhs", "group", "mi", "epc", "sepc_all"])
    return pd.concat(records, ignore_index=True)


def _candidates(model: CompiledModel, group: int) -> pd.DataFrame:
    table = model.parameter_table
    table = table[table["group"] == group + 1]
    existing = {(m, r, c) for m, r, c in zip(table["matrix"], table["row"], table["col"])}
    fixed_zero = table[(table["free"] == 0) & (table["value"] == 0) & ~table["derived"]]
    rows = []
    for j, factor in enumerate(model.latent):
        for i, name in enumerate(model.observed):
            if ("lambda", i, j) not in existing:
                rows.append((factor, "=~", name, "lambda", i, j))
    for a, first in enumerate(model.observed):
        for b in range(a + 1, len(model.observed)):
            if ("theta", b, a) not in existing:
                rows.append((first, "~~", model.observed[b], "theta", b, a))
    for row in fixed_zero.itertuples():
        if row.matrix in ("psi", "theta") and row.row != row.col:
            rows.append((row.lhs, row.op, row.rhs, row.matrix, row.row, row.col))
    return pd.DataFrame(rows, columns=["lhs", "op", "rhs", "matrix", "row", "col"])


def _candidate_terms(model, theta, sample, group, candidates):
    matrices = model.matrices(theta, group)
    inverse_sigma, w, weighted_mean = weighted_residuals(model, theta, sample, group)

    u, v, scale, mean = cell_derivative_terms(
        matrices, candidates["matrix"].to_numpy(), candidates["row"].to_numpy(), candidates["col"].to_numpy()
    )
    # Derivative of F / 2 with respect to each candidate cell.
    score = scale * np.einsum("ik,ik->k", v, w @ u) - weighted_mean @ mean

    free = model.derivative_terms(theta, group)
    cross_cells = _cell_information(inverse_sigma, (u, v, scale, mean), (free.u, free.v, free.scale, free.mean))
    cross = cross_cells @ free.cells_to_free
    own = np.diag(_cell_information(inverse_sigma, (u, v, scale, mean), (u, v, scale, mean)))
    return score, cross, own


def _cell_information(inverse_sigma, first, second):
    u1, v1, s1, m1 = first
    u2, v2, s2, m2 = second
    uu = u1.T @ inverse_sigma @ u2
    vv = v1.T @ inverse_sigma @ v2
    uv = u1.T @ inverse_sigma @ v2
    vu = v1.T @ inverse_sigma @ u2
    return np.outer(s1, s2) * (uv * vu + uu * vv) + m1.T @ inverse_sigma @ m2
