"""``lqp validate``: run the psychometric validation and write the report and CSV files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..i18n import translate
from ..psychometrics.confirmatory import MODEL_NAMES
from ..validation import ESTIMATORS, MISSING_METHODS, ValidationSettings, run_validation, write_validation
from ..validation.render import count_phrase
from .arguments import add_common_arguments, metavar


def add_parser(subparsers, lang: str) -> None:
    parser = subparsers.add_parser(
        "validate", help=translate("validate.cli.help", lang), description=translate("validate.cli.description", lang)
    )
    parser.add_argument("data", metavar="DATA", help=translate("cli.arg.data", lang))
    parser.add_argument("--out", metavar=metavar("folder", lang), required=True, type=Path, help=translate("validate.cli.out", lang))
    parser.add_argument("--rating", metavar=metavar("rating", lang), default="nu", help=translate("validate.cli.rating", lang))
    parser.add_argument("--estimator", choices=ESTIMATORS, default="ml", help=translate("validate.cli.estimator", lang))
    parser.add_argument("--missing", choices=MISSING_METHODS, default=None, help=translate("validate.cli.missing", lang))
    parser.add_argument("--group", metavar=metavar("column", lang), help=translate("validate.cli.group", lang))
    parser.add_argument("--models", metavar=metavar("list", lang), type=_model_list(lang), default=MODEL_NAMES,
                        help=translate("validate.cli.models", lang))
    add_common_arguments(parser, lang)
    parser.set_defaults(run=run)


def _model_list(lang: str):
    """Return an argparse type for ``--models``: comma-separated names out of M1-M5."""

    def parse(text: str) -> tuple[str, ...]:
        names = tuple(name.strip().upper() for name in text.split(",") if name.strip())
        if not names or any(name not in MODEL_NAMES for name in names):
            raise argparse.ArgumentTypeError(
                translate("validate.unknown_model", lang, value=text, expected=", ".join(MODEL_NAMES))
            )
        return names

    parse.__name__ = "models"
    return parse


def run(args: argparse.Namespace) -> int:
    settings = ValidationSettings(
        rating=args.rating, estimator=args.estimator, missing=args.missing, group=args.group, models=args.models,
    )
    result = run_validation(args.data, instrument=args.instrument, mapping=args.mapping, settings=settings)
    write_validation(result, args.out, lang=args.lang)

    for problem in result.problems:
        if problem.severity == "note":
            continue
        section = translate(f"validate.section.{problem.section}", args.lang)
        print(translate(f"validate.cli.problem_{problem.severity}", args.lang, section=section,
                        message=problem.message(args.lang)), file=sys.stderr)
    counts = {s: sum(1 for p in result.problems if p.severity == s) for s in ("error", "warning")}
    print(translate(
        "validate.cli.done", args.lang, out=args.out, respondents=result.sample["respondents"], fits=len(result.fits),
        models=len(args.models), errors=count_phrase("error", counts["error"], args.lang),
        warnings=count_phrase("warning", counts["warning"], args.lang),
    ))
    return 0
