"""Column-mapping files: map another export's headers onto the canonical layout.

A mapping file is YAML::

    columns:                 # header in the export: canonical name
      "Svar-ID": respondent_id
      "Afdeling": team
      "Tidspunkt": submitted_at
      "Q1 nu": UV01_nu
      "Q1 ønske": UV01_onske
    missing_values: ["99", "Ønsker ikke at svare"]   # optional: more codes for missing

Headers not listed keep their names, so an export that already uses canonical
names for some columns needs entries only for the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import InputDataError


@dataclass(frozen=True)
class ColumnMapping:
    """Header renames and extra missing-value codes read from a mapping file."""

    columns: dict[str, str] = field(default_factory=dict)
    missing_values: tuple[str, ...] = ()
    source: str = ""

    def apply(self, names: list[str]) -> list[str]:
        """Return ``names`` with mapped headers replaced by their canonical names."""
        return [self.columns.get(name, name) for name in names]


def load_mapping(path: str | Path | None) -> ColumnMapping:
    """Load and check a column-mapping file; ``None`` gives the identity mapping.

    Raises
    ------
    InputDataError
        If the file is missing or not valid YAML, or maps two headers to one name.
    """
    if path is None:
        return ColumnMapping()
    path = Path(path)
    try:
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252")  # saved by a Windows editor
        document = yaml.safe_load(text)
    except FileNotFoundError:
        raise InputDataError("io.mapping_not_found", file=str(path)) from None
    except (OSError, yaml.YAMLError) as exc:
        raise InputDataError("io.mapping_invalid", file=str(path), problem=str(exc)) from None

    if not isinstance(document, dict) or not isinstance(document.get("columns"), dict):
        raise InputDataError("io.mapping_no_columns", file=str(path))
    columns = {str(k).strip(): str(v).strip() for k, v in document["columns"].items()}
    targets: dict[str, str] = {}
    for source, target in columns.items():
        if target in targets:
            raise InputDataError(
                "io.mapping_invalid", file=str(path),
                problem=f"'{targets[target]}' and '{source}' are both mapped to '{target}'",
            )
        targets[target] = source
    missing = document.get("missing_values") or []
    if not isinstance(missing, list):
        raise InputDataError("io.mapping_invalid", file=str(path), problem="'missing_values' must be a list")
    return ColumnMapping(columns=columns, missing_values=tuple(str(v) for v in missing), source=str(path))


__all__ = ["ColumnMapping", "load_mapping"]
