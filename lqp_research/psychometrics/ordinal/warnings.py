"""Warning categories of the ordinal CFA estimator, rendered from the message catalogue."""

from __future__ import annotations

from ..confirmatory.diagnostics import CfaWarning
from ...i18n import translate


class OrdinalEstimationWarning(CfaWarning):
    """A problem in the ordinal statistics or the WLSMV fit (non-convergence, bounds).

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
