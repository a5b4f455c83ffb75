"""The survey instrument as data: ratings, response scale, dimensions, factors, items.

An instrument is described by a YAML file (see ``instruments/lqp.yaml``) and loaded
with :func:`load_instrument`, which validates it. Nothing in the package depends on
item wording, only on the codes and ids, so an instrument's owner can replace the
wording by editing the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

# libyaml's C parser when installed; the pure-Python one otherwise (same result, slower).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

from .errors import InstrumentError

DEFAULT_INSTRUMENT = "lqp"

_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")


@dataclass(frozen=True)
class Rating:
    """One way each item is rated, e.g. ``nu`` (now) or ``onske`` (desired)."""

    code: str
    label: Mapping[str, str]


@dataclass(frozen=True)
class ResponseScale:
    """Integer response scale with its labels and the labels that mean missing."""

    min: int
    max: int
    labels: Mapping[str, tuple[str, ...]]
    missing_labels: Mapping[str, tuple[str, ...]]

    @property
    def values(self) -> tuple[int, ...]:
        """The valid answers, from ``min`` to ``max``."""
        return tuple(range(self.min, self.max + 1))


@dataclass(frozen=True)
class Item:
    """One statement; ``reverse`` items are scored ``min + max - x``."""

    id: str
    factor: str
    reverse: bool = False
    text: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Factor:
    """A scale made of items; ``dimension`` is ``None`` when it belongs to none."""

    code: str
    name: Mapping[str, str]
    items: tuple[str, ...]
    dimension: str | None = None


@dataclass(frozen=True)
class Dimension:
    """A higher-order scale made of factors."""

    code: str
    name: Mapping[str, str]
    factors: tuple[str, ...]


@dataclass(frozen=True)
class Instrument:
    """A validated instrument. Build it with :func:`load_instrument`.

    Attributes
    ----------
    name, short_name, version : str
        Identification, shown in reports' method appendix.
    languages : tuple of str
        Languages the file's labels and texts are given in.
    ratings : tuple of Rating
        In file order; answer columns are named ``<item id>_<rating code>``.
    scale : ResponseScale
    dimensions : tuple of Dimension
        Empty when the instrument has no dimensions.
    factors : tuple of Factor
    items : tuple of Item
        In file order (factor by factor).
    source : str
        Path or package resource the instrument was read from.
    """

    name: str
    short_name: str
    version: str
    languages: tuple[str, ...]
    ratings: tuple[Rating, ...]
    scale: ResponseScale
    dimensions: tuple[Dimension, ...]
    factors: tuple[Factor, ...]
    items: tuple[Item, ...]
    source: str = ""

    # Lookups ------------------------------------------------------------------

    @property
    def rating_codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.ratings)

    @property
    def factor_codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.factors)

    @property
    def dimension_codes(self) -> tuple[str, ...]:
        return tuple(d.code for d in self.dimensions)

    @property
    def scale_codes(self) -> tuple[str, ...]:
        """Factor codes, then dimension codes: every scale that gets a score."""
        return self.factor_codes + self.dimension_codes

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.items)

    @property
    def reverse_item_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.items if i.reverse)

    def item(self, item_id: str) -> Item:
        """Return the item with id ``item_id``."""
        return _find(self.items, "id", item_id, "item")

    def factor(self, code: str) -> Factor:
        """Return the factor with code ``code``."""
        return _find(self.factors, "code", code, "factor")

    def dimension(self, code: str) -> Dimension:
        """Return the dimension with code ``code``."""
        return _find(self.dimensions, "code", code, "dimension")

    def scale_name(self, code: str, lang: str = "da") -> str:
        """Return the display name of a factor or dimension in ``lang``."""
        scale = self.factor(code) if code in self.factor_codes else self.dimension(code)
        return _localised(scale.name, lang)

    def rating_label(self, code: str, lang: str = "da") -> str:
        """Return the display label of a rating in ``lang``."""
        return _localised(_find(self.ratings, "code", code, "rating").label, lang)

    def item_text(self, item_id: str, lang: str = "da") -> str:
        """Return an item's wording in ``lang``, or its id when the file has none."""
        return _localised(self.item(item_id).text, lang) or item_id

    def column(self, item_id: str, rating: str) -> str:
        """Return the canonical answer column of an item and rating, e.g. ``PS07_nu``."""
        return f"{item_id}_{rating}"

    def item_columns(self, rating: str | None = None) -> list[str]:
        """Return the answer columns, item by item, for one rating or all of them."""
        ratings = self.rating_codes if rating is None else (rating,)
        return [self.column(i, r) for i in self.item_ids for r in ratings]

    def scoring_key(self) -> dict[str, list[str]]:
        """Return ``{factor code: [item ids]}``, the one-factor-per-item key."""
        return {f.code: list(f.items) for f in self.factors}


def _find(collection, attribute: str, value: str, kind: str):
    for element in collection:
        if getattr(element, attribute) == value:
            return element
    raise KeyError(f"Unknown {kind} {value!r}.")


