"""Run the organisation report notebook with papermill, one client or many.

Each report is rendered into a temporary folder beside its target
(``reports/.<slug>.<random>.tmp``) and moved into place only when the notebook
and every requested file are complete, so a failed run leaves no report folder
and never half of one. Before anything runs, the data file is read and scored
(so a bad export fails with the reader's own message), the team is checked
against the anonymity threshold, and the notebook is checked for its
``parameters`` cell.

The notebook always runs on the interpreter that runs this module
(``sys.executable``), whatever kernel name the notebook file records.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import logging
import multiprocessing
import os
import re
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager

from .errors import LqpError, ReportError
from .i18n import check_language, get_language, set_language
from .io import SUPPORTED_SUFFIXES, read_responses
from .outputs import atomic_directory
from .pipeline import score
from .reporting.privacy import apply_disclosure_control, check_team
from .reporting.render import parse_formats, report_file_names
from .scoring import ScoringSettings

logger = logging.getLogger(__name__)

#: The report notebook in a source checkout (the package is installed editable from it).
#: NOTE: a non-editable install has no ``notebooks`` folder; pass ``--notebook`` there.
DEFAULT_NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "organisation_report.ipynb"
PARAMETERS_TAG = "parameters"
EXECUTED_NOTEBOOK = "organisation_report.ipynb"
_TRANSLITERATION = {"æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}


def slugify(name: str) -> str:
    """Turn an organisation or team name into a folder name.

    Lowercase ASCII letters, digits and single hyphens: ``"Ældre & Sundhed"``
    becomes ``"aeldre-sundhed"`` (æ to ae, ø to oe, å to aa; other accents
    dropped).

    Raises
    ------
    ReportError
        If nothing is left of the name.
    """
    lowered = name.strip().lower()
    replaced = "".join(_TRANSLITERATION.get(character, character) for character in lowered)
    ascii_only = unicodedata.normalize("NFKD", replaced).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")
    if not slug:
        raise ReportError("report.empty_slug", name=name)
    return slug


class CurrentInterpreterKernelManager(AsyncKernelManager):
    """A kernel manager that starts an IPython kernel on ``sys.executable``.

    The kernel name recorded in a notebook (e.g. ``python3`` of someone else's
    machine, or a name that exists nowhere) is ignored, so the notebook always
    imports the ``lqp_research`` installed in the running environment.
    """

    @property
    def kernel_spec(self) -> KernelSpec:
        return KernelSpec(
            # The kernel listens on loopback only; its warning about unencrypted TCP
            # would print once per report, so the kernel logs only critical failures.
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}", "--IPKernelApp.log_level=CRITICAL"],
            display_name=f"Python {sys.version_info.major}.{sys.version_info.minor} (lqp)",
            language="python",
            metadata={"debugger": False},
        )


@dataclasses.dataclass(frozen=True)
class ReportJob:
    """One report to render.

    Attributes
    ----------
    data : Path
        The survey export.
    organisation : str
        Client name on the front page; the folder is its slug.
    out : Path
        Parent folder of the report folders.
    lang : {"da", "en"}
    formats : tuple of str
        Subset of ``html``, ``pdf``, ``xlsx``; ``scores.csv`` is always written.
    min_group_size : int
    team : str or None
        Render this team's own report into ``<org-slug>-<team-slug>``.
    instrument, mapping : str or None
        Files passed to the reader.
    notebook : Path
    """

    data: Path
    organisation: str
    out: Path = Path("reports")
    lang: str = "da"
    formats: tuple[str, ...] = ("html", "pdf", "xlsx")
    min_group_size: int = 5
    team: str | None = None
    instrument: str | None = None
    mapping: str | None = None
    notebook: Path = DEFAULT_NOTEBOOK

    @property
    def folder(self) -> Path:
        """The report folder this job creates."""
        slug = slugify(self.organisation)
        if self.team is not None:
            slug = f"{slug}-{slugify(self.team)}"
        return self.out / slug


@dataclasses.dataclass(frozen=True)
class ReportOutcome:
    """The result of one job: the folder written, or the error message."""

    job: ReportJob
    folder: Path | None
    error: str | None
    seconds: float

    @property
    def ok(self) -> bool:
        return self.error is None


def check_parameters_cell(notebook: str | Path) -> None:
    """Raise ``ReportError`` unless ``notebook`` has a code cell tagged ``parameters``.

    Without the tag papermill cannot inject the client's values and would run
    the notebook's defaults under the client's name.
    """
    path = Path(notebook)
    if not path.is_file():
        raise ReportError("report.notebook_not_found", notebook=str(path))
    document = nbformat.read(path, as_version=4)
    tagged = [
        cell for cell in document.cells
        if cell.cell_type == "code" and PARAMETERS_TAG in cell.get("metadata", {}).get("tags", [])
    ]
    if not tagged:
        raise ReportError("report.parameters_untagged", notebook=str(path), tag=PARAMETERS_TAG)


def preflight(job: ReportJob) -> None:
    """Check a job before its notebook runs; raise the reader's or the report's error.

    Reads and scores the export, so an invalid file fails with the reader's
    message, and checks that the organisation (and the team, if any) reaches
    the anonymity threshold.
    """
    check_language(job.lang)
    parse_formats(job.formats)
    check_parameters_cell(job.notebook)
    settings = ScoringSettings(min_group_size=job.min_group_size)
    responses = read_responses(job.data, job.instrument, job.mapping)
    result = score(responses, settings=settings)
    disclosure = apply_disclosure_control(result.groups, settings.min_group_size)
    if job.team is not None:
        check_team(result.groups, job.team, settings.min_group_size, disclosure.secondary)


def render_report(job: ReportJob) -> Path:
    """Render one report into ``job.folder`` atomically and return the folder.

    Raises
    ------
    LqpError
        From :func:`preflight`, or ``ReportError`` when the notebook fails,
        with the notebook's error message.
    """
    import papermill

    preflight(job)
    names = report_file_names(job.lang)
    parameters = {
        "data": str(Path(job.data).resolve()),
        "organisation": job.organisation,
        "instrument": _absolute(job.instrument),
        "mapping": _absolute(job.mapping),
        "language": job.lang,
        "min_group_size": int(job.min_group_size),
        "team": job.team,
        "formats": ",".join(job.formats),
    }
    # The notebook runs inside the temporary folder and writes to ".", so the
    # executed notebook records no temporary path and stays valid once moved.
    parameters["output_folder"] = "."
    with atomic_directory(job.folder) as temporary:
        try:
            papermill.execute_notebook(
                str(job.notebook),
                str(temporary / EXECUTED_NOTEBOOK),
                parameters=parameters,
                kernel_name="python3",
                language="python",
                kernel_manager_class=f"{__name__}.CurrentInterpreterKernelManager",
                cwd=str(temporary),
                progress_bar=False,
                log_output=False,
            )
        except papermill.PapermillExecutionError as error:
            raise ReportError(
                "report.notebook_failed", organisation=job.organisation, error=f"{error.ename}: {error.evalue}"
            ) from None
        expected = [names[f] for f in job.formats] + [names["csv"], EXECUTED_NOTEBOOK]
        missing = [name for name in expected if not (temporary / name).is_file()]
        if missing:
            raise ReportError("report.outputs_missing", organisation=job.organisation, files=", ".join(missing))
        _apply_umask(temporary)
    logger.info("Rendered %s into %s", job.organisation, job.folder)
    return job.folder


def _absolute(path: str | Path | None) -> str | None:
    """Make an existing file path absolute (the notebook runs elsewhere); keep names such as ``lqp``."""
    if path is None:
        return None
    return str(Path(path).resolve()) if Path(path).exists() else str(path)


def _apply_umask(folder: Path) -> None:
    """Give the folder and its files the usual permissions (temporary files are private)."""
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)
    for path in folder.iterdir():
        path.chmod(0o666 & ~umask)


#: Environment for worker processes and the kernels they start: one BLAS thread
#: each, because N workers on N cores with multi-threaded BLAS oversubscribe the
#: cores (OpenBLAS threads spin while waiting) and the batch gets slower.
_SINGLE_THREADED = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _init_worker() -> None:
    os.environ.update(_SINGLE_THREADED)


def _render_outcome(job: ReportJob, lang: str) -> ReportOutcome:
    """Render one job and catch its error, for use in a worker process."""
    set_language(lang)
    started = time.perf_counter()
    try:
        folder = render_report(job)
    except LqpError as error:
        return ReportOutcome(job, None, error.message(lang), time.perf_counter() - started)
    except Exception as error:  # noqa: BLE001 -- one client's failure must not stop the batch
        logger.exception("Report of %s failed", job.organisation)
        return ReportOutcome(job, None, f"{type(error).__name__}: {error}", time.perf_counter() - started)
    return ReportOutcome(job, folder, None, time.perf_counter() - started)


def render_many(
    jobs: Sequence[ReportJob],
    workers: int | None = None,
    progress: bool = True,
    on_done: Callable[[ReportOutcome], None] | None = None,
) -> list[ReportOutcome]:
    """Render several reports, one process per worker, and return every outcome.

    Parameters
    ----------
    jobs : sequence of ReportJob
        Jobs whose folders must differ.
    workers : int, optional
        Worker processes; the number of CPU cores by default. With 1 the jobs
        run one after the other in this process.
    progress : bool, default True
        Show a tqdm progress bar on standard error.
    on_done : callable, optional
        Called with each outcome as it completes.

    Returns
    -------
    list of ReportOutcome
        In the order of ``jobs``. A failed job has ``error`` set; the others
        are rendered regardless.
    """
    from tqdm import tqdm

    folders = [job.folder for job in jobs]
    duplicates = sorted({str(f) for f in folders if folders.count(f) > 1})
    if duplicates:
        raise ReportError("report.duplicate_folders", folders=", ".join(duplicates))
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
    lang = get_language()
    outcomes: list[ReportOutcome | None] = [None] * len(jobs)
    bar = tqdm(total=len(jobs), disable=not progress, unit="rapport" if lang == "da" else "report")

    def record(index: int, outcome: ReportOutcome) -> None:
        outcomes[index] = outcome
        bar.update(1)
        if on_done is not None:
            on_done(outcome)

    try:
        if workers == 1:
            for index, job in enumerate(jobs):
                record(index, _render_outcome(job, lang))
        else:
            # A fork server that has imported the runner and papermill once starts
            # each worker without re-importing them (several CPU-seconds per worker
            # with "spawn"), and it holds no threads, so forking it is safe.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__, "papermill"])
            with concurrent.futures.ProcessPoolExecutor(
                max_workers=workers, mp_context=context, initializer=_init_worker
            ) as pool:
                futures = {pool.submit(_render_outcome, job, lang): index for index, job in enumerate(jobs)}
                for future in concurrent.futures.as_completed(futures):
                    index = futures[future]
                    try:
                        outcome = future.result()
                    except Exception as error:  # noqa: BLE001 -- a crashed worker fails only its job
                        outcome = ReportOutcome(jobs[index], None, f"{type(error).__name__}: {error}", 0.0)
                    record(index, outcome)
    finally:
        bar.close()
    return [outcome for outcome in outcomes if outcome is not None]


def find_data_files(paths: Sequence[str | Path]) -> list[Path]:
    """Expand folders into the survey exports they contain (not recursive, sorted).

    Files given by name are kept whatever their type, so the reader reports an
    unsupported one. In folders, hidden files and files of other types are
    skipped.
    """
    files: list[Path] = []
    for entry in map(Path, paths):
        if entry.is_dir():
            found = sorted(
                p for p in entry.iterdir()
                if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in SUPPORTED_SUFFIXES
            )
            if not found:
                raise ReportError("report.empty_folder", folder=str(entry), suffixes=", ".join(SUPPORTED_SUFFIXES))
            files.extend(found)
        else:
            files.append(entry)
    return files


def organisation_from_path(path: str | Path) -> str:
    """Name an organisation after its file when no name is given: ``demo_kommune.csv`` -> ``demo kommune``."""
    return re.sub(r"[_]+", " ", Path(path).stem).strip() or Path(path).stem


__all__ = [
    "CurrentInterpreterKernelManager",
    "DEFAULT_NOTEBOOK",
    "ReportJob",
    "ReportOutcome",
    "check_parameters_cell",
    "find_data_files",
    "organisation_from_path",
    "preflight",
    "render_many",
    "render_report",
    "slugify",
]
