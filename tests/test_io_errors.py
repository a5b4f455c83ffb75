"""Bad input: each error names file, respondent, column and value, and leaves no output."""

from __future__ import annotations

import pandas as pd
import pytest

from lqp_research.cli import main
from lqp_research.errors import AnswerErrors, InputDataError
from lqp_research.io import read_responses


def run_score(capsys, data, tmp_path, *extra):
    out = tmp_path / "out" / "scores.csv"
    summary = tmp_path / "out" / "summary.json"
    status = main(["score", str(data), "--out", str(out), "--summary", str(summary), *extra])
    err = capsys.readouterr().err
    return status, err, out, summary


def assert_no_output(out, summary):
    assert not out.exists()
    assert not summary.exists()
    leftovers = list(out.parent.glob("*")) if out.parent.exists() else []
    assert leftovers == []


def write(frame: pd.DataFrame, path):
    frame.to_csv(path, index=False)
    return path


def test_answer_off_scale(capsys, tmp_path, sample_raw):
    frame = sample_raw.copy()
    frame.loc[0, "UV03_nu"] = "7"
    data = write(frame, tmp_path / "bad.csv")

    status, err, out, summary = run_score(capsys, data, tmp_path)

    assert status != 0
    assert "bad.csv" in err
    assert "NK-70162" in err
    assert "UV03_nu" in err
    assert "'7'" in err
    assert "række 2" in err
    assert_no_output(out, summary)


def test_answer_errors_collected_up_to_cap(tmp_path, sample_raw):
    frame = sample_raw.copy()
    frame.loc[0:29, "FE02_onske"] = "meget"
    data = write(frame, tmp_path / "bad.csv")

    with pytest.raises(AnswerErrors) as caught:
        read_responses(data, max_errors=5)

    assert caught.value.total == 30
    assert len(caught.value.problems) == 5
    message = caught.value.message("en")
    assert "30 invalid answers" in message
    assert message.count("FE02_onske") == 5
    assert "'meget'" in message


def test_error_in_english(capsys, tmp_path, sample_raw):
    frame = sample_raw.copy()
    frame.loc[3, "PS07_onske"] = "6"
    data = write(frame, tmp_path / "bad.csv")

    status, err, out, summary = run_score(capsys, data, tmp_path, "--lang", "en")

    assert status != 0
    assert "one invalid answer" in err
    assert "'6'" in err
    assert "row 5" in err
    assert frame.loc[3, "respondent_id"] in err
    assert_no_output(out, summary)


def test_unknown_item_column(capsys, tmp_path, sample_raw):
    frame = sample_raw.copy()
    frame["XY01_nu"] = "3"
    data = write(frame, tmp_path / "bad.csv")

    status, err, out, summary = run_score(capsys, data, tmp_path)

    assert status != 0
    assert "bad.csv" in err
    assert "XY01_nu" in err
    assert "--instrument" in err
    assert_no_output(out, summary)


def test_missing_item_column(capsys, tmp_path, sample_raw):
    data = write(sample_raw.drop(columns=["PS07_onske"]), tmp_path / "bad.csv")

    status, err, out, summary = run_score(capsys, data, tmp_path)

    assert status != 0
    assert "bad.csv" in err
    assert "PS07_onske" in err
    assert_no_output(out, summary)


@pytest.mark.parametrize("column", ["respondent_id", "team"])
def test_missing_identifier_column(capsys, tmp_path, sample_raw, column):
    data = write(sample_raw.drop(columns=[column]), tmp_path / "bad.csv")

    status, err, out, summary = run_score(capsys, data, tmp_path)

    assert status != 0
    assert "bad.csv" in err
    assert f"'{column}'" in err
    assert "--mapping" in err
    assert_no_output(out, summary)


def test_empty_file(capsys, tmp_path):
    data = tmp_path / "empty.csv"
    data.write_bytes(b"")

    status, err, out, summary = run_score(capsys, data, tmp_path)

    assert status != 0
    assert "empty.csv" in err
    assert "tom" in err
    assert_no_output(out, summary)


def test_header_only(capsys, tmp_path, sample_raw):
    data = write(sample_raw.iloc[:0], tmp_path / "header.csv")

    status, err, out, summary = run_score(capsys, data, tmp_path)

    assert status != 0
    assert "header.csv" in err
    assert "ingen besvarelser" in err
    assert_no_output(out, summary)


@pytest.mark.parametrize(
    "name,content,reason",
    [("broken.xlsx", b"this is not a zip file", "kan ikke læses"), ("binary.csv", b"\x00\x01\x02" * 100, "ligner ikke tekst")],
)
def test_unreadable_file(capsys, tmp_path, name, content, reason):
    data = tmp_path / name
    data.write_bytes(content)

    status, err, out, summary = run_score(capsys, data, tmp_path)

    assert status != 0
    assert name in err
    assert reason in err
    assert_no_output(out, summary)