def _localised(texts: Mapping[str, str], lang: str) -> str:
    if lang in texts:
        return texts[lang]
    return next(iter(texts.values()), "")


# Loading -----------------------------------------------------------------------


def load_instrument(path: str | Path | None = None) -> Instrument:
    """Load and validate an instrument file.

    Parameters
    ----------
    path : str or Path, optional
        A YAML instrument file. ``None`` loads the LQP instrument shipped with the
        package; a bare name such as ``"lqp"`` loads ``instruments/<name>.yaml``.

    Returns
    -------
    Instrument

    Raises
    ------
    InstrumentError
        If the file is missing, is not valid YAML, or is inconsistent (duplicate
        codes or ids, a factor in no or two dimensions, a bad scale). The message
        names the file and the place in it.
    """
    source, text = _read_instrument_text(path)
    try:
        document = yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        raise InstrumentError("instrument.invalid_yaml", file=source, detail=str(exc)) from None
    if not isinstance(document, dict):
        raise InstrumentError("instrument.not_mapping", file=source)
    return _build(document, source)


def _read_instrument_text(path: str | Path | None) -> tuple[str, str]:
    if path is None:
        path = DEFAULT_INSTRUMENT
    text_path = Path(path)
    if isinstance(path, str) and _CODE.match(path) and not text_path.exists():
        resource = resources.files(__package__) / "instruments" / f"{path}.yaml"
        if not resource.is_file():
            raise InstrumentError("instrument.not_found", file=str(path))
        return f"{path} ({resource})", resource.read_text(encoding="utf-8")
    try:
        return str(text_path), text_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InstrumentError("instrument.not_found", file=str(text_path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InstrumentError("instrument.unreadable", file=str(text_path), detail=str(exc)) from None


class _Reader:
    """Pull typed values out of the YAML document, naming the place on failure."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, place: str, problem: str) -> InstrumentError:
        return InstrumentError("instrument.invalid", file=self.source, place=place, problem=problem)

    def get(self, mapping: dict, key: str, place: str, kind: type | tuple, required: bool = True, default=None):
        if not isinstance(mapping, dict):
            raise self.fail(place, f"expected a mapping, got {type(mapping).__name__}")
        if key not in mapping or mapping[key] is None:
            if required:
                raise self.fail(f"{place}.{key}" if place else key, "missing")
            return default
        value = mapping[key]
        if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise self.fail(f"{place}.{key}" if place else key, f"expected {names}, got {value!r}")
        return value

    def code(self, mapping: dict, key: str, place: str) -> str:
        value = str(self.get(mapping, key, place, (str, int)))
        if not _CODE.match(value):
            raise self.fail(f"{place}.{key}", f"{value!r} is not a code (letters and digits, starting with a letter)")
        return value

    def texts(self, mapping: dict, key: str, place: str, required: bool = True) -> dict[str, str]:
        value = self.get(mapping, key, place, (dict, str), required=required, default={})
        if isinstance(value, str):
            return {"da": value, "en": value}
        return {str(lang): "" if text is None else str(text) for lang, text in value.items()}


def _unique(reader: _Reader, values: list[str], place: str, kind: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise reader.fail(place, f"{kind} {value!r} appears more than once")
        seen.add(value)


def _build(document: dict, source: str) -> Instrument:
    reader = _Reader(source)
    name = str(reader.get(document, "name", "", (str, int)))
    short_name = str(document.get("short_name") or name)
    version = str(reader.get(document, "version", "", (str, int, float)))
    languages = tuple(str(x) for x in document.get("languages") or ("da", "en"))

    ratings = _build_ratings(reader, document)
    scale = _build_scale(reader, document)
    factors, items = _build_factors(reader, document)
    dimensions, factors = _build_dimensions(reader, document, factors)

    all_codes = [r.code for r in ratings] + [f.code for f in factors] + [d.code for d in dimensions]
    _unique(reader, [f.code for f in factors] + [d.code for d in dimensions], "factors/dimensions", "code")
    clashes = set(all_codes) & {i.id for i in items}
    if clashes:
        raise reader.fail("items", f"item id {sorted(clashes)[0]!r} is also used as a code")

    return Instrument(
        name=name,
        short_name=short_name,
        version=version,
        languages=languages,
        ratings=ratings,
        scale=scale,
        dimensions=dimensions,
        factors=factors,
        items=items,
        source=source,
    )


def _build_ratings(reader: _Reader, document: dict) -> tuple[Rating, ...]:
    entries = reader.get(document, "ratings", "", list)
    if not entries:
        raise reader.fail("ratings", "at least one rating is needed")
    ratings = []
    for index, entry in enumerate(entries):
        place = f"ratings[{index}]"
        code = reader.code(entry, "code", place)
        label = reader.texts(entry, "label", place, required=False) or {"da": code, "en": code}
        ratings.append(Rating(code=code, label=label))
    _unique(reader, [r.code for r in ratings], "ratings", "rating code")
    return tuple(ratings)


def _build_scale(reader: _Reader, document: dict) -> ResponseScale:
    entry = reader.get(document, "scale", "", dict)
    low = reader.get(entry, "min", "scale", int)
    high = reader.get(entry, "max", "scale", int)
    if high <= low:
        raise reader.fail("scale", f"max ({high}) must be greater than min ({low})")
    n_points = high - low + 1

    labels: dict[str, tuple[str, ...]] = {}
    for lang, values in (reader.get(entry, "labels", "scale", dict, required=False, default={})).items():
        if not isinstance(values, list) or len(values) != n_points:
            raise reader.fail(f"scale.labels.{lang}", f"expected {n_points} labels, one per point from {low} to {high}")
        labels[str(lang)] = tuple(str(v) for v in values)
    missing: dict[str, tuple[str, ...]] = {}
    for lang, values in (reader.get(entry, "missing_labels", "scale", dict, required=False, default={})).items():
        if not isinstance(values, list):
            raise reader.fail(f"scale.missing_labels.{lang}", "expected a list of labels")
        missing[str(lang)] = tuple(str(v) for v in values)

    normalised = [v.strip().casefold() for group in labels.values() for v in group]
    normalised_missing = {v.strip().casefold() for group in missing.values() for v in group}
    overlap = normalised_missing & set(normalised)
    if overlap:
        raise reader.fail("scale.missing_labels", f"{sorted(overlap)[0]!r} is also an answer label")
    by_label: dict[str, int] = {}
    for group in labels.values():
        for value, label in zip(range(low, high + 1), group):
            key = label.strip().casefold()
            if by_label.setdefault(key, value) != value:
                raise reader.fail("scale.labels", f"label {label!r} is used for two different values")
    return ResponseScale(min=low, max=high, labels=labels, missing_labels=missing)


def _build_factors(reader: _Reader, document: dict) -> tuple[list[Factor], tuple[Item, ...]]:
    entries = reader.get(document, "factors", "", list)
    if not entries:
        raise reader.fail("factors", "at least one factor is needed")
    factors: list[Factor] = []
    items: list[Item] = []
    for index, entry in enumerate(entries):
        place = f"factors[{index}]"
        code = reader.code(entry, "code", place)
        name = reader.texts(entry, "name", place, required=False) or {"da": code, "en": code}
        item_entries = reader.get(entry, "items", f"{place} ({code})", list)
        if not item_entries:
            raise reader.fail(f"{place} ({code}).items", "a factor needs at least one item")
        ids = []
        for item_index, item_entry in enumerate(item_entries):
            item_place = f"{place} ({code}).items[{item_index}]"
            item_id = reader.code(item_entry, "id", item_place)
            reverse = reader.get(item_entry, "reverse", item_place, bool, required=False, default=False)
            text = reader.texts(item_entry, "text", item_place, required=False)
            items.append(Item(id=item_id, factor=code, reverse=reverse, text=text))
            ids.append(item_id)
        factors.append(Factor(code=code, name=name, items=tuple(ids)))
    _unique(reader, [f.code for f in factors], "factors", "factor code")
    _unique(reader, [i.id for i in items], "items", "item id")
    return factors, tuple(items)


def _build_dimensions(
    reader: _Reader, document: dict, factors: list[Factor]
) -> tuple[tuple[Dimension, ...], tuple[Factor, ...]]:
    entries = reader.get(document, "dimensions", "", list, required=False, default=[])
    known = {f.code for f in factors}
    owner: dict[str, str] = {}
    dimensions = []
    for index, entry in enumerate(entries):
        place = f"dimensions[{index}]"
        code = reader.code(entry, "code", place)
        name = reader.texts(entry, "name", place, required=False) or {"da": code, "en": code}
        members = [str(m) for m in reader.get(entry, "factors", f"{place} ({code})", list)]
        if not members:
            raise reader.fail(f"{place} ({code}).factors", "a dimension needs at least one factor")
        for member in members:
            if member not in known:
                raise reader.fail(f"{place} ({code}).factors", f"unknown factor {member!r}")
            if member in owner:
                raise reader.fail(
                    f"{place} ({code}).factors",
                    f"factor {member!r} is already in dimension {owner[member]!r}",
                )
            owner[member] = code
        dimensions.append(Dimension(code=code, name=name, factors=tuple(members)))
    _unique(reader, [d.code for d in dimensions], "dimensions", "dimension code")
    if dimensions:
        orphans = [f.code for f in factors if f.code not in owner]
        if orphans:
            raise reader.fail("dimensions", f"factor {orphans[0]!r} belongs to no dimension")
    with_dimension = tuple(
        Factor(code=f.code, name=f.name, items=f.items, dimension=owner.get(f.code)) for f in factors
    )
    return tuple(dimensions), with_dimension


__all__ = [
    "Dimension",
    "Factor",
    "Instrument",
    "Item",
    "Rating",
    "ResponseScale",
    "load_instrument",
]
