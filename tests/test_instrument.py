"""Instrument files: the shipped LQP file, other structures, and bad files."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd
import pytest
import yaml

from lqp_research import load_instrument, score
from lqp_research.errors import InstrumentError
from tests.conftest import HS_INSTRUMENT, canonical_frame

LQP_FACTORS = {
    "UI": ["UV", "FV", "FE"],
    "UF": ["PS", "PK", "RL"],
    "UP": ["FB", "PF", "UL"],
}
DANISH_NAMES = {
    "UV": "Udviklingsværdier", "FV": "Fælles udviklingsvision", "FE": "Fejl",
    "PS": "Psykologisk sikkerhed", "PK": "Positive konflikter", "RL": "Refleksiv/sårbar ledelse",
    "FB": "Feedback", "PF": "Procesfokus", "UL": "Udvikling og læring",
    "UI": "Udviklingsideal", "UF": "Udviklingsfællesskab", "UP": "Udviklingspraksis",
}


def test_lqp_structure(lqp):
    assert lqp.rating_codes == ("nu", "onske")
    assert lqp.scale.values == (1, 2, 3, 4, 5)
    assert {d.code: list(d.factors) for d in lqp.dimensions} == LQP_FACTORS
    assert len(lqp.items) == 90
    for factor in lqp.factors:
        assert factor.items == tuple(f"{factor.code}{n:02d}" for n in range(1, 11))
    assert set(lqp.reverse_item_ids) == {f"{f}{n}" for f in lqp.factor_codes for n in ("09", "10")}


def test_lqp_names_and_labels(lqp):
    for code, name in DANISH_NAMES.items():
        assert lqp.scale_name(code, "da") == name
        assert lqp.scale_name(code, "en")
    assert lqp.rating_label("onske", "da") == "Ønske"
    assert lqp.rating_label("onske", "en") == "Desired"
    assert lqp.scale.missing_labels["da"] == ("Ved ikke",)


def test_lqp_wording_complete_and_distinct(lqp):
    for lang in ("da", "en"):
        texts = [lqp.item_text(item.id, lang) for item in lqp.items]
        assert all(text and text not in lqp.item_ids for text in texts)
        assert len(set(texts)) == 90


def test_holzinger_swineford_structure_scores(tmp_path):
    instrument = load_instrument(HS_INSTRUMENT)
    frame = canonical_frame(instrument, n=10, teams=("A", "B"))
    path = tmp_path / "hs.csv"
    frame.to_csv(path, index=False)

    result = score(path, instrument=HS_INSTRUMENT)

    assert instrument.dimensions == ()
    assert set(result.groups["measure"]) == {"score"}
    assert set(result.groups["scale"]) == {"visual", "textual", "speed"}
    expected = frame[["x1_score", "x2_score", "x3_score"]].mean(axis=1).mean()
    org = result.groups.query("level == 'organisation' and scale == 'visual'").iloc[0]
    assert org["mean"] == pytest.approx(expected, abs=1e-12)


def test_hs_rejects_value_off_seven_point_scale(tmp_path):
    instrument = load_instrument(HS_INSTRUMENT)
    frame = canonical_frame(instrument, n=4)
    frame.loc[1, "x5_score"] = 8
    path = tmp_path / "hs.csv"
    frame.to_csv(path, index=False)

    with pytest.raises(ValueError, match="x5_score"):
        score(path, instrument=HS_INSTRUMENT)


def base_document() -> dict:
    return yaml.safe_load(HS_INSTRUMENT.read_text(encoding="utf-8"))


def write_document(tmp_path, document) -> str:
    path = tmp_path / "instrument.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    "change,place,problem",
    [
        (lambda d: d["factors"][1]["items"].append({"id": "x1"}), "items", "'x1' appears more than once"),
        (lambda d: d["factors"].append(dict(d["factors"][0], items=[{"id": "y1"}])), "factors", "'visual' appears more than once"),
        (lambda d: d.update(dimensions=[{"code": "G", "factors": ["visual", "textual"]}]), "dimensions", "'speed' belongs to no dimension"),
        (lambda d: d.update(dimensions=[{"code": "G", "factors": ["visual", "textual", "speed"]}, {"code": "H", "factors": ["speed"]}]), "dimensions[1] (H).factors", "already in dimension 'G'"),
        (lambda d: d.update(dimensions=[{"code": "G", "factors": ["visual", "nope"]}]), "dimensions[0] (G).factors", "unknown factor 'nope'"),
        (lambda d: d["scale"].update(max=1), "scale", "max (1) must be greater than min (1)"),
        (lambda d: d["scale"].update(labels={"da": ["a", "b"]}), "scale.labels.da", "expected 7 labels"),
        (lambda d: d.pop("ratings"), "ratings", "missing"),
        (lambda d: d["factors"][0]["items"][0].update(reverse="ja"), "factors[0] (visual).items[0].reverse", "expected bool"),
    ],
)
def test_invalid_instrument_names_place(tmp_path, change, place, problem):
    document = base_document()
    change(document)
    path = write_document(tmp_path, document)

    with pytest.raises(InstrumentError) as caught:
        load_instrument(path)

    message = caught.value.message("en")
    assert path in message
    assert place in message
    assert problem in message


def test_missing_instrument_file(tmp_path):
    with pytest.raises(InstrumentError, match="findes ikke"):
        load_instrument(tmp_path / "nope.yaml")


def test_invalid_yaml(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: [unclosed\n", encoding="utf-8")

    with pytest.raises(InstrumentError, match="ikke gyldig YAML"):
        load_instrument(path)


def test_wording_change_does_not_change_scores(tmp_path, sample_path):
    packaged = resources.files("lqp_research") / "instruments" / "lqp.yaml"
    document = yaml.safe_load(packaged.read_text(encoding="utf-8"))
    for factor in document["factors"]:
        for item in factor["items"]:
            item["text"] = {"da": f"Ny ordlyd {item['id']}", "en": f"New wording {item['id']}"}
    path = write_document(tmp_path, document)

    original = score(sample_path).groups
    reworded = score(sample_path, instrument=path).groups

    pd.testing.assert_frame_equal(original, reworded)
    assert np.isfinite(original["mean"]).any()
