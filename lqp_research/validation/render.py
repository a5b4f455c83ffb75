"""The validation report: a view of the results in one language, HTML, and the CSV files.

:func:`build_view` turns a :class:`~.pipeline.ValidationResult` into sections
of plain values (texts, formatted tables, inline SVG charts) in Danish or
English; the Jinja2 template ``templates/validation.html.j2`` lays them out.
:func:`write_validation` writes the HTML and the CSV files into a folder that
replaces the target folder only when everything is written.
"""

from __future__ import annotations

import functools
import logging
import math
from importlib import resources
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd
from markupsafe import Markup

from .. import __version__
from ..i18n import translate
from ..outputs import atomic_directory
from ..psychometrics import key_matrix
from ..reporting.formatting import format_number
from . import charts
from .models import FIT_COLUMNS, LOADING_COLUMNS
from .pipeline import SECTIONS, ValidationResult, cfa_missing_method, instrument_name
from .tables import aligned_efa, correlation_matrix, loadings_wide, model_label, second_order_loadings

logger = logging.getLogger(__name__)

#: Files written by :func:`write_validation`.
FILE_NAMES = ("validation.html", "fit.csv", "reliability.csv", "items.csv", "loadings.csv")

RELIABILITY_COLUMNS = (
    "level", "scale", "n_items", "n_respondents", "alpha", "alpha_ci_low", "alpha_ci_high", "omega_total",
    "omega_hierarchical",
)
ITEM_COLUMNS = (
    "scale", "item", "n", "mean", "sd", "skew", "kurtosis", "share_floor", "share_ceiling", "share_missing",
    "corrected_item_total", "alpha_if_item_deleted", "flag", "reason",
)
CSV_DECIMALS = 10

#: Heterotrait-monotrait ratios above this suggest two scales are not distinct
#: (the liberal threshold of Henseler, Ringle & Sarstedt, 2015).
HTMT_LIMIT = 0.90


# Formatting ------------------------------------------------------------------


def _number(value, lang: str, decimals: int = 2) -> str:
    if value is None or (isinstance(value, (float, np.floating)) and not math.isfinite(value)):
        return "–"
    return format_number(float(value), lang, decimals)


def _integer(value, lang: str) -> str:
    if value is None or (isinstance(value, (float, np.floating)) and not math.isfinite(value)):
        return "–"
    text = f"{int(value):,}"
    return text.replace(",", ".") if lang == "da" else text


def _pvalue(value, lang: str) -> str:
    if value is None or not math.isfinite(float(value)):
        return "–"
    if value < 0.001:
        return "< " + format_number(0.001, lang, 3)
    return format_number(float(value), lang, 3)


def _percent(value, lang: str) -> str:
    if value is None or not math.isfinite(float(value)):
        return "–"
    return format_number(100 * float(value), lang, 1) + " %"


def _cell(text: str, css: str = "") -> dict:
    return {"text": text, "css": css}


def _table(caption: str, headers: list[str], rows: list[list[dict]], note: str = "", wide: bool = False) -> dict:
    return {"kind": "table", "caption": caption, "headers": headers, "rows": rows, "note": note, "wide": wide}


def _facts(items: list[tuple[str, str]]) -> dict:
    return {"kind": "facts", "entries": items}


def _text(text: str) -> dict:
    return {"kind": "text", "text": text}


def _figure(figure, caption: str) -> dict:
    svg = charts.figure_to_svg(figure)
    return {"kind": "figure", "svg": Markup(svg), "caption": caption}


def _matrix(frame: pd.DataFrame, caption: str, lang: str, highlight=None, note: str = "") -> dict:
    headers = [""] + [str(c) for c in frame.columns]
    rows = []
    for name, values in frame.iterrows():
        row = [_cell(str(name), "label")]
        for column, value in values.items():
            css = "flag" if highlight is not None and column != name and highlight(value) else ""
            # Correlation matrices have 1 on the diagonal up to rounding (EFA factor correlations
            # come out as 0.9999999...), so the diagonal is blank whenever it is 1 to six decimals.
            unit_diagonal = column == name and np.isclose(value, 1.0, rtol=0.0, atol=1e-6)
            row.append(_cell("" if unit_diagonal else _number(value, lang), css))
        rows.append(row)
    return _table(caption, headers, rows, note)


