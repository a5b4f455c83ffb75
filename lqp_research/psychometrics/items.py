"""Item analysis: distribution, floor and ceiling, item-rest correlation, alpha if deleted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._data import check_items, check_key, pairwise_covariance

ITEM_COLUMNS = [
    "scale",
    "item",
    "n",
    "mean",
    "sd",
    "skew",
    "kurtosis",
    "share_floor",
    "share_ceiling",
    "share_missing",
    "corrected_item_total",
    "alpha_if_item_deleted",
    "flag",
    "reason",
]


@dataclass(frozen=True)
class ItemThresholds:
    """Limits beyond which :func:`item_analysis` flags an item.

    Attributes
    ----------
    min_corrected_item_total : float, default 0.30
        Nunnally & Bernstein (1994) treat item-rest correlations below 0.30 as weak.
    alpha_increase : float, default 0.0
        Flag when alpha without the item exceeds the scale's alpha by more than this.
    max_floor_share, max_ceiling_share : float, default 0.15
        Terwee et al. (2007) call more than 15 % of answers at the lowest or
        highest point a floor or ceiling effect.
    max_missing_share : float, default 0.10
        A project choice: more than 10 % missing answers suggests an unclear item.
    max_abs_skew : float, default 2.0
    max_abs_kurtosis : float, default 7.0
        West, Finch & Curran (1995) treat |skew| > 2 or |excess kurtosis| > 7 as
        substantial non-normality.
    """

    min_corrected_item_total: float = 0.30
    alpha_increase: float = 0.0
    max_floor_share: float = 0.15
    max_ceiling_share: float = 0.15
    max_missing_share: float = 0.10
    max_abs_skew: float = 2.0
    max_abs_kurtosis: float = 7.0


def item_analysis(
    items: pd.DataFrame,
    key: Mapping[str, Sequence[str]],
    *,
    scale_min: float | None = None,
    scale_max: float | None = None,
    thresholds: ItemThresholds = ItemThresholds(),
) -> pd.DataFrame:
    """Describe each item and flag weak ones.

    Parameters
    ----------
    items : DataFrame
        Item scores of one rating, respondents by items, reverse items already
        reversed; NaN is missing.
    key : mapping
        ``{scale: [items]}``, e.g. ``Instrument.scoring_key()``. An item in two
        scales gets a row for each.
    scale_min, scale_max : float, optional
        Lowest and highest response option (1 and 5 for LQP). When omitted, the
        smallest and largest answer in ``items`` are used.
    thresholds : ItemThresholds, optional
        Limits for the flags; the defaults are given there with their sources.

    Returns
    -------
    DataFrame
        One row per item of the key, scale by scale, with columns

        - ``scale``, ``item``
        - ``n``: answers; ``mean``, ``sd`` (``n - 1`` denominator)
        - ``skew``, ``kurtosis``: type 3 of ``psych::describe``, i.e.
          ``b1 = m3 / s**3`` and excess ``b2 = m4 / s**4 - 3`` with ``s`` the
          ``n - 1`` standard deviation
        - ``share_floor``, ``share_ceiling``: share of answers at ``scale_min``
          and ``scale_max``
        - ``share_missing``: share of rows without an answer
        - ``corrected_item_total``: correlation of the item with the sum of the
          other items of its scale
        - ``alpha_if_item_deleted``: Cronbach's alpha of the scale without the item
        - ``flag``: True when any reason applies; ``reason``: the reasons joined
          by ``"; "``, from ``low_item_total``, ``alpha_if_deleted_higher``,
          ``floor``, ``ceiling``, ``missing``, ``skew``, ``kurtosis``.

    Notes
    -----
    The item-rest correlation and alpha if deleted come from the pairwise
    covariance matrix of the scale, so they equal ``r.drop`` and
    ``alpha.drop$raw_alpha`` of ``psych::alpha`` (psych 2.2.9); ``n``, ``mean``,
    ``sd``, ``skew`` and ``kurtosis`` equal ``psych::describe(type = 3)``. A
    scale of one item has NaN item-rest correlation, and a scale of two items has
    NaN alpha if deleted.

    References
    ----------
    Joanes, D. N., & Gill, C. A. (1998). Comparing measures of sample skewness and
    kurtosis. Journal of the Royal Statistical Society: Series D, 47(1), 183-189.
    https://doi.org/10.1111/1467-9884.00122

    Nunnally, J. C., & Bernstein, I. H. (1994). Psychometric Theory (3rd ed.).
    McGraw-Hill.

    Terwee, C. B., Bot, S. D. M., de Boer, M. R., van der Windt, D. A. W. M., Knol,
    D. L., Dekker, J., Bouter, L. M., & de Vet, H. C. W. (2007). Quality criteria
    were proposed for measurement properties of health status questionnaires.
    Journal of Clinical Epidemiology, 60(1), 34-42.
    https://doi.org/10.1016/j.jclinepi.2006.03.012

    West, S. G., Finch, J. F., & Curran, P. J. (1995). Structural equation models
    with nonnormal variables: Problems and remedies. In R. H. Hoyle (Ed.),
    Structural Equation Modeling: Concepts, Issues, and Applications (pp. 56-75).
    Sage.
    """
    data = check_items(items)
    scales = check_key(key, data.columns)
    low = float(np.nanmin(data.to_numpy())) if scale_min is None else scale_min
    high = float(np.nanmax(data.to_numpy())) if scale_max is None else scale_max

    frames = []
    for scale, scale_items in scales.items():
        block = data[scale_items]
        frame = _describe(block, low, high)
        frame.insert(0, "scale", scale)
        item_total, alpha_deleted, alpha = _item_rest(block)
        frame["corrected_item_total"] = item_total
        frame["alpha_if_item_deleted"] = alpha_deleted
        frame["reason"] = [_reasons(row, alpha, thresholds) for row in frame.itertuples()]
        frames.append(frame)

    table = pd.concat(frames, ignore_index=True)
    table["flag"] = table["reason"] != ""
    return table[ITEM_COLUMNS]


def _describe(block: pd.DataFrame, low: float, high: float) -> pd.DataFrame:
    values = block.to_numpy()
    n = np.sum(~np.isnan(values), axis=0)
    mean = np.nanmean(values, axis=0)
    deviation = values - mean
    m2 = np.nansum(deviation**2, axis=0) / n
    m3 = np.nansum(deviation**3, axis=0) / n
    m4 = np.nansum(deviation**4, axis=0) / n
    sd = np.sqrt(m2 * n / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        skew = m3 / sd**3
        kurtosis = m4 / sd**4 - 3
        share_floor = np.sum(values == low, axis=0) / n
        share_ceiling = np.sum(values == high, axis=0) / n
    return pd.DataFrame(
        {
            "item": block.columns,
            "n": n,
            "mean": mean,
            "sd": sd,
            "skew": skew,
            "kurtosis": kurtosis,
            "share_floor": share_floor,
            "share_ceiling": share_ceiling,
            "share_missing": 1 - n / len(block),
        }
    )


def _item_rest(block: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, float]:
    n_items = block.shape[1]
    if n_items < 2:
        return np.full(n_items, np.nan), np.full(n_items, np.nan), float("nan")
    covariance = pairwise_covariance(block)
    alpha = _alpha(covariance)
    item_total = np.empty(n_items)
    alpha_deleted = np.full(n_items, np.nan)
    for position in range(n_items):
        rest = np.delete(np.arange(n_items), position)
        rest_variance = covariance[np.ix_(rest, rest)].sum()
        # A constant item (variance 0) gets NaN, which the caller reports as missing.
        with np.errstate(divide="ignore", invalid="ignore"):
            item_total[position] = covariance[position, rest].sum() / np.sqrt(covariance[position, position] * rest_variance)
        if n_items > 2:
            alpha_deleted[position] = _alpha(covariance[np.ix_(rest, rest)])
    return item_total, alpha_deleted, alpha


def _alpha(covariance: np.ndarray) -> float:
    n_items = covariance.shape[0]
    return float(n_items / (n_items - 1) * (1 - np.trace(covariance) / covariance.sum()))


def _reasons(row, alpha: float, limits: ItemThresholds) -> str:
    checks = [
        ("low_item_total", row.corrected_item_total < limits.min_corrected_item_total),
        ("alpha_if_deleted_higher", row.alpha_if_item_deleted > alpha + limits.alpha_increase),
        ("floor", row.share_floor > limits.max_floor_share),
        ("ceiling", row.share_ceiling > limits.max_ceiling_share),
        ("missing", row.share_missing > limits.max_missing_share),
        ("skew", abs(row.skew) > limits.max_abs_skew),
        ("kurtosis", abs(row.kurtosis) > limits.max_abs_kurtosis),
    ]
    return "; ".join(name for name, failed in checks if failed)
