"""AHP (层次分析法): weights from a pairwise comparison matrix, with its consistency check.

Weights are the principal eigenvector normalized to 1 (or the row geometric means, an
approximation); λmax, CI = (λmax − n)/(n − 1) and CR = CI/RI against a random-index table.
Because a failed check is only useful if the user knows what to change, the result also names
the single comparison that disagrees most with the weights and the value that would fit them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from jixiao.engine.rules.base import FloatArray, Matrix, RuleSpecError, SpecIssue, fmt

Method = Literal["eigenvector", "geometric"]
METHODS: tuple[Method, ...] = ("eigenvector", "geometric")
CONSISTENCY_THRESHOLD = 0.10
RECIPROCAL_TOLERANCE = 0.02  # relative: 0.33 typed for 1/3 still passes (0.33 × 3 = 0.99)


RI_NAME_MAX_LENGTH = 32
"""Names of random-index tables are stored with each weight set (WeightSet.ri_table_name)."""
RI_MIN_SIZE = 3
"""A table must reach n = 3: below that every matrix is consistent and RI is never used."""


@dataclass(frozen=True)
class RITable:
    """A random-index table: `values[n - 1]` is RI for an n×n matrix.

    Checked when made, so a table from configuration or the command line that exists is
    usable: a name of 1–32 characters, at least 3 finite values, none negative, and RI > 0
    from n = 3 on (CR = CI/RI). Raises AHPError with one issue per problem.
    """

    name: str
    values: tuple[float, ...]
    source: str = ""

    def __post_init__(self) -> None:
        problems = ri_table_issues(self.name, self.values)
        if problems:
            raise AHPError(problems)
        object.__setattr__(self, "values", tuple(float(v) for v in self.values))

    def ri(self, n: int) -> float:
        if n < 1 or n > len(self.values):
            raise AHPError(
                [
                    SpecIssue(
                        "matrix",
                        "no_random_index",
                        f"随机一致性指标表“{self.name}”只覆盖 n ≤ {len(self.values)}，"
                        f"当前 n = {n}。请减少比较的指标数或换用覆盖更大 n 的表。",
                        f"The random-index table {self.name!r} covers n ≤ {len(self.values)}, "
                        f"not n = {n}. Compare fewer criteria or use a larger table.",
                    )
                ]
            )
        return self.values[n - 1]


def ri_table_issues(name: object, values: object) -> list[SpecIssue]:
    """Every problem of a random-index table given as a name and a list of RI values."""
    found: list[SpecIssue] = []
    if not isinstance(name, str) or not name.strip():
        found.append(
            SpecIssue(
                "ri_table.name",
                "blank",
                "随机一致性指标表必须有名称。",
                "A random-index table needs a name.",
            )
        )
    elif len(name) > RI_NAME_MAX_LENGTH or name != name.strip():
        found.append(
            SpecIssue(
                "ri_table.name",
                "bad_name",
                f"随机一致性指标表的名称“{name}”须为 1 到 {RI_NAME_MAX_LENGTH} 个字符，"
                "首尾不能有空格。",
                f"The random-index table name {name!r} must be 1 to {RI_NAME_MAX_LENGTH} "
                "characters without surrounding spaces.",
            )
        )
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        found.append(
            SpecIssue(
                "ri_table.values",
                "not_list",
                "RI 值须为数字列表，依次对应 n = 1, 2, 3, …。",
                "The RI values must be a list of numbers for n = 1, 2, 3, ...",
            )
        )
        return found
    if len(values) < RI_MIN_SIZE:
        found.append(
            SpecIssue(
                "ri_table.values",
                "too_short",
                f"RI 值至少要有 {RI_MIN_SIZE} 个（n = 1 到 {RI_MIN_SIZE}），当前 {len(values)} 个。",
                f"Give at least {RI_MIN_SIZE} RI values (n = 1 to {RI_MIN_SIZE}), "
                f"not {len(values)}.",
            )
        )
    for k, value in enumerate(values):
        n = k + 1
        path = f"ri_table.values[{k}]"
        if isinstance(value, bool) or not isinstance(value, int | float):
            found.append(
                SpecIssue(
                    path,
                    "not_number",
                    f"n = {n} 的 RI 必须是数字。",
                    f"RI for n = {n} is not a number.",
                )
            )
        elif not math.isfinite(value) or value < 0:
            found.append(
                SpecIssue(
                    path,
                    "negative",
                    f"n = {n} 的 RI 必须是非负的有限数，当前为 {value}。",
                    f"RI for n = {n} must be a finite number ≥ 0, not {value}.",
                )
            )
        elif n >= RI_MIN_SIZE and value == 0:
            found.append(
                SpecIssue(
                    path,
                    "not_positive",
                    f"n = {n} 的 RI 必须大于 0（CR = CI/RI）。",
                    f"RI for n = {n} must be greater than 0 (CR = CI/RI).",
                )
            )
    return found


def parse_ri_values(text: str) -> tuple[float, ...]:
    """RI values as typed on a command line: "0,0,0.58,0.90" (also with ， or spaces).

    Raises AHPError naming the first entry that is not a number; the table itself is checked
    by `RITable`.
    """
    parts = [p for p in text.replace("，", ",").replace(" ", ",").split(",") if p.strip()]
    values: list[float] = []
    for k, part in enumerate(parts):
        try:
            value = float(part)
        except ValueError:
            raise AHPError(
                [
                    SpecIssue(
                        f"ri_table.values[{k}]",
                        "not_number",
                        f"第 {k + 1} 个 RI 值“{part}”不是数字。",
                        f"RI value {k + 1}, {part!r}, is not a number.",
                    )
                ]
            ) from None
        values.append(value)
    return tuple(values)


SAATY_RI = RITable(
    "saaty",
    (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51),
    "Saaty, The Analytic Hierarchy Process (1980)",
)
EXTENDED_RI = RITable(
    "extended_15",
    (0.0, 0.0, 0.52, 0.89, 1.12, 1.26, 1.36, 1.41, 1.46, 1.49, 1.52, 1.54, 1.56, 1.58, 1.59),
    "the n ≤ 15 table common in Chinese AHP textbooks",
)
RI_TABLES: dict[str, RITable] = {t.name: t for t in (SAATY_RI, EXTENDED_RI)}


@dataclass(frozen=True)
class MatrixIssue(SpecIssue):
    """A problem in one cell (0-based `row`, `column`) of a comparison matrix, or in its shape."""

    row: int | None = None
    column: int | None = None


class AHPError(RuleSpecError):
    """The matrix is not a valid pairwise comparison matrix (or no RI exists for its size)."""


@dataclass(frozen=True)
class Revision:
    """The comparison to revise: the matrix has `value` at (row, column); `suggested` would fit."""

    row: int
    column: int
    value: float
    suggested: float
    suggested_scale: str
    deviation: float

    def as_json(self, names: Sequence[str]) -> dict[str, Any]:
        return {
            "row": names[self.row],
            "column": names[self.column],
            "row_index": self.row,
            "column_index": self.column,
            "value": self.value,
            "suggested": self.suggested,
            "suggested_scale": self.suggested_scale,
            "deviation": self.deviation,
        }


@dataclass(frozen=True)
class AHPResult:
    names: tuple[str, ...]
    weights: tuple[float, ...]
    method: Method
    lambda_max: float
    ci: float
    ri: float
    cr: float
    ri_table: str
    threshold: float
    consistent: bool
    revise: Revision | None
    ri_values: tuple[float, ...] = ()
    """The whole random-index table used, so that a saved result can be checked later."""

    def as_json(self) -> dict[str, Any]:
        """The stable JSON shape (docs/engine-cli.md)."""
        return {
            "method": self.method,
            "criteria": [
                {"name": name, "weight": weight}
                for name, weight in zip(self.names, self.weights, strict=True)
            ],
            "lambda_max": self.lambda_max,
            "ci": self.ci,
            "ri": self.ri,
            "cr": self.cr,
            "ri_table": self.ri_table,
            "ri_values": list(self.ri_values),
            "threshold": self.threshold,
            "consistent": self.consistent,
            "revise": None if self.revise is None else self.revise.as_json(self.names),
        }


def _cell(names: Sequence[str], i: int, j: int) -> tuple[str, str]:
    zh = f"第 {i + 1} 行第 {j + 1} 列（{names[i]} 对 {names[j]}）"
    en = f"row {i + 1}, column {j + 1} ({names[i]} vs {names[j]})"
    return zh, en


def scale_text(value: float) -> str:
    """The nearest value on Saaty's 1–9 scale, written as people write it: 3 or 1/3."""
    if value >= 1:
        return str(min(9, max(1, round(value))))
    inverse = min(9, round(1 / value))
    return "1" if inverse <= 1 else f"1/{inverse}"


