"""WLSMV fits of the LQP models M4 (second-order) and M5 (bifactor) against lavaan.

Reference values come from tests/reference/ordinal/make_lqp_reference.R (lavaan
0.6-14) on 1,500 simulated answers to the 90 LQP items.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lqp_research import load_instrument
from lqp_research.psychometrics.confirmatory import build_model
from lqp_research.psychometrics.ordinal import cfa_ordinal

REFERENCE = Path(__file__).parents[1] / "reference" / "ordinal"
MEASURES = (
    "chisq", "chisq.scaled", "cfi.scaled", "tli.scaled", "rmsea.scaled",
    "cfi.robust", "tli.robust", "rmsea.robust", "srmr",
)


@pytest.fixture(scope="module", params=["M4", "M5"])
def fit(request):
    data = pd.read_csv(REFERENCE / "lqp_simulated.csv")
    result = cfa_ordinal(data, build_model(load_instrument(), request.param))
    return request.param, result


def test_model_syntax_unchanged(fit):
    name, _ = fit
    stored = (REFERENCE / f"lqp_{name}.lav").read_text(encoding="utf-8").strip()
    assert build_model(load_instrument(), name).to_syntax().strip() == stored


@pytest.mark.parametrize("measure", MEASURES)
def test_fit_measure_matches_lavaan(fit, measure):
    name, result = fit
    expected = pd.read_csv(REFERENCE / f"lqp_{name}_fit_measures.csv").set_index("measure")["value"]
    assert result.fit_measures[measure] == pytest.approx(expected[measure], rel=1e-3, abs=2e-4)


def test_standardized_solution_matches_lavaan(fit):
    name, result = fit
    reference = pd.read_csv(REFERENCE / f"lqp_{name}_standardized.csv").fillna({"rhs": ""})
    merged = result.standardized.merge(reference, on=["lhs", "op", "rhs"], suffixes=("", "_lavaan"))
    assert len(merged) == len(result.standardized)
    np.testing.assert_allclose(merged["est_std"], merged["est.std"], atol=0.005)
    with_se = merged[merged["se_lavaan"] > 0]
    np.testing.assert_allclose(with_se["se"], with_se["se_lavaan"], atol=0.005)