# Sections ----------------------------------------------------------------------


def build_view(result: ValidationResult, lang: str) -> dict:
    """Return everything the template shows, texts and numbers formatted in ``lang``."""
    t = lambda key, **p: translate(key, lang, **p)  # noqa: E731
    settings = result.settings
    instrument = result.instrument
    builders = {
        "sample": _sample_section,
        "items": _items_section,
        "reliability": _reliability_section,
        "factorability": _factorability_section,
        "n_factors": _n_factors_section,
        "efa": _efa_section,
        "cfa": _cfa_section,
        "validity": _validity_section,
        "invariance": _invariance_section,
    }
    sections = []
    for key in SECTIONS:
        if key == "invariance" and settings.group is None:
            continue
        blocks = builders[key](result, lang)
        problems = [
            {"severity": p.severity, "label": t(f"validate.severity.{p.severity}"), "text": p.message(lang)}
            for p in result.problems_of(key)
        ]
        sections.append({"id": key, "title": t(f"validate.section.{key}"), "problems": problems, "blocks": blocks})

    counts = {s: sum(1 for p in result.problems if p.severity == s) for s in ("error", "warning", "note")}
    return {
        "lang": lang,
        "title": t("validate.title", instrument=instrument_name(instrument)),
        "subtitle": t(
            "validate.subtitle", file=result.source["file"], rating=instrument.rating_label(settings.rating, lang),
            estimator=settings.estimator.upper(),
        ),
        "key_numbers": _key_numbers(result, lang),
        "problem_summary": t("validate.problem_summary", **{s: count_phrase(s, n, lang) for s, n in counts.items()}),
        "problem_links": [
            {"id": s["id"], "title": s["title"], "n": len(s["problems"])} for s in sections if s["problems"]
        ],
        "sections": sections,
        "footer": t("validate.footer", version=__version__, sha=result.source["sha256"][:12] or "–"),
    }


def _key_numbers(result: ValidationResult, lang: str) -> list[tuple[str, str]]:
    t = lambda key, **p: translate(key, lang, **p)  # noqa: E731
    sample = result.sample
    numbers = [
        (t("validate.key.respondents"), _integer(sample["respondents"], lang)),
        (t("validate.key.complete"), f"{_integer(sample['complete_cases'], lang)} ({_percent(sample['complete_cases'] / max(sample['respondents'], 1), lang)})"),
    ]
    if result.fits:
        used = sorted({fit.n_used for fit in result.fits.values()})
        text = " / ".join(_integer(n, lang) for n in used)
        method = t(f"validate.missing.{_cfa_missing(result)}")
        numbers.append((t("validate.key.cfa_n"), f"{text} ({method})"))
    else:
        numbers.append((t("validate.key.cfa_n"), t("validate.key.no_cfa")))
    return numbers


def _cfa_missing(result: ValidationResult) -> str:
    return cfa_missing_method(result.settings)


