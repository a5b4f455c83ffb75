"""Writers of the client report: HTML, PDF (WeasyPrint), XLSX and the scores CSV.

All writers take a :class:`~lqp_research.reporting.content.ReportContent` and
write one file. HTML and PDF come from the same Jinja2 templates
(``templates/``), and the notebook displays the same section macros, so the
executed notebook, the HTML and the PDF show identical text and numbers.
"""

from __future__ import annotations

import base64
import functools
import logging
from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup
import pandas as pd

from ..i18n import translate
from ..outputs import atomic_path, write_group_scores
from .content import ReportContent
from .formatting import format_date, format_interval, format_number
from .tables import MEASURES

logger = logging.getLogger(__name__)

FORMATS = ("html", "pdf", "xlsx")
SECTIONS = ("front", "profile", "gap", "teams", "items", "focus", "method")
_REFERENCES = (
    "Edmondson, A. (1999). Psychological safety and learning behavior in work teams. "
    "Administrative Science Quarterly, 44(2), 350–383. https://doi.org/10.2307/2666999",
    "Hundepool, A., Domingo-Ferrer, J., Franconi, L., Giessing, S., Nordholt, E. S., Spicer, K., & de Wolf, P.-P. "
    "(2012). Statistical Disclosure Control. Wiley. https://doi.org/10.1002/9781118348239",
    "Okabe, M., & Ito, K. (2008). Color Universal Design (CUD): How to make figures and presentations that are "
    "friendly to colorblind people. J*Fly. https://jfly.uni-koeln.de/color/",
)


def report_file_names(lang: str) -> dict[str, str]:
    """Return the output file name of each format in ``lang`` (``rapport.pdf`` in Danish)."""
    stem = translate("report.file_stem", lang)
    return {"html": f"{stem}.html", "pdf": f"{stem}.pdf", "xlsx": "scores.xlsx", "csv": "scores.csv"}


@functools.cache
def _environment() -> jinja2.Environment:
    loader = jinja2.FileSystemLoader(str(resources.files(__package__) / "templates"))
    return jinja2.Environment(loader=loader, autoescape=jinja2.select_autoescape(["html", "j2"]), undefined=jinja2.StrictUndefined)


def _template_globals(lang: str) -> dict:
    return {"t": lambda key, **params: translate(key, lang, **params)}


def render_html(content: ReportContent) -> str:
    """Render the whole report as one self-contained HTML document (charts inline)."""
    environment = _environment()
    template = environment.get_template("report.html.j2", globals=_template_globals(content.lang))
    css = (resources.files(__package__) / "templates" / "report.css").read_text(encoding="utf-8")
    return template.render(v=_view(content), css=css)


def render_section(content: ReportContent, section: str) -> str:
    """Render one section (see ``SECTIONS``) as an HTML fragment, e.g. for the notebook."""
    if section not in SECTIONS:
        raise ValueError(f"Unknown section {section!r}: expected one of {', '.join(SECTIONS)}.")
    environment = _environment()
    template = environment.get_template("sections.html.j2", globals=_template_globals(content.lang))
    return str(getattr(template.module, section)(_view(content)))


class SectionHTML:
    """An HTML fragment that Jupyter displays as rich output."""

    def __init__(self, html: str) -> None:
        self.html = html

    def _repr_html_(self) -> str:
        return self.html


def show_section(content: ReportContent, section: str) -> SectionHTML:
    """Return one section for display as the last expression of a notebook cell."""
    return SectionHTML(render_section(content, section))


# The view: every text and number the templates print, formatted for the reader.