def validate_matrix(
    matrix: Matrix,
    names: Sequence[str] | None = None,
    *,
    tolerance: float = RECIPROCAL_TOLERANCE,
) -> list[MatrixIssue]:
    """Square, positive, finite, 1 on the diagonal, aⱼᵢ = 1/aᵢⱼ (relative tolerance)."""
    try:
        a = np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError):
        return [
            MatrixIssue(
                "matrix", "not_number", "矩阵必须全是数字。", "The matrix must hold numbers only."
            )
        ]
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
        shape = "×".join(str(s) for s in a.shape) or "0"
        return [
            MatrixIssue(
                "matrix",
                "not_square",
                f"判断矩阵必须是方阵（行数等于列数），当前为 {shape}。",
                f"The comparison matrix must be square; it is {shape}.",
            )
        ]
    n = a.shape[0]
    labels = (
        list(names) if names is not None and len(names) == n else [str(k + 1) for k in range(n)]
    )
    found: list[MatrixIssue] = []
    for i in range(n):
        for j in range(n):
            value = float(a[i, j])
            zh, en = _cell(labels, i, j)
            path = f"matrix[{i}][{j}]"
            if not math.isfinite(value) or value <= 0:
                found.append(
                    MatrixIssue(
                        path,
                        "not_positive",
                        f"{zh}必须是正数，当前为 {fmt(value) if math.isfinite(value) else value}。",
                        f"{en} must be a positive number, not {value}.",
                        i,
                        j,
                    )
                )
            elif i == j and abs(value - 1) > 1e-9:
                found.append(
                    MatrixIssue(
                        path,
                        "diagonal_not_one",
                        f"{zh}是对角线，必须为 1，当前为 {fmt(value)}。",
                        f"{en} is on the diagonal and must be 1, not {fmt(value)}.",
                        i,
                        j,
                    )
                )
    if found:
        return found
    for i in range(n):
        for j in range(i + 1, n):
            upper, lower = float(a[i, j]), float(a[j, i])
            if abs(upper * lower - 1) > tolerance:
                zh, en = _cell(labels, j, i)
                expected = _fraction_text(1 / upper)
                found.append(
                    MatrixIssue(
                        f"matrix[{j}][{i}]",
                        "not_reciprocal",
                        f"{zh}应为第 {i + 1} 行第 {j + 1} 列（{fmt(upper)}）的倒数 {expected}，"
                        f"当前为 {fmt(lower)}。",
                        f"{en} must be the reciprocal of row {i + 1}, column {j + 1} "
                        f"({fmt(upper)}), i.e. {expected}, not {fmt(lower)}.",
                        j,
                        i,
                    )
                )
    return found


