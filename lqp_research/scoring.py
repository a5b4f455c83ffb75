"""Respondent scores: reverse keying, duplicates, exclusion, factor, dimension and gap scores.

The rules, in the order they are applied:

1. Reverse-worded items are scored ``scale_min + scale_max - x``, in every rating.
2. A duplicated ``respondent_id`` keeps the row with the latest ``submitted_at``;
   rows without a timestamp lose to rows with one, and among rows without any
   timestamp the last in the file is kept.
3. A respondent who answered fewer than ``min_answered_share`` (50 %) of all
   item ratings is excluded.
4. A factor score in a rating is the mean of the factor's answered items when at
   least ``min_items_share`` (50 %) of them are answered, else missing.
5. A dimension score is the mean of its factors' scores when all are present.
6. A gap is the ønske score minus the nu score, when both are present.

Scoring is vectorised: per rating, one matrix product of the answers with the
item-by-factor key gives every factor's sum, and one more gives the counts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import InputDataError
from .instrument import Instrument
from .io.responses import ID_COLUMN, TEAM_COLUMN, TIME_COLUMN, Responses

logger = logging.getLogger(__name__)

#: The smallest anonymity threshold that may be set.
MIN_ALLOWED_GROUP_SIZE = 3

GAP = "gap"


@dataclass(frozen=True)
class ScoringSettings:
    """Thresholds of the scoring rules.

    Parameters
    ----------
    min_answered_share : float, default 0.5
        A respondent needs at least this share of all item ratings answered.
    min_items_share : float, default 0.5
        A factor score needs at least this share of the factor's items answered.
    min_group_size : int, default 5
        Anonymity threshold: teams with fewer included respondents are suppressed.
        Values below 3 are rejected.
    confidence : float, default 0.95
        Level of the t-based confidence intervals of group means.
    """

    min_answered_share: float = 0.5
    min_items_share: float = 0.5
    min_group_size: int = 5
    confidence: float = 0.95

    def __post_init__(self) -> None:
        for name in ("min_answered_share", "min_items_share"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                raise InputDataError("scoring.invalid_share", name=name, value=value)
        if isinstance(self.min_group_size, bool) or not isinstance(self.min_group_size, (int, np.integer)):
            raise InputDataError("scoring.invalid_group_size", value=self.min_group_size, minimum=MIN_ALLOWED_GROUP_SIZE)
        if self.min_group_size < MIN_ALLOWED_GROUP_SIZE:
            raise InputDataError("scoring.invalid_group_size", value=self.min_group_size, minimum=MIN_ALLOWED_GROUP_SIZE)
        if not 0 < self.confidence < 1:
            raise InputDataError("scoring.invalid_confidence", value=self.confidence)


@dataclass
class CleanResponses:
    """Responses after duplicates are dropped and too-sparse respondents excluded.

    Attributes
    ----------
    responses : Responses
        The included respondents only, in file order.
    rows_read, duplicates_dropped, excluded_too_few_answers : int
        Counts for the summary.
    dropped_ids, excluded_ids : list of str
        Respondent ids behind those counts.
    """

    responses: Responses
    rows_read: int
    duplicates_dropped: int
    excluded_too_few_answers: int
    dropped_ids: list[str] = field(default_factory=list)
    excluded_ids: list[str] = field(default_factory=list)

    @property
    def instrument(self) -> Instrument:
        return self.responses.instrument

    @property
    def data(self) -> pd.DataFrame:
        return self.responses.data


def clean_responses(responses: Responses, settings: ScoringSettings | None = None) -> CleanResponses:
    """Drop duplicate submissions, then exclude respondents with too few answers.

    Parameters
    ----------
    responses : Responses
    settings : ScoringSettings, optional

    Returns
    -------
    CleanResponses
    """
    settings = settings or ScoringSettings()
    data = responses.data

    keep = _latest_submission(data)
    dropped_ids = data.loc[~keep, ID_COLUMN].astype(str).tolist()

    answers = data[responses.answer_columns].to_numpy()
    answered = np.count_nonzero(~np.isnan(answers), axis=1)
    del answers
    enough = answered >= settings.min_answered_share * len(responses.answer_columns) - 1e-9
    excluded = keep & ~enough
    excluded_ids = data.loc[excluded, ID_COLUMN].astype(str).tolist()

    included = keep & enough
    if included.all():
        kept = data
    else:
        kept = data.loc[included].reset_index(drop=True)
    logger.info(
        "Kept %d of %d rows: %d duplicates dropped, %d excluded for too few answers",
        len(kept), len(data), len(dropped_ids), len(excluded_ids),
    )
    cleaned = Responses(
        data=kept,
        instrument=responses.instrument,
        ratings=responses.ratings,
        source=responses.source,
        rows_read=responses.rows_read,
        background_columns=responses.background_columns,
        read_details=responses.read_details,
    )
    return CleanResponses(
        responses=cleaned,
        rows_read=responses.rows_read,
        duplicates_dropped=len(dropped_ids),
        excluded_too_few_answers=len(excluded_ids),
        dropped_ids=dropped_ids,
        excluded_ids=excluded_ids,
    )


def _latest_submission(data: pd.DataFrame) -> np.ndarray:
    """Return a mask keeping one row per respondent id: its latest submission."""
    ids = data[ID_COLUMN]
    duplicated = ids.duplicated(keep=False).to_numpy()
    keep = np.ones(len(data), dtype=bool)
    if not duplicated.any():
        return keep

    rows = np.flatnonzero(duplicated)
    subset = pd.DataFrame({
        "id": ids.to_numpy()[rows],
        "has_time": data[TIME_COLUMN].notna().to_numpy()[rows] if TIME_COLUMN in data else False,
        "time": data[TIME_COLUMN].to_numpy()[rows] if TIME_COLUMN in data else pd.NaT,
        "row": rows,
    })
    # Sort so the winner is last per id: timestamped after untimestamped, then by
    # time, then by file position.
    ordered = subset.sort_values(["id", "has_time", "time", "row"], na_position="first", kind="stable")
    winners = ordered.drop_duplicates("id", keep="last")["row"].to_numpy()
    keep[rows] = False
    keep[winners] = True
    return keep


def item_scores(
    responses: Responses | CleanResponses,
    rating: str,
    settings: ScoringSettings | None = None,
) -> pd.DataFrame:
    """Return one rating's item scores with reverse-worded items reversed.

    Parameters
    ----------
    responses : Responses or CleanResponses
        Raw responses are cleaned first (duplicates, exclusion) with ``settings``.
    rating : str
        E.g. ``"nu"``.
    settings : ScoringSettings, optional

    Returns
    -------
    pandas.DataFrame
        Index ``respondent_id``, one float64 column per item id (NaN = missing).
    """
    if isinstance(responses, Responses):
        responses = clean_responses(responses, settings)
    instrument = responses.instrument
    if rating not in responses.responses.ratings:
        raise InputDataError("io.unknown_rating", rating=rating, allowed=", ".join(responses.responses.ratings))
    columns = instrument.item_columns(rating)
    values = _reversed(instrument, responses.data[columns].to_numpy(dtype=np.float64, copy=True))
    index = pd.Index(responses.data[ID_COLUMN].astype(str), name=ID_COLUMN)
    return pd.DataFrame(values, columns=list(instrument.item_ids), index=index)


def _reversed(instrument: Instrument, values: np.ndarray) -> np.ndarray:
    """Reverse the reverse-worded items' columns of an items-in-order matrix, in place."""
    reverse = np.array([item.reverse for item in instrument.items])
    values[:, reverse] = instrument.scale.min + instrument.scale.max - values[:, reverse]
    return values


