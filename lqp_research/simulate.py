"""Synthetic organisations drawn from a second-order factor model.

:func:`simulate_organisation` returns a survey export in the canonical wide layout
(one row per respondent, one column per item and rating) with the flaws real
exports have: missing answers, "Ved ikke", break-offs, straight-lining and,
on request, double submissions. :func:`simulate_item_data` returns clean,
reverse-scored item data of one rating for psychometric benchmarks, and
:func:`generating_parameters` returns the population values both are drawn
from, so a method's estimates can be compared with the truth.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import LqpError
from .instrument import Instrument, load_instrument

logger = logging.getLogger(__name__)

ID_COLUMN = "respondent_id"
TEAM_COLUMN = "team"
TIME_COLUMN = "submitted_at"
ROLE_COLUMN = "rolle"
TENURE_COLUMN = "anciennitet"

#: Teams of fewer respondents than this are reported as suppressed by default.
ANONYMITY_THRESHOLD = 5

LEADER = "Leder"
EMPLOYEE = "Medarbejder"

#: Tenure bands of the background question and the share of respondents in each.
TENURE_BANDS = ("Under 1 år", "1-2 år", "3-5 år", "6-10 år", "Over 10 år")
TENURE_SHARES = (0.10, 0.17, 0.25, 0.20, 0.28)

#: Team names of a Danish municipality. With more teams than names the list is
#: reused with a number appended ("Hjemmeplejen Nord 2").
TEAM_NAMES = (
    "Hjemmeplejen Nord",
    "Børn & Unge",
    "Løn, Personale og HR",
    "Borgerservice",
    "Jobcenter Øst",
    "Vej & Park",
    "Ældreområdet",
    "Kultur, Fritid & Idræt",
    "Sundhed og Forebyggelse",
    "Dagtilbud Solsikken",
    "Økonomi og Analyse",
    "Plan & Byg",
    "Familieafdelingen",
    "Sygeplejen Syd",
    "Tandplejen",
    "Pædagogisk Psykologisk Rådgivning",
    "Teknik & Miljø",
    "Skoleafdelingen",
    "Socialpsykiatrien",
    "IT og Digitalisering",
    "Rengøringsteamet",
    "Ungdomsskolen",
    "Klima og Natur",
    "Beskæftigelse, Integration & Sprog",
)


@dataclass(frozen=True)
class _CellCodes:
    """Dtype of the internal answer matrix and its codes for blank and "Ved ikke"."""

    dtype: type
    blank: float
    dont_know: float


# Category codes run from 0 to K - 1, so the int8 sentinels lie below any of them.
_INT_CODES = _CellCodes(np.int8, -128, -127)
_FLOAT_CODES = _CellCodes(np.float64, np.nan, np.nan)

_SECONDS_PER_DAY = 86_400


class SimulationError(LqpError, ValueError):
    """A simulation argument is out of range. The message names it and the fix."""


@dataclass(frozen=True)
class SimulationModel:
    """Population values of the generating model.

    Locations and standard deviations are on a 1-5 response scale; an instrument
    with another scale gets them mapped linearly onto its range.

    Attributes
    ----------
    dimension_correlation : float, default 0.6
        Correlation between every pair of dimensions.
    factor_loadings : tuple of float, default (0.75, 0.9)
        Range of the standardised loadings of factors on their dimension.
    item_loadings : tuple of float, default (0.6, 0.8)
        Range of the standardised loadings of items on their factor.
    team_icc : float, default 0.10
        Share of each factor's variance that lies between teams (ICC(1) of the
        latent factor score; the ICC of an observed item is about
        ``loading**2 * team_icc``).
    leader_shift : float, default 0.3
        How much higher leaders rate the "now" of every factor, in standard
        deviations of the factor score.
    now_locations : tuple of float, default (2.9, 3.9)
        Range of the item locations (latent means) of the first rating.
    now_sd : float, default 1.0
        Standard deviation of the latent response of the first rating.
    desired_locations : tuple of float, default (4.3, 4.75)
        Range of the item locations of every further rating. After
        categorisation the item means fall between about 4.25 and 4.6.
    desired_sd : float, default 0.7
        Standard deviation of the latent response of every further rating.
    now_desired_correlation : float, default 0.4
        Correlation between a respondent's "now" and "desired" factor scores.
    structure_seed : int, default 20_240
        Seed of the draw of loadings and locations, kept apart from the
        respondents' ``random_state`` so that every sample of a model comes
        from the same population.
    """

    dimension_correlation: float = 0.6
    factor_loadings: tuple[float, float] = (0.75, 0.9)
    item_loadings: tuple[float, float] = (0.6, 0.8)
    team_icc: float = 0.10
    leader_shift: float = 0.3
    now_locations: tuple[float, float] = (2.9, 3.9)
    now_sd: float = 1.0
    desired_locations: tuple[float, float] = (4.3, 4.75)
    desired_sd: float = 0.7
    now_desired_correlation: float = 0.4
    structure_seed: int = 20_240


@dataclass(frozen=True)
class GeneratingParameters:
    """The population a :class:`SimulationModel` describes for one instrument.

    Attributes
    ----------
    items : pandas.DataFrame
        One row per item: ``item``, ``factor``, ``dimension``, ``reverse``,
        ``loading`` (standardised loading on the factor), then one column
        ``location_<rating>`` and one ``sd_<rating>`` per rating, on the
        instrument's response scale and in the reverse-scored direction.
    factors : pandas.DataFrame
        One row per factor: ``factor``, ``dimension``, ``loading``
        (standardised loading on the dimension).
    factor_correlations : pandas.DataFrame
        Model-implied correlations of the latent factor scores of one rating,
        before the leaders' shift, factors as index and columns.
    """

    items: pd.DataFrame
    factors: pd.DataFrame
    factor_correlations: pd.DataFrame


def generating_parameters(
    instrument: Instrument | None = None, model: SimulationModel | None = None
) -> GeneratingParameters:
    """Draw the population loadings and item locations of a model.

    The values depend only on ``model`` (through ``model.structure_seed``) and on
    the instrument's codes, never on a simulation's ``random_state``.

    Parameters
    ----------
    instrument : Instrument, optional
        Default: the LQP instrument.
    model : SimulationModel, optional
        Default: ``SimulationModel()``.

    Returns
    -------
    GeneratingParameters
    """
    instrument = instrument or load_instrument()
    model = model or SimulationModel()
    _check_model(model)

    structure = _Structure.draw(instrument, model)
    items = pd.DataFrame(
        {
            "item": list(instrument.item_ids),
            "factor": [item.factor for item in instrument.items],
            "dimension": [structure.dimension_of_factor[f] for f in structure.item_factor],
            "reverse": structure.reverse,
            "loading": structure.item_loadings,
        }
    )
    for rating_index, rating in enumerate(instrument.rating_codes):
        items[f"location_{rating}"] = structure.locations[rating_index]
        items[f"sd_{rating}"] = structure.sds[rating_index]
    factors = pd.DataFrame(
        {
            "factor": list(instrument.factor_codes),
            "dimension": [structure.dimension_of_factor[i] for i in range(len(instrument.factors))],
            "loading": structure.factor_loadings,
        }
    )
    correlations = pd.DataFrame(
        structure.factor_correlations(),
        index=list(instrument.factor_codes),
        columns=list(instrument.factor_codes),
    )
    return GeneratingParameters(items=items, factors=factors, factor_correlations=correlations)


def simulate_organisation(
    n_respondents: int,
    n_teams: int,
    instrument: Instrument | None = None,
    random_state: int | np.random.Generator | None = None,
    *,
    small_teams: int = 0,
    labels: bool = False,
    lang: str = "da",
    as_numeric: bool = False,
    missing_share: float = 0.01,
    dont_know_share: float = 0.005,
    breakoff_share: float = 0.02,
    careless_share: float = 0.015,
    duplicate_share: float = 0.0,
    survey_start: str = "2025-03-03",
    survey_days: int = 21,
    model: SimulationModel | None = None,
) -> pd.DataFrame:
    """Simulate one organisation's survey export in the canonical wide layout.

    Parameters
    ----------
    n_respondents : int
        Respondents before double submissions are added.
    n_teams : int
        Teams the respondents are spread over, with uneven sizes.
    instrument : Instrument, optional
        Default: the LQP instrument.
    random_state : int, numpy.random.Generator or None, optional
        Seed or generator of every random draw; the same seed gives the same
        table. A generator passed in is advanced.
    small_teams : int, default 0
        Number of teams with 2 to 4 respondents, below the anonymity threshold
        of 5. Every other team has at least 5 respondents.
    labels : bool, default False
        Store answers as the scale's label text in ``lang`` ("Enig") and
        "Ved ikke" as the missing label, as a survey tool's label export does.
        When False, answers are integers and "Ved ikke" is blank.
    lang : {"da", "en"}, default "da"
        Language of the labels when ``labels`` is True.
    as_numeric : bool, default False
        Return the answers as float64 with NaN for missing and "Ved ikke", the
        dtype :func:`lqp_research.io.read_responses` produces. This is the fast
        path for large benchmarks and cannot be combined with ``labels``.
    missing_share : float, default 0.01
        Share of answer cells left blank at random.
    dont_know_share : float, default 0.005
        Share of answer cells answered "Ved ikke".
    breakoff_share : float, default 0.02
        Share of respondents who stop part-way; their answers after a random
        point in the questionnaire are blank.
    careless_share : float, default 0.015
        Share of respondents who straight-line: one value (3, 4 or 5) ticked for
        every item and rating, reverse-worded items included.
    duplicate_share : float, default 0.0
        Share of respondents who submitted twice. The second row repeats the
        ``respondent_id`` and the answers with a ``submitted_at`` 2 to 30
        minutes later.
    survey_start : str, default "2025-03-03"
        First day of the survey period (ISO date).
    survey_days : int, default 21
        Length of the survey period in days.
    model : SimulationModel, optional
        Population values; default ``SimulationModel()``.

    Returns
    -------
    pandas.DataFrame
        Rows in order of submission. Columns: ``respondent_id`` ("R00001", more
        digits above 99,999 respondents), ``team``, ``submitted_at`` (ISO 8601
        text, seconds, no time zone), ``rolle`` ("Leder" or "Medarbejder"),
        ``anciennitet`` (tenure band), then ``<item>_<rating>`` for every item
        and rating in instrument order (``instrument.item_columns()``). Answers
        are raw: a reverse-worded item holds the value as ticked, so a high
        true score gives a low answer. The dtype is nullable ``Int8`` by
        default, text with ``labels`` and float64 with ``as_numeric``.

    Raises
    ------
    SimulationError
        If a count or share is out of range or the teams cannot be filled.

    Notes
    -----
    The generating model, for respondent :math:`i` in team :math:`t` and
    factor :math:`f` in dimension :math:`d(f)`:

    1. Dimension scores :math:`\\eta_i \\sim N(0, \\Phi)` with all
       off-diagonal entries of :math:`\\Phi` equal to ``dimension_correlation``.
    2. Factor scores of one rating
       :math:`w_{if} = \\gamma_f \\eta_{i,d(f)} + \\sqrt{1-\\gamma_f^2}\\,\\zeta_{if}`
       with :math:`\\zeta_{if} \\sim N(0, 1)`, :math:`\\gamma_f` the factor's
       loading on its dimension.
    3. "Now" factor scores
       :math:`\\xi_{if} = \\sqrt{\\rho}\\,u_{tf} + \\sqrt{1-\\rho}\\,w_{if} + \\delta\\,\\mathrm{leader}_i`,
       where the team effects :math:`u_{t\\cdot}` follow the same second-order
       model as :math:`w`, :math:`\\rho` is ``team_icc`` and :math:`\\delta`
       ``leader_shift``. "Desired" factor scores are
       :math:`\\kappa\\,\\xi_{if} + \\sqrt{1-\\kappa^2}\\,w'_{if}` with a fresh
       draw :math:`w'` and :math:`\\kappa` = ``now_desired_correlation``.
    4. Item responses :math:`y_{ij} = \\lambda_j \\xi_{i,f(j)} + \\sqrt{1-\\lambda_j^2}\\,\\varepsilon_{ij}`
       become :math:`x_{ij} = \\mu_j + \\sigma y_{ij}` with the rating's
       location :math:`\\mu_j` and sd :math:`\\sigma`, and are categorised by
       the thresholds 1.5, 2.5, 3.5 and 4.5 (rounding, clipped to 1-5). The
       "desired" locations lie near the top of the scale, so its answers pile
       up at 4 and 5 (a ceiling).
    5. Reverse-worded items are stored as ticked, ``min + max - x``.
    6. Flaws follow in this order: straight-lining, break-offs, scattered
       blanks, "Ved ikke", double submissions.

    Team sizes: small teams get 2 to 4 respondents; every other team gets 5
    plus a multinomial share of the rest with Dirichlet(2) weights, which makes
    sizes uneven. Each team's first respondent by a random order is its leader,
    and teams of 30 or more get a second. Submission times are uniform over
    the survey period.

    The tables are synthetic, so no R function reproduces them. Steps 1 and 2
    are the higher-order factor model of Marsh & Hocevar (1985), and
    categorising normal latent responses by thresholds is the data model
    behind ``lavaan``'s estimators for ordered indicators.

    Answers are drawn in threads, one block of items per factor and rating,
    each block with its own child generator, so the result does not depend on
    the number of cores. With ``as_numeric=True`` the returned frame takes
    8 bytes per cell (1.5 GB for 1,000,000 respondents and 180 columns).

    References
    ----------
    Marsh, H. W., & Hocevar, D. (1985). Application of confirmatory factor
    analysis to the study of self-concept: First- and higher order factor
    models and their invariance across groups. *Psychological Bulletin,
    97*(3), 562-582. https://doi.org/10.1037/0033-2909.97.3.562

    Examples
    --------
    >>> from lqp_research.simulate import simulate_organisation
    >>> table = simulate_organisation(300, 10, random_state=1, small_teams=2)
    >>> table.shape
    (300, 185)
    """
    instrument = instrument or load_instrument()
    model = model or SimulationModel()
    _check_count("n_respondents", n_respondents, minimum=1)
    _check_count("n_teams", n_teams, minimum=1)
    _check_count("small_teams", small_teams, minimum=0)
    _check_count("survey_days", survey_days, minimum=1)
    for name, share in (
        ("missing_share", missing_share),
        ("dont_know_share", dont_know_share),
        ("breakoff_share", breakoff_share),
        ("careless_share", careless_share),
        ("duplicate_share", duplicate_share),
    ):
        _check_share(name, share)
    if labels and as_numeric:
        raise SimulationError("simulate.labels_and_numeric")
    if lang not in instrument.scale.labels:
        raise SimulationError(
            "simulate.unknown_language", value=lang, expected=", ".join(instrument.scale.labels)
        )
    _check_model(model)
    start = _parse_start(survey_start)
    rng = np.random.default_rng(random_state)

    structure = _Structure.draw(instrument, model)
    team_sizes = _team_sizes(rng, n_respondents, n_teams, small_teams)
    team_of_respondent = rng.permutation(np.repeat(np.arange(n_teams), team_sizes))
    is_leader = _leaders(rng, team_of_respondent, team_sizes)

    factor_scores = _factor_scores(rng, structure, model, team_of_respondent, n_teams, is_leader)
    rating_positions = list(range(len(instrument.ratings)))
    cell_codes = _FLOAT_CODES if as_numeric else _INT_CODES
    # The matrix is answer columns by respondents, so every column is contiguous.
    answers = _draw_answers(rng, structure, factor_scores, rating_positions, cell_codes.dtype)
    reverse_columns = np.repeat(structure.reverse, len(rating_positions))
    answers[reverse_columns] = structure.n_categories - 1 - answers[reverse_columns]

    _straight_line(rng, answers, careless_share, structure.n_categories)
    _break_off(rng, answers, breakoff_share, cell_codes.blank)
    _scatter(rng, answers, missing_share, cell_codes.blank)
    _scatter(rng, answers, dont_know_share, cell_codes.dont_know)

    seconds = np.sort(rng.integers(0, survey_days * _SECONDS_PER_DAY, size=n_respondents))
    order, seconds, respondent_numbers = _add_duplicates(rng, seconds, duplicate_share)
    background = _background(rng, n_respondents, team_of_respondent, is_leader, n_teams)
    if len(order) != n_respondents:
        answers = answers[:, order]
        background = {name: values[order] for name, values in background.items()}
    table = _assemble(
        answers,
        background,
        respondent_numbers,
        start + seconds.astype("timedelta64[s]"),
        n_respondents,
        instrument,
        labels=labels,
        lang=lang,
    )
    logger.info(
        "Simulated %d respondents (%d rows) in %d teams, %d below %d respondents.",
        n_respondents,
        len(table),
        n_teams,
        int((team_sizes < ANONYMITY_THRESHOLD).sum()),
        ANONYMITY_THRESHOLD,
    )
    return table


def simulate_item_data(
    n_respondents: int,
    instrument: Instrument | None = None,
    rating: str | None = None,
    random_state: int | np.random.Generator | None = None,
    *,
    model: SimulationModel | None = None,
) -> pd.DataFrame:
    """Simulate clean, reverse-scored item data of one rating.

    Respondents are drawn from the same second-order model as in
    :func:`simulate_organisation`, but without teams, leaders or flaws, so the
    data suit psychometric benchmarks (reliability, EFA, CFA) whose population
    values :func:`generating_parameters` returns.

    Parameters
    ----------
    n_respondents : int
    instrument : Instrument, optional
        Default: the LQP instrument.
    rating : str, optional
        Rating code; default the instrument's first rating ("nu").
    random_state : int, numpy.random.Generator or None, optional
        Seed or generator of every random draw.
    model : SimulationModel, optional
        Population values; ``team_icc`` and ``leader_shift`` are ignored.

    Returns
    -------
    pandas.DataFrame
        One row per respondent, one float64 column per item id in instrument
        order, values on the response scale with reverse-worded items already
        reversed (every item keyed positively), no missing values.

    Notes
    -----
    Uses steps 1, 2 and 4 of the model in :func:`simulate_organisation`. For a
    "desired" rating the mixing with a "now" draw from step 3 is kept, so its
    factor-score correlations match those of the organisation tables.
    """
    instrument = instrument or load_instrument()
    model = model or SimulationModel()
    _check_count("n_respondents", n_respondents, minimum=1)
    rating = rating or instrument.rating_codes[0]
    if rating not in instrument.rating_codes:
        raise SimulationError(
            "simulate.unknown_rating", value=rating, expected=", ".join(instrument.rating_codes)
        )
    _check_model(model)
    rng = np.random.default_rng(random_state)

    structure = _Structure.draw(instrument, model)
    single_level = dataclasses.replace(model, team_icc=0.0, leader_shift=0.0)
    no_team = np.zeros(n_respondents, dtype=np.int64)
    no_leader = np.zeros(n_respondents, dtype=bool)
    rating_index = instrument.rating_codes.index(rating)
    factor_scores = _factor_scores(rng, structure, single_level, no_team, 1, no_leader, rating_index + 1)
    values = _draw_answers(rng, structure, factor_scores, [rating_index], np.float64)
    values += structure.scale_min
    return pd.DataFrame(values.T, columns=list(instrument.item_ids), copy=False)


# The population structure ------------------------------------------------------


@dataclass(frozen=True)
class _Structure:
    """Loadings and locations as arrays, in instrument order."""

    dimension_of_factor: tuple[str, ...]
    dimension_index: np.ndarray  # per factor, position in the dimension list
    n_dimensions: int
    dimension_correlation: float
    factor_loadings: np.ndarray
    item_factor: np.ndarray  # per item, position of its factor
    item_loadings: np.ndarray
    reverse: np.ndarray
    locations: np.ndarray  # (ratings, items), on the instrument's scale
    sds: np.ndarray  # (ratings,)
    scale_min: int
    scale_max: int

    @property
    def n_categories(self) -> int:
        return self.scale_max - self.scale_min + 1

    @classmethod
    def draw(cls, instrument: Instrument, model: SimulationModel) -> "_Structure":
        rng = np.random.default_rng(model.structure_seed)
        factor_codes = list(instrument.factor_codes)

        # Without dimensions each factor is its own dimension with loading 1,
        # so the factors correlate at dimension_correlation.
        if instrument.dimensions:
            dimension_codes = list(instrument.dimension_codes)
            dimension_of_factor = tuple(f.dimension for f in instrument.factors)
            factor_loadings = rng.uniform(*model.factor_loadings, size=len(factor_codes))
        else:
            dimension_codes = factor_codes
            dimension_of_factor = tuple(factor_codes)
            factor_loadings = np.ones(len(factor_codes))
        dimension_index = np.array([dimension_codes.index(d) for d in dimension_of_factor])

        item_factor = np.array([factor_codes.index(item.factor) for item in instrument.items])
        item_loadings = rng.uniform(*model.item_loadings, size=len(instrument.items))
        reverse = np.array([item.reverse for item in instrument.items], dtype=bool)

        # Model values are on a 1-5 scale, so stretch them onto the instrument's scale.
        scale = instrument.scale
        stretch = (scale.max - scale.min) / 4
        locations = []
        sds = []
        for rating_index in range(len(instrument.ratings)):
            low, high = model.now_locations if rating_index == 0 else model.desired_locations
            sd = model.now_sd if rating_index == 0 else model.desired_sd
            raw = rng.uniform(low, high, size=len(instrument.items))
            locations.append(scale.min + (raw - 1) * stretch)
            sds.append(sd * stretch)

        return cls(
            dimension_of_factor=dimension_of_factor,
            dimension_index=dimension_index,
            n_dimensions=len(dimension_codes),
            dimension_correlation=model.dimension_correlation,
            factor_loadings=factor_loadings,
            item_factor=item_factor,
            item_loadings=item_loadings,
            reverse=reverse,
            locations=np.array(locations),
            sds=np.array(sds),
            scale_min=scale.min,
            scale_max=scale.max,
        )

    def dimension_cholesky(self) -> np.ndarray:
        size = self.n_dimensions
        correlations = np.full((size, size), self.dimension_correlation)
        np.fill_diagonal(correlations, 1.0)
        return np.linalg.cholesky(correlations)

    def factor_correlations(self) -> np.ndarray:
        """Model-implied correlations of the second-order factor scores."""
        gamma = self.factor_loadings
        same = self.dimension_index[:, None] == self.dimension_index[None, :]
        between = np.where(same, 1.0, self.dimension_correlation)
        correlations = np.outer(gamma, gamma) * between
        np.fill_diagonal(correlations, 1.0)
        return correlations


def _second_order_scores(rng: np.random.Generator, structure: _Structure, n: int) -> np.ndarray:
    """Draw unit-variance factor scores (factors, n) from the second-order model."""
    dimensions = structure.dimension_cholesky() @ rng.standard_normal((structure.n_dimensions, n))
    gamma = structure.factor_loadings
    scores = rng.standard_normal((len(gamma), n))
    scores *= np.sqrt(1 - gamma**2)[:, None]
    for factor_position, dimension_position in enumerate(structure.dimension_index):
        scores[factor_position] += gamma[factor_position] * dimensions[dimension_position]
    return scores


def _factor_scores(
    rng: np.random.Generator,
    structure: _Structure,
    model: SimulationModel,
    team_of_respondent: np.ndarray,
    n_teams: int,
    is_leader: np.ndarray,
    n_ratings: int | None = None,
) -> list[np.ndarray]:
    """Return one (factors, respondents) score matrix per rating."""
    n_ratings = n_ratings or len(structure.sds)
    n = len(team_of_respondent)

    team_effects = _second_order_scores(rng, structure, n_teams)
    now = _second_order_scores(rng, structure, n)
    now *= np.sqrt(1 - model.team_icc)
    for factor_position in range(now.shape[0]):
        now[factor_position] += np.sqrt(model.team_icc) * team_effects[factor_position, team_of_respondent]
    now[:, is_leader] += model.leader_shift

    scores = [now]
    kappa = model.now_desired_correlation
    for _ in range(1, n_ratings):
        desired = _second_order_scores(rng, structure, n)
        desired *= np.sqrt(1 - kappa**2)
        desired += kappa * now
        scores.append(desired)
    return scores


def _draw_answers(
    rng: np.random.Generator,
    structure: _Structure,
    factor_scores: list[np.ndarray],
    rating_positions: list[int],
    dtype: type,
) -> np.ndarray:
    """Draw category codes (0 = lowest answer) in the reverse-scored direction.

    Returns a matrix of answer columns by respondents, the columns item by item
    (``UV01_nu, UV01_onske, UV02_nu`` ...) as ``item_columns()`` orders them.
    Each block of one factor and one rating gets its own child generator, so the
    blocks can run in parallel threads and the result does not depend on how many.
    """
    n = factor_scores[0].shape[1]
    n_ratings = len(rating_positions)
    answers = np.empty((len(structure.item_factor) * n_ratings, n), dtype=dtype)
    blocks = [
        (output_position, rating_index, factor_position)
        for output_position, rating_index in enumerate(rating_positions)
        for factor_position in range(len(structure.factor_loadings))
    ]
    block_rngs = rng.spawn(len(blocks))

    def draw_block(block: tuple[int, int, int], block_rng: np.random.Generator) -> None:
        output_position, rating_index, factor_position = block
        items = np.flatnonzero(structure.item_factor == factor_position)
        loadings = structure.item_loadings[items, None]
        sd = structure.sds[rating_index]
        location = structure.locations[rating_index, items, None]

        # x = location + sd * (loading * score + sqrt(1 - loading^2) * noise),
        # shifted so that the floor of x - min + 0.5 is the category code.
        latent = block_rng.standard_normal((len(items), n), dtype=np.float32)
        latent *= (sd * np.sqrt(1 - loadings**2)).astype(np.float32)
        score = factor_scores[rating_index][factor_position].astype(np.float32)
        latent += score * (sd * loadings).astype(np.float32)
        latent += (location - structure.scale_min + 0.5).astype(np.float32)
        np.clip(latent, 0, structure.n_categories - 0.5, out=latent)
        np.floor(latent, out=latent)
        answers[items * n_ratings + output_position] = latent

    workers = min(len(blocks), os.cpu_count() or 1)
    if workers > 1 and n * len(structure.item_factor) >= 100_000:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(draw_block, blocks, block_rngs))
    else:
        for block, block_rng in zip(blocks, block_rngs):
            draw_block(block, block_rng)
    return answers


# Respondents and teams -----------------------------------------------------------


def _team_sizes(rng: np.random.Generator, n_respondents: int, n_teams: int, small_teams: int) -> np.ndarray:
    if small_teams >= n_teams:
        raise SimulationError("simulate.small_teams_too_many", small_teams=small_teams, n_teams=n_teams)
    n_large = n_teams - small_teams
    largest_small = ANONYMITY_THRESHOLD - 1
    needed = ANONYMITY_THRESHOLD * n_large + largest_small * small_teams
    if n_respondents < needed:
        raise SimulationError(
            "simulate.too_few_respondents",
            n_respondents=n_respondents,
            n_teams=n_teams,
            small_teams=small_teams,
            needed=needed,
        )

    small = rng.integers(2, largest_small + 1, size=small_teams)
    rest = n_respondents - int(small.sum()) - ANONYMITY_THRESHOLD * n_large
    weights = rng.dirichlet(np.full(n_large, 2.0))
    large = ANONYMITY_THRESHOLD + rng.multinomial(rest, weights)
    return rng.permutation(np.concatenate([large, small]))


def _leaders(rng: np.random.Generator, team_of_respondent: np.ndarray, team_sizes: np.ndarray) -> np.ndarray:
    """Mark the first member of each team, by a random order, as its leader."""
    order = rng.permutation(len(team_of_respondent))
    order = order[np.argsort(team_of_respondent[order], kind="stable")]
    starts = np.concatenate([[0], np.cumsum(team_sizes)[:-1]])
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - np.repeat(starts, team_sizes)
    leaders_per_team = np.where(team_sizes >= 30, 2, 1)
    return rank < leaders_per_team[team_of_respondent]


def _background(
    rng: np.random.Generator,
    n_respondents: int,
    team_of_respondent: np.ndarray,
    is_leader: np.ndarray,
    n_teams: int,
) -> dict[str, np.ndarray]:
    """Return the team, role and tenure of every respondent as object arrays."""
    names = np.array(_team_names(n_teams), dtype=object)
    roles = np.array([EMPLOYEE, LEADER], dtype=object)
    tenure = rng.choice(len(TENURE_BANDS), size=n_respondents, p=TENURE_SHARES)
    return {
        TEAM_COLUMN: names[team_of_respondent],
        ROLE_COLUMN: roles[is_leader.astype(np.intp)],
        TENURE_COLUMN: np.array(TENURE_BANDS, dtype=object)[tenure],
    }


def _team_names(n_teams: int) -> list[str]:
    names = []
    for position in range(n_teams):
        base = TEAM_NAMES[position % len(TEAM_NAMES)]
        round_number = position // len(TEAM_NAMES)
        names.append(base if round_number == 0 else f"{base} {round_number + 1}")
    return names


# Flaws ---------------------------------------------------------------------------


def _straight_line(rng: np.random.Generator, answers: np.ndarray, share: float, n_categories: int) -> None:
    """Give about ``share`` of the respondents one of the three highest answers everywhere."""
    n = answers.shape[1]
    careless = np.flatnonzero(rng.random(n) < share)
    top_three = np.arange(max(0, n_categories - 3), n_categories)
    values = rng.choice(top_three, size=len(careless))
    answers[:, careless] = values


def _break_off(rng: np.random.Generator, answers: np.ndarray, share: float, blank: float) -> None:
    """Blank every answer after a random column for about ``share`` of the respondents."""
    n_columns, n = answers.shape
    quitters = np.flatnonzero(rng.random(n) < share)
    stops = rng.integers(1, n_columns, size=len(quitters))
    respondents = answers[:, quitters]
    respondents[np.arange(n_columns)[:, None] >= stops] = blank
    answers[:, quitters] = respondents


def _scatter(rng: np.random.Generator, answers: np.ndarray, share: float, code: float) -> None:
    """Set about ``share`` of the cells to ``code``; positions may repeat, so slightly fewer."""
    flat = answers.reshape(-1)
    n_cells = rng.binomial(flat.size, share)
    flat[rng.integers(0, flat.size, size=n_cells)] = code


def _add_duplicates(
    rng: np.random.Generator, seconds: np.ndarray, share: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return row order, submission seconds and respondent numbers with repeats added."""
    n = len(seconds)
    original = np.arange(n)
    repeated = np.flatnonzero(rng.random(n) < share)
    later = seconds[repeated] + rng.integers(120, 1800, size=len(repeated))
    rows = np.concatenate([original, repeated])
    all_seconds = np.concatenate([seconds, later])
    order = np.argsort(all_seconds, kind="stable")
    return rows[order], all_seconds[order], rows[order] + 1


