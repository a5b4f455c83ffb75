"""Report outputs: hidden teams stay hidden in every file, Danish letters survive, team reports."""

from __future__ import annotations

import base64
import re

import openpyxl
import pandas as pd
import pypdf
import pytest

from lqp_research.errors import ReportError
from lqp_research.reporting import build_report, write_report

from .conftest import SMALL_TEAM, TEAM_NAMES

# The small team's "nu" means are 5 and its gaps -4 (see conftest). No shown
# group comes near either, so any of these strings in an output is a leak.
LEAKED_VALUES = ("5,00", "5.00", "−4,00", "-4,00", "-4.00")
SECONDARY_TEAM = "Kultur og Fritid"  # the smallest shown-sized team, hidden to protect SMALL_TEAM


@pytest.fixture(scope="module")
def organisation_report(organisation_csv, tmp_path_factory):
    content = build_report(organisation_csv, "Nordby Kommune", lang="da")
    folder = tmp_path_factory.mktemp("report")
    written = write_report(content, folder)
    return content, written


def pdf_text(path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def html_with_charts(path) -> str:
    """Return the visible text of an HTML report: its own text and its charts' text elements."""
    html = path.read_text(encoding="utf-8")
    charts = [
        base64.b64decode(encoded).decode("utf-8")
        for encoded in re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", html)
    ]
    chart_text = [text for svg in charts for text in re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.S)]
    page_text = re.sub(r"<[^>]+>", " ", re.sub(r'src="data:[^"]+"', "", html))
    return page_text + "\n" + "\n".join(chart_text)


def test_secondary_suppression_applied(organisation_report):
    content, _ = organisation_report

    assert content.disclosure.primary == (SMALL_TEAM,)
    assert content.disclosure.secondary == (SECONDARY_TEAM,)


def test_hidden_teams_absent_from_csv(organisation_report):
    _, written = organisation_report
    scores = pd.read_csv(written["csv"], dtype=str, keep_default_na=False)

    for team in (SMALL_TEAM, SECONDARY_TEAM):
        rows = scores[scores["group"] == team]
        assert not rows.empty
        assert (rows["suppressed"] == "true").all()
        for column in ("mean", "sd", "ci_low", "ci_high"):
            assert (rows[column] == "").all(), column


def test_hidden_teams_absent_from_xlsx(organisation_report):
    _, written = organisation_report
    workbook = openpyxl.load_workbook(written["xlsx"])

    assert workbook.sheetnames == ["Skalascorer", "Teams", "Udsagn"]
    teams = workbook["Teams"]
    header = [cell.value for cell in teams[1]]
    rows = {row[0]: row for row in teams.iter_rows(min_row=2, values_only=True)}
    for team in (SMALL_TEAM, SECONDARY_TEAM):
        values = rows[team][3:]
        assert all(value is None for value in values), team
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows(values_only=True):
            numbers = [v for v in row if isinstance(v, float)]
            assert 5.0 not in numbers, sheet.title
            assert -4.0 not in numbers, sheet.title
    assert header[:3] == ["Team", "n", "Skjult"]


def test_hidden_teams_absent_from_html(organisation_report):
    _, written = organisation_report
    text = html_with_charts(written["html"])

    for value in LEAKED_VALUES:
        assert value not in text
    assert SMALL_TEAM in text


def test_hidden_teams_absent_from_pdf(organisation_report):
    _, written = organisation_report
    text = pdf_text(written["pdf"])

    for value in LEAKED_VALUES:
        assert value not in text
    assert "skjult" in text


def test_pdf_keeps_danish_team_names(organisation_report):
    _, written = organisation_report
    text = pdf_text(written["pdf"])

    for team in (*TEAM_NAMES, SMALL_TEAM):
        assert team in text, team
    assert "Udviklingsfællesskab" in text
    assert "Ønske" in text


def test_report_sections_present(organisation_report):
    _, written = organisation_report
    text = pdf_text(written["pdf"])

    for heading in ("Læringskulturprofilen", "Gabet mellem nu og ønske", "Teams", "Udsagn", "Indsatsområder", "Bilag: Metode"):
        assert heading in text, heading
    assert "SHA-256" in text


def test_team_report_compares_with_organisation(organisation_csv, tmp_path):
    content = build_report(organisation_csv, "Nordby Kommune", lang="en", team="Vej & Park")
    written = write_report(content, tmp_path, formats="html,xlsx")

    assert content.reference is not None
    assert set(content.groups["group"]) == {"ALL", "Vej & Park"}
    assert written["html"].name == "report.html"
    text = html_with_charts(written["html"])
    assert "Vej &amp; Park in Nordby Kommune" in text
    assert SMALL_TEAM not in text


def test_team_report_rejects_secondary_hidden_team(organisation_csv):
    with pytest.raises(ReportError) as caught:
        build_report(organisation_csv, "Nordby Kommune", team=SECONDARY_TEAM)

    assert "would reveal the small team's result" in caught.value.message("en")


def test_team_report_rejects_small_team(organisation_csv):
    with pytest.raises(ReportError) as caught:
        build_report(organisation_csv, "Nordby Kommune", team=SMALL_TEAM)

    assert "færre end anonymitetsgrænsen på 5" in caught.value.message("da")
