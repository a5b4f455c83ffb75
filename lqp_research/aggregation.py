"""Group scores: n, mean, sd and confidence interval per group, scale and measure.

The organisation level includes every included respondent, with or without a
team. A team with fewer included respondents than the anonymity threshold is
suppressed: its rows keep ``n`` but mean, sd and interval are blank.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .instrument import Instrument
from .io.responses import TEAM_COLUMN
from .scoring import ScoringSettings, measures_of

ORGANISATION = "organisation"
TEAM = "team"
ALL_GROUP = "ALL"

#: Columns of a GroupScores table, in order.
GROUP_COLUMNS = ("level", "group", "scale", "measure", "n", "mean", "sd", "ci_low", "ci_high", "suppressed")


def group_scores(
    respondents: pd.DataFrame,
    instrument: Instrument,
    ratings: tuple[str, ...] | None = None,
    settings: ScoringSettings | None = None,
) -> pd.DataFrame:
    """Summarise respondent scores for the organisation and for each team.

    Parameters
    ----------
    respondents : pandas.DataFrame
        Output of :func:`lqp_research.scoring.respondent_scores`.
    instrument : Instrument
    ratings : tuple of str, optional
        Ratings scored; the instrument's by default.
    settings : ScoringSettings, optional
        ``min_group_size`` and ``confidence`` are used.

    Returns
    -------
    pandas.DataFrame
        The GroupScores long table with columns ``level, group, scale, measure,
        n, mean, sd, ci_low, ci_high, suppressed``: the organisation first (group
        ``ALL``), then teams in plain string order; scales in instrument order
        (factors, then dimensions); measures as scored. ``sd`` has ddof 1; the
        interval is ``mean ± t(1 - α/2, n - 1) · sd / √n``, not clipped to the
        scale. With n = 1, sd and the interval are NaN; with n = 0, all are NaN.

    Notes
    -----
    The suppression rule counts a team's included respondents, not its n on a
    scale, so a team at the threshold whose n is lower on one scale is shown.
    """
    settings = settings or ScoringSettings()
    ratings = ratings or instrument.rating_codes
    measures = measures_of(ratings)
    scales = instrument.scale_codes
    score_columns = [f"{scale}_{measure}" for scale in scales for measure in measures]

    codes, team_names = _team_codes(respondents[TEAM_COLUMN])
    team_sizes = np.bincount(codes[codes >= 0], minlength=len(team_names))

    by_column = respondents[score_columns].to_numpy(dtype=np.float64).T
    organisation = _summarise(by_column, np.zeros(by_column.shape[1], dtype=np.int64), 1, settings.confidence)
    by_team = _summarise(by_column, codes, len(team_names), settings.confidence)

    frames = [_long_table(organisation, ORGANISATION, [ALL_GROUP], scales, measures, np.array([False]))]
    if team_names:
        suppressed = team_sizes < settings.min_group_size
        frames.append(_long_table(by_team, TEAM, team_names, scales, measures, suppressed))
    return pd.concat(frames, ignore_index=True)


def _team_codes(teams: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Return a code per respondent (-1 without a team) and team names in string order."""
    codes, uniques = pd.factorize(teams, use_na_sentinel=True)
    names = [str(name) for name in uniques]
    if not names:
        return np.full(len(teams), -1, dtype=np.int64), []
    order = np.argsort(np.asarray(names, dtype=object), kind="stable")
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names))
    codes = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)
    return codes, [names[i] for i in order]


def _summarise(by_column: np.ndarray, codes: np.ndarray, n_groups: int, confidence: float) -> dict[str, np.ndarray]:
    """Return n, mean, sd, ci_low, ci_high as (groups x columns) arrays.

    ``by_column`` is columns x respondents; respondents with code -1 (no team)
    count in no group. Respondents are sorted by group once, and each column's
    group sums are a ``reduceat`` over the sorted values. Columns are taken one
    at a time so the temporaries stay small. The sd takes a second pass over
    deviations from the group mean, which stays accurate whatever the location.
    """
    order = np.argsort(codes, kind="stable")
    order = order[codes[order] >= 0]
    in_file_order = len(order) == by_column.shape[1] and bool((np.diff(order) > 0).all())
    sizes = np.bincount(codes[order], minlength=n_groups)
    present = np.flatnonzero(sizes)
    starts = np.concatenate([[0], np.cumsum(sizes[present])[:-1]]).astype(np.intp)
    group_of_row = np.repeat(np.arange(len(present)), sizes[present])

    n_columns = by_column.shape[0]
    n = np.zeros((n_groups, n_columns))
    mean = np.full((n_groups, n_columns), np.nan)
    sd = np.full((n_groups, n_columns), np.nan)
    if len(order):
        for j in range(n_columns):
            values = by_column[j] if in_file_order else by_column[j].take(order)
            missing = np.isnan(values)
            observed = np.where(missing, 0.0, values)
            count = np.add.reduceat(~missing, starts, dtype=np.float64)
            with np.errstate(invalid="ignore", divide="ignore"):
                group_mean = np.add.reduceat(observed, starts) / count
                deviations = observed - np.nan_to_num(group_mean)[group_of_row]
                deviations[missing] = 0.0
                squares = np.add.reduceat(deviations * deviations, starts)
                n[present, j] = count
                mean[present, j] = np.where(count > 0, group_mean, np.nan)
                sd[present, j] = np.where(count > 1, np.sqrt(squares / (count - 1)), np.nan)

    with np.errstate(invalid="ignore", divide="ignore"):
        t_quantile = stats.t.ppf(0.5 + confidence / 2, np.where(n > 1, n - 1, np.nan))
        half_width = t_quantile * sd / np.sqrt(n)
    return {"n": n, "mean": mean, "sd": sd, "ci_low": mean - half_width, "ci_high": mean + half_width}


def _long_table(summary, level, groups, scales, measures, suppressed) -> pd.DataFrame:
    n_groups = len(groups)
    n_columns = len(scales) * len(measures)
    frame = pd.DataFrame({
        "level": level,
        "group": np.repeat(np.asarray(groups, dtype=object), n_columns),
        "scale": np.tile(np.repeat(np.asarray(scales, dtype=object), len(measures)), n_groups),
        "measure": np.tile(np.asarray(measures, dtype=object), len(scales) * n_groups),
        "n": summary["n"].reshape(-1).astype(np.int64),
        "mean": summary["mean"].reshape(-1),
        "sd": summary["sd"].reshape(-1),
        "ci_low": summary["ci_low"].reshape(-1),
        "ci_high": summary["ci_high"].reshape(-1),
        "suppressed": np.repeat(suppressed, n_columns),
    })
    hidden = frame["suppressed"].to_numpy()
    frame.loc[hidden, ["mean", "sd", "ci_low", "ci_high"]] = np.nan
    return frame


def residual_group_size(respondents: pd.DataFrame, suppressed_teams: list[str]) -> int:
    """Return how many included respondents belong to no shown team.

    These are the members of suppressed teams plus respondents without a team.
    When there are between 1 and ``min_group_size - 1`` of them, the organisation
    figures combined with the shown teams' n and means reveal their mean by
    subtraction, so reports must not show both.
    """
    teams = respondents[TEAM_COLUMN]
    hidden = teams.isna() | teams.astype(object).isin(suppressed_teams)
    return int(hidden.sum())


__all__ = ["ALL_GROUP", "GROUP_COLUMNS", "ORGANISATION", "TEAM", "group_scores", "residual_group_size"]
