"""Vectorized implementations of the supported functions.

All arguments are evaluated for every row before a function runs (IF included); functions only
choose, per row, which values and which errors reach the result, so an error in a branch that
a row does not take never shows in that row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

import numpy as np

from .operators import power
from .values import (
    BLANK,
    DIV0,
    LOGICAL,
    NA,
    NUM,
    NUMBER,
    VALUE,
    BoolArray,
    CodeArray,
    FloatArray,
    Vec,
    clean,
    error,
    flag,
    merge,
    numeric_errors,
)

# -- logic -----------------------------------------------------------------------------------


def truth(v: Vec) -> tuple[BoolArray, CodeArray | None]:
    """A condition per row: non-zero numbers and TRUE are true, blank is false, text #VALUE!."""
    return v.num != 0, numeric_errors(v)


def select(condition: BoolArray, when_true: Vec, when_false: Vec) -> Vec:
    """Per row, the value (and the error) of the chosen side only."""
    num = np.where(condition, when_true.num, when_false.num)
    kind: int | CodeArray
    true_kind, false_kind = when_true.kind, when_false.kind
    if isinstance(true_kind, int) and isinstance(false_kind, int) and true_kind == false_kind:
        kind = true_kind
    else:
        kind = np.where(condition, when_true.kinds(), when_false.kinds()).astype(np.int8)
    err: CodeArray | None = None
    if when_true.err is not None or when_false.err is not None:
        rows = num.shape[0]
        zero = np.zeros(rows, dtype=np.int8)
        true_err = zero if when_true.err is None else when_true.err
        false_err = zero if when_false.err is None else when_false.err
        err = np.where(condition, true_err, false_err).astype(np.int8)
    text = None
    if when_true.text is not None or when_false.text is not None:
        text = np.where(condition, when_true.texts(), when_false.texts())
    return Vec(num, kind, err, text)


def fn_if(args: Sequence[Vec]) -> Vec:
    condition, cond_err = truth(args[0])
    rows = condition.shape[0]
    otherwise = args[2] if len(args) == 3 else Vec(np.zeros(rows), LOGICAL)
    chosen = select(condition, args[1], otherwise)
    chosen.err = merge(cond_err, chosen.err)
    return chosen


def fn_ifs(args: Sequence[Vec]) -> Vec:
    """IFS(c1, v1, c2, v2, ...) is IF(c1, v1, IF(c2, v2, ... #N/A))."""
    result = error(NA, args[0].num.shape[0])
    for index in range(len(args) - 2, -1, -2):
        result = fn_if((args[index], args[index + 1], result))
    return result


def fn_iferror(args: Sequence[Vec]) -> Vec:
    value, fallback = args
    if value.err is None:
        return value
    return select(value.err != 0, fallback, value)


def _logical_fold(args: Sequence[Vec], all_of: bool) -> Vec:
    """AND/OR: blanks are skipped as Excel skips empty cells; all blank is #VALUE!."""
    rows = args[0].num.shape[0]
    err: CodeArray | None = None
    present = np.zeros(rows, dtype=bool)
    acc = np.full(rows, all_of)
    for v in args:
        err = merge(err, numeric_errors(v))
        true = v.num != 0
        if v.has(BLANK):
            blank = v.is_kind(BLANK)
            present |= ~blank
            acc = (acc & (true | blank)) if all_of else (acc | (true & ~blank))
        else:
            present[:] = True
            acc = (acc & true) if all_of else (acc | true)
    err = flag(err, ~present, VALUE)
    return Vec(acc.astype(np.float64), LOGICAL, err)


def fn_and(args: Sequence[Vec]) -> Vec:
    return _logical_fold(args, all_of=True)


def fn_or(args: Sequence[Vec]) -> Vec:
    return _logical_fold(args, all_of=False)


def fn_not(args: Sequence[Vec]) -> Vec:
    condition, err = truth(args[0])
    return Vec((~condition).astype(np.float64), LOGICAL, err)