def scoring_matrix(instrument: Instrument) -> np.ndarray:
    """Return the items x factors 0/1 key matrix, in instrument order."""
    key = np.zeros((len(instrument.items), len(instrument.factors)))
    factor_index = {code: j for j, code in enumerate(instrument.factor_codes)}
    for i, item in enumerate(instrument.items):
        key[i, factor_index[item.factor]] = 1.0
    return key


def respondent_scores(clean: CleanResponses, settings: ScoringSettings | None = None) -> pd.DataFrame:
    """Score every included respondent on every scale and rating, with gaps.

    Parameters
    ----------
    clean : CleanResponses
        Output of :func:`clean_responses`.
    settings : ScoringSettings, optional

    Returns
    -------
    pandas.DataFrame
        One row per respondent: ``respondent_id``, ``team``, then
        ``<scale>_<measure>`` (float64) for every factor and dimension and every
        rating, plus ``<scale>_gap`` when the instrument has both ``nu`` and
        ``onske`` ratings (in general: the last rating minus the first, when
        there are exactly two).
    """
    settings = settings or ScoringSettings()
    instrument = clean.instrument
    data = clean.data
    ratings = clean.responses.ratings
    key = scoring_matrix(instrument)
    items_per_factor = key.sum(axis=0)
    needed = settings.min_items_share * items_per_factor - 1e-9

    columns: dict[str, np.ndarray] = {}
    by_rating: dict[str, np.ndarray] = {}
    for rating in ratings:
        values = data[instrument.item_columns(rating)].to_numpy(dtype=np.float64, copy=True)
        answered = ~np.isnan(values)
        np.nan_to_num(values, copy=False, nan=0.0)
        values = _reversed(instrument, values)
        values[~answered] = 0.0  # reversal turned the zeros of missing cells into min + max
        sums = values @ key
        counts = answered.astype(np.float64) @ key
        del values, answered
        with np.errstate(invalid="ignore", divide="ignore"):
            factor_scores = np.where(counts >= needed, sums / counts, np.nan)
        by_rating[rating] = _with_dimensions(instrument, factor_scores)

    scales = instrument.scale_codes
    for rating in ratings:
        for j, scale in enumerate(scales):
            columns[f"{scale}_{rating}"] = by_rating[rating][:, j]
    if len(ratings) == 2:
        first, last = ratings
        gaps = by_rating[last] - by_rating[first]
        for j, scale in enumerate(scales):
            columns[f"{scale}_{GAP}"] = gaps[:, j]

    ordered = {f"{scale}_{measure}": columns[f"{scale}_{measure}"] for scale in scales for measure in measures_of(ratings)}
    frame = pd.DataFrame(ordered)
    frame.insert(0, TEAM_COLUMN, data[TEAM_COLUMN].to_numpy())
    frame.insert(0, ID_COLUMN, data[ID_COLUMN].to_numpy())
    frame[TEAM_COLUMN] = frame[TEAM_COLUMN].astype("string")
    frame[ID_COLUMN] = frame[ID_COLUMN].astype("string")
    return frame


def measures_of(ratings: tuple[str, ...]) -> tuple[str, ...]:
    """Return the measures scored for these ratings: each rating, then ``gap`` for two."""
    return tuple(ratings) + ((GAP,) if len(ratings) == 2 else ())


def _with_dimensions(instrument: Instrument, factor_scores: np.ndarray) -> np.ndarray:
    """Append dimension scores (mean of the factors, missing if any is missing)."""
    if not instrument.dimensions:
        return factor_scores
    factor_index = {code: j for j, code in enumerate(instrument.factor_codes)}
    dimension_scores = np.empty((factor_scores.shape[0], len(instrument.dimensions)))
    for k, dimension in enumerate(instrument.dimensions):
        members = [factor_index[code] for code in dimension.factors]
        # np.mean propagates NaN, which is the rule: any missing factor -> missing.
        dimension_scores[:, k] = factor_scores[:, members].mean(axis=1)
    return np.hstack([factor_scores, dimension_scores])


__all__ = [
    "CleanResponses",
    "GAP",
    "MIN_ALLOWED_GROUP_SIZE",
    "ScoringSettings",
    "clean_responses",
    "item_scores",
    "measures_of",
    "respondent_scores",
    "scoring_matrix",
]
