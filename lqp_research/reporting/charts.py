"""Charts of the client report, drawn with matplotlib and exported as SVG.

Colours are defined once here and mean the same thing on every chart: the
Okabe-Ito palette (Okabe & Ito, 2008), which stays distinguishable under the
common forms of colour-vision deficiency. Charts are sized for an A4 page and
use DejaVu Sans, which has the Danish letters; SVG text is kept as text so the
PDF is searchable.

References
----------
Okabe, M., & Ito, K. (2008). *Color Universal Design (CUD): How to make figures
and presentations that are friendly to colorblind people*. J*Fly.
https://jfly.uni-koeln.de/color/
"""

from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import LinearSegmentedColormap  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.textpath import TextPath  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from ..i18n import translate  # noqa: E402
from ..instrument import Instrument  # noqa: E402
from .formatting import format_number  # noqa: E402

#: Okabe-Ito colours by meaning; every chart takes its colours from here.
COLOURS = {
    "nu": "#0072B2",  # blue
    "onske": "#E69F00",  # orange
    "gap": "#009E73",  # bluish green
    "reference": "#000000",
    "suppressed": "#D9D9D9",
    "grid": "#BBBBBB",
}
#: Sequential map for current scores (white to the "nu" blue).
SCORE_CMAP = LinearSegmentedColormap.from_list("lqp_score", ["#F7FBFF", COLOURS["nu"]])
#: Diverging map for differences to the organisation: purple below, green above.
#: The ends are from Paul Tol's colour-blind-safe PRGn scheme, so neither end can
#: be mistaken for the "nu" blue or the "onske" orange.
DIFFERENCE_CMAP = LinearSegmentedColormap.from_list("lqp_difference", ["#762A83", "#FFFFFF", "#1B7837"])
GAP_CMAP = LinearSegmentedColormap.from_list("lqp_gap", ["#FFFFFF", COLOURS["gap"]])

_STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "svg.fonttype": "none",
    "svg.hashsalt": "lqp-report",
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_PAGE_WIDTH = 6.7  # inches: A4 width minus 2 cm margins on each side


def figure_to_svg(figure: Figure) -> str:
    """Serialise a figure to an SVG string without a timestamp, and close it."""
    buffer = io.StringIO()
    with plt.rc_context(_STYLE):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    return buffer.getvalue()


def _wrap(label: str, width: int = 14) -> str:
    return "\n".join(textwrap.wrap(label, width, break_long_words=False)) or label


def _axis_formatter(lang: str, decimals: int = 1) -> FuncFormatter:
    return FuncFormatter(lambda value, _position: format_number(value, lang, decimals))


def radar_polygon(values) -> tuple[np.ndarray, np.ndarray]:
    """Return the angles and radii of a closed polygon through ``values``.

    The first point is repeated at the end, so drawing the arrays closes the
    polygon. The first axis points up and axes run clockwise.
    """
    radii = np.asarray(values, dtype=float)
    angles = np.linspace(0.0, 2.0 * np.pi, len(radii), endpoint=False)
    return np.append(angles, angles[0]), np.append(radii, radii[0])


