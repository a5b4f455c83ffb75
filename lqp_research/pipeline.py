"""One call from a survey export to respondent and group scores."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .aggregation import group_scores
from .instrument import Instrument
from .io.mapping import ColumnMapping
from .io.responses import Responses, read_responses
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
) -> ScoreResult:
    """Read (if given a path), clean and score a survey export.

    Parameters
    ----------
    data : str, Path or Responses
        An export file (CSV, XLSX, SAV) or responses already read.
    instrument, mapping
        Passed to :func:`lqp_research.io.read_responses` when ``data`` is a path.
    settings : ScoringSettings, optional

    Returns
    -------
    ScoreResult

    Examples
    --------
    >>> result = score("data/demo/demo_kommune.csv")              # doctest: +SKIP
    >>> result.groups.query("level == 'organisation' and measure == 'gap'")  # doctest: +SKIP
    """
    settings = settings or ScoringSettings()
    responses = data if isinstance(data, Responses) else read_responses(data, instrument, mapping)
    clean = clean_responses(responses, settings)
    respondents = respondent_scores(clean, settings)
    groups = group_scores(respondents, responses.instrument, responses.ratings, settings)
    return ScoreResult(responses=responses, clean=clean, respondents=respondents, groups=groups, settings=settings)


__all__ = ["ScoreResult", "score"]