def _sample_section(result: ValidationResult, lang: str) -> list[dict]:
    t = lambda key, **p: translate(key, lang, **p)  # noqa: E731
    sample = result.sample
    facts = _facts([
        (t("validate.sample.rows_read"), _integer(sample["rows_read"], lang)),
        (t("validate.sample.duplicates"), _integer(sample["duplicates_dropped"], lang)),
        (t("validate.sample.excluded"), _integer(sample["excluded_too_few_answers"], lang)),
        (t("validate.sample.respondents"), _integer(sample["respondents"], lang)),
        (t("validate.sample.complete"), _integer(sample["complete_cases"], lang)),
        (t("validate.sample.with_missing"), _integer(sample["respondents_with_missing"], lang)),
        (t("validate.sample.missing_share"), _percent(sample["missing_share"], lang)),
    ])
    blocks = [facts, _text(t("validate.sample.missing_text"))]

    rows = []
    pairwise = t("validate.missing.pairwise")
    listwise = t("validate.missing.listwise")
    if result.item_analysis is not None:
        n = result.item_analysis["n"]
        rows.append([_cell(t("validate.section.items")), _cell(_integer_range(n.min(), n.max(), lang)), _cell(t("validate.missing.available"))])
    if result.reliability is not None:
        n = result.reliability["n_respondents"]
        rows.append([_cell(t("validate.section.reliability")), _cell(_integer_range(n.min(), n.max(), lang)), _cell(pairwise)])
    if result.efa is not None:
        rows.append([_cell(t("validate.sample.exploratory")), _cell(_integer(result.efa.n_respondents, lang)), _cell(pairwise)])
    for name, fit in result.fits.items():
        method = t(f"validate.missing.{_cfa_missing(result)}")
        deleted = t("validate.sample.deleted", n=_integer(fit.n_deleted, lang)) if fit.n_deleted else ""
        rows.append([_cell(f"CFA {model_label(name, lang)}"), _cell(_integer(fit.n_used, lang), "strong"), _cell(f"{method} {deleted}".strip())])
    if result.htmt is not None:
        rows.append([_cell("HTMT"), _cell(_integer(result.sample["complete_cases"], lang)), _cell(listwise)])
    blocks.append(_table(t("validate.sample.n_table"), [t("validate.column.analysis"), "N", t("validate.column.missing")], rows))

    if sample.get("group_sizes") is not None:
        sizes = sample["group_sizes"]
        rows = [[_cell(str(g)), _cell(_integer(n, lang))] for g, n in sizes.items()]
        blocks.append(_table(t("validate.sample.groups", group=result.settings.group), [t("validate.column.group"), "N"], rows))
    return blocks


def _items_section(result: ValidationResult, lang: str) -> list[dict]:
    t = lambda key, **p: translate(key, lang, **p)  # noqa: E731
    table = result.item_analysis
    if table is None:
        return []
    flagged = table[table["flag"]]
    blocks = [
        _text(t("validate.items.text")),
        _facts([
            (t("validate.items.n_items"), _integer(table["item"].nunique(), lang)),
            (t("validate.items.n_flagged"), _integer(flagged["item"].nunique(), lang)),
        ]),
    ]
    headers = [t(f"validate.column.{c}") for c in (
        "item", "text", "mean", "sd", "share_floor", "share_ceiling", "share_missing", "corrected_item_total",
        "alpha_if_item_deleted", "reason")]
    rows = []
    for row in flagged.itertuples():
        reasons = ", ".join(t(f"validate.reason.{r}") for r in row.reason.split("; ") if r)
        rows.append([
            _cell(row.item, "label"), _cell(result.instrument.item_text(row.item, lang), "text"),
            _cell(_number(row.mean, lang)), _cell(_number(row.sd, lang)),
            _cell(_percent(row.share_floor, lang)), _cell(_percent(row.share_ceiling, lang)),
            _cell(_percent(row.share_missing, lang)), _cell(_number(row.corrected_item_total, lang)),
            _cell(_number(row.alpha_if_item_deleted, lang)), _cell(reasons, "text"),
        ])
    if rows:
        blocks.append(_table(t("validate.items.flagged"), headers, rows, t("validate.items.csv_note"), wide=True))
    dropped = result.dropped_items
    if len(dropped):
        rows = [
            [_cell(r.item, "label"), _cell(t("validate.screening.reason_constant") if r.reason == "constant"
                                           else t("validate.screening.reason_duplicate", item=r.duplicate_of), "text")]
            for r in dropped.itertuples()
        ]
        blocks.append(_table(t("validate.screening.dropped_table"), [t("validate.column.item"), t("validate.column.reason")],
                             rows, t("validate.screening.dropped", items=", ".join(dropped["item"]))))
    return blocks