def radar_chart(
    table: pd.DataFrame,
    instrument: Instrument,
    lang: str,
    reference: pd.DataFrame | None = None,
    labels: tuple[str, str] | None = None,
) -> Figure:
    """Draw ``nu`` and ``onske`` per factor as two closed polygons on the 1-5 axis.

    Parameters
    ----------
    table : DataFrame
        A scale table (see :func:`~lqp_research.reporting.tables.scale_table`).
    instrument : Instrument
    lang : {"da", "en"}
    reference : DataFrame, optional
        A second scale table (the organisation in a team report), drawn dashed.
    labels : (str, str), optional
        Legend names of the focus group and the reference.
    """
    factors = table[table["kind"] == "factor"]
    codes = list(factors["scale"])
    low, high = instrument.scale.min, instrument.scale.max

    with plt.rc_context(_STYLE):
        figure = plt.figure(figsize=(_PAGE_WIDTH, 4.4))
        axes = figure.add_subplot(projection="polar")
        axes.set_theta_offset(np.pi / 2)
        axes.set_theta_direction(-1)
        axes.set_ylim(low, high + _RING_WIDTH)
        axes.set_rgrids(range(low, high + 1), labels=[str(v) for v in range(low, high + 1)],
                        angle=0, fontsize=7, color="#555555")
        axes.spines["polar"].set_visible(False)
        angles, _ = radar_polygon(np.zeros(len(codes)))

        _dimension_ring(axes, factors, instrument, lang, angles, low, high)
        series = [(table, "-", labels[0] if labels else None)]
        if reference is not None:
            series.append((reference, "--", labels[1] if labels else None))
        for source, linestyle, name in series:
            rows = source.set_index("scale").loc[codes]
            for measure in ("nu", "onske"):
                closed_angles, radii = radar_polygon(rows[f"{measure}_mean"])
                label = translate(f"report.measure.{measure}", lang)
                if name:
                    label = f"{label}: {name}"
                axes.plot(closed_angles, radii, linestyle, color=COLOURS[measure], linewidth=2, label=label,
                          marker="o", markersize=3.5, zorder=4)
                if linestyle == "-":
                    axes.fill(closed_angles, radii, color=COLOURS[measure], alpha=0.10, zorder=3)

        axes.set_xticks(angles[:-1])
        axes.set_xticklabels([_wrap(instrument.scale_name(c, lang)) for c in codes], fontsize=8)
        axes.tick_params(axis="x", pad=16)
        axes.grid(color=COLOURS["grid"], linewidth=0.5)
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, frameon=False)
    return figure


_RING_WIDTH = 0.55
_RING_SHADES = ("#5A5A5A", "#8C8C8C", "#707070")
_SECTOR_SHADES = ("#F3F3F3", "#FFFFFF", "#EBEBEB")


def _dimension_ring(axes, factors: pd.DataFrame, instrument: Instrument, lang: str, angles, low: float, high: float) -> None:
    """Shade each dimension's sector and name it in a grey band outside the 1-5 scale."""
    if not instrument.dimensions:
        return
    step = 2 * np.pi / len(factors)
    for index, dimension in enumerate(instrument.dimensions):
        positions = [i for i, code in enumerate(factors["scale"]) if code in dimension.factors]
        if not positions:
            continue
        start = angles[positions[0]] - step / 2
        width = step * len(positions)
        middle = start + width / 2
        axes.bar(middle, high - low, width=width, bottom=low, color=_SECTOR_SHADES[index % 3], zorder=0, linewidth=0)
        axes.bar(middle, _RING_WIDTH, width=width * 0.985, bottom=high + 0.03, color=_RING_SHADES[index % 3],
                 zorder=1, linewidth=0)
        _curved_text(axes, instrument.scale_name(dimension.code, lang).upper(), middle, high + 0.03 + _RING_WIDTH / 2, low)


def _curved_text(axes, text: str, middle: float, radius: float, low: float, fontsize: float = 6.5) -> None:
    """Write ``text`` along a circle of data radius ``radius``, centred at angle ``middle``.

    Each character is placed and turned on its own, so long names follow the
    ring instead of running off it. Text on the lower half runs
    counter-clockwise, so it still reads left to right.
    """
    figure = axes.figure
    box = axes.get_window_extent(figure.canvas.get_renderer())
    top = axes.get_ylim()[1]
    # The polar axes draws a circle in the shorter side of its box.
    radius_points = (min(box.width, box.height) / 2) * (radius - low) / (top - low) * 72 / figure.dpi
    font = FontProperties(family="DejaVu Sans", weight="bold", size=fontsize)

    def width(part: str) -> float:
        return TextPath((0, 0), part, prop=font).get_extents().width if part.strip() else 0.0

    total = width(text)
    compass = np.degrees(middle) % 360
    lower_half = 90 < compass < 270
    direction = -1.0 if lower_half else 1.0
    for index, character in enumerate(text):
        if not character.strip():
            continue
        centre = (width(text[:index]) + width(text[: index + 1])) / 2 - total / 2
        angle = middle + direction * centre / radius_points
        rotation = -np.degrees(angle) + (180 if lower_half else 0)
        axes.text(angle, radius, character, rotation=rotation, rotation_mode="anchor", ha="center", va="center",
                  fontproperties=font, color="white", zorder=2, clip_on=False)


