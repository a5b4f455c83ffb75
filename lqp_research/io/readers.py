"""Format readers: turn a CSV, XLSX or SPSS file into a table of raw cells.

Each reader returns a :class:`RawTable`: the header names as found, one column of
raw cells per header, and the spreadsheet row number of every data row so errors
can point at it. Decoding answers and checking the layout happen later, in
:mod:`lqp_research.io.responses`, the same way for every format.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputDataError

logger = logging.getLogger(__name__)

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
SPSS_SUFFIXES = (".sav", ".zsav")
SUPPORTED_SUFFIXES = CSV_SUFFIXES + EXCEL_SUFFIXES + SPSS_SUFFIXES


@dataclass
class RawTable:
    """Raw cells of one file, before decoding.

    Attributes
    ----------
    columns : dict of str to array-like
        Header name -> cells. CSV cells are strings ("" when blank); XLSX cells
        are Python objects; SPSS cells are numbers or strings, user-missing
        values already NaN.
    row_numbers : numpy.ndarray
        Row number in the file of each data row (the header is row 1; for SPSS,
        the case number).
    value_labels : dict
        SPSS value labels per column, ``{column: {value: label}}``.
    details : dict
        How the file was read (encoding, delimiter, sheet), for the method appendix.
    """

    columns: dict[str, object]
    row_numbers: np.ndarray
    value_labels: dict[str, dict] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return len(self.row_numbers)


def read_raw(path: Path, sheet: str | int | None = None) -> RawTable:
    """Read ``path`` into a :class:`RawTable`, choosing the reader by suffix.

    Raises
    ------
    InputDataError
        If the file is missing, of an unsupported type, empty or unreadable.
    """
    if not path.exists():
        raise InputDataError("io.file_not_found", file=str(path))
    if path.is_dir():
        raise InputDataError("io.is_directory", file=str(path))
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputDataError(
            "io.unsupported_format", file=str(path), suffix=suffix or "(ingen)",
            supported=", ".join(SUPPORTED_SUFFIXES),
        )
    if path.stat().st_size == 0:
        raise InputDataError("io.empty_file", file=str(path))

    if suffix in CSV_SUFFIXES:
        table = read_csv(path)
    elif suffix in EXCEL_SUFFIXES:
        table = read_excel(path, sheet)
    else:
        table = read_spss(path)
    logger.info("Read %d data rows from %s (%s)", table.n_rows, path, table.details)
    return table


# CSV ---------------------------------------------------------------------------


def detect_encoding(data: bytes) -> str:
    """Return ``"utf-8-sig"``, ``"utf-8"`` or ``"cp1252"`` for the bytes of a text file.

    UTF-8 is tried first because cp1252 accepts almost any byte sequence, while
    text in another encoding is rarely valid UTF-8 by accident.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def detect_delimiter(header_line: str) -> str:
    """Return the delimiter (comma, semicolon or tab) used most often outside quotes."""
    counts = {",": 0, ";": 0, "\t": 0}
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    return max(counts, key=lambda d: (counts[d], d == ","))


