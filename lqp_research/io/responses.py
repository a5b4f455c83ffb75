"""Read a survey export into validated, canonical :class:`Responses`."""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import AnswerErrors, InputDataError
from ..instrument import Instrument, load_instrument
from .answers import INVALID, AnswerCodebook, decode_column
from .mapping import ColumnMapping, load_mapping
from .readers import RawTable, read_raw, text_of

logger = logging.getLogger(__name__)

ID_COLUMN = "respondent_id"
TEAM_COLUMN = "team"
TIME_COLUMN = "submitted_at"
META_COLUMNS = (ID_COLUMN, TEAM_COLUMN, TIME_COLUMN)

#: Invalid answers reported in one error before the rest are only counted.
MAX_REPORTED_ERRORS = 20

_DANISH_TIME_FORMATS = ("%d-%m-%Y %H:%M", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y")


@dataclass
class Responses:
    """A validated survey export in the canonical wide layout.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per data row of the file, in file order: ``respondent_id`` (str),
        ``team`` (str, missing when blank), ``submitted_at`` (datetime64, NaT when
        blank or absent), background columns as text, then one float64 column per
        item and rating (``PS07_nu``) holding the answer as ticked (reverse-worded
        items not yet reversed), NaN when missing.
    instrument : Instrument
    ratings : tuple of str
        The ratings whose answer columns were read.
    source : Path or None
        The file read, or ``None`` for a table built in memory.
    rows_read : int
        Data rows in the file, blank rows not counted.
    background_columns : tuple of str
        Columns that are neither identifiers nor answers, kept as they are.
    read_details : dict
        Format, encoding, delimiter or sheet, for the method appendix.
    """

    data: pd.DataFrame
    instrument: Instrument
    ratings: tuple[str, ...]
    source: Path | None = None
    rows_read: int = 0
    background_columns: tuple[str, ...] = ()
    read_details: dict = field(default_factory=dict)

    @functools.cached_property
    def sha256(self) -> str | None:
        """SHA-256 of the source file, or ``None`` for a table built in memory."""
        if self.source is None:
            return None
        digest = hashlib.sha256()
        with open(self.source, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()

    @property
    def answer_columns(self) -> list[str]:
        return [self.instrument.column(i, r) for i in self.instrument.item_ids for r in self.ratings]


def read_responses(
    path: str | Path,
    instrument: Instrument | str | Path | None = None,
    mapping: ColumnMapping | str | Path | None = None,
    *,
    ratings: tuple[str, ...] | list[str] | None = None,
    require_team: bool = True,
    sheet: str | int | None = None,
    max_errors: int = MAX_REPORTED_ERRORS,
) -> Responses:
    """Read and validate a survey export (CSV, XLSX or SPSS .sav).

    Parameters
    ----------
    path : str or Path
        The export. CSV may be comma-, semicolon- or tab-separated, in UTF-8
        (with or without BOM) or cp1252; both are detected.
    instrument : Instrument, str or Path, optional
        The instrument, or an instrument file to load; LQP by default.
    mapping : ColumnMapping, str or Path, optional
        Column mapping (or a mapping file) from the export's headers to the
        canonical layout.
    ratings : sequence of str, optional
        Ratings whose answer columns are required; all of the instrument's by
        default. Answer columns of other ratings are ignored.
    require_team : bool, default True
        Whether a ``team`` column is required.
    sheet : str or int, optional
        Worksheet of an XLSX file; the first by default.
    max_errors : int, default 20
        Invalid answers listed in the error before the rest are only counted.

    Returns
    -------
    Responses

    Raises
    ------
    InputDataError
        For an unreadable or empty file, a missing identifier or answer column,
        an answer column the instrument does not define, or a bad timestamp.
    AnswerErrors
        For answers off the scale, listing up to ``max_errors`` of them with the
        row, respondent id, column and value of each.
    """
    path = Path(path)
    if not isinstance(instrument, Instrument):
        instrument = load_instrument(instrument)
    if not isinstance(mapping, ColumnMapping):
        mapping = load_mapping(mapping)
    ratings = _check_ratings(instrument, ratings)

    def numeric_headers(headers: list[str]) -> list[str]:
        canonical = dict(zip(headers, _canonical_names(path, instrument, mapping.apply(headers))))
        answer_columns = set(instrument.item_columns())
        return [header for header, name in canonical.items() if name in answer_columns]

    raw = read_raw(path, sheet, numeric_headers)
    names = _canonical_names(path, instrument, mapping.apply(list(raw.columns)))
    cells = dict(zip(names, raw.columns.values()))
    labels = {new: raw.value_labels.get(old, {}) for new, old in zip(names, raw.columns)}

    answer_names = _check_columns(path, instrument, names, ratings, require_team, mapping)
    if raw.n_rows == 0:
        raise InputDataError("io.no_rows", file=str(path))

    respondent_ids = _respondent_ids(path, cells[ID_COLUMN], raw)
    answers = _decode_answers(path, instrument, cells, labels, answer_names, raw, respondent_ids, mapping, max_errors)
    frame = _assemble(path, cells, names, answer_names, instrument, ratings, answers, respondent_ids, raw)

    background = tuple(c for c in frame.columns if c not in META_COLUMNS and c not in answer_names)
    return Responses(
        data=frame,
        instrument=instrument,
        ratings=ratings,
        source=path,
        rows_read=raw.n_rows,
        background_columns=background,
        read_details=dict(raw.details),
    )


def responses_from_frame(
    frame: pd.DataFrame,
    instrument: Instrument | None = None,
    *,
    ratings: tuple[str, ...] | None = None,
) -> Responses:
    """Wrap an in-memory canonical table (e.g. simulated data) as :class:`Responses`.

    The frame must already be canonical: ``respondent_id``, ``team``, answer
    columns holding numbers on the scale or NaN. It is not copied, so it must not
    be changed afterwards.
    """
    instrument = instrument or load_instrument()
    ratings = _check_ratings(instrument, ratings)
    needed = [instrument.column(i, r) for i in instrument.item_ids for r in ratings]
    absent = [c for c in (ID_COLUMN, *needed) if c not in frame.columns]
    if absent:
        raise InputDataError(
            "io.missing_columns", file="<DataFrame>", columns=", ".join(absent[:10]), count=len(absent)
        )
    background = tuple(c for c in frame.columns if c not in META_COLUMNS and c not in needed)
    return Responses(
        data=frame, instrument=instrument, ratings=ratings, rows_read=len(frame), background_columns=background
    )


# Steps ------------------------------------------------------------------------


def _check_ratings(instrument: Instrument, ratings) -> tuple[str, ...]:
    if ratings is None:
        return instrument.rating_codes
    ratings = tuple(ratings)
    for rating in ratings:
        if rating not in instrument.rating_codes:
            raise InputDataError(
                "io.unknown_rating", rating=rating, allowed=", ".join(instrument.rating_codes)
            )
    return ratings


def _canonical_names(path: Path, instrument: Instrument, names: list[str]) -> list[str]:
    """Give canonical columns their canonical spelling, case-insensitively."""
    canonical = {_header_key(name): name for name in (*META_COLUMNS, *instrument.item_columns())}
    renamed = [canonical.get(_header_key(name), name) for name in names]
    seen: set[str] = set()
    for name in renamed:
        if name in seen:
            raise InputDataError("io.duplicate_column", file=str(path), column=name)
        seen.add(name)
    return renamed


def _header_key(name: str) -> str:
    """Fold case and the Danish letters of a header, so ``PS07_Ønske`` finds ``PS07_onske``."""
    return name.casefold().replace("ø", "o").replace("æ", "ae").replace("å", "aa")


def _check_columns(path, instrument, names, ratings, require_team, mapping) -> list[str]:
    required = [ID_COLUMN] + ([TEAM_COLUMN] if require_team else [])
    for column in required:
        if column not in names:
            unmatched = [source for source, target in mapping.columns.items() if target == column]
            if unmatched:
                raise InputDataError(
                    "io.mapping_source_missing", file=str(path), mapping=mapping.source,
                    headers=f"'{unmatched[0]}'", count=1,
                )
            raise InputDataError(
                "io.missing_id_column" if column == ID_COLUMN else "io.missing_team_column",
                file=str(path), column=column, found=", ".join(names[:8]),
            )

    known = set(instrument.item_columns())
    suffix = re.compile(r"^(?P<item>.+)_(?P<rating>" + "|".join(map(re.escape, instrument.rating_codes)) + r")$")
    for name in names:
        if name not in known and suffix.match(name):
            raise InputDataError("io.unknown_item_column", file=str(path), column=name)

    needed = [instrument.column(i, r) for i in instrument.item_ids for r in ratings]
    absent = [c for c in needed if c not in names]
    if absent:
        unmatched = [source for source, target in mapping.columns.items() if target in absent]
        if unmatched:
            raise InputDataError(
                "io.mapping_source_missing", file=str(path), mapping=mapping.source,
                headers=", ".join(f"'{h}'" for h in unmatched[:5]), count=len(unmatched),
            )
        raise InputDataError(
            "io.missing_columns", file=str(path), columns=", ".join(absent[:10]), count=len(absent)
        )
    return needed


def _respondent_ids(path: Path, cells, raw: RawTable) -> np.ndarray:
    ids = text_of(cells)
    blank = np.flatnonzero(ids == "")
    if blank.size:
        raise InputDataError("io.blank_respondent_id", file=str(path), row=int(raw.row_numbers[blank[0]]), count=blank.size)
    return ids


def _decode_answers(path, instrument, cells, labels, answer_names, raw: RawTable, ids, mapping, max_errors) -> np.ndarray:
    codebook = AnswerCodebook.for_scale(instrument.scale, mapping.missing_values)
    # Column-major, so each column is written contiguously and the frame built
    # from it needs no copy.
    answers = np.empty((raw.n_rows, len(answer_names)), dtype=np.float64, order="F")
    bad_rows: list[np.ndarray] = []
    bad_columns: list[np.ndarray] = []
    for index, name in enumerate(answer_names):
        values = decode_column(cells[name], codebook, labels.get(name), out=answers[:, index])
        bad = np.flatnonzero(values == INVALID)
        if bad.size:
            bad_rows.append(bad)
            bad_columns.append(np.full(bad.size, index))
    if not bad_rows:
        return answers

    # Report the first invalid cells in file order: by row, then by column.
    rows = np.concatenate(bad_rows)
    columns = np.concatenate(bad_columns)
    order = np.lexsort((columns, rows))[:max_errors]
    problems = [
        InputDataError(
            "io.answer_invalid", row=int(raw.row_numbers[rows[k]]), respondent=ids[rows[k]],
            column=answer_names[columns[k]], value=_cell_at(cells[answer_names[columns[k]]], int(rows[k])),
        )
        for k in order
    ]
    raise AnswerErrors(problems, int(rows.size), str(path), low=instrument.scale.min, high=instrument.scale.max)


def _labelled(cells, value_labels: dict | None):
    """Replace coded values by their SPSS value labels (team 2 becomes its name)."""
    if not value_labels:
        return cells
    values = np.asarray(cells, dtype=object).copy()
    for index, value in enumerate(values):
        if value in value_labels:
            values[index] = value_labels[value]
    return values


def _cell_at(cells, row: int) -> str:
    value = cells[row]
    if hasattr(value, "as_py"):  # pyarrow scalar
        value = value.as_py()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _assemble(path, cells, names, answer_names, instrument, ratings, answers, ids, raw: RawTable) -> pd.DataFrame:
    parts: dict[str, object] = {ID_COLUMN: ids}
    if TEAM_COLUMN in cells:
        teams = text_of(_labelled(cells[TEAM_COLUMN], raw.value_labels.get(TEAM_COLUMN)))
        parts[TEAM_COLUMN] = pd.array(np.where(teams == "", None, teams), dtype="string")
    else:
        parts[TEAM_COLUMN] = pd.array([None] * raw.n_rows, dtype="string")
    if TIME_COLUMN in cells:
        parts[TIME_COLUMN] = _parse_times(path, cells[TIME_COLUMN], ids, raw)
    else:
        parts[TIME_COLUMN] = pd.Series(pd.NaT, index=range(raw.n_rows), dtype="datetime64[ns]").to_numpy()

    other_ratings = set(instrument.item_columns()) - set(answer_names)
    for name in names:
        if name in META_COLUMNS or name in answer_names or name in other_ratings:
            continue
        values = text_of(_labelled(cells[name], raw.value_labels.get(name)))
        parts[name] = pd.array(np.where(values == "", None, values), dtype="string")

    meta = pd.DataFrame(parts)
    meta[ID_COLUMN] = meta[ID_COLUMN].astype("string")
    answer_frame = pd.DataFrame(answers, columns=answer_names, copy=False)
    return pd.concat([meta, answer_frame], axis=1)


def _parse_times(path: Path, cells, ids: np.ndarray, raw: RawTable) -> np.ndarray:
    """Parse ISO 8601 or Danish ``dd-mm-yyyy HH:MM`` timestamps; blank is NaT."""
    text = pd.Series(text_of(cells), dtype=object)
    present = text != ""
    parsed = pd.to_datetime(text.where(present), format="ISO8601", errors="coerce", utc=True)
    for fmt in _DANISH_TIME_FORMATS:
        pending = present & parsed.isna()
        if not pending.any():
            break
        parsed = parsed.fillna(pd.to_datetime(text.where(pending), format=fmt, errors="coerce", utc=True))
    failed = np.flatnonzero((present & parsed.isna()).to_numpy())
    if failed.size:
        row = failed[0]
        raise InputDataError(
            "io.invalid_timestamp", file=path.name, row=int(raw.row_numbers[row]), respondent=ids[row],
            column=TIME_COLUMN, value=text.iloc[row], count=failed.size,
        )
    return parsed.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")


__all__ = ["Responses", "read_responses", "responses_from_frame", "ID_COLUMN", "TEAM_COLUMN", "TIME_COLUMN"]
