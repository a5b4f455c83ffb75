"""Ordinal confirmatory factor analysis: polychoric correlations and WLSMV.

:func:`polychoric_correlations` estimates thresholds and polychoric correlations
in two steps, :func:`ordinal_moments` adds their asymptotic covariance, and
:func:`cfa_ordinal` fits a factor model with lavaan's WLSMV estimator (DWLS,
robust standard errors, scaled-and-shifted test).
"""

from .cfa import OrdinalFitResult, cfa_ordinal
from .moments import OrdinalMoments, ordinal_moments
from .polychoric import PolychoricResult, polychoric_correlations
from .warnings import OrdinalEstimationWarning

__all__ = [
    "OrdinalEstimationWarning",
    "OrdinalFitResult",
    "OrdinalMoments",
    "PolychoricResult",
    "cfa_ordinal",
    "ordinal_moments",
    "polychoric_correlations",
]
