"""Charts: closed radar polygons and the shared colours."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from lqp_research import load_instrument
from lqp_research.reporting import charts


def scale_table(instrument) -> pd.DataFrame:
    rows = []
    for index, code in enumerate(instrument.factor_codes):
        now = 2.5 + index / 10
        rows.append({
            "scale": code, "kind": "factor", "nu_mean": now, "onske_mean": now + 1,
            "gap_mean": 1.0 - index / 20, "gap_ci_low": 0.8 - index / 20, "gap_ci_high": 1.2 - index / 20,
            "nu_ci_low": now - 0.1, "nu_ci_high": now + 0.1, "onske_ci_low": now + 0.9, "onske_ci_high": now + 1.1,
        })
    return pd.DataFrame(rows)


def test_radar_polygon_repeats_first_point():
    angles, radii = charts.radar_polygon([3.0, 4.0, 2.0])

    assert len(radii) == 4
    assert radii[0] == radii[-1]
    assert angles[0] == angles[-1]


def test_radar_chart_draws_closed_lines_in_shared_colours():
    instrument = load_instrument()
    figure = charts.radar_chart(scale_table(instrument), instrument, "da")
    lines = figure.axes[0].get_lines()

    assert len(lines) == 2
    for line, measure in zip(lines, ("nu", "onske")):
        x, y = line.get_data()
        assert len(y) == len(instrument.factor_codes) + 1
        assert x[0] == x[-1]
        assert y[0] == y[-1]
        assert line.get_color() == charts.COLOURS[measure]
    plt.close(figure)


def test_radar_axis_runs_from_one_to_five():
    instrument = load_instrument()
    figure = charts.radar_chart(scale_table(instrument), instrument, "en")

    axes = figure.axes[0]
    assert axes.get_ylim()[0] == 1.0
    assert 5 in list(axes.get_yticks())
    assert max(axes.get_yticks()) == 5
    plt.close(figure)


def test_svg_export_is_deterministic_and_keeps_text():
    instrument = load_instrument()
    first = charts.figure_to_svg(charts.gap_chart(scale_table(instrument), instrument, "da"))
    second = charts.figure_to_svg(charts.gap_chart(scale_table(instrument), instrument, "da"))

    assert first == second
    assert "Psykologisk sikkerhed" in first


def test_heatmap_marks_hidden_team_without_values():
    instrument = load_instrument()
    matrix = pd.DataFrame(
        [[3.25] * 9, [np.nan] * 9], index=["Vej & Park", "Små Øer"], columns=list(instrument.factor_codes)
    )
    svg = charts.figure_to_svg(charts.heatmap(matrix, pd.Series({"Vej & Park": 9, "Små Øer": 3}), instrument, "da", "score"))

    assert "skjult" in svg
    assert svg.count("3,25") == 9
