"""Exceptions and warnings whose messages come from the message catalogue.

Every error a user can meet is an :class:`LqpError`. It carries a catalogue key
and the values to fill in, so the same error renders in Danish or English:
``str(error)`` uses the current language, ``error.message("en")`` a chosen one.
"""

from __future__ import annotations

from .i18n import translate


class CatalogueMessage:
    """Mixin for exceptions and warnings whose text comes from the message catalogue.

    Parameters
    ----------
    key : str
        Catalogue key of the message.
    **params
        Values for the message's placeholders.
    """

    def __init__(self, key: str, /, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(key)

    def message(self, lang: str | None = None) -> str:
        """Return the message in ``lang`` (default: the current language)."""
        return translate(self.key, lang, **self.params)

    def __str__(self) -> str:
        return self.message()


class LqpError(CatalogueMessage, Exception):
    """Base class for errors shown to users, rendered from the message catalogue."""


class InstrumentError(LqpError, ValueError):
    """An instrument file is missing, unreadable or inconsistent."""


class InputDataError(LqpError, ValueError):
    """A survey export, mapping file or setting cannot be used as given."""


class AnswerErrors(InputDataError):
    """Several invalid answers in one file, collected up to a cap.

    Parameters
    ----------
    problems : list of LqpError
        One error per invalid cell, in file order.
    total : int
        Number of invalid cells found, which may exceed ``len(problems)``.
    file : str
        Name of the file that was read.
    low, high : int
        The response scale, named in the advice on what to write instead.
    """

    def __init__(self, problems: list[LqpError], total: int, file: str, low: int = 1, high: int = 5) -> None:
        self.problems = problems
        self.total = total
        self.file = file
        key = "io.answer_error_one" if total == 1 else "io.answer_errors"
        super().__init__(key, file=file, total=total, shown=len(problems), low=low, high=high)

    def message(self, lang: str | None = None) -> str:
        head = translate(self.key, lang, **self.params)
        lines = [f"  - {problem.message(lang)}" for problem in self.problems]
        return "\n".join([head, *lines])


class ReportError(LqpError, RuntimeError):
    """A report could not be rendered."""


class LqpWarning(UserWarning):
    """Base class for warnings about the data or the results."""


__all__ = [
    "AnswerErrors",
    "CatalogueMessage",
    "InputDataError",
    "InstrumentError",
    "LqpError",
    "LqpWarning",
    "ReportError",
]
