"""``lqp report``: render client reports from survey exports with the report notebook."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..errors import ReportError
from ..i18n import translate
from ..reporting.render import parse_formats
from ..runner import DEFAULT_NOTEBOOK, ReportJob, find_data_files, organisation_from_path, render_many
from .arguments import add_common_arguments, group_size


def add_parser(subparsers, lang: str) -> None:
    parser = subparsers.add_parser(
        "report", help=translate("report.cli.help", lang), description=translate("report.cli.description", lang)
    )
    parser.add_argument("data", metavar="DATA", nargs="+", help=translate("report.cli.data", lang))
    parser.add_argument("--organisation", metavar="NAME", help=translate("report.cli.organisation", lang))
    parser.add_argument("--team", metavar="NAME", help=translate("report.cli.team", lang))
    parser.add_argument("--out", metavar="FOLDER", type=Path, default=Path("reports"), help=translate("report.cli.out", lang))
    parser.add_argument("--min-group-size", metavar="N", type=group_size(lang), default=5, help=translate("cli.arg.min_group_size", lang))
    parser.add_argument("--format", metavar="LIST", default="html,pdf,xlsx", help=translate("report.cli.format", lang))
    parser.add_argument("--workers", metavar="N", type=int, default=None, help=translate("report.cli.workers", lang))
    parser.add_argument("--notebook", metavar="FILE", type=Path, default=DEFAULT_NOTEBOOK, help=translate("report.cli.notebook", lang))
    add_common_arguments(parser, lang)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    lang = args.lang
    formats = parse_formats(args.format)
    files = find_data_files(args.data)
    if len(files) > 1 and (args.organisation or args.team):
        raise ReportError("report.cli.name_with_many", count=len(files))
    if args.workers is not None and args.workers < 1:
        raise ReportError("report.cli.invalid_workers", value=args.workers)

    jobs = [
        ReportJob(
            data=path,
            organisation=args.organisation or organisation_from_path(path),
            out=args.out,
            lang=lang,
            formats=formats,
            min_group_size=args.min_group_size,
            team=args.team,
            instrument=args.instrument,
            mapping=args.mapping,
            notebook=args.notebook,
        )
        for path in files
    ]
    outcomes = render_many(jobs, workers=args.workers or os.cpu_count(), progress=sys.stderr.isatty() or len(jobs) > 1)

    failures = [outcome for outcome in outcomes if not outcome.ok]
    for outcome in outcomes:
        if outcome.ok:
            print(translate("report.cli.done", lang, organisation=outcome.job.organisation, folder=outcome.folder))
    if failures:
        print(translate("report.cli.failures", lang, failed=len(failures), total=len(outcomes)), file=sys.stderr)
        for outcome in failures:
            print(f"  - {outcome.job.data}: {outcome.error}", file=sys.stderr)
        return 1
    return 0
