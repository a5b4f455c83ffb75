"""Run every psychometric analysis of one rating and collect results and problems.

:func:`run_validation` reads a survey export, cleans it as scoring does, and
runs the sections of the validation report in order. A section that fails
(too few respondents, a singular covariance matrix, a model that does not
converge) leaves its result as ``None`` and a :class:`~.problems.Problem` in
its place; the other sections still run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputDataError
from ..i18n import LANGUAGES, translate
from ..instrument import Instrument, load_instrument
from ..io import ColumnMapping, Responses, read_responses
from ..psychometrics import (
    Bartlett,
    EfaResult,
    Kmo,
    ParallelAnalysis,
    Rotation,
    SchmidLeimanOmega,
    VelicerMap,
    average_variance_extracted,
    bartlett_sphericity,
    cronbach_alpha,
    efa,
    factor_congruence,
    fornell_larcker,
    htmt,
    item_analysis,
    key_matrix,
    kmo,
    omega_bifactor,
    omega_hierarchical,
    omega_second_order,
    parallel_analysis,
    reliability_table,
    target_rotation,
    velicer_map,
)
from ..psychometrics.confirmatory import MODEL_NAMES, InvarianceResult, build_model, measurement_invariance
from ..psychometrics.confirmatory.specification import GENERAL_FACTOR
from ..scoring import ScoringSettings, clean_responses, item_scores
from .models import ESTIMATORS, LOADING_COLUMNS, MISSING_METHODS, ModelFit, fit_model, fit_table, nested_comparisons
from .problems import Problem, ProblemLog
from .screening import DROPPED_COLUMNS, Screening, reduce_instrument, screen_items

logger = logging.getLogger(__name__)

#: Report sections in order; problems are filed under these keys.
SECTIONS = (
    "sample", "items", "reliability", "factorability", "n_factors", "efa", "cfa", "validity", "invariance",
)

#: Modification indices listed for the correlated-factors model.
N_MODIFICATION_INDICES = 10

#: Complete cases below which HTMT values get a note that they are uncertain.
#: Correlations from fewer than about 100 respondents have standard errors near 0.1.
HTMT_MIN_COMPLETE = 100

# Sections whose analyses need the inverse of the item correlation matrix.
_INVERSE_SECTIONS = ("factorability", "n_factors", "efa")


@dataclass(frozen=True)
class ValidationSettings:
    """Choices of a validation run.

    Attributes
    ----------
    rating : str, default "nu"
        The rating whose items are analysed.
    estimator : {"ml", "mlr", "wlsmv"}, default "ml"
        Estimator of the confirmatory models (lavaan's default is ML).
    missing : {"listwise", "pairwise", "fiml"}, optional
        Missing answers in the confirmatory models. By default FIML for ML and
        MLR (lavaan's ``missing = "ml"``) and listwise deletion for WLSMV. ML and
        MLR accept listwise and FIML, WLSMV listwise and pairwise deletion.
    group : str, optional
        Column (``team`` or a background column) for measurement invariance.
    models : tuple of str, default all of M1-M5
    n_efa_factors : int, optional
        Factors of the exploratory analysis; the instrument's number of factors
        when omitted (9 for LQP).
    random_state : int, default 20250301
        Seed of the simulated data sets of the parallel analysis.
    scoring : ScoringSettings
        Duplicate and exclusion rules, as for scoring.
    """

    rating: str = "nu"
    estimator: str = "ml"
    missing: str | None = None
    group: str | None = None
    models: tuple[str, ...] = MODEL_NAMES
    n_efa_factors: int | None = None
    random_state: int = 20250301
    scoring: ScoringSettings = field(default_factory=ScoringSettings)


@dataclass(frozen=True)
class ValidationResult:
    """Results of every section of a validation run; ``None`` where a section failed.

    Attributes
    ----------
    settings : ValidationSettings
    instrument : Instrument
    source : dict
        ``file``, ``sha256`` and ``rows_read`` of the export.
    sample : dict
        Counts: ``rows_read``, ``duplicates_dropped``, ``excluded_too_few_answers``,
        ``respondents`` (in the item data), ``complete_cases`` (no missing answer
        of the rating), ``missing_share`` (of all item cells),
        ``respondents_with_missing``, ``group_sizes`` (Series or None).
    items : DataFrame
        The item scores analysed (index ``respondent_id``, reverse items reversed).
    item_analysis, reliability : DataFrame or None
    omega_sl : SchmidLeimanOmega or None
        Omega hierarchical and total of all items (Schmid-Leiman).
    kmo : Kmo or None
    bartlett : Bartlett or None
    parallel : ParallelAnalysis or None
    velicer : VelicerMap or None
    efa : EfaResult or None
    target : Rotation or None
        The EFA's unrotated loadings rotated toward the scoring key.
    congruence : DataFrame or None
        ``factor``, ``congruence``: Tucker's coefficient of each target-rotated
        factor with its key column.
    fits : dict of str to ModelFit
        Fitted models, by name.
    fit_table, comparisons : DataFrame or None
    modification_indices : DataFrame or None
        The largest modification indices of M3 (ML and MLR only).
    cfa_omega : DataFrame or None
        ``model``, ``scale``, ``omega_hierarchical``, ``omega_total``: from the
        bifactor model (M5) for the instrument and from the second-order model
        (M4) per dimension.
    ave, fornell_larcker, htmt : DataFrame or None
    invariance : InvarianceResult or None
    problems : tuple of Problem
    screening : Screening or None
        Constant and duplicated items left out of every analysis after the item
        analysis, and whether the correlation matrix of the rest is singular.
    """

    settings: ValidationSettings
    instrument: Instrument
    source: dict
    sample: dict
    items: pd.DataFrame
    item_analysis: pd.DataFrame | None = None
    reliability: pd.DataFrame | None = None
    omega_sl: SchmidLeimanOmega | None = None
    kmo: Kmo | None = None
    bartlett: Bartlett | None = None
    parallel: ParallelAnalysis | None = None
    velicer: VelicerMap | None = None
    efa: EfaResult | None = None
    target: Rotation | None = None
    congruence: pd.DataFrame | None = None
    fits: dict = field(default_factory=dict)
    fit_table: pd.DataFrame | None = None
    comparisons: pd.DataFrame | None = None
    modification_indices: pd.DataFrame | None = None
    cfa_omega: pd.DataFrame | None = None
    ave: pd.DataFrame | None = None
    fornell_larcker: pd.DataFrame | None = None
    htmt: pd.DataFrame | None = None
    invariance: InvarianceResult | None = None
    problems: tuple[Problem, ...] = ()
    screening: Screening | None = None

    @property
    def dropped_items(self) -> pd.DataFrame:
        """Items left out after the item analysis (columns ``item``, ``reason``, ``duplicate_of``)."""
        if self.screening is None:
            return pd.DataFrame(columns=list(DROPPED_COLUMNS))
        return self.screening.dropped

    def problems_of(self, section: str) -> list[Problem]:
        """Return the problems recorded for ``section``."""
        return [p for p in self.problems if p.section == section]

    @property
    def loadings(self) -> pd.DataFrame:
        """Standardized loadings with standard errors of every fitted model (``loadings.csv``)."""
        frames = [fit.loadings for fit in self.fits.values()]
        if not frames:
            return pd.DataFrame(columns=list(LOADING_COLUMNS))
        return pd.concat(frames, ignore_index=True)


def cfa_missing_method(settings: ValidationSettings) -> str:
    """Return the missing-data method the confirmatory models use with these settings.

    ML and MLR use FIML unless listwise deletion is requested; WLSMV uses
    pairwise deletion when requested and listwise deletion otherwise.
    """
    if settings.estimator == "wlsmv":
        return "pairwise" if settings.missing == "pairwise" else "listwise"
    return "listwise" if settings.missing == "listwise" else "fiml"


def check_settings(settings: ValidationSettings, instrument: Instrument) -> None:
    """Raise :class:`InputDataError` for a setting the instrument or the engines do not have."""
    if settings.rating not in instrument.rating_codes:
        raise InputDataError("validate.unknown_rating", value=settings.rating, expected=", ".join(instrument.rating_codes))
    if settings.estimator not in ESTIMATORS:
        raise InputDataError("validate.unknown_estimator", value=settings.estimator, expected=", ".join(ESTIMATORS))
    if settings.missing is not None and settings.missing not in MISSING_METHODS:
        raise InputDataError("validate.unknown_missing", value=settings.missing, expected=", ".join(MISSING_METHODS))
    unknown = [m for m in settings.models if m not in MODEL_NAMES]
    if unknown:
        raise InputDataError("validate.unknown_model", value=", ".join(unknown), expected=", ".join(MODEL_NAMES))


def load_items(
    data: str | Path | Responses,
    instrument: Instrument | str | Path | None,
    mapping: ColumnMapping | str | Path | None,
    settings: ValidationSettings,
) -> tuple[Responses, pd.DataFrame, dict, pd.Series | None]:
    """Read (unless given) and clean the responses.

    Only the chosen rating's answer columns are required; ``team`` and
    ``submitted_at`` are optional.

    Returns
    -------
    tuple
        The responses as read, the item scores of the included respondents, the
        sample counts (see :class:`ValidationResult`) and the grouping column
        aligned to the item scores (``None`` without ``settings.group``).
    """
    if isinstance(data, Responses):
        responses = data
    else:
        responses = read_responses(data, instrument, mapping, ratings=(settings.rating,), require_team=False)
    check_settings(settings, responses.instrument)
    if settings.rating not in responses.ratings:
        raise InputDataError(
            "validate.unknown_rating", value=settings.rating, expected=", ".join(responses.ratings)
        )
    if settings.group is not None and settings.group not in responses.data.columns:
        available = [c for c in responses.data.columns if c == "team" or c in responses.background_columns]
        raise InputDataError("validate.unknown_group", value=settings.group, expected=", ".join(available) or "-")

    clean = clean_responses(responses, settings.scoring)
    items = item_scores(clean, settings.rating)
    cells = items.size
    sample = {
        "rows_read": int(responses.rows_read or len(responses.data)),
        "duplicates_dropped": int(clean.duplicates_dropped),
        "excluded_too_few_answers": int(clean.excluded_too_few_answers),
        "respondents": int(len(items)),
        "complete_cases": int(items.notna().all(axis=1).sum()),
        "respondents_with_missing": int(items.isna().any(axis=1).sum()),
        "missing_share": float(items.isna().to_numpy().sum() / cells) if cells else float("nan"),
        "group_sizes": None,
    }
    groups = None
    if settings.group is not None:
        groups = pd.Series(clean.data[settings.group].to_numpy(), index=items.index, name=settings.group)
        sample["group_sizes"] = groups.value_counts(dropna=True).sort_index()
    return responses, items, sample, groups


def run_validation(
    data: str | Path | Responses,
    instrument: Instrument | str | Path | None = None,
    mapping: ColumnMapping | str | Path | None = None,
    settings: ValidationSettings | None = None,
) -> ValidationResult:
    """Run the psychometric validation of one rating of a survey export.

    Parameters
    ----------
    data : str, Path or Responses
        The survey export, or responses already read.
    instrument : Instrument, str or Path, optional
        LQP by default.
    mapping : ColumnMapping, str or Path, optional
        Column mapping of the export.
    settings : ValidationSettings, optional

    Returns
    -------
    ValidationResult

    Raises
    ------
    InputDataError
        When the file cannot be read or a setting is invalid (an unknown rating,
        estimator or grouping column). Problems of single analyses do not raise;
        they are recorded in ``ValidationResult.problems``.
    """
    settings = settings or ValidationSettings()
    if not isinstance(data, Responses) and not isinstance(instrument, Instrument):
        instrument = load_instrument(instrument)
    responses, items, sample, groups = load_items(data, instrument, mapping, settings)
    instrument = responses.instrument
    log = ProblemLog()
    source = {
        "file": responses.source.name if responses.source is not None else "",
        "sha256": responses.sha256 or "",
        "rows_read": sample["rows_read"],
    }
    logger.info("Validating rating %s of %s: %d respondents.", settings.rating, source["file"], len(items))

    screening = screen_items(items)
    _log_screening(screening, log)
    analysed = items.loc[:, list(screening.kept)]
    reduced = reduce_instrument(instrument, screening.kept)

    sections: dict = {}
    sections.update(_item_sections(items, analysed, instrument, reduced, screening, log))
    sections.update(_exploratory_sections(analysed, reduced, settings, screening, log))
    fits = _fit_models(analysed, reduced, settings, sample, screening, log)
    sections.update(_confirmatory_sections(analysed, reduced, settings, fits, screening, log))
    sections["invariance"] = _invariance(analysed, groups, reduced, settings, log)
    return ValidationResult(
        screening=screening,
        settings=settings,
        instrument=instrument,
        source=source,
        sample=sample,
        items=items,
        fits=fits,
        problems=tuple(log.problems),
        **sections,
    )


def _log_screening(screening: Screening, log: ProblemLog) -> None:
    """Record the dropped items and a singular correlation matrix, once each."""
    dropped = screening.dropped
    if len(dropped):
        messages = {}
        for lang in LANGUAGES:
            parts = []
            constant = dropped[dropped["reason"] == "constant"]["item"].tolist()
            if constant:
                parts.append(translate("validate.screening.constant", lang, items=", ".join(constant)))
            copies = dropped[dropped["reason"] == "duplicate"]
            if len(copies):
                pairs = ", ".join(f"{r.item} = {r.duplicate_of}" for r in copies.itertuples())
                parts.append(translate("validate.screening.duplicate", lang, pairs=pairs))
            parts.append(translate("validate.screening.dropped", lang, items=", ".join(dropped["item"])))
            messages[lang] = " ".join(parts)
        log.add("items", "warning", messages)
    if screening.singular == "few_respondents":
        log.error("sample", "validate.screening.few_respondents", n=screening.n_respondents, items=len(screening.kept))
    elif screening.singular == "singular":
        messages = {
            lang: translate("validate.screening.singular", lang, items=len(screening.kept),
                            determinant=format_determinant(screening.determinant, lang))
            for lang in LANGUAGES
        }
        log.add("sample", "error", messages)


def format_determinant(value: float, lang: str) -> str:
    """Format a determinant as ``8.99 × 10^-112`` with the decimal mark of ``lang``."""
    if not np.isfinite(value):
        return "–"
    if value == 0:
        return "0"
    exponent = int(np.floor(np.log10(abs(value))))
    mantissa = f"{value / 10.0 ** exponent:.2f}"
    if lang == "da":
        mantissa = mantissa.replace(".", ",").replace("-", "−")
    return f"{mantissa} × 10^{exponent}" if exponent else mantissa


def _skip_note(screening: Screening, section: str, log: ProblemLog) -> bool:
    """Record why a section that needs an invertible correlation matrix is skipped; True when it is."""
    if not screening.singular:
        return False
    log.note(section, f"validate.screening.skipped_{screening.singular}")
    return True


def _item_sections(
    items: pd.DataFrame, analysed: pd.DataFrame, instrument: Instrument, reduced: Instrument, screening: Screening,
    log: ProblemLog,
) -> dict:
    scale = instrument.scale
    analysis = log.run("items", item_analysis, items, instrument.scoring_key(), scale_min=scale.min, scale_max=scale.max)
    key = reduced.scoring_key()
    dimensions = {d.code: list(d.factors) for d in reduced.dimensions} or None
    reliability = log.run("reliability", reliability_table, analysed, key, dimensions)
    if reliability is not None:
        reliability = reliability.assign(omega_hierarchical=np.nan)
    n_group = len(reduced.factors)
    # Omega hierarchical comes from an EFA, which needs the inverse correlation matrix.
    omega_sl = None
    if not _skip_note(screening, "reliability", log):
        omega_sl = log.run("reliability", omega_hierarchical, analysed, n_factors=n_group, context="omega (Schmid-Leiman)")
    whole = log.run("reliability", cronbach_alpha, analysed)
    if reliability is not None and (whole is not None or omega_sl is not None):
        row = {
            "level": "instrument",
            "scale": instrument_name(instrument),
            "n_items": whole.n_items if whole is not None else analysed.shape[1],
            "n_respondents": whole.n_respondents if whole is not None else len(analysed),
            "alpha": whole.alpha if whole is not None else np.nan,
            "alpha_ci_low": whole.ci_low if whole is not None else np.nan,
            "alpha_ci_high": whole.ci_high if whole is not None else np.nan,
            "omega_total": omega_sl.omega_total if omega_sl is not None else np.nan,
            "omega_hierarchical": omega_sl.omega_hierarchical if omega_sl is not None else np.nan,
        }
        reliability = pd.concat([reliability, pd.DataFrame([row])], ignore_index=True)
    return {"item_analysis": analysis, "reliability": reliability, "omega_sl": omega_sl}


def instrument_name(instrument: Instrument) -> str:
    """Return the short name used for the whole instrument in tables (``LQP``)."""
    return instrument.short_name or instrument.name


def _exploratory_sections(
    items: pd.DataFrame, instrument: Instrument, settings: ValidationSettings, screening: Screening, log: ProblemLog
) -> dict:
    skipped = [_skip_note(screening, section, log) for section in _INVERSE_SECTIONS]
    if any(skipped):
        return {
            "kmo": None, "bartlett": None, "parallel": None, "velicer": None,
            "efa": None, "target": None, "congruence": None,
        }
    sampling = log.run("factorability", kmo, items)
    sphericity = log.run("factorability", bartlett_sphericity, items)
    parallel = log.run("n_factors", parallel_analysis, items, random_state=settings.random_state)
    max_factors = min(max(len(instrument.factors) + 3, 8), max(items.shape[1] - 1, 1))
    velicer = log.run("n_factors", velicer_map, items, max_factors=max_factors)

    n_factors = settings.n_efa_factors or len(instrument.factors)
    solution = log.run("efa", efa, items, n_factors=n_factors)
    target, congruence = None, None
    if solution is not None:
        key = key_matrix(instrument.scoring_key(), solution.unrotated_loadings.index)
        target = log.run("efa", target_rotation, solution.unrotated_loadings, key, context="target rotation")
        if target is not None:
            target = _named_rotation(target, key)
            coefficients = factor_congruence(target.loadings, key)
            congruence = pd.DataFrame({
                "factor": list(key.columns),
                "congruence": [float(coefficients.loc[f, f]) for f in key.columns],
            })
    return {
        "kmo": sampling, "bartlett": sphericity, "parallel": parallel, "velicer": velicer,
        "efa": solution, "target": target, "congruence": congruence,
    }


def _named_rotation(rotation: Rotation, key: pd.DataFrame) -> Rotation:
    """Name the target-rotated factors after the key columns they were rotated toward."""
    import dataclasses

    loadings = rotation.loadings.copy()
    loadings.columns = list(key.columns)
    correlations = rotation.factor_correlations.copy()
    correlations.index = list(key.columns)
    correlations.columns = list(key.columns)
    return dataclasses.replace(rotation, loadings=loadings, factor_correlations=correlations)


def _fit_models(
    items: pd.DataFrame, instrument: Instrument, settings: ValidationSettings, sample: dict, screening: Screening,
    log: ProblemLog,
) -> dict[str, ModelFit]:
    if settings.missing == "pairwise" and settings.estimator != "wlsmv":
        log.warn("cfa", "validate.note.pairwise_needs_wlsmv", estimator=settings.estimator.upper())
    if settings.missing == "fiml" and settings.estimator == "wlsmv":
        log.warn("cfa", "validate.note.fiml_needs_ml")
    missing = cfa_missing_method(settings)
    if screening.singular == "few_respondents":
        log.note("cfa", "validate.screening.skipped_few_respondents")
        return {}
    complete_cases = int(items.notna().all(axis=1).sum())
    if missing == "listwise" and complete_cases <= items.shape[1]:
        # Every model would fail on the same singular covariance matrix; say it once.
        log.error(
            "cfa", "validate.note.too_few_complete", complete=complete_cases,
            respondents=sample["respondents"], items=items.shape[1],
        )
        return {}
    fits: dict[str, ModelFit] = {}
    for name in settings.models:
        fit = log.run("cfa", _fit_single_group, items, instrument, name, settings.estimator, missing, context=name)
        if fit is None:
            continue
        if not fit.converged:
            log.warn("cfa", "validate.note.not_converged", context=name)
        fits[name] = fit
    return fits


def _fit_single_group(
    items: pd.DataFrame, instrument: Instrument, model: str, estimator: str, missing: str
) -> ModelFit:
    """Call :func:`fit_model`, restating the engine's data errors without its internal group name."""
    try:
        return fit_model(items, instrument, model, estimator, missing)
    except InputDataError as error:
        key = getattr(error, "key", "")
        params = dict(getattr(error, "params", {}) or {})
        if key == "cfa.too_few_respondents":
            variant = "fiml" if missing == "fiml" else "complete"
            raise InputDataError(f"validate.cfa_data.too_few_{variant}", n=params.get("n"), items=params.get("p")) from error
        if key in ("cfa.constant_item", "cfa.duplicated_items", "cfa.singular_covariance"):
            raise InputDataError(f"validate.cfa_data.{key.split('.')[1]}", items=params.get("items", "")) from error
        raise


def _confirmatory_sections(
    items: pd.DataFrame, instrument: Instrument, settings: ValidationSettings, fits: dict[str, ModelFit],
    screening: Screening, log: ProblemLog,
) -> dict:
    table = fit_table(fits) if fits else None
    comparisons = log.run("cfa", nested_comparisons, fits) if fits else None
    if settings.estimator == "wlsmv" and len(fits) > 1:
        log.note("cfa", "validate.note.no_difference_test_wlsmv")

    indices = None
    if "M3" in fits and settings.estimator != "wlsmv":
        indices = log.run("cfa", fits["M3"].result.modification_indices, N_MODIFICATION_INDICES, context="M3")
    elif "M3" in fits:
        log.note("cfa", "validate.note.no_modification_indices_wlsmv")

    cfa_omega = log.run("cfa", _cfa_omega, fits, instrument) if fits else None

    ave = fornell = None
    if "M3" in fits:
        first_order = _first_order_loadings(fits["M3"], instrument)
        ave = log.run("validity", average_variance_extracted, first_order)
        correlations = fits["M3"].factor_correlations
        fornell = log.run("validity", fornell_larcker, first_order, correlations)
    else:
        log.note("validity", "validate.note.validity_needs_m3")
    ratios = _htmt(items, instrument, screening, log)
    return {
        "fit_table": table, "comparisons": comparisons, "modification_indices": indices,
        "cfa_omega": cfa_omega, "ave": ave, "fornell_larcker": fornell, "htmt": ratios,
    }


def _htmt(items: pd.DataFrame, instrument: Instrument, screening: Screening, log: ProblemLog) -> pd.DataFrame | None:
    """Compute HTMT unless there are no more respondents than items; note values above 1 and few complete cases."""
    if screening.singular == "few_respondents":
        log.note("validity", "validate.screening.skipped_few_respondents")
        return None
    ratios = log.run("validity", htmt, items, instrument.scoring_key())
    if ratios is None:
        return None
    complete = int(items.notna().all(axis=1).sum())
    if complete < HTMT_MIN_COMPLETE:
        log.warn("validity", "validate.htmt.few_complete", n=complete, minimum=HTMT_MIN_COMPLETE)
    values = ratios.to_numpy()
    off_diagonal = values[~np.eye(len(values), dtype=bool)]
    if (off_diagonal > 1).any():
        log.warn("validity", "validate.htmt.above_one")
    return ratios


def _first_order_loadings(fit: ModelFit, instrument: Instrument) -> pd.DataFrame:
    factors = set(instrument.factor_codes)
    rows = fit.loadings[fit.loadings["factor"].isin(factors) & ~fit.loadings["indicator"].isin(factors)]
    return pd.DataFrame({
        "factor": rows["factor"].to_numpy(), "item": rows["indicator"].to_numpy(), "loading": rows["loading"].to_numpy(),
    })


def _cfa_omega(fits: dict[str, ModelFit], instrument: Instrument) -> pd.DataFrame | None:
    rows = []
    if "M5" in fits:
        loadings = fits["M5"].loadings.rename(columns={"indicator": "item"})
        value = omega_bifactor(loadings[["factor", "item", "loading"]], GENERAL_FACTOR)
        rows.append({"model": "M5", "scale": instrument_name(instrument), "omega_hierarchical": value.omega_hierarchical,
                     "omega_total": value.omega_total})
    if "M4" in fits:
        loadings = fits["M4"].loadings.rename(columns={"indicator": "item"})[["factor", "item", "loading"]]
        factors = set(instrument.factor_codes)
        for dimension in instrument.dimensions:
            first = loadings[loadings["factor"].isin(dimension.factors) & ~loadings["item"].isin(factors)]
            second = loadings[(loadings["factor"] == dimension.code)]
            value = omega_second_order(first, second)
            rows.append({"model": "M4", "scale": dimension.code, "omega_hierarchical": value.omega_hierarchical,
                         "omega_total": value.omega_total})
    if not rows:
        return None
    return pd.DataFrame(rows, columns=["model", "scale", "omega_hierarchical", "omega_total"])


def _invariance(
    items: pd.DataFrame, groups: pd.Series | None, instrument: Instrument, settings: ValidationSettings,
    log: ProblemLog,
) -> InvarianceResult | None:
    if groups is None:
        return None
    if settings.estimator == "wlsmv":
        log.note("invariance", "validate.note.invariance_needs_ml")
        return None
    data = items.assign(**{groups.name: groups.to_numpy()})
    data = data[data[groups.name].notna()]
    model = build_model(instrument, "M3")
    return log.run("invariance", measurement_invariance, data, model, settings.group, estimator=settings.estimator)


__all__ = [
    "N_MODIFICATION_INDICES",
    "SECTIONS",
    "ValidationResult",
    "ValidationSettings",
    "check_settings",
    "instrument_name",
    "load_items",
    "run_validation",
]
