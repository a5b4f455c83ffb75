"""``lqp validate`` end to end: files, columns, languages and every failure path."""

from __future__ import annotations

from pathlib import Path

import warnings

import numpy as np
import pandas as pd
import pytest

from lqp_research.cli import main
from lqp_research.i18n import translate
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
    err = capsys.readouterr().err
    message = "Only 14 respondents answered, but there are 16 items."
    assert message in html
    assert f"Error [Sample and missing answers]: {message}" in err
    assert "linear combinations" not in html
    assert "group all" not in html
    assert "Not computed: there are no more respondents than items" in html
    assert pd.read_csv(out / "fit.csv").empty
    assert "Item analysis" in html
    assert not pd.read_csv(out / "reliability.csv").empty


@pytest.mark.parametrize("lang", ["en", "da"])
def test_few_respondents_blank_statistics(tmp_path, mini, lang):
    data = write_export(simulate_export(mini, n=10), tmp_path / "tiny.csv")
    out = tmp_path / "report"

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        validate(data, out, "--instrument", str(MINI_INSTRUMENT), "--lang", lang)

    html = (out / "validation.html").read_text(encoding="utf-8")
    bartlett = "Bartlett&#39;s test" if lang == "en" else "Bartletts test"
    map_label = "MAP (squared partials)" if lang == "en" else "MAP (kvadrerede partielle)"
    assert f"{bartlett}</dt><dd>–<" in html
    assert f"{map_label}</dt><dd>–<" in html
    assert "χ² =" not in html
    assert "HTMT (heterotrait" not in html


def test_stderr_names_severity(tmp_path, mini, capsys):
    data = write_export(simulate_export(mini, n=10), tmp_path / "tiny.csv")

    validate(data, tmp_path / "report", "--instrument", str(MINI_INSTRUMENT))

    captured = capsys.readouterr()
    assert captured.err.startswith("Fejl [Stikprøve og manglende svar]: Kun 10 respondenter har svaret")
    assert "1 fejl og 0 advarsler" in captured.out


def test_singular_matrix_skips_inverse_statistics(tmp_path, mini, capsys):
    frame = simulate_export(mini, n=200)
    # FA03 = FA01 + FA02 - 1 on answers 1-3: an exact linear dependency without a copied column.
    rng = np.random.default_rng(11)
    frame["FA01_nu"] = rng.integers(1, 4, size=len(frame))
    frame["FA02_nu"] = rng.integers(1, 4, size=len(frame))
    frame["FA03_nu"] = frame["FA01_nu"] + frame["FA02_nu"] - 1
    data = write_export(frame, tmp_path / "singular.csv")
    out = tmp_path / "report"

    validate(data, out, "--instrument", str(MINI_INSTRUMENT), "--lang", "da", "--models", "M3")

    html = (out / "validation.html").read_text(encoding="utf-8")
    assert "Korrelationsmatricen for de 16 items er singulær" in html
    assert "e-" not in html.split("Korrelationsmatricen for de 16 items er singulær")[1][:80]
    assert "χ² =" not in html
    assert "Fejl [Stikprøve og manglende svar]" in capsys.readouterr().err


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


def test_duplicated_item_is_dropped(tmp_path, mini, capsys):
    frame = simulate_export(mini, n=200)
    frame["FA02_nu"] = frame["FA01_nu"]
    data = write_export(frame, tmp_path / "duplicated.csv")
    out = tmp_path / "report"

    validate(data, out, "--instrument", str(MINI_INSTRUMENT), "--models", "M3", "--lang", "en")

    html = assert_outputs(out)
    err = capsys.readouterr().err
    message = "These items have exactly the same answers in every row: FA02 = FA01. Left out of reliability, KMO"
    assert message in html
    assert message in err
    assert "group all" not in html
    assert "Items left out" in html
    items = pd.read_csv(out / "items.csv")
    assert "FA02" in set(items["item"])
    loadings = pd.read_csv(out / "loadings.csv")
    assert "FA02" not in set(loadings["indicator"])
    assert "FA01" in set(loadings["indicator"])
    assert len(pd.read_csv(out / "fit.csv")) == 1
    assert "χ² =" in html


def test_constant_item_is_dropped(tmp_path, mini, capsys):
    frame = simulate_export(mini, n=200)
    frame["FB03_nu"] = 3
    data = write_export(frame, tmp_path / "constant.csv")
    out = tmp_path / "report"

    validate(data, out, "--instrument", str(MINI_INSTRUMENT), "--models", "M3", "--lang", "en")

    html = assert_outputs(out)
    err = capsys.readouterr().err
    message = "Every respondent gave the same answer to FB03 (no variance). Left out of reliability, KMO"
    assert message in html
    assert message in err
    assert "group all" not in html
    reliability = pd.read_csv(out / "reliability.csv")
    assert not reliability.empty
    fit = pd.read_csv(out / "fit.csv")
    assert len(fit) == 1
    assert "FB03" not in set(pd.read_csv(out / "loadings.csv")["indicator"])


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


def test_htmt_few_complete_cases_note(tmp_path, mini):
    data = write_export(simulate_export(mini, n=60), tmp_path / "sixty.csv")
    out = tmp_path / "report"

    validate(data, out, "--instrument", str(MINI_INSTRUMENT), "--lang", "en", "--models", "M3")

    html = (out / "validation.html").read_text(encoding="utf-8")
    assert "HTMT rests on only 60 respondents without missing answers (fewer than 100)" in html


def test_reliability_n_single_number(tmp_path, mini_export):
    out = tmp_path / "report"

    validate(mini_export, out, "--instrument", str(MINI_INSTRUMENT), "--models", "M3")

    html = (out / "validation.html").read_text(encoding="utf-8")
    assert "300–300" not in html
    assert "<td>300</td>" in html


def test_help_metavars_in_danish(capsys):
    with pytest.raises(SystemExit):
        main(["validate", "--help"])

    help_text = capsys.readouterr().out
    assert "--out MAPPE" in help_text
    assert "--group KOLONNE" in help_text
    assert "--models LISTE" in help_text
    assert " DIR" not in help_text


def test_danish_wording_of_notes():
    assert translate("validate.count.warning_one", "da", n=1) == "1 advarsel"
    assert translate("validate.count.note_one", "da", n=1) == "1 bemærkning"
    assert translate("validate.count.warning_other", "da", n=2) == "2 advarsler"
    assert "det forventede fald" in translate("validate.cfa.mi_note", "da")
    assert translate("validate.note.no_difference_test_wlsmv", "da").startswith("χ²-differenstest")


def test_htmt_above_one_note(tmp_path, mini):
    # FAi and FBi share an item-specific part, so FA and FB items correlate more
    # across the two factors than within each, which puts HTMT(FA, FB) above 1.
    frame = simulate_export(mini, n=300, seed=5)
    rng = np.random.default_rng(3)
    common = rng.normal(size=300)
    for number in range(1, 5):
        specific = rng.normal(size=300)
        for factor in ("FA", "FB"):
            item = f"{factor}0{number}"
            raw = np.clip(np.round(3 + 0.9 * (specific + 0.5 * common) + 0.3 * rng.normal(size=300)), 1, 5)
            frame[f"{item}_nu"] = 6 - raw if item in mini.reverse_item_ids else raw
    data = write_export(frame, tmp_path / "crossed.csv")
    out = tmp_path / "report"

    validate(data, out, "--instrument", str(MINI_INSTRUMENT), "--lang", "en", "--models", "M1")

    html = (out / "validation.html").read_text(encoding="utf-8")
    assert "HTMT values above 1 mean that items correlate more with another factor" in html
