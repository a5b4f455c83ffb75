"""Each scoring rule pinned on a crafted case read from a real CSV file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lqp_research import ScoringSettings, score
from lqp_research.errors import InputDataError
from tests.conftest import canonical_frame


def scored(frame, tmp_path, **settings):
    path = tmp_path / "export.csv"
    frame.to_csv(path, index=False)
    return score(path, settings=ScoringSettings(**settings))


def constant_frame(lqp, n=5, value=3, team="Alfa"):
    frame = canonical_frame(lqp, n=n, teams=(team,))
    frame[lqp.item_columns()] = value
    return frame


def respondent(result, rid):
    return result.respondents.set_index("respondent_id").loc[rid]


def test_reverse_items_scored_min_plus_max_minus_x(lqp, tmp_path):
    frame = constant_frame(lqp)
    frame.loc[0, ["UV09_nu", "UV10_nu", "UV09_onske"]] = 1

    result = scored(frame, tmp_path)

    row = respondent(result, "R000")
    assert row["UV_nu"] == pytest.approx((8 * 3 + 5 + 5) / 10)
    assert row["UV_onske"] == pytest.approx((8 * 3 + 5 + 3) / 10)


def test_reversing_twice_restores_answers(lqp):
    from lqp_research.scoring import _reversed

    values = np.random.default_rng(0).integers(1, 6, size=(7, 90)).astype(float)

    twice = _reversed(lqp, _reversed(lqp, values.copy()))

    np.testing.assert_array_equal(twice, values)


def test_duplicate_keeps_latest_timestamp(lqp, tmp_path):
    frame = constant_frame(lqp, n=6)
    frame.loc[5, "respondent_id"] = "R000"
    frame.loc[0, "submitted_at"] = "2024-10-20T09:00:00"
    frame.loc[5, "submitted_at"] = "01-10-2024 08:00"  # earlier, Danish form, later in the file
    frame.loc[0, lqp.item_columns("nu")] = 5

    result = scored(frame, tmp_path)

    assert result.summary["duplicates_dropped"] == 1
    assert respondent(result, "R000")["PS_nu"] == pytest.approx((8 * 5 + 1 + 1) / 10)


def test_duplicate_without_timestamps_keeps_last(lqp, tmp_path):
    frame = constant_frame(lqp, n=6).drop(columns=["submitted_at"])
    frame.loc[5, "respondent_id"] = "R000"
    frame.loc[5, lqp.item_columns("nu")] = 4

    result = scored(frame, tmp_path)

    assert result.summary["duplicates_dropped"] == 1
    assert respondent(result, "R000")["FB_nu"] == pytest.approx((8 * 4 + 2 + 2) / 10)


def test_exclusion_at_half_of_ratings(lqp, tmp_path):
    frame = constant_frame(lqp, n=7).astype({c: "object" for c in lqp.item_columns()})
    columns = lqp.item_columns()
    frame.loc[0, columns[90:]] = ""  # exactly 90 of 180 answered: kept
    frame.loc[1, columns[89:]] = ""  # 89 answered: excluded

    result = scored(frame, tmp_path)

    assert result.summary["excluded_too_few_answers"] == 1
    assert result.clean.excluded_ids == ["R001"]
    assert "R000" in set(result.respondents["respondent_id"])


def test_factor_needs_half_of_items(lqp, tmp_path):
    frame = constant_frame(lqp, n=5).astype({c: "object" for c in lqp.item_columns()})
    frame.loc[0, [f"PS0{i}_nu" for i in range(1, 6)]] = ""  # 5 of 10 left: scored
    frame.loc[1, [f"PS0{i}_nu" for i in range(1, 7)]] = ""  # 4 of 10 left: missing

    result = scored(frame, tmp_path)

    assert respondent(result, "R000")["PS_nu"] == pytest.approx((3 + 3 + 3 + 3 + 3) / 5)
    assert np.isnan(respondent(result, "R001")["PS_nu"])


def test_dimension_missing_when_a_factor_is(lqp, tmp_path):
    frame = constant_frame(lqp, n=5).astype({c: "object" for c in lqp.item_columns()})
    frame.loc[0, [f"PK{i:02d}_onske" for i in range(1, 7)]] = ""

    result = scored(frame, tmp_path)

    row = respondent(result, "R000")
    assert np.isnan(row["UF_onske"])
    assert np.isnan(row["UF_gap"])
    assert row["UF_nu"] == pytest.approx(3.0)
    assert row["UI_onske"] == pytest.approx(3.0)


def test_gap_is_mean_of_individual_gaps(lqp, tmp_path):
    frame = canonical_frame(lqp, n=9, teams=("Alfa",), seed=3).astype({c: "object" for c in lqp.item_columns()})
    frame.loc[0, [f"FE{i:02d}_onske" for i in range(1, 7)]] = ""  # FE ønske missing for R000

    result = scored(frame, tmp_path)

    people = result.respondents.set_index("respondent_id")
    assert np.isnan(people.loc["R000", "FE_gap"])
    gaps = (people["FE_onske"] - people["FE_nu"]).dropna()
    organisation = result.groups.query("level == 'organisation' and scale == 'FE' and measure == 'gap'").iloc[0]
    assert organisation["n"] == 8
    assert organisation["mean"] == pytest.approx(gaps.mean(), abs=1e-12)


def test_group_statistics_t_interval(lqp, tmp_path):
    frame = canonical_frame(lqp, n=11, teams=("Alfa",), seed=7)

    result = scored(frame, tmp_path)

    values = result.respondents["RL_nu"].to_numpy()
    row = result.groups.query("level == 'team' and scale == 'RL' and measure == 'nu'").iloc[0]
    sd = values.std(ddof=1)
    half = stats.t.ppf(0.975, 10) * sd / np.sqrt(11)
    assert row["n"] == 11
    assert row["sd"] == pytest.approx(sd, abs=1e-12)
    assert row["ci_low"] == pytest.approx(values.mean() - half, abs=1e-12)
    assert row["ci_high"] == pytest.approx(values.mean() + half, abs=1e-12)


def test_single_respondent_has_no_sd(lqp, tmp_path):
    frame = canonical_frame(lqp, n=6, teams=("Alfa",))
    frame.loc[0, "team"] = "Solo"

    result = scored(frame, tmp_path, min_group_size=3)

    solo = result.groups.query("group == 'Solo'")
    assert (solo["n"] == 1).all()
    assert solo["suppressed"].all()
    org = result.groups.query("level == 'organisation'")
    assert (org["n"] == 6).all()


def test_suppression_counts_team_not_scale_n(lqp, tmp_path):
    frame = canonical_frame(lqp, n=9, teams=("Alfa",)).astype({c: "object" for c in lqp.item_columns()})
    frame.loc[5:8, "team"] = "Beta"  # Alfa 5, Beta 4
    frame.loc[0, [f"UL{i:02d}_nu" for i in range(1, 8)]] = ""  # Alfa's n on UL nu is 4

    result = scored(frame, tmp_path)

    alfa = result.groups.query("group == 'Alfa' and scale == 'UL' and measure == 'nu'").iloc[0]
    assert alfa["n"] == 4
    assert not alfa["suppressed"]
    assert not np.isnan(alfa["mean"])
    beta = result.groups.query("group == 'Beta'")
    assert beta["suppressed"].all()
    assert (beta["n"] == 4).all()
    assert beta[["mean", "sd", "ci_low", "ci_high"]].isna().all().all()
    assert result.summary["suppressed_teams"] == ["Beta"]


def test_blank_team_counts_in_organisation_only(lqp, tmp_path):
    frame = canonical_frame(lqp, n=7, teams=("Alfa",)).astype({"team": "object"})
    frame.loc[6, "team"] = ""

    result = scored(frame, tmp_path)

    assert result.summary["teams"] == 1
    assert result.groups.query("group == 'Alfa'")["n"].max() == 6
    assert result.groups.query("level == 'organisation'")["n"].max() == 7


def test_threshold_is_a_setting(lqp, tmp_path):
    frame = canonical_frame(lqp, n=8, teams=("Alfa", "Beta"))

    default = scored(frame, tmp_path)
    lowered = scored(frame, tmp_path, min_group_size=4)

    assert default.summary["teams_suppressed"] == 2
    assert lowered.summary["teams_suppressed"] == 0


@pytest.mark.parametrize("settings", [{"min_group_size": 2}, {"min_answered_share": 0}, {"min_items_share": 1.5}, {"confidence": 1.0}])
def test_invalid_settings_rejected(settings):
    with pytest.raises(InputDataError):
        ScoringSettings(**settings)
