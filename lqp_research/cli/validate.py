"""``lqp validate``: run the psychometric validation and write the report and CSV files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..i18n import translate
from ..psychometrics.confirmatory import MODEL_NAMES
from ..validation import ESTIMATORS, MISSING_METHODS, ValidationSettings, run_validation, write_validation
from .arguments import add_common_arguments


def add_parser(subparsers, lang: str) -> None:
    parser = subparsers.add_parser(
        "validate", help=translate("validate.cli.help", lang), description=translate("validate.cli.description", lang)
    )
    parser.add_argument("data", metavar="DATA", help=translate("cli.arg.data", lang))
    parser.add_argument("--out", metavar="DIR", required=True, type=Path, help=translate("validate.cli.out", lang))
    parser.add_argument("--rating", default="nu", help=translate("validate.cli.rating", lang))
    parser.add_argument("--estimator", choices=ESTIMATORS, default="ml", help=translate("validate.cli.estimator", lang))
    parser.add_argument("--missing", choices=MISSING_METHODS, default=None, help=translate("validate.cli.missing", lang))
    parser.add_argument("--group", metavar="COLUMN", help=translate("validate.cli.group", lang))
    parser.add_argument("--models", metavar="LIST", type=_model_list(lang), default=MODEL_NAMES,
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
        print(translate("validate.cli.problem", args.lang, section=section, message=problem.message(args.lang)), file=sys.stderr)
    counts = {s: sum(1 for p in result.problems if p.severity == s) for s in ("error", "warning")}
    print(translate(
        "validate.cli.done", args.lang, out=args.out, respondents=result.sample["respondents"], fits=len(result.fits),
        models=len(args.models), errors=counts["error"], warnings=counts["warning"],
    ))
    return 0
