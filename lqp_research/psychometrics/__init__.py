"""Psychometric analyses of item-level data of one rating.

Modules in this package:

- :mod:`.items`: item analysis (distribution, floor and ceiling, item-rest
  correlation, alpha if deleted, flags).
- :mod:`.reliability`: Cronbach's alpha with Feldt or bootstrap interval, omega
  total, omega hierarchical (Schmid-Leiman, bifactor and second-order CFA), and
  the reliability table per factor and dimension.
- :mod:`.exploratory`: KMO, Bartlett's test, parallel analysis, Velicer's MAP and
  exploratory factor analysis (minres, ml).
- :mod:`.rotation`: varimax, oblimin, promax and target rotation, Tucker's
  congruence and factor matching.
- :mod:`.validity`: HTMT, average variance extracted, composite reliability and
  the Fornell-Larcker table.

Subpackages are imported by their own name, so this module does not load them:

- :mod:`.confirmatory`: confirmatory factor analysis (ML, MLR).
- :mod:`.ordinal`: polychoric correlations and the WLSMV estimator.
"""

from ._data import (
    ConstantItemWarning,
    ConvergenceWarning,
    HeywoodCaseWarning,
    OmegaIdentificationWarning,
    PsychometricsWarning,
)
from .exploratory import (
    Bartlett,
    EfaResult,
    Kmo,
    ParallelAnalysis,
    VelicerMap,
    bartlett_sphericity,
    efa,
    kmo,
    parallel_analysis,
    velicer_map,
)
from .items import ItemThresholds, item_analysis
from .reliability import (
    AlphaResult,
    CfaOmega,
    SchmidLeimanOmega,
    cronbach_alpha,
    feldt_interval,
    omega_bifactor,
    omega_hierarchical,
    omega_second_order,
    omega_total,
    reliability_table,
)
from .rotation import (
    Rotation,
    align_factors,
    factor_congruence,
    key_matrix,
    match_factors,
    oblimin,
    promax,
    target_rotation,
    varimax,
)
from .validity import average_variance_extracted, fornell_larcker, htmt

__all__ = [
    "AlphaResult",
    "Bartlett",
    "CfaOmega",
    "ConstantItemWarning",
    "ConvergenceWarning",
    "EfaResult",
    "HeywoodCaseWarning",
    "ItemThresholds",
    "Kmo",
    "OmegaIdentificationWarning",
    "ParallelAnalysis",
    "PsychometricsWarning",
    "Rotation",
    "SchmidLeimanOmega",
    "VelicerMap",
    "align_factors",
    "average_variance_extracted",
    "bartlett_sphericity",
    "cronbach_alpha",
    "efa",
    "factor_congruence",
    "feldt_interval",
    "fornell_larcker",
    "htmt",
    "item_analysis",
    "key_matrix",
    "kmo",
    "match_factors",
    "oblimin",
    "omega_bifactor",
    "omega_hierarchical",
    "omega_second_order",
    "omega_total",
    "parallel_analysis",
    "promax",
    "reliability_table",
    "target_rotation",
    "varimax",
    "velicer_map",
]