def _view(content: ReportContent) -> dict:
    lang, facts, instrument = content.lang, content.facts, content.instrument

    def number(value, decimals=2, signed=False):
        return format_number(value, lang, decimals, signed)

    title = translate("report.title_team" if content.team else "report.title", lang)
    reference = content.reference.set_index("scale") if content.reference is not None else None
    scale_rows = []
    for row in content.table.itertuples(index=False):
        entry = {
            "kind": row.kind,
            "name": instrument.scale_name(row.scale, lang),
            "nu": number(row.nu_mean),
            "nu_ci": format_interval(row.nu_ci_low, row.nu_ci_high, lang),
            "onske": number(row.onske_mean),
            "onske_ci": format_interval(row.onske_ci_low, row.onske_ci_high, lang),
            "gap": number(row.gap_mean, signed=True),
            "gap_ci": format_interval(row.gap_ci_low, row.gap_ci_high, lang),
            "n": row.n,
        }
        if reference is not None:
            entry["reference_nu"] = number(reference.loc[row.scale, "nu_mean"])
            entry["reference_gap"] = number(reference.loc[row.scale, "gap_mean"], signed=True)
        scale_rows.append(entry)

    item_rows = {}
    for name, table in content.item_extremes.items():
        rows = []
        for row in table.itertuples(index=False):
            entry = {
                "item": row.item,
                "reverse": row.reverse,
                "text": row.text,
                "factor": instrument.scale_name(row.factor, lang),
                "nu": number(row.nu),
                "onske": number(row.onske),
                "gap": number(row.gap, signed=True),
            }
            if "organisation_nu" in content.items:
                entry["reference_nu"] = number(content.items.loc[row.item, "organisation_nu"])
            rows.append(entry)
        item_rows[name] = rows

    hidden = set(content.disclosure.suppressed)
    team_rows = [
        {
            "team": row.team,
            "n": row.n,
            "status": translate("report.teams.status_suppressed" if row.team in hidden else "report.teams.status_shown", lang),
        }
        for row in content.team_overview.itertuples(index=False)
    ]

    focus = [
        {
            "rank": area.rank,
            "name": area.name,
            "scoreline": translate(
                "report.focus.scoreline", lang,
                nu=number(area.nu), onske=number(area.onske), gap=number(area.gap, signed=True),
            ),
            "text": area.text,
        }
        for area in content.focus_areas
    ]

    return {
        "lang": lang,
        "title": title,
        "organisation": content.organisation,
        "team": content.team,
        "footer_css": _css_string(f"{content.organisation}{' · ' + content.team if content.team else ''} · {title}"),
        "period": _period(facts, lang),
        "report_date": format_date(facts["report_date"], lang),
        "respondents": _respondents_line(content),
        "teams": translate("report.front.teams_value", lang, teams=facts["teams"], suppressed=facts["teams_suppressed"]),
        "exclusions": _exclusion_lines(facts, lang),
        "threshold": translate("report.front.threshold_value", lang, threshold=facts["min_group_size"]),
        "threshold_number": facts["min_group_size"],
        "confidence": format_number(100 * facts["confidence"], lang, 0),
        "figures": {name: _data_uri(svg) for name, svg in content.figures.items()},
        "has_reference": reference is not None,
        "reference_note": _reference_note(content),
        "suppression_note": _suppression_note(content),
        "scale_rows": scale_rows,
        "item_rows": item_rows,
        "team_rows": team_rows,
        "focus": focus,
        "method_rules": _method_rules(facts, lang, instrument),
        "reverse_sum": instrument.scale.min + instrument.scale.max,
        "factor_count": len(instrument.factor_codes),
        "dimension_count": len(instrument.dimension_codes),
        "privacy_text": translate("report.method.privacy", lang, threshold=facts["min_group_size"]),
        "instrument": f"{facts['instrument_name']}, {translate('report.method.version', lang)} {facts['instrument_version']}",
        "input_file": facts["input_file"],
        "sha256": facts["input_sha256"],
        "run": translate(
            "report.method.run_value", lang,
            started=facts["started_at"].strftime("%Y-%m-%d %H:%M:%S %z"),
            seconds=format_number(facts.get("compute_seconds", float("nan")), lang, 1),
        ),
        "versions": ", ".join(f"{name} {version}" for name, version in facts["versions"].items()),
        "references": _REFERENCES,
    }


