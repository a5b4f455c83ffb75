"""Disclosure control for group scores: no reader may recover a group below the threshold.

Primary suppression (done by :mod:`lqp_research.aggregation`) blanks every team with
fewer respondents than ``min_group_size``. That is not enough on its own: the
organisation's mean is a weighted mean of its teams, so with one suppressed team a
reader can compute ``n_org * mean_org - sum(n_team * mean_team)`` over the visible
teams and recover the suppressed team's mean. This module adds secondary
suppression so that the respondents hidden from view always form a pool of at
least ``min_group_size`` people, and decides whether a team report may show its
organisation as a reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ReportError

ORGANISATION = "organisation"
TEAM = "team"
ALL = "ALL"
_VALUE_COLUMNS = ("mean", "sd", "ci_low", "ci_high")


@dataclass(frozen=True)
class Disclosure:
    """The outcome of disclosure control on one organisation's group scores.

    Attributes
    ----------
    groups : DataFrame
        The group scores with every hidden team's ``mean``, ``sd``, ``ci_low`` and
        ``ci_high`` blank (NaN) and ``suppressed`` true. ``n`` is kept.
    primary : tuple of str
        Teams below ``min_group_size``, in name order.
    secondary : tuple of str
        Visible-sized teams hidden as well so that the hidden pool reaches
        ``min_group_size``, smallest first.
    hidden_pool : int
        Largest number of respondents, over scales and ratings, that the
        organisation figures contain but no visible team shows.
    """

    groups: pd.DataFrame
    primary: tuple[str, ...]
    secondary: tuple[str, ...]
    hidden_pool: int

    @property
    def suppressed(self) -> tuple[str, ...]:
        """Every hidden team, primary first."""
        return self.primary + self.secondary


def item_counts(item_scores: dict[str, pd.DataFrame], teams: pd.Series) -> pd.DataFrame:
    """Count answers per item for the organisation and each team.

    Parameters
    ----------
    item_scores : dict of str to DataFrame
        ``{"nu": ..., "onske": ...}``, indexed by respondent id, one column per item.
    teams : Series
        Team of each respondent id (missing for respondents without a team).

    Returns
    -------
    DataFrame
        Long table ``level, group, scale, measure, n`` with the item id as
        ``scale`` and ``nu``, ``onske`` or ``gap`` (both answered) as ``measure``,
        in the layout the pool checks of :func:`apply_disclosure_control` read.
    """
    now, desired = item_scores["nu"], item_scores["onske"]
    answered = {"nu": now.notna(), "onske": desired.notna()}
    answered["gap"] = answered["nu"] & answered["onske"].reindex_like(answered["nu"]).fillna(False)
    team_of = teams.reindex(now.index)
    frames = []
    for measure, flags in answered.items():
        organisation = flags.sum().rename("n").reset_index().rename(columns={"index": "scale"})
        organisation = organisation.assign(level=ORGANISATION, group=ALL, measure=measure)
        by_team = flags.groupby(team_of.to_numpy(), dropna=True).sum()
        by_team = by_team.stack().rename("n").reset_index().rename(columns={"level_0": "group", "level_1": "scale"})
        by_team = by_team.assign(level=TEAM, measure=measure)
        frames += [organisation, by_team]
    counts = pd.concat(frames, ignore_index=True)
    counts["n"] = counts["n"].astype(int)
    return counts[["level", "group", "scale", "measure", "n"]]


def apply_disclosure_control(
    groups: pd.DataFrame, min_group_size: int, item_counts: pd.DataFrame | None = None
) -> Disclosure:
    """Hide further teams until no subtraction can reveal a group below the threshold.

    Parameters
    ----------
    groups : DataFrame
        Group scores in the long layout ``level, group, scale, measure, n, mean,
        sd, ci_low, ci_high, suppressed`` with one ``organisation``/``ALL`` row
        and one row per team for every scale and measure.
    min_group_size : int
        The anonymity threshold: the smallest group whose scores may be shown.
    item_counts : DataFrame, optional
        Answers per item from :func:`item_counts`. Item means can be subtracted
        like scale means, and a hidden respondent who skipped an item makes its
        pool smaller than the scale's, so the pools are checked per item too.

    Returns
    -------
    Disclosure

    Raises
    ------
    ReportError
        If the organisation itself has fewer than ``min_group_size`` respondents
        on some scale, so that nothing may be shown.

    Notes
    -----
    For each scale and measure the hidden pool is ``n_org`` minus the ``n`` of
    every visible team; it counts suppressed teams and respondents without a
    team. When some pool lies strictly between 0 and ``min_group_size``, the
    smallest visible team (ties broken by name) is hidden too, and the check is
    repeated. A pool of zero reveals nothing and a pool of ``min_group_size``
    or more reveals only the mean of a group that could be shown anyway. This
    is the complementary-suppression rule of statistical disclosure control
    (Hundepool et al., 2012, ch. 4), applied at team level, and the same set of
    teams is hidden on every scale so that tables agree with each other.

    References
    ----------
    Hundepool, A., Domingo-Ferrer, J., Franconi, L., Giessing, S., Nordholt,
    E. S., Spicer, K., & de Wolf, P.-P. (2012). *Statistical Disclosure
    Control*. Wiley. https://doi.org/10.1002/9781118348239
    """
    organisation = groups[groups["level"] == ORGANISATION]
    teams = groups[groups["level"] == TEAM]
    too_small = organisation[organisation["n"] < min_group_size]
    if not too_small.empty:
        raise ReportError(
            "report.organisation_too_small",
            n=int(too_small["n"].min()),
            threshold=min_group_size,
        )

    team_sizes = teams.groupby("group")["n"].max().sort_index()
    primary = tuple(teams.loc[teams["suppressed"].astype(bool), "group"].drop_duplicates().sort_values())
    counted_organisation, counted_teams = _with_items(organisation, teams, item_counts)
    hidden = set(primary)
    secondary: list[str] = []
    while True:
        pool = _hidden_pool(counted_organisation, counted_teams, hidden)
        if not ((pool > 0) & (pool < min_group_size)).any():
            break
        candidates = team_sizes.drop(index=list(hidden))
        if candidates.empty:
            break
        smallest = min(candidates.items(), key=lambda item: (item[1], item[0]))[0]
        hidden.add(smallest)
        secondary.append(smallest)

    result = groups.copy()
    mask = (result["level"] == TEAM) & result["group"].isin(hidden)
    result.loc[mask, list(_VALUE_COLUMNS)] = np.nan
    result.loc[mask, "suppressed"] = True
    result["suppressed"] = result["suppressed"].astype(bool)
    final_pool = _hidden_pool(counted_organisation, counted_teams, hidden)
    return Disclosure(
        groups=result,
        primary=primary,
        secondary=tuple(secondary),
        hidden_pool=int(final_pool.max()) if len(final_pool) else 0,
    )


def _with_items(organisation: pd.DataFrame, teams: pd.DataFrame, item_counts: pd.DataFrame | None):
    """Append item counts to the scale counts that the pool checks read."""
    if item_counts is None:
        return organisation, teams
    columns = ["level", "group", "scale", "measure", "n"]
    items_org = item_counts[item_counts["level"] == ORGANISATION][columns]
    items_team = item_counts[item_counts["level"] == TEAM][columns]
    return (
        pd.concat([organisation[columns], items_org], ignore_index=True),
        pd.concat([teams[columns], items_team], ignore_index=True),
    )


def _hidden_pool(organisation: pd.DataFrame, teams: pd.DataFrame, hidden: set[str]) -> pd.Series:
    visible = teams[~teams["group"].isin(hidden)]
    shown = visible.groupby(["scale", "measure"])["n"].sum()
    total = organisation.set_index(["scale", "measure"])["n"]
    return (total - shown.reindex(total.index, fill_value=0)).astype(int)


def check_team(groups: pd.DataFrame, team: str, min_group_size: int, secondary: tuple[str, ...] = ()) -> None:
    """Raise ``ReportError`` unless ``team`` exists and may get its own report.

    A team below the threshold may not. Neither may a team in ``secondary``
    (hidden in the organisation report to protect a smaller team), because its
    own report beside the organisation report would undo that protection.
    """
    rows = groups[(groups["level"] == TEAM) & (groups["group"] == team)]
    if rows.empty:
        known = sorted(groups.loc[groups["level"] == TEAM, "group"].unique(), key=str.casefold)
        raise ReportError("report.unknown_team", team=team, teams=", ".join(known))
    if team in secondary:
        raise ReportError("report.team_hidden_secondary", team=team, threshold=min_group_size)
    if rows["suppressed"].any() or rows["n"].max() < min_group_size:
        raise ReportError("report.team_too_small", team=team, n=int(rows["n"].max()), threshold=min_group_size)


def reference_allowed(
    groups: pd.DataFrame, team: str, min_group_size: int, item_counts: pd.DataFrame | None = None
) -> bool:
    """Return whether a team report may show its organisation beside the team.

    The organisation minus the team is the rest of the organisation; showing
    both lets a reader compute the rest's mean, so the organisation is shown
    only when the rest is empty or has at least ``min_group_size`` respondents
    on every scale and measure, and on every item when ``item_counts`` is given.
    """
    counted_organisation, counted_teams = _with_items(
        groups[groups["level"] == ORGANISATION], groups[groups["level"] == TEAM], item_counts
    )
    organisation = counted_organisation.set_index(["scale", "measure"])["n"]
    own = counted_teams[counted_teams["group"] == team].set_index(["scale", "measure"])["n"]
    rest = organisation - own.reindex(organisation.index, fill_value=0)
    return not ((rest > 0) & (rest < min_group_size)).any()


__all__ = ["Disclosure", "apply_disclosure_control", "check_team", "item_counts", "reference_allowed"]
