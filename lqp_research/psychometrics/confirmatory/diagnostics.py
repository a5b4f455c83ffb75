"""Warnings raised while fitting a confirmatory factor model."""

from __future__ import annotations

from ...errors import LqpWarning


class CfaWarning(LqpWarning):
    """Base class for warnings about a confirmatory factor analysis."""


class ConvergenceWarning(CfaWarning):
    """The optimiser stopped before the gradient was small enough."""


class HeywoodWarning(CfaWarning):
    """A variance estimate is negative or a standardized loading exceeds one in absolute value."""


class IdentificationWarning(CfaWarning):
    """The information matrix is singular, so the model is not identified and has no standard errors."""


__all__ = ["CfaWarning", "ConvergenceWarning", "HeywoodWarning", "IdentificationWarning"]