def fn_isblank(args: Sequence[Vec]) -> Vec:
    """TRUE only for a blank; never an error (an error row is not blank)."""
    v = args[0]
    blank = v.is_kind(BLANK)
    if v.err is not None:
        blank &= v.err == 0
    return Vec(blank.astype(np.float64), LOGICAL)


# -- aggregates ------------------------------------------------------------------------------


def _numbers(
    args: Sequence[Vec],
) -> tuple[list[FloatArray], list[BoolArray | None], CodeArray | None]:
    """Values, blank masks (None: no blank) and the first error per row, in argument order."""
    err: CodeArray | None = None
    blanks: list[BoolArray | None] = []
    for v in args:
        err = merge(err, numeric_errors(v))
        blanks.append(v.is_kind(BLANK) if v.has(BLANK) else None)
    return [v.num for v in args], blanks, err


def fn_sum(args: Sequence[Vec]) -> Vec:
    values, _, err = _numbers(args)  # blanks hold 0.0, so they add nothing
    total = values[0]
    for value in values[1:]:
        total = total + value
    total, err = clean(total, err, NUM)
    return Vec(total, NUMBER, err)


def _extreme(args: Sequence[Vec], smallest: bool) -> Vec:
    """MIN/MAX skip blanks; a row with only blanks gives 0, as in Excel."""
    values, blanks, err = _numbers(args)
    pick = np.minimum if smallest else np.maximum
    if all(b is None for b in blanks):
        result = values[0]
        for value in values[1:]:
            result = pick(result, value)
        return Vec(result, NUMBER, err)
    skip = np.inf if smallest else -np.inf
    rows = values[0].shape[0]
    result = np.full(rows, skip)
    present = np.zeros(rows, dtype=bool)
    for value, blank in zip(values, blanks, strict=True):
        if blank is None:
            result = pick(result, value)
            present[:] = True
        else:
            result = pick(result, np.where(blank, skip, value))
            present |= ~blank
    return Vec(np.where(present, result, 0.0), NUMBER, err)


def fn_min(args: Sequence[Vec]) -> Vec:
    return _extreme(args, smallest=True)


def fn_max(args: Sequence[Vec]) -> Vec:
    return _extreme(args, smallest=False)


def fn_average(args: Sequence[Vec]) -> Vec:
    """Blanks are skipped; a row with only blanks is #DIV/0!, as in Excel."""
    values, blanks, err = _numbers(args)
    total = values[0]
    for value in values[1:]:
        total = total + value
    count = np.zeros(total.shape[0])
    for blank in blanks:
        count += 1.0 if blank is None else ~blank
    err = flag(err, count == 0, DIV0)
    mean = total / np.where(count == 0, 1.0, count)
    mean, err = clean(mean, err, NUM)
    return Vec(mean, NUMBER, err)


