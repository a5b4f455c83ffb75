"""Format readers: turn a CSV, XLSX or SPSS file into a table of raw cells.

Each reader returns a :class:`RawTable`: the header names as found, one column of
raw cells per header, and the spreadsheet row number of every data row so errors
can point at it. Decoding answers and checking the layout happen later, in
:mod:`lqp_research.io.responses`, the same way for every format.
"""

from __future__ import annotations

import csv
import io as stdio
import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputDataError

logger = logging.getLogger(__name__)

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
SPSS_SUFFIXES = (".sav", ".zsav")
SUPPORTED_SUFFIXES = CSV_SUFFIXES + EXCEL_SUFFIXES + SPSS_SUFFIXES


class RawTable:
    """Raw cells of one file, before decoding.

    Attributes
    ----------
    columns : dict of str to array-like
        Header name -> cells. CSV cells are pyarrow arrays: strings ("" when
        blank), or float64 for columns parsed as numbers; XLSX cells are Python
        objects; SPSS cells are numbers or strings, user-missing values NaN.
    n_rows : int
        Data rows, blank rows not counted.
    row_numbers : numpy.ndarray
        Row number in the file of each data row (the header is row 1; for SPSS,
        the case number), for error messages. A CSV reader may compute it only
        when first asked, since blank lines and quoted line breaks need a
        second pass over the file.
    value_labels : dict
        SPSS value labels per column, ``{column: {value: label}}``.
    details : dict
        How the file was read (encoding, delimiter, sheet), for the method appendix.
    """

    def __init__(self, columns, row_numbers=None, *, n_rows=None, find_row_numbers=None, value_labels=None, details=None):
        self.columns = columns
        self._row_numbers = None if row_numbers is None else np.asarray(row_numbers)
        self._find_row_numbers = find_row_numbers
        self.n_rows = len(self._row_numbers) if n_rows is None else n_rows
        self.value_labels = value_labels or {}
        self.details = details or {}

    @property
    def row_numbers(self) -> np.ndarray:
        if self._row_numbers is None:
            self._row_numbers = self._find_row_numbers()
        return self._row_numbers


def read_raw(path: Path, sheet: str | int | None = None, numeric_headers=None) -> RawTable:
    """Read ``path`` into a :class:`RawTable`, choosing the reader by suffix.

    ``numeric_headers``, given the header names, returns those that should hold
    numbers. A CSV reader parses them as float64 directly, which is several
    times faster than text, and falls back to text when one contains a label.

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
        table = read_csv(path, numeric_headers)
    elif suffix in EXCEL_SUFFIXES:
        table = read_excel(path, sheet)
    else:
        table = read_spss(path)
    logger.info("Read %d data rows from %s (%s)", table.n_rows, path, table.details)
    return table


# CSV ---------------------------------------------------------------------------


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")
_BLANK_LINE = re.compile(rb"(?:\r\n|\n|\r)(?:[ \t]*(?=\r\n|\n|\r)|[ \t]+\Z)")
_LINE_END = re.compile(rb"\r\n|\n|\r")


def detect_encoding(data: bytes) -> str:
    """Return ``"utf-16"``, ``"utf-8-sig"``, ``"utf-8"`` or ``"cp1252"`` for a text file's bytes.

    UTF-8 is tried before cp1252 because cp1252 accepts almost any byte
    sequence, while text in another encoding is rarely valid UTF-8 by accident.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
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


