"""LQP Research Workbench: scoring, reporting and validation of the LQP survey."""

from .instrument import Instrument, load_instrument

__version__ = "0.1.0"

__all__ = ["Instrument", "load_instrument", "__version__"]
