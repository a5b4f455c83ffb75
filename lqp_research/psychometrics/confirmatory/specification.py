"""Model specifications: lavaan-style syntax and the LQP model builders M1-M5.

A :class:`ModelSpec` is what the user wrote, before defaults are added: a list of
:class:`Statement` (``visual =~ x1 + x2``, ``x1 ~~ x2``) and whether the factors are
orthogonal. :func:`lqp_research.psychometrics.confirmatory.model.compile_model` turns
it into matrices, adding lavaan's ``cfa()`` defaults.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...errors import InputDataError
from ...instrument import Instrument

MODEL_NAMES = ("M1", "M2", "M3", "M4", "M5")

#: Name of the general factor in the one-factor (M1) and bifactor (M5) models.
GENERAL_FACTOR = "G"

_NAME = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class Statement:
    """One relation of a model, as in a lavaan model syntax line.

    Attributes
    ----------
    lhs, op, rhs : str
        ``op`` is ``"=~"`` (``lhs`` is measured by ``rhs``) or ``"~~"`` (variance
        or covariance of ``lhs`` and ``rhs``).
    fixed : float or None
        Value the parameter is fixed to, ``None`` when it is free.
    free : bool
        ``True`` when the user freed it explicitly (``NA*x1``), which turns off the
        marker constraint on a first indicator.
    label : str or None
        Parameters with the same label are constrained to be equal.
    """

    lhs: str
    op: str
    rhs: str
    fixed: float | None = None
    free: bool = False
    label: str | None = None


@dataclass(frozen=True)
class ModelSpec:
    """A confirmatory factor model as written by the user.

    Attributes
    ----------
    statements : tuple of Statement
    orthogonal : bool
        When ``True`` the exogenous factors are uncorrelated (lavaan's
        ``orthogonal = TRUE``); otherwise their covariances are free.
    name : str
        Display name used in comparison tables.
    """

    statements: tuple[Statement, ...]
    orthogonal: bool = False
    name: str = "model"

    @property
    def latent(self) -> tuple[str, ...]:
        """Factors, in order of their first ``=~`` statement."""
        names: list[str] = []
        for statement in self.statements:
            if statement.op == "=~" and statement.lhs not in names:
                names.append(statement.lhs)
        return tuple(names)

    @property
    def observed(self) -> tuple[str, ...]:
        """Indicators that are not factors, in order of first appearance."""
        latent = set(self.latent)
        names: list[str] = []
        for statement in self.statements:
            candidates = [statement.rhs] if statement.op == "=~" else [statement.lhs, statement.rhs]
            for name in candidates:
                if name not in latent and name not in names:
                    names.append(name)
        return tuple(names)

    def indicators(self, factor: str) -> tuple[str, ...]:
        """Return the variables that load on ``factor``, in model order."""
        return tuple(s.rhs for s in self.statements if s.op == "=~" and s.lhs == factor)

    def to_syntax(self) -> str:
        """Return the model as lavaan syntax (one line per left-hand side and operator)."""
        lines: list[str] = []
        groups: dict[tuple[str, str], list[str]] = {}
        for statement in self.statements:
            groups.setdefault((statement.lhs, statement.op), []).append(_format_term(statement))
        for (lhs, op), terms in groups.items():
            lines.append(f"{lhs} {op} {' + '.join(terms)}")
        return "\n".join(lines)


def _format_term(statement: Statement) -> str:
    if statement.fixed is not None:
        return f"{statement.fixed:g}*{statement.rhs}"
    if statement.label is not None:
        return f"{statement.label}*{statement.rhs}"
    if statement.free:
        return f"NA*{statement.rhs}"
    return statement.rhs


def parse_model(syntax: str, *, orthogonal: bool = False, name: str = "model") -> ModelSpec:
    """Parse lavaan model syntax with ``=~`` and ``~~`` lines.

    Parameters
    ----------
    syntax : str
        Lines such as ``visual =~ x1 + x2 + x3`` and ``x1 ~~ x4``. A term may carry a
        modifier: a number fixes the parameter (``0*x4``), ``NA`` frees it
        (``NA*x1``), a name is a label, and equal labels make parameters equal.
        Lines are separated by newlines or ``;``; ``#`` starts a comment.
    orthogonal : bool, default False
        Make the exogenous factors uncorrelated, as lavaan's ``orthogonal = TRUE``.
    name : str, default "model"
        Display name of the model.

    Returns
    -------
    ModelSpec

    Raises
    ------
    InputDataError
        If a line cannot be parsed or the model has no ``=~`` line; the message
        names the line.
    """
    statements: list[Statement] = []
    lines = [part for raw in syntax.splitlines() for part in raw.split("#", 1)[0].split(";")]
    for line in lines:
        text = line.strip()
        if not text:
            continue
        statements.extend(_parse_line(text))
    spec = ModelSpec(statements=tuple(statements), orthogonal=orthogonal, name=name)
    if not spec.latent:
        raise InputDataError("cfa.syntax_no_factor")
    return spec


def _parse_line(text: str) -> list[Statement]:
    for op in ("=~", "~~"):
        if op in text:
            lhs, rhs = (part.strip() for part in text.split(op, 1))
            break
    else:
        raise InputDataError("cfa.syntax_error", line=text, problem="expected '=~' or '~~'")
    if not _NAME.match(lhs):
        raise InputDataError("cfa.syntax_error", line=text, problem=f"{lhs!r} is not a variable name")
    statements = []
    for term in rhs.split("+"):
        term = term.strip()
        if not term:
            raise InputDataError("cfa.syntax_error", line=text, problem="empty term")
        modifier, _, variable = term.rpartition("*")
        variable = variable.strip()
        modifier = modifier.strip()
        if not _NAME.match(variable):
            raise InputDataError("cfa.syntax_error", line=text, problem=f"{variable!r} is not a variable name")
        fixed, free, label = None, False, None
        if modifier == "NA":
            free = True
        elif _NUMBER.match(modifier):
            fixed = float(modifier)
        elif _NAME.match(modifier):
            label = modifier
        elif modifier:
            raise InputDataError("cfa.syntax_error", line=text, problem=f"cannot read modifier {modifier!r}")
        statements.append(Statement(lhs=lhs, op=op, rhs=variable, fixed=fixed, free=free, label=label))
    return statements


def build_model(instrument: Instrument, model: str) -> ModelSpec:
    """Build one of the five standard CFA models of an instrument.

    Parameters
    ----------
    instrument : Instrument
        For LQP, ``load_instrument()``. Observed variables are the item ids, so the
        data passed to :func:`cfa` has one column per item id (for example from
        ``lqp_research.scoring.item_scores``).
    model : {"M1", "M2", "M3", "M4", "M5"}
        ``M1``: one factor ``G`` on all items. ``M2``: one factor per dimension on
        that dimension's items, correlated. ``M3``: one factor per instrument factor,
        correlated. ``M4``: the factors of ``M3`` loading on second-order dimension
        factors, which are correlated. ``M5``: bifactor, a general factor ``G`` on
        all items plus one specific factor per instrument factor, all uncorrelated.

    Returns
    -------
    ModelSpec

    Raises
    ------
    InputDataError
        If ``model`` is not one of the five names, if ``M2`` or ``M4`` is asked of
        an instrument without dimensions, or if the model would not be identified
        (a second-order factor with too few first-order factors, a bifactor
        specific factor with fewer than three items).
    """
    if model not in MODEL_NAMES:
        raise InputDataError("cfa.unknown_model", model=model, expected=", ".join(MODEL_NAMES))
    if model in ("M2", "M4") and not instrument.dimensions:
        raise InputDataError("cfa.model_needs_dimensions", model=model)

    statements: list[Statement] = []
    orthogonal = False
    if model == "M1":
        statements += _loadings(GENERAL_FACTOR, instrument.item_ids)
    elif model == "M2":
        for dimension in instrument.dimensions:
            items = [i for f in dimension.factors for i in instrument.factor(f).items]
            statements += _loadings(dimension.code, items)
    elif model == "M3":
        for factor in instrument.factors:
            statements += _loadings(factor.code, factor.items)
    elif model == "M4":
        _check_second_order(instrument)
        for factor in instrument.factors:
            statements += _loadings(factor.code, factor.items)
        for dimension in instrument.dimensions:
            statements += _loadings(dimension.code, dimension.factors)
    else:
        _check_bifactor(instrument)
        orthogonal = True
        statements += _loadings(GENERAL_FACTOR, instrument.item_ids)
        for factor in instrument.factors:
            statements += _loadings(factor.code, factor.items)
    return ModelSpec(statements=tuple(statements), orthogonal=orthogonal, name=model)


def _loadings(factor: str, indicators) -> list[Statement]:
    return [Statement(lhs=factor, op="=~", rhs=indicator) for indicator in indicators]


def _check_second_order(instrument: Instrument) -> None:
    # A second-order factor needs three first-order factors on its own, or two
    # when it correlates with another second-order factor.
    minimum = 3 if len(instrument.dimensions) == 1 else 2
    for dimension in instrument.dimensions:
        if len(dimension.factors) < minimum:
            raise InputDataError(
                "cfa.not_identified_second_order",
                dimension=dimension.code,
                n_factors=len(dimension.factors),
                minimum=minimum,
            )


def _check_bifactor(instrument: Instrument) -> None:
    if len(instrument.factors) < 2:
        raise InputDataError("cfa.not_identified_bifactor_factors", n_factors=len(instrument.factors))
    for factor in instrument.factors:
        if len(factor.items) < 3:
            raise InputDataError(
                "cfa.not_identified_bifactor_items", factor=factor.code, n_items=len(factor.items)
            )


__all__ = [
    "GENERAL_FACTOR",
    "MODEL_NAMES",
    "ModelSpec",
    "Statement",
    "build_model",
    "parse_model",
]
