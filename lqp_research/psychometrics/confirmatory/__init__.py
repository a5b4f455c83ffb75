"""Confirmatory factor analysis with lavaan's ML and MLR estimators.

Fit with :func:`cfa`, build the LQP models with :func:`build_model`, compare
nested models with :func:`compare_models` and test invariance with
:func:`measurement_invariance`. The model interface for other estimators
(parameter vector, implied moments, Jacobians) is
:mod:`lqp_research.psychometrics.confirmatory.model`.
"""

from .comparison import InvarianceResult, compare_models, measurement_invariance
from .diagnostics import CfaWarning, ConvergenceWarning, HeywoodWarning, IdentificationWarning
from .fitting import FitResult, cfa
from .model import CompiledModel, compile_model, vech, vech_indices, vechs, vechs_indices
from .specification import MODEL_NAMES, ModelSpec, Statement, build_model, parse_model

__all__ = [
    "MODEL_NAMES",
    "CfaWarning",
    "CompiledModel",
    "ConvergenceWarning",
    "FitResult",
    "HeywoodWarning",
    "IdentificationWarning",
    "InvarianceResult",
    "ModelSpec",
    "Statement",
    "build_model",
    "cfa",
    "compare_models",
    "compile_model",
    "measurement_invariance",
    "parse_model",
    "vech",
    "vech_indices",
    "vechs",
    "vechs_indices",
]