def test_missing_file(capsys, tmp_path):
    status, err, out, summary = run_score(capsys, tmp_path / "nowhere.csv", tmp_path)

    assert status != 0
    assert "nowhere.csv" in err
    assert "findes ikke" in err


def test_ragged_csv(capsys, tmp_path, sample_path):
    text = sample_path.read_text(encoding="utf-8").splitlines()
    text[5] = text[5] + ",extra"
    data = tmp_path / "ragged.csv"
    data.write_text("\n".join(text) + "\n", encoding="utf-8")

    status, err, out, summary = run_score(capsys, data, tmp_path)

    assert status != 0
    assert "ragged.csv" in err
    assert "række 6" in err
    assert "186 felter" in err
    assert_no_output(out, summary)


def test_invalid_timestamp(tmp_path, sample_raw):
    frame = sample_raw.copy()
    frame.loc[2, "submitted_at"] = "i går"
    data = write(frame, tmp_path / "bad.csv")

    with pytest.raises(InputDataError) as caught:
        read_responses(data)

    message = caught.value.message("da")
    assert "bad.csv" in message
    assert "NK-90183" in message
    assert "submitted_at" in message
    assert "'i går'" in message


def test_blank_respondent_id(tmp_path, sample_raw):
    frame = sample_raw.copy()
    frame.loc[4, "respondent_id"] = ""
    data = write(frame, tmp_path / "bad.csv")

    with pytest.raises(InputDataError, match="række 6"):
        read_responses(data)


def test_min_group_size_below_three_rejected(capsys, tmp_path, sample_path):
    out = tmp_path / "scores.csv"

    with pytest.raises(SystemExit) as caught:
        main(["score", str(sample_path), "--out", str(out), "--min-group-size", "2"])

    assert caught.value.code == 2
    assert "mindst 3" in capsys.readouterr().err
    assert not out.exists()


def test_failed_run_keeps_previous_output(capsys, tmp_path, sample_raw):
    out = tmp_path / "scores.csv"
    out.write_text("previous\n", encoding="utf-8")
    frame = sample_raw.copy()
    frame.loc[0, "UV01_nu"] = "x"
    data = write(frame, tmp_path / "bad.csv")

    status = main(["score", str(data), "--out", str(out)])

    assert status != 0
    assert out.read_text(encoding="utf-8") == "previous\n"


@pytest.mark.parametrize("target", ["input", "same", "folder", "xlsx"])
def test_output_path_rejected(capsys, tmp_path, sample_path, target):
    data = tmp_path / "export.csv"
    data.write_bytes(sample_path.read_bytes())
    (tmp_path / "folder").mkdir()
    out, summary = {
        "input": (data, None),
        "same": (tmp_path / "s.csv", tmp_path / "s.csv"),
        "folder": (tmp_path / "folder", None),
        "xlsx": (tmp_path / "s.xlsx", None),
    }[target]
    arguments = ["score", str(data), "--out", str(out)] + (["--summary", str(summary)] if summary else [])

    status = main(arguments)

    assert status != 0
    assert str(out) in capsys.readouterr().err
    assert data.read_bytes() == sample_path.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.csv", "folder"]


def test_everyone_excluded(capsys, tmp_path, sample_raw):
    frame = sample_raw.copy()
    frame[[c for c in frame.columns if c.endswith(("_nu", "_onske"))]] = ""
    data = write(frame, tmp_path / "blank.csv")

    status, err, out, summary = run_score(capsys, data, tmp_path)

    assert status != 0
    assert "Ingen respondenter" in err
    assert "180 havde besvaret under halvdelen" in err
    assert_no_output(out, summary)


def test_mixed_encoding_names_row(capsys, tmp_path, sample_path):
    lines = sample_path.read_bytes().split(b"\n")
    lines[7] = lines[7].decode("utf-8").encode("cp1252")
    data = tmp_path / "mixed.csv"
    data.write_bytes(b"\n".join(lines))

    status, err, out, summary = run_score(capsys, data, tmp_path)

    assert status != 0
    assert "blander tegnsæt" in err
    assert "række 8" in err


def test_answer_errors_in_row_order(tmp_path, sample_raw):
    frame = sample_raw.copy()
    frame.loc[5, "UV01_nu"] = "x"
    frame.loc[0, "UL10_onske"] = "y"
    data = write(frame, tmp_path / "bad.csv")

    with pytest.raises(AnswerErrors) as caught:
        read_responses(data)

    rows = [problem.params["row"] for problem in caught.value.problems]
    assert rows == [2, 7]
