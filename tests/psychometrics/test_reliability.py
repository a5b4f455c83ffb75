"""Alpha, omega and the reliability table against psych 2.2.9 and lavaan-based formulas."""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lqp_research.errors import InputDataError
from lqp_research.psychometrics import (
    ConstantItemWarning,
    OmegaIdentificationWarning,
    cronbach_alpha,
    omega_bifactor,
    omega_hierarchical,
    omega_second_order,
    omega_total,
    reliability_table,
)
from lqp_research.psychometrics.reliability import RELIABILITY_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "reference" / "psych"
REVERSED = ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]
KEY = {scale: [f"{scale}{number}" for number in range(1, 6)] for scale in "ACENO"}


@pytest.fixture(scope="module")
def bfi_items() -> pd.DataFrame:
    items = pd.read_csv(ROOT / "data" / "public" / "bfi.csv").iloc[:, :25]
    items[REVERSED] = 7 - items[REVERSED]
    return items


@pytest.fixture(scope="module")
def psych_alpha() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "alpha_scales.csv").set_index("scale")


@pytest.mark.parametrize("scale", list(KEY))
def test_alpha_and_feldt_match_psych(bfi_items, psych_alpha, scale):
    result = cronbach_alpha(bfi_items[KEY[scale]])
    expected = psych_alpha.loc[scale]
    assert result.alpha == pytest.approx(expected["raw_alpha"], abs=1e-10)
    assert result.ci_low == pytest.approx(expected["feldt_low"], abs=1e-10)
    assert result.ci_high == pytest.approx(expected["feldt_high"], abs=1e-10)
    assert result.n_respondents == expected["n_rows"]
    assert result.n_items == 5


def test_alpha_ignores_item_order(bfi_items):
    generator = np.random.default_rng(3)
    columns = KEY["N"] + KEY["E"]
    shuffled = list(generator.permutation(columns))
    assert cronbach_alpha(bfi_items[shuffled]).alpha == pytest.approx(cronbach_alpha(bfi_items[columns]).alpha, abs=1e-14)


def test_bootstrap_is_reproducible_and_brackets_alpha(bfi_items):
    first = cronbach_alpha(bfi_items[KEY["A"]], ci_method="bootstrap", n_boot=200, random_state=11)
    second = cronbach_alpha(bfi_items[KEY["A"]], ci_method="bootstrap", n_boot=200, random_state=11)
    assert first == second
    assert first.ci_low < first.alpha < first.ci_high
    feldt = cronbach_alpha(bfi_items[KEY["A"]])
    assert abs(first.ci_low - feldt.ci_low) < 0.02
    assert abs(first.ci_high - feldt.ci_high) < 0.02


def test_constant_item_is_dropped_with_warning(bfi_items):
    items = bfi_items[KEY["C"]].copy()
    items["constant"] = 3.0
    with pytest.warns(ConstantItemWarning) as record:
        result = cronbach_alpha(items)
    assert record[0].message.params == {"item": "constant"}
    assert result.n_items == 5
    assert result.alpha == pytest.approx(cronbach_alpha(bfi_items[KEY["C"]]).alpha, abs=1e-12)


def test_invalid_ci_method_raises(bfi_items):
    with pytest.raises(InputDataError) as error:
        cronbach_alpha(bfi_items[KEY["A"]], ci_method="exact")
    assert "ci_method='exact' is not valid" in error.value.message("en")


def test_single_item_alpha_raises(bfi_items):
    with pytest.raises(InputDataError) as error:
        cronbach_alpha(bfi_items[["A1"]])
    assert "needs at least 2" in error.value.message("en")


@pytest.mark.parametrize("scale", list(KEY))
def test_omega_total_matches_psych(bfi_items, scale):
    expected = pd.read_csv(REFERENCE / "omega_scales.csv").set_index("scale").loc[scale, "omega_total"]
    # psych's L-BFGS-B stops at its default tolerance, about 1e-7 from the minimum here.
    assert omega_total(bfi_items[KEY[scale]]) == pytest.approx(expected, abs=1e-6)


def test_omega_total_of_two_items_is_nan(bfi_items):
    assert np.isnan(omega_total(bfi_items[["A1", "A2"]]))


def test_reliability_table_matches_psych(bfi_items, psych_alpha):
    table = reliability_table(bfi_items, KEY, {"AC": ["A", "C"]})
    assert list(table.columns) == RELIABILITY_COLUMNS
    assert list(table["level"]) == ["factor"] * 5 + ["dimension"]
    factors = table.iloc[:5].set_index("scale")
    np.testing.assert_allclose(factors["alpha"], psych_alpha["raw_alpha"].loc[factors.index], atol=1e-10, rtol=0)
    np.testing.assert_allclose(factors["alpha_ci_low"], psych_alpha["feldt_low"].loc[factors.index], atol=1e-10, rtol=0)
    np.testing.assert_allclose(factors["alpha_ci_high"], psych_alpha["feldt_high"].loc[factors.index], atol=1e-10, rtol=0)

    dimension = table.iloc[5]
    expected = pd.read_csv(REFERENCE / "alpha_dimension.csv").iloc[0]
    assert dimension["n_items"] == 10
    assert dimension["alpha"] == pytest.approx(expected["raw_alpha"], abs=1e-10)
    assert dimension["alpha_ci_low"] == pytest.approx(expected["feldt_low"], abs=1e-10)
    assert dimension["omega_total"] == pytest.approx(expected["omega_total"], abs=1e-6)


