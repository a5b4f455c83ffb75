"""Problems met while validating: errors and warnings, kept per report section.

A validation run carries on when one analysis fails. Each analysis runs through
:meth:`ProblemLog.run`, which turns the package's own errors
(:class:`~lqp_research.errors.LqpError`) and warnings
(:class:`~lqp_research.errors.LqpWarning`) into :class:`Problem` records shown in
the report section where they happened. Other exceptions are bugs and propagate.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from ..errors import CatalogueMessage, LqpError, LqpWarning
from ..i18n import LANGUAGES, catalogue, translate

logger = logging.getLogger(__name__)

Result = TypeVar("Result")

SEVERITIES = ("error", "warning", "note")


class ValidationWarning(CatalogueMessage, LqpWarning):
    """A validation step was skipped or changed because of the data or the settings.

    Built from a catalogue key and its placeholder values, as
    :class:`lqp_research.errors.CatalogueMessage` describes.
    """


@dataclass(frozen=True)
class Problem:
    """One error, warning or note of a report section.

    Attributes
    ----------
    section : str
        Section key, e.g. ``"cfa"`` (see ``SECTIONS`` in :mod:`.pipeline`).
    severity : {"error", "warning", "note"}
        ``"error"``: the analysis did not produce a result. ``"warning"``: it did,
        but the result needs care. ``"note"``: a step was left out by design.
    messages : mapping of str to str
        The text in each language of the catalogue. Warnings that were raised
        with a text already translated carry that text for every language.
    context : str
        What was being computed, e.g. the model name; empty when the section says it.
    """

    section: str
    severity: str
    messages: Mapping[str, str]
    context: str = ""

    def message(self, lang: str) -> str:
        """Return the text in ``lang``, prefixed with the context when there is one."""
        text = self.messages.get(lang) or next(iter(self.messages.values()))
        return f"{self.context}: {text}" if self.context else text


def describe(problem: BaseException | Warning) -> dict[str, str]:
    """Return the message of an error or warning in every catalogue language."""
    key = getattr(problem, "key", None)
    params = getattr(problem, "params", None)
    if isinstance(key, str) and isinstance(params, dict) and key in catalogue():
        return {lang: translate(key, lang, **params) for lang in LANGUAGES}
    if isinstance(problem, np.linalg.LinAlgError):
        return {lang: translate("validate.problem.numerical", lang, detail=str(problem)) for lang in LANGUAGES}
    text = str(problem)
    return {lang: text for lang in LANGUAGES}


class ProblemLog:
    """Collects the problems of a validation run, in the order they happened."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, section: str, severity: str, messages: Mapping[str, str], context: str = "") -> None:
        """Record a problem unless the same text is already recorded for the section."""
        problem = Problem(section=section, severity=severity, messages=dict(messages), context=context)
        duplicate = any(
            p.section == section and p.context == context and p.messages == problem.messages for p in self.problems
        )
        if duplicate:
            return
        self.problems.append(problem)
        logger.info("%s in %s%s: %s", severity, section, f" ({context})" if context else "", problem.message("en"))

    def note(self, section: str, key: str, context: str = "", **params: object) -> None:
        """Record a catalogue message as a note (a step left out by design)."""
        self.add(section, "note", {lang: translate(key, lang, **params) for lang in LANGUAGES}, context)

    def error(self, section: str, key: str, context: str = "", **params: object) -> None:
        """Record a catalogue message as an error (the analysis produced no result)."""
        self.add(section, "error", {lang: translate(key, lang, **params) for lang in LANGUAGES}, context)

    def warn(self, section: str, key: str, context: str = "", **params: object) -> None:
        """Record a catalogue message as a warning."""
        self.add(section, "warning", {lang: translate(key, lang, **params) for lang in LANGUAGES}, context)

    def run(self, section: str, function: Callable[..., Result], *args, context: str = "", **kwargs) -> Result | None:
        """Call ``function``; record its LQP warnings, and its LQP error instead of raising it.

        Returns
        -------
        The function's result, or ``None`` when it raised an
        :class:`~lqp_research.errors.LqpError` or a
        :class:`numpy.linalg.LinAlgError` (a singular matrix in a statistic that
        does not check for one itself).
        """
        result = None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", LqpWarning)
            try:
                result = function(*args, **kwargs)
            except (LqpError, np.linalg.LinAlgError) as error:
                self.add(section, "error", describe(error), context)
        for warning in caught:
            if issubclass(warning.category, LqpWarning):
                self.add(section, "warning", describe(warning.message), context)
            else:
                warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
        return result

    def of(self, section: str) -> list[Problem]:
        """Return the problems of one section."""
        return [p for p in self.problems if p.section == section]


__all__ = ["SEVERITIES", "Problem", "ProblemLog", "ValidationWarning", "describe"]
