"""Shared fixtures: the sample export, its expected scores, and table builders."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lqp_research import load_instrument

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "samples" / "nordlys_kommune.csv"
SAMPLE_EXPECTED = DATA / "samples" / "nordlys_kommune_expected.csv"
SAMPLE_SUMMARY = DATA / "samples" / "nordlys_kommune_expected_summary.json"
HS_INSTRUMENT = DATA / "instruments" / "holzinger_swineford.yaml"


@pytest.fixture(autouse=True)
def danish_messages():
    """Reset the message language, which ``lqp --lang en`` sets for the process."""
    from lqp_research.i18n import set_language

    set_language("da")
    yield
    set_language("da")


@pytest.fixture(scope="session")
def lqp():
    return load_instrument()


@pytest.fixture(scope="session")
def sample_path() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def sample_expected() -> pd.DataFrame:
    return pd.read_csv(SAMPLE_EXPECTED, keep_default_na=False, na_values=[""])


@pytest.fixture(scope="session")
def sample_summary() -> dict:
    return json.loads(SAMPLE_SUMMARY.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def sample_raw() -> pd.DataFrame:
    """The sample export as text cells, exactly as in the file."""
    return pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)


def canonical_frame(instrument, n: int = 12, teams=("Alfa", "Beta"), seed: int = 0) -> pd.DataFrame:
    """Build a small canonical export with every answer present."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "respondent_id": [f"R{i:03d}" for i in range(n)],
        "team": [teams[i % len(teams)] for i in range(n)],
        "submitted_at": [f"2024-10-{1 + i % 28:02d}T10:00:00" for i in range(n)],
    })
    columns = instrument.item_columns()
    answers = rng.integers(instrument.scale.min, instrument.scale.max + 1, size=(n, len(columns)))
    return pd.concat([frame, pd.DataFrame(answers, columns=columns)], axis=1)


def assert_group_scores_equal(actual: pd.DataFrame, expected: pd.DataFrame, atol: float = 1e-9) -> None:
    """Compare two GroupScores tables row by row on their key, numerically."""
    key = ["level", "group", "scale", "measure"]
    merged = expected.merge(actual, on=key, how="outer", suffixes=("_expected", "_actual"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged.loc[merged["_merge"] != "both", key]
    for column in ("n", "mean", "sd", "ci_low", "ci_high"):
        a = merged[f"{column}_actual"].astype(float).to_numpy()
        e = merged[f"{column}_expected"].astype(float).to_numpy()
        both_blank = np.isnan(a) & np.isnan(e)
        close = np.isclose(a, e, rtol=0, atol=atol)
        wrong = ~(both_blank | close)
        assert not wrong.any(), merged.loc[wrong, key + [f"{column}_expected", f"{column}_actual"]]
    flags = merged["suppressed_actual"].astype(str).str.lower()
    assert (flags == merged["suppressed_expected"].astype(str).str.lower()).all()