def gap_chart(table: pd.DataFrame, instrument: Instrument, lang: str, reference: pd.DataFrame | None = None) -> Figure:
    """Draw ``onske - nu`` per factor as horizontal bars, largest first, with 95 % CIs."""
    factors = table[table["kind"] == "factor"].sort_values("gap_mean", ascending=True)
    positions = np.arange(len(factors))
    errors = np.vstack(
        [factors["gap_mean"] - factors["gap_ci_low"], factors["gap_ci_high"] - factors["gap_mean"]]
    )

    with plt.rc_context(_STYLE):
        figure, axes = plt.subplots(figsize=(_PAGE_WIDTH, 0.36 * len(factors) + 1.2))
        axes.barh(positions, factors["gap_mean"], color=COLOURS["gap"], height=0.6,
                  xerr=errors, error_kw={"ecolor": "#333333", "capsize": 3, "linewidth": 1},
                  label=translate("report.chart.gap_bar", lang))
        if reference is not None:
            rows = reference.set_index("scale").loc[factors["scale"]]
            axes.scatter(rows["gap_mean"], positions, marker="D", color=COLOURS["reference"], zorder=3, s=18,
                         label=translate("report.chart.reference_marker", lang))
            axes.legend(loc="lower right", frameon=False, fontsize=8)
        axes.set_yticks(positions)
        axes.set_yticklabels([instrument.scale_name(c, lang) for c in factors["scale"]])
        axes.axvline(0, color="#333333", linewidth=0.8)
        axes.set_xlabel(translate("report.chart.gap_axis", lang))
        axes.xaxis.set_major_formatter(_axis_formatter(lang))
        axes.grid(axis="x", color=COLOURS["grid"], linewidth=0.5)
        axes.set_axisbelow(True)
        figure.tight_layout()
    return figure


def dimension_chart(table: pd.DataFrame, instrument: Instrument, lang: str, reference: pd.DataFrame | None = None) -> Figure:
    """Draw each dimension's ``nu`` beside its ``onske`` as bars with 95 % CIs."""
    kind = "dimension" if instrument.dimensions else "factor"
    rows = table[table["kind"] == kind]
    positions = np.arange(len(rows))
    width = 0.36

    with plt.rc_context(_STYLE):
        figure, axes = plt.subplots(figsize=(_PAGE_WIDTH, 3.0))
        for offset, measure in ((-width / 2, "nu"), (width / 2, "onske")):
            means = rows[f"{measure}_mean"]
            errors = np.vstack([means - rows[f"{measure}_ci_low"], rows[f"{measure}_ci_high"] - means])
            bars = axes.bar(positions + offset, means, width=width, color=COLOURS[measure],
                            yerr=errors, capsize=3, error_kw={"linewidth": 1},
                            label=translate(f"report.measure.{measure}", lang))
            axes.bar_label(bars, labels=[format_number(v, lang) for v in means], padding=2, fontsize=7)
            if reference is not None:
                ref = reference.set_index("scale").loc[rows["scale"], f"{measure}_mean"]
                axes.scatter(positions + offset, ref, marker="D", color=COLOURS["reference"], zorder=3, s=18,
                             label=translate("report.chart.reference_marker", lang) if measure == "nu" else None)
        axes.set_xticks(positions)
        axes.set_xticklabels([instrument.scale_name(c, lang) for c in rows["scale"]])
        axes.set_ylim(instrument.scale.min, instrument.scale.max + 0.3)
        axes.set_ylabel(translate("report.chart.score_axis", lang))
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, frameon=False)
        axes.grid(axis="y", color=COLOURS["grid"], linewidth=0.5)
        axes.set_axisbelow(True)
        figure.tight_layout()
    return figure