def _reliability_section(result: ValidationResult, lang: str) -> list[dict]:
    t = lambda key, **p: translate(key, lang, **p)  # noqa: E731
    blocks = [_text(t("validate.reliability.text"))]
    table = result.reliability
    instrument = result.instrument
    if table is not None:
        headers = [t(f"validate.column.{c}") for c in ("level", "scale", "n_items", "n_respondents", "alpha", "alpha_ci", "omega_total", "omega_hierarchical")]
        rows = []
        for row in table.itertuples():
            name = row.scale if row.level == "instrument" else f"{row.scale} {instrument.scale_name(row.scale, lang)}"
            rows.append([
                _cell(t(f"validate.level.{row.level}")), _cell(name, "label"), _cell(_integer(row.n_items, lang)),
                _cell(_integer(row.n_respondents, lang)), _cell(_number(row.alpha, lang), "flag" if row.alpha < 0.7 else ""),
                _cell(f"[{_number(row.alpha_ci_low, lang)}; {_number(row.alpha_ci_high, lang)}]"),
                _cell(_number(row.omega_total, lang)), _cell(_number(row.omega_hierarchical, lang)),
            ])
        blocks.append(_table(t("validate.reliability.table"), headers, rows, t("validate.reliability.note")))
    if result.cfa_omega is not None:
        rows = [
            [_cell(model_label(r.model, lang)), _cell(r.scale, "label"), _cell(_number(r.omega_hierarchical, lang)), _cell(_number(r.omega_total, lang))]
            for r in result.cfa_omega.itertuples()
        ]
        headers = [t("validate.column.model"), t("validate.column.scale"), t("validate.column.omega_hierarchical"), t("validate.column.omega_total")]
        blocks.append(_table(t("validate.reliability.cfa_table"), headers, rows, t("validate.reliability.cfa_note")))
    return blocks


def _kmo_label(value: float, lang: str) -> str:
    # Kaiser's (1974) verbal labels for the overall MSA.
    for limit, key in ((0.9, "marvelous"), (0.8, "meritorious"), (0.7, "middling"), (0.6, "mediocre"), (0.5, "miserable")):
        if value >= limit:
            return translate(f"validate.kmo.{key}", lang)
    return translate("validate.kmo.unacceptable", lang)


def _factorability_section(result: ValidationResult, lang: str) -> list[dict]:
    t = lambda key, **p: translate(key, lang, **p)  # noqa: E731
    # A statistic that was not computed shows a dash; the section's problem says why.
    facts = [(t("validate.factorability.kmo"), "–")]
    if result.kmo is not None:
        facts = [(t("validate.factorability.kmo"), f"{_number(result.kmo.overall, lang, 3)} ({_kmo_label(result.kmo.overall, lang)})")]
    # KMO fails only on a singular correlation matrix, where Bartlett's log-determinant means nothing either.
    if result.bartlett is None or result.kmo is None:
        facts.append((t("validate.factorability.bartlett"), "–"))
    else:
        b = result.bartlett
        facts.append((t("validate.factorability.bartlett"), t(
            "validate.factorability.bartlett_value", chisq=_number(b.chi_square, lang, 1), df=_integer(b.df, lang),
            p=_pvalue(b.p_value, lang))))
    blocks = [_text(t("validate.factorability.text")), _facts(facts)] if facts else []
    if result.kmo is not None:
        lowest = result.kmo.items.sort_values("msa").head(5)
        rows = [[_cell(r.item, "label"), _cell(_number(r.msa, lang, 3))] for r in lowest.itertuples()]
        blocks.append(_table(t("validate.factorability.lowest"), [t("validate.column.item"), "MSA"], rows))
    return blocks


