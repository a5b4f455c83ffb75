"""Standardized-loading standard errors against lavaan, and the publication tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lqp_research.psychometrics.confirmatory import cfa
from lqp_research.i18n import translate
from lqp_research.validation import export_table, format_table, problem_table
from lqp_research.validation.problems import ProblemLog
from lqp_research.validation.models import select_measures, standardized_loading_se
from lqp_research.validation.render import _matrix

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


ROBUST_AND_SCALED = {
    "chisq.scaled": 120.0, "df.scaled": 98.0, "pvalue.scaled": 0.06, "srmr": 0.05,
    "cfi.robust": 0.96, "tli.robust": 0.95, "rmsea.robust": 0.04,
    "rmsea.ci.lower.robust": 0.01, "rmsea.ci.upper.robust": 0.06,
    "cfi.scaled": 0.93, "tli.scaled": 0.92, "rmsea.scaled": 0.05,
    "rmsea.ci.lower.scaled": 0.02, "rmsea.ci.upper.scaled": 0.07,
}


def test_select_measures_prefers_robust():
    measures, variant = select_measures(ROBUST_AND_SCALED, "wlsmv")

    assert variant == "robust"
    assert measures["cfi"] == 0.96
    assert measures["rmsea_ci_high"] == 0.06


def test_select_measures_falls_back_to_scaled():
    nan_robust = {**ROBUST_AND_SCALED, "cfi.robust": np.nan, "tli.robust": np.nan, "rmsea.robust": np.nan}

    for estimator in ("wlsmv", "mlr"):
        measures, variant = select_measures(nan_robust, estimator)
        assert variant == "scaled"
        assert measures["cfi"] == 0.93
        assert measures["tli"] == 0.92
        assert measures["rmsea"] == 0.05
        assert measures["rmsea_ci_low"] == 0.02


def test_select_measures_fiml_skips_robust():
    measures, variant = select_measures(ROBUST_AND_SCALED, "mlr", robust_available=False)

    assert variant == "scaled"
    assert measures["cfi"] == 0.93


def test_select_measures_reports_none():
    neither = {key: np.nan if key.startswith(("cfi", "tli", "rmsea")) else value for key, value in ROBUST_AND_SCALED.items()}

    measures, variant = select_measures(neither, "wlsmv")

    assert variant == "none"
    assert np.isnan(measures["cfi"])
    assert measures["chisq"] == 120.0


def test_correlation_diagonal_blank_despite_rounding():
    correlations = pd.DataFrame(
        [[1 - 1e-12, 0.31], [0.31, 1 + 1e-12]], index=["F1", "F2"], columns=["F1", "F2"]
    )

    table = _matrix(correlations, "caption", "da")

    texts = [[cell["text"] for cell in row] for row in table["rows"]]
    assert texts[0] == ["F1", "", "0,31"]
    assert texts[1] == ["F2", "0,31", ""]


def test_non_unit_diagonal_is_shown():
    # Fornell-Larcker tables carry the square root of the AVE on the diagonal.
    matrix = pd.DataFrame([[0.72, 0.4], [0.4, 0.81]], index=["F1", "F2"], columns=["F1", "F2"])

    table = _matrix(matrix, "caption", "en")

    assert table["rows"][0][1]["text"] == "0.72"
    assert table["rows"][1][2]["text"] == "0.81"


def test_problem_table_headers_in_danish():
    log = ProblemLog()
    log.error("sample", "validate.screening.few_respondents", n=10, items=16)

    table = problem_table(log.problems, "da")

    assert list(table.columns) == ["Afsnit", "Alvor", "Besked"]
    assert table.iloc[0, 0] == "Stikprøve og manglende svar"
    assert table.iloc[0, 2].startswith("Kun 10 respondenter")


def test_format_table_danish_numbers():
    p_header = translate("validate.column.pvalue", "da")
    table = pd.DataFrame({"model": ["M1", "M3"], p_header: [0.0002, 0.25], "CFI": [0.91234, np.nan], "df": [104, 98]})

    formatted = format_table(table, "da")

    assert formatted[p_header].tolist() == ["< 0,001", "0,250"]
    assert formatted["CFI"].tolist() == ["0,912", ""]
    assert formatted["df"].tolist() == [104, 98]
    assert table["CFI"].iloc[0] == 0.91234


def test_single_group_error_without_group_name(mini):
    from mini_data import simulate_export

    from lqp_research.errors import InputDataError
    from lqp_research.validation.pipeline import _fit_single_group

    frame = simulate_export(mini, n=100)
    items = frame[[f"{item}_nu" for item in mini.item_ids]].astype(float)
    items.columns = list(mini.item_ids)
    items["FB03"] = 3.0

    with pytest.raises(InputDataError) as caught:
        _fit_single_group(items, mini, "M3", "ml", "fiml")

    assert caught.value.key == "validate.cfa_data.constant_item"
    message = caught.value.message("en")
    assert "FB03" in message
    assert "group" not in message
