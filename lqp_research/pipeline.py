"""One call from a survey export to respondent and group scores."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .aggregation import group_scores
from .errors import InputDataError
from .instrument import Instrument, load_instrument
from .io.mapping import ColumnMapping
from .io.responses import Responses, read_responses, responses_from_frame
from .scoring import CleanResponses, ScoringSettings, clean_responses, respondent_scores


@dataclass
class ScoreResult:
    """Everything scoring produces for one export.

    Attributes
    ----------
    responses : Responses
        As read, before cleaning.
    clean : CleanResponses
        Included respondents and the counts of dropped and excluded rows.
    respondents : pandas.DataFrame
        Respondent scores (see :func:`lqp_research.scoring.respondent_scores`).
    groups : pandas.DataFrame
        GroupScores long table (see :func:`lqp_research.aggregation.group_scores`).
    settings : ScoringSettings
    """

    responses: Responses
    clean: CleanResponses
    respondents: pd.DataFrame
    groups: pd.DataFrame
    settings: ScoringSettings

    @property
    def instrument(self) -> Instrument:
        return self.responses.instrument

    @property
    def suppressed_teams(self) -> list[str]:
        teams = self.groups[(self.groups["level"] == "team") & self.groups["suppressed"]]
        return sorted(teams["group"].unique().tolist())

    @property
    def summary(self) -> dict:
        """Counts of the scoring run, as written to ``summary.json``."""
        teams = self.groups.loc[self.groups["level"] == "team", "group"].unique()
        return {
            "rows_read": self.responses.rows_read,
            "duplicates_dropped": self.clean.duplicates_dropped,
            "excluded_too_few_answers": self.clean.excluded_too_few_answers,
            "respondents_included": len(self.respondents),
            "teams": int(len(teams)),
            "teams_suppressed": len(self.suppressed_teams),
            "suppressed_teams": self.suppressed_teams,
        }


def score(
    data: str | Path | Responses,
    instrument: Instrument | str | Path | None = None,
    mapping: ColumnMapping | str | Path | None = None,
    settings: ScoringSettings | None = None,
    *,
    sheet: str | int | None = None,
) -> ScoreResult:
    """Read (if given a path), clean and score a survey export.

    Parameters
    ----------
    data : str, Path, Responses or pandas.DataFrame
        An export file (CSV, XLSX, SAV), responses already read, or a table in
        the canonical layout with numeric answers (NaN for missing).
    instrument, mapping
        Passed to :func:`lqp_research.io.read_responses` when ``data`` is a path.
    settings : ScoringSettings, optional
    sheet : str or int, optional
        Worksheet of an XLSX file; the first by default.

    Raises
    ------
    InputDataError
        For unreadable or invalid input, and when no respondent is left to score.

    Returns
    -------
    ScoreResult

    Examples
    --------
    >>> result = score("data/demo/demo_kommune.csv")              # doctest: +SKIP
    >>> result.groups.query("level == 'organisation' and measure == 'gap'")  # doctest: +SKIP
    """
    settings = settings or ScoringSettings()
    if isinstance(data, Responses):
        responses = data
    elif isinstance(data, pd.DataFrame):
        responses = responses_from_frame(data, instrument if isinstance(instrument, Instrument) else load_instrument(instrument))
    else:
        responses = read_responses(data, instrument, mapping, sheet=sheet)
    clean = clean_responses(responses, settings)
    if not clean.included.any():
        raise InputDataError(
            "scoring.no_respondents", file=str(responses.source or "<DataFrame>"), rows=responses.rows_read,
            duplicates=clean.duplicates_dropped, excluded=clean.excluded_too_few_answers,
        )
    respondents = respondent_scores(clean, settings)
    groups = group_scores(respondents, responses.instrument, responses.ratings, settings)
    return ScoreResult(responses=responses, clean=clean, respondents=respondents, groups=groups, settings=settings)


__all__ = ["ScoreResult", "score"]
