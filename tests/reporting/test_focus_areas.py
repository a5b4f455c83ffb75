"""Focus areas: the stated rule on crafted tables, and the recommendation bank."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lqp_research import load_instrument
from lqp_research.reporting.focus_areas import recommendation, select_focus_areas


def crafted_table(gaps: dict[str, float], nows: dict[str, float]) -> pd.DataFrame:
    rows = [{"scale": "UI", "kind": "dimension", "gap_mean": 9.0, "nu_mean": 1.0, "onske_mean": 5.0}]
    for code, gap in gaps.items():
        rows.append({
            "scale": code, "kind": "factor", "gap_mean": gap,
            "nu_mean": nows[code], "onske_mean": nows[code] + gap,
        })
    return pd.DataFrame(rows)


def test_largest_gaps_chosen_in_order():
    table = crafted_table(
        {"UV": 0.25, "FV": 1.5, "FE": 0.75, "PS": 1.25, "PK": 0.5},
        {"UV": 3.0, "FV": 3.0, "FE": 3.0, "PS": 3.0, "PK": 3.0},
    )
    chosen = select_focus_areas(table)

    assert list(chosen["scale"]) == ["FV", "PS", "FE"]
    assert list(chosen["rank"]) == [1, 2, 3]


def test_equal_gaps_broken_by_lower_nu():
    table = crafted_table(
        {"UV": 1.0, "FV": 1.0, "FE": 1.0, "PS": 0.5},
        {"UV": 3.5, "FV": 2.5, "FE": 3.0, "PS": 1.0},
    )
    chosen = select_focus_areas(table)

    assert list(chosen["scale"]) == ["FV", "FE", "UV"]


def test_dimensions_and_missing_gaps_never_chosen():
    table = crafted_table({"UV": np.nan, "FV": 0.5, "FE": 0.25}, {"UV": 1.0, "FV": 3.0, "FE": 3.0})
    chosen = select_focus_areas(table)

    assert list(chosen["scale"]) == ["FV", "FE"]


@pytest.mark.parametrize("lang", ["da", "en"])
def test_bank_covers_every_lqp_factor(lang):
    instrument = load_instrument()
    for code in instrument.factor_codes:
        text = recommendation(code, lang, instrument)
        assert len(text.meaning) > 100, code
        assert len(text.questions) >= 3, code
        assert len(text.first_steps) >= 3, code
        assert "{" not in text.meaning, code


def test_bank_falls_back_with_factor_name():
    text = recommendation("XY", "en")

    assert text.meaning.startswith("XY is an area")
