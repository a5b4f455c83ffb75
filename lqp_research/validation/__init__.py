"""Psychometric validation of an instrument: every analysis of one rating, the report and its tables.

- :mod:`.pipeline`: :func:`run_validation` runs the analyses section by section
  and collects their results and problems (:class:`ValidationResult`).
- :mod:`.models`: the CFA models M1-M5 under ML, MLR or WLSMV in one shape.
- :mod:`.tables`: tables for the report, the notebooks and publication
  (CSV, XLSX, LaTeX).
- :mod:`.charts`: scree plot against parallel analysis, loadings heatmap, item
  distributions.
- :mod:`.render`: the HTML report and the CSV files (``lqp validate``).
"""

from .models import ESTIMATORS, FIT_COLUMNS, MISSING_METHODS, ModelFit, fit_model, fit_table, nested_comparisons
from .pipeline import SECTIONS, ValidationResult, ValidationSettings, run_validation
from .problems import Problem, ProblemLog, ValidationWarning
from .render import FILE_NAMES, build_view, render_html, write_validation
from .tables import (
    aligned_efa,
    correlation_matrix,
    export_table,
    format_table,
    loadings_wide,
    model_comparison,
    problem_table,
    second_order_loadings,
)

__all__ = [
    "ESTIMATORS",
    "FILE_NAMES",
    "FIT_COLUMNS",
    "MISSING_METHODS",
    "ModelFit",
    "Problem",
    "ProblemLog",
    "SECTIONS",
    "ValidationResult",
    "ValidationSettings",
    "ValidationWarning",
    "aligned_efa",
    "build_view",
    "correlation_matrix",
    "export_table",
    "fit_model",
    "format_table",
    "fit_table",
    "loadings_wide",
    "model_comparison",
    "nested_comparisons",
    "problem_table",
    "render_html",
    "run_validation",
    "second_order_loadings",
    "write_validation",
]