def fn_median(args: Sequence[Vec]) -> Vec:
    """Blanks are skipped; a row with only blanks is #NUM!, as in Excel."""
    values, blanks, err = _numbers(args)
    stacked = np.stack(
        [
            value if blank is None else np.where(blank, np.nan, value)
            for value, blank in zip(values, blanks, strict=True)
        ]
    )
    stacked.sort(axis=0)  # NaN (blank) sorts last
    count = (~np.isnan(stacked)).sum(axis=0)
    low = np.maximum((count - 1) // 2, 0)
    high = count // 2
    high = np.minimum(high, len(values) - 1)
    low_value = np.take_along_axis(stacked, low[np.newaxis, :], axis=0)[0]
    high_value = np.take_along_axis(stacked, high[np.newaxis, :], axis=0)[0]
    median = (low_value + high_value) / 2
    err = flag(err, count == 0, NUM)
    median = np.where(count == 0, 0.0, median)
    median, err = clean(median, err, NUM)
    return Vec(median, NUMBER, err)


# -- rounding --------------------------------------------------------------------------------

_EXACT = 2.0**52  # from here on every float is a whole number


def _significant_15(y: FloatArray) -> FloatArray:
    """Round non-negative `y` to 15 significant digits, the precision Excel works to.

    This absorbs binary representation error, so ROUND(2.675, 2) is 2.68 and
    ROUNDUP(0.1+0.2, 1) is 0.3, as in Excel.
    """
    positive = y > 0
    exponent = np.floor(np.log10(np.where(positive, y, 1.0)))
    places = 14 - exponent
    usable = positive & (places >= 0) & (places <= 300)
    scale = 10.0 ** np.where(usable, places, 0.0)
    return np.where(usable, np.round(y * scale) / scale, y)


def _round(args: Sequence[Vec], mode: str) -> Vec:
    x, d = args
    err = merge(numeric_errors(x), numeric_errors(d))
    digits = np.clip(np.trunc(d.num), -400.0, 400.0)
    scale = 10.0 ** np.abs(digits)
    up = digits >= 0
    magnitude = np.abs(x.num)
    scaled = np.where(up, magnitude * scale, magnitude / scale)
    exact = ~(scaled < _EXACT)  # already whole (or beyond float precision): keep x
    scaled = _significant_15(np.where(exact, 0.0, scaled))
    if mode == "round":
        whole = np.floor(scaled + 0.5)
    elif mode == "up":
        # A positive value whose quotient underflowed to 0 still rounds up to one unit.
        underflow = (scaled == 0) & (magnitude > 0)
        whole = np.where(underflow, 1.0, np.ceil(scaled))
    else:
        whole = np.floor(scaled)
    # whole * inf would be NaN when rounding to more than 308 places left of the point.
    back = np.where(whole == 0, 0.0, np.where(up, whole / scale, whole * scale))
    result = np.where(exact, x.num, np.copysign(back, x.num))
    result, err = clean(result, err, NUM)
    return Vec(result, NUMBER, err)


def fn_round(args: Sequence[Vec]) -> Vec:
    return _round(args, "round")


def fn_roundup(args: Sequence[Vec]) -> Vec:
    return _round(args, "up")


def fn_rounddown(args: Sequence[Vec]) -> Vec:
    return _round(args, "down")


# -- arithmetic ------------------------------------------------------------------------------


def _unary_math(
    v: Vec, fn: Callable[[FloatArray], FloatArray], invalid: BoolArray | None = None
) -> Vec:
    err = numeric_errors(v)
    if invalid is not None:
        err = flag(err, invalid, NUM)
    result, err = clean(fn(v.num), err, NUM)
    return Vec(result, NUMBER, err)


def fn_abs(args: Sequence[Vec]) -> Vec:
    return _unary_math(args[0], np.abs)


def fn_sqrt(args: Sequence[Vec]) -> Vec:
    return _unary_math(args[0], np.sqrt, args[0].num < 0)


def fn_ln(args: Sequence[Vec]) -> Vec:
    return _unary_math(args[0], np.log, args[0].num <= 0)


def fn_exp(args: Sequence[Vec]) -> Vec:
    return _unary_math(args[0], np.exp)


def fn_power(args: Sequence[Vec]) -> Vec:
    base, exponent = args
    return power(base.num, exponent.num, merge(numeric_errors(base), numeric_errors(exponent)))


IMPLEMENTATIONS: Final[dict[str, Callable[[Sequence[Vec]], Vec]]] = {
    "IF": fn_if,
    "IFS": fn_ifs,
    "IFERROR": fn_iferror,
    "AND": fn_and,
    "OR": fn_or,
    "NOT": fn_not,
    "ISBLANK": fn_isblank,
    "MIN": fn_min,
    "MAX": fn_max,
    "SUM": fn_sum,
    "AVERAGE": fn_average,
    "MEDIAN": fn_median,
    "ROUND": fn_round,
    "ROUNDUP": fn_roundup,
    "ROUNDDOWN": fn_rounddown,
    "ABS": fn_abs,
    "SQRT": fn_sqrt,
    "POWER": fn_power,
    "LN": fn_ln,
    "EXP": fn_exp,
}
