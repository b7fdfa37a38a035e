"""The column representation used during evaluation, and conversion from and to user data.

A `Vec` holds one value per row without Python objects on the numeric path: a float64 array,
a kind (one code for the whole column, or an int8 array when rows differ), an int8 error-code
array (None while no row has failed) and, only when text is involved, an object array of str.

Invariants every operation keeps:
- `num` is finite in every row; blank and text rows hold 0.0, logical rows 1.0 or 0.0;
- a non-zero `err` overrides the row's kind: the row's value is that Excel error.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Final

import numpy as np
from numpy.typing import NDArray

from .errors import FormulaError

type FloatArray = NDArray[np.float64]
type CodeArray = NDArray[np.int8]
type BoolArray = NDArray[np.bool_]
type ObjectArray = NDArray[np.object_]

# Row kinds.
NUMBER: Final = 0
LOGICAL: Final = 1
TEXT: Final = 2
BLANK: Final = 3

# Error codes; 0 means no error. Order matters nowhere but in ERROR_NAMES.
NO_ERROR: Final = 0
DIV0: Final = 1
VALUE: Final = 2
NUM: Final = 3
NA: Final = 4
ERROR_NAMES: Final[tuple[str | None, ...]] = (None, "#DIV/0!", "#VALUE!", "#NUM!", "#N/A")
_ERROR_NAME_ARRAY: Final = np.array(ERROR_NAMES, dtype=object)


class Vec:
    """One value per row; see the module docstring for the invariants."""

    __slots__ = ("err", "kind", "num", "text")

    def __init__(
        self,
        num: FloatArray,
        kind: int | CodeArray,
        err: CodeArray | None = None,
        text: ObjectArray | None = None,
    ) -> None:
        self.num = num
        self.kind = kind
        self.err = err
        self.text = text

    def has(self, kind: int) -> bool:
        """Whether any row (errors included) is of `kind`."""
        if isinstance(self.kind, int):
            return self.kind == kind
        return bool(np.any(self.kind == kind))

    def is_kind(self, kind: int) -> BoolArray:
        """Per-row mask of rows of `kind` (ignoring errors)."""
        if isinstance(self.kind, int):
            return np.full(self.num.shape[0], self.kind == kind)
        result: BoolArray = self.kind == kind
        return result

    def kinds(self) -> CodeArray:
        if isinstance(self.kind, int):
            return np.full(self.num.shape[0], self.kind, dtype=np.int8)
        return self.kind

    def texts(self) -> ObjectArray:
        """The text array, allocated (all None) when the column has none."""
        if self.text is None:
            return np.empty(self.num.shape[0], dtype=object)
        return self.text


# -- error-code helpers ----------------------------------------------------------------------


def merge(first: CodeArray | None, second: CodeArray | None) -> CodeArray | None:
    """Per row, the first error: `first` wins where it has one (Excel checks left to right)."""
    if first is None:
        return second
    if second is None:
        return first
    result: CodeArray = np.where(first != 0, first, second)
    return result


def flag(err: CodeArray | None, mask: BoolArray, code: int) -> CodeArray | None:
    """Add error `code` to the rows in `mask` that have no error yet."""
    if not mask.any():
        return err
    if err is None:
        return np.where(mask, np.int8(code), np.int8(0)).astype(np.int8)
    result: CodeArray = np.where(mask & (err == 0), np.int8(code), err).astype(np.int8)
    return result


def numeric_errors(v: Vec) -> CodeArray | None:
    """The row errors of `v` used where a number is needed: text is #VALUE!."""
    if v.has(TEXT):
        return flag(v.err, v.is_kind(TEXT), VALUE)
    return v.err


def all_finite(values: FloatArray) -> bool:
    """Fast check (one summation) that a result has no inf/NaN; exact when it says True."""
    with np.errstate(all="ignore"):
        total = float(np.sum(values))
    return math.isfinite(total) or bool(np.isfinite(values).all())


