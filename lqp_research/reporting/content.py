"""Everything one client report shows, computed once and rendered many ways.

:func:`build_report` reads and scores an export, applies disclosure control
and assembles a :class:`ReportContent`: tables, chart SVGs, focus areas and
the facts of the front page and method appendix. The notebook displays its
sections, and :mod:`lqp_research.reporting.render` writes HTML, PDF, XLSX and
CSV from the same object, so every output shows the same numbers.
"""

from __future__ import annotations

import datetime as dt
import logging
import platform
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ReportError
from ..i18n import check_language
from ..instrument import Instrument
from ..io.responses import TIME_COLUMN
from ..pipeline import ScoreResult, score
from ..scoring import ScoringSettings, item_scores
from . import charts, tables
from .focus_areas import Recommendation, recommendation, select_focus_areas
from .privacy import (
    ALL,
    ORGANISATION,
    TEAM,
    Disclosure,
    apply_disclosure_control,
    check_team,
    item_counts,
    reference_allowed,
)

logger = logging.getLogger(__name__)

_VERSIONED_PACKAGES = ("lqp-research", "numpy", "pandas", "scipy", "matplotlib", "weasyprint", "papermill", "openpyxl")


@dataclass(frozen=True)
class FocusArea:
    """One recommended focus area: the factor, its scores and the bank text."""

    rank: int
    scale: str
    name: str
    gap: float
    nu: float
    onske: float
    text: Recommendation


@dataclass(frozen=True)
class ReportContent:
    """The computed content of one organisation or team report.

    Attributes
    ----------
    lang : {"da", "en"}
    organisation : str
    team : str or None
        The team of a team report; ``None`` for the organisation report.
    instrument : Instrument
    facts : dict
        Front-page and appendix facts (period, counts, file, versions, times).
    groups : DataFrame
        Group scores after disclosure control, limited to what this report may
        show (a team report holds its team and, when allowed, the organisation).
    table : DataFrame
        Scale table of the group the report is about.
    reference : DataFrame or None
        Scale table of the organisation in a team report, when allowed.
    team_overview : DataFrame
        Teams with n and whether hidden (organisation report only).
    team_matrices : dict of str to DataFrame
        ``nu``, ``gap`` and ``difference`` teams x factors (organisation report only).
    items : DataFrame
        Item means of the report's group (``nu``, ``onske``, ``gap``, ``n``),
        with the organisation's beside them in a team report when allowed.
    item_extremes : dict of str to DataFrame
    focus_areas : tuple of FocusArea
    figures : dict of str to str
        Chart SVGs by name.
    disclosure : Disclosure
    """

    lang: str
    organisation: str
    team: str | None
    instrument: Instrument
    facts: dict
    groups: pd.DataFrame
    table: pd.DataFrame
    reference: pd.DataFrame | None
    team_overview: pd.DataFrame
    team_matrices: dict[str, pd.DataFrame]
    items: pd.DataFrame
    item_extremes: dict[str, pd.DataFrame]
    focus_areas: tuple[FocusArea, ...]
    figures: dict[str, str] = field(repr=False)
    disclosure: Disclosure = field(repr=False)

    @property
    def is_team_report(self) -> bool:
        return self.team is not None


def build_report(
    data: str | Path | ScoreResult,
    organisation: str,
    *,
    instrument: Instrument | str | Path | None = None,
    mapping: str | Path | None = None,
    lang: str = "da",
    min_group_size: int = 5,
    team: str | None = None,
) -> ReportContent:
    """Read, score and assemble the content of one client report.

    Parameters
    ----------
    data : str, Path or ScoreResult
        A survey export (CSV, XLSX, SAV) or an already computed score result.
    organisation : str
        The client's name, shown on the front page.
    instrument, mapping : optional
        Passed to :func:`lqp_research.io.read_responses`.
    lang : {"da", "en"}, default "da"
    min_group_size : int, default 5
        Anonymity threshold: no group smaller than this is shown.
    team : str, optional
        Render this team's own report, with the organisation as reference.

    Returns
    -------
    ReportContent

    Raises
    ------
    LqpError
        From the reader for an invalid export.
    ReportError
        For an unknown team, a team below the threshold or an organisation
        below the threshold.
    """
    lang = check_language(lang)
    started = time.perf_counter()
    started_at = dt.datetime.now().astimezone()

    if isinstance(data, ScoreResult):
        result = data
    else:
        settings = ScoringSettings(min_group_size=min_group_size)
        result = score(data, instrument=instrument, mapping=mapping, settings=settings)
    instrument = result.instrument
    threshold = result.settings.min_group_size
    item_frames = {rating: item_scores(result.clean, rating) for rating in ("nu", "onske")}
    teams_of = result.respondents.set_index(result.respondents["respondent_id"].astype(str))["team"]
    answers_per_item = item_counts(item_frames, teams_of)
    disclosure = apply_disclosure_control(result.groups, threshold, answers_per_item)
    org_items = _hide_small_items(tables.item_means(item_frames), threshold)

    if team is None:
        groups = disclosure.groups
        table = tables.scale_table(groups, instrument)
        reference = None
        items = org_items
        overview = tables.team_overview(groups, instrument)
        matrices = {
            "nu": tables.team_matrix(groups, instrument, "nu"),
            "gap": tables.team_matrix(groups, instrument, "gap"),
            "difference": tables.difference_matrix(groups, instrument, "nu"),
        }
    else:
        check_team(result.groups, team, threshold, disclosure.secondary)
        show_reference = reference_allowed(result.groups, team, threshold, answers_per_item)
        keep = (result.groups["level"] == TEAM) & (result.groups["group"] == team)
        if show_reference:
            keep |= result.groups["level"] == ORGANISATION
        groups = result.groups[keep].reset_index(drop=True)
        table = tables.scale_table(groups, instrument, TEAM, team)
        reference = tables.scale_table(groups, instrument) if show_reference else None
        members = result.respondents.loc[result.respondents["team"] == team, "respondent_id"].astype(str)
        items = _hide_small_items(tables.item_means(item_frames, pd.Index(members)), threshold)
        if show_reference:
            items = items.join(org_items[["nu", "onske", "gap"]].add_prefix("organisation_"))
        overview = tables.team_overview(groups, instrument)
        matrices = {}

    extremes = tables.item_extremes(items, instrument, lang)
    focus = _focus_areas(table, instrument, lang)
    facts = _facts(result, organisation, team, lang, disclosure, started_at)
    content = ReportContent(
        lang=lang,
        organisation=organisation,
        team=team,
        instrument=instrument,
        facts=facts,
        groups=groups,
        table=table,
        reference=reference,
        team_overview=overview,
        team_matrices=matrices,
        items=items,
        item_extremes=extremes,
        focus_areas=focus,
        figures={},
        disclosure=disclosure,
    )
    content.figures.update(_figures(content))
    facts["compute_seconds"] = time.perf_counter() - started
    logger.info("Built the %s report of %s in %.1f s", lang, organisation, facts["compute_seconds"])
    return content