def _fraction_text(value: float) -> str:
    fraction = Fraction(value).limit_denominator(9)
    if abs(float(fraction) - value) < 1e-9:
        return str(fraction)
    return fmt(round(value, 4))


def _eigenvector(a: FloatArray) -> tuple[FloatArray, float]:
    values, vectors = np.linalg.eig(a)
    k = int(np.argmax(values.real))
    vector = np.abs(vectors[:, k].real)  # the Perron vector of a positive matrix: one sign
    return vector / vector.sum(), float(values[k].real)


def _geometric(a: FloatArray) -> tuple[FloatArray, float]:
    means = np.exp(np.log(a).mean(axis=1))
    w = means / means.sum()
    return w, float(np.mean((a @ w) / w))


def ahp(
    matrix: Matrix,
    names: Sequence[str] | None = None,
    *,
    method: Method = "eigenvector",
    ri_table: RITable | str = SAATY_RI,
    threshold: float = CONSISTENCY_THRESHOLD,
    tolerance: float = RECIPROCAL_TOLERANCE,
) -> AHPResult:
    """Weights, λmax, CI, CR and the comparison to revise for a pairwise comparison matrix.

    Consistent means CR < threshold (0.10); n ≤ 2 is always consistent (CR = 0).
    """
    problems = validate_matrix(matrix, names, tolerance=tolerance)
    if problems:
        raise AHPError(problems)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}")
    table = RI_TABLES[ri_table] if isinstance(ri_table, str) else ri_table
    a = np.asarray(matrix, dtype=np.float64)
    n = a.shape[0]
    labels = tuple(names) if names is not None else tuple(str(k + 1) for k in range(n))
    ri = table.ri(n)
    w, lambda_max = _eigenvector(a) if method == "eigenvector" else _geometric(a)
    if n <= 2:
        lambda_max, ci, cr = float(n), 0.0, 0.0
    else:
        ci = max(0.0, (lambda_max - n) / (n - 1))  # rounding can make a consistent CI −1e-16
        if ri <= 0:
            raise ValueError(f"RI table {table.name!r} has RI = {ri} for n = {n}")
        cr = ci / ri
    revise = _worst_comparison(a, w) if n > 2 else None
    return AHPResult(
        names=labels,
        weights=tuple(float(x) for x in w),
        method=method,
        lambda_max=lambda_max,
        ci=ci,
        ri=ri,
        cr=cr,
        ri_table=table.name,
        threshold=threshold,
        consistent=cr < threshold,
        revise=revise,
        ri_values=table.values,
    )


