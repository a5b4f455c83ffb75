"""Fit measures with lavaan's names and definitions (``fitMeasures``)."""

from __future__ import annotations

import numpy as np
from scipy import optimize, stats

from .missing_data import independence_loglik
from .model import CompiledModel, vech_indices
from .robust import RobustResult
from .sample import SampleMoments

#: Confidence level of the RMSEA interval, as lavaan's default.
RMSEA_CI_LEVEL = 0.90
#: RMSEA of close fit tested by ``rmsea.pvalue`` (lavaan's ``rmsea.close.h0``).
RMSEA_CLOSE = 0.05


def fit_measures(
    model: CompiledModel,
    theta: np.ndarray,
    objective: float,
    sample: SampleMoments,
    robust: RobustResult | None = None,
) -> dict[str, float]:
    """Return lavaan's fit measures of an ML or MLR solution.

    Parameters
    ----------
    model : CompiledModel
    theta : ndarray
        ML estimates.
    objective : float
        ``F`` at ``theta`` (twice lavaan's ``fmin``).
    sample : SampleMoments
    robust : RobustResult, optional
        Given for MLR; adds the ``.scaled`` and ``.robust`` measures.

    Returns
    -------
    dict
        Keys as lavaan: ``npar, fmin, chisq, df, pvalue, baseline.chisq,
        baseline.df, baseline.pvalue, cfi, tli, logl, unrestricted.logl, aic, bic,
        bic2, ntotal, rmsea, rmsea.ci.lower, rmsea.ci.upper, rmsea.pvalue, srmr``;
        with ``robust`` also ``chisq.scaled, df.scaled, pvalue.scaled,
        chisq.scaling.factor, baseline.chisq.scaled, baseline.chisq.scaling.factor,
        cfi.scaled, tli.scaled, cfi.robust, tli.robust, rmsea.scaled,
        rmsea.ci.lower.scaled, rmsea.ci.upper.scaled, rmsea.robust,
        rmsea.ci.lower.robust, rmsea.ci.upper.robust``.

    Notes
    -----
    Definitions are those of lavaan 0.6-14 ``fitMeasures()``. ``chisq = N F`` and
    the baseline is the independence model. RMSEA uses N (not N - 1) and is
    multiplied by ``sqrt(G)`` for G groups. ``srmr`` is Bentler's SRMR: residuals
    are divided by the sample standard deviations, mean residuals are included
    with a mean structure, and groups are weighted by ``n_g / N``. The robust CFI, TLI and RMSEA follow
    Brosseau-Liard and Savalei (2014) and Brosseau-Liard, Savalei and Li (2012).

    With FIML (``sample.missing == "fiml"``) ``chisq = 2 (logl_H1 - logl)``, the
    saturated model fitted by EM, the baseline is the independence model fitted
    by FIML, and ``srmr`` uses the EM moments in place of the sample moments:
    lavaan 0.6-14 then reports its ``srmr_bentler`` as ``srmr``. The robust CFI,
    TLI and RMSEA are NaN under FIML, because lavaan uses other corrections there.

    References
    ----------
    Brosseau-Liard, P. E., & Savalei, V. (2014). Adjusting incremental fit indices
    for nonnormality. Multivariate Behavioral Research, 49(5), 460-470.
    https://doi.org/10.1080/00273171.2014.933697

    Brosseau-Liard, P. E., Savalei, V., & Li, L. (2012). An investigation of the
    sample performance of two nonnormality corrections for RMSEA. Multivariate
    Behavioral Research, 47(6), 904-930. https://doi.org/10.1080/00273171.2012.715252
    """
    n_total = sample.n_total
    n_groups = len(sample.n_obs)
    p = len(sample.observed)
    moments_per_group = p * (p + 1) // 2 + (p if model.meanstructure else 0)
    npar = model.n_free
    df = n_groups * moments_per_group - npar

    chisq = n_total * objective
    baseline_df = n_groups * (p * (p + 1) // 2 - p)
    if sample.missing == "fiml":
        unrestricted_logl = sample.unrestricted_loglik
        logl = unrestricted_logl - chisq / 2.0
        baseline_chisq = 2.0 * (unrestricted_logl - _fiml_baseline_loglik(sample))
    else:
        baseline_chisq = _baseline_chisq(sample)
        logl, unrestricted_logl = _log_likelihoods(model, theta, sample)

    measures: dict[str, float] = {
        "npar": float(npar),
        "fmin": objective / 2.0,
        "chisq": chisq,
        "df": float(df),
        "pvalue": _chisq_pvalue(chisq, df),
        "baseline.chisq": baseline_chisq,
        "baseline.df": float(baseline_df),
        "baseline.pvalue": _chisq_pvalue(baseline_chisq, baseline_df),
        "cfi": comparative_fit_index(chisq, df, baseline_chisq, baseline_df),
        "tli": tucker_lewis_index(chisq, df, baseline_chisq, baseline_df),
        "logl": logl,
        "unrestricted.logl": unrestricted_logl,
        "aic": -2.0 * logl + 2.0 * npar,
        "bic": -2.0 * logl + npar * np.log(n_total),
        "bic2": -2.0 * logl + npar * np.log((n_total + 2.0) / 24.0),
        "ntotal": float(n_total),
    }
    measures["rmsea"] = _rmsea(chisq, df, n_total, n_groups)
    lower, upper = _rmsea_interval(chisq, df, n_total, n_groups)
    measures["rmsea.ci.lower"], measures["rmsea.ci.upper"] = lower, upper
    measures["rmsea.pvalue"] = _rmsea_close_pvalue(chisq, df, n_total, n_groups)
    measures["srmr"] = standardized_root_mean_residual(model, theta, sample)

    if robust is not None:
        measures.update(_robust_measures(measures, robust, n_total, n_groups))
        if sample.missing == "fiml":
            # TODO: lavaan 0.6-14 computes the robust CFI, TLI and RMSEA under FIML
            # with the corrections of Zhang and Savalei (lav_fit_fiml_corrected), not
            # with the complete-data formulas; they are not implemented here.
            for name in _ROBUST_ONLY:
                measures[name] = np.nan
    return measures


#: Robust (not scaled) measures, whose complete-data formulas do not hold under FIML.
_ROBUST_ONLY = (
    "cfi.robust", "tli.robust", "rmsea.robust", "rmsea.ci.lower.robust", "rmsea.ci.upper.robust",
)


def comparative_fit_index(chisq: float, df: float, baseline_chisq: float, baseline_df: float) -> float:
    """Return Bentler's CFI, ``1 - max(chisq - df, 0) / max(chisq - df, baseline_chisq - baseline_df, 0)``."""
    numerator = max(chisq - df, 0.0)
    denominator = max(chisq - df, baseline_chisq - baseline_df, 0.0)
    return 1.0 if denominator == 0 else 1.0 - numerator / denominator


def tucker_lewis_index(chisq: float, df: float, baseline_chisq: float, baseline_df: float) -> float:
    """Return the Tucker-Lewis index (NNFI) as lavaan, not truncated to [0, 1]."""
    if df == 0:
        return 1.0
    baseline_ratio = baseline_chisq / baseline_df
    return (baseline_ratio - chisq / df) / (baseline_ratio - 1.0)


def standardized_root_mean_residual(model: CompiledModel, theta: np.ndarray, sample: SampleMoments) -> float:
    """Return Bentler's SRMR as lavaan's ``srmr`` (see :func:`fit_measures`)."""
    p = len(sample.observed)
    rows, cols = vech_indices(p)
    total = 0.0
    for group, weight in enumerate(sample.weights):
        sigma, mu = model.implied_moments(theta, group)
        covariance = sample.covariances[group]
        sd = np.sqrt(np.diag(covariance))
        residual = (covariance - sigma) / np.outer(sd, sd)
        squares = np.sum(residual[rows, cols] ** 2)
        count = len(rows)
        if mu is not None:
            squares += np.sum(((sample.means[group] - mu) / sd) ** 2)
            count += p
        total += weight * np.sqrt(squares / count)
    return float(total)


def _fiml_baseline_loglik(sample: SampleMoments) -> float:
    return float(sum(independence_loglik(patterns) for patterns in sample.patterns))


def _baseline_chisq(sample: SampleMoments) -> float:
    total = 0.0
    for covariance, n in zip(sample.covariances, sample.n_obs):
        _, log_det = np.linalg.slogdet(covariance)
        total += n * (np.sum(np.log(np.diag(covariance))) - log_det)
    return float(total)


def _log_likelihoods(model: CompiledModel, theta: np.ndarray, sample: SampleMoments) -> tuple[float, float]:
    p = len(sample.observed)
    logl, unrestricted = 0.0, 0.0
    for group, n in enumerate(sample.n_obs):
        sigma, mu = model.implied_moments(theta, group)
        covariance = sample.covariances[group]
        _, log_det_sigma = np.linalg.slogdet(sigma)
        inverse = np.linalg.inv(sigma)
        value = log_det_sigma + np.trace(covariance @ inverse)
        if mu is not None:
            difference = sample.means[group] - mu
            value += difference @ inverse @ difference
        logl += -0.5 * n * (p * np.log(2 * np.pi) + value)
        _, log_det_sample = np.linalg.slogdet(covariance)
        unrestricted += -0.5 * n * (p * np.log(2 * np.pi) + log_det_sample + p)
    return float(logl), float(unrestricted)


def _chisq_pvalue(chisq: float, df: float) -> float:
    return float(stats.chi2.sf(chisq, df)) if df > 0 else np.nan


def _rmsea(chisq: float, df: float, n_total: int, n_groups: int) -> float:
    if df <= 0:
        return 0.0
    return float(np.sqrt(max((chisq - df) / (n_total * df), 0.0)) * np.sqrt(n_groups))


def _noncentrality(chisq: float, df: float, probability: float, n_total: int) -> float:
    # The noncentrality at which chisq is the given quantile, 0 when even a central
    # distribution puts less than `probability` below chisq.
    def excess(noncentrality: float) -> float:
        return float(stats.ncx2.cdf(chisq, df, noncentrality)) - probability

    if stats.chi2.cdf(chisq, df) < probability:
        return 0.0
    upper = max(float(n_total), 4.0 * chisq)
    return float(optimize.brentq(excess, 1e-12, upper, xtol=1e-12))


def _rmsea_interval(chisq: float, df: float, n_total: int, n_groups: int) -> tuple[float, float]:
    if df <= 0:
        return 0.0, 0.0
    tail = (1.0 - RMSEA_CI_LEVEL) / 2.0
    lower = _noncentrality(chisq, df, 1.0 - tail, n_total)
    upper = _noncentrality(chisq, df, tail, n_total)
    factor = np.sqrt(n_groups) / np.sqrt(n_total * df)
    return float(np.sqrt(lower) * factor), float(np.sqrt(upper) * factor)


def _rmsea_close_pvalue(chisq: float, df: float, n_total: int, n_groups: int) -> float:
    if df <= 0:
        return np.nan
    noncentrality = n_total * df * RMSEA_CLOSE**2 / n_groups
    return float(stats.ncx2.sf(chisq, df, noncentrality))


def _robust_measures(measures: dict[str, float], robust: RobustResult, n_total: int, n_groups: int) -> dict:
    chisq, df = measures["chisq"], measures["df"]
    baseline_chisq, baseline_df = measures["baseline.chisq"], measures["baseline.df"]
    scaling, baseline_scaling = robust.scaling_factor, robust.baseline_scaling_factor
    chisq_scaled = chisq / scaling
    baseline_scaled = baseline_chisq / baseline_scaling
    out = {
        "chisq.scaled": chisq_scaled,
        "df.scaled": df,
        "pvalue.scaled": _chisq_pvalue(chisq_scaled, df),
        "chisq.scaling.factor": scaling,
        "baseline.chisq.scaled": baseline_scaled,
        "baseline.df.scaled": baseline_df,
        "baseline.pvalue.scaled": _chisq_pvalue(baseline_scaled, baseline_df),
        "baseline.chisq.scaling.factor": baseline_scaling,
        "cfi.scaled": comparative_fit_index(chisq_scaled, df, baseline_scaled, baseline_df),
        "tli.scaled": tucker_lewis_index(chisq_scaled, df, baseline_scaled, baseline_df),
        # Robust CFI/TLI: chisq - c df in place of chisq - df (Brosseau-Liard & Savalei).
        "cfi.robust": comparative_fit_index(chisq, scaling * df, baseline_chisq, baseline_scaling * baseline_df),
        "tli.robust": 1.0
        - ((chisq - scaling * df) / df) / ((baseline_chisq - baseline_scaling * baseline_df) / baseline_df),
        "rmsea.scaled": _rmsea(chisq_scaled, df, n_total, n_groups),
    }
    # lavaan's scaled interval: chisq against c df degrees of freedom.
    lower, upper = _rmsea_interval(chisq, scaling * df, n_total, n_groups)
    out["rmsea.ci.lower.scaled"], out["rmsea.ci.upper.scaled"] = lower, upper
    out["rmsea.robust"] = float(
        np.sqrt(max((chisq - scaling * df) / (n_total * df), 0.0)) * np.sqrt(n_groups)
    )
    # Robust interval: noncentrality from the scaled statistic, rescaled by c.
    lower, upper = _rmsea_interval(chisq_scaled, df, n_total, n_groups)
    out["rmsea.ci.lower.robust"] = lower * np.sqrt(scaling)
    out["rmsea.ci.upper.robust"] = upper * np.sqrt(scaling)
    return out