def _n_factors_section(result: ValidationResult, lang: str) -> list[dict]:
    t = lambda key, **p: translate(key, lang, **p)  # noqa: E731
    facts = [(t("validate.n_factors.intended"), _integer(len(result.instrument.factors), lang))]
    if result.parallel is not None:
        facts.append((t("validate.n_factors.parallel_fa"), _integer(result.parallel.n_factors, lang)))
        facts.append((t("validate.n_factors.parallel_pc"), _integer(result.parallel.n_components, lang)))
    else:
        facts.append((t("validate.n_factors.parallel_fa"), "–"))
    if result.velicer is not None:
        facts.append((t("validate.n_factors.map_squared"), _integer(result.velicer.n_factors_squared, lang)))
        facts.append((t("validate.n_factors.map_fourth"), _integer(result.velicer.n_factors_fourth, lang)))
    else:
        facts.append((t("validate.n_factors.map_squared"), "–"))
    blocks = [_text(t("validate.n_factors.text")), _facts(facts)]
    if result.parallel is not None:
        blocks.append(_figure(charts.scree_chart(result.parallel, lang), t("validate.n_factors.scree_caption")))
    return blocks


def _efa_section(result: ValidationResult, lang: str) -> list[dict]:
    t = lambda key, **p: translate(key, lang, **p)  # noqa: E731
    solution = result.efa
    instrument = result.instrument
    if solution is None:
        return []
    blocks = [
        _text(t("validate.efa.text", n=solution.n_factors)),
        _facts([
            (t("validate.efa.n_respondents"), _integer(solution.n_respondents, lang)),
            (t("validate.efa.converged"), t("validate.yes") if solution.converged else t("validate.no")),
            (t("validate.efa.median_communality"), _number(float(solution.communalities.median()), lang)),
            (t("validate.efa.low_communality"), _integer(int((solution.communalities < 0.2).sum()), lang)),
        ]),
    ]
    key = key_matrix(instrument.scoring_key(), solution.loadings.index)
    if solution.n_factors == key.shape[1]:
        loadings, correlations = aligned_efa(solution, key)
    else:
        loadings, correlations = solution.loadings, solution.factor_correlations
    blocks.append(_figure(charts.loadings_heatmap(loadings, lang), t("validate.efa.heatmap_caption")))
    blocks.append(_matrix(correlations, t("validate.efa.correlations"), lang))

    if result.congruence is not None:
        rows = []
        for row in result.congruence.itertuples():
            # Lorenzo-Seva and ten Berge (2006): >= 0.95 equal, 0.85-0.94 fair similarity.
            label = "good" if row.congruence >= 0.95 else "fair" if row.congruence >= 0.85 else "poor"
            rows.append([_cell(f"{row.factor} {instrument.scale_name(row.factor, lang)}", "label"),
                         _cell(_number(row.congruence, lang, 3), "flag" if label == "poor" else ""),
                         _cell(t(f"validate.congruence.{label}"))])
        blocks.append(_table(t("validate.efa.congruence"), [t("validate.column.factor"), t("validate.column.congruence"), t("validate.column.assessment")], rows, t("validate.efa.congruence_note")))
    lowest = solution.communalities.sort_values().head(10)
    rows = [[_cell(item, "label"), _cell(_number(value, lang))] for item, value in lowest.items()]
    blocks.append(_table(t("validate.efa.lowest_communalities"), [t("validate.column.item"), "h²"], rows))
    return blocks


def _integer_range(low, high, lang: str) -> str:
    """Format ``low–high``, or one number when both are equal."""
    if low == high:
        return _integer(low, lang)
    return f"{_integer(low, lang)}–{_integer(high, lang)}"


def count_phrase(severity: str, count: int, lang: str) -> str:
    """Return e.g. "1 advarsel" or "2 advarsler": the count with the singular or plural noun."""
    form = "one" if count == 1 else "other"
    return translate(f"validate.count.{severity}_{form}", lang, n=count)


def index_variant_notes(fits: dict, lang: str) -> list[str]:
    """Return one sentence per variant of CFI, TLI and RMSEA among ``fits`` (none for ML)."""
    notes = []
    for variant in ("robust", "scaled"):
        names = [name for name, fit in fits.items() if fit.index_variant == variant]
        if names:
            notes.append(translate(f"validate.cfa.index_{variant}", lang, models=", ".join(names)))
    for name, fit in fits.items():
        if fit.index_variant == "none":
            reason = "df" if fit.measures["df"] == 0 else "baseline"
            notes.append(translate("validate.cfa.index_none", lang, models=name,
                                   reason=translate(f"validate.cfa.index_none_{reason}", lang)))
    return notes


