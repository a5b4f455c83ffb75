"""Helpers shared by the benchmark scripts: machine description and RESULTS.md sections."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from datetime import date
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def machine_description() -> str:
    """Describe CPU, cores, memory and numpy's BLAS in one Markdown line."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        memory = f"{memory_kb / 1024 ** 2:.0f} GiB"
    except (OSError, AttributeError):
        memory = "unknown memory"
    return (
        f"Machine: {cpu}, {os.cpu_count()} cores, {memory}; Python {platform.python_version()}, "
        f"numpy BLAS: {numpy_blas()}; measured {date.today().isoformat()}."
    )


def numpy_blas() -> str:
    """Name numpy's BLAS library and, where threadpoolctl is installed, its kernel."""
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            if pool.get("user_api") == "blas":
                return f"{pool.get('internal_api')} {pool.get('version')} ({pool.get('architecture')}, {pool.get('num_threads')} threads)"
    except ImportError:
        pass
    import numpy as np

    config = np.show_config(mode="dicts") or {}
    blas = config.get("Build Dependencies", {}).get("blas", {})
    return f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()


def r_blas() -> str | None:
    """Return the BLAS R reports in sessionInfo(), or None when R is not installed."""
    try:
        output = subprocess.run(
            ["Rscript", "-e", "cat(sessionInfo()$BLAS)"], capture_output=True, text=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return output.strip()


def update_results_section(name: str, body: str) -> None:
    """Replace this benchmark's section of RESULTS.md, leaving the others alone."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    section = f"{start}\n{body.rstrip()}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    RESULTS.write_text(text, encoding="utf-8")


__all__ = ["machine_description", "numpy_blas", "r_blas", "update_results_section"]