def read_csv(path: Path) -> RawTable:
    """Read a delimited text file with detected encoding and delimiter.

    Every cell is read as text, so a value such as ``"3"``, ``"Enig"`` or ``"NA"``
    reaches the decoder unchanged; blank lines and lines of only delimiters are
    dropped.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputDataError("io.unreadable", file=str(path), detail=exc.strerror or str(exc)) from None
    if b"\x00" in data[:4096]:
        raise InputDataError("io.unreadable", file=str(path), detail="binary content, not text")

    encoding = detect_encoding(data)
    if encoding == "utf-8-sig":
        data = data[3:]
    if encoding == "cp1252":
        data = data.decode("cp1252", errors="replace").encode("utf-8")
    if not data.strip():
        raise InputDataError("io.empty_file", file=str(path))

    first_line = data.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
    delimiter = detect_delimiter(first_line)
    header = next(csv.reader([first_line], delimiter=delimiter))
    names = [name.strip() for name in header]
    _check_header(path, names)

    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=True),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise InputDataError("io.malformed_csv", file=str(path), detail=str(exc).strip()) from None

    columns = {name: table.column(index) for index, name in enumerate(names)}
    row_numbers = np.arange(2, table.num_rows + 2)
    keep = _non_blank_rows(columns, table.num_rows)
    if keep is not None:
        import pyarrow.compute as pc

        mask = pa.array(keep)
        columns = {name: pc.filter(column, mask) for name, column in columns.items()}
        row_numbers = row_numbers[keep]

    details = {"format": "csv", "encoding": encoding, "delimiter": {",": "comma", ";": "semicolon", "\t": "tab"}[delimiter]}
    return RawTable(columns=columns, row_numbers=row_numbers, details=details)


def _non_blank_rows(columns: dict, n_rows: int) -> np.ndarray | None:
    """Return a keep-mask when some rows are entirely blank, else ``None``."""
    import pyarrow.compute as pc

    if n_rows == 0:
        return None
    blank = np.ones(n_rows, dtype=bool)
    for column in columns.values():
        stripped = pc.utf8_trim_whitespace(column)
        blank &= pc.equal(stripped, "").to_numpy(zero_copy_only=False)
        if not blank.any():
            return None
    return ~blank


def _check_header(path: Path, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name == "":
            raise InputDataError("io.blank_header", file=str(path))
        if name in seen:
            raise InputDataError("io.duplicate_column", file=str(path), column=name)
        seen.add(name)


# XLSX --------------------------------------------------------------------------


def read_excel(path: Path, sheet: str | int | None = None) -> RawTable:
    """Read one worksheet (the first unless ``sheet`` names or numbers another)."""
    try:
        frame = pd.read_excel(
            path, sheet_name=0 if sheet is None else sheet, header=0, dtype=object, engine="openpyxl"
        )
    except ValueError as exc:
        if sheet is not None and "not found" in str(exc).lower():
            raise InputDataError("io.sheet_not_found", file=str(path), sheet=sheet) from None
        raise InputDataError("io.unreadable", file=str(path), detail=str(exc)) from None
    except IndexError:
        raise InputDataError("io.sheet_not_found", file=str(path), sheet=sheet) from None
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise InputDataError("io.unreadable", file=str(path), detail=f"{type(exc).__name__}: {exc}") from None

    names = [str(name).strip() if not str(name).startswith("Unnamed:") else "" for name in frame.columns]
    if not names:
        raise InputDataError("io.empty_file", file=str(path))
    # pandas renames repeated headers "x", "x.1"; openpyxl keeps the originals.
    original = _excel_header(path, sheet)
    if original is not None and len(original) == len(names):
        names = original
    _check_header(path, names)

    blank = frame.map(_is_blank_cell).all(axis=1).to_numpy()
    frame = frame.loc[~blank]
    row_numbers = np.flatnonzero(~blank) + 2
    columns = {name: frame.iloc[:, index].to_numpy(dtype=object) for index, name in enumerate(names)}
    details = {"format": "xlsx", "sheet": str(0 if sheet is None else sheet)}
    return RawTable(columns=columns, row_numbers=row_numbers, details=details)


def _excel_header(path: Path, sheet: str | int | None) -> list[str] | None:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        if sheet is None or isinstance(sheet, int):
            worksheet = workbook.worksheets[sheet or 0]
        else:
            worksheet = workbook[sheet]
        for row in worksheet.iter_rows(min_row=1, max_row=1, values_only=True):
            values = list(row)
            while values and values[-1] is None:
                values.pop()
            return ["" if value is None else str(value).strip() for value in values]
    finally:
        workbook.close()
    return None


def _is_blank_cell(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


# SPSS --------------------------------------------------------------------------


def read_spss(path: Path) -> RawTable:
    """Read an SPSS .sav file; user-missing values arrive as missing (NaN)."""
    import pyreadstat

    try:
        frame, meta = pyreadstat.read_sav(str(path), user_missing=False, apply_value_formats=False)
    except Exception as exc:  # pyreadstat raises its own ReadstatError and others
        raise InputDataError("io.unreadable", file=str(path), detail=f"{type(exc).__name__}: {exc}") from None

    names = [str(name).strip() for name in frame.columns]
    _check_header(path, names)
    blank = frame.map(_is_blank_cell).all(axis=1).to_numpy()
    frame = frame.loc[~blank]
    row_numbers = np.flatnonzero(~blank) + 1
    columns = {name: frame.iloc[:, index].to_numpy(dtype=object) for index, name in enumerate(names)}
    value_labels = {
        str(name).strip(): dict(labels) for name, labels in (meta.variable_value_labels or {}).items()
    }
    return RawTable(
        columns=columns, row_numbers=row_numbers, value_labels=value_labels, details={"format": "sav"}
    )


def text_of(cells: object) -> np.ndarray:
    """Return cells as an object array of stripped strings ("" for blank)."""
    if hasattr(cells, "to_numpy") and hasattr(cells, "type"):  # pyarrow array
        import pyarrow.compute as pc

        return np.asarray(pc.utf8_trim_whitespace(cells).to_numpy(zero_copy_only=False), dtype=object)
    values = np.asarray(cells, dtype=object)
    out = np.empty(len(values), dtype=object)
    for index, value in enumerate(values):
        out[index] = "" if _is_blank_cell(value) else _cell_text(value)
    return out


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value).strip()


__all__ = ["RawTable", "SUPPORTED_SUFFIXES", "detect_delimiter", "detect_encoding", "read_raw", "text_of"]
