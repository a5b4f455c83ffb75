"""``lqp validate`` end to end: files, columns, languages and every failure path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lqp_research.cli import main
from lqp_research.validation import FIT_COLUMNS

from mini_data import MINI_INSTRUMENT, simulate_export, write_export

REPOSITORY = Path(__file__).resolve().parents[2]
DEMO = REPOSITORY / "data" / "demo" / "demo_kommune.csv"
SAMPLE = REPOSITORY / "tests" / "data" / "samples" / "nordlys_kommune.csv"
CSV_FILES = ("fit.csv", "reliability.csv", "items.csv", "loadings.csv")


def validate(data: Path, out: Path, *options: str) -> int:
    return main(["validate", str(data), "--out", str(out), *options])


def assert_outputs(out: Path) -> str:
    assert (out / "validation.html").is_file()
    for name in CSV_FILES:
        assert (out / name).is_file(), name
    assert list(pd.read_csv(out / "fit.csv").columns) == list(FIT_COLUMNS)
    return (out / "validation.html").read_text(encoding="utf-8")


@pytest.fixture
def mini_export(tmp_path, mini):
    return write_export(simulate_export(mini, n=300), tmp_path / "mini.csv")


@pytest.mark.parametrize("estimator", ["ml", "mlr", "wlsmv"])
def test_mini_instrument_each_estimator(tmp_path, mini_export, estimator, capsys):
    out = tmp_path / "report"

    status = validate(mini_export, out, "--instrument", str(MINI_INSTRUMENT), "--estimator", estimator, "--lang", "en")

    assert status == 0
    html = assert_outputs(out)
    fit = pd.read_csv(out / "fit.csv")
    assert fit["model"].tolist() == ["M1", "M2", "M3", "M4", "M5"]
    assert (fit["estimator"] == estimator).all()
    assert fit["cfi"].between(0, 1).all()
    if estimator == "wlsmv":
        assert fit["aic"].isna().all()
        assert fit["bic"].isna().all()
    else:
        assert fit["aic"].notna().all()
    loadings = pd.read_csv(out / "loadings.csv")
    assert set(loadings["model"]) == {"M1", "M2", "M3", "M4", "M5"}
    assert loadings["se"].gt(0).all()
    assert "Confirmatory factor analysis" in html
    assert "Wrote" in capsys.readouterr().out


def test_mlr_fit_uses_scaled_and_robust_measures(tmp_path, mini_export):
    ml_out, mlr_out = tmp_path / "ml", tmp_path / "mlr"
    validate(mini_export, ml_out, "--instrument", str(MINI_INSTRUMENT), "--estimator", "ml", "--models", "M1,M3")
    validate(mini_export, mlr_out, "--instrument", str(MINI_INSTRUMENT), "--estimator", "mlr", "--models", "M1,M3")

    ml = pd.read_csv(ml_out / "fit.csv")
    mlr = pd.read_csv(mlr_out / "fit.csv")

    assert np.allclose(ml["df"], mlr["df"])
    assert np.allclose(ml["aic"], mlr["aic"])
    assert not np.allclose(ml["chisq"], mlr["chisq"])


def test_danish_is_default_and_english_on_request(tmp_path, mini_export):
    validate(mini_export, tmp_path / "da", "--instrument", str(MINI_INSTRUMENT), "--models", "M3")
    validate(mini_export, tmp_path / "en", "--instrument", str(MINI_INSTRUMENT), "--models", "M3", "--lang", "en")

    danish = (tmp_path / "da" / "validation.html").read_text(encoding="utf-8")
    english = (tmp_path / "en" / "validation.html").read_text(encoding="utf-8")

    assert '<html lang="da">' in danish
    assert "Konfirmatorisk faktoranalyse" in danish
    assert '<html lang="en">' in english
    assert "Confirmatory factor analysis" in english
    assert "Konfirmatorisk" not in english


def test_too_few_respondents_for_models(tmp_path, mini, capsys):
    data = write_export(simulate_export(mini, n=14), tmp_path / "tiny.csv")
    out = tmp_path / "report"

    status = validate(data, out, "--instrument", str(MINI_INSTRUMENT), "--lang", "en", "--missing", "listwise")

    assert status == 0
    html = assert_outputs(out)
    message = "Only 14 of 14 respondents answered all 16 items"
    assert message in html
    assert message in capsys.readouterr().err
    assert pd.read_csv(out / "fit.csv").empty
    assert "Item analysis" in html
    assert not pd.read_csv(out / "reliability.csv").empty


def test_listwise_deletion_below_items_with_fallbacks(tmp_path, mini):
    data = write_export(simulate_export(mini, n=120, missing_share=0.15), tmp_path / "gaps.csv")

    validate(data, tmp_path / "ml", "--instrument", str(MINI_INSTRUMENT), "--lang", "en", "--missing", "listwise")
    validate(data, tmp_path / "fiml", "--instrument", str(MINI_INSTRUMENT), "--lang", "en")
    validate(data, tmp_path / "wlsmv", "--instrument", str(MINI_INSTRUMENT), "--lang", "en",
             "--estimator", "wlsmv", "--missing", "pairwise")

    listwise_html = (tmp_path / "ml" / "validation.html").read_text(encoding="utf-8")
    assert "CFA with listwise deletion needs more complete respondents than items" in listwise_html
    assert pd.read_csv(tmp_path / "ml" / "fit.csv").empty
    fiml_fit = pd.read_csv(tmp_path / "fiml" / "fit.csv")
    assert len(fiml_fit) == 5
    assert fiml_fit["chisq"].notna().all()
    fiml_html = (tmp_path / "fiml" / "validation.html").read_text(encoding="utf-8")
    assert "FIML (every answer)" in fiml_html
    assert "needs more complete respondents" not in fiml_html
    pairwise_fit = pd.read_csv(tmp_path / "wlsmv" / "fit.csv")
    assert len(pairwise_fit) == 5
    pairwise_html = (tmp_path / "wlsmv" / "validation.html").read_text(encoding="utf-8")
    assert "pairwise deletion" in pairwise_html


def test_duplicated_item_is_reported(tmp_path, mini, capsys):
    frame = simulate_export(mini, n=200)
    frame["FA02_nu"] = frame["FA01_nu"]
    data = write_export(frame, tmp_path / "duplicated.csv")
    out = tmp_path / "report"

    validate(data, out, "--instrument", str(MINI_INSTRUMENT), "--models", "M3", "--lang", "en")

    html = assert_outputs(out)
    message = "Items FA01, FA02 are perfectly correlated in group all"
    assert message in html
    assert message in capsys.readouterr().err
    assert not pd.read_csv(out / "items.csv").empty


def test_constant_item_is_reported(tmp_path, mini, capsys):
    frame = simulate_export(mini, n=200)
    frame["FB03_nu"] = 3
    data = write_export(frame, tmp_path / "constant.csv")
    out = tmp_path / "report"

    validate(data, out, "--instrument", str(MINI_INSTRUMENT), "--models", "M3", "--lang", "en")

    html = assert_outputs(out)
    err = capsys.readouterr().err
    assert "Item FB03 has no variance and is left out of the computation." in html
    assert "Item(s) FB03 have the same answer for everyone in group all" in html
    assert "FB03" in err
    assert not pd.read_csv(out / "reliability.csv").empty


def test_negative_variance_is_reported(tmp_path, mini, capsys):
    # Two near-identical items and two unrelated ones on factor FA make the ML
    # solution put a negative residual variance on one of the twins.
    frame = simulate_export(mini, n=250, seed=3)
    rng = np.random.default_rng(7)
    base = rng.normal(size=250)
    twin = np.clip(np.round(3 + 1.2 * base), 1, 5)
    frame["FA01_nu"] = twin
    frame["FA02_nu"] = np.where(rng.random(250) < 0.03, np.clip(twin + 1, 1, 5), twin)
    frame["FA03_nu"] = np.clip(np.round(3 + 1.2 * (0.25 * base + rng.normal(size=250))), 1, 5)
    frame["FA04_nu"] = 6 - np.clip(np.round(3 + 1.2 * (0.25 * base + rng.normal(size=250))), 1, 5)
    data = write_export(frame, tmp_path / "heywood.csv")
    out = tmp_path / "report"

    validate(data, out, "--instrument", str(MINI_INSTRUMENT), "--models", "M3", "--lang", "en")

    html = assert_outputs(out)
    assert "Heywood case" in html
    assert "Heywood case" in capsys.readouterr().err
    assert len(pd.read_csv(out / "fit.csv")) == 1


def test_unknown_group_column_fails_cleanly(tmp_path, mini_export, capsys):
    status = validate(mini_export, tmp_path / "report", "--instrument", str(MINI_INSTRUMENT), "--group", "afdeling",
                      "--lang", "en")

    assert status == 1
    assert "Grouping column 'afdeling' is not in the data" in capsys.readouterr().err
    assert not (tmp_path / "report").exists()


def test_invariance_across_groups(tmp_path, mini_export):
    out = tmp_path / "report"

    validate(mini_export, out, "--instrument", str(MINI_INSTRUMENT), "--group", "team", "--models", "M3", "--lang", "en")

    html = (out / "validation.html").read_text(encoding="utf-8")
    assert "Measurement invariance" in html
    assert "Configural" in html
    assert "Scalar" in html


def test_demo_data_with_listwise_reports_loss(tmp_path, capsys):
    out = tmp_path / "demo"

    status = validate(DEMO, out, "--missing", "listwise")

    assert status == 0
    html = assert_outputs(out)
    assert "Kun 62 af 297 respondenter har svaret på alle 90 items" in html
    assert "Kun 62 af 297" in capsys.readouterr().err
    assert "Eksplorativ faktoranalyse" in html
    assert len(pd.read_csv(out / "items.csv")) == 90


def test_demo_data_with_ml_uses_fiml(tmp_path):
    out = tmp_path / "demo"

    status = validate(DEMO, out, "--models", "M3", "--lang", "en")

    assert status == 0
    html = assert_outputs(out)
    fit = pd.read_csv(out / "fit.csv")
    assert fit["model"].tolist() == ["M3"]
    assert fit["cfi"].between(0.0, 1.0).all()
    assert "FIML (every answer)" in html
    assert "Only 62 of 297" not in html
    loadings = pd.read_csv(out / "loadings.csv")
    assert len(loadings[loadings["model"] == "M3"]) == 90
    assert loadings["se"].notna().all()


def test_fiml_with_wlsmv_falls_back_to_listwise(tmp_path, mini, capsys):
    data = write_export(simulate_export(mini, n=200, missing_share=0.01), tmp_path / "few_gaps.csv")
    out = tmp_path / "report"

    validate(data, out, "--instrument", str(MINI_INSTRUMENT), "--lang", "en", "--models", "M3",
             "--estimator", "wlsmv", "--missing", "fiml")

    html = assert_outputs(out)
    assert "FIML exists only with ML and MLR" in html
    assert "listwise deletion" in html


def test_demo_data_with_wlsmv_pairwise(tmp_path):
    out = tmp_path / "demo"

    # Two models keep the test short; the full five-model run is timed by hand.
    status = validate(DEMO, out, "--estimator", "wlsmv", "--missing", "pairwise", "--models", "M3,M4", "--lang", "en")

    assert status == 0
    assert_outputs(out)
    fit = pd.read_csv(out / "fit.csv")
    assert fit["model"].tolist() == ["M3", "M4"]
    assert (fit["estimator"] == "wlsmv").all()
    loadings = pd.read_csv(out / "loadings.csv")
    assert len(loadings[loadings["model"] == "M3"]) == 90


@pytest.mark.parametrize(("estimator", "models"), [("ml", "M1,M2,M3,M4,M5"), ("mlr", "M3"), ("wlsmv", "M3")])
def test_sample_export_each_estimator(tmp_path, estimator, models):
    out = tmp_path / "nordlys"

    status = validate(SAMPLE, out, "--estimator", estimator, "--models", models, "--lang", "en")

    assert status == 0
    html = assert_outputs(out)
    fit = pd.read_csv(out / "fit.csv")
    assert fit["model"].tolist() == models.split(",")
    assert "101" in html  # respondents without a missing answer, used by every listwise fit


def test_fit_table_names_index_variant(tmp_path, mini):
    data = write_export(simulate_export(mini, n=150, missing_share=0.05), tmp_path / "gaps.csv")

    validate(data, tmp_path / "fiml", "--instrument", str(MINI_INSTRUMENT), "--lang", "en", "--estimator", "mlr",
             "--models", "M1,M3")
    validate(data, tmp_path / "wlsmv", "--instrument", str(MINI_INSTRUMENT), "--lang", "en", "--estimator", "wlsmv",
             "--models", "M1,M3")

    fiml_html = (tmp_path / "fiml" / "validation.html").read_text(encoding="utf-8")
    assert "CFI, TLI and RMSEA of M1, M3: scaled (robust not available)." in fiml_html
    fiml_fit = pd.read_csv(tmp_path / "fiml" / "fit.csv")
    assert list(fiml_fit.columns) == list(FIT_COLUMNS)
    assert fiml_fit["cfi"].notna().all()
    wlsmv_html = (tmp_path / "wlsmv" / "validation.html").read_text(encoding="utf-8")
    assert "CFI, TLI and RMSEA of M1, M3: robust." in wlsmv_html
    assert pd.read_csv(tmp_path / "wlsmv" / "fit.csv")["rmsea"].notna().all()
