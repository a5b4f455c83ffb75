"""LQP Research Workbench: scoring, reporting and validation of the LQP survey.

The public names below are imported on first use, so ``import lqp_research``
and the ``lqp`` command start without loading pandas and scipy until needed.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_PUBLIC = {
    "Instrument": "instrument",
    "load_instrument": "instrument",
    "read_responses": "io",
    "ScoreResult": "pipeline",
    "score": "pipeline",
    "ScoringSettings": "scoring",
}

__all__ = sorted(_PUBLIC) + ["__version__"]


def __getattr__(name: str):
    if name in _PUBLIC:
        module = importlib.import_module(f".{_PUBLIC[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