def difference_chart(table: pd.DataFrame, reference: pd.DataFrame, instrument: Instrument, lang: str) -> Figure:
    """Draw a team's difference to its organisation per factor, for ``nu`` and ``onske``."""
    factors = table[table["kind"] == "factor"]
    rows = reference.set_index("scale").loc[factors["scale"]]
    positions = np.arange(len(factors))[::-1]
    height = 0.36

    with plt.rc_context(_STYLE):
        figure, axes = plt.subplots(figsize=(_PAGE_WIDTH, 0.42 * len(factors) + 1.2))
        for offset, measure in ((height / 2, "nu"), (-height / 2, "onske")):
            difference = factors[f"{measure}_mean"].to_numpy() - rows[f"{measure}_mean"].to_numpy()
            axes.barh(positions + offset, difference, height=height, color=COLOURS[measure],
                      label=translate(f"report.measure.{measure}", lang))
        axes.axvline(0, color="#333333", linewidth=0.8)
        axes.set_yticks(positions)
        axes.set_yticklabels([instrument.scale_name(c, lang) for c in factors["scale"]])
        axes.set_xlabel(translate("report.chart.difference_axis", lang))
        axes.xaxis.set_major_formatter(_axis_formatter(lang))
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False)
        axes.grid(axis="x", color=COLOURS["grid"], linewidth=0.5)
        axes.set_axisbelow(True)
        figure.tight_layout()
    return figure


def heatmap(
    matrix: pd.DataFrame,
    sizes: pd.Series,
    instrument: Instrument,
    lang: str,
    kind: str,
) -> Figure:
    """Draw a teams x factors heatmap; hidden teams show as grey rows without values.

    Parameters
    ----------
    matrix : DataFrame
        Teams x factor codes; a row of NaN marks a hidden team.
    sizes : Series
        Team sizes by team name, shown beside the names.
    kind : {"score", "gap", "difference"}
        Colour map: sequential for scores and gaps, diverging around 0 for
        differences to the organisation.
    """
    observed = matrix.to_numpy(dtype=float)
    shown = observed[~np.isnan(observed)]
    limit = max(0.25, float(np.abs(shown).max())) if shown.size else 1.0
    # Colours span the observed range (padded), so differences between teams stay visible.
    low, high = (float(shown.min()), float(shown.max())) if shown.size else (0.0, 1.0)
    settings = {
        "score": (SCORE_CMAP, low - 0.25, high + 0.1),
        "gap": (GAP_CMAP, min(0.0, low) - 0.1, high + 0.1),
        "difference": (DIFFERENCE_CMAP, -limit, limit),
    }
    cmap, vmin, vmax = settings[kind]
    values = matrix.to_numpy(dtype=float)
    hidden_label = translate("report.suppressed_short", lang)

    with plt.rc_context(_STYLE):
        height = 0.22 * len(matrix) + 1.4
        figure, axes = plt.subplots(figsize=(_PAGE_WIDTH, height))
        axes.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
        for row, team in enumerate(matrix.index):
            if np.isnan(values[row]).all():
                axes.add_patch(plt.Rectangle((-0.5, row - 0.5), values.shape[1], 1, color=COLOURS["suppressed"], zorder=2))
                axes.text((values.shape[1] - 1) / 2, row, hidden_label, ha="center", va="center",
                          fontsize=7, color="#333333", zorder=3)
                continue
            for column in range(values.shape[1]):
                value = values[row, column]
                if np.isnan(value):
                    continue
                text = format_number(value, lang, signed=kind == "difference")
                shade = (value - vmin) / (vmax - vmin) if vmax > vmin else 0.0
                colour = "white" if (kind != "difference" and shade > 0.6) or (kind == "difference" and abs(value) > 0.6 * limit) else "black"
                axes.text(column, row, text, ha="center", va="center", fontsize=7, color=colour)
        axes.set_xticks(range(values.shape[1]))
        axes.set_xticklabels([instrument.scale_name(c, lang) for c in matrix.columns], fontsize=7.5,
                             rotation=35, ha="left", rotation_mode="anchor")
        axes.xaxis.tick_top()
        axes.set_yticks(range(len(matrix)))
        axes.set_yticklabels([f"{team} (n={int(sizes.get(team, 0))})" for team in matrix.index], fontsize=8)
        axes.tick_params(length=0)
        for spine in axes.spines.values():
            spine.set_visible(False)
        figure.tight_layout()
    return figure


__all__ = [
    "COLOURS",
    "difference_chart",
    "dimension_chart",
    "figure_to_svg",
    "gap_chart",
    "heatmap",
    "radar_chart",
    "radar_polygon",
]
