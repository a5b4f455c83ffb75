"""Arguments shared by several subcommands, and Danish texts for argparse itself."""

from __future__ import annotations

import argparse
import gettext

from ..i18n import LANGUAGES, translate
from ..constants import MIN_ALLOWED_GROUP_SIZE

# argparse looks its own texts up through the module-level gettext function at
# call time; these are the ones a user meets, keyed by argparse's English text.
_ARGPARSE_KEYS = {
    "usage: ": "cli.argparse.usage",
    "the following arguments are required: %s": "cli.argparse.required",
    "unrecognized arguments: %s": "cli.argparse.unrecognized",
    "invalid choice: %(value)r (choose from %(choices)s)": "cli.argparse.invalid_choice",
    "invalid %(type)s value: %(value)r": "cli.argparse.invalid_value",
    "expected one argument": "cli.argparse.expected_one",
    "expected at least one argument": "cli.argparse.expected_at_least_one",
    "%(prog)s: error: %(message)s\n": "cli.argparse.error",
    "show this help message and exit": "cli.argparse.help",
    "show program's version number and exit": "cli.argparse.version",
    "options": "cli.argparse.options",
    "positional arguments": "cli.argparse.positional",
}


def install_argparse_translation(lang: str) -> None:
    """Make argparse print its own messages in ``lang``."""
    if lang == "en":
        argparse._ = gettext.gettext
        return

    def translated(text: str) -> str:
        key = _ARGPARSE_KEYS.get(text)
        return translate(key, lang) if key else gettext.gettext(text)

    argparse._ = translated


def metavar(kind: str, lang: str) -> str:
    """Return the placeholder shown in help for an option's value, e.g. FIL or FILE."""
    return translate(f"cli.metavar.{kind}", lang)


def add_common_arguments(parser: argparse.ArgumentParser, lang: str) -> None:
    """Add ``--instrument``, ``--mapping``, ``--lang`` and ``--verbose``."""
    parser.add_argument("--instrument", metavar=metavar("file", lang), help=translate("cli.arg.instrument", lang))
    parser.add_argument("--mapping", metavar=metavar("file", lang), help=translate("cli.arg.mapping", lang))
    parser.add_argument("--lang", choices=LANGUAGES, default=lang, help=translate("cli.arg.lang", lang))
    parser.add_argument("-v", "--verbose", action="store_true", help=translate("cli.arg.verbose", lang))


def group_size(lang: str):
    """Return an argparse type for ``--min-group-size`` (an integer of at least 3)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(translate("cli.arg.group_size_invalid", lang, value=text, minimum=MIN_ALLOWED_GROUP_SIZE)) from None
        if value < MIN_ALLOWED_GROUP_SIZE:
            raise argparse.ArgumentTypeError(translate("cli.arg.group_size_invalid", lang, value=text, minimum=MIN_ALLOWED_GROUP_SIZE))
        return value

    parse.__name__ = "int"
    return parse


__all__ = ["add_common_arguments", "group_size", "install_argparse_translation", "metavar"]
