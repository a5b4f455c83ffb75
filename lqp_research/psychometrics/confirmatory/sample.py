"""Sample moments for CFA: listwise deletion or FIML patterns, grouping and checks of the data."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...errors import InputDataError
from .missing_data import MissingPatterns, available_case_moments, em_saturated, missing_patterns

logger = logging.getLogger(__name__)

# Relative eigenvalue below which a sample covariance matrix counts as singular.
_SINGULAR_TOLERANCE = 1e-10

#: Missing-data methods: listwise deletion (lavaan's default) and FIML (lavaan's ``missing = "ml"``).
MISSING_METHODS = ("listwise", "fiml")


@dataclass(frozen=True)
class SampleMoments:
    """The respondents used, per group, and their moments.

    Attributes
    ----------
    observed : tuple of str
        Variable order of every matrix and vector.
    group_labels : tuple of str
        One label per group (``("all",)`` without a grouping column), in order of
        first appearance in the data, as lavaan.
    data : tuple of ndarray
        Rows used per group, shape ``(n_g, p)``: complete cases with listwise
        deletion, with FIML every row that has an observed value (NaN = missing).
    covariances : tuple of ndarray
        Sample covariance matrices with divisor ``n_g`` (maximum likelihood); with
        FIML the EM estimates of the saturated model (lavaan's ``sampstat.h1``).
    means : tuple of ndarray
        Sample means; with FIML the EM estimates.
    n_obs : tuple of int
    n_deleted : int
        Rows dropped: incomplete rows with listwise deletion, rows without any
        observed model variable with FIML.
    missing : {"listwise", "fiml"}
    patterns : tuple of MissingPatterns or None
        FIML only: each group's rows grouped by missing-data pattern.
    unrestricted_loglik : float
        FIML only: the maximised log-likelihood of the saturated model (EM),
        summed over groups; NaN with listwise deletion.
    baseline_moments : tuple of (ndarray, ndarray) or None
        FIML only: per group the available-case means and variances, the
        estimates of the independence model.
    """

    observed: tuple[str, ...]
    group_labels: tuple[str, ...]
    data: tuple[np.ndarray, ...]
    covariances: tuple[np.ndarray, ...]
    means: tuple[np.ndarray, ...]
    n_obs: tuple[int, ...]
    n_deleted: int
    missing: str = "listwise"
    patterns: tuple[MissingPatterns, ...] | None = None
    unrestricted_loglik: float = np.nan
    baseline_moments: tuple[tuple[np.ndarray, np.ndarray], ...] | None = None

    @property
    def n_total(self) -> int:
        """Number of respondents used over all groups."""
        return int(sum(self.n_obs))

    @property
    def weights(self) -> np.ndarray:
        """Share of the respondents used in each group, ``n_g / N``."""
        return np.asarray(self.n_obs, dtype=float) / self.n_total


def sample_moments(
    data: pd.DataFrame, observed: tuple[str, ...], group: str | None = None, missing: str = "listwise"
) -> SampleMoments:
    """Select the observed variables, handle missing values and compute moments.

    Parameters
    ----------
    data : DataFrame
        One row per respondent; must contain every observed variable (and
        ``group`` if given). It is not changed.
    observed : tuple of str
    group : str, optional
        Column whose values define the groups of a multi-group model.
    missing : {"listwise", "fiml"}, default "listwise"
        ``"listwise"`` drops rows with a missing value. ``"fiml"`` keeps every row
        with at least one observed model variable, groups rows by missing-data
        pattern and estimates the saturated moments by EM, as lavaan's
        ``missing = "ml"``. Rows with a missing group value are dropped in both.

    Returns
    -------
    SampleMoments

    Raises
    ------
    InputDataError
        If a column is missing or not numeric, if a group has no more rows than
        variables, if an item is constant, or if the covariance matrix is
        singular (for example two identical items).
    """
    if missing not in MISSING_METHODS:
        raise InputDataError("cfa.unknown_missing", value=missing, expected=", ".join(MISSING_METHODS))
    absent = [name for name in observed if name not in data.columns]
    if group is not None and group not in data.columns:
        absent.append(group)
    if absent:
        raise InputDataError("cfa.missing_columns", columns=", ".join(absent))
    values = data.loc[:, list(observed)]
    not_numeric = [name for name in observed if not pd.api.types.is_numeric_dtype(values[name])]
    if not_numeric:
        raise InputDataError("cfa.not_numeric", columns=", ".join(not_numeric))

    if missing == "fiml":
        complete = values.notna().any(axis=1).to_numpy()
    else:
        complete = values.notna().all(axis=1).to_numpy()
    if group is not None:
        complete = complete & data[group].notna().to_numpy()
    n_deleted = int((~complete).sum())
    if n_deleted:
        reason = "had no observed value" if missing == "fiml" else "were incomplete (listwise deletion)"
        logger.info("Dropped %d of %d rows that %s.", n_deleted, len(data), reason)

    matrix = values.to_numpy(dtype=float)[complete]
    if group is None:
        labels = ("all",)
        parts = [matrix]
    else:
        group_values = data[group].to_numpy()[complete]
        labels = tuple(str(label) for label in pd.unique(group_values))
        parts = [matrix[group_values.astype(str) == label] for label in labels]

    if missing == "fiml":
        return _fiml_moments(tuple(observed), labels, parts, n_deleted)

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


def _fiml_moments(observed, labels, parts, n_deleted) -> SampleMoments:
    patterns, covariances, means, baseline = [], [], [], []
    unrestricted = 0.0
    for label, part in zip(labels, parts):
        _check_group_values(part, observed, label)
        group_patterns = missing_patterns(part)
        em = em_saturated(group_patterns)
        if not em.converged:
            logger.warning("EM for the saturated model of group %s stopped after %d iterations.",
                           label, em.iterations)
        _check_covariance(em.covariance, observed, label)
        logger.info("Group %s: %d rows, %d missing-data patterns, %.2f %% of values missing.",
                    label, group_patterns.n, group_patterns.n_patterns, 100.0 * np.mean(np.isnan(part)))
        patterns.append(group_patterns)
        covariances.append(em.covariance)
        means.append(em.mean)
        baseline.append(available_case_moments(group_patterns))
        unrestricted += em.loglik
    return SampleMoments(
        observed=observed,
        group_labels=labels,
        data=tuple(parts),
        covariances=tuple(covariances),
        means=tuple(means),
        n_obs=tuple(part.shape[0] for part in parts),
        n_deleted=n_deleted,
        missing="fiml",
        patterns=tuple(patterns),
        unrestricted_loglik=float(unrestricted),
        baseline_moments=tuple(baseline),
    )


def _check_group(part: np.ndarray, observed: tuple[str, ...], label: str) -> None:
    _check_group_values(part, observed, label)
    _check_covariance(np.cov(part, rowvar=False), observed, label)


def _check_group_values(part: np.ndarray, observed: tuple[str, ...], label: str) -> None:
    n, p = part.shape
    if n <= p:
        raise InputDataError("cfa.too_few_respondents", n=n, p=p, group=label)
    with np.errstate(invalid="ignore"):
        spread = np.nanmax(part, axis=0, initial=-np.inf) - np.nanmin(part, axis=0, initial=np.inf)
    # An item without any observed value counts as constant too.
    constant = [observed[i] for i in np.flatnonzero(~(spread > 0))]
    if constant:
        raise InputDataError("cfa.constant_item", items=", ".join(constant), group=label)


def _check_covariance(covariance: np.ndarray, observed: tuple[str, ...], label: str) -> None:
    p = covariance.shape[0]
    sd = np.sqrt(np.diag(covariance))
    correlation = covariance / np.outer(sd, sd)
    upper_rows, upper_cols = np.triu_indices(p, k=1)
    duplicated = np.flatnonzero(np.abs(correlation[upper_rows, upper_cols]) > 1 - 1e-12)
    if duplicated.size:
        first = duplicated[0]
        pair = f"{observed[upper_rows[first]]}, {observed[upper_cols[first]]}"
        raise InputDataError("cfa.duplicated_items", items=pair, group=label)
    eigenvalues = np.linalg.eigvalsh(correlation)
    if eigenvalues[0] < _SINGULAR_TOLERANCE * eigenvalues[-1]:
        raise InputDataError("cfa.singular_covariance", group=label)
