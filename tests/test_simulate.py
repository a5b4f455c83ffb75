"""Tests of the simulated organisations, the item-data simulator and ``lqp simulate``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lqp_research import score
from lqp_research.cli import main
from lqp_research.io import read_responses, responses_from_frame
from lqp_research.simulate import (
    ANONYMITY_THRESHOLD,
    TENURE_BANDS,
    SimulationError,
    SimulationModel,
    generating_parameters,
    simulate_item_data,
    simulate_organisation,
)

BACKGROUND = ["respondent_id", "team", "submitted_at", "rolle", "anciennitet"]
DEMO = Path(__file__).parents[1] / "data" / "demo" / "demo_kommune.csv"


@pytest.fixture(scope="module")
def large(lqp) -> pd.DataFrame:
    """4,000 respondents in 20 teams, answers as float64."""
    return simulate_organisation(4000, 20, lqp, random_state=11, as_numeric=True)


def reverse_scored(table: pd.DataFrame, instrument, rating: str) -> pd.DataFrame:
    """Return the item answers of one rating with reverse-worded items reversed."""
    items = table[instrument.item_columns(rating)].astype(float)
    items.columns = list(instrument.item_ids)
    scale = instrument.scale
    reverse = list(instrument.reverse_item_ids)
    items[reverse] = scale.min + scale.max - items[reverse]
    return items


def factor_means(items: pd.DataFrame, instrument) -> pd.DataFrame:
    return pd.DataFrame({code: items[list(instrument.factor(code).items)].mean(axis=1) for code in instrument.factor_codes})


# Layout -------------------------------------------------------------------------


def test_columns_follow_canonical_layout(lqp):
    table = simulate_organisation(300, 10, lqp, random_state=1)

    assert table.shape == (300, 5 + 180)
    assert list(table.columns) == BACKGROUND + lqp.item_columns()
    assert table["respondent_id"].iloc[0] == "R00001"
    assert table["respondent_id"].is_unique
    assert set(table["rolle"]) == {"Leder", "Medarbejder"}
    assert set(table["anciennitet"]) <= set(TENURE_BANDS)


def test_answers_are_nullable_integers_on_scale(lqp):
    table = simulate_organisation(300, 10, lqp, random_state=1)
    answers = table[lqp.item_columns()]

    assert (answers.dtypes == "Int8").all()
    values = answers.stack().dropna().unique()
    assert set(values) == {1, 2, 3, 4, 5}


def test_submission_times_within_period(lqp):
    table = simulate_organisation(300, 10, lqp, random_state=2, survey_start="2025-09-01", survey_days=14)
    times = pd.to_datetime(table["submitted_at"], format="%Y-%m-%dT%H:%M:%S")

    assert times.min() >= pd.Timestamp("2025-09-01")
    assert times.max() < pd.Timestamp("2025-09-15")
    assert times.is_monotonic_increasing


def test_team_names_need_quoting(lqp):
    names = set(simulate_organisation(600, 24, lqp, random_state=3)["team"])

    assert any(set(name) & set("æøåÆØÅ") for name in names)
    assert any("&" in name for name in names)
    assert any("," in name for name in names)


def test_identifiers_widen_above_99999(lqp):
    table = simulate_organisation(100_001, 5, lqp, random_state=4, as_numeric=True)

    assert table["respondent_id"].iloc[0] == "R000001"
    assert table["respondent_id"].iloc[-1] == "R100001"


# Determinism and output modes ---------------------------------------------------------


def test_same_seed_same_table(lqp):
    first = simulate_organisation(500, 12, lqp, random_state=42, small_teams=2, duplicate_share=0.05)
    second = simulate_organisation(500, 12, lqp, random_state=42, small_teams=2, duplicate_share=0.05)

    pd.testing.assert_frame_equal(first, second)


def test_other_seed_other_table(lqp):
    first = simulate_organisation(200, 5, lqp, random_state=1)
    second = simulate_organisation(200, 5, lqp, random_state=2)

    assert not first.equals(second)


def test_thread_count_does_not_change_result(lqp, monkeypatch):
    threaded = simulate_organisation(3000, 10, lqp, random_state=5, as_numeric=True)
    monkeypatch.setattr("lqp_research.simulate.os.cpu_count", lambda: 1)
    serial = simulate_organisation(3000, 10, lqp, random_state=5, as_numeric=True)

    pd.testing.assert_frame_equal(threaded, serial)


def test_numeric_matches_integer_output(lqp):
    integers = simulate_organisation(400, 8, lqp, random_state=6)
    numeric = simulate_organisation(400, 8, lqp, random_state=6, as_numeric=True)
    columns = lqp.item_columns()

    assert (numeric[columns].dtypes == "float64").all()
    pd.testing.assert_frame_equal(integers[columns].astype("float64"), numeric[columns])
    pd.testing.assert_frame_equal(integers[BACKGROUND], numeric[BACKGROUND])


def test_labels_match_integer_output(lqp):
    integers = simulate_organisation(400, 8, lqp, random_state=7)
    labelled = simulate_organisation(400, 8, lqp, random_state=7, labels=True)
    column = lqp.item_columns()[0]
    labels = dict(zip(lqp.scale.labels["da"], lqp.scale.values))

    decoded = labelled[column].map(labels)
    assert decoded.notna().sum() == integers[column].notna().sum()
    assert (decoded.dropna().astype(int) == integers[column].dropna().astype(int)).all()


def test_dont_know_stored_as_label(lqp):
    labelled = simulate_organisation(1000, 8, lqp, random_state=8, labels=True, lang="en")
    answers = labelled[lqp.item_columns()]
    share = (answers == "Don't know").to_numpy().mean()

    assert 0.003 < share < 0.007
    assert set(answers.stack().dropna()) == set(lqp.scale.labels["en"]) | {"Don't know"}


def test_blank_share_near_requested(lqp, large):
    blank = large[lqp.item_columns()].isna().to_numpy()
    # Break-offs blank about half a questionnaire for 2 % of respondents.
    expected = 0.01 + 0.005 + 0.02 * 0.5

    assert abs(blank.mean() - expected) < 0.006


# Flaws ------------------------------------------------------------------------------


def test_straight_liners_present(lqp):
    table = simulate_organisation(2000, 10, lqp, random_state=9, careless_share=0.05, missing_share=0.0,
                                  dont_know_share=0.0, breakoff_share=0.0, as_numeric=True)
    answers = table[lqp.item_columns()]
    constant = answers.nunique(axis=1) == 1

    assert 60 <= constant.sum() <= 140
    assert set(answers[constant].iloc[:, 0]) <= {3.0, 4.0, 5.0}


def test_break_offs_leave_trailing_blanks(lqp):
    table = simulate_organisation(2000, 10, lqp, random_state=10, breakoff_share=0.1, missing_share=0.0,
                                  dont_know_share=0.0, as_numeric=True)
    answers = table[lqp.item_columns()].to_numpy()
    last_column_blank = np.isnan(answers[:, -1])

    assert 150 <= last_column_blank.sum() <= 250
    assert np.isnan(answers[:, -1]).sum() >= np.isnan(answers[:, 0]).sum()


def test_duplicates_repeat_id_later(lqp):
    table = simulate_organisation(500, 10, lqp, random_state=12, duplicate_share=0.1)
    repeated = table[table["respondent_id"].duplicated(keep=False)]

    assert len(table) > 500
    assert table["respondent_id"].nunique() == 500
    for _, pair in repeated.groupby("respondent_id"):
        assert len(pair) == 2
        assert pair["submitted_at"].iloc[1] > pair["submitted_at"].iloc[0]
        answers = pair[lqp.item_columns()].astype("float64")
        pd.testing.assert_series_equal(answers.iloc[0], answers.iloc[1], check_names=False)


def test_no_duplicates_by_default(lqp):
    table = simulate_organisation(500, 10, lqp, random_state=12)

    assert table["respondent_id"].is_unique


# Teams --------------------------------------------------------------------------


def test_small_teams_below_threshold(lqp):
    table = simulate_organisation(300, 10, lqp, random_state=13, small_teams=2)
    sizes = table["team"].value_counts()

    assert len(sizes) == 10
    assert (sizes < ANONYMITY_THRESHOLD).sum() == 2
    assert sizes.min() >= 2


def test_no_small_teams_by_default(lqp):
    sizes = simulate_organisation(300, 10, lqp, random_state=13)["team"].value_counts()

    assert sizes.min() >= ANONYMITY_THRESHOLD
    assert sizes.max() > 2 * sizes.min()


def test_each_team_has_a_leader(lqp):
    table = simulate_organisation(600, 15, lqp, random_state=14, small_teams=3)
    leaders = table[table["rolle"] == "Leder"].groupby("team").size()

    assert set(leaders.index) == set(table["team"])
    assert leaders.min() >= 1


def test_scoring_suppresses_small_teams(lqp):
    table = simulate_organisation(300, 10, lqp, random_state=15, small_teams=2, as_numeric=True)
    result = score(responses_from_frame(table, lqp))

    assert result.summary["teams"] == 10
    assert result.summary["teams_suppressed"] >= 2


def test_teams_differ(lqp, large):
    scores = factor_means(reverse_scored(large, lqp, "nu"), lqp)
    scores["team"] = large["team"]
    # ICC(1) = (MSB - MSW) / (MSB + (k - 1) MSW) from a one-way ANOVA, k the mean team size.
    groups = scores.groupby("team")["PS"]
    k = groups.size().mean()
    between = (groups.size() * (groups.mean() - scores["PS"].mean()) ** 2).sum() / (groups.ngroups - 1)
    within = ((scores["PS"] - groups.transform("mean")) ** 2).sum() / (len(scores) - groups.ngroups)
    icc = (between - within) / (between + (k - 1) * within)

    assert 0.02 < icc < 0.2


# Model properties ------------------------------------------------------------------------


def test_reverse_items_are_raw(lqp, large):
    raw = large[lqp.item_columns("nu")].astype(float)
    raw.columns = list(lqp.item_ids)
    for factor in lqp.factors:
        positive = [item for item in factor.items if not lqp.item(item).reverse]
        rest = raw[positive].mean(axis=1)
        for item in factor.items:
            if lqp.item(item).reverse:
                assert raw[item].corr(rest) < -0.2, item


def test_positive_items_correlate_after_reversal(lqp, large):
    items = reverse_scored(large, lqp, "nu")
    for factor in lqp.factors:
        for item in factor.items:
            rest = items[[other for other in factor.items if other != item]].mean(axis=1)
            assert items[item].corr(rest) > 0.3, item


def test_desired_above_now_with_ceiling(lqp, large):
    now = reverse_scored(large, lqp, "nu")
    desired = reverse_scored(large, lqp, "onske")

    assert desired.mean().mean() > now.mean().mean() + 0.5
    assert desired.mean().min() > 4.1
    assert desired.mean().max() < 4.7
    assert desired.std().mean() < now.std().mean()


def test_second_order_structure_recovered(lqp, large):
    for rating in ("nu", "onske"):
        correlations = factor_means(reverse_scored(large, lqp, rating), lqp).corr()
        dimension = {f.code: f.dimension for f in lqp.factors}
        within, across = [], []
        for first in lqp.factor_codes:
            for second in lqp.factor_codes:
                if first < second:
                    pair = correlations.loc[first, second]
                    (within if dimension[first] == dimension[second] else across).append(pair)

        assert min(within) > max(across), rating
        assert 0.5 < np.mean(within) < 0.8, rating
        assert 0.25 < np.mean(across) < 0.5, rating


def test_generating_parameters_fixed_per_model(lqp):
    first = generating_parameters(lqp)
    second = generating_parameters(lqp)
    other = generating_parameters(lqp, SimulationModel(structure_seed=1))

    pd.testing.assert_frame_equal(first.items, second.items)
    assert not first.items["loading"].equals(other.items["loading"])
    assert first.items["loading"].between(0.6, 0.8).all()
    assert first.factors["loading"].between(0.75, 0.9).all()
    assert list(first.factor_correlations.index) == list(lqp.factor_codes)


# Item data ------------------------------------------------------------------------------


def test_item_data_reverse_scored_and_complete(lqp):
    items = simulate_item_data(2000, lqp, "nu", random_state=16)

    assert list(items.columns) == list(lqp.item_ids)
    assert items.notna().all().all()
    assert (items.dtypes == "float64").all()
    for factor in lqp.factors:
        block = items[list(factor.items)]
        correlations = block.corr().to_numpy()[np.triu_indices(len(factor.items), 1)]
        assert correlations.min() > 0.15, factor.code


def test_item_data_deterministic(lqp):
    first = simulate_item_data(300, lqp, "onske", random_state=17)
    second = simulate_item_data(300, lqp, "onske", random_state=17)

    pd.testing.assert_frame_equal(first, second)
    assert first.mean().mean() > 4.1


def test_item_data_loadings_track_truth(lqp):
    items = simulate_item_data(5000, lqp, "nu", random_state=18)
    truth = generating_parameters(lqp).items.set_index("item")["loading"]
    # Corrected item-total correlations rise with the true loading.
    item_total = pd.Series({
        item: items[item].corr(items[[o for o in lqp.factor(lqp.item(item).factor).items if o != item]].sum(axis=1))
        for item in lqp.item_ids
    })

    assert np.corrcoef(item_total, truth[item_total.index])[0, 1] > 0.7


def test_item_data_unknown_rating(lqp):
    with pytest.raises(SimulationError) as caught:
        simulate_item_data(10, lqp, "later")

    assert "The instrument has no rating 'later'. Choose one of: nu, onske." == caught.value.message("en")


# Argument errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"n_respondents": 0, "n_teams": 1}, "n_respondents must be an integer of at least 1, got 0"),
        ({"n_respondents": 10.5, "n_teams": 1}, "n_respondents must be an integer of at least 1, got 10.5"),
        ({"n_respondents": 10, "n_teams": 0}, "n_teams must be an integer"),
        ({"n_respondents": 10, "n_teams": 1, "missing_share": 1.0}, "missing_share must be a share"),
        ({"n_respondents": 10, "n_teams": 1, "duplicate_share": -0.1}, "duplicate_share must be a share"),
        ({"n_respondents": 40, "n_teams": 10}, "40 respondents are too few for 10 teams, 0 of them small: at least 50"),
        ({"n_respondents": 100, "n_teams": 3, "small_teams": 3}, "3 small teams were requested out of 3"),
        ({"n_respondents": 10, "n_teams": 1, "labels": True, "as_numeric": True}, "both label text and floats"),
        ({"n_respondents": 10, "n_teams": 1, "lang": "sv"}, "no answer labels in language 'sv'"),
        ({"n_respondents": 10, "n_teams": 1, "survey_start": "3. marts"}, "Start date '3. marts' is invalid"),
        ({"n_respondents": 10, "n_teams": 1, "model": SimulationModel(team_icc=1.0)}, "team_icc is invalid"),
        ({"n_respondents": 10, "n_teams": 1, "model": SimulationModel(item_loadings=(0.8, 0.6))}, "item_loadings is invalid"),
    ],
)
def test_invalid_arguments_rejected(lqp, arguments, message):
    with pytest.raises(SimulationError) as caught:
        simulate_organisation(instrument=lqp, **arguments)

    assert message in caught.value.message("en")


def test_error_message_in_danish(lqp):
    with pytest.raises(SimulationError) as caught:
        simulate_organisation(40, 10, lqp)

    assert "40 respondenter er for få til 10 teams" in caught.value.message("da")


# Command line ---------------------------------------------------------------------------------


def test_cli_csv_reads_back(tmp_path, capsys, lqp):
    out = tmp_path / "org.csv"
    status = main(["simulate", "--respondents", "120", "--teams", "6", "--small-teams", "1",
                   "--seed", "3", "--out", str(out)])
    responses = read_responses(out)

    assert status == 0
    assert "120 respondenter i 6 teams" in capsys.readouterr().out
    assert responses.rows_read == 120
    assert responses.data["team"].nunique() == 6
    assert list(responses.data.columns[-180:]) == lqp.item_columns()
    expected = simulate_organisation(120, 6, lqp, random_state=3, small_teams=1)
    np.testing.assert_array_equal(
        responses.data[lqp.item_columns()].to_numpy(),
        expected[lqp.item_columns()].astype("float64").to_numpy(),
    )


def test_cli_xlsx_with_labels_reads_back(tmp_path, capsys, lqp):
    out = tmp_path / "org.xlsx"
    status = main(["simulate", "--respondents", "40", "--teams", "3", "--seed", "4", "--labels",
                   "--lang", "en", "--out", str(out)])
    responses = read_responses(out)
    expected = simulate_organisation(40, 3, lqp, random_state=4)

    assert status == 0
    assert "Wrote 40 responses" in capsys.readouterr().out
    np.testing.assert_array_equal(
        responses.data[lqp.item_columns()].to_numpy(),
        expected[lqp.item_columns()].astype("float64").to_numpy(),
    )


def test_cli_same_seed_same_bytes(tmp_path, capsys):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    for out in (first, second):
        main(["simulate", "--respondents", "50", "--teams", "3", "--seed", "9", "--out", str(out)])

    assert first.read_bytes() == second.read_bytes()


def test_cli_prints_drawn_seed(tmp_path, capsys):
    out = tmp_path / "org.csv"
    main(["simulate", "--respondents", "20", "--teams", "2", "--out", str(out), "--lang", "en"])

    assert "(seed " in capsys.readouterr().out


def test_cli_rejects_unknown_suffix(tmp_path, capsys):
    out = tmp_path / "org.txt"
    status = main(["simulate", "--out", str(out), "--lang", "en"])

    assert status == 1
    assert "Use .csv or .xlsx" in capsys.readouterr().err
    assert not out.exists()


def test_cli_reports_too_few_respondents(tmp_path, capsys):
    out = tmp_path / "org.csv"
    status = main(["simulate", "--respondents", "20", "--teams", "10", "--out", str(out)])

    assert status == 1
    assert "20 respondenter er for få til 10 teams" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_cli_names_option_in_error(tmp_path, capsys):
    out = tmp_path / "org.csv"
    status = main(["simulate", "--duplicates", "1.5", "--out", str(out), "--lang", "en"])

    assert status == 1
    assert "--duplicates must be a share from 0 up to but not including 1, got 1.5" in capsys.readouterr().err


def test_demo_file_matches_its_command(tmp_path, capsys):
    # The command in data/demo/README.md; a change to the generator's random
    # stream fails here until the demo file is made again.
    out = tmp_path / "demo_kommune.csv"
    main(["simulate", "--respondents", "300", "--teams", "10", "--small-teams", "2",
          "--duplicates", "0.01", "--seed", "2025", "--out", str(out)])

    assert out.read_bytes() == DEMO.read_bytes()
