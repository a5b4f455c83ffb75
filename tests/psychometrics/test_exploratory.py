"""KMO, Bartlett, parallel analysis, MAP, EFA and rotations against psych 2.2.9 and GPArotation."""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lqp_research.errors import InputDataError
from lqp_research.psychometrics import (
    ConvergenceWarning,
    HeywoodCaseWarning,
    align_factors,
    bartlett_sphericity,
    efa,
    factor_congruence,
    key_matrix,
    kmo,
    match_factors,
    oblimin,
    parallel_analysis,
    promax,
    target_rotation,
    varimax,
    velicer_map,
)
from lqp_research.psychometrics.exploratory import extract_factors

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "reference" / "psych"
REVERSED = ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]
KEY = {scale: [f"{scale}{number}" for number in range(1, 6)] for scale in "ACENO"}

# Tolerances (absolute). psych's L-BFGS-B stops about 1e-6 from the minimum of the
# extraction criterion, and GPArotation (called by psych::fa) stops oblimin at a
# gradient norm of 1e-5, which leaves the loadings about 2e-5 from the minimum.
EXTRACTION_TOLERANCE = 2e-5
OBLIMIN_TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def bfi_items() -> pd.DataFrame:
    items = pd.read_csv(ROOT / "data" / "public" / "bfi.csv").iloc[:, :25]
    items[REVERSED] = 7 - items[REVERSED]
    return items


def reference_matrix(table: pd.DataFrame, value: str, index: pd.Index) -> pd.DataFrame:
    wide = table.pivot(index="item", columns="factor", values=value).loc[index]
    wide.columns = [f"R{column}" for column in wide.columns]
    return wide


# Sampling adequacy, sphericity, number of factors ---------------------------------


def test_kmo_matches_psych(bfi_items):
    result = kmo(bfi_items)
    expected = json.loads((REFERENCE / "kmo_bartlett.json").read_text())
    per_item = pd.read_csv(REFERENCE / "kmo_items.csv")
    assert result.overall == pytest.approx(expected["kmo_overall"], abs=1e-12)
    assert list(result.items["item"]) == list(per_item["item"])
    np.testing.assert_allclose(result.items["msa"], per_item["msa"], atol=1e-12, rtol=0)


def test_bartlett_matches_psych(bfi_items):
    result = bartlett_sphericity(bfi_items)
    expected = json.loads((REFERENCE / "kmo_bartlett.json").read_text())
    assert result.chi_square == pytest.approx(expected["bartlett_chisq"], rel=1e-12)
    assert result.df == expected["bartlett_df"]
    assert result.p_value == pytest.approx(expected["bartlett_p"], abs=1e-300)
    assert result.n_respondents == expected["n"]


def test_singular_correlation_raises(bfi_items):
    items = bfi_items[KEY["A"]].copy()
    items["copy"] = items["A1"] + items["A2"]
    with pytest.raises(InputDataError) as error:
        bartlett_sphericity(items.dropna())
    assert "singular" in error.value.message("en")


def test_velicer_map_matches_psych(bfi_items):
    result = velicer_map(bfi_items, max_factors=8)
    expected = pd.read_csv(REFERENCE / "velicer_map.csv")
    assert list(result.table["n_factors"]) == list(expected["n_factors"])
    np.testing.assert_allclose(result.table["map_squared"], expected["map_squared"], atol=1e-14, rtol=1e-10)
    np.testing.assert_allclose(result.table["map_fourth"], expected["map_fourth"], atol=1e-14, rtol=1e-10)
    assert result.n_factors_squared == int(expected["n_factors"][expected["map_squared"].idxmin()])
    assert result.n_factors_fourth == int(expected["n_factors"][expected["map_fourth"].idxmin()])