def _cfa_section(result: ValidationResult, lang: str) -> list[dict]:
    t = lambda key, **p: translate(key, lang, **p)  # noqa: E731
    settings = result.settings
    blocks = [_text(t(f"validate.cfa.text_{settings.estimator}"))]
    fiml = cfa_missing_method(settings) == "fiml"
    if fiml:
        blocks.append(_text(t("validate.cfa.text_fiml")))
    if not result.fits:
        return blocks
    blocks.append(_facts([(f"N {name}", _integer(fit.n_used, lang)) for name, fit in result.fits.items()]))

    headers = [t("validate.column.model"), "N", "χ²", "df", "p", "CFI", "TLI", "RMSEA", t("validate.column.rmsea_ci"), "SRMR", "AIC", "BIC"]
    rows = []
    for name, fit in result.fits.items():
        m = fit.measures
        rows.append([
            _cell(model_label(name, lang), "label"), _cell(_integer(fit.n_used, lang)), _cell(_number(m["chisq"], lang, 1)),
            _cell(_integer(m["df"], lang)), _cell(_pvalue(m["pvalue"], lang)),
            _cell(_number(m["cfi"], lang, 3), "good" if m["cfi"] >= 0.95 else ""), _cell(_number(m["tli"], lang, 3)),
            _cell(_number(m["rmsea"], lang, 3), "good" if m["rmsea"] <= 0.06 else ""),
            _cell(f"[{_number(m['rmsea_ci_low'], lang, 3)}; {_number(m['rmsea_ci_high'], lang, 3)}]"),
            _cell(_number(m["srmr"], lang, 3)), _cell(_number(m["aic"], lang, 1)), _cell(_number(m["bic"], lang, 1)),
        ])
    note_key = f"validate.cfa.fit_note_{settings.estimator}" + ("_fiml" if fiml and settings.estimator == "mlr" else "")
    note = " ".join([t(note_key), *index_variant_notes(result.fits, lang)])
    blocks.append(_table(t("validate.cfa.fit_table"), headers, rows, note, wide=True))

    if result.comparisons is not None and len(result.comparisons):
        headers = [t("validate.column.restricted"), t("validate.column.general"), "Δχ²", "Δdf", "p", "ΔCFI", "ΔRMSEA"]
        rows = [[
            _cell(model_label(r.restricted, lang), "label"), _cell(model_label(r.general, lang)),
            _cell(_number(r.delta_chisq, lang, 1)), _cell(_integer(r.delta_df, lang)), _cell(_pvalue(r.pvalue, lang)),
            _cell(_number(r.delta_cfi, lang, 3), "flag" if r.delta_cfi < -0.01 else ""), _cell(_number(r.delta_rmsea, lang, 3)),
        ] for r in result.comparisons.itertuples()]
        blocks.append(_table(t("validate.cfa.comparison_table"), headers, rows, t("validate.cfa.comparison_note")))

    blocks.append(_loadings_block(result, lang))
    if "M4" in result.fits:
        second = second_order_loadings(result.fits["M4"], result.instrument)
        rows = [[_cell(r.dimension, "label"), _cell(r.factor), _cell(_number(r.loading, lang)), _cell(_number(r.se, lang, 3))] for r in second.itertuples()]
        blocks.append(_table(t("validate.cfa.second_order"), [t("validate.column.dimension"), t("validate.column.factor"), "λ", "SE"], rows))
    for name in ("M3", "M4"):
        if name in result.fits:
            matrix = correlation_matrix(result.fits[name].factor_correlations)
            if name == "M4":
                matrix = matrix.loc[[c for c in result.instrument.dimension_codes if c in matrix.index], [c for c in result.instrument.dimension_codes if c in matrix.columns]]
            blocks.append(_matrix(matrix, t("validate.cfa.correlations", model=model_label(name, lang)), lang, highlight=lambda v: abs(v) > 0.85))
    if result.modification_indices is not None:
        rows = [[_cell(f"{r.lhs} {r.op} {r.rhs}", "label"), _cell(_number(r.mi, lang, 1)), _cell(_number(r.epc, lang, 3)), _cell(_number(r.sepc_all, lang, 3))]
                for r in result.modification_indices.itertuples()]
        blocks.append(_table(t("validate.cfa.modification_indices"), [t("validate.column.parameter"), "MI", "EPC", "SEPC (std.all)"], rows, t("validate.cfa.mi_note")))
    return blocks


