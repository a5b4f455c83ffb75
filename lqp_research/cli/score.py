"""``lqp score``: score a survey export into group scores and a summary."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..constants import DEFAULT_MIN_GROUP_SIZE
from ..i18n import translate
from .arguments import add_common_arguments, group_size


def add_parser(subparsers, lang: str) -> None:
    parser = subparsers.add_parser(
        "score", help=translate("cli.score.help", lang), description=translate("cli.score.description", lang)
    )
    parser.add_argument("data", metavar="DATA", help=translate("cli.arg.data", lang))
    parser.add_argument("--out", metavar="FILE", required=True, type=Path, help=translate("cli.score.out", lang))
    parser.add_argument("--summary", metavar="FILE", type=Path, help=translate("cli.score.summary", lang))
    parser.add_argument("--min-group-size", metavar="N", type=group_size(lang), default=DEFAULT_MIN_GROUP_SIZE, help=translate("cli.arg.min_group_size", lang))
    add_common_arguments(parser, lang)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..aggregation import residual_group_size
    from ..outputs import write_group_scores, write_json
    from ..pipeline import score
    from ..scoring import ScoringSettings

    settings = ScoringSettings(min_group_size=args.min_group_size)
    result = score(args.data, instrument=args.instrument, mapping=args.mapping, settings=settings)

    write_group_scores(result.groups, args.out)
    if args.summary:
        write_json(result.summary, args.summary)

    summary = result.summary
    print(translate(
        "cli.score.done", args.lang, out=args.out, included=summary["respondents_included"],
        teams=summary["teams"], suppressed=summary["teams_suppressed"],
    ))
    hidden = residual_group_size(result.respondents, result.suppressed_teams)
    if 0 < hidden < settings.min_group_size:
        print(translate("cli.score.subtraction_warning", args.lang, n=hidden, threshold=settings.min_group_size), file=sys.stderr)
    return 0
