"""Time the WLSMV fit of the LQP model M3 beside lavaan on the same data.

Run ``python benchmarks/bench_wlsmv.py`` (about three minutes on 2 cores, nearly
all of it lavaan). It simulates 1-5 answers of N = 1,500 respondents to the 90
LQP items (``lqp_research.simulate.simulate_item_data``), then times M3 (nine
correlated factors) with all items ordered:

* here: the polychoric step alone, and ``cfa_ordinal(data, build_model(lqp, "M3"))``,
  which returns estimates, robust SEs and all fit measures;
* lavaan via Rscript: ``cfa(..., ordered = TRUE, estimator = "WLSMV")`` and
  ``fitMeasures(fit)`` timed apart (skipped, and said so, when R is missing).

Python timings are the median of ``--repeats`` runs, lavaan's one run (or
``--r-repeats``). The table, the machine and each side's BLAS are printed and
written to benchmarks/RESULTS.md between this script's markers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.common import machine_description, r_blas, update_results_section  # noqa: E402
from lqp_research import load_instrument  # noqa: E402
from lqp_research.psychometrics.confirmatory import build_model  # noqa: E402
from lqp_research.psychometrics.ordinal import cfa_ordinal, polychoric_correlations  # noqa: E402
from lqp_research.simulate import simulate_item_data  # noqa: E402

N_RESPONDENTS = 1_500
SEED = 2024
COMPARED = ("chisq.scaled", "cfi.scaled", "tli.scaled", "rmsea.scaled", "cfi.robust", "rmsea.robust", "srmr")

R_SCRIPT = r"""
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
data <- read.csv(args[1])
syntax <- paste(readLines(args[2]), collapse = "\n")
repeats <- as.integer(args[3])
fit_times <- measure_times <- numeric(repeats)
for (i in seq_len(repeats)) {
  fit_times[i] <- system.time(
    fit <- cfa(syntax, data = data, ordered = TRUE, estimator = "WLSMV")
  )[["elapsed"]]
  measure_times[i] <- system.time(measures <- fitMeasures(fit))[["elapsed"]]
}
cat(toJSON(list(fit_seconds = median(fit_times), measures_seconds = median(measure_times),
                measures = as.list(measures[c(%s)]),
                version = as.character(packageVersion("lavaan"))),
           auto_unbox = TRUE, digits = NA))
"""


def time_python(data: pd.DataFrame, spec, repeats: int) -> tuple[float, float, dict[str, float]]:
    """Return median seconds of the polychoric step and of the full fit, and the fit measures."""
    polychoric_times, fit_times = [], []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        polychoric_correlations(data, missing="listwise")
        polychoric_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        result = cfa_ordinal(data, spec)
        fit_times.append(time.perf_counter() - start)
    return statistics.median(polychoric_times), statistics.median(fit_times), result.fit_measures


def time_lavaan(data: pd.DataFrame, syntax: str, repeats: int) -> dict | None:
    """Run the fit in lavaan; ``None`` when Rscript is not installed."""
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        data_path = Path(folder) / "data.csv"
        model_path = Path(folder) / "model.lav"
        script_path = Path(folder) / "bench.R"
        data.to_csv(data_path, index=False)
        model_path.write_text(syntax, encoding="utf-8")
        script_path.write_text(R_SCRIPT % ", ".join(f'"{name}"' for name in COMPARED), encoding="utf-8")
        output = subprocess.run(
            ["Rscript", str(script_path), str(data_path), str(model_path), str(repeats)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    return json.loads(output)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="Python runs per timing (median); default 3")
    parser.add_argument("--r-repeats", type=int, default=1, help="lavaan runs per timing (median); default 1")
    parser.add_argument("--no-r", action="store_true", help="skip lavaan even when Rscript is installed")
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    instrument = load_instrument()
    data = simulate_item_data(N_RESPONDENTS, instrument, random_state=SEED)
    spec = build_model(instrument, "M3")
    polychoric_seconds, fit_seconds, python_measures = time_python(data, spec, args.repeats)
    lavaan = None if args.no_r else time_lavaan(data, spec.to_syntax(), args.r_repeats)

    lines = [
        f"WLSMV fit of M3 (9 correlated factors, 90 ordered items, 5 categories), N = {N_RESPONDENTS:,}, "
        f"simulated with seed {SEED}.",
        "",
        "| step | lqp_research (s) | lavaan (s) | ratio |",
        "|---|---|---|---|",
    ]
    if lavaan is None:
        reason = "skipped with --no-r" if args.no_r else "Rscript not found, lavaan not run"
        lines.append(f"| polychorics + thresholds | {polychoric_seconds:.2f} | | |")
        lines.append(f"| fit + SEs + fit measures | {fit_seconds:.2f} | {reason} | |")
    else:
        lavaan_total = lavaan["fit_seconds"] + lavaan["measures_seconds"]
        lines.append(f"| polychorics + thresholds | {polychoric_seconds:.2f} | | |")
        lines.append(f"| fit (cfa) | | {lavaan['fit_seconds']:.1f} | |")
        lines.append(f"| fit measures (fitMeasures) | | {lavaan['measures_seconds']:.1f} | |")
        lines.append(
            f"| fit + SEs + fit measures | {fit_seconds:.2f} | {lavaan_total:.1f} | "
            f"{fit_seconds / lavaan_total:.3f} |"
        )
        lines += ["", "Same data, both sides:", "", "| measure | lqp_research | lavaan |", "|---|---|---|"]
        for name in COMPARED:
            lines.append(f"| {name} | {python_measures[name]:.5f} | {lavaan['measures'][name]:.5f} |")
        lines += ["", f"lavaan {lavaan['version']}; R BLAS: {r_blas()}."]
    # Other work on the machine slows both sides; the load average makes that visible.
    lines += [
        "",
        f"Load average (1 min) before the run: {load_before:.1f}, after: {os.getloadavg()[0]:.1f}.",
        machine_description(),
    ]
    body = "\n".join(lines)

    print(body)
    update_results_section("bench_wlsmv", "## WLSMV (ordinal CFA)\n\n" + body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