def _loadings_block(result: ValidationResult, lang: str) -> dict:
    t = lambda key, **p: translate(key, lang, **p)  # noqa: E731
    wide = loadings_wide(result.fits, result.instrument)
    columns = [c for c in ("M1", "M2", "M3", "M4", "M5_G", "M5") if c in wide.columns]
    headers = [t("validate.column.item"), t("validate.column.factor")] + [t(f"validate.loading_column.{c}") for c in columns]
    rows = []
    for row in wide.to_dict("records"):
        cells = [_cell(row["item"], "label"), _cell(row["factor"])]
        for column in columns:
            value, se = row.get(column, np.nan), row.get(f"{column}_se", np.nan)
            css = "flag" if isinstance(value, float) and math.isfinite(value) and abs(value) < 0.4 else ""
            cells.append(_cell(f"{_number(value, lang)} ({_number(se, lang)})", css))
        rows.append(cells)
    return _table(t("validate.cfa.loadings"), headers, rows, t("validate.cfa.loadings_note"), wide=True)


def _validity_section(result: ValidationResult, lang: str) -> list[dict]:
    t = lambda key, **p: translate(key, lang, **p)  # noqa: E731
    blocks = [_text(t("validate.validity.text"))]
    if result.ave is not None:
        rows = [[
            _cell(f"{r.factor} {result.instrument.scale_name(r.factor, lang)}", "label"), _cell(_integer(r.n_items, lang)),
            _cell(_number(r.ave, lang), "flag" if r.ave < 0.5 else ""), _cell(_number(math.sqrt(max(r.ave, 0.0)), lang)),
            _cell(_number(r.composite_reliability, lang), "flag" if r.composite_reliability < 0.7 else ""),
        ] for r in result.ave.itertuples()]
        blocks.append(_table(t("validate.validity.ave"), [t("validate.column.factor"), t("validate.column.n_items"), "AVE", "√AVE", "CR"], rows, t("validate.validity.ave_note")))
    if result.fornell_larcker is not None:
        frame = result.fornell_larcker
        diagonal = pd.Series(np.diag(frame.to_numpy()), index=frame.index)
        # A correlation at least as large as either factor's sqrt(AVE) breaks the criterion.
        rows = []
        headers = [""] + [str(c) for c in frame.columns]
        for name, values in frame.iterrows():
            row = [_cell(str(name), "label")]
            for column, value in values.items():
                css = "diag" if column == name else ("flag" if abs(value) >= min(diagonal[name], diagonal[column]) else "")
                row.append(_cell(_number(value, lang), css))
            rows.append(row)
        blocks.append(_table(t("validate.validity.fornell_larcker"), headers, rows, t("validate.validity.fornell_larcker_note")))
    if result.htmt is not None:
        blocks.append(_matrix(result.htmt, t("validate.validity.htmt"), lang, highlight=lambda v: v > HTMT_LIMIT,
                              note=t("validate.validity.htmt_note", limit=_number(HTMT_LIMIT, lang))))
    return blocks


