"""Compiled formulas and their results: the public entry points of the package."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .checker import check
from .errors import FormulaError
from .evaluator import evaluate_tree
from .nodes import Node
from .parser import parse, stack_exhausted
from .values import Vec, column_array, from_array, from_scalar, is_scalar, to_result


@dataclass(frozen=True)
class FormulaResult:
    """The value of a formula for every row.

    `values` is a float64 array (NaN for blank and error rows) when no row is text or a
    logical value; otherwise an object array of float, str, bool, None (blank) and, in error
    rows, the error code string. `numbers` is always float64: NaN where the row is blank, an
    error or text, 1.0/0.0 for TRUE/FALSE. `errors` holds None or "#DIV/0!", "#VALUE!",
    "#NUM!" or "#N/A" per row; check it before trusting `values`.
    """

    values: np.ndarray
    numbers: NDArray[np.float64]
    errors: NDArray[np.object_]

    @property
    def ok(self) -> NDArray[np.bool_]:
        """Rows without an error."""
        return np.fromiter((e is None for e in self.errors), dtype=bool, count=self.errors.shape[0])


@dataclass(frozen=True)
class Formula:
    """A parsed and checked formula, ready to evaluate over columns of any length."""

    source: str
    tree: Node
    variables: frozenset[str]

    def evaluate(self, columns: Mapping[str, object], rows: int | None = None) -> FormulaResult:
        """Evaluate for every row.

        Each used variable maps to a 1-D array or sequence (float NaN and None are blank) or
        to a scalar that applies to every row; `rows` is needed only when no column has a
        length. Row errors (#DIV/0! ...) are results, not exceptions.
        """
        missing = sorted(self.variables - set(columns))
        if missing:
            names_zh = "、".join(f"[{m}]" for m in missing)
            names_en = ", ".join(f"[{m}]" for m in missing)
            raise FormulaError(
                "missing_variable",
                f"缺少变量的数据：{names_zh}",
                f"no data given for {names_en}",
            )
        arrays: dict[str, np.ndarray] = {}
        for name in sorted(self.variables):
            value = columns[name]
            if not is_scalar(value):
                arrays[name] = column_array(name, value)
        count = _row_count(arrays, columns, rows)
        vecs: dict[str, Vec] = {}
        for name in sorted(self.variables):
            if name in arrays:
                vecs[name] = from_array(name, arrays[name])
            else:
                vecs[name] = from_scalar(name, columns[name], count)
        with np.errstate(all="ignore"):
            try:
                result = evaluate_tree(self.tree, vecs, count)
            except RecursionError:
                raise stack_exhausted() from None
            values, numbers, errors = to_result(result)
        return FormulaResult(values, numbers, errors)


def _row_count(
    arrays: Mapping[str, np.ndarray], columns: Mapping[str, object], rows: int | None
) -> int:
    lengths = {name: arr.shape[0] for name, arr in arrays.items()}
    if not lengths:
        # A formula without array inputs takes its length from the other columns given.
        for name, value in columns.items():
            if not is_scalar(value) and hasattr(value, "__len__"):
                lengths[name] = len(value)
    distinct = sorted(set(lengths.values()))
    if rows is not None:
        if rows < 0 or (distinct and distinct != [rows]):
            shown = ", ".join(f"[{n}]: {c}" for n, c in sorted(lengths.items()))
            raise FormulaError(
                "row_count",
                f"行数不一致：指定 {rows} 行，各列为 {shown or '无'}",
                f"row counts differ: rows={rows}, columns {shown or 'none'}",
            )
        return rows
    if len(distinct) > 1:
        shown = ", ".join(f"[{n}]: {c}" for n, c in sorted(lengths.items()))
        raise FormulaError(
            "row_count",
            f"各列的行数不一致：{shown}",
            f"the columns have different lengths: {shown}",
        )
    if not distinct:
        raise FormulaError(
            "row_count",
            "没有可确定行数的数据列，请指定行数 rows",
            "no column gives the number of rows; pass rows=",
        )
    return int(distinct[0])


def compile_formula(source: str, variables: Collection[str] | None = None) -> Formula:
    """Parse and check `source`; with `variables`, every [name] used must be one of them."""
    tree = parse(source)
    used, _ = check(tree, variables)
    return Formula(source, tree, used)
