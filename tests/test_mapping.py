"""Column-mapping files map another export's headers onto the canonical layout."""

from __future__ import annotations

import pytest
import yaml

from lqp_research import score
from lqp_research.errors import InputDataError
from lqp_research.io import load_mapping
from tests.conftest import assert_group_scores_equal


def renamed_export(sample_raw, tmp_path):
    renames = {"respondent_id": "Svar-ID", "team": "Afdeling", "submitted_at": "Indsendt"}
    renames |= {c: f"Q{i + 1}" for i, c in enumerate(sample_raw.columns[5:])}
    frame = sample_raw.rename(columns=renames)
    frame = frame.replace({"": "99"})  # this export codes missing as 99
    data = tmp_path / "export.csv"
    frame.to_csv(data, index=False)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        yaml.safe_dump({"columns": {v: k for k, v in renames.items()}, "missing_values": ["99"]}, allow_unicode=True),
        encoding="utf-8",
    )
    return data, mapping


def test_mapped_export_scores_like_canonical(tmp_path, sample_raw, sample_expected, sample_summary):
    data, mapping = renamed_export(sample_raw, tmp_path)

    result = score(data, mapping=mapping)

    assert result.summary == sample_summary
    assert_group_scores_equal(result.groups, sample_expected)


def test_canonical_names_any_case(tmp_path, sample_raw, sample_expected):
    frame = sample_raw.rename(columns={"respondent_id": "Respondent_ID", "UV01_nu": "uv01_NU"})
    data = tmp_path / "export.csv"
    frame.to_csv(data, index=False)

    assert_group_scores_equal(score(data).groups, sample_expected)


def test_mapping_two_headers_to_one_name(tmp_path):
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("columns:\n  A: team\n  B: team\n", encoding="utf-8")

    with pytest.raises(InputDataError) as caught:
        load_mapping(mapping)

    message = caught.value.message("en")
    assert "mapping.yaml" in message
    assert "'A' and 'B'" in message


@pytest.mark.parametrize("content", ["just text", "columns: [a, b]", "columns: {a: b}\nmissing_values: 9"])
def test_invalid_mapping_file(tmp_path, content):
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(content, encoding="utf-8")

    with pytest.raises(InputDataError, match="mapping.yaml"):
        load_mapping(mapping)


def test_missing_mapping_file(tmp_path):
    with pytest.raises(InputDataError, match="findes ikke"):
        load_mapping(tmp_path / "nope.yaml")


def test_mapping_header_typo_named(tmp_path, sample_raw):
    data, mapping = renamed_export(sample_raw, tmp_path)
    text = mapping.read_text(encoding="utf-8").replace("Afdeling", "Afdelingg")
    mapping.write_text(text, encoding="utf-8")

    with pytest.raises(InputDataError) as caught:
        score(data, mapping=mapping)

    message = caught.value.message("en")
    assert "'Afdelingg'" in message
    assert "mapping.yaml" in message