def _focus_areas(table: pd.DataFrame, instrument: Instrument, lang: str) -> tuple[FocusArea, ...]:
    chosen = select_focus_areas(table)
    return tuple(
        FocusArea(
            rank=int(row.rank),
            scale=row.scale,
            name=instrument.scale_name(row.scale, lang),
            gap=float(row.gap_mean),
            nu=float(row.nu_mean),
            onske=float(row.onske_mean),
            text=recommendation(row.scale, lang, instrument),
        )
        for row in chosen.itertuples(index=False)
    )


def _hide_small_items(items: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Blank the means of items that fewer than ``threshold`` respondents answered."""
    hidden = items["n"] < threshold
    if hidden.any():
        items = items.copy()
        items.loc[hidden, ["nu", "onske", "gap"]] = np.nan
    return items


def _facts(
    result: ScoreResult,
    organisation: str,
    team: str | None,
    lang: str,
    disclosure: Disclosure,
    started_at: dt.datetime,
) -> dict:
    times = result.clean.data[TIME_COLUMN] if TIME_COLUMN in result.clean.data else pd.Series(dtype="datetime64[ns]")
    times = times.dropna()
    responses = result.responses
    summary = result.summary
    if team is not None:
        team_rows = result.respondents[result.respondents["team"] == team]
        respondents_shown = len(team_rows)
    else:
        respondents_shown = summary["respondents_included"]
    return {
        "organisation": organisation,
        "team": team,
        "period_start": times.min().date() if len(times) else None,
        "period_end": times.max().date() if len(times) else None,
        "report_date": started_at.date(),
        "started_at": started_at.replace(microsecond=0),
        "rows_read": summary["rows_read"],
        "duplicates_dropped": summary["duplicates_dropped"],
        "excluded_too_few_answers": summary["excluded_too_few_answers"],
        "respondents_included": summary["respondents_included"],
        "respondents_shown": respondents_shown,
        "teams": summary["teams"],
        "teams_suppressed": len(disclosure.suppressed),
        "primary_suppressed": len(disclosure.primary),
        "secondary_suppressed": len(disclosure.secondary),
        "min_group_size": result.settings.min_group_size,
        "min_answered_share": result.settings.min_answered_share,
        "min_items_share": result.settings.min_items_share,
        "confidence": result.settings.confidence,
        "instrument_name": result.instrument.name,
        "instrument_version": result.instrument.version,
        "input_file": responses.source.name if responses.source is not None else "-",
        "input_sha256": responses.sha256 or "-",
        "versions": _versions(),
        "lang": lang,
    }


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in _VERSIONED_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "-"
    return versions


def _figures(content: ReportContent) -> dict[str, str]:
    instrument, lang = content.instrument, content.lang
    labels = None
    if content.reference is not None:
        labels = (content.team, content.organisation)
    figures = {
        "radar": charts.radar_chart(content.table, instrument, lang, content.reference, labels),
        "gap": charts.gap_chart(content.table, instrument, lang, content.reference),
        "dimensions": charts.dimension_chart(content.table, instrument, lang, content.reference),
    }
    if content.team_matrices:
        sizes = content.team_overview.set_index("team")["n"]
        figures["heatmap_nu"] = charts.heatmap(content.team_matrices["nu"], sizes, instrument, lang, "score")
        figures["heatmap_gap"] = charts.heatmap(content.team_matrices["gap"], sizes, instrument, lang, "gap")
        figures["heatmap_difference"] = charts.heatmap(
            content.team_matrices["difference"], sizes, instrument, lang, "difference"
        )
    elif content.reference is not None:
        figures["team_difference"] = charts.difference_chart(content.table, content.reference, instrument, lang)
    return {name: charts.figure_to_svg(figure) for name, figure in figures.items()}


__all__ = ["FocusArea", "ReportContent", "build_report"]
