"""The completely standardized solution (lavaan's ``std.all``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .model import CompiledModel


def standardize_cells(
    model: CompiledModel, theta: np.ndarray, group: int, matrix: np.ndarray, rows: np.ndarray,
    cols: np.ndarray, values: np.ndarray,
) -> np.ndarray:
    """Return ``std.all`` values of matrix cells of one group.

    Loadings are scaled by the factor and variable standard deviations, factor
    (co)variances by the factors' total standard deviations, residual variances
    by the observed variances and residual covariances by the residual standard
    deviations (as lavaan 0.6 ``standardizedSolution(type = "std.all")``),
    intercepts and means by the standard deviation of their variable.
    """
    matrices = model.matrices(theta, group)
    phi = matrices.latent_covariance
    sigma, _ = model.implied_moments(theta, group)
    sd_observed = np.sqrt(np.abs(np.diag(sigma)))
    sd_latent = np.sqrt(np.abs(np.diag(phi)))
    sd_residual = np.sqrt(np.abs(np.diag(matrices.theta)))

    out = np.full(len(values), np.nan)
    for index, (name, row, col, value) in enumerate(zip(matrix, rows, cols, values)):
        if name == "lambda":
            out[index] = value * sd_latent[col] / sd_observed[row]
        elif name == "beta":
            out[index] = value * sd_latent[col] / sd_latent[row]
        elif name == "psi":
            out[index] = value / (sd_latent[row] * sd_latent[col])
        elif name == "theta" and row == col:
            out[index] = value / sigma[row, row]
        elif name == "theta":
            out[index] = value / (sd_residual[row] * sd_residual[col])
        elif name == "nu":
            out[index] = value / sd_observed[row]
        elif name == "alpha":
            out[index] = value / sd_latent[row]
    return out


def standardized_column(model: CompiledModel, theta: np.ndarray, table: pd.DataFrame) -> np.ndarray:
    """Return ``std.all`` for every row of a parameter table with an ``est`` column."""
    result = np.full(len(table), np.nan)
    for group in range(model.n_groups):
        mask = (table["group"] == group + 1).to_numpy()
        part = table.loc[mask]
        result[mask] = standardize_cells(
            model, theta, group, part["matrix"].to_numpy(), part["row"].to_numpy(),
            part["col"].to_numpy(), part["est"].to_numpy(),
        )
    return result