# Output --------------------------------------------------------------------------


def _assemble(
    answers: np.ndarray,
    background: dict[str, np.ndarray],
    respondent_numbers: np.ndarray,
    times: np.ndarray,
    n_respondents: int,
    instrument: Instrument,
    *,
    labels: bool,
    lang: str,
) -> pd.DataFrame:
    """Build the table from the (columns, respondents) matrix of category codes."""
    columns = instrument.item_columns()
    scale = instrument.scale
    if answers.dtype == np.float64:
        answers += scale.min
        table = pd.DataFrame(answers.T, columns=columns, copy=False)
    elif labels:
        # As uint8 the category codes stay 0..K-1 and the blank and "Ved ikke"
        # codes become 128 and 129, so one lookup table maps every cell.
        lookup = np.full(256, None, dtype=object)
        lookup[: len(scale.values)] = scale.labels[lang]
        lookup[np.int8(_INT_CODES.dont_know).view(np.uint8)] = _dont_know_label(instrument, lang)
        text = lookup[answers.view(np.uint8)]
        table = pd.DataFrame({column: text[position] for position, column in enumerate(columns)})
    else:
        blank = answers < 0
        values = answers + np.int8(scale.min)
        table = pd.DataFrame(
            {
                column: pd.arrays.IntegerArray(values[position], blank[position])
                for position, column in enumerate(columns)
            }
        )

    width = max(5, len(str(n_respondents)))
    identifiers = "R" + pd.Series(respondent_numbers).astype(str).str.zfill(width)
    table.insert(0, ID_COLUMN, identifiers.to_numpy())
    table.insert(1, TEAM_COLUMN, pd.array(background[TEAM_COLUMN], dtype="str"))
    table.insert(2, TIME_COLUMN, pd.array(np.datetime_as_string(times, unit="s").astype(object), dtype="str"))
    table.insert(3, ROLE_COLUMN, pd.array(background[ROLE_COLUMN], dtype="str"))
    table.insert(4, TENURE_COLUMN, pd.array(background[TENURE_COLUMN], dtype="str"))
    return table


