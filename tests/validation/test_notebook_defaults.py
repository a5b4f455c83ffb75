"""The research notebooks start from the same settings as ``lqp validate``."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from lqp_research.validation import ValidationSettings

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def notebook_parameters(name: str) -> dict:
    cells = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))["cells"]
    source = "".join(cells[1]["source"])
    values = {}
    for statement in ast.parse(source).body:
        values[statement.targets[0].id] = ast.literal_eval(statement.value)
    return values


@pytest.mark.parametrize("name", ["instrument_validation.ipynb", "three_dimension_model.ipynb"])
def test_notebook_defaults_match_cli(name):
    parameters = notebook_parameters(name)
    defaults = ValidationSettings()

    assert parameters["lang"] == "da"
    assert parameters["estimator"] == defaults.estimator
    assert parameters["missing"] == defaults.missing
    assert parameters["rating"] == defaults.rating
