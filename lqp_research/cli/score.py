"""``lqp score``: score a survey export into group scores and a summary."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..constants import DEFAULT_MIN_GROUP_SIZE
from ..errors import InputDataError
from ..i18n import translate
from .arguments import add_common_arguments, group_size, metavar


def add_parser(subparsers, lang: str) -> None:
    parser = subparsers.add_parser(
        "score", help=translate("cli.score.help", lang), description=translate("cli.score.description", lang)
    )
    parser.add_argument("data", metavar="DATA", help=translate("cli.arg.data", lang))
    parser.add_argument("--out", metavar=metavar("file", lang), required=True, type=Path, help=translate("cli.score.out", lang))
    parser.add_argument("--summary", metavar=metavar("file", lang), type=Path, help=translate("cli.score.summary", lang))
    parser.add_argument(
        "--min-group-size", metavar="N", type=group_size(lang), default=DEFAULT_MIN_GROUP_SIZE,
        help=translate("cli.arg.min_group_size", lang),
    )
    parser.add_argument("--sheet", metavar=metavar("sheet", lang), help=translate("cli.arg.sheet", lang))
    add_common_arguments(parser, lang)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..aggregation import residual_group_size
    from ..outputs import atomic_path, format_group_scores, json_text
    from ..pipeline import score
    from ..scoring import ScoringSettings

    check_output_paths(Path(args.data), args.out, args.summary)
    settings = ScoringSettings(min_group_size=args.min_group_size)
    result = score(args.data, instrument=args.instrument, mapping=args.mapping, settings=settings, sheet=args.sheet)
    summary = result.summary

    # Both files are complete before either replaces what was there.
    with atomic_path(args.out) as scores_file:
        format_group_scores(result.groups).to_csv(scores_file, index=False, na_rep="", lineterminator="\n")
        if args.summary:
            with atomic_path(args.summary) as summary_file:
                summary_file.write_text(json_text(summary), encoding="utf-8")

    print(translate(
        "cli.score.done", args.lang, out=args.out, included=summary["respondents_included"],
        teams=summary["teams"], suppressed=summary["teams_suppressed"],
    ))
    for names in similar_team_names(result.respondents["team"]):
        print(translate("cli.score.similar_teams", args.lang, names=", ".join(f"'{n}'" for n in names)), file=sys.stderr)
    hidden = residual_group_size(result.respondents, result.suppressed_teams)
    teams_shown = summary["teams"] - summary["teams_suppressed"]
    if teams_shown and 0 < hidden < settings.min_group_size:
        print(translate("cli.score.subtraction_warning", args.lang, n=hidden, threshold=settings.min_group_size), file=sys.stderr)
    return 0


def check_output_paths(data: Path, out: Path, summary: Path | None) -> None:
    """Reject output paths that would overwrite the input, each other, or a folder."""
    if out.suffix.lower() != ".csv":
        raise InputDataError("cli.score.out_not_csv", file=str(out))
    if summary is not None and summary.suffix.lower() != ".json":
        raise InputDataError("cli.score.summary_not_json", file=str(summary))
    for path in (out, summary):
        if path is not None and path.is_dir():
            raise InputDataError("cli.output_is_directory", file=str(path))
        if path is not None and data.exists() and path.resolve() == data.resolve():
            raise InputDataError("cli.output_is_input", file=str(path))
    if summary is not None and out.resolve() == summary.resolve():
        raise InputDataError("cli.outputs_same", file=str(out))


def similar_team_names(teams) -> list[list[str]]:
    """Return groups of distinct team names that differ only in case or spacing."""
    groups: dict[str, set[str]] = {}
    for name in teams.dropna().unique():
        groups.setdefault(" ".join(str(name).split()).casefold(), set()).add(str(name))
    return [sorted(names) for names in groups.values() if len(names) > 1]
