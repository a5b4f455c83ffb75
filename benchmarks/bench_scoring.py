"""Time and memory of scoring simulated organisations, beside a plain pandas version.

Run ``python benchmarks/bench_scoring.py`` (about 4 minutes on 2 cores). For each
size it simulates an organisation with ``lqp_research.simulate`` and measures, each
in a fresh subprocess so peak memory is that run's alone:

* workbench, in memory: ``score()`` on the canonical table (cleaning, respondent
  scores, group scores);
* baseline, in memory: a straightforward per-factor pandas implementation of the
  same rules, checked to give the same group means;
* workbench, CSV: ``score(path)`` on the table written as CSV (read + score).

Peak memory is the subprocess's maximum resident set size, so it includes the
interpreter, the libraries and the input table itself. The results table is
printed and written to benchmarks/RESULTS.md between this script's markers.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.common import machine_description, update_results_section  # noqa: E402

SIZES = (1_000, 100_000, 1_000_000)
TEAMS = {1_000: 10, 100_000: 200, 1_000_000: 1_000}
SEED = 2024


def simulated_table(n: int):
    from lqp_research.simulate import simulate_organisation

    return simulate_organisation(n, TEAMS[n], random_state=SEED, as_numeric=True)


def baseline_group_means(frame, instrument):
    """Score with one pandas operation per factor and rating, as a first version would."""
    import numpy as np
    import pandas as pd
    from scipy import stats

    frame = frame.sort_values("submitted_at").drop_duplicates("respondent_id", keep="last")
    answer_columns = instrument.item_columns()
    answered = frame[answer_columns].notna().sum(axis=1)
    frame = frame[answered >= 0.5 * len(answer_columns)]

    scores = pd.DataFrame({"team": frame["team"]})
    for rating in instrument.rating_codes:
        for factor in instrument.factors:
            columns = [instrument.column(item, rating) for item in factor.items]
            values = frame[columns].copy()
            for item in factor.items:
                if instrument.item(item).reverse:
                    column = instrument.column(item, rating)
                    values[column] = 6 - values[column]
            count = values.notna().sum(axis=1)
            scores[f"{factor.code}_{rating}"] = values.mean(axis=1).where(count >= 5)
        for dimension in instrument.dimensions:
            members = [f"{code}_{rating}" for code in dimension.factors]
            scores[f"{dimension.code}_{rating}"] = scores[members].mean(axis=1, skipna=False)
    for scale in instrument.scale_codes:
        scores[f"{scale}_gap"] = scores[f"{scale}_onske"] - scores[f"{scale}_nu"]

    value_columns = [c for c in scores.columns if c != "team"]
    by_team = scores.groupby("team")[value_columns].agg(["count", "mean", "std"])
    organisation = scores[value_columns].agg(["count", "mean", "std"])
    for column in value_columns:
        n = by_team[(column, "count")]
        half = stats.t.ppf(0.975, n - 1) * by_team[(column, "std")] / np.sqrt(n)
        by_team[(column, "ci_low")] = by_team[(column, "mean")] - half
        by_team[(column, "ci_high")] = by_team[(column, "mean")] + half
    by_team.loc[scores.groupby("team").size() < 5, :] = np.nan
    return organisation.loc["mean"], by_team


def run_case(case: str, n: int, csv_path: str | None) -> dict:
    """Run one measurement in this process and return its figures."""
    import resource

    import numpy as np

    from lqp_research import load_instrument, score
    from lqp_research.io import responses_from_frame

    instrument = load_instrument()
    if case == "csv":
        start = time.perf_counter()
        result = score(csv_path)
        seconds = time.perf_counter() - start
        check = result.groups
    else:
        frame = simulated_table(n)
        start = time.perf_counter()
        if case == "workbench":
            result = score(responses_from_frame(frame, instrument))
            check = result.groups
        else:
            check, _ = baseline_group_means(frame, instrument)
        seconds = time.perf_counter() - start

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if case == "baseline":
        org_means = check.to_dict()
    else:
        org = check[check["level"] == "organisation"]
        org_means = {f"{s}_{m}": v for s, m, v in zip(org["scale"], org["measure"], org["mean"])}
    return {"seconds": seconds, "peak_mb": peak_mb, "org_means": {k: float(np.round(v, 12)) for k, v in org_means.items()}}


def measure(case: str, n: int, csv_path: str | None = None) -> dict:
    command = [sys.executable, __file__, "--child", case, str(n)] + ([csv_path] if csv_path else [])
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def write_csv(n: int, path: Path) -> float:
    """Write the simulated table as a CSV export (integers, blank when missing)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    frame = simulated_table(n)
    answer_columns = [c for c in frame.columns if c.endswith(("_nu", "_onske"))]
    frame[answer_columns] = frame[answer_columns].astype("Int8")
    frame["submitted_at"] = frame["submitted_at"].astype(str)
    pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), path)
    return path.stat().st_size / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", nargs="+", type=int, default=list(SIZES))
    parser.add_argument("--no-record", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args()
    if args.child:
        case, n, *rest = args.child
        print(json.dumps(run_case(case, int(n), rest[0] if rest else None)))
        return

    rows = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        for n in args.sizes:
            csv_path = Path(folder) / f"org_{n}.csv"
            megabytes = write_csv(n, csv_path)
            workbench = measure("workbench", n)
            baseline = measure("baseline", n)
            from_csv = measure("csv", n, str(csv_path))
            worst = max(abs(workbench["org_means"][k] - baseline["org_means"][k]) for k in workbench["org_means"])
            rows.append((n, workbench, baseline, from_csv, megabytes, worst))
            print(f"n={n:>9,}: workbench {workbench['seconds']:.2f} s, baseline {baseline['seconds']:.2f} s, "
                  f"CSV {from_csv['seconds']:.2f} s ({megabytes:.0f} MB); max |diff| of org means {worst:.1e}", flush=True)

    lines = [
        "| respondents | workbench, in memory | peak memory | pandas per factor, in memory | peak memory | workbench, CSV read + score | CSV size | peak memory | max abs diff of organisation means |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, workbench, baseline, from_csv, megabytes, worst in rows:
        lines.append(
            f"| {n:,} | {workbench['seconds']:.2f} s | {workbench['peak_mb']:,.0f} MB | {baseline['seconds']:.2f} s | "
            f"{baseline['peak_mb']:,.0f} MB | {from_csv['seconds']:.2f} s | {megabytes:,.0f} MB | {from_csv['peak_mb']:,.0f} MB | {worst:.1e} |"
        )
    table = "\n".join(lines)
    print(table)
    if not args.no_record:
        body = (
            "### Scoring (`benchmarks/bench_scoring.py`)\n\n"
            f"{machine_description()} Load average (1 min) {load_before:.1f} at the start and "
            f"{os.getloadavg()[0]:.1f} at the end of the run.\n\n{table}\n\n"
            "Times cover cleaning (duplicates, exclusion), respondent scores and group scores, 180 ratings per "
            "respondent. Peak memory is the subprocess's maximum RSS, including Python, the libraries and the input "
            "table; for the in-memory columns it also includes simulating the table in the same process, so it is an "
            "upper bound. Targets: 1,000,000 respondents in under 3 s and 4 GB in memory, and under 20 s from CSV.\n"
        )
        update_results_section("bench_scoring", body)


if __name__ == "__main__":
    main()
