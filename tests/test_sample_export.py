"""The sample export scores to its expected values in every supported format."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from lqp_research import score
from lqp_research.cli import main
from tests.conftest import assert_group_scores_equal

DANISH_LABELS = ["Helt uenig", "Uenig", "Hverken enig eller uenig", "Enig", "Helt enig"]


def answer_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c.endswith(("_nu", "_onske"))]


def test_cli_reproduces_expected_scores(tmp_path, sample_path, sample_expected, sample_summary):
    out, summary = tmp_path / "scores.csv", tmp_path / "summary.json"

    status = main(["score", str(sample_path), "--out", str(out), "--summary", str(summary)])

    assert status == 0
    written = pd.read_csv(out, keep_default_na=False, na_values=[""])
    assert list(written.columns) == ["level", "group", "scale", "measure", "n", "mean", "sd", "ci_low", "ci_high", "suppressed"]
    assert len(written) == len(sample_expected) == 360
    assert_group_scores_equal(written, sample_expected)
    assert json.loads(summary.read_text(encoding="utf-8")) == sample_summary


def test_suppressed_rows_blank_but_keep_n(tmp_path, sample_path):
    out = tmp_path / "scores.csv"
    main(["score", str(sample_path), "--out", str(out)])

    rows = pd.read_csv(out, keep_default_na=False, na_values=[""]).query("group == 'Ledelsen'")

    assert (rows["suppressed"] == True).all()  # noqa: E712 - pandas reads "true" as bool
    assert (rows["n"] > 0).all()
    assert rows[["mean", "sd", "ci_low", "ci_high"]].isna().all().all()


def test_kept_duplicate_is_latest(sample_path):
    result = score(sample_path)

    row = result.clean.data.query("respondent_id == 'NK-79825'")

    assert len(row) == 1
    assert str(row["submitted_at"].iloc[0]) == "2024-10-21 13:02:07"


def test_semicolon_cp1252_with_labels(tmp_path, sample_raw, sample_expected):
    frame = sample_raw.copy()
    rng = np.random.default_rng(1)
    for column in answer_columns(frame):
        cells = frame[column]
        labelled = cells.map(lambda x: DANISH_LABELS[int(x) - 1] if x else "")
        # Vary case and surrounding spaces, and write missing as "Ved ikke" or "NA".
        style = rng.integers(0, 3, size=len(cells))
        labelled = np.where(style == 0, labelled.str.upper(), np.where(style == 1, "  " + labelled.str.lower() + " ", labelled))
        missing = np.where(rng.random(len(cells)) < 0.5, "Ved ikke", "NA")
        frame[column] = np.where(cells == "", missing, labelled)
    path = tmp_path / "export.csv"
    frame.to_csv(path, sep=";", index=False, encoding="cp1252")

    result = score(path)

    assert result.responses.read_details == {"format": "csv", "encoding": "cp1252", "delimiter": "semicolon"}
    assert_group_scores_equal(result.groups, sample_expected)


def test_utf8_bom(tmp_path, sample_raw, sample_expected):
    path = tmp_path / "export.csv"
    sample_raw.to_csv(path, index=False, encoding="utf-8-sig")

    result = score(path)

    assert result.responses.read_details["encoding"] == "utf-8-sig"
    assert_group_scores_equal(result.groups, sample_expected)


def test_xlsx_with_trailing_blank_rows(tmp_path, sample_raw, sample_expected, sample_summary):
    frame = sample_raw.copy()
    for column in answer_columns(frame):
        frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    blank = pd.DataFrame([[None] * frame.shape[1]] * 3, columns=frame.columns)
    path = tmp_path / "export.xlsx"
    pd.concat([frame, blank]).to_excel(path, index=False)

    result = score(path)

    assert result.summary == sample_summary
    assert_group_scores_equal(result.groups, sample_expected)


def test_spss_user_missing(tmp_path, sample_raw, sample_expected):
    frame = sample_raw.copy()
    columns = answer_columns(frame)
    for column in columns:
        frame[column] = pd.to_numeric(frame[column].replace("", "9")).astype(float)
    labels = {float(i + 1): label for i, label in enumerate(DANISH_LABELS)} | {9.0: "Ved ikke"}
    path = tmp_path / "export.sav"
    pyreadstat.write_sav(
        frame, str(path),
        variable_value_labels={c: labels for c in columns},
        missing_ranges={c: [9.0] for c in columns},
    )

    result = score(path)

    assert result.responses.read_details["format"] == "sav"
    assert_group_scores_equal(result.groups, sample_expected)


def test_input_file_unchanged(tmp_path, sample_path):
    before = sample_path.read_bytes()

    main(["score", str(sample_path), "--out", str(tmp_path / "s.csv")])

    assert sample_path.read_bytes() == before


def test_output_has_umask_permissions(tmp_path, sample_path):
    import os

    out = tmp_path / "scores.csv"
    mask = os.umask(0o022)
    try:
        main(["score", str(sample_path), "--out", str(out)])
    finally:
        os.umask(mask)

    assert out.stat().st_mode & 0o777 == 0o644


def test_language_before_subcommand(capsys, tmp_path, sample_path):
    status = main(["--lang", "en", "score", str(sample_path), "--out", str(tmp_path / "s.csv")])

    assert status == 0
    assert "Respondents: 180" in capsys.readouterr().out


def test_utf16_tab_export(tmp_path, sample_raw, sample_expected):
    path = tmp_path / "unicode.txt"
    sample_raw.to_csv(path, sep="\t", index=False, encoding="utf-16")

    result = score(path)

    assert result.responses.read_details["encoding"] == "utf-16"
    assert_group_scores_equal(result.groups, sample_expected)


def test_blank_lines_keep_row_numbers(tmp_path, sample_path):
    from lqp_research.errors import AnswerErrors
    from lqp_research.io import read_responses

    lines = sample_path.read_text(encoding="utf-8").split("\n")
    lines[3] = lines[3].replace(",4,5,3,5,", ",4,9,3,5,", 1)
    text = "\n".join(lines[:2] + ["", "   "] + lines[2:])
    path = tmp_path / "gaps.csv"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(AnswerErrors) as caught:
        read_responses(path)

    assert caught.value.problems[0].params["row"] == 6


def test_carriage_return_line_endings(tmp_path, sample_path, sample_expected):
    path = tmp_path / "mac.csv"
    path.write_bytes(sample_path.read_bytes().replace(b"\n", b"\r"))

    assert_group_scores_equal(score(path).groups, sample_expected)


def test_team_value_labels_from_spss(tmp_path, sample_raw, sample_expected):
    frame = sample_raw.copy()
    teams = sorted(frame["team"].unique())
    frame["team"] = frame["team"].map({name: float(i + 1) for i, name in enumerate(teams)})
    for column in [c for c in frame.columns if c.endswith(("_nu", "_onske"))]:
        frame[column] = pd.to_numeric(frame[column])
    path = tmp_path / "coded.sav"
    pyreadstat.write_sav(frame, str(path), variable_value_labels={"team": {float(i + 1): n for i, n in enumerate(teams)}})

    result = score(path)

    assert_group_scores_equal(result.groups, sample_expected)


def test_numeric_missing_code_in_xlsx(tmp_path, sample_raw, sample_expected):
    frame = sample_raw.copy()
    for column in answer_columns(frame):
        frame[column] = pd.to_numeric(frame[column].replace("", "99")).astype(int)
    path = tmp_path / "coded.xlsx"
    frame.to_excel(path, index=False)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("columns: {}\nmissing_values: [99]\n", encoding="utf-8")

    assert_group_scores_equal(score(path, mapping=mapping).groups, sample_expected)


def test_score_accepts_dataframe(sample_path, sample_expected):
    from lqp_research.io import read_responses

    frame = read_responses(sample_path).data

    assert_group_scores_equal(score(frame).groups, sample_expected)
