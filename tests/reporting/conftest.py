"""Fixtures of the report tests: small simulated organisations with known team names."""

from __future__ import annotations

import pandas as pd
import pytest

from lqp_research import load_instrument
from lqp_research.simulate import simulate_organisation

#: Team names with every Danish letter, an ampersand and a comma.
TEAM_NAMES = ("Børn & Unge", "Ældre, Sundhed og Omsorg", "Vej & Park", "Kultur og Fritid")
#: A team below the anonymity threshold that scores 5 on every "nu" and 1 on every
#: "onske" item, so a leaked mean would print as 5,00 or a gap as -4,00, values
#: no shown group comes near.
SMALL_TEAM = "Jobcenter Åbyhøj"
SMALL_TEAM_SIZE = 3


def organisation_frame(n_respondents: int = 80, random_state: int = 7) -> pd.DataFrame:
    """Simulate an organisation with ``TEAM_NAMES`` and the extreme 3-person ``SMALL_TEAM``."""
    frame = simulate_organisation(
        n_respondents, len(TEAM_NAMES), random_state=random_state,
        missing_share=0.0, dont_know_share=0.0, breakoff_share=0.0, careless_share=0.0,
    )
    names = dict(zip(sorted(frame["team"].unique()), TEAM_NAMES))
    frame["team"] = frame["team"].map(names)
    small = frame.head(SMALL_TEAM_SIZE).copy()
    small["respondent_id"] = [f"S{i:03d}" for i in range(SMALL_TEAM_SIZE)]
    small["team"] = SMALL_TEAM
    instrument = load_instrument()
    for rating, score in (("nu", 5.0), ("onske", 1.0)):
        columns = instrument.item_columns(rating)
        reverse = [c for c in columns if c.split("_")[0] in instrument.reverse_item_ids]
        small[columns] = score
        small[reverse] = 6.0 - score  # reversed back to ``score`` when scored
    return pd.concat([frame, small], ignore_index=True)


@pytest.fixture(scope="session")
def organisation_csv(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("data") / "Nordby_Kommune.csv"
    organisation_frame().to_csv(path, index=False)
    return str(path)
