"""The client report: content, charts, focus areas, and HTML/PDF/XLSX writers."""

from .content import FocusArea, ReportContent, build_report
from .focus_areas import recommendation, select_focus_areas
from .privacy import apply_disclosure_control, check_team, reference_allowed
from .render import SECTIONS, render_html, render_section, show_section, write_report

__all__ = [
    "FocusArea",
    "ReportContent",
    "SECTIONS",
    "apply_disclosure_control",
    "build_report",
    "check_team",
    "recommendation",
    "reference_allowed",
    "render_html",
    "render_section",
    "select_focus_areas",
    "show_section",
    "write_report",
]