def _css_string(text: str) -> Markup:
    """Quote ``text`` as a CSS string for the page footer; it is not HTML, so not entity-escaped."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ").replace("\n", " ")
    return Markup(f'"{escaped}"')


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _period(facts: dict, lang: str) -> str:
    if facts["period_start"] is None:
        return translate("report.front.period_unknown", lang)
    start, end = format_date(facts["period_start"], lang), format_date(facts["period_end"], lang)
    return start if start == end else f"{start} – {end}"


def _respondents_line(content: ReportContent) -> str:
    facts, lang = content.facts, content.lang
    if content.team:
        return translate(
            "report.front.respondents_team", lang,
            n=facts["respondents_shown"], total=facts["respondents_included"],
        )
    return translate("report.front.respondents_value", lang, n=facts["respondents_included"], rows=facts["rows_read"])


def _exclusion_lines(facts: dict, lang: str) -> list[str]:
    lines = [
        translate("report.front.duplicates", lang, n=facts["duplicates_dropped"]),
        translate(
            "report.front.too_few_answers", lang,
            n=facts["excluded_too_few_answers"], share=format_number(100 * facts["min_answered_share"], lang, 0),
        ),
    ]
    return lines


def _reference_note(content: ReportContent) -> str | None:
    if not content.team:
        return None
    if content.reference is None:
        return translate("report.reference_hidden", content.lang, threshold=content.facts["min_group_size"])
    return translate("report.reference_shown", content.lang, organisation=content.organisation)


def _suppression_note(content: ReportContent) -> str | None:
    disclosure, lang = content.disclosure, content.lang
    if not disclosure.suppressed:
        return None
    text = translate(
        "report.teams.suppressed_note", lang,
        count=len(disclosure.primary), threshold=content.facts["min_group_size"],
    )
    if disclosure.secondary:
        text += " " + translate("report.teams.secondary_note", lang, count=len(disclosure.secondary))
    return text


def _method_rules(facts: dict, lang: str, instrument) -> list[str]:
    share = format_number(100 * facts["min_answered_share"], lang, 0)
    items_share = format_number(100 * facts["min_items_share"], lang, 0)
    confidence = format_number(100 * facts["confidence"], lang, 0)
    return [
        translate(
            "report.method.rule_reverse", lang,
            count=len(instrument.reverse_item_ids), total=len(instrument.item_ids),
            sum=instrument.scale.min + instrument.scale.max,
        ),
        translate("report.method.rule_respondent", lang, share=share),
        translate("report.method.rule_factor", lang, share=items_share),
        translate("report.method.rule_dimension", lang),
        translate("report.method.rule_gap", lang),
        translate("report.method.rule_ci", lang, confidence=confidence),
        translate("report.method.rule_duplicates", lang),
        translate("report.method.rule_focus", lang),
    ]


# Files ---------------------------------------------------------------------------


def write_html(content: ReportContent, path: str | Path) -> Path:
    """Write the report as a self-contained HTML file."""
    path = Path(path)
    with atomic_path(path) as temporary:
        temporary.write_text(render_html(content), encoding="utf-8")
    return path


def write_pdf(content: ReportContent, path: str | Path, html: str | None = None) -> Path:
    """Write the report as a paginated A4 PDF, rendered from the HTML by WeasyPrint."""
    import weasyprint

    path = Path(path)
    document = weasyprint.HTML(string=html or render_html(content), base_url=str(path.parent))
    with atomic_path(path) as temporary:
        document.write_pdf(str(temporary))
    return path


def write_xlsx(content: ReportContent, path: str | Path) -> Path:
    """Write the sheets scale scores, teams and items to an XLSX workbook."""
    path = Path(path)
    lang = content.lang
    sheets = {
        translate("report.xlsx.scales_sheet", lang): _scales_sheet(content),
        translate("report.xlsx.teams_sheet", lang): _teams_sheet(content),
        translate("report.xlsx.items_sheet", lang): _items_sheet(content),
    }
    with atomic_path(path) as temporary:
        with pd.ExcelWriter(temporary, engine="openpyxl") as writer:
            for name, frame in sheets.items():
                frame.to_excel(writer, sheet_name=name, index=False)
                sheet = writer.sheets[name]
                for column_cells in sheet.columns:
                    width = max(len(str(cell.value)) if cell.value is not None else 0 for cell in column_cells)
                    sheet.column_dimensions[column_cells[0].column_letter].width = min(60, max(8, width + 2))
                sheet.freeze_panes = "B2"
    return path


def _measure_label(measure: str, lang: str) -> str:
    return translate(f"report.measure.{measure}", lang)


def _scales_sheet(content: ReportContent) -> pd.DataFrame:
    lang, instrument = content.lang, content.instrument
    table = content.table
    frame = pd.DataFrame({
        translate("report.xlsx.scale_code", lang): table["scale"],
        translate("report.xlsx.scale_name", lang): [instrument.scale_name(c, lang) for c in table["scale"]],
        translate("report.xlsx.kind", lang): [translate(f"report.xlsx.kind_{k}", lang) for k in table["kind"]],
        "n": table["n"],
    })
    for measure in MEASURES:
        label = _measure_label(measure, lang)
        frame[label] = table[f"{measure}_mean"]
        frame[f"{label} {translate('report.xlsx.ci_low', lang)}"] = table[f"{measure}_ci_low"]
        frame[f"{label} {translate('report.xlsx.ci_high', lang)}"] = table[f"{measure}_ci_high"]
    if content.reference is not None:
        reference = content.reference.set_index("scale").loc[table["scale"]]
        for measure in MEASURES:
            frame[f"{content.organisation}: {_measure_label(measure, lang)}"] = reference[f"{measure}_mean"].to_numpy()
    return frame


def _teams_sheet(content: ReportContent) -> pd.DataFrame:
    lang, instrument = content.lang, content.instrument
    teams = content.groups[(content.groups["level"] == "team") & content.groups["scale"].isin(instrument.factor_codes)]
    records = []
    for team, rows in teams.groupby("group", sort=False):
        hidden = bool(rows["suppressed"].any())
        record = {
            translate("report.table.team", lang): team,
            "n": int(rows["n"].max()),
            translate("report.xlsx.suppressed", lang): translate("report.xlsx.yes" if hidden else "report.xlsx.no", lang),
        }
        means = rows.set_index(["scale", "measure"])["mean"]
        for code in instrument.factor_codes:
            for measure in MEASURES:
                value = float("nan") if hidden else means.get((code, measure), float("nan"))
                record[f"{code} {_measure_label(measure, lang)}"] = value
        records.append(record)
    return pd.DataFrame.from_records(records)


def _items_sheet(content: ReportContent) -> pd.DataFrame:
    lang, instrument = content.lang, content.instrument
    items = content.items.reindex(list(instrument.item_ids))
    frame = pd.DataFrame({
        translate("report.table.item", lang): items.index,
        translate("report.xlsx.factor", lang): [instrument.item(i).factor for i in items.index],
        translate("report.xlsx.reverse", lang): [
            translate("report.xlsx.yes" if instrument.item(i).reverse else "report.xlsx.no", lang) for i in items.index
        ],
        translate("report.table.wording", lang): [instrument.item_text(i, lang) for i in items.index],
        "n": items["n"].to_numpy(),
    })
    for measure in MEASURES:
        frame[_measure_label(measure, lang)] = items[measure].to_numpy()
    for measure in MEASURES:
        column = f"organisation_{measure}"
        if column in items:
            frame[f"{content.organisation}: {_measure_label(measure, lang)}"] = items[column].to_numpy()
    return frame


def write_report(content: ReportContent, folder: str | Path, formats: str | tuple[str, ...] = FORMATS) -> dict[str, Path]:
    """Write the requested formats and ``scores.csv`` into ``folder``.

    Parameters
    ----------
    content : ReportContent
    folder : str or Path
        Created if missing. Files already there are replaced one by one; the
        runner makes the whole folder appear at once.
    formats : str or tuple of str, default ("html", "pdf", "xlsx")
        A comma-separated string or a tuple. ``scores.csv`` is always written.

    Returns
    -------
    dict of str to Path
        The written file of each format, plus ``csv``.
    """
    requested = parse_formats(formats)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = report_file_names(content.lang)
    written: dict[str, Path] = {}

    html = render_html(content) if {"html", "pdf"} & set(requested) else None
    if "html" in requested:
        with atomic_path(folder / names["html"]) as temporary:
            temporary.write_text(html, encoding="utf-8")
        written["html"] = folder / names["html"]
    if "pdf" in requested:
        written["pdf"] = write_pdf(content, folder / names["pdf"], html=html)
    if "xlsx" in requested:
        written["xlsx"] = write_xlsx(content, folder / names["xlsx"])
    write_group_scores(content.groups, folder / names["csv"])
    written["csv"] = folder / names["csv"]
    logger.info("Wrote %s to %s", ", ".join(sorted(written)), folder)
    return written


def parse_formats(formats: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Split and check a format list such as ``"html,pdf"``; raise ``ReportError`` if unknown."""
    from ..errors import ReportError

    parts = formats.split(",") if isinstance(formats, str) else list(formats)
    requested = tuple(dict.fromkeys(p.strip().lower() for p in parts if p.strip()))
    unknown = [p for p in requested if p not in FORMATS]
    if unknown or not requested:
        raise ReportError("report.unknown_format", value=",".join(unknown) or str(formats), allowed=",".join(FORMATS))
    return requested


__all__ = [
    "FORMATS",
    "SECTIONS",
    "SectionHTML",
    "parse_formats",
    "render_html",
    "render_section",
    "report_file_names",
    "show_section",
    "write_html",
    "write_pdf",
    "write_report",
    "write_xlsx",
]
