"""The compiled factor model: parameter vector, implied moments and their derivatives.

This module is the interface that estimators build on (ML and MLR here, a DWLS
estimator for ordinal data elsewhere). A :class:`ModelSpec` is compiled into a
:class:`CompiledModel`, which maps a free-parameter vector ``theta`` (length
``n_free``) to LISREL-style matrices per group:

* ``lambda_`` (p x m): loadings of the observed variables on the factors,
* ``beta`` (m x m): ``beta[i, j]`` is the loading of first-order factor ``i`` on
  second-order factor ``j`` (``eta = beta @ eta + zeta``),
* ``psi`` (m x m): (co)variances of the factors, or of the disturbances ``zeta`` for
  factors that load on a second-order factor,
* ``theta`` (p x p): residual (co)variances of the observed variables,
* ``nu`` (p) and ``alpha`` (m): intercepts and factor means (mean structure only),

and from them to the implied moments

    Sigma(theta) = Lambda G Psi G' Lambda' + Theta,   G = (I - B)^-1
    mu(theta)    = nu + Lambda G alpha.

Derivatives are analytic. Every free matrix cell ``k`` changes Sigma by a rank-two
term ``c_k (u_k v_k' + v_k u_k')`` (see :meth:`CompiledModel.derivative_terms`), which
gives the gradient and the expected information without forming p*-sized matrices,
and the full Jacobian ``d vech(Sigma) / d theta`` when an estimator needs it.

For ordinal data in lavaan's delta parameterization, compile with
``residual_variances="derived"``: the residual variances are then no free
parameters but ``1 - diag(Lambda Phi Lambda')``, so Sigma is a correlation matrix
(:meth:`CompiledModel.implied_correlation`) and only its off-diagonal elements
depend on ``theta`` (:meth:`CompiledModel.correlation_jacobian`). Thresholds are
not part of this model; in a single-group model they are saturated and enter a
DWLS fit as an identity block.

Example for a DWLS estimator::

    model = compile_model(parse_model("f =~ y1 + y2 + y3"), residual_variances="derived")
    theta = model.start_values([polychoric_matrix])
    residual = vechs(polychoric_matrix) - vechs(model.implied_correlation(theta))
    jacobian = model.correlation_jacobian(theta)   # shape (p * (p - 1) / 2, n_free)
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ...errors import InputDataError
from .specification import ModelSpec, Statement

#: ``group_equal`` names, as lavaan's ``group.equal``, and the cells they constrain.
EQUALITY_CONSTRAINTS = (
    "loadings",
    "intercepts",
    "means",
    "residuals",
    "residual.covariances",
    "lv.variances",
    "lv.covariances",
)

_MATRICES = ("lambda", "beta", "psi", "theta", "nu", "alpha")


def vech_indices(p: int) -> tuple[np.ndarray, np.ndarray]:
    """Return row and column indices of ``vech``: the lower triangle, column by column.

    This is the order of lavaan's ``lav_matrix_vech``: (0,0), (1,0), ..., (p-1,0),
    (1,1), (2,1), ...
    """
    columns, rows = np.triu_indices(p)
    return rows, columns


def vechs_indices(p: int) -> tuple[np.ndarray, np.ndarray]:
    """Return row and column indices of ``vechs``: the strict lower triangle, column by column."""
    columns, rows = np.triu_indices(p, k=1)
    return rows, columns


def vech(matrix: np.ndarray) -> np.ndarray:
    """Return the lower triangle of a symmetric matrix, column by column."""
    rows, columns = vech_indices(matrix.shape[0])
    return matrix[rows, columns]


def vechs(matrix: np.ndarray) -> np.ndarray:
    """Return the strict lower triangle of a symmetric matrix, column by column."""
    rows, columns = vechs_indices(matrix.shape[0])
    return matrix[rows, columns]


@dataclass(frozen=True)
class ModelMatrices:
    """The model matrices of one group (see the module docstring for their meaning)."""

    lambda_: np.ndarray
    beta: np.ndarray
    psi: np.ndarray
    theta: np.ndarray
    nu: np.ndarray
    alpha: np.ndarray

    @property
    def inverse_i_minus_beta(self) -> np.ndarray:
        """``G = (I - B)^-1``."""
        m = self.beta.shape[0]
        return np.linalg.solve(np.eye(m) - self.beta, np.eye(m))

    @property
    def latent_covariance(self) -> np.ndarray:
        """Phi, the total covariance matrix of the factors: ``G Psi G'``."""
        g = self.inverse_i_minus_beta
        return g @ self.psi @ g.T


