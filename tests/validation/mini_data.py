"""A small instrument and exports simulated from it, for fast validation tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
MINI_INSTRUMENT = HERE / "data" / "mini_instrument.yaml"


def simulate_export(instrument, n: int, seed: int = 1, missing_share: float = 0.0) -> pd.DataFrame:
    """Draw 1-5 answers from a second-order model: dimensions -> factors -> items.

    Reverse-worded items are stored as ticked (reversed in the export), as in a
    real survey export.
    """
    rng = np.random.default_rng(seed)
    dimensions = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], size=n)
    columns = {}
    for factor in instrument.factors:
        d = instrument.dimension_codes.index(factor.dimension)
        score = 0.8 * dimensions[:, d] + 0.6 * rng.standard_normal(n)
        for item_id in factor.items:
            latent = 0.75 * score + 0.66 * rng.standard_normal(n)
            answer = np.clip(np.round(3 + 1.1 * latent), 1, 5)
            if instrument.item(item_id).reverse:
                answer = 6 - answer
            columns[f"{item_id}_nu"] = answer
    answers = pd.DataFrame(columns)
    if missing_share:
        mask = rng.random(answers.shape) < missing_share
        answers = answers.mask(mask)
    frame = pd.DataFrame({
        "respondent_id": [f"R{i:04d}" for i in range(n)],
        "team": [("Alfa", "Beta")[i % 2] for i in range(n)],
    })
    return pd.concat([frame, answers], axis=1)


def write_export(frame: pd.DataFrame, path: Path) -> Path:
    """Write an export as CSV with integer answers and blank missing cells."""
    answers = [c for c in frame.columns if c.endswith("_nu")]
    text = frame.copy()
    text[answers] = text[answers].astype("Int64")
    text.to_csv(path, index=False)
    return path
