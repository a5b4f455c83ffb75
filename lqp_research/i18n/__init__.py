"""One message catalogue for everything a user reads, in Danish and English.

Messages live in ``messages/*.yaml``; each file groups the keys of one concern
(``io.yaml``, ``cli.yaml``, ``report.yaml`` ...) and every key has a ``da`` and an
``en`` text, formatted with :meth:`str.format` placeholders. The files are merged
into one catalogue on first use, and a key defined twice is an error.

Danish is the default language. The CLI sets the language from ``--lang``;
library callers pass ``lang`` explicitly or call :func:`set_language`.
"""

from __future__ import annotations

import functools
from importlib import resources

import yaml

# libyaml's C parser when installed; the pure-Python one otherwise (same result, slower).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

LANGUAGES = ("da", "en")
DEFAULT_LANGUAGE = "da"

_current_language = DEFAULT_LANGUAGE


def set_language(lang: str) -> None:
    """Set the language used when no ``lang`` is passed to :func:`translate`."""
    global _current_language
    _current_language = check_language(lang)


def get_language() -> str:
    """Return the language used when no ``lang`` is passed to :func:`translate`."""
    return _current_language


def check_language(lang: str) -> str:
    """Return ``lang`` if the catalogue has it, else raise ``ValueError``."""
    if lang not in LANGUAGES:
        raise ValueError(
            f"Unsupported language {lang!r}: expected one of {', '.join(LANGUAGES)}."
        )
    return lang


@functools.cache
def catalogue() -> dict[str, dict[str, str]]:
    """Load and merge every message file into ``{key: {lang: text}}``."""
    merged: dict[str, dict[str, str]] = {}
    folder = resources.files(__package__) / "messages"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        messages = yaml.load(entry.read_text(encoding="utf-8"), Loader=_YAML_LOADER) or {}
        for key, texts in messages.items():
            if key in merged:
                raise RuntimeError(f"Message key {key!r} is defined twice ({entry.name}).")
            missing = [lang for lang in LANGUAGES if not texts.get(lang)]
            if missing:
                raise RuntimeError(
                    f"Message key {key!r} in {entry.name} has no text for {missing}."
                )
            merged[key] = texts
    return merged


def translate(key: str, lang: str | None = None, /, **params: object) -> str:
    """Return the message ``key`` in ``lang`` (default: the current language).

    Parameters
    ----------
    key : str
        Catalogue key, e.g. ``"io.answer_off_scale"``.
    lang : {"da", "en"}, optional
        Language of the text; the current language when omitted.
    **params
        Values for the message's ``{placeholders}``.
    """
    texts = catalogue()[key]
    return texts[check_language(lang or _current_language)].format(**params)


#: Short alias for use in reports and notebooks.
t = translate

__all__ = [
    "LANGUAGES",
    "DEFAULT_LANGUAGE",
    "catalogue",
    "check_language",
    "get_language",
    "set_language",
    "translate",
    "t",
]
