"""Time ML fits of the LQP models M3 and M4 beside lavaan on the same data.

Run ``python benchmarks/bench_cfa.py`` (a few minutes on 2 cores, most of it
lavaan). For N = 1,500, 5,000 and 20,000 it simulates answers to the 90 LQP items
from a second-order model (three correlated dimensions, nine factors, ten items
each, answers cut into 1-5), then times what a user waits for: the fit with
standard errors and fit measures, ``cfa(data, build_model(lqp, "M3"))`` here and
``cfa(...); fitMeasures(fit)`` in lavaan via Rscript (skipped, and said so, when R
is not installed), once with R's default BLAS threads and once with one thread. Each timing is the median of ``--repeats`` runs. The table is
printed and written to benchmarks/RESULTS.md between this script's markers.

To measure numpy with its best BLAS kernel, run it with OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE unset (``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python
benchmarks/bench_cfa.py``); the machine line records the kernel numpy used.
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

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.common import machine_description, r_blas, update_results_section  # noqa: E402
from lqp_research import load_instrument  # noqa: E402
from lqp_research.psychometrics.confirmatory import build_model, cfa  # noqa: E402

SIZES = (1_500, 5_000, 20_000)
MODELS = ("M3", "M4")
SEED = 2024

R_SCRIPT = r"""
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
data <- read.csv(args[1])
syntax <- readLines(args[2])
repeats <- as.integer(args[3])
times <- numeric(repeats)
for (i in seq_len(repeats)) {
  times[i] <- system.time({
    fit <- cfa(paste(syntax, collapse = "\n"), data = data, estimator = "ML")
    measures <- fitMeasures(fit)
  })[["elapsed"]]
}
cat(toJSON(list(seconds = median(times), chisq = unname(measures[["chisq"]]),
                version = as.character(packageVersion("lavaan"))), auto_unbox = TRUE, digits = NA))
"""


def simulate_lqp(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Simulate 1-5 ratings of the LQP items from a second-order factor model."""
    instrument = load_instrument()
    dimension_correlation = np.array([[1.0, 0.5, 0.4], [0.5, 1.0, 0.6], [0.4, 0.6, 1.0]])
    dimensions = rng.multivariate_normal(np.zeros(3), dimension_correlation, size=n)
    dimension_index = {d.code: k for k, d in enumerate(instrument.dimensions)}
    columns = {}
    for factor in instrument.factors:
        second_order = rng.uniform(0.6, 0.85)
        score = second_order * dimensions[:, dimension_index[factor.dimension]]
        score += np.sqrt(1 - second_order**2) * rng.standard_normal(n)
        for item_id in factor.items:
            loading = rng.uniform(0.5, 0.8)
            latent = loading * score + np.sqrt(1 - loading**2) * rng.standard_normal(n)
            columns[item_id] = np.digitize(latent, [-1.5, -0.5, 0.5, 1.5]) + 1.0
    return pd.DataFrame(columns)


def time_python(data: pd.DataFrame, model_name: str, repeats: int) -> tuple[float, float]:
    spec = build_model(load_instrument(), model_name)
    times, chisq = [], np.nan
    for _ in range(repeats):
        start = time.perf_counter()
        fit = cfa(data, spec)
        times.append(time.perf_counter() - start)
        chisq = fit.fit_measures["chisq"]
    return statistics.median(times), chisq


def time_lavaan(
    data: pd.DataFrame, model_name: str, repeats: int, folder: Path, blas_threads: int | None = None
) -> dict | None:
    if shutil.which("Rscript") is None:
        return None
    data_path = folder / "data.csv"
    syntax_path = folder / f"{model_name}.lav"
    script_path = folder / "time_lavaan.R"
    data.to_csv(data_path, index=False)
    syntax_path.write_text(build_model(load_instrument(), model_name).to_syntax() + "\n")
    script_path.write_text(R_SCRIPT)
    environment = dict(os.environ)
    if blas_threads is not None:
        environment["OPENBLAS_NUM_THREADS"] = str(blas_threads)
    result = subprocess.run(
        ["Rscript", str(script_path), str(data_path), str(syntax_path), str(repeats)],
        capture_output=True, text=True, check=True, env=environment,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per cell (median reported)")
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES), help="sample sizes N")
    parser.add_argument("--no-record", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args()

    rng = np.random.default_rng(SEED)
    rows = []
    lavaan_version = None
    with tempfile.TemporaryDirectory() as folder:
        for n in args.sizes:
            data = simulate_lqp(n, rng)
            for model_name in MODELS:
                seconds, chisq = time_python(data, model_name, args.repeats)
                lavaan = time_lavaan(data, model_name, args.repeats, Path(folder))
                lavaan_single = time_lavaan(data, model_name, args.repeats, Path(folder), blas_threads=1)
                row = {"model": model_name, "N": n, "workbench_s": seconds, "chisq": chisq}
                if lavaan is not None:
                    lavaan_version = lavaan["version"]
                    fastest = min(lavaan["seconds"], lavaan_single["seconds"])
                    row.update(lavaan_s=lavaan["seconds"], lavaan_single_s=lavaan_single["seconds"],
                               lavaan_chisq=lavaan["chisq"], ratio=seconds / fastest)
                rows.append(row)
                print(row, flush=True)

    table = pd.DataFrame(rows)
    lines = [
        "## CFA: ML fit of M3 and M4 (fit + standard errors + fit measures)",
        "",
        "`python benchmarks/bench_cfa.py` on simulated LQP answers (90 items, second-order "
        f"population model, seed {SEED}); median of {args.repeats} runs per cell.",
        "",
        machine_description(),
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, "
        f"OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE', '(unset)')}.",
    ]
    blas = r_blas()
    if lavaan_version is None:
        lines += ["", "R is not installed here: lavaan was not timed."]
    else:
        lines += [f"lavaan {lavaan_version}; R BLAS: {blas}."]
    lines += [
        "",
        "The workbench runs BLAS on one thread inside `cfa()`; lavaan is timed with R's default",
        "BLAS threads and with OPENBLAS_NUM_THREADS=1; the ratio uses the faster lavaan time.",
        "",
        "| model | N | workbench (s) | lavaan (s) | lavaan, 1 BLAS thread (s) | workbench / lavaan |"
        " chisq workbench | chisq lavaan |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in table.to_dict("records"):
        lines.append(
            f"| {row['model']} | {row['N']:,} | {row['workbench_s']:.3f} | "
            f"{row.get('lavaan_s', float('nan')):.3f} | {row.get('lavaan_single_s', float('nan')):.3f} | "
            f"{row.get('ratio', float('nan')):.3f} | "
            f"{row['chisq']:.3f} | {row.get('lavaan_chisq', float('nan')):.3f} |"
        )
    body = "\n".join(lines)
    print(body)
    if not args.no_record:
        update_results_section("bench_cfa", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
