"""Time the client report: one 300-respondent organisation, and a batch on 2 workers.

Run ``python benchmarks/bench_report.py`` (about 6 minutes on 2 cores). It
simulates organisations with ``lqp_research.simulate`` (300 respondents, 10
teams, 2 of them below the anonymity threshold) and measures:

* one report through ``lqp report``'s runner (papermill, kernel start, HTML,
  PDF, XLSX and CSV), plus the in-process steps of the same report;
* a batch of 20 organisations (HTML, PDF, XLSX) on 2 worker processes against
  the same 20 rendered one after the other.

Targets: one report under 20 s; the batch at least 1.7 times faster on 2
workers. The table is printed and written to benchmarks/RESULTS.md between
this script's markers. Other processes on the machine slow both runs; the load
average at the start is recorded with the results.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.common import machine_description, update_results_section  # noqa: E402

RESPONDENTS = 300
TEAMS = 10
SMALL_TEAMS = 2
SEED = 2024


def write_organisations(folder: Path, count: int) -> list[Path]:
    from lqp_research.simulate import simulate_organisation

    paths = []
    for index in range(count):
        table = simulate_organisation(RESPONDENTS, TEAMS, random_state=SEED + index, small_teams=SMALL_TEAMS)
        path = folder / f"organisation_{index + 1:02d}.csv"
        table.to_csv(path, index=False)
        paths.append(path)
    return paths


def time_steps(path: Path, folder: Path) -> dict[str, float]:
    """Time the steps of one report in this process (no notebook, no kernel)."""
    from lqp_research.reporting import build_report
    from lqp_research.reporting.render import render_html, write_pdf, write_xlsx

    times = {}
    started = time.perf_counter()
    content = build_report(path, "Benchmark Kommune")
    times["read, score, tables and charts"] = time.perf_counter() - started
    started = time.perf_counter()
    html = render_html(content)
    times["HTML"] = time.perf_counter() - started
    started = time.perf_counter()
    write_pdf(content, folder / "steps.pdf", html=html)
    times["PDF (WeasyPrint)"] = time.perf_counter() - started
    started = time.perf_counter()
    write_xlsx(content, folder / "steps.xlsx")
    times["XLSX"] = time.perf_counter() - started
    return times


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the kernels of a sequential run).

    Workers forked by the fork server are not this process's children, so this
    is measured for the sequential run only.
    """
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_batch(paths: list[Path], out: Path, workers: int) -> dict:
    """Render the batch; return wall and CPU seconds, failures and the load averages around it."""
    from lqp_research.runner import ReportJob, organisation_from_path, render_many

    jobs = [ReportJob(data=p, organisation=organisation_from_path(p), out=out) for p in paths]
    load_before = os.getloadavg()[0]
    cpu_before = cpu_seconds()
    started = time.perf_counter()
    outcomes = render_many(jobs, workers=workers, progress=False)
    elapsed = time.perf_counter() - started
    failed = [o for o in outcomes if not o.ok]
    for outcome in failed:
        print(f"failed: {outcome.job.data}: {outcome.error}", file=sys.stderr)
    return {
        "wall": elapsed,
        "cpu": cpu_seconds() - cpu_before,
        "failed": len(failed),
        "load": f"{load_before:.1f} -> {os.getloadavg()[0]:.1f}",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=20, help="organisations in the batch (default 20)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args()

    from lqp_research.runner import ReportJob, render_report

    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        paths = write_organisations(folder, args.batch)

        steps = time_steps(paths[0], folder)
        started = time.perf_counter()
        render_report(ReportJob(data=paths[0], organisation="Benchmark Kommune", out=folder / "single"))
        single = time.perf_counter() - started

        sequential = run_batch(paths, folder / "sequential", workers=1)
        parallel = run_batch(paths, folder / "parallel", workers=2)

    speedup = sequential["wall"] / parallel["wall"]
    rows = [("one report via `lqp report` (notebook, HTML, PDF, XLSX, CSV)", single, "target < 20 s")]
    rows += [(f"  in process: {name}", seconds, "") for name, seconds in steps.items()]
    cpu_note = f"CPU {sequential['cpu'] / args.batch:.1f} s per report; "
    rows.append((f"batch of {args.batch}, sequential (1 worker)", sequential["wall"], cpu_note + f"load average {sequential['load']}"))
    rows.append((f"batch of {args.batch}, 2 workers", parallel["wall"], f"load average {parallel['load']}"))
    rows.append(("speed-up, 2 workers over sequential", speedup, "target >= 1.7x"))
    lines = [
        "## Client report (`lqp report`)",
        "",
        f"`python benchmarks/bench_report.py`: simulated organisations of {RESPONDENTS} respondents in "
        f"{TEAMS} teams ({SMALL_TEAMS} below the anonymity threshold), seeds {SEED} onwards; one run per cell.",
        "",
        "| step | seconds (speed-up: ratio) | note |",
        "|---|---|---|",
        *[f"| {name} | {value:.2f} | {note} |" if "speed-up" in name else f"| {name} | {value:.1f} | {note} |"
          for name, value, note in rows],
        "",
        f"Failed reports: {sequential['failed']} sequential, {parallel['failed']} parallel. "
        f"Load average (1 min) at start: {load:.1f}. Other processes on the machine take cores from "
        "both runs, and the speed-up can only reach the number of cores left free.",
        "",
        machine_description(),
    ]
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        update_results_section("bench_report", body)
    return 0 if sequential["failed"] == parallel["failed"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
