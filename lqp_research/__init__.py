"""LQP Research Workbench: scoring, reporting and validation of the LQP survey."""

from .instrument import Instrument, load_instrument
from .io import read_responses
from .pipeline import ScoreResult, score
from .scoring import ScoringSettings

__version__ = "0.1.0"

__all__ = [
    "Instrument",
    "ScoreResult",
    "ScoringSettings",
    "__version__",
    "load_instrument",
    "read_responses",
    "score",
]
