"""Reading survey exports: formats, column mapping, answer decoding, validation."""

from .mapping import ColumnMapping, load_mapping
from .readers import SUPPORTED_SUFFIXES
from .responses import (
    ID_COLUMN,
    TEAM_COLUMN,
    TIME_COLUMN,
    Responses,
    read_responses,
    responses_from_frame,
)

__all__ = [
    "ColumnMapping",
    "ID_COLUMN",
    "Responses",
    "SUPPORTED_SUFFIXES",
    "TEAM_COLUMN",
    "TIME_COLUMN",
    "load_mapping",
    "read_responses",
    "responses_from_frame",
]