def test_parallel_analysis_matches_psych(bfi_items):
    result = parallel_analysis(bfi_items, n_iter=20, random_state=20240101)
    expected = pd.read_csv(REFERENCE / "parallel.csv")
    summary = json.loads((REFERENCE / "parallel.json").read_text())
    np.testing.assert_allclose(result.table["pc_observed"], expected["pc_observed"], atol=1e-12, rtol=0)
    np.testing.assert_allclose(result.table["fa_observed"], expected["fa_observed"], atol=EXTRACTION_TOLERANCE, rtol=0)
    # Simulated eigenvalues are random; 20 draws put their means within these bounds of psych's.
    np.testing.assert_allclose(result.table["pc_simulated_mean"], expected["pc_simulated_mean"], atol=0.03, rtol=0)
    np.testing.assert_allclose(result.table["fa_simulated_mean"], expected["fa_simulated_mean"], atol=0.1, rtol=0)
    assert result.n_factors == summary["nfact"]
    assert result.n_components == summary["ncomp"]


def test_parallel_analysis_is_reproducible(bfi_items):
    first = parallel_analysis(bfi_items[KEY["A"] + KEY["N"]], kind="pc", n_iter=5, random_state=2)
    second = parallel_analysis(bfi_items[KEY["A"] + KEY["N"]], kind="pc", n_iter=5, random_state=2)
    pd.testing.assert_frame_equal(first.table, second.table)
    assert first.n_factors is None
    assert first.table["fa_observed"].isna().all()


def test_parallel_analysis_mean_threshold(bfi_items):
    result = parallel_analysis(bfi_items[KEY["A"] + KEY["N"]], kind="pc", n_iter=5, quantile=None, random_state=2)
    np.testing.assert_allclose(result.table["pc_simulated_threshold"], result.table["pc_simulated_mean"])
    assert result.n_components == 2


def test_parallel_analysis_bad_quantile_raises(bfi_items):
    with pytest.raises(InputDataError) as error:
        parallel_analysis(bfi_items, quantile=95)
    assert "quantile=95 is outside the allowed range" in error.value.message("en")


# Exploratory factor analysis --------------------------------------------------------

EFA_CASES = [
    ("minres", "oblimin", OBLIMIN_TOLERANCE),
    ("minres", "promax", EXTRACTION_TOLERANCE),
    ("minres", "varimax", EXTRACTION_TOLERANCE),
    ("minres", "none", EXTRACTION_TOLERANCE),
    ("ml", "oblimin", OBLIMIN_TOLERANCE),
    ("ml", "promax", EXTRACTION_TOLERANCE),
    ("ml", "varimax", EXTRACTION_TOLERANCE),
    ("ml", "none", EXTRACTION_TOLERANCE),
]


@pytest.mark.parametrize(("method", "rotation", "tolerance"), EFA_CASES)
def test_efa_matches_psych(bfi_items, method, rotation, tolerance):
    result = efa(bfi_items, 5, method=method, rotation=None if rotation == "none" else rotation)
    selected = lambda table: table[(table["fm"] == method) & (table["rotation"] == rotation)]  # noqa: E731
    loadings = selected(pd.read_csv(REFERENCE / "efa_loadings.csv"))
    expected_pattern = reference_matrix(loadings, "loading", result.loadings.index)
    expected_structure = reference_matrix(loadings, "structure", result.loadings.index)

    matching = match_factors(result.loadings, expected_pattern)
    # psych sorts factors by explained variance and makes column sums positive; so do we.
    assert list(matching["factor"]) == list(result.loadings.columns)
    assert (matching["sign"] == 1).all()
    aligned = align_factors(result.loadings, expected_pattern)
    np.testing.assert_allclose(aligned, expected_pattern, atol=tolerance, rtol=0)
    structure = result.structure[matching["factor"]].to_numpy() * matching["sign"].to_numpy()
    np.testing.assert_allclose(structure, expected_structure, atol=tolerance, rtol=0)

    items = selected(pd.read_csv(REFERENCE / "efa_items.csv")).set_index("item").loc[result.loadings.index]
    np.testing.assert_allclose(result.communalities, items["communality"], atol=EXTRACTION_TOLERANCE, rtol=0)
    np.testing.assert_allclose(result.uniquenesses, items["uniqueness"], atol=EXTRACTION_TOLERANCE, rtol=0)

    variance = selected(pd.read_csv(REFERENCE / "efa_variance.csv"))
    np.testing.assert_allclose(result.variance["ss_loadings"], variance["ss_loadings"], atol=25 * tolerance, rtol=0)
    np.testing.assert_allclose(result.variance["cumulative_var"], variance["cumulative_var"], atol=tolerance, rtol=0)

    phi = selected(pd.read_csv(REFERENCE / "efa_phi.csv"))
    if len(phi):
        expected_phi = phi.pivot(index="row", columns="col", values="phi").to_numpy()
        order = [result.loadings.columns.get_loc(factor) for factor in matching["factor"]]
        np.testing.assert_allclose(result.factor_correlations.to_numpy()[np.ix_(order, order)], expected_phi, atol=tolerance, rtol=0)
    else:
        np.testing.assert_allclose(result.factor_correlations, np.eye(5), atol=1e-12)


