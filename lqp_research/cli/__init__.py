"""The ``lqp`` command: subcommands score, report, validate and simulate.

Each subcommand lives in its own module here with ``add_parser(subparsers,
lang)`` and ``run(args) -> int``. Help texts and messages come from the message
catalogue in the language chosen with ``--lang`` (Danish by default; the
``LQP_LANG`` environment variable sets another default).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import os
import sys

from .. import __version__
from ..errors import LqpError
from ..i18n import DEFAULT_LANGUAGE, LANGUAGES, set_language, translate
from .arguments import install_argparse_translation

COMMANDS = ("score", "report", "validate", "simulate")

logger = logging.getLogger("lqp_research")


def _language_from(argv: list[str]) -> str:
    """Find ``--lang`` before parsing, so help is printed in that language."""
    lang = os.environ.get("LQP_LANG", DEFAULT_LANGUAGE)
    for index, arg in enumerate(argv):
        if arg == "--lang" and index + 1 < len(argv):
            lang = argv[index + 1]
        elif arg.startswith("--lang="):
            lang = arg.split("=", 1)[1]
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def build_parser(lang: str) -> argparse.ArgumentParser:
    """Build the ``lqp`` parser with every available subcommand, texts in ``lang``."""
    parser = argparse.ArgumentParser(prog="lqp", description=translate("cli.description", lang))
    parser.add_argument(
        "--version", action="version", version=f"lqp {__version__}", help=translate("cli.argparse.version", lang)
    )
    parser.add_argument("--lang", choices=LANGUAGES, default=lang, help=translate("cli.arg.lang", lang))
    subparsers = parser.add_subparsers(
        dest="command", metavar=translate("cli.metavar.command", lang), title=translate("cli.commands", lang)
    )
    subparsers.required = True
    for name in COMMANDS:
        module_name = f"{__name__}.{name}"
        if importlib.util.find_spec(module_name) is None:
            continue
        importlib.import_module(module_name).add_parser(subparsers, lang)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``lqp`` with ``argv`` (default: the process arguments); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    lang = _language_from(argv)
    set_language(lang)
    install_argparse_translation(lang)
    parser = build_parser(lang)
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.run(args) or 0)
    except LqpError as error:
        print(translate("cli.error_prefix", lang) + error.message(lang), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(translate("cli.interrupted", lang), file=sys.stderr)
        return 130


__all__ = ["build_parser", "main"]
