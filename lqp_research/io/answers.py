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
            if value_labels and number in value_labels:
                labelled = self.by_text.get(_normalise(str(value_labels[number])))
                if labelled is not None:
                    return labelled
            if number.is_integer() and self.scale.min <= number <= self.scale.max:
                return number
            return INVALID
        return self.by_text.get(_normalise(str(value)), INVALID)


def _normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


def decode_column(cells: object, codebook: AnswerCodebook, value_labels: dict | None = None) -> np.ndarray:
    """Decode one column of raw cells.

    Returns
    -------
    numpy.ndarray of float64
        Scale values, NaN for missing, ``INVALID`` (-1.0) for invalid cells.
    """
    codes, uniques = _factorize(cells)
    lookup = np.array([codebook.decode(value, value_labels) for value in uniques] + [np.nan])
    # pandas marks missing cells with code -1, which indexes the trailing NaN.
    return lookup[codes]


def _factorize(cells: object) -> tuple[np.ndarray, list]:
    if hasattr(cells, "dictionary_encode") or hasattr(cells, "combine_chunks"):  # pyarrow
        import pyarrow as pa

        array = cells.combine_chunks() if isinstance(cells, pa.ChunkedArray) else cells
        encoded = array.dictionary_encode()
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        return np.asarray(codes, dtype=np.int64), encoded.dictionary.to_pylist()
    codes, uniques = pd.factorize(np.asarray(cells, dtype=object), use_na_sentinel=True)
    return codes, list(uniques)


__all__ = ["AnswerCodebook", "INVALID", "decode_column"]
