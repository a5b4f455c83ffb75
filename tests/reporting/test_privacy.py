"""Disclosure control: primary and secondary suppression, and the team report's reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lqp_research.errors import ReportError
from lqp_research.reporting.privacy import apply_disclosure_control, check_team, reference_allowed


def groups_frame(team_sizes: dict[str, int], threshold: int = 5, without_team: int = 0) -> pd.DataFrame:
    """Build a GroupScores table for one scale and measure with given team sizes."""
    rows = [{
        "level": "organisation", "group": "ALL", "scale": "PS", "measure": "nu",
        "n": sum(team_sizes.values()) + without_team, "mean": 3.0, "sd": 0.5,
        "ci_low": 2.9, "ci_high": 3.1, "suppressed": False,
    }]
    for offset, (team, n) in enumerate(team_sizes.items()):
        hidden = n < threshold
        rows.append({
            "level": "team", "group": team, "scale": "PS", "measure": "nu", "n": n,
            "mean": np.nan if hidden else 3.0 + offset / 10, "sd": np.nan if hidden else 0.5,
            "ci_low": np.nan if hidden else 2.8, "ci_high": np.nan if hidden else 3.3, "suppressed": hidden,
        })
    return pd.DataFrame(rows)


def test_one_small_team_hides_smallest_other():
    result = apply_disclosure_control(groups_frame({"A": 3, "B": 12, "C": 7, "D": 20}), 5)

    assert result.primary == ("A",)
    assert result.secondary == ("C",)
    hidden = result.groups[result.groups["group"].isin(["A", "C"])]
    assert hidden["suppressed"].all()
    assert hidden["mean"].isna().all()
    assert hidden["ci_low"].isna().all()
    assert result.hidden_pool == 10


def test_pool_at_threshold_needs_no_secondary():
    result = apply_disclosure_control(groups_frame({"A": 3, "B": 2, "C": 7, "D": 20}), 5)

    assert result.primary == ("A", "B")
    assert result.secondary == ()
    assert result.hidden_pool == 5


def test_no_small_team_changes_nothing():
    groups = groups_frame({"A": 6, "B": 9})
    result = apply_disclosure_control(groups, 5)

    assert result.suppressed == ()
    pd.testing.assert_frame_equal(result.groups, groups)


def test_respondents_without_team_count_as_hidden():
    result = apply_disclosure_control(groups_frame({"A": 6, "B": 9}, without_team=2), 5)

    assert result.secondary == ("A",)


def test_input_frame_not_changed():
    groups = groups_frame({"A": 3, "B": 12, "C": 7})
    before = groups.copy()
    apply_disclosure_control(groups, 5)

    pd.testing.assert_frame_equal(groups, before)


def test_small_organisation_rejected():
    with pytest.raises(ReportError, match="anonymitetsgrænsen på 5"):
        apply_disclosure_control(groups_frame({"A": 2, "B": 2}), 5)


def test_reference_hidden_when_rest_small():
    groups = groups_frame({"A": 20, "B": 3})

    assert not reference_allowed(groups, "A", 5)
    assert reference_allowed(groups_frame({"A": 20, "B": 6}), "A", 5)


def test_small_team_report_rejected_with_reason():
    groups = groups_frame({"A": 20, "B": 3})

    with pytest.raises(ReportError) as caught:
        check_team(groups, "B", 5)
    assert "3" in caught.value.message("en")
    assert "fewer than the anonymity threshold of 5" in caught.value.message("en")


def test_secondary_hidden_team_report_rejected():
    groups = groups_frame({"A": 3, "B": 12, "C": 7, "D": 20})

    with pytest.raises(ReportError) as caught:
        check_team(groups, "C", 5, secondary=("C",))
    assert "cannot get its own report" in caught.value.message("en")


def test_unknown_team_lists_known_teams():
    with pytest.raises(ReportError) as caught:
        check_team(groups_frame({"A": 20, "B": 8}), "Z", 5)
    assert "Known teams: A, B." in caught.value.message("en")
