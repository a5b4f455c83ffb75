"""Tables of the validation results for the report, the notebooks and publication.

Every builder takes results and returns a new DataFrame with numbers unrounded;
:func:`export_table` writes one as CSV, XLSX or LaTeX.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..i18n import translate
from ..instrument import Instrument
from ..outputs import atomic_path
from ..psychometrics import EfaResult, match_factors
from ..psychometrics.confirmatory.specification import GENERAL_FACTOR
from ..reporting.formatting import format_number
from .models import ModelFit

EXPORT_FORMATS = ("csv", "xlsx", "tex")


def model_label(model: str, lang: str) -> str:
    """Return the short description of a standard model, e.g. "M4: second-order"."""
    return f"{model}: {translate(f'validate.model.{model}', lang)}"


def model_comparison(fits: dict[str, ModelFit], comparisons: pd.DataFrame | None, lang: str) -> pd.DataFrame:
    """Tabulate fit and nested tests of the fitted models, one row per model, headers in ``lang``.

    Parameters
    ----------
    fits : dict of str to ModelFit
    comparisons : DataFrame, optional
        From :func:`~lqp_research.validation.models.nested_comparisons`; each
        model's row shows the test against the more general model it is nested in.
    lang : {"da", "en"}

    Returns
    -------
    DataFrame
        Columns (translated): model, N, chi-square, df, p, CFI, TLI, RMSEA,
        RMSEA interval bounds, SRMR, AIC, BIC, tested against, delta chi-square,
        delta df, p of the difference.
    """
    rows = []
    for name, fit in fits.items():
        measures = fit.measures
        row = {
            "model": model_label(name, lang),
            "n": fit.n_used,
            "chisq": measures["chisq"],
            "df": measures["df"],
            "pvalue": measures["pvalue"],
            "cfi": measures["cfi"],
            "tli": measures["tli"],
            "rmsea": measures["rmsea"],
            "rmsea_ci_low": measures["rmsea_ci_low"],
            "rmsea_ci_high": measures["rmsea_ci_high"],
            "srmr": measures["srmr"],
            "aic": measures["aic"],
            "bic": measures["bic"],
            "against": "",
            "delta_chisq": np.nan,
            "delta_df": np.nan,
            "delta_pvalue": np.nan,
        }
        if comparisons is not None and len(comparisons):
            tested = comparisons[comparisons["restricted"] == name]
            if len(tested):
                first = tested.iloc[0]
                row.update(against=first["general"], delta_chisq=first["delta_chisq"], delta_df=first["delta_df"],
                           delta_pvalue=first["pvalue"])
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.rename(columns={column: translate(f"validate.column.{column}", lang) for column in frame.columns})


def loadings_wide(fits: dict[str, ModelFit], instrument: Instrument) -> pd.DataFrame:
    """Return each item's standardized loading in every fitted model, one row per item.

    Columns ``item`` and ``factor`` (the item's instrument factor), then per
    model ``<model>`` and ``<model>_se``: the item's loading on its own factor,
    which is its dimension in M2 and the general factor in M1. For M5,
    ``M5_G`` and ``M5_G_se`` hold the general factor and ``M5`` the specific one.
    """
    rows = {item.id: {"item": item.id, "factor": item.factor} for item in instrument.items}
    dimension_of = {f.code: f.dimension for f in instrument.factors}
    for name, fit in fits.items():
        table = fit.loadings
        for row in table.itertuples():
            if row.indicator not in rows:
                continue
            own = rows[row.indicator]["factor"]
            if row.factor in (own, dimension_of.get(own)) or (row.factor == GENERAL_FACTOR and name == "M1"):
                rows[row.indicator][name] = row.loading
                rows[row.indicator][f"{name}_se"] = row.se
            elif row.factor == GENERAL_FACTOR:
                rows[row.indicator][f"{name}_G"] = row.loading
                rows[row.indicator][f"{name}_G_se"] = row.se
    return pd.DataFrame(list(rows.values()))


def second_order_loadings(fit: ModelFit, instrument: Instrument) -> pd.DataFrame:
    """Return the loadings of first-order factors on second-order factors: ``dimension, factor, loading, se``."""
    factors = set(instrument.factor_codes)
    rows = fit.loadings[fit.loadings["indicator"].isin(factors)]
    return pd.DataFrame({
        "dimension": rows["factor"].to_numpy(),
        "factor": rows["indicator"].to_numpy(),
        "loading": rows["loading"].to_numpy(),
        "se": rows["se"].to_numpy(),
    })


def correlation_matrix(long: pd.DataFrame, order: Sequence[str] | None = None) -> pd.DataFrame:
    """Turn ``factor_a, factor_b, correlation`` rows into a symmetric matrix with 1 on the diagonal."""
    names = list(order) if order is not None else list(dict.fromkeys([*long["factor_a"], *long["factor_b"]]))
    names = [n for n in names if n in set(long["factor_a"]) | set(long["factor_b"])]
    matrix = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    for row in long.itertuples():
        if row.factor_a in matrix.index and row.factor_b in matrix.index:
            matrix.loc[row.factor_a, row.factor_b] = row.correlation
            matrix.loc[row.factor_b, row.factor_a] = row.correlation
    return matrix


def aligned_efa(solution: EfaResult, key: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reorder and reflect EFA factors to the key's columns; return pattern matrix and factor correlations.

    Each key column gets the factor with the largest absolute Tucker congruence
    (see :func:`~lqp_research.psychometrics.match_factors`), so the columns are
    named after the instrument's factors.
    """
    matches = match_factors(solution.loadings, key)
    factors = matches["factor"].tolist()
    signs = matches["sign"].to_numpy(dtype=float)
    names = matches["target"].tolist()
    loadings = solution.loadings.loc[:, factors] * signs
    loadings.columns = names
    correlations = solution.factor_correlations.loc[factors, factors].to_numpy() * np.outer(signs, signs)
    return loadings, pd.DataFrame(correlations, index=names, columns=names)


def problem_table(problems, lang: str) -> pd.DataFrame:
    """Return the problems of a validation run as a table: section, severity and message, headers and text in ``lang``."""
    columns = ["section", "severity", "message"]
    rows = [
        {
            "section": translate(f"validate.section.{p.section}", lang),
            "severity": translate(f"validate.severity.{p.severity}", lang),
            "message": p.message(lang),
        }
        for p in problems
    ]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.rename(columns={column: translate(f"validate.column.{column}", lang) for column in columns})


def format_table(table: pd.DataFrame, lang: str, decimals: int = 3) -> pd.DataFrame:
    """Return a copy of ``table`` with numbers as text in the report's format for ``lang``.

    Floats get ``decimals`` decimals and the decimal mark of ``lang``; p-value
    columns (the translated ``p`` headers of :func:`model_comparison`) show
    values below 0.001 as "< 0,001" (Danish) or "< 0.001"; missing values are
    blank. Integers and text are kept as they are. For display only: export the
    numeric table.
    """
    pvalue_headers = {translate(f"validate.column.{key}", lang) for key in ("pvalue", "delta_pvalue")}
    formatted = table.copy()
    for column in formatted.columns:
        values = formatted[column]
        if not pd.api.types.is_float_dtype(values):
            continue
        if column in pvalue_headers:
            formatted[column] = [_format_pvalue(v, lang) for v in values]
        else:
            formatted[column] = ["" if pd.isna(v) else format_number(float(v), lang, decimals) for v in values]
    return formatted


def _format_pvalue(value: float, lang: str) -> str:
    if pd.isna(value):
        return ""
    if value < 0.001:
        return "< " + format_number(0.001, lang, 3)
    return format_number(float(value), lang, 3)


def export_table(
    table: pd.DataFrame, stem: str | Path, formats: Sequence[str] = EXPORT_FORMATS, *, decimals: int = 3,
    caption: str | None = None,
) -> dict[str, Path]:
    """Write a table as CSV, XLSX and/or LaTeX beside ``stem`` (``stem.csv`` ...), atomically.

    Parameters
    ----------
    table : DataFrame
        Written as it is; CSV and XLSX keep full precision, LaTeX rounds to
        ``decimals`` and leaves missing cells empty.
    stem : str or Path
        Path without suffix.
    formats : sequence of {"csv", "xlsx", "tex"}
    decimals : int, default 3
        Decimals in the LaTeX table.
    caption : str, optional
        Caption of the LaTeX table.

    Returns
    -------
    dict
        Path written per format.
    """
    unknown = [f for f in formats if f not in EXPORT_FORMATS]
    if unknown:
        raise ValueError(f"Unknown export format(s) {unknown}: expected some of {', '.join(EXPORT_FORMATS)}.")
    stem = Path(stem)
    written: dict[str, Path] = {}
    for kind in formats:
        target = stem.with_name(f"{stem.name}.{kind}")
        with atomic_path(target) as temporary:
            if kind == "csv":
                table.to_csv(temporary, index=False, na_rep="", lineterminator="\n")
            elif kind == "xlsx":
                table.to_excel(temporary, index=False, engine="openpyxl")
            else:
                temporary.write_text(_latex(table, decimals, caption), encoding="utf-8")
        written[kind] = target
    return written


def _latex(table: pd.DataFrame, decimals: int, caption: str | None) -> str:
    numeric = [c for c in table.columns if pd.api.types.is_float_dtype(table[c])]
    styler = table.style.hide(axis="index").format(precision=decimals, na_rep="", subset=numeric)
    styler = styler.format_index(escape="latex", axis=1).format(escape="latex", subset=[c for c in table.columns if c not in numeric])
    return styler.to_latex(hrules=True, caption=caption, position_float="centering")


__all__ = [
    "EXPORT_FORMATS",
    "aligned_efa",
    "correlation_matrix",
    "export_table",
    "format_table",
    "loadings_wide",
    "model_comparison",
    "model_label",
    "problem_table",
    "second_order_loadings",
]