def _worst_comparison(a: FloatArray, w: FloatArray) -> Revision | None:
    """The pair (i, j) with the largest |ln(aᵢⱼ·wⱼ/wᵢ)|; the fitting value is wᵢ/wⱼ."""
    deviation = np.abs(np.log(a * w[None, :] / w[:, None]))
    np.fill_diagonal(deviation, 0.0)
    upper = np.triu(deviation, k=1)
    i, j = np.unravel_index(int(np.argmax(upper)), upper.shape)
    if upper[i, j] <= 1e-9:
        return None
    # Report the cell holding the judgement ≥ 1 ("i over j by 3"), which is how people enter it.
    if a[i, j] < 1:
        i, j = j, i
    suggested = float(w[i] / w[j])
    return Revision(
        row=int(i),
        column=int(j),
        value=float(a[i, j]),
        suggested=suggested,
        suggested_scale=scale_text(suggested),
        deviation=float(deviation[i, j]),
    )


def consistent_matrix(weights: npt.ArrayLike) -> FloatArray:
    """The perfectly consistent matrix aᵢⱼ = wᵢ/wⱼ of a weight vector (for tests and previews)."""
    w = np.asarray(weights, dtype=np.float64)
    return w[:, None] / w[None, :]


def parse_judgement(text: str) -> float:
    """A cell as people type it: 3, 0.2, 1/3 (also with full-width ／). Raises ValueError."""
    cleaned = text.strip().replace("／", "/").replace(" ", "")
    try:
        if "/" in cleaned:
            top, _, bottom = cleaned.partition("/")
            value = float(top) / float(bottom)
        else:
            value = float(cleaned)
    except ZeroDivisionError:
        raise ValueError(text) from None
    if not math.isfinite(value):
        raise ValueError(text)
    return value
