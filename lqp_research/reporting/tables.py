"""Tidy tables for the client report, built from group scores and item scores.

Every function returns a new DataFrame with numbers unrounded; rounding and
labels in the reader's language happen when the tables are rendered.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..instrument import Instrument
from .privacy import ALL, ORGANISATION, TEAM

MEASURES = ("nu", "onske", "gap")
_STATISTICS = ("mean", "ci_low", "ci_high")


def select_group(groups: pd.DataFrame, level: str, group: str) -> pd.DataFrame:
    """Return the rows of one group (``organisation``/``ALL`` or ``team``/name)."""
    return groups[(groups["level"] == level) & (groups["group"] == group)].copy()


def scale_table(groups: pd.DataFrame, instrument: Instrument, level: str = ORGANISATION, group: str = ALL) -> pd.DataFrame:
    """Tabulate one group's scores per dimension and factor, in instrument order.

    Parameters
    ----------
    groups : DataFrame
        Group scores in the long layout (``level, group, scale, measure, n,
        mean, sd, ci_low, ci_high, suppressed``).
    instrument : Instrument
    level, group : str
        The group to tabulate; the organisation by default.

    Returns
    -------
    DataFrame
        One row per scale: each dimension followed by its factors (factors only
        when the instrument has no dimensions). Columns ``scale``, ``kind``
        (``dimension`` or ``factor``), ``dimension``, ``n`` (respondents with a
        gap score), ``suppressed``, and for each measure in ``nu``, ``onske``,
        ``gap`` the columns ``<measure>_mean``, ``<measure>_ci_low``,
        ``<measure>_ci_high``.
    """
    rows = select_group(groups, level, group)
    wide = rows.pivot(index="scale", columns="measure", values=list(_STATISTICS))
    n = rows[rows["measure"] == "gap"].set_index("scale")["n"]
    suppressed = rows.groupby("scale")["suppressed"].any()

    records = []
    for scale, kind, dimension in _scale_order(instrument):
        record = {"scale": scale, "kind": kind, "dimension": dimension}
        for measure in MEASURES:
            for statistic in _STATISTICS:
                value = wide[(statistic, measure)].get(scale, np.nan) if (statistic, measure) in wide else np.nan
                record[f"{measure}_{statistic}"] = float(value)
        record["n"] = int(n.get(scale, 0))
        record["suppressed"] = bool(suppressed.get(scale, False))
        records.append(record)
    return pd.DataFrame.from_records(records)


def _scale_order(instrument: Instrument) -> list[tuple[str, str, str | None]]:
    if not instrument.dimensions:
        return [(code, "factor", None) for code in instrument.factor_codes]
    order = []
    for dimension in instrument.dimensions:
        order.append((dimension.code, "dimension", dimension.code))
        order.extend((code, "factor", dimension.code) for code in dimension.factors)
    return order


def team_overview(groups: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """List the teams with their size and whether their scores are hidden.

    Returns
    -------
    DataFrame
        Columns ``team``, ``n`` (largest scale ``n`` of the team) and
        ``suppressed``, sorted by team name.
    """
    teams = groups[groups["level"] == TEAM]
    overview = teams.groupby("group").agg(n=("n", "max"), suppressed=("suppressed", "any")).reset_index()
    overview = overview.rename(columns={"group": "team"})
    overview["n"] = overview["n"].astype(int)
    overview["suppressed"] = overview["suppressed"].astype(bool)
    return overview.sort_values("team", key=lambda s: s.str.casefold()).reset_index(drop=True)


def team_matrix(groups: pd.DataFrame, instrument: Instrument, measure: str) -> pd.DataFrame:
    """Arrange team means as teams x factors for one measure.

    Suppressed teams are present with every cell NaN, so a chart can mark them
    as hidden without ever having their values.

    Returns
    -------
    DataFrame
        Index team names (sorted), columns factor codes in instrument order.
    """
    teams = groups[(groups["level"] == TEAM) & (groups["measure"] == measure)]
    teams = teams[teams["scale"].isin(instrument.factor_codes)]
    matrix = teams.pivot(index="group", columns="scale", values="mean")
    matrix = matrix.reindex(columns=list(instrument.factor_codes))
    hidden = teams.groupby("group")["suppressed"].any()
    matrix.loc[hidden[hidden].index] = np.nan
    order = sorted(matrix.index, key=str.casefold)
    matrix = matrix.loc[order]
    matrix.index.name = "team"
    matrix.columns.name = None
    return matrix


def difference_matrix(groups: pd.DataFrame, instrument: Instrument, measure: str) -> pd.DataFrame:
    """Return each team's mean minus the organisation's mean, teams x factors."""
    matrix = team_matrix(groups, instrument, measure)
    organisation = select_group(groups, ORGANISATION, ALL)
    organisation = organisation[organisation["measure"] == measure].set_index("scale")["mean"]
    return matrix - organisation.reindex(matrix.columns).to_numpy()


def item_means(item_scores: dict[str, pd.DataFrame], respondent_ids: pd.Index | None = None) -> pd.DataFrame:
    """Average item scores over respondents, per rating, plus the mean gap.

    Parameters
    ----------
    item_scores : dict of str to DataFrame
        ``{"nu": ..., "onske": ...}``, each indexed by respondent id with one
        column per item id, reverse-worded items already reversed.
    respondent_ids : Index, optional
        Respondents to average over (e.g. one team's); all rows when omitted.

    Returns
    -------
    DataFrame
        Index item id; columns ``nu``, ``onske``, ``gap`` (the mean of each
        respondent's ``onske - nu``, over respondents with both answers) and
        ``n`` (respondents with a ``nu`` answer).
    """
    now, desired = item_scores["nu"], item_scores["onske"]
    if respondent_ids is not None:
        now = now.loc[now.index.intersection(respondent_ids)]
        desired = desired.loc[desired.index.intersection(respondent_ids)]
    desired = desired.reindex(index=now.index, columns=now.columns)
    return pd.DataFrame(
        {
            "nu": now.mean(),
            "onske": desired.mean(),
            "gap": (desired - now).mean(),
            "n": now.notna().sum().astype(int),
        }
    )


def item_extremes(means: pd.DataFrame, instrument: Instrument, lang: str, count: int = 5) -> dict[str, pd.DataFrame]:
    """Pick the highest and lowest items on ``nu`` and the largest gaps.

    Ties keep instrument order, so the choice is deterministic.

    Returns
    -------
    dict of str to DataFrame
        Keys ``highest_nu``, ``lowest_nu``, ``largest_gap``; each table has the
        columns ``item``, ``factor``, ``text`` (wording in ``lang``), ``nu``,
        ``onske``, ``gap``, ``n`` and ``reverse``.
    """
    table = means.reindex(list(instrument.item_ids)).dropna(subset=["nu"])
    table = table.assign(order=np.arange(len(table)))
    choices = {
        "highest_nu": table.sort_values(["nu", "order"], ascending=[False, True]),
        "lowest_nu": table.sort_values(["nu", "order"], ascending=[True, True]),
        "largest_gap": table.sort_values(["gap", "order"], ascending=[False, True]),
    }
    result = {}
    for name, ordered in choices.items():
        top = ordered.head(count)
        result[name] = pd.DataFrame(
            {
                "item": top.index,
                "factor": [instrument.item(i).factor for i in top.index],
                "text": [instrument.item_text(i, lang) for i in top.index],
                "nu": top["nu"].to_numpy(),
                "onske": top["onske"].to_numpy(),
                "gap": top["gap"].to_numpy(),
                "n": top["n"].to_numpy(),
                "reverse": [instrument.item(i).reverse for i in top.index],
            }
        )
    return result


__all__ = [
    "MEASURES",
    "difference_matrix",
    "item_extremes",
    "item_means",
    "scale_table",
    "select_group",
    "team_matrix",
    "team_overview",
]
