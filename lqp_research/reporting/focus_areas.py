"""Focus areas (indsatsområder): the factors a report recommends working on first.

The rule is stated in the report itself: the factors with the largest gap
between desired and current culture (``onske - nu``), and among equal gaps the
one with the lower current score, because a low current level with the same
wish for change is the more pressing case. Each chosen factor gets text from the
recommendation bank ``texts/recommendations.yaml``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import pandas as pd
import yaml

from ..instrument import Instrument

FOCUS_AREA_COUNT = 3
_BANK_FIELDS = ("meaning", "questions", "first_steps")


@dataclass(frozen=True)
class Recommendation:
    """Bank text for one factor in one language."""

    meaning: str
    questions: tuple[str, ...]
    first_steps: tuple[str, ...]


def select_focus_areas(table: pd.DataFrame, count: int = FOCUS_AREA_COUNT) -> pd.DataFrame:
    """Choose the factors with the largest gaps, ties broken by the lower ``nu``.

    Parameters
    ----------
    table : DataFrame
        A :func:`~lqp_research.reporting.tables.scale_table`: rows with ``kind``
        ``factor`` are candidates; ``gap_mean`` and ``nu_mean`` decide.
    count : int, default 3
        Number of focus areas.

    Returns
    -------
    DataFrame
        ``count`` rows (fewer when fewer factors have scores) with the columns
        ``rank`` (1 first), ``scale``, ``gap_mean``, ``nu_mean``, ``onske_mean``.

    Notes
    -----
    Gaps are compared unrounded; an exact tie in gap and ``nu`` keeps the
    instrument order. Factors without a gap score (hidden or unanswered) are
    never chosen.
    """
    factors = table[(table["kind"] == "factor") & table["gap_mean"].notna()].copy()
    factors["order"] = range(len(factors))
    ordered = factors.sort_values(["gap_mean", "nu_mean", "order"], ascending=[False, True, True])
    chosen = ordered.head(count)
    return pd.DataFrame(
        {
            "rank": range(1, len(chosen) + 1),
            "scale": chosen["scale"].to_numpy(),
            "gap_mean": chosen["gap_mean"].to_numpy(),
            "nu_mean": chosen["nu_mean"].to_numpy(),
            "onske_mean": chosen["onske_mean"].to_numpy(),
        }
    )


@functools.cache
def _bank() -> dict:
    resource = resources.files(__package__) / "texts" / "recommendations.yaml"
    return yaml.safe_load(resource.read_text(encoding="utf-8"))


def recommendation(factor: str, lang: str, instrument: Instrument | None = None) -> Recommendation:
    """Return the bank text for ``factor`` in ``lang``.

    A factor the bank does not cover (an instrument other than LQP) gets a
    general text from the bank's ``_default`` entry, with the factor's name.
    """
    bank = _bank()
    entry = bank.get(factor) or bank["_default"]
    texts = entry[lang]
    name = instrument.scale_name(factor, lang) if instrument is not None else factor
    return Recommendation(
        meaning=texts["meaning"].strip().format(factor=name),
        questions=tuple(q.format(factor=name) for q in texts["questions"]),
        first_steps=tuple(s.format(factor=name) for s in texts["first_steps"]),
    )


__all__ = ["FOCUS_AREA_COUNT", "Recommendation", "recommendation", "select_focus_areas"]
