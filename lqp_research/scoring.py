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

Scoring is vectorised: per rating, one matrix product of the answers with a
signed item-by-factor key gives every factor's sum, and one more gives the
counts, so a million respondents are scored without copying their answers.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from .constants import DEFAULT_MIN_GROUP_SIZE, MIN_ALLOWED_GROUP_SIZE
from .errors import InputDataError
from .instrument import Instrument
from .io.responses import ID_COLUMN, TEAM_COLUMN, TIME_COLUMN, Responses

logger = logging.getLogger(__name__)


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
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE
    confidence: float = 0.95

    def __post_init__(self) -> None:
        for name in ("min_answered_share", "min_items_share"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                raise InputDataError("scoring.invalid_share", name=name, value=value)
        if isinstance(self.min_group_size, bool) or not isinstance(self.min_group_size, (int, np.integer)):
            raise InputDataError(
                "scoring.group_size_not_integer", value=repr(self.min_group_size), kind=type(self.min_group_size).__name__
            )
        if self.min_group_size < MIN_ALLOWED_GROUP_SIZE:
            raise InputDataError("scoring.invalid_group_size", value=self.min_group_size, minimum=MIN_ALLOWED_GROUP_SIZE)
        if not 0 < self.confidence < 1:
            raise InputDataError("scoring.invalid_confidence", value=self.confidence)


@dataclass
class CleanResponses:
    """Responses after duplicates are dropped and too-sparse respondents excluded.

    Attributes
    ----------
    source : Responses
        Every row as read.
    included : numpy.ndarray of bool
        Rows of ``source`` that are scored.
    duplicates_dropped, excluded_too_few_answers : int
        Counts for the summary.
    dropped_ids, excluded_ids : list of str
        Respondent ids behind those counts.
    """

    source: Responses
    included: np.ndarray
    duplicates_dropped: int
    excluded_too_few_answers: int
    dropped_ids: list[str] = field(default_factory=list)
    excluded_ids: list[str] = field(default_factory=list)
    _tallies: dict = field(default_factory=dict, repr=False)

    @property
    def rows_read(self) -> int:
        return self.source.rows_read

    @property
    def instrument(self) -> Instrument:
        return self.source.instrument

    @functools.cached_property
    def responses(self) -> Responses:
        """The included rows as :class:`Responses`, in file order (built on first use)."""
        if self.included.all():
            return self.source
        source = self.source
        return Responses(
            data=source.data.loc[self.included].reset_index(drop=True),
            instrument=source.instrument,
            ratings=source.ratings,
            source=source.source,
            rows_read=source.rows_read,
            background_columns=source.background_columns,
            read_details=source.read_details,
        )

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
    instrument = responses.instrument

    keep = _latest_submission(data)
    dropped_ids = data.loc[~keep, ID_COLUMN].astype(str).tolist()

    tallies = {rating: _tally(instrument, answer_matrix(data, instrument.item_columns(rating))) for rating in responses.ratings}
    answered = sum(tally.answered.sum(axis=0, dtype=np.float64) for tally in tallies.values())
    n_ratings = len(responses.answer_columns)
    enough = answered >= settings.min_answered_share * n_ratings - 1e-9
    excluded = keep & ~enough
    excluded_ids = data.loc[excluded, ID_COLUMN].astype(str).tolist()

    included = keep & enough
    logger.info(
        "Kept %d of %d rows: %d duplicates dropped, %d excluded for too few answers",
        int(included.sum()), len(data), len(dropped_ids), len(excluded_ids),
    )
    return CleanResponses(
        source=responses,
        included=included,
        duplicates_dropped=len(dropped_ids),
        excluded_too_few_answers=len(excluded_ids),
        dropped_ids=dropped_ids,
        excluded_ids=excluded_ids,
        _tallies=tallies,
    )


def _latest_submission(data: pd.DataFrame) -> np.ndarray:
    """Return a mask keeping one row per respondent id: its latest submission."""
    ids = data[ID_COLUMN]
    duplicated = ids.duplicated(keep=False).to_numpy()
    keep = np.ones(len(data), dtype=bool)
    if not duplicated.any():
        return keep

    rows = np.flatnonzero(duplicated)
    has_time = TIME_COLUMN in data
    subset = pd.DataFrame({
        "id": ids.to_numpy()[rows],
        "has_time": data[TIME_COLUMN].notna().to_numpy()[rows] if has_time else False,
        "time": data[TIME_COLUMN].to_numpy()[rows] if has_time else pd.NaT,
        "row": rows,
    })
    # Sort so the winner is last per id: timestamped after untimestamped, then by
    # time, then by file position.
    ordered = subset.sort_values(["id", "has_time", "time", "row"], na_position="first", kind="stable")
    winners = ordered.drop_duplicates("id", keep="last")["row"].to_numpy()
    keep[rows] = False
    keep[winners] = True
    return keep


def answer_matrix(data: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Return ``data[columns]`` as a 2-D float array, a view when the layout allows.

    A canonical table stores all answer columns in one block with the ratings
    interleaved (``UV01_nu, UV01_onske, ...``), so one rating's columns are an
    evenly spaced slice and need no copy. The array must not be written to.
    """
    positions = data.columns.get_indexer(columns)
    steps = np.diff(positions)
    if len(positions) > 1 and (positions >= 0).all() and steps[0] > 0 and (steps == steps[0]).all():
        selected = data.iloc[:, slice(positions[0], positions[-1] + 1, int(steps[0]))]
    else:
        selected = data.loc[:, columns]
    return selected.to_numpy(dtype=np.float64, copy=False)


@dataclass(frozen=True)
class _Tally:
    """Per factor and respondent (factors x respondents, float32, exact for these
    small integers): answered items, answered reverse-worded items, and the
    signed sum of answers."""

    answered: np.ndarray
    reverse_answered: np.ndarray
    signed_sum: np.ndarray


#: Respondents processed per block in :func:`_tally`; small enough that a
#: block's intermediate arrays are reused from the heap instead of being
#: freshly mapped, which costs more than the arithmetic on a large table.
TALLY_BLOCK = 16384


def _tally(instrument: Instrument, values: np.ndarray) -> _Tally:
    """Count and sum one rating's answers per factor, with reversal folded in.

    ``values`` is respondents x items. A reversed answer is ``c - x`` with
    ``c = min + max``, so a factor's sum is ``sum(x, normal items) - sum(x,
    reversed items) + c * (reversed items answered)``: one matrix product with a
    signed key gives the first two terms without reversing any answer. The work
    runs on the transpose (items x respondents), which is contiguous for a
    column-stored table, in blocks of respondents so that the answers are read
    once and only the small per-factor results are stored.
    """
    key = scoring_matrix(instrument)
    reverse = np.array([item.reverse for item in instrument.items], dtype=np.float64)
    n_factors = key.shape[1]
    # Rows: answered per factor, reversed answered per factor, signed sum per factor.
    combined_key = np.vstack([key.T, (key * reverse[:, None]).T]).astype(np.float32)
    signed_key = (key * (1.0 - 2.0 * reverse)[:, None]).T.astype(np.float32)

    by_item = values.T
    n = by_item.shape[1]
    result = np.empty((3 * n_factors, n), dtype=np.float32)
    # The products are small; threaded BLAS spends more on waking threads than on
    # the arithmetic (5-10 times slower on 2 cores, benchmarks/bench_scoring.py).
    with threadpool_limits(limits=1, user_api="blas"):
        for start in range(0, n, TALLY_BLOCK):
            block = by_item[:, start:start + TALLY_BLOCK]
            missing = np.isnan(block)
            observed = block.astype(np.float32)
            np.copyto(observed, 0.0, where=missing)
            answered = np.logical_not(missing, out=missing).astype(np.float32)
            result[: 2 * n_factors, start:start + TALLY_BLOCK] = combined_key @ answered
            result[2 * n_factors:, start:start + TALLY_BLOCK] = signed_key @ observed
    return _Tally(
        answered=result[:n_factors],
        reverse_answered=result[n_factors: 2 * n_factors],
        signed_sum=result[2 * n_factors:],
    )


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
    if rating not in responses.source.ratings:
        raise InputDataError("io.unknown_rating", rating=rating, allowed=", ".join(responses.source.ratings))
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
        One row per included respondent, in file order: ``respondent_id``,
        ``team``, then ``<scale>_<measure>`` (float64) for every factor and
        dimension and every measure: each rating, and ``gap`` (the second rating
        minus the first, ønske minus nu for LQP) when there are two ratings.
    """
    settings = settings or ScoringSettings()
    instrument = clean.instrument
    ratings = clean.source.ratings
    included = clean.included
    key = scoring_matrix(instrument)
    needed = settings.min_items_share * key.sum(axis=0) - 1e-9
    reverse_constant = instrument.scale.min + instrument.scale.max
    rows = slice(None) if included.all() else included
    n_included = int(included.sum())

    # Scores are written row by row into one scales x respondents array, which
    # the frame below wraps without a copy.
    scales = instrument.scale_codes
    measures = measures_of(ratings)
    position = {(scale, measure): j * len(measures) + k for j, scale in enumerate(scales) for k, measure in enumerate(measures)}
    stacked = np.empty((len(position), n_included))
    for rating in ratings:
        tally = clean._tallies.get(rating)
        if tally is None:
            tally = _tally(instrument, answer_matrix(clean.source.data, instrument.item_columns(rating)))
        for j, factor in enumerate(instrument.factor_codes):
            counts = tally.answered[j, rows].astype(np.float64)
            sums = tally.signed_sum[j, rows] + reverse_constant * tally.reverse_answered[j, rows].astype(np.float64)
            out = stacked[position[(factor, rating)]]
            out.fill(np.nan)
            np.divide(sums, counts, out=out, where=counts >= needed[j])
        for dimension in instrument.dimensions:
            # A plain sum propagates NaN, which is the rule: any missing factor -> missing.
            out = stacked[position[(dimension.code, rating)]]
            out.fill(0.0)
            for factor in dimension.factors:
                out += stacked[position[(factor, rating)]]
            out /= len(dimension.factors)
    if len(ratings) == 2:
        first, last = ratings
        for scale in scales:
            np.subtract(stacked[position[(scale, last)]], stacked[position[(scale, first)]], out=stacked[position[(scale, GAP)]])

    names = [f"{scale}_{measure}" for scale in scales for measure in measures]
    frame = pd.DataFrame(stacked.T, columns=names, copy=False)

    source = clean.source.data
    frame.insert(0, TEAM_COLUMN, pd.array(source[TEAM_COLUMN].to_numpy()[included], dtype="string"))
    frame.insert(0, ID_COLUMN, pd.array(source[ID_COLUMN].to_numpy()[included], dtype="string"))
    return frame


def measures_of(ratings: tuple[str, ...]) -> tuple[str, ...]:
    """Return the measures scored for these ratings: each rating, then ``gap`` for two."""
    return tuple(ratings) + ((GAP,) if len(ratings) == 2 else ())


__all__ = [
    "CleanResponses",
    "answer_matrix",
    "GAP",
    "MIN_ALLOWED_GROUP_SIZE",
    "ScoringSettings",
    "clean_responses",
    "item_scores",
    "measures_of",
    "respondent_scores",
    "scoring_matrix",
]
