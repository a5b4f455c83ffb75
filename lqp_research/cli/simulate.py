"""``lqp simulate``: write a synthetic organisation's survey export."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..i18n import LANGUAGES, translate

SUPPORTED_SUFFIXES = (".csv", ".xlsx")

#: Command-line option of each simulate_organisation argument, named in errors.
OPTION_OF_ARGUMENT = {
    "n_respondents": "--respondents",
    "n_teams": "--teams",
    "small_teams": "--small-teams",
    "duplicate_share": "--duplicates",
}


def add_parser(subparsers, lang: str) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help=translate("simulate.cli.help", lang),
        description=translate("simulate.cli.description", lang),
    )
    parser.add_argument("--respondents", metavar="N", type=int, default=300, help=translate("simulate.cli.respondents", lang))
    parser.add_argument("--teams", metavar="T", type=int, default=10, help=translate("simulate.cli.teams", lang))
    parser.add_argument("--small-teams", metavar="K", type=int, default=0, help=translate("simulate.cli.small_teams", lang))
    parser.add_argument("--seed", metavar="S", type=int, help=translate("simulate.cli.seed", lang))
    parser.add_argument("--out", metavar="FILE", type=Path, required=True, help=translate("simulate.cli.out", lang))
    parser.add_argument("--labels", action="store_true", help=translate("simulate.cli.labels", lang))
    parser.add_argument("--duplicates", metavar="SHARE", type=float, default=0.0, help=translate("simulate.cli.duplicates", lang))
    parser.add_argument("--start", metavar="DATE", default="2025-03-03", help=translate("simulate.cli.start", lang))
    parser.add_argument("--instrument", metavar="FILE", help=translate("cli.arg.instrument", lang))
    parser.add_argument("--lang", choices=LANGUAGES, default=lang, help=translate("cli.arg.lang", lang))
    parser.add_argument("-v", "--verbose", action="store_true", help=translate("cli.arg.verbose", lang))
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ..instrument import load_instrument
    from ..simulate import SimulationError, simulate_organisation

    out = Path(args.out)
    if out.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise SimulationError("simulate.unsupported_format", file=str(out))
    # Without --seed a fresh one is drawn and printed, so the file can be made again.
    seed = args.seed if args.seed is not None else int(np.random.SeedSequence().generate_state(1)[0])

    instrument = load_instrument(args.instrument)
    try:
        table = simulate_organisation(
            args.respondents,
            args.teams,
            instrument,
            random_state=seed,
            small_teams=args.small_teams,
            labels=args.labels,
            lang=args.lang,
            duplicate_share=args.duplicates,
            survey_start=args.start,
        )
    except SimulationError as error:
        argument = error.params.get("name")
        if argument not in OPTION_OF_ARGUMENT:
            raise
        raise SimulationError(error.key, **{**error.params, "name": OPTION_OF_ARGUMENT[argument]}) from None
    write_table(table, out)

    print(translate(
        "simulate.written", args.lang, rows=len(table), respondents=table["respondent_id"].nunique(),
        teams=table["team"].nunique(), file=out, seed=seed,
    ))
    return 0


def write_table(table, path: Path) -> None:
    """Write ``table`` to ``path`` as CSV (UTF-8) or XLSX, replacing it only when complete."""
    from ..outputs import atomic_path
    from ..simulate import SimulationError

    try:
        with atomic_path(path) as temporary:
            if path.suffix.lower() == ".xlsx":
                table.to_excel(temporary, index=False, engine="openpyxl", sheet_name="Besvarelser")
            else:
                table.to_csv(temporary, index=False, encoding="utf-8")
    except OSError as error:
        raise SimulationError("simulate.write_failed", file=str(path), detail=error.strerror or str(error)) from None


__all__ = ["add_parser", "run", "write_table"]