def clean(
    result: FloatArray, err: CodeArray | None, code: int
) -> tuple[FloatArray, CodeArray | None]:
    """Turn non-finite results into error `code`, keeping `num` finite."""
    if all_finite(result):
        return result, err
    bad = ~np.isfinite(result)
    return np.where(bad, 0.0, result), flag(err, bad, code)


# -- constants ---------------------------------------------------------------------------------


def number(value: float, rows: int) -> Vec:
    return Vec(np.full(rows, float(value)), NUMBER)


def logical(value: bool, rows: int) -> Vec:
    return Vec(np.full(rows, 1.0 if value else 0.0), LOGICAL)


def text(value: str, rows: int) -> Vec:
    return Vec(np.zeros(rows), TEXT, None, np.full(rows, value, dtype=object))


def error(code: int, rows: int) -> Vec:
    return Vec(np.zeros(rows), NUMBER, np.full(rows, code, dtype=np.int8))


def format_number(value: float) -> str:
    """A number as text (for `&`): up to 15 significant digits, as Excel's General format."""
    if value == 0:
        return "0"
    shown = f"{value:.15g}"
    return shown.replace("e", "E")


def as_text(v: Vec) -> ObjectArray:
    """Each row as text: numbers formatted, TRUE/FALSE, blank as empty text."""
    rows = v.num.shape[0]
    kinds = v.kinds()
    out: ObjectArray = np.empty(rows, dtype=object)
    texts = v.texts()
    nums = v.num.tolist()
    for i, k in enumerate(kinds.tolist()):
        if k == NUMBER:
            out[i] = format_number(nums[i])
        elif k == LOGICAL:
            out[i] = "TRUE" if nums[i] else "FALSE"
        elif k == TEXT:
            out[i] = texts[i]
        else:
            out[i] = ""
    return out


# -- input columns ---------------------------------------------------------------------------


_SCALARS = (str, bytes, bool, int, float, Decimal, Fraction, np.generic)


def is_scalar(value: object) -> bool:
    """A single value that applies to every row."""
    return (
        value is None
        or isinstance(value, _SCALARS)
        or (isinstance(value, np.ndarray) and value.ndim == 0)
    )


def column_array(name: str, value: object) -> np.ndarray:
    """A one-dimensional array for a non-scalar input column."""
    if isinstance(value, np.ndarray):
        arr = value
    elif isinstance(value, list | tuple):
        # Object dtype keeps True apart from 1 and None apart from NaN.
        arr = np.empty(len(value), dtype=object)
        try:
            arr[:] = value
        except ValueError as exc:
            raise _bad_column(name, "nested lists") from exc
    else:
        try:
            arr = np.asarray(value)
        except Exception as exc:  # a foreign object numpy cannot read
            raise _bad_column(name, type(value).__name__) from exc
    if arr.ndim != 1:
        raise _bad_column(name, f"{arr.ndim}-D array")
    return arr


def _bad_column(name: str, what: str) -> FormulaError:
    return FormulaError(
        "bad_column",
        f"变量 [{name}] 的数据应为一列值（一维数组或列表），实际是 {what}",
        f"the data for [{name}] must be one column of values (a 1-D array or list), not {what}",
    )


def from_scalar(name: str, value: object, rows: int) -> Vec:
    single = np.empty(1, dtype=object)
    single[0] = value.item() if isinstance(value, np.ndarray | np.generic) else value
    one = _from_objects(name, single)
    return Vec(
        np.repeat(one.num, rows),
        one.kind,
        None if one.err is None else np.repeat(one.err, rows),
        None if one.text is None else np.repeat(one.text, rows),
    )


