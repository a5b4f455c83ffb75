"""Decode answer cells into numbers on the instrument's response scale.

A valid answer is an integer on the scale or one of the scale's labels in any of
the instrument's languages, compared case-insensitively after trimming spaces.
Blank cells, ``NA``, the missing labels ("Ved ikke", "Don't know") and SPSS
user-missing values are missing (NaN). Anything else is invalid.

Each column is decoded through its distinct values only, so a column of a
million cells with a handful of distinct values costs one lookup per value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..instrument import ResponseScale

#: Texts that mean "no answer" in any instrument, besides its missing labels.
GENERIC_MISSING = ("", "na", "n/a", "nan", "#n/a", "null", ".")

INVALID = -1.0  # marker in the lookup table; never a scale value after decoding


@dataclass(frozen=True)
class AnswerCodebook:
    """Lookup from normalised cell text to a scale value or NaN (missing)."""

    scale: ResponseScale
    by_text: dict[str, float]

    @classmethod
    def for_scale(cls, scale: ResponseScale, extra_missing: tuple[str, ...] = ()) -> "AnswerCodebook":
        by_text: dict[str, float] = {}
        for value in scale.values:
            by_text[str(value)] = float(value)
            by_text[f"{value}.0"] = float(value)
        for labels in scale.labels.values():
            for value, label in zip(scale.values, labels):
                by_text[_normalise(label)] = float(value)
        for text in (*GENERIC_MISSING, *extra_missing):
            by_text[_normalise(text)] = np.nan
        for labels in scale.missing_labels.values():
            for label in labels:
                by_text[_normalise(label)] = np.nan
        return cls(scale=scale, by_text=by_text)

    def decode(self, value: object, value_labels: dict | None = None) -> float:
        """Return the scale value of one distinct cell value, NaN, or ``INVALID``."""
        if value is None:
            return np.nan
        if isinstance(value, (bool, np.bool_)):
            return INVALID
        if isinstance(value, (int, float, np.integer, np.floating)):
            number = float(value)
            if np.isnan(number):
                return np.nan
            as_text = str(int(number)) if number.is_integer() else str(number)
            if as_text in self.by_text and np.isnan(self.by_text[as_text]):
                return np.nan  # a numeric code declared missing, e.g. 99 in a mapping file
            if value_labels and number in value_labels:
                labelled = self.by_text.get(_normalise(str(value_labels[number])))
                if labelled is not None:
                    return labelled
            if number.is_integer() and self.scale.min <= number <= self.scale.max:
                return number
            return INVALID
        return self.by_text.get(_normalise(str(value)), INVALID)


_TYPOGRAPHIC = str.maketrans({"\u2019": "'", "\u2018": "'", "\u00b4": "'", "`": "'"})


def _normalise(text: str) -> str:
    """Fold case, spaces and typographic apostrophes ("Don’t know" is "don't know")."""
    return " ".join(text.translate(_TYPOGRAPHIC).split()).casefold()


def decode_column(cells: object, codebook: AnswerCodebook, value_labels: dict | None = None, out: np.ndarray | None = None) -> np.ndarray:
    """Decode one column of raw cells, into ``out`` when given.

    Returns
    -------
    numpy.ndarray of float64
        Scale values, NaN for missing, ``INVALID`` (-1.0) for invalid cells.
    """
    if _is_arrow_float(cells) and not value_labels:
        return _decode_numbers(cells, codebook, out)
    codes, uniques = _factorize(cells)
    lookup = np.array([codebook.decode(value, value_labels) for value in uniques] + [np.nan])
    # pandas marks missing cells with code -1, which indexes the trailing NaN.
    return np.take(lookup, codes, out=out)


def _is_arrow_float(cells: object) -> bool:
    import pyarrow as pa

    return isinstance(cells, (pa.Array, pa.ChunkedArray)) and pa.types.is_floating(cells.type)


def _decode_numbers(cells, codebook: AnswerCodebook, out: np.ndarray | None) -> np.ndarray:
    """Decode a column the CSV parser already read as numbers, without a per-cell lookup."""
    chunks = cells.chunks if hasattr(cells, "chunks") else [cells]
    values = np.empty(len(cells)) if out is None else out
    position = 0
    for chunk in chunks:
        values[position: position + len(chunk)] = chunk.to_numpy(zero_copy_only=False)
        position += len(chunk)

    scale = codebook.scale
    off_scale = ~((values >= scale.min) & (values <= scale.max) & (values == np.round(values))) & ~np.isnan(values)
    if off_scale.any():
        for value in np.unique(values[off_scale]):
            # Off-scale numbers may still be declared missing codes, e.g. 99.
            decoded = codebook.decode(float(value))
            values[values == value] = np.nan if np.isnan(decoded) else INVALID
    return values


def _factorize(cells: object) -> tuple[np.ndarray, list]:
    if hasattr(cells, "dictionary_encode") or hasattr(cells, "combine_chunks"):  # pyarrow
        import pyarrow as pa

        array = cells.combine_chunks() if isinstance(cells, pa.ChunkedArray) else cells
        encoded = array.dictionary_encode()
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        return np.asarray(codes, dtype=np.int64), encoded.dictionary.to_pylist()
    values = np.asarray(cells, dtype=object)
    # factorize treats True as 1 and False as 0; keep booleans apart so they are invalid.
    booleans = np.fromiter((isinstance(v, (bool, np.bool_)) for v in values), dtype=bool, count=len(values))
    if booleans.any():
        values = values.copy()
        values[booleans] = np.where(values[booleans].astype(bool), "TRUE", "FALSE")
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, list(uniques)


__all__ = ["AnswerCodebook", "INVALID", "decode_column"]