def test_reliability_table_unknown_factor_raises(bfi_items):
    with pytest.raises(InputDataError) as error:
        reliability_table(bfi_items, KEY, {"D": ["A", "Z"]})
    assert "Dimension D names scale Z" in error.value.message("en")


@pytest.mark.parametrize("method", ["minres", "ml"])
def test_schmid_leiman_omega_matches_psych(bfi_items, method):
    expected = json.loads((REFERENCE / "omega_schmid_leiman.json").read_text())[method]
    result = omega_hierarchical(bfi_items, n_factors=5, method=method)
    # psych's oblimin stops at GPArotation's eps = 1e-5, which moves omega_h by about 1e-6.
    assert result.omega_hierarchical == pytest.approx(expected["omega_hierarchical"], abs=1e-5)
    assert result.omega_total == pytest.approx(expected["omega_total"], abs=1e-6)
    assert result.alpha == pytest.approx(expected["alpha"], abs=1e-12)

    items = pd.read_csv(REFERENCE / "omega_schmid_leiman_items.csv")
    items = items[items["fm"] == method].set_index("item")
    np.testing.assert_allclose(result.loadings["g"], items["g"].loc[result.loadings.index], atol=5e-5, rtol=0)
    np.testing.assert_allclose(result.loadings["h2"], items["h2"].loc[result.loadings.index], atol=1e-5, rtol=0)


def test_schmid_leiman_three_factors_matches_psych(bfi_items):
    expected = json.loads((REFERENCE / "omega_schmid_leiman.json").read_text())["minres_3"]
    result = omega_hierarchical(bfi_items[KEY["A"] + KEY["C"] + KEY["E"]], n_factors=3)
    assert result.omega_hierarchical == pytest.approx(expected["omega_hierarchical"], abs=1e-5)
    assert result.omega_total == pytest.approx(expected["omega_total"], abs=1e-6)


def test_schmid_leiman_table_is_consistent(bfi_items):
    result = omega_hierarchical(bfi_items, n_factors=5)
    table = result.loadings
    np.testing.assert_allclose(table["h2"] + table["u2"], 1.0, atol=1e-12, rtol=0)
    np.testing.assert_allclose(table["p2"], table["g"] ** 2 / table["h2"], atol=1e-12, rtol=0)
    assert 0 < result.omega_hierarchical < result.omega_total < 1


def test_omega_with_one_or_two_factors_warns(bfi_items):
    with pytest.warns(OmegaIdentificationWarning) as one:
        omega_hierarchical(bfi_items[KEY["N"]], n_factors=1)
    assert one[0].message.key == "psychometrics.warning.one_factor_omega"
    with pytest.warns(OmegaIdentificationWarning) as two:
        omega_hierarchical(bfi_items[KEY["A"] + KEY["N"]], n_factors=2)
    assert two[0].message.key == "psychometrics.warning.two_factor_omega"


def test_second_order_omega_matches_r():
    expected = json.loads((REFERENCE / "hs_cfa_omega.json").read_text())["second_order"]
    result = omega_second_order(
        pd.read_csv(REFERENCE / "hs_second_order_first.csv"), pd.read_csv(REFERENCE / "hs_second_order_second.csv")
    )
    assert result.omega_hierarchical == pytest.approx(expected["omega_hierarchical"], abs=1e-10)
    assert result.omega_total == pytest.approx(expected["omega_total"], abs=1e-10)
    assert result.n_items == 9


def test_bifactor_omega_matches_r():
    expected = json.loads((REFERENCE / "hs_cfa_omega.json").read_text())["bifactor"]
    result = omega_bifactor(pd.read_csv(REFERENCE / "hs_bifactor_loadings.csv"), general="g")
    assert result.omega_hierarchical == pytest.approx(expected["omega_hierarchical"], abs=1e-10)
    assert result.omega_total == pytest.approx(expected["omega_total"], abs=1e-10)


def test_bifactor_unknown_general_raises():
    loadings = pd.read_csv(REFERENCE / "hs_bifactor_loadings.csv")
    with pytest.raises(InputDataError) as error:
        omega_bifactor(loadings, general="G")
    assert "general names factor G" in error.value.message("en")


def test_second_order_bad_table_raises():
    with pytest.raises(InputDataError) as error:
        omega_second_order(pd.DataFrame({"lhs": ["a"]}), pd.DataFrame({"lhs": ["a"]}))
    assert "must have the columns factor, item, loading" in error.value.message("en")


def test_input_is_not_changed(bfi_items):
    before = bfi_items.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reliability_table(bfi_items, KEY)
        omega_hierarchical(bfi_items, n_factors=5)
    pd.testing.assert_frame_equal(bfi_items, before)


def test_reliability_table_on_lqp_sample(lqp, sample_path):
    from lqp_research.io import read_responses
    from lqp_research.scoring import item_scores

    items = item_scores(read_responses(sample_path, lqp), "nu")
    dimensions = {dimension.code: list(dimension.factors) for dimension in lqp.dimensions}
    table = reliability_table(items, lqp.scoring_key(), dimensions)
    assert list(table["scale"]) == list(lqp.factor_codes) + list(lqp.dimension_codes)
    assert list(table["n_items"]) == [10] * 9 + [30] * 3
    assert (table["n_respondents"] == len(items)).all()
    assert (table["alpha_ci_low"] < table["alpha"]).all()
    assert (table["alpha"] < table["alpha_ci_high"]).all()
    first_dimension = lqp.dimensions[0]
    union = [item for factor in first_dimension.factors for item in lqp.factor(factor).items]
    assert table.set_index("scale").loc[first_dimension.code, "alpha"] == pytest.approx(cronbach_alpha(items[union]).alpha)