def test_efa_common_eigenvalues_sum_to_communalities(bfi_items):
    result = efa(bfi_items, 5)
    assert result.eigenvalues["common"].sum() == pytest.approx(result.communalities.sum(), abs=1e-10)
    assert result.eigenvalues["observed"].sum() == pytest.approx(25, abs=1e-10)
    assert result.converged


def test_congruence_with_key_matches_psych(bfi_items):
    result = efa(bfi_items, 5)
    target = key_matrix(KEY, bfi_items.columns)
    expected = pd.read_csv(REFERENCE / "congruence.csv").drop(columns="factor").to_numpy()
    np.testing.assert_allclose(factor_congruence(result.loadings, target), expected, atol=OBLIMIN_TOLERANCE, rtol=0)


def test_match_factors_pairs_each_scale(bfi_items):
    result = efa(bfi_items, 5)
    matching = match_factors(result.loadings, key_matrix(KEY, bfi_items.columns))
    assert list(matching["target"]) == list(KEY)
    assert matching["factor"].is_unique
    assert (matching["congruence"] > 0.8).all()


def test_simulated_structure_is_recovered():
    generator = np.random.default_rng(42)
    true_loadings = np.zeros((12, 3))
    for factor in range(3):
        true_loadings[4 * factor : 4 * factor + 4, factor] = [0.8, 0.7, 0.6, 0.7]
    true_phi = np.array([[1.0, 0.3, 0.2], [0.3, 1.0, 0.4], [0.2, 0.4, 1.0]])
    scores = generator.multivariate_normal(np.zeros(3), true_phi, size=2000)
    noise = generator.standard_normal((2000, 12)) * np.sqrt(1 - np.diag(true_loadings @ true_phi @ true_loadings.T))
    items = pd.DataFrame(scores @ true_loadings.T + noise, columns=[f"v{n}" for n in range(12)])
    target = pd.DataFrame(true_loadings, index=items.columns, columns=["F1", "F2", "F3"])

    result = efa(items, 3, method="ml", rotation="oblimin")
    matching = match_factors(result.loadings, target)
    assert (matching["congruence"].abs() > 0.98).all()
    aligned = align_factors(result.loadings, target)
    np.testing.assert_allclose(aligned, true_loadings, atol=0.08, rtol=0)
    order = [result.loadings.columns.get_loc(factor) for factor in matching["factor"]]
    signs = matching["sign"].to_numpy()
    phi = result.factor_correlations.to_numpy()[np.ix_(order, order)] * np.outer(signs, signs)
    np.testing.assert_allclose(phi, true_phi, atol=0.08, rtol=0)


def test_efa_bad_arguments_raise(bfi_items):
    with pytest.raises(InputDataError) as error:
        efa(bfi_items, 5, method="pa")
    assert "method='pa' is not valid; choose one of: 'minres', 'ml'" in error.value.message("en")
    with pytest.raises(InputDataError) as error:
        efa(bfi_items, 25)
    assert "n_factors=25 is outside the allowed range [1, 24]" in error.value.message("en")
    with pytest.raises(InputDataError) as error:
        efa(bfi_items, 2, rotation="geomin")
    assert "rotation='geomin' is not valid" in error.value.message("en")


