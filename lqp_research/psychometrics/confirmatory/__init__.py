"""Confirmatory factor analysis with lavaan's ML and MLR estimators.

The model interface for other estimators (parameter vector, implied moments,
Jacobians) is :mod:`lqp_research.psychometrics.confirmatory.model`.
"""

from .diagnostics import CfaWarning, ConvergenceWarning, HeywoodWarning, IdentificationWarning
from .model import CompiledModel, compile_model, vech, vech_indices, vechs, vechs_indices
from .specification import MODEL_NAMES, ModelSpec, Statement, build_model, parse_model

__all__ = [
    "MODEL_NAMES",
    "CfaWarning",
    "CompiledModel",
    "ConvergenceWarning",
    "HeywoodWarning",
    "IdentificationWarning",
    "ModelSpec",
    "Statement",
    "build_model",
    "compile_model",
    "parse_model",
    "vech",
    "vech_indices",
    "vechs",
    "vechs_indices",
]