def _invariance_section(result: ValidationResult, lang: str) -> list[dict]:
    t = lambda key, **p: translate(key, lang, **p)  # noqa: E731
    blocks = [_text(t("validate.invariance.text", group=result.settings.group))]
    if result.invariance is None:
        return blocks
    headers = [t("validate.column.step"), "χ²", "df", "CFI", "RMSEA", "Δχ²", "Δdf", "p", "ΔCFI", "ΔRMSEA"]
    rows = [[
        _cell(t(f"validate.invariance.{r.model}"), "label"), _cell(_number(r.chisq, lang, 1)), _cell(_integer(r.df, lang)),
        _cell(_number(r.cfi, lang, 3)), _cell(_number(r.rmsea, lang, 3)), _cell(_number(r.delta_chisq, lang, 1)),
        _cell(_integer(r.delta_df, lang)), _cell(_pvalue(r.pvalue, lang)),
        _cell(_number(r.delta_cfi, lang, 3), "flag" if isinstance(r.delta_cfi, float) and r.delta_cfi < -0.01 else ""),
        _cell(_number(r.delta_rmsea, lang, 3), "flag" if isinstance(r.delta_rmsea, float) and r.delta_rmsea > 0.015 else ""),
    ] for r in result.invariance.table.itertuples()]
    blocks.append(_table(t("validate.invariance.table"), headers, rows, t("validate.invariance.note")))
    return blocks


# Writers -----------------------------------------------------------------------


@functools.cache
def _environment() -> jinja2.Environment:
    loader = jinja2.FileSystemLoader(str(resources.files(__package__) / "templates"))
    return jinja2.Environment(loader=loader, autoescape=jinja2.select_autoescape(["html", "j2"]), undefined=jinja2.StrictUndefined)


def render_html(result: ValidationResult, lang: str) -> str:
    """Render the validation report as one self-contained HTML document (charts inline as SVG)."""
    css = (resources.files(__package__) / "templates" / "validation.css").read_text(encoding="utf-8")
    template = _environment().get_template("validation.html.j2")
    return template.render(v=build_view(result, lang), css=Markup(css))


def csv_tables(result: ValidationResult) -> dict[str, pd.DataFrame]:
    """Return the CSV tables by file name; a section that failed gives a table with headers only."""
    fit = result.fit_table if result.fit_table is not None else pd.DataFrame(columns=list(FIT_COLUMNS))
    reliability = result.reliability if result.reliability is not None else pd.DataFrame(columns=list(RELIABILITY_COLUMNS))
    items = result.item_analysis if result.item_analysis is not None else pd.DataFrame(columns=list(ITEM_COLUMNS))
    loadings = result.loadings if len(result.fits) else pd.DataFrame(columns=list(LOADING_COLUMNS))
    return {
        "fit.csv": fit.loc[:, list(FIT_COLUMNS)],
        "reliability.csv": reliability.loc[:, list(RELIABILITY_COLUMNS)],
        "items.csv": items.loc[:, list(ITEM_COLUMNS)],
        "loadings.csv": loadings.loc[:, list(LOADING_COLUMNS)],
    }


def write_validation(result: ValidationResult, folder: str | Path, lang: str = "da") -> dict[str, Path]:
    """Write ``validation.html`` and the CSV files into ``folder``, replacing it atomically.

    Returns
    -------
    dict
        Path of each file written, by file name (``FILE_NAMES``).
    """
    folder = Path(folder)
    html = render_html(result, lang)
    tables = csv_tables(result)
    with atomic_directory(folder) as temporary:
        (temporary / "validation.html").write_text(html, encoding="utf-8")
        for name, table in tables.items():
            _round_floats(table).to_csv(temporary / name, index=False, na_rep="", lineterminator="\n")
    logger.info("Wrote the validation report to %s.", folder)
    return {name: folder / name for name in FILE_NAMES}


def _round_floats(table: pd.DataFrame) -> pd.DataFrame:
    floats = [c for c in table.columns if pd.api.types.is_float_dtype(table[c])]
    return table.assign(**{c: table[c].round(CSV_DECIMALS) for c in floats}) if floats else table


__all__ = ["FILE_NAMES", "HTMT_LIMIT", "build_view", "csv_tables", "render_html", "write_validation"]