@dataclass(frozen=True)
class DerivativeTerms:
    """Rank-two form of the derivatives of one group's implied moments.

    For model cell ``k`` (a column), ``d Sigma / d cell_k = scale[k] * (u[:, k] v[:, k]'
    + v[:, k] u[:, k]')`` and ``d mu / d cell_k = mean[:, k]``. ``cells_to_free`` (cells
    x n_free, 0/1) sums cells that share a free parameter, so a derivative with
    respect to ``theta`` is the cell derivative times ``cells_to_free``.
    """

    u: np.ndarray
    v: np.ndarray
    scale: np.ndarray
    mean: np.ndarray
    cells_to_free: np.ndarray


@dataclass
class _Cell:
    lhs: str
    op: str
    rhs: str
    matrix: str
    row: int
    col: int
    value: float
    free: bool
    label: str | None = None
    user: bool = False
    derived: bool = False


class CompiledModel:
    """A factor model with lavaan's ``cfa()`` defaults, ready for estimation.

    Build it with :func:`compile_model`. Attributes are read-only by convention.

    Attributes
    ----------
    spec : ModelSpec
    observed : tuple of str
        Observed variables, in the order of the rows of ``lambda_`` and Sigma.
    latent : tuple of str
        Factors, in the order of the columns of ``lambda_``.
    n_groups : int
    meanstructure : bool
    n_free : int
        Length of the parameter vector ``theta``.
    parameter_table : DataFrame
        One row per model parameter and group, as lavaan's ``parTable``: ``lhs``,
        ``op``, ``rhs``, ``group`` (1-based), ``free`` (0 for fixed, else the 1-based
        position in ``theta``), ``value`` (fixed value, or NaN), ``label``,
        ``matrix``, ``row``, ``col``, ``derived``.
    """

    def __init__(
        self,
        spec: ModelSpec,
        observed: tuple[str, ...],
        latent: tuple[str, ...],
        cells: list[list[_Cell]],
        free_index: list[np.ndarray],
        n_free: int,
        meanstructure: bool,
    ) -> None:
        self.spec = spec
        self.observed = observed
        self.latent = latent
        self.n_groups = len(cells)
        self.meanstructure = meanstructure
        self.n_free = n_free
        self._cells = cells
        self._free_index = free_index
        self._layout = [_GroupLayout(group_cells, index) for group_cells, index in zip(cells, free_index)]
        self.parameter_table = _parameter_table(cells, free_index)

    # Matrices and moments ----------------------------------------------------

    def matrices(self, theta: np.ndarray, group: int = 0) -> ModelMatrices:
        """Return the model matrices of ``group`` (0-based) at ``theta``."""
        theta = np.asarray(theta, dtype=float)
        p, m = len(self.observed), len(self.latent)
        values = self._layout[group].values(theta)
        arrays = {
            "lambda": np.zeros((p, m)),
            "beta": np.zeros((m, m)),
            "psi": np.zeros((m, m)),
            "theta": np.zeros((p, p)),
            "nu": np.zeros((p, 1)),
            "alpha": np.zeros((m, 1)),
        }
        layout = self._layout[group]
        for name in _MATRICES:
            rows, cols, positions = layout.cells_of(name)
            arrays[name][rows, cols] = values[positions]
            if name in ("psi", "theta"):
                arrays[name][cols, rows] = values[positions]
        matrices = ModelMatrices(
            lambda_=arrays["lambda"],
            beta=arrays["beta"],
            psi=arrays["psi"],
            theta=arrays["theta"],
            nu=arrays["nu"][:, 0],
            alpha=arrays["alpha"][:, 0],
        )
        if layout.derived_residuals:
            common = np.einsum("ij,jk,ik->i", matrices.lambda_, matrices.latent_covariance, matrices.lambda_)
            np.fill_diagonal(matrices.theta, 1.0 - common)
        return matrices

    def implied_moments(self, theta: np.ndarray, group: int = 0) -> tuple[np.ndarray, np.ndarray | None]:
        """Return the implied covariance matrix and mean vector (``None`` without mean structure)."""
        matrices = self.matrices(theta, group)
        return _implied_from_matrices(matrices, self.meanstructure)

    def implied_covariance(self, theta: np.ndarray, group: int = 0) -> np.ndarray:
        """Return Sigma(theta) of ``group``."""
        return self.implied_moments(theta, group)[0]

    def implied_correlation(self, theta: np.ndarray, group: int = 0) -> np.ndarray:
        """Return the implied correlation matrix of a delta-parameterized model.

        Raises ``ValueError`` unless the model was compiled with
        ``residual_variances="derived"``, in which case Sigma has a unit diagonal.
        """
        if not self._layout[group].derived_residuals:
            raise ValueError("implied_correlation needs a model compiled with residual_variances='derived'.")
        return self.implied_covariance(theta, group)

    # Derivatives ---------------------------------------------------------------

    def derivative_terms(self, theta: np.ndarray, group: int = 0) -> DerivativeTerms:
        """Return the rank-two derivative terms of ``group`` at ``theta``.

        Cells are the free cells of the group (fixed and derived cells have no
        column). See :class:`DerivativeTerms`.
        """
        layout = self._layout[group]
        u, v, scale, mean = cell_derivative_terms(
            self.matrices(theta, group), layout.free_kinds, layout.free_rows, layout.free_cols
        )
        return DerivativeTerms(u=u, v=v, scale=scale, mean=mean, cells_to_free=layout.cells_to_free)

    def sigma_jacobian(self, theta: np.ndarray, group: int = 0) -> np.ndarray:
        """Return ``d vech(Sigma) / d theta``, shape ``(p (p + 1) / 2, n_free)``.

        Rows follow :func:`vech_indices`. In a delta-parameterized model the rows of
        the diagonal are zero, because the diagonal is fixed at one.
        """
        terms = self.derivative_terms(theta, group)
        rows, columns = vech_indices(len(self.observed))
        cell_jacobian = terms.scale * (
            terms.u[rows] * terms.v[columns] + terms.v[rows] * terms.u[columns]
        )
        jacobian = cell_jacobian @ terms.cells_to_free
        if self._layout[group].derived_residuals:
            jacobian[rows == columns] = 0.0
        return jacobian

    def correlation_jacobian(self, theta: np.ndarray, group: int = 0) -> np.ndarray:
        """Return ``d vechs(Sigma) / d theta`` of a delta-parameterized model.

        Shape ``(p (p - 1) / 2, n_free)``, rows in :func:`vechs_indices` order.
        """
        if not self._layout[group].derived_residuals:
            raise ValueError("correlation_jacobian needs a model compiled with residual_variances='derived'.")
        rows, columns = vech_indices(len(self.observed))
        return self.sigma_jacobian(theta, group)[rows != columns]

    def mean_jacobian(self, theta: np.ndarray, group: int = 0) -> np.ndarray:
        """Return ``d mu / d theta``, shape ``(p, n_free)`` (zero without mean structure)."""
        terms = self.derivative_terms(theta, group)
        return terms.mean @ terms.cells_to_free

    # Start values ---------------------------------------------------------------

    def start_values(
        self, covariances: Sequence[np.ndarray], means: Sequence[np.ndarray] | None = None
    ) -> np.ndarray:
        """Return start values for ``theta`` from each group's sample moments.

        Loadings start at ``cov(x_i, s) / cov(x_marker, s)`` with ``s`` the sum of the
        factor's indicators, factor variances at a reliability-weighted marker
        variance, residual variances at half the observed variance (lavaan's
        choice), covariances and factor means at zero, intercepts at the sample
        means. Parameters shared by groups take the first group's value.
        """
        theta = np.full(self.n_free, np.nan)
        for group in range(self.n_groups):
            covariance = np.asarray(covariances[group], dtype=float)
            mean = None if means is None else np.asarray(means[group], dtype=float)
            values = self._group_start(covariance, mean, group)
            index = self._free_index[group]
            for position, cell in enumerate(self._cells[group]):
                free = index[position]
                if free >= 0 and np.isnan(theta[free]):
                    theta[free] = values[position]
        return np.nan_to_num(theta, nan=0.0)

    def _group_start(self, covariance: np.ndarray, mean: np.ndarray | None, group: int) -> list[float]:
        observed_index = {name: i for i, name in enumerate(self.observed)}
        cells = self._cells[group]
        first_order = {}
        for factor in self.latent:
            indicators = [observed_index[x] for x in self.spec.indicators(factor) if x in observed_index]
            if indicators:
                first_order[factor] = indicators
        loadings: dict[tuple[str, str], float] = {}
        variances: dict[str, float] = {}
        for factor, indicators in first_order.items():
            weights = np.zeros(len(self.observed))
            weights[indicators] = 1.0
            with_sum = covariance @ weights
            marker = _marker_of(cells, factor, self.observed)
            reference = with_sum[observed_index[marker]] if marker is not None else np.sqrt(weights @ with_sum)
            reference = reference if abs(reference) > 1e-8 else 1.0
            for i in indicators:
                loadings[(factor, self.observed[i])] = with_sum[i] / reference
            variance_of_sum = float(weights @ with_sum)
            variances[factor] = max(reference**2 / variance_of_sum if variance_of_sum > 0 else 0.05, 0.05)

        values = []
        for cell in cells:
            if not cell.free:
                values.append(cell.value)
            elif cell.matrix == "lambda":
                values.append(loadings.get((cell.lhs, cell.rhs), 1.0))
            elif cell.matrix == "beta":
                values.append(1.0)
            elif cell.matrix == "psi" and cell.row == cell.col:
                values.append(_latent_variance_start(cell.lhs, variances, self.spec))
            elif cell.matrix == "theta" and cell.row == cell.col:
                values.append(0.5 * covariance[cell.row, cell.row])
            elif cell.matrix == "nu":
                values.append(0.0 if mean is None else mean[cell.row])
            else:
                values.append(0.0)
        return values


