"""The report runner: folder names, refusals before executing, atomic folders, batches, kernels."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from lqp_research.cli import main
from lqp_research.errors import InputDataError, ReportError
from lqp_research.runner import (
    DEFAULT_NOTEBOOK,
    EXECUTED_NOTEBOOK,
    ReportJob,
    check_parameters_cell,
    render_report,
    slugify,
)

from reporting.conftest import organisation_frame


@pytest.fixture(scope="module")
def data_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("exports")
    organisation_frame(60, random_state=1).to_csv(folder / "Ærø_Kommune.csv", index=False)
    organisation_frame(60, random_state=2).to_csv(folder / "Nordby.csv", index=False)
    (folder / "Broken.csv").write_text("respondent_id,team,PS01_nu\nR1,A,7\n", encoding="utf-8")
    return folder


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Demo Kommune", "demo-kommune"),
        ("Ærø Sø & Å-dal", "aeroe-soe-aa-dal"),
        ("  Café Ünïcode, 2. sal ", "cafe-uenicode-2-sal"),
    ],
)
def test_slugify(name, slug):
    assert slugify(name) == slug


def test_slugify_rejects_empty_name():
    with pytest.raises(ReportError):
        slugify(" & ")


def test_untagged_parameters_rejected(tmp_path, data_folder):
    notebook = nbformat.read(DEFAULT_NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        cell.metadata.pop("tags", None)
    untagged = tmp_path / "untagged.ipynb"
    nbformat.write(notebook, untagged)
    out = tmp_path / "reports"
    job = ReportJob(data=data_folder / "Nordby.csv", organisation="Nordby", out=out, notebook=untagged)

    with pytest.raises(ReportError) as caught:
        render_report(job)
    assert "parameters" in caught.value.message("en")
    assert "defaults would be rendered" in caught.value.message("en")
    assert leftovers(out) == []


def test_shipped_notebook_has_parameters_cell():
    check_parameters_cell(DEFAULT_NOTEBOOK)


def test_bad_data_leaves_no_folder(tmp_path, data_folder):
    out = tmp_path / "reports"
    job = ReportJob(data=data_folder / "Broken.csv", organisation="Broken", out=out, formats=("html",))

    with pytest.raises(InputDataError) as caught:
        render_report(job)
    assert "Broken.csv" in caught.value.message("en")
    assert leftovers(out) == []


def test_small_team_rejected_before_running(tmp_path, data_folder):
    out = tmp_path / "reports"
    job = ReportJob(data=data_folder / "Nordby.csv", organisation="Nordby", out=out, team="Jobcenter Åbyhøj")

    with pytest.raises(ReportError) as caught:
        render_report(job)
    assert "anonymity threshold of 5" in caught.value.message("en")
    assert leftovers(out) == []


def test_bogus_kernel_name_runs_on_this_interpreter(tmp_path, data_folder):
    notebook = nbformat.read(DEFAULT_NOTEBOOK, as_version=4)
    notebook.metadata["kernelspec"] = {"name": "no-such-kernel-xyz", "display_name": "Gone", "language": "python"}
    copy = tmp_path / "bogus_kernel.ipynb"
    nbformat.write(notebook, copy)
    out = tmp_path / "reports"
    job = ReportJob(
        data=data_folder / "Nordby.csv", organisation="Nordby Øst", out=out, lang="en",
        formats=("html",), notebook=copy,
    )

    folder = render_report(job)

    assert folder == out / "nordby-oest"
    assert sorted(p.name for p in folder.iterdir()) == [EXECUTED_NOTEBOOK, "report.html", "scores.csv"]
    assert leftovers(out) == ["nordby-oest"]
    executed = json.loads((folder / EXECUTED_NOTEBOOK).read_text(encoding="utf-8"))
    injected = [c for c in executed["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1
    assert 'output_folder = "."' in "".join(injected[0]["source"])
    assert "Nordby Øst" in (folder / "report.html").read_text(encoding="utf-8")


def test_batch_renders_others_and_reports_failure(tmp_path, data_folder, capsys):
    out = tmp_path / "reports"

    status = main(["report", str(data_folder), "--out", str(out), "--format", "html", "--workers", "2", "--lang", "en"])

    captured = capsys.readouterr()
    assert status == 1
    assert leftovers(out) == ["aeroe-kommune", "nordby"]
    assert (out / "aeroe-kommune" / "report.html").is_file()
    assert (out / "nordby" / "scores.csv").is_file()
    assert "1 of 3 reports failed" in captured.err
    assert "Broken.csv" in captured.err


def test_organisation_name_needs_single_file(data_folder, tmp_path, capsys):
    status = main(["report", str(data_folder), "--organisation", "X", "--out", str(tmp_path), "--lang", "en"])

    assert status == 1
    assert "only be used with one data file" in capsys.readouterr().err
