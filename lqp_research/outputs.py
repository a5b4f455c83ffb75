"""Writing outputs atomically, and the ``lqp score`` file formats.

Every output is written to a temporary path beside its target and moved into
place only when complete, so an interrupted or failed run leaves either the old
file or none, never half a file.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from .aggregation import GROUP_COLUMNS

#: Decimals written to scores.csv; well beyond the 1e-9 agreement tests need.
CSV_DECIMALS = 12


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary file path that replaces ``target`` when the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        # mkstemp creates the file for its owner only; give it the usual permissions.
        os.chmod(temporary, 0o666 & ~_current_umask())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_directory(target: str | Path) -> Iterator[Path]:
    """Yield a temporary folder that replaces the folder ``target`` when the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield temporary
        os.chmod(temporary, 0o777 & ~_current_umask())
        if target.exists():
            backup = target.with_name(f".{target.name}.old")
            shutil.rmtree(backup, ignore_errors=True)
            os.replace(target, backup)
            os.replace(temporary, target)
            shutil.rmtree(backup, ignore_errors=True)
        else:
            os.replace(temporary, target)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def format_group_scores(groups: pd.DataFrame) -> pd.DataFrame:
    """Return GroupScores as written to CSV: fixed columns, blanks, ``true``/``false``."""
    frame = groups.loc[:, list(GROUP_COLUMNS)].copy()
    frame["n"] = frame["n"].astype(np.int64)
    for column in ("mean", "sd", "ci_low", "ci_high"):
        frame[column] = frame[column].astype(np.float64).round(CSV_DECIMALS)
    frame["suppressed"] = np.where(frame["suppressed"].astype(bool), "true", "false")
    return frame


def write_group_scores(groups: pd.DataFrame, path: str | Path) -> None:
    """Write GroupScores to ``path`` as UTF-8 CSV, atomically."""
    with atomic_path(path) as temporary:
        format_group_scores(groups).to_csv(temporary, index=False, na_rep="", lineterminator="\n")


def json_text(document: dict) -> str:
    """Return ``document`` as indented JSON text with Danish letters kept as they are."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def write_json(document: dict, path: str | Path) -> None:
    """Write ``document`` to ``path`` as indented UTF-8 JSON, atomically."""
    with atomic_path(path) as temporary:
        temporary.write_text(json_text(document), encoding="utf-8")


__all__ = ["atomic_directory", "atomic_path", "format_group_scores", "json_text", "write_group_scores", "write_json"]
