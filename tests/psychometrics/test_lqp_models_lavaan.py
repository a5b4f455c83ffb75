"""The LQP models M1-M4 under ML and WLSMV against lavaan, on simulated LQP data.

Reference values come from tests/reference/lqp_models/make_lqp_models_reference.R
(lavaan 0.6-14, see the versions_<estimator>.json files there) on the 1,500
complete simulated answers in tests/reference/ordinal/lqp_simulated.csv. The
WLSMV reference for M4 is the one in tests/reference/ordinal, made by
make_lqp_reference.R on the same data.

The validation target is chi-square within 0.1 %, CFI, TLI, RMSEA and SRMR
within 0.002 and standardized loadings within 0.005. The tolerances below are
much tighter because both programs agree to six or more digits on these data.
Each model is fitted once per module. Under WLSMV, M3 fits the simulated data
so well that lavaan clamps cfi.scaled to 1 and rmsea.scaled to 0, so for M3 the
robust measures and SRMR carry the comparison.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lqp_research import load_instrument
from lqp_research.psychometrics.confirmatory import build_model, cfa
from lqp_research.psychometrics.ordinal import cfa_ordinal

REFERENCE = Path(__file__).parents[1] / "reference" / "lqp_models"
ORDINAL_REFERENCE = Path(__file__).parents[1] / "reference" / "ordinal"
DATA = ORDINAL_REFERENCE / "lqp_simulated.csv"

# Measure name -> (relative tolerance, absolute tolerance).
ML_TOLERANCES = {
    "chisq": (1e-6, 0.0),
    "df": (0.0, 0.0),
    "pvalue": (0.0, 1e-6),
    "cfi": (0.0, 1e-6),
    "tli": (0.0, 1e-6),
    "rmsea": (0.0, 1e-6),
    "rmsea.ci.lower": (0.0, 1e-6),
    "rmsea.ci.upper": (0.0, 1e-6),
    "srmr": (0.0, 1e-6),
    "aic": (1e-8, 0.0),
    "bic": (1e-8, 0.0),
}
ML_STANDARDIZED_TOLERANCE = 1e-4


def _syntax_path(name: str) -> Path:
    own = REFERENCE / f"lqp_{name}.lav"
    return own if own.exists() else ORDINAL_REFERENCE / f"lqp_{name}.lav"


def _reference_measures(path: Path) -> pd.Series:
    return pd.read_csv(path).set_index("measure")["value"]


def _reference_standardized(path: Path) -> pd.DataFrame:
    # An intercept row (op "~1") has an empty rhs, which read_csv turns into NaN.
    return pd.read_csv(path).fillna({"rhs": ""})


def _assert_same_rows(ours: pd.DataFrame, merged: pd.DataFrame, reference: pd.DataFrame) -> None:
    assert len(merged) == len(ours), "parameters missing from the lavaan solution"
    assert len(merged) == len(reference), "lavaan parameters missing from our solution"


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(DATA)


@pytest.mark.parametrize("name", ["M1", "M2", "M3", "M4"])
def test_model_syntax_unchanged(name):
    stored = _syntax_path(name).read_text(encoding="utf-8").strip()
    assert build_model(load_instrument(), name).to_syntax().strip() == stored


def test_reference_data_complete(data):
    assert data.shape == (1500, 90)
    assert not data.isna().any().any()


# ML ---------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["M1", "M2", "M3", "M4"])
def ml_fit(request, data):
    result = cfa(data, build_model(load_instrument(), request.param), estimator="ml")
    return request.param, result


def test_ml_fit_converged(ml_fit):
    _, result = ml_fit
    assert result.converged


@pytest.mark.parametrize("measure", list(ML_TOLERANCES))
def test_ml_fit_measure_matches_lavaan(ml_fit, measure):
    name, result = ml_fit
    expected = _reference_measures(REFERENCE / f"lqp_{name}_ml_fit_measures.csv")[measure]
    relative, absolute = ML_TOLERANCES[measure]
    assert result.fit_measures[measure] == pytest.approx(expected, rel=relative, abs=absolute)


def test_ml_standardized_solution_matches_lavaan(ml_fit):
    name, result = ml_fit
    reference = _reference_standardized(REFERENCE / f"lqp_{name}_ml_standardized.csv")
    ours = result.parameters[["lhs", "op", "rhs", "std_all"]]
    merged = ours.merge(reference, on=["lhs", "op", "rhs"])

    _assert_same_rows(ours, merged, reference)
    np.testing.assert_allclose(merged["std_all"], merged["est.std"], atol=ML_STANDARDIZED_TOLERANCE)


def test_ml_standardized_loadings_cover_all_items(ml_fit):
    name, result = ml_fit
    loadings = result.parameters[result.parameters["op"] == "=~"]
    items = set(load_instrument().item_ids)
    assert items <= set(loadings["rhs"])


# WLSMV ------------------------------------------------------------------------

# Measure name -> (relative tolerance, absolute tolerance).
WLSMV_TOLERANCES = {
    "chisq": (1e-6, 0.0),
    "chisq.scaled": (1e-6, 0.0),
    "df": (0.0, 0.0),
    "pvalue.scaled": (0.0, 1e-5),
    "cfi.scaled": (0.0, 1e-6),
    "tli.scaled": (0.0, 1e-6),
    "rmsea.scaled": (0.0, 1e-6),
    "rmsea.ci.lower.scaled": (0.0, 1e-6),
    "rmsea.ci.upper.scaled": (0.0, 1e-6),
    "cfi.robust": (0.0, 1e-6),
    "tli.robust": (0.0, 1e-6),
    "rmsea.robust": (0.0, 1e-6),
    "rmsea.ci.lower.robust": (0.0, 1e-6),
    "rmsea.ci.upper.robust": (0.0, 1e-6),
    "srmr": (0.0, 1e-6),
}
WLSMV_STANDARDIZED_TOLERANCE = 1e-4
# lavaan's standardizedSolution() also lists the fixed intercepts ("~1", all 0)
# and scale factors ("~*~", all 1) of the delta parameterization, which
# cfa_ordinal() leaves out of its table.
FIXED_BY_LAVAAN_ONLY = ("~1", "~*~")


def _wlsmv_reference(name: str, kind: str) -> Path:
    if name == "M4":
        return ORDINAL_REFERENCE / f"lqp_M4_{kind}.csv"
    return REFERENCE / f"lqp_{name}_wlsmv_{kind}.csv"


@pytest.fixture(scope="module", params=["M1", "M2", "M3", "M4"])
def wlsmv_fit(request, data):
    result = cfa_ordinal(data, build_model(load_instrument(), request.param))
    return request.param, result


@pytest.mark.parametrize("measure", list(WLSMV_TOLERANCES))
def test_wlsmv_fit_measure_matches_lavaan(wlsmv_fit, measure):
    name, result = wlsmv_fit
    expected = _reference_measures(_wlsmv_reference(name, "fit_measures"))[measure]
    relative, absolute = WLSMV_TOLERANCES[measure]
    assert result.fit_measures[measure] == pytest.approx(expected, rel=relative, abs=absolute)


def test_wlsmv_standardized_solution_matches_lavaan(wlsmv_fit):
    name, result = wlsmv_fit
    reference = _reference_standardized(_wlsmv_reference(name, "standardized"))
    reference = reference[~reference["op"].isin(FIXED_BY_LAVAAN_ONLY)]
    ours = result.standardized[["lhs", "op", "rhs", "est_std"]]
    merged = ours.merge(reference, on=["lhs", "op", "rhs"])

    _assert_same_rows(ours, merged, reference)
    np.testing.assert_allclose(
        merged["est_std"], merged["est.std"], atol=WLSMV_STANDARDIZED_TOLERANCE
    )


def test_wlsmv_standardized_se_matches_lavaan(wlsmv_fit):
    name, result = wlsmv_fit
    reference = _reference_standardized(_wlsmv_reference(name, "standardized"))
    ours = result.standardized[["lhs", "op", "rhs", "se"]]
    merged = ours.merge(reference, on=["lhs", "op", "rhs"], suffixes=("", "_lavaan"))
    estimated = merged[merged["se_lavaan"] > 0]
    fixed = merged[merged["se_lavaan"] == 0]

    np.testing.assert_allclose(
        estimated["se"], estimated["se_lavaan"], atol=WLSMV_STANDARDIZED_TOLERANCE
    )
    # A standardized factor variance is 1 by construction. lavaan gives it an
    # SE of 0 and cfa_ordinal() gives it NaN.
    assert (fixed["se"].isna() | (fixed["se"] == 0)).all()


@pytest.mark.parametrize("name", ["M1", "M2", "M3", "M4"])
def test_wlsmv_lavaan_only_rows_constant(name):
    reference = _reference_standardized(_wlsmv_reference(name, "standardized"))
    intercepts = reference[reference["op"] == "~1"]
    scales = reference[reference["op"] == "~*~"]

    assert (intercepts["est.std"] == 0).all()
    assert (scales["est.std"] == 1).all()
    assert (intercepts["se"] == 0).all()
    assert (scales["se"] == 0).all()


def test_wlsmv_standardized_loadings_match_lavaan(wlsmv_fit):
    name, result = wlsmv_fit
    reference = _reference_standardized(_wlsmv_reference(name, "standardized"))
    ours = result.standardized[result.standardized["op"] == "=~"]
    merged = ours.merge(reference, on=["lhs", "op", "rhs"])

    assert len(merged) == len(ours)
    np.testing.assert_allclose(
        merged["est_std"], merged["est.std"], atol=WLSMV_STANDARDIZED_TOLERANCE
    )