def from_array(name: str, arr: np.ndarray) -> Vec:
    """Convert an input column; float NaN and None mean blank."""
    dtype_kind = arr.dtype.kind
    if dtype_kind == "f":
        num = arr.astype(np.float64, copy=False)
        return _from_floats(num)
    if dtype_kind in "iu":
        return _from_floats(arr.astype(np.float64))
    if dtype_kind == "b":
        return Vec(arr.astype(np.float64), LOGICAL)
    if dtype_kind == "U":
        return Vec(np.zeros(arr.shape[0]), TEXT, None, arr.astype(object))
    if dtype_kind == "O":
        return _from_objects(name, arr)
    raise _bad_column(name, f"dtype {arr.dtype}")


def _from_floats(num: FloatArray) -> Vec:
    if all_finite(num):
        return Vec(num, NUMBER)
    blank = np.isnan(num)
    infinite = np.isinf(num)
    kind: int | CodeArray = NUMBER
    if blank.any():
        kind = np.where(blank, np.int8(BLANK), np.int8(NUMBER)).astype(np.int8)
    err = flag(None, infinite, NUM)
    return Vec(np.where(blank | infinite, 0.0, num), kind, err)


def _from_objects(name: str, arr: np.ndarray) -> Vec:
    """Classify mixed Python values row by row (the slow path, only for object input)."""
    rows = arr.shape[0]
    num = np.zeros(rows)
    kinds = np.full(rows, NUMBER, dtype=np.int8)
    err: CodeArray | None = None
    texts: ObjectArray | None = None
    for i, value in enumerate(arr.tolist()):
        if value is None:
            kinds[i] = BLANK
        elif isinstance(value, bool | np.bool_):
            kinds[i] = LOGICAL
            num[i] = 1.0 if value else 0.0
        elif isinstance(value, str):
            kinds[i] = TEXT
            if texts is None:
                texts = np.empty(rows, dtype=object)
            texts[i] = str(value)
        elif isinstance(value, int | float | Decimal | Fraction | np.integer | np.floating):
            try:
                x = float(value)
            except OverflowError:
                x = math.inf
            except ValueError:  # Decimal("sNaN")
                x = math.nan
            if math.isnan(x):
                kinds[i] = BLANK
            elif math.isinf(x):
                if err is None:
                    err = np.zeros(rows, dtype=np.int8)
                err[i] = NUM
            else:
                num[i] = x
        else:
            raise FormulaError(
                "bad_value",
                f"变量 [{name}] 第 {i + 1} 行的值类型不受支持：{type(value).__name__}",
                f"row {i + 1} of [{name}] holds an unsupported {type(value).__name__} value",
            )
    first = int(kinds[0]) if rows else NUMBER
    kind: int | CodeArray = first if rows == 0 or bool((kinds == first).all()) else kinds
    return Vec(num, kind, err, texts)


# -- results ---------------------------------------------------------------------------------


def to_result(v: Vec) -> tuple[np.ndarray, FloatArray, ObjectArray]:
    """(values, numbers, errors) as documented on FormulaResult."""
    rows = v.num.shape[0]
    failed = None if v.err is None else v.err != 0
    kinds = v.kinds()
    ok = np.ones(rows, dtype=bool) if failed is None else ~failed
    is_number = kinds == NUMBER
    is_logical = kinds == LOGICAL
    numbers = np.where(ok & (is_number | is_logical), v.num, np.nan)
    if v.err is None:
        errors: ObjectArray = np.empty(rows, dtype=object)
    else:
        errors = _ERROR_NAME_ARRAY[v.err]
    if not bool(np.any(ok & ((kinds == LOGICAL) | (kinds == TEXT)))):
        return numbers.copy(), numbers, errors
    values: ObjectArray = np.empty(rows, dtype=object)
    mask = ok & is_number
    values[mask] = v.num[mask]
    mask = ok & is_logical
    values[mask] = v.num[mask] != 0
    mask = ok & (kinds == TEXT)
    values[mask] = v.texts()[mask]
    if failed is not None:
        values[failed] = errors[failed]
    return values, numbers, errors
