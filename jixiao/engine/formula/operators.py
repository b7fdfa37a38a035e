"""Vectorized operators: arithmetic, percent, comparison and text concatenation.

Each takes `Vec`s and returns a new `Vec` without touching its inputs. Per row, an operand's
error wins over the operator's own error, and the left operand's over the right's, as in
Excel (`"a"+1/0` is #VALUE!).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any, Final

import numpy as np

from .limits import MAX_TEXT_LENGTH
from .values import (
    DIV0,
    LOGICAL,
    NUM,
    NUMBER,
    TEXT,
    VALUE,
    CodeArray,
    FloatArray,
    Vec,
    all_finite,
    as_text,
    clean,
    flag,
    merge,
    numeric_errors,
)

_ARITHMETIC: Final[dict[str, Callable[[FloatArray, FloatArray], FloatArray]]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.divide,
}


def negate(v: Vec) -> Vec:
    return Vec(np.negative(v.num), NUMBER, numeric_errors(v))


def percent(v: Vec) -> Vec:
    return Vec(v.num / 100.0, NUMBER, numeric_errors(v))


def arithmetic(op: str, a: Vec, b: Vec) -> Vec:
    err = merge(numeric_errors(a), numeric_errors(b))
    if op == "^":
        return power(a.num, b.num, err)
    result = _ARITHMETIC[op](a.num, b.num)
    if op == "/":
        # x/0 is inf or NaN, so the zero check is only paid when something went wrong.
        if not all_finite(result):
            result, err = clean(result, flag(err, b.num == 0, DIV0), NUM)
        return Vec(result, NUMBER, err)
    result, err = clean(result, err, NUM)
    return Vec(result, NUMBER, err)


def power(base: FloatArray, exponent: FloatArray, err: CodeArray | None) -> Vec:
    """`^` and POWER as in Excel: 0^0 is #NUM!, 0^-1 is #DIV/0!, overflow is #NUM!."""
    result: FloatArray = np.power(base, exponent)
    zero = base == 0
    if zero.any():
        err = flag(err, zero & (exponent < 0), DIV0)
        err = flag(err, zero & (exponent == 0), NUM)
        result = np.where(zero & (exponent <= 0), 0.0, result)
    result, err = clean(result, err, NUM)
    return Vec(result, NUMBER, err)


_COMPARE: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

# Excel orders values of different types: numbers < text < logical values.
_CLASS_OF_KIND: Final = np.array([0, 2, 1, -1], dtype=np.int8)  # NUMBER, LOGICAL, TEXT, BLANK


def compare(op: str, a: Vec, b: Vec) -> Vec:
    err = merge(a.err, b.err)
    fn = _COMPARE[op]
    plain = not (a.has(TEXT) or a.has(LOGICAL) or b.has(TEXT) or b.has(LOGICAL))
    # Numbers and blanks (as 0) only: one numpy comparison.
    if not plain:
        return Vec(_compare_mixed(fn, a, b), LOGICAL, err)
    result = np.asarray(fn(a.num, b.num), dtype=np.float64)
    return Vec(result, LOGICAL, err)


def _compare_mixed(fn: Callable[[Any, Any], Any], a: Vec, b: Vec) -> FloatArray:
    """Comparison across types; a blank takes the type of the other side (0, "" or FALSE)."""
    ka, kb = a.kinds(), b.kinds()
    ca, cb = _CLASS_OF_KIND[ka], _CLASS_OF_KIND[kb]
    ca, cb = (
        np.where(ca >= 0, ca, np.maximum(cb, 0)),
        np.where(cb >= 0, cb, np.maximum(ca, 0)),
    )
    same = ca == cb
    by_class = np.asarray(fn(ca, cb), dtype=bool)
    by_number = np.asarray(fn(a.num, b.num), dtype=bool)
    result = np.where(same, by_number, by_class)
    both_text = np.flatnonzero(same & (ca == 1))
    if both_text.size:
        ta, tb = a.texts(), b.texts()
        for i in both_text.tolist():
            left = ta[i] if ka[i] == TEXT else ""
            right = tb[i] if kb[i] == TEXT else ""
            result[i] = bool(fn(left.casefold(), right.casefold()))
    return result.astype(np.float64)


def concat(a: Vec, b: Vec) -> Vec:
    """`&`: both sides as text; results longer than Excel's 32,767 characters are #VALUE!."""
    err = merge(a.err, b.err)
    left = a.text if _all_text(a) and a.text is not None else as_text(a)
    right = b.text if _all_text(b) and b.text is not None else as_text(b)
    joined = left + right
    rows = joined.shape[0]
    too_long = np.fromiter((len(s) > MAX_TEXT_LENGTH for s in joined), dtype=bool, count=rows)
    if too_long.any():
        err = flag(err, too_long, VALUE)
        joined = np.where(too_long, "", joined)
    return Vec(np.zeros(rows), TEXT, err, joined)


def _all_text(v: Vec) -> bool:
    return isinstance(v.kind, int) and v.kind == TEXT
