"""Item analysis against psych::describe and psych::alpha on psych's bfi data."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lqp_research.errors import InputDataError
from lqp_research.psychometrics import ItemThresholds, item_analysis
from lqp_research.psychometrics.items import ITEM_COLUMNS

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
def analysis(bfi_items) -> pd.DataFrame:
    return item_analysis(bfi_items, KEY, scale_min=1, scale_max=6)


def test_columns_are_fixed(analysis):
    assert list(analysis.columns) == ITEM_COLUMNS
    assert list(analysis["item"]) == [item for items in KEY.values() for item in items]


@pytest.mark.parametrize("column", ["n", "mean", "sd", "skew", "kurtosis"])
def test_describe_matches_psych(analysis, column):
    expected = pd.read_csv(REFERENCE / "describe.csv").set_index("item")[column]
    np.testing.assert_allclose(analysis.set_index("item")[column], expected.loc[analysis["item"]], rtol=0, atol=1e-10)


def test_item_rest_matches_psych_alpha(analysis):
    expected = pd.read_csv(REFERENCE / "alpha_items.csv")
    np.testing.assert_allclose(analysis["corrected_item_total"], expected["r_drop"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(analysis["alpha_if_item_deleted"], expected["alpha_if_deleted"], rtol=0, atol=1e-10)


def test_shares_on_small_data():
    items = pd.DataFrame({"a": [1, 1, 5, 3, np.nan], "b": [2, 3, 4, 5, 5]}, dtype=float)
    table = item_analysis(items, {"S": ["a", "b"]}, scale_min=1, scale_max=5).set_index("item")
    assert table.loc["a", "share_floor"] == pytest.approx(2 / 4)
    assert table.loc["a", "share_ceiling"] == pytest.approx(1 / 4)
    assert table.loc["a", "share_missing"] == pytest.approx(1 / 5)
    assert table.loc["b", "share_floor"] == 0
    assert table.loc["b", "share_ceiling"] == pytest.approx(2 / 5)
    assert table.loc["b", "n"] == 5


def test_scale_range_defaults_to_observed():
    items = pd.DataFrame({"a": [2.0, 2.0, 4.0], "b": [3.0, 4.0, 4.0]})
    table = item_analysis(items, {"S": ["a", "b"]}).set_index("item")
    assert table.loc["a", "share_floor"] == pytest.approx(2 / 3)
    assert table.loc["b", "share_ceiling"] == pytest.approx(2 / 3)


def test_noise_item_is_flagged():
    generator = np.random.default_rng(7)
    trait = generator.standard_normal(500)
    items = pd.DataFrame({f"i{n}": np.round(3 + trait + generator.standard_normal(500)) for n in range(4)})
    items["noise"] = np.round(3 + generator.standard_normal(500))
    table = item_analysis(items, {"S": list(items.columns)}, thresholds=ItemThresholds(max_floor_share=1, max_ceiling_share=1))
    noise = table.set_index("item").loc["noise"]
    assert noise["flag"]
    assert "low_item_total" in noise["reason"]
    assert "alpha_if_deleted_higher" in noise["reason"]
    assert not table.set_index("item").loc["i0", "flag"]


def test_thresholds_change_flags(bfi_items):
    lenient = ItemThresholds(max_floor_share=1, max_ceiling_share=1, min_corrected_item_total=0, alpha_increase=1)
    table = item_analysis(bfi_items, KEY, thresholds=lenient)
    assert not table["flag"].any()
    assert (table["reason"] == "").all()


def test_two_item_scale_has_no_alpha_if_deleted():
    items = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [1.0, 3.0, 2.0, 4.0]})
    table = item_analysis(items, {"S": ["a", "b"]})
    assert table["alpha_if_item_deleted"].isna().all()
    assert table["corrected_item_total"].iloc[0] == pytest.approx(0.8)


def test_input_is_not_changed(bfi_items):
    before = bfi_items.copy()
    item_analysis(bfi_items, KEY)
    pd.testing.assert_frame_equal(bfi_items, before)


def test_unknown_item_in_key_raises(bfi_items):
    with pytest.raises(InputDataError, match="X9") as error:
        item_analysis(bfi_items, {"A": ["A1", "X9"]})
    assert "X9" in error.value.message("en")
    assert "not columns of the data" in error.value.message("en")


def test_text_column_raises():
    items = pd.DataFrame({"a": ["1", "2"], "b": [1.0, 2.0]})
    with pytest.raises(InputDataError) as error:
        item_analysis(items, {"S": ["a", "b"]})
    assert "Column a of items is not numeric" in error.value.message("en")


def test_item_analysis_on_lqp_sample(lqp, sample_path):
    from lqp_research.io import read_responses
    from lqp_research.scoring import item_scores

    items = item_scores(read_responses(sample_path, lqp), "nu")
    table = item_analysis(items, lqp.scoring_key(), scale_min=lqp.scale.min, scale_max=lqp.scale.max)
    assert len(table) == 90
    assert list(table["item"]) == list(lqp.item_ids)
    assert table["share_floor"].between(0, 1).all()
    assert table["corrected_item_total"].between(-1, 1).all()


def test_constant_item_without_runtime_warning():
    items = pd.DataFrame({
        "a1": [1.0, 2, 3, 4, 5, 2], "a2": [2.0, 2, 3, 5, 4, 1], "a3": [3.0, 3, 3, 3, 3, 3],
    })

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        result = item_analysis(items, {"A": ["a1", "a2", "a3"]})

    row = result.set_index("item").loc["a3"]
    assert np.isnan(row["corrected_item_total"])
