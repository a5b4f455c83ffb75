"""Input checks and correlation helpers shared by the psychometrics modules.

Every public function validates its input here and works on a copy, so the
caller's DataFrame is never changed.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import InputDataError, LqpWarning
from ..i18n import translate


class PsychometricsWarning(LqpWarning):
    """Base class for warnings about item data or a psychometric solution."""

    def __init__(self, key: str, /, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(translate(key, None, **params))


class ConstantItemWarning(PsychometricsWarning):
    """An item has no variance and was left out."""


class ConvergenceWarning(PsychometricsWarning):
    """An iterative extraction or rotation stopped before its convergence criterion."""


class HeywoodCaseWarning(PsychometricsWarning):
    """A communality reached 1, so a uniqueness is at its lower bound."""


class OmegaIdentificationWarning(PsychometricsWarning):
    """Omega hierarchical is not identified or only identified by a constraint."""


def warn(category: type[PsychometricsWarning], key: str, /, **params: object) -> None:
    """Issue a catalogue warning attributed to the caller of the public function."""
    warnings.warn(category(key, **params), stacklevel=4)


def check_items(
    items: object, argument: str = "items", min_items: int = 1, min_respondents: int = 2
) -> pd.DataFrame:
    """Return a float64 copy of an item-score DataFrame after checking it.

    Raises
    ------
    InputDataError
        If ``items`` is not a DataFrame, has a non-numeric column, or has fewer
        items or answering respondents than needed.
    """
    if not isinstance(items, pd.DataFrame):
        raise InputDataError("psychometrics.not_dataframe", argument=argument, received=type(items).__name__)
    for column in items.columns:
        if not (pd.api.types.is_numeric_dtype(items[column]) and not pd.api.types.is_bool_dtype(items[column])):
            raise InputDataError(
                "psychometrics.not_numeric", argument=argument, column=column, dtype=str(items[column].dtype)
            )
    if items.shape[1] < min_items:
        raise InputDataError("psychometrics.too_few_items", argument=argument, received=items.shape[1], expected=min_items)
    data = items.astype("float64").copy()
    answered = int(data.notna().any(axis=1).sum())
    if answered < min_respondents:
        raise InputDataError(
            "psychometrics.too_few_respondents", argument=argument, received=answered, expected=min_respondents
        )
    return data


def check_key(key: Mapping[str, Sequence[str]], columns: pd.Index) -> dict[str, list[str]]:
    """Return ``key`` as ``{scale: [items]}`` after checking that every item is a column."""
    checked: dict[str, list[str]] = {}
    for scale, scale_items in key.items():
        scale_items = list(scale_items)
        if not scale_items:
            raise InputDataError("psychometrics.empty_scale", scale=scale)
        unknown = [item for item in scale_items if item not in columns]
        if unknown:
            raise InputDataError("psychometrics.unknown_items", scale=scale, items=", ".join(map(str, unknown)))
        checked[str(scale)] = scale_items
    return checked


def check_choice(value: object, allowed: Sequence[object], argument: str) -> None:
    """Raise :class:`InputDataError` unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise InputDataError(
            "psychometrics.invalid_choice",
            argument=argument,
            received=value,
            expected=", ".join(repr(a) for a in allowed),
        )


def check_range(value: float, low: float, high: float, argument: str) -> None:
    """Raise :class:`InputDataError` unless ``low < value < high``."""
    if not low < value < high:
        raise InputDataError("psychometrics.out_of_range", argument=argument, received=value, expected=f"({low}, {high})")


def pairwise_correlation(data: pd.DataFrame) -> np.ndarray:
    """Pearson correlations from pairwise-complete observations, as R's ``cor(use = "pairwise")``.

    Raises
    ------
    InputDataError
        If a correlation is undefined (no shared answers or a constant item).
    """
    correlation = data.corr(method="pearson", min_periods=2).to_numpy()
    _check_finite(correlation, data.columns)
    return correlation


def pairwise_covariance(data: pd.DataFrame) -> np.ndarray:
    """Covariances from pairwise-complete observations, as R's ``cov(use = "pairwise")``."""
    covariance = data.cov(min_periods=2).to_numpy()
    _check_finite(covariance, data.columns)
    return covariance


def _check_finite(matrix: np.ndarray, columns: pd.Index) -> None:
    bad = np.argwhere(~np.isfinite(matrix))
    if len(bad):
        first, second = bad[0]
        raise InputDataError("psychometrics.missing_correlation", first=columns[first], second=columns[second])


def drop_constant_items(data: pd.DataFrame) -> pd.DataFrame:
    """Return ``data`` without items that have no variance, warning once per item dropped."""
    spread = data.std(axis=0, ddof=1)
    constant = [column for column in data.columns if not spread[column] > 0]
    for column in constant:
        warn(ConstantItemWarning, "psychometrics.warning.constant_item", item=column)
    return data.drop(columns=constant)