def read_csv(path: Path, numeric_headers=None) -> RawTable:
    """Read a delimited text file with detected encoding and delimiter.

    Cells are read as text, so a value such as ``"3"``, ``"Enig"`` or ``"NA"``
    reaches the decoder unchanged, except in the columns ``numeric_headers``
    selects, which are parsed as numbers when every cell in them is a number or
    blank. Blank lines and lines of only delimiters are dropped, and row numbers
    still count them, as a spreadsheet shows them.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    data, encoding = _utf8_bytes(path)
    header_match = _LINE_END.search(data)
    header_end = header_match.start() if header_match else len(data)
    first_line = data[:header_end].decode("utf-8")
    delimiter = detect_delimiter(first_line)
    header = next(csv.reader([first_line], delimiter=delimiter))
    names = [name.strip() for name in header]
    _check_header(path, names)
    if not data[header_end:].strip():
        return RawTable(columns={name: np.array([], dtype=object) for name in names}, row_numbers=np.array([], dtype=np.int64))

    numeric = set(numeric_headers(names)) if numeric_headers else set()
    table, data = _parse_with_fallbacks(path, data, names, delimiter, numeric)

    columns = {name: table.column(index) for index, name in enumerate(names)}
    keep = _non_blank_rows(columns, table.num_rows)
    if keep is not None:
        import pyarrow.compute as pc

        mask = pa.array(keep)
        columns = {name: pc.filter(column, mask) for name, column in columns.items()}

    def find_row_numbers() -> np.ndarray:
        numbers = _record_line_numbers(data, delimiter)
        if len(numbers) != table.num_rows:  # the two parsers disagree: fall back to record order
            numbers = np.arange(2, table.num_rows + 2)
        return numbers if keep is None else numbers[keep]

    details = {"format": "csv", "encoding": encoding, "delimiter": {",": "comma", ";": "semicolon", "\t": "tab"}[delimiter]}
    n_rows = table.num_rows if keep is None else int(keep.sum())
    return RawTable(columns=columns, n_rows=n_rows, find_row_numbers=find_row_numbers, details=details)


def _parse_with_fallbacks(path: Path, data: bytes, names: list[str], delimiter: str, numeric: set[str]):
    """Parse with the fastest settings that work, returning the table and the bytes parsed.

    The first try reads answer columns as numbers and assumes no line breaks
    inside quoted fields, which halves the parse time. Each failure falls back
    one step: text columns, then quoted line breaks, then lines of spaces
    turned into empty lines (which the parser skips).
    """
    import pyarrow as pa

    attempts = [(numeric, False)] if numeric else []
    attempts += [(set(), False), (set(), True)]
    for columns, newlines in attempts:
        if newlines and b'"' not in data:
            continue
        try:
            return _parse_csv(data, names, delimiter, columns, newlines), data
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass
    spaced = _BLANK_LINE.sub(lambda m: m.group(0)[: len(m.group(0)) - len(m.group(0).lstrip(b"\r\n"))], data)
    try:
        return _parse_csv(spaced, names, delimiter, set(), True), spaced
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise _malformed(path, spaced, delimiter, len(names), exc) from None


def _parse_csv(data: bytes, names: list[str], delimiter: str, numeric: set[str], newlines_in_values: bool):
    import pyarrow as pa
    import pyarrow.csv as pacsv

    return pacsv.read_csv(
        pa.BufferReader(data),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=True),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=newlines_in_values),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.float64() if name in numeric else pa.string() for name in names},
            null_values=[""],
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _utf8_bytes(path: Path) -> tuple[bytes, str]:
    """Read a text file and return its content as UTF-8 bytes, with the encoding found."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputDataError("io.unreadable", file=str(path), detail=exc.strerror or str(exc)) from None

    encoding = detect_encoding(data)
    if encoding == "utf-16":
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise InputDataError("io.binary_file", file=str(path)) from None
    elif b"\x00" in data[:4096]:
        raise InputDataError("io.binary_file", file=str(path))
    elif encoding == "utf-8-sig":
        data = data[3:]
        _check_utf8(path, data)
    elif encoding == "cp1252":
        _check_utf8(path, data)
        data = data.decode("cp1252", errors="replace").encode("utf-8")
    if not data.strip():
        raise InputDataError("io.empty_file", file=str(path))
    return data, encoding


def _check_utf8(path: Path, data: bytes) -> None:
    """Reject a file that mixes UTF-8 with another encoding, naming the first bad line.

    Decoding such a file as cp1252 would garble every Danish letter written in
    UTF-8 (and so split teams), so it is an error rather than a guess.
    """
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if _UTF8_MULTIBYTE.search(data):
            line = len(_LINE_END.findall(data[: exc.start])) + 1
            raise InputDataError("io.mixed_encoding", file=str(path), row=line) from None


def _record_line_numbers(data: bytes, delimiter: str) -> np.ndarray:
    """Return the line on which each non-empty record after the header starts."""
    reader = csv.reader(stdio.StringIO(data.decode("utf-8"), newline=""), delimiter=delimiter)
    next(reader, None)
    numbers = []
    previous_end = reader.line_num
    for record in reader:
        if record:
            numbers.append(previous_end + 1)
        previous_end = reader.line_num
    return np.asarray(numbers, dtype=np.int64)


def _malformed(path: Path, data: bytes, delimiter: str, expected: int, exc: Exception) -> InputDataError:
    """Build the error for a CSV that does not parse, naming the first bad line."""
    reader = csv.reader(stdio.StringIO(data.decode("utf-8"), newline=""), delimiter=delimiter)
    previous_end = 0
    try:
        for record in reader:
            if record and len(record) != expected:
                return InputDataError(
                    "io.malformed_csv_row", file=str(path), row=previous_end + 1, found=len(record), expected=expected
                )
            previous_end = reader.line_num
    except csv.Error:
        return InputDataError("io.malformed_csv_quote", file=str(path), row=previous_end + 1)
    return InputDataError("io.malformed_csv", file=str(path), detail=str(exc).strip())


def _non_blank_rows(columns: dict, n_rows: int) -> np.ndarray | None:
    """Return a keep-mask when some rows are entirely blank, else ``None``."""
    import pyarrow.compute as pc

    if n_rows == 0:
        return None
    import pyarrow as pa

    blank = np.ones(n_rows, dtype=bool)
    for column in columns.values():
        if pa.types.is_floating(column.type):
            blank &= pc.is_null(column, nan_is_null=True).to_numpy(zero_copy_only=False)
        else:
            blank &= pc.equal(pc.utf8_trim_whitespace(column), "").to_numpy(zero_copy_only=False)
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
    if hasattr(cells, "type") and not hasattr(cells.type, "value_type") and str(cells.type) in ("double", "float"):
        return np.array(["" if v is None or v != v else _cell_text(float(v)) for v in cells.to_pylist()], dtype=object)
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
