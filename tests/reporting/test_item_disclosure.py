"""Item means must not let a reader subtract out a group below the threshold."""

from __future__ import annotations

import numpy as np

from lqp_research import score
from lqp_research.reporting.privacy import apply_disclosure_control, item_counts, reference_allowed
from lqp_research.scoring import item_scores


def item_pool_case(sample_raw, tmp_path):
    """Ledelsen (4) plus one respondent without a team: a scale pool of 5,
    but one Ledelsen member skipped UV01 nu, so that item's pool is 4."""
    frame = sample_raw[sample_raw["team"] != "Byrådssekretariatet"].copy()
    frame.loc[frame.index[frame["team"] == "Borgerservice"][0], "team"] = ""
    frame.loc[frame.index[frame["team"] == "Ledelsen"][0], "UV01_nu"] = ""
    path = tmp_path / "case.csv"
    frame.to_csv(path, index=False)
    result = score(path)
    frames = {rating: item_scores(result.clean, rating) for rating in ("nu", "onske")}
    teams = result.respondents.set_index(result.respondents["respondent_id"].astype(str))["team"]
    return result, item_counts(frames, teams)


def test_scale_pool_alone_hides_nothing_more(sample_raw, tmp_path):
    result, _ = item_pool_case(sample_raw, tmp_path)

    disclosure = apply_disclosure_control(result.groups, 5)

    assert disclosure.primary == ("Ledelsen",)
    assert disclosure.secondary == ()


def test_item_pool_hides_another_team(sample_raw, tmp_path):
    result, counts = item_pool_case(sample_raw, tmp_path)

    disclosure = apply_disclosure_control(result.groups, 5, counts)

    assert len(disclosure.secondary) == 1
    hidden_pool = counts.query("level == 'organisation' and scale == 'UV01' and measure == 'nu'")["n"].iloc[0]
    shown = counts.query("level == 'team' and scale == 'UV01' and measure == 'nu'")
    shown = shown[~shown["group"].isin(disclosure.suppressed)]["n"].sum()
    assert hidden_pool - shown >= 5


def test_item_counts_per_team(sample_raw, tmp_path):
    result, counts = item_pool_case(sample_raw, tmp_path)
    members = result.respondents["team"].eq("Ledelsen").fillna(False)
    frames = {rating: item_scores(result.clean, rating) for rating in ("nu", "onske")}
    now = frames["nu"].loc[members.to_numpy(), "UV01"].notna()
    desired = frames["onske"].loc[members.to_numpy(), "UV01"].notna()

    ledelsen = counts.query("group == 'Ledelsen' and scale == 'UV01'").set_index("measure")["n"]

    assert ledelsen["nu"] == now.sum()
    assert ledelsen["onske"] == desired.sum()
    assert ledelsen["gap"] == (now & desired).sum()
    assert ledelsen["nu"] < members.sum()


def test_team_reference_checks_items(sample_raw, tmp_path):
    frame = sample_raw.iloc[:15].copy()
    frame["team"] = ["Alfa"] * 10 + ["Beta"] * 5
    frame["PS03_onske"] = "3"
    frame.loc[frame.index[10], "PS03_onske"] = ""  # Beta's pool on this item is 4
    path = tmp_path / "two.csv"
    frame.to_csv(path, index=False)
    result = score(path)
    frames = {rating: item_scores(result.clean, rating) for rating in ("nu", "onske")}
    teams = result.respondents.set_index(result.respondents["respondent_id"].astype(str))["team"]
    counts = item_counts(frames, teams)

    assert reference_allowed(result.groups, "Alfa", 5)
    assert not reference_allowed(result.groups, "Alfa", 5, counts)
