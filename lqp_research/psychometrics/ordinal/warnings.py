"""Warning categories of the ordinal CFA estimator, rendered from the message catalogue."""

from __future__ import annotations

from ...errors import CatalogueMessage
from ..confirmatory.diagnostics import CfaWarning


class OrdinalEstimationWarning(CatalogueMessage, CfaWarning):
    """A problem in the ordinal statistics or the WLSMV fit (non-convergence, bounds).

    Built from a catalogue key and its placeholder values, as
    :class:`lqp_research.errors.CatalogueMessage` describes.
    """