def _dont_know_label(instrument: Instrument, lang: str) -> str:
    missing_labels = instrument.scale.missing_labels
    for label_list in (missing_labels.get(lang), *missing_labels.values()):
        if label_list:
            return label_list[0]
    raise SimulationError("simulate.no_missing_label", instrument=instrument.short_name)


# Argument checks -----------------------------------------------------------------


def _check_count(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise SimulationError("simulate.invalid_count", name=name, value=value, minimum=minimum)


def _check_share(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise SimulationError("simulate.invalid_share", name=name, value=value)


def _check_model(model: SimulationModel) -> None:
    checks = [
        ("dimension_correlation", model.dimension_correlation, 0 <= model.dimension_correlation < 1),
        ("team_icc", model.team_icc, 0 <= model.team_icc < 1),
        ("now_desired_correlation", model.now_desired_correlation, -1 < model.now_desired_correlation < 1),
        ("now_sd", model.now_sd, model.now_sd > 0),
        ("desired_sd", model.desired_sd, model.desired_sd > 0),
    ]
    for name, bounds in (("factor_loadings", model.factor_loadings), ("item_loadings", model.item_loadings)):
        low, high = bounds
        checks.append((name, bounds, 0 < low <= high < 1))
    for name, value, valid in checks:
        if not valid:
            raise SimulationError("simulate.invalid_model", name=name, value=value)


def _parse_start(survey_start: str) -> np.datetime64:
    try:
        return np.datetime64(survey_start, "s")
    except ValueError:
        raise SimulationError("simulate.invalid_start", value=survey_start) from None


__all__ = [
    "GeneratingParameters",
    "SimulationError",
    "SimulationModel",
    "generating_parameters",
    "simulate_item_data",
    "simulate_organisation",
]
