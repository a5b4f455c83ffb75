"""Checks of one rating's item scores before any correlation-based analysis.

A constant item or an exact copy of another item makes every correlation
matrix singular, and so does having no more respondents than items. KMO,
Bartlett's test, Velicer's MAP, parallel analysis, EFA and CFA then either fail
or print numbers that mean nothing. :func:`screen_items` finds these cases up
front so the pipeline can drop the offending items, or skip the analyses and
say why.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..instrument import Instrument

#: Columns of ``Screening.dropped``.
DROPPED_COLUMNS = ("item", "reason", "duplicate_of")

# Smallest eigenvalue, relative to the largest, below which the correlation
# matrix counts as singular. Rounding leaves eigenvalues near 1e-16 on exactly
# singular matrices; real survey data stay far above 1e-10.
_SINGULAR_TOLERANCE = 1e-10


@dataclass(frozen=True)
class Screening:
    """Outcome of :func:`screen_items`.

    Attributes
    ----------
    dropped : DataFrame
        Columns ``DROPPED_COLUMNS``: each item left out, ``reason`` ``"constant"``
        (one answer value, or no answers) or ``"duplicate"`` (the same scores as
        the item in ``duplicate_of`` for every respondent, missing answers included).
    kept : tuple of str
        The items analysed, in their original order.
    n_respondents : int
        Respondents with at least one answer to a kept item.
    singular : {"", "few_respondents", "singular"}
        Why the correlation matrix of the kept items cannot be inverted:
        no more respondents than items, or a (near) linear dependency among
        the items. Empty when the matrix is positive definite or cannot be
        computed (an item pair without shared answers, left to the analyses).
    determinant : float
        Determinant of the pairwise correlation matrix of the kept items; NaN
        when it was not computed.
    """

    dropped: pd.DataFrame
    kept: tuple[str, ...]
    n_respondents: int
    singular: str
    determinant: float


def screen_items(items: pd.DataFrame) -> Screening:
    """Find constant and duplicated items and check the correlation matrix.

    Parameters
    ----------
    items : DataFrame
        Item scores of one rating (respondents by item ids). Not changed.

    Returns
    -------
    Screening

    Notes
    -----
    With ``n`` respondents the sample correlation matrix of ``p`` items has
    rank at most ``n - 1``, so it is singular whenever ``n <= p``. Otherwise the
    pairwise correlation matrix (R's ``cor(use = "pairwise")``) is singular or
    not positive definite when its smallest eigenvalue is below
    ``1e-10`` times its largest.
    """
    dropped = []
    seen: dict[bytes, str] = {}
    for item in items.columns:
        values = items[item]
        if values.nunique(dropna=True) <= 1:
            dropped.append({"item": item, "reason": "constant", "duplicate_of": ""})
            continue
        # NaN has to compare equal to NaN, so missing answers are encoded first.
        signature = values.fillna(-np.inf).to_numpy(dtype=float).tobytes()
        if signature in seen:
            dropped.append({"item": item, "reason": "duplicate", "duplicate_of": seen[signature]})
        else:
            seen[signature] = item
    dropped_frame = pd.DataFrame(dropped, columns=list(DROPPED_COLUMNS))
    kept = tuple(item for item in items.columns if item not in set(dropped_frame["item"]))

    data = items.loc[:, list(kept)]
    n_respondents = int(data.notna().any(axis=1).sum())
    singular, determinant = "", float("nan")
    if kept and n_respondents <= len(kept):
        singular = "few_respondents"
    elif kept:
        correlation = data.corr(min_periods=2).to_numpy()
        if np.isfinite(correlation).all():
            eigenvalues = np.linalg.eigvalsh(correlation)
            determinant = float(np.prod(eigenvalues))
            if eigenvalues[0] <= _SINGULAR_TOLERANCE * eigenvalues[-1]:
                singular = "singular"
    return Screening(
        dropped=dropped_frame, kept=kept, n_respondents=n_respondents, singular=singular, determinant=determinant,
    )


def reduce_instrument(instrument: Instrument, kept: tuple[str, ...]) -> Instrument:
    """Return ``instrument`` with only the items in ``kept``.

    Factors left without items are removed, and so are they from their dimension;
    a dimension left without factors is removed.
    """
    keep = set(kept)
    if keep >= set(instrument.item_ids):
        return instrument
    factors = []
    for factor in instrument.factors:
        remaining = tuple(item for item in factor.items if item in keep)
        if remaining:
            factors.append(dataclasses.replace(factor, items=remaining))
    codes = {factor.code for factor in factors}
    dimensions = []
    for dimension in instrument.dimensions:
        remaining = tuple(code for code in dimension.factors if code in codes)
        if remaining:
            dimensions.append(dataclasses.replace(dimension, factors=remaining))
    return dataclasses.replace(
        instrument,
        items=tuple(item for item in instrument.items if item.id in keep),
        factors=tuple(factors),
        dimensions=tuple(dimensions),
    )


__all__ = ["DROPPED_COLUMNS", "Screening", "reduce_instrument", "screen_items"]
