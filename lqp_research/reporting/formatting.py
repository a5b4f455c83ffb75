"""Number and date formatting in the reader's language (Danish: decimal comma)."""

from __future__ import annotations

import datetime as dt
import math

_MONTHS = {
    "da": ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"),
}


def format_number(value: float | None, lang: str, decimals: int = 2, signed: bool = False) -> str:
    """Format a number for display; NaN and ``None`` become an en dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:+.{decimals}f}" if signed else f"{value:.{decimals}f}"
    if text in ("-0." + "0" * decimals, "+0." + "0" * decimals, "-0", "+0"):
        text = text.replace("-", "±" if signed else "").replace("+", "±")
    text = text.replace("-", "−")
    return text.replace(".", ",") if lang == "da" else text


def format_interval(low: float, high: float, lang: str, decimals: int = 2) -> str:
    """Format a confidence interval as ``[low; high]``."""
    return f"[{format_number(low, lang, decimals)}; {format_number(high, lang, decimals)}]"


def format_date(value: dt.date | None, lang: str) -> str:
    """Format a date as ``4. december 2025`` (da) or ``4 December 2025`` (en)."""
    if value is None:
        return "–"
    month = _MONTHS[lang][value.month - 1]
    return f"{value.day}. {month} {value.year}" if lang == "da" else f"{value.day} {month} {value.year}"


__all__ = ["format_date", "format_interval", "format_number"]
