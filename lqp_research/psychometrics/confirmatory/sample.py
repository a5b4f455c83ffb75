"""Sample moments for CFA: listwise deletion, grouping and checks of the data."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...errors import InputDataError

logger = logging.getLogger(__name__)

# Relative eigenvalue below which a sample covariance matrix counts as singular.
_SINGULAR_TOLERANCE = 1e-10


@dataclass(frozen=True)
class SampleMoments:
    """Complete cases of the observed variables, per group, and their moments.

    Attributes
    ----------
    observed : tuple of str
        Variable order of every matrix and vector.
    group_labels : tuple of str
        One label per group (``("all",)`` without a grouping column), in order of
        first appearance in the data, as lavaan.
    data : tuple of ndarray
        Complete cases per group, shape ``(n_g, p)``.
    covariances : tuple of ndarray
        Sample covariance matrices with divisor ``n_g`` (maximum likelihood).
    means : tuple of ndarray
    n_obs : tuple of int
    n_deleted : int
        Rows dropped by listwise deletion.
    """

    observed: tuple[str, ...]
    group_labels: tuple[str, ...]
    data: tuple[np.ndarray, ...]
    covariances: tuple[np.ndarray, ...]
    means: tuple[np.ndarray, ...]
    n_obs: tuple[int, ...]
    n_deleted: int

    @property
    def n_total(self) -> int:
        """Number of complete cases over all groups."""
        return int(sum(self.n_obs))

    @property
    def weights(self) -> np.ndarray:
        """Share of the complete cases in each group, ``n_g / N``."""
        return np.asarray(self.n_obs, dtype=float) / self.n_total


def sample_moments(data: pd.DataFrame, observed: tuple[str, ...], group: str | None = None) -> SampleMoments:
    """Select the observed variables, delete incomplete rows and compute moments.

    Parameters
    ----------
    data : DataFrame
        One row per respondent; must contain every observed variable (and
        ``group`` if given). It is not changed.
    observed : tuple of str
    group : str, optional
        Column whose values define the groups of a multi-group model.

    Returns
    -------
    SampleMoments

    Raises
    ------
    InputDataError
        If a column is missing or not numeric, if a group has no more complete
        cases than variables, if an item is constant, or if the covariance matrix
        is singular (for example two identical items).
    """
    missing = [name for name in observed if name not in data.columns]
    if group is not None and group not in data.columns:
        missing.append(group)
    if missing:
        raise InputDataError("cfa.missing_columns", columns=", ".join(missing))
    values = data.loc[:, list(observed)]
    not_numeric = [name for name in observed if not pd.api.types.is_numeric_dtype(values[name])]
    if not_numeric:
        raise InputDataError("cfa.not_numeric", columns=", ".join(not_numeric))

    complete = values.notna().all(axis=1).to_numpy()
    if group is not None:
        complete = complete & data[group].notna().to_numpy()
    n_deleted = int((~complete).sum())
    if n_deleted:
        logger.info("Listwise deletion dropped %d of %d rows.", n_deleted, len(data))

    matrix = values.to_numpy(dtype=float)[complete]
    if group is None:
        labels = ("all",)
        parts = [matrix]
    else:
        group_values = data[group].to_numpy()[complete]
        labels = tuple(str(label) for label in pd.unique(group_values))
        parts = [matrix[group_values.astype(str) == label] for label in labels]

    covariances, means = [], []
    for label, part in zip(labels, parts):
        _check_group(part, observed, label)
        mean = part.mean(axis=0)
        centred = part - mean
        covariances.append(centred.T @ centred / part.shape[0])
        means.append(mean)

    return SampleMoments(
        observed=tuple(observed),
        group_labels=labels,
        data=tuple(parts),
        covariances=tuple(covariances),
        means=tuple(means),
        n_obs=tuple(part.shape[0] for part in parts),
        n_deleted=n_deleted,
    )


def _check_group(part: np.ndarray, observed: tuple[str, ...], label: str) -> None:
    n, p = part.shape
    if n <= p:
        raise InputDataError("cfa.too_few_respondents", n=n, p=p, group=label)
    spread = part.max(axis=0) - part.min(axis=0)
    constant = [observed[i] for i in np.flatnonzero(spread == 0)]
    if constant:
        raise InputDataError("cfa.constant_item", items=", ".join(constant), group=label)

    correlation = np.corrcoef(part, rowvar=False)
    upper_rows, upper_cols = np.triu_indices(p, k=1)
    duplicated = np.flatnonzero(np.abs(correlation[upper_rows, upper_cols]) > 1 - 1e-12)
    if duplicated.size:
        first = duplicated[0]
        pair = f"{observed[upper_rows[first]]}, {observed[upper_cols[first]]}"
        raise InputDataError("cfa.duplicated_items", items=pair, group=label)
    eigenvalues = np.linalg.eigvalsh(correlation)
    if eigenvalues[0] < _SINGULAR_TOLERANCE * eigenvalues[-1]:
        raise InputDataError("cfa.singular_covariance", group=label)