def test_heywood_case_warns():
    correlation = np.array([[1.0, 0.9, 0.9], [0.9, 1.0, 0.81], [0.9, 0.81, 1.0]])
    with pytest.warns(HeywoodCaseWarning) as record:
        extract_factors(correlation, 1, "ml")
    assert record[0].message.params == {"items": "1"}


def test_efa_does_not_change_input(bfi_items):
    before = bfi_items.copy()
    efa(bfi_items, 3)
    pd.testing.assert_frame_equal(bfi_items, before)


# Rotations on psych's unrotated minres loadings ------------------------------------------


@pytest.fixture(scope="module")
def unrotated() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "unrotated_minres.csv", index_col="item")


def reference_rotation(name: str, index: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    loadings = pd.read_csv(REFERENCE / "rotation_loadings.csv")
    loadings = loadings[loadings["rotation"] == name].pivot(index="item", columns="factor", values="loading")
    phi = pd.read_csv(REFERENCE / "rotation_phi.csv")
    phi = phi[phi["rotation"] == name].pivot(index="row", columns="col", values="phi")
    return loadings.loc[index].to_numpy(), phi.to_numpy()


ROTATION_CASES = [
    ("oblimin", lambda loadings: oblimin(loadings)),
    ("targetQ", lambda loadings: target_rotation(loadings, key_matrix(KEY, loadings.index))),
    ("Promax", lambda loadings: promax(loadings, normalize=False)),
    ("promax_kaiser", lambda loadings: promax(loadings)),
    ("varimax", lambda loadings: varimax(loadings, eps=1e-10)),
]


@pytest.mark.parametrize(("name", "rotate"), ROTATION_CASES, ids=[case[0] for case in ROTATION_CASES])
def test_rotation_matches_r(unrotated, name, rotate):
    result = rotate(unrotated)
    expected_loadings, expected_phi = reference_rotation(name, unrotated.index)
    # Same starting point and algorithm as GPArotation (eps = 1e-6 in the R script),
    # so the unaligned matrices agree.
    np.testing.assert_allclose(result.loadings, expected_loadings, atol=1e-6, rtol=0)
    np.testing.assert_allclose(result.factor_correlations, expected_phi, atol=1e-6, rtol=0)


@pytest.mark.parametrize(("name", "rotate"), ROTATION_CASES, ids=[case[0] for case in ROTATION_CASES])
def test_rotation_keeps_communalities(unrotated, name, rotate):
    result = rotate(unrotated)
    pattern = result.loadings.to_numpy()
    communalities = np.diag(pattern @ result.factor_correlations.to_numpy() @ pattern.T)
    np.testing.assert_allclose(communalities, (unrotated.to_numpy() ** 2).sum(axis=1), atol=1e-10, rtol=0)


def test_rotation_matrix_reproduces_pattern(unrotated):
    result = oblimin(unrotated)
    rebuilt = unrotated.to_numpy() @ np.linalg.inv(result.rotation_matrix).T
    np.testing.assert_allclose(rebuilt, result.loadings, atol=1e-12)
    promax_result = promax(unrotated)
    rebuilt = unrotated.to_numpy() @ np.linalg.inv(promax_result.rotation_matrix).T
    np.testing.assert_allclose(rebuilt, promax_result.loadings, atol=1e-10)


def test_rotation_without_convergence_warns(unrotated):
    with pytest.warns(ConvergenceWarning) as record:
        result = oblimin(unrotated, max_iter=2)
    assert not result.converged
    assert record[0].message.key == "psychometrics.warning.rotation_not_converged"


def test_target_shape_mismatch_raises(unrotated):
    with pytest.raises(InputDataError) as error:
        target_rotation(unrotated, np.ones((3, 5)))
    assert "The target matrix has shape (3, 5)" in error.value.message("en")


def test_one_factor_is_not_rotated(unrotated):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = oblimin(unrotated.iloc[:, :1])
    np.testing.assert_array_equal(result.loadings, unrotated.iloc[:, :1])