def cell_derivative_terms(
    matrices: ModelMatrices, kinds: np.ndarray, rows: np.ndarray, cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return ``u, v, scale, mean`` of the given matrix cells (see :class:`DerivativeTerms`).

    ``kinds`` contains matrix names (``"lambda"``, ``"beta"``, ``"psi"``, ``"theta"``,
    ``"nu"``, ``"alpha"``); cells need not be free, so the same terms serve
    modification indices of fixed cells. Symmetric cells are given with
    ``row >= col``.
    """
    p = matrices.lambda_.shape[0]
    g = matrices.inverse_i_minus_beta
    phi = g @ matrices.psi @ g.T
    lambda_g = matrices.lambda_ @ g
    lambda_phi = matrices.lambda_ @ phi
    g_alpha = g @ matrices.alpha
    identity = np.eye(p)

    n_cells = len(kinds)
    u = np.zeros((p, n_cells))
    v = np.zeros((p, n_cells))
    scale = np.ones(n_cells)
    mean = np.zeros((p, n_cells))

    is_lambda = kinds == "lambda"
    u[:, is_lambda] = identity[:, rows[is_lambda]]
    v[:, is_lambda] = lambda_phi[:, cols[is_lambda]]
    mean[:, is_lambda] = identity[:, rows[is_lambda]] * g_alpha[cols[is_lambda]]

    is_beta = kinds == "beta"
    u[:, is_beta] = lambda_g[:, rows[is_beta]]
    v[:, is_beta] = lambda_phi[:, cols[is_beta]]
    mean[:, is_beta] = lambda_g[:, rows[is_beta]] * g_alpha[cols[is_beta]]

    is_psi = kinds == "psi"
    u[:, is_psi] = lambda_g[:, rows[is_psi]]
    v[:, is_psi] = lambda_g[:, cols[is_psi]]

    is_theta = kinds == "theta"
    u[:, is_theta] = identity[:, rows[is_theta]]
    v[:, is_theta] = identity[:, cols[is_theta]]

    # A variance enters Sigma once, a covariance twice (u v' + v u').
    diagonal = (is_psi | is_theta) & (rows == cols)
    scale[diagonal] = 0.5

    is_nu = kinds == "nu"
    mean[:, is_nu] = identity[:, rows[is_nu]]
    is_alpha = kinds == "alpha"
    mean[:, is_alpha] = lambda_g[:, rows[is_alpha]]
    return u, v, scale, mean


def _marker_of(cells: list[_Cell], factor: str, observed: tuple[str, ...]) -> str | None:
    for cell in cells:
        if cell.matrix == "lambda" and cell.lhs == factor and not cell.free and cell.value != 0:
            return cell.rhs
    return None


def _latent_variance_start(factor: str, variances: dict[str, float], spec: ModelSpec) -> float:
    if factor in variances:
        loads_on_second_order = any(s.op == "=~" and s.rhs == factor for s in spec.statements)
        return variances[factor] * (0.5 if loads_on_second_order else 1.0)
    lower = [variances[x] for x in spec.indicators(factor) if x in variances]
    return 0.5 * float(np.mean(lower)) if lower else 0.05


def _implied_from_matrices(matrices: ModelMatrices, meanstructure: bool) -> tuple[np.ndarray, np.ndarray | None]:
    g = matrices.inverse_i_minus_beta
    lambda_g = matrices.lambda_ @ g
    sigma = lambda_g @ matrices.psi @ lambda_g.T + matrices.theta
    sigma = 0.5 * (sigma + sigma.T)
    mu = matrices.nu + lambda_g @ matrices.alpha if meanstructure else None
    return sigma, mu


class _GroupLayout:
    """Index arrays of one group's cells, to fill matrices and derivatives fast."""

    def __init__(self, cells: list[_Cell], free_index: np.ndarray) -> None:
        self.fixed_values = np.array([cell.value for cell in cells], dtype=float)
        self.free_index = free_index
        self.matrix = np.array([cell.matrix for cell in cells])
        self.rows = np.array([cell.row for cell in cells], dtype=int)
        self.cols = np.array([cell.col for cell in cells], dtype=int)
        self.derived_residuals = any(cell.derived for cell in cells)
        free = free_index >= 0
        self.free_kinds = self.matrix[free]
        self.free_rows = self.rows[free]
        self.free_cols = self.cols[free]
        self.cells_to_free = np.zeros((int(free.sum()), 0))
        self._include = np.array([not cell.derived for cell in cells], dtype=bool)

    def finalize(self, n_free: int) -> None:
        free = self.free_index >= 0
        self.cells_to_free = np.zeros((int(free.sum()), n_free))
        self.cells_to_free[np.arange(int(free.sum())), self.free_index[free]] = 1.0

    def values(self, theta: np.ndarray) -> np.ndarray:
        values = self.fixed_values.copy()
        free = self.free_index >= 0
        values[free] = theta[self.free_index[free]]
        return values

    def cells_of(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        positions = np.flatnonzero((self.matrix == name) & self._include)
        return self.rows[positions], self.cols[positions], positions


def _parameter_table(cells: list[list[_Cell]], free_index: list[np.ndarray]) -> pd.DataFrame:
    records = []
    for group, (group_cells, index) in enumerate(zip(cells, free_index), start=1):
        for cell, free in zip(group_cells, index):
            records.append(
                {
                    "lhs": cell.lhs,
                    "op": cell.op,
                    "rhs": cell.rhs,
                    "group": group,
                    "free": int(free) + 1 if free >= 0 else 0,
                    "value": np.nan if free >= 0 or cell.derived else cell.value,
                    "label": cell.label or "",
                    "matrix": cell.matrix,
                    "row": cell.row,
                    "col": cell.col,
                    "derived": cell.derived,
                }
            )
    return pd.DataFrame.from_records(records)


# Compilation -----------------------------------------------------------------------


def compile_model(
    spec: ModelSpec,
    *,
    n_groups: int = 1,
    meanstructure: bool = False,
    group_equal: Sequence[str] = (),
    residual_variances: str = "free",
) -> CompiledModel:
    """Add lavaan's ``cfa()`` defaults to a specification and index its parameters.

    Parameters
    ----------
    spec : ModelSpec
    n_groups : int, default 1
        Number of groups; each group has its own copy of every parameter unless
        ``group_equal`` or a shared label constrains it.
    meanstructure : bool, default False
        Add observed intercepts (free) and factor means (fixed at zero, but free in
        groups 2 and up when ``"intercepts"`` is in ``group_equal``, as lavaan).
    group_equal : sequence of str
        Parameter kinds held equal across groups, from :data:`EQUALITY_CONSTRAINTS`
        (lavaan's ``group.equal``).
    residual_variances : {"free", "derived"}, default "free"
        ``"derived"`` is the delta parameterization for ordinal data: residual
        variances are ``1 - diag(Lambda Phi Lambda')`` and not in ``theta``.

    Returns
    -------
    CompiledModel

    Notes
    -----
    The defaults are those of lavaan 0.6 ``cfa()``: the first indicator of each
    factor has its loading fixed at 1 (unless it carries a modifier), residual
    variances and factor (or disturbance) variances are free, covariances among
    exogenous factors are free (fixed at zero when ``spec.orthogonal``).
    """
    unknown = [name for name in group_equal if name not in EQUALITY_CONSTRAINTS]
    if unknown:
        raise InputDataError(
            "cfa.unknown_group_equal", value=unknown[0], expected=", ".join(EQUALITY_CONSTRAINTS)
        )
    if residual_variances not in ("free", "derived"):
        raise ValueError(f"residual_variances must be 'free' or 'derived', got {residual_variances!r}.")

    latent = spec.latent
    observed = spec.observed
    cells_one_group = _default_cells(spec, observed, latent, meanstructure, residual_variances == "derived")

    cells: list[list[_Cell]] = []
    for group in range(n_groups):
        group_cells = [_Cell(**cell.__dict__) for cell in cells_one_group]
        if meanstructure and group > 0 and "intercepts" in group_equal:
            for cell in group_cells:
                if cell.matrix == "alpha" and not cell.user:
                    cell.free = True
        cells.append(group_cells)

    free_index, n_free = _assign_free_indices(cells, set(group_equal))
    model = CompiledModel(spec, observed, latent, cells, free_index, n_free, meanstructure)
    for layout in model._layout:
        layout.finalize(n_free)
    return model


def _default_cells(
    spec: ModelSpec,
    observed: tuple[str, ...],
    latent: tuple[str, ...],
    meanstructure: bool,
    derived_residuals: bool,
) -> list[_Cell]:
    observed_index = {name: i for i, name in enumerate(observed)}
    latent_index = {name: i for i, name in enumerate(latent)}
    cells: dict[tuple[str, int, int], _Cell] = {}

    seen_first: set[str] = set()
    for statement in spec.statements:
        if statement.op != "=~":
            continue
        first = statement.lhs not in seen_first
        seen_first.add(statement.lhs)
        if statement.rhs in latent_index:
            key = ("beta", latent_index[statement.rhs], latent_index[statement.lhs])
        else:
            key = ("lambda", observed_index[statement.rhs], latent_index[statement.lhs])
        if key in cells:
            raise InputDataError("cfa.syntax_duplicate", lhs=statement.lhs, op="=~", rhs=statement.rhs)
        fixed = statement.fixed
        if fixed is None and first and not statement.free and statement.label is None:
            fixed = 1.0
        cells[key] = _cell_from(statement, key, fixed)

    exogenous = [name for name in latent if not any(s.op == "=~" and s.rhs == name for s in spec.statements)]

    covariance_cells: dict[tuple[str, int, int], _Cell] = {}
    for statement in spec.statements:
        if statement.op != "~~":
            continue
        key, lhs, rhs = _covariance_key(statement, observed_index, latent_index)
        if key in covariance_cells:
            raise InputDataError("cfa.syntax_duplicate", lhs=statement.lhs, op="~~", rhs=statement.rhs)
        as_written = Statement(lhs, "~~", rhs, statement.fixed, statement.free, statement.label)
        covariance_cells[key] = _cell_from(as_written, key, statement.fixed)

    defaults: list[_Cell] = []
    for name in observed:
        i = observed_index[name]
        key = ("theta", i, i)
        if key not in covariance_cells:
            defaults.append(_Cell(name, "~~", name, "theta", i, i, 0.0, not derived_residuals, derived=derived_residuals))
    for name in latent:
        j = latent_index[name]
        key = ("psi", j, j)
        if key not in covariance_cells:
            defaults.append(_Cell(name, "~~", name, "psi", j, j, 0.0, True))
    for a, first in enumerate(exogenous):
        for second in exogenous[a + 1 :]:
            j, k = latent_index[first], latent_index[second]
            key = ("psi", max(j, k), min(j, k))
            if key not in covariance_cells:
                defaults.append(_Cell(first, "~~", second, "psi", key[1], key[2], 0.0, not spec.orthogonal))

    ordered = list(cells.values()) + list(covariance_cells.values()) + defaults
    if meanstructure:
        for name in observed:
            ordered.append(_Cell(name, "~1", "", "nu", observed_index[name], 0, 0.0, True))
        for name in latent:
            ordered.append(_Cell(name, "~1", "", "alpha", latent_index[name], 0, 0.0, False))
    return ordered


def _cell_from(statement: Statement, key: tuple[str, int, int], fixed: float | None) -> _Cell:
    matrix, row, col = key
    return _Cell(
        lhs=statement.lhs,
        op=statement.op,
        rhs=statement.rhs,
        matrix=matrix,
        row=row,
        col=col,
        value=0.0 if fixed is None else float(fixed),
        free=fixed is None,
        label=statement.label,
        user=True,
    )


def _covariance_key(statement: Statement, observed_index: dict, latent_index: dict):
    lhs, rhs = statement.lhs, statement.rhs
    if lhs in latent_index and rhs in latent_index:
        matrix, index = "psi", latent_index
    elif lhs in observed_index and rhs in observed_index:
        matrix, index = "theta", observed_index
    else:
        raise InputDataError("cfa.syntax_mixed_covariance", lhs=lhs, rhs=rhs)
    i, j = index[lhs], index[rhs]
    # The cell is stored in the lower triangle; lhs and rhs keep the user's order.
    return (matrix, max(i, j), min(i, j)), lhs, rhs


def _equality_kind(cell: _Cell) -> str | None:
    if cell.matrix in ("lambda", "beta"):
        return "loadings"
    if cell.matrix == "nu":
        return "intercepts"
    if cell.matrix == "alpha":
        return "means"
    if cell.matrix == "theta":
        return "residuals" if cell.row == cell.col else "residual.covariances"
    if cell.matrix == "psi":
        return "lv.variances" if cell.row == cell.col else "lv.covariances"
    return None


def _assign_free_indices(cells: list[list[_Cell]], group_equal: set[str]) -> tuple[list[np.ndarray], int]:
    shared: dict[tuple, int] = {}
    free_index: list[np.ndarray] = []
    n_free = 0
    for group_cells in cells:
        index = np.full(len(group_cells), -1, dtype=int)
        for position, cell in enumerate(group_cells):
            if not cell.free:
                continue
            if cell.label:
                key = ("label", cell.label)
            elif _equality_kind(cell) in group_equal:
                key = ("equal", cell.matrix, cell.row, cell.col)
            else:
                key = None
            if key is not None and key in shared:
                index[position] = shared[key]
                continue
            index[position] = n_free
            if key is not None:
                shared[key] = n_free
            n_free += 1
        free_index.append(index)
    return free_index, n_free


__all__ = [
    "EQUALITY_CONSTRAINTS",
    "CompiledModel",
    "DerivativeTerms",
    "ModelMatrices",
    "cell_derivative_terms",
    "compile_model",
    "vech",
    "vech_indices",
    "vechs",
    "vechs_indices",
]
