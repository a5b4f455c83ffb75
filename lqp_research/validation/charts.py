"""Charts of the validation report and notebooks, drawn with matplotlib.

Colours come from the Okabe-Ito palette of the client report
(:data:`lqp_research.reporting.charts.COLOURS`); loadings use a diverging map
that is white at 0.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import LinearSegmentedColormap  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ..i18n import translate  # noqa: E402
from ..instrument import Instrument  # noqa: E402
from ..psychometrics import ParallelAnalysis  # noqa: E402
from ..reporting.charts import COLOURS, figure_to_svg  # noqa: E402

LOADING_CMAP = LinearSegmentedColormap.from_list("lqp_loading", ["#D55E00", "#FFFFFF", "#0072B2"])

_STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "svg.fonttype": "none",
    "svg.hashsalt": "lqp-validation",
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_WIDTH = 6.7  # inches, the width of the client report's charts


def scree_chart(parallel: ParallelAnalysis, lang: str, max_positions: int = 20) -> Figure:
    """Draw observed factor and component eigenvalues against the parallel-analysis thresholds.

    Parameters
    ----------
    parallel : ParallelAnalysis
        From :func:`lqp_research.psychometrics.parallel_analysis`.
    lang : {"da", "en"}
    max_positions : int, default 20
        Eigenvalues shown (the leading ones).
    """
    table = parallel.table.head(max_positions)
    positions = table["position"].to_numpy()
    series = [
        ("pc_observed", "validate.chart.pc_observed", COLOURS["nu"], "-", "o"),
        ("pc_simulated_threshold", "validate.chart.pc_simulated", COLOURS["nu"], "--", None),
        ("fa_observed", "validate.chart.fa_observed", COLOURS["onske"], "-", "s"),
        ("fa_simulated_threshold", "validate.chart.fa_simulated", COLOURS["onske"], "--", None),
    ]
    with plt.rc_context(_STYLE):
        figure, axes = plt.subplots(figsize=(_WIDTH, 3.6))
        for column, key, colour, style, marker in series:
            values = table[column].to_numpy(dtype=float)
            if np.isnan(values).all():
                continue
            axes.plot(positions, values, linestyle=style, marker=marker, markersize=3.5, color=colour,
                      label=translate(key, lang))
        axes.axhline(1.0, color=COLOURS["grid"], linewidth=0.8)
        axes.set_xlabel(translate("validate.chart.position", lang))
        axes.set_ylabel(translate("validate.chart.eigenvalue", lang))
        axes.set_xticks(positions)
        axes.legend(frameon=False, fontsize=8)
        figure.tight_layout()
    return figure


def loadings_heatmap(loadings: pd.DataFrame, lang: str, title_key: str = "validate.chart.loadings") -> Figure:
    """Draw a pattern matrix (items by factors) as a heatmap, values above 0.30 printed.

    Parameters
    ----------
    loadings : DataFrame
        Items by factors, e.g. the target-rotated EFA loadings.
    lang : {"da", "en"}
    title_key : str
        Catalogue key of the title.
    """
    values = loadings.to_numpy(dtype=float)
    n_items, n_factors = values.shape
    with plt.rc_context(_STYLE):
        figure, axes = plt.subplots(figsize=(min(_WIDTH, 1.6 + 0.55 * n_factors), 0.75 + 0.14 * n_items))
        image = axes.imshow(values, cmap=LOADING_CMAP, vmin=-1, vmax=1, aspect="auto", interpolation="nearest")
        for row in range(n_items):
            for column in range(n_factors):
                value = values[row, column]
                if np.isfinite(value) and abs(value) >= 0.30:
                    text = f"{value:.2f}"
                    text = text.replace(".", ",") if lang == "da" else text
                    axes.text(column, row, text, ha="center", va="center", fontsize=5,
                              color="white" if abs(value) > 0.6 else "black")
        axes.set_xticks(range(n_factors))
        axes.set_xticklabels([str(c) for c in loadings.columns], fontsize=7)
        axes.xaxis.tick_top()
        axes.set_yticks(range(n_items))
        axes.set_yticklabels([str(i) for i in loadings.index], fontsize=5)
        axes.tick_params(length=0)
        for spine in axes.spines.values():
            spine.set_visible(False)
        axes.set_title(translate(title_key, lang), pad=14)
        colourbar = figure.colorbar(image, ax=axes, fraction=0.04, pad=0.02)
        colourbar.ax.tick_params(labelsize=7)
        figure.tight_layout()
    return figure


def item_distribution_chart(items: pd.DataFrame, instrument: Instrument, lang: str) -> Figure:
    """Draw the share of each answer (1 to 5, and missing) per item, one panel per factor.

    Parameters
    ----------
    items : DataFrame
        Item scores (reverse items reversed), respondents by item ids.
    instrument : Instrument
    lang : {"da", "en"}
    """
    scale = instrument.scale.values
    colours = ["#D55E00", "#E69F00", "#F0E442", "#56B4E9", "#0072B2"]
    factors = [f for f in instrument.factors if any(i in items.columns for i in f.items)]
    n_columns = 3
    n_rows = int(np.ceil(len(factors) / n_columns)) or 1
    with plt.rc_context(_STYLE):
        figure, grid = plt.subplots(n_rows, n_columns, figsize=(_WIDTH * 1.3, 2.4 * n_rows), squeeze=False)
        for axes, factor in zip(grid.ravel(), factors):
            columns = [i for i in factor.items if i in items.columns]
            shares = np.array([[(items[c] == value).mean() for value in scale] for c in columns])
            missing = np.array([items[c].isna().mean() for c in columns])
            left = np.zeros(len(columns))
            for position, value in enumerate(scale):
                axes.barh(columns, shares[:, position], left=left, color=colours[position % len(colours)],
                          label=str(value))
                left += shares[:, position]
            axes.barh(columns, missing, left=left, color=COLOURS["suppressed"],
                      label=translate("validate.chart.missing", lang))
            axes.set_title(instrument.scale_name(factor.code, lang), fontsize=8)
            axes.invert_yaxis()
            axes.set_xlim(0, 1)
            axes.tick_params(labelsize=6)
        for axes in grid.ravel()[len(factors):]:
            axes.set_visible(False)
        handles, labels = grid.ravel()[0].get_legend_handles_labels()
        figure.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=False, fontsize=7)
        figure.tight_layout(rect=(0, 0.05, 1, 1))
    return figure


__all__ = ["LOADING_CMAP", "figure_to_svg", "item_distribution_chart", "loadings_heatmap", "scree_chart"]
