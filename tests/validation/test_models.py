"""Standardized-loading standard errors against lavaan, and the publication tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lqp_research.psychometrics.confirmatory import cfa
from lqp_research.validation import export_table
from lqp_research.validation.models import standardized_loading_se

REPOSITORY = Path(__file__).resolve().parents[2]
HOLZINGER = REPOSITORY / "tests" / "data" / "public" / "HolzingerSwineford1939.csv"
REFERENCE = Path(__file__).parent / "reference" / "hs_std_loadings_se.csv"
THREE = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
MODELS = {"three": THREE, "second": THREE + "\ng =~ visual + textual + speed"}


@pytest.mark.parametrize("model", ["three", "second"])
@pytest.mark.parametrize("estimator", ["ml", "mlr"])
def test_standardized_loading_se_matches_lavaan(model, estimator):
    data = pd.read_csv(HOLZINGER)
    reference = pd.read_csv(REFERENCE)
    expected = reference[(reference["model"] == model) & (reference["estimator"] == estimator)]

    fit = cfa(data, MODELS[model], estimator)
    rows = fit.parameters[fit.parameters["op"] == "=~"]
    se = standardized_loading_se(fit, rows)

    assert rows["rhs"].tolist() == expected["rhs"].tolist()
    np.testing.assert_allclose(se, expected["se"].to_numpy(), rtol=0, atol=1e-5)


def test_export_table_writes_each_format(tmp_path):
    table = pd.DataFrame({"Model": ["M1: one factor", "M3 & co"], "N": [100, 100], "CFI": [0.91234, np.nan]})

    written = export_table(table, tmp_path / "fit", caption="Fit")

    assert sorted(written) == ["csv", "tex", "xlsx"]
    assert pd.read_csv(written["csv"])["CFI"].iloc[0] == pytest.approx(0.91234)
    assert pd.read_excel(written["xlsx"])["Model"].tolist() == ["M1: one factor", "M3 & co"]
    latex = written["tex"].read_text(encoding="utf-8")
    assert "0.912" in latex
    assert r"M3 \& co" in latex
    assert r"\caption{Fit}" in latex


def test_export_table_rejects_unknown_format(tmp_path):
    with pytest.raises(ValueError, match="docx"):
        export_table(pd.DataFrame({"a": [1]}), tmp_path / "t", formats=("docx",))
