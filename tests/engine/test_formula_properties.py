"""Property-based tests of the formula language.

Random trees from the grammar survive printing and parsing; vectorized evaluation agrees with
a plain scalar evaluator written here (Python floats, one row at a time, only the chosen IF
branch evaluated); random and garbage input only ever raises FormulaError, within a deadline.
"""

from __future__ import annotations

import contextlib
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal, localcontext
from typing import Any

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from jixiao.engine.formula import (
    MAX_LENGTH,
    Binary,
    Boolean,
    Call,
    Formula,
    FormulaError,
    Node,
    Number,
    String,
    Unary,
    Variable,
    compile_formula,
    parse,
    to_source,
)

PROPERTY = settings(
    max_examples=200,
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow],
)

NAMES = ["a", "b", "实际值", "目标值"]

# -- the scalar reference evaluator ---------------------------------------------------------


@dataclass(frozen=True)
class Err:
    code: str


DIV0, VALUE, NUM, NA = Err("#DIV/0!"), Err("#VALUE!"), Err("#NUM!"), Err("#N/A")
Value = float | bool | str | None | Err


def to_number(v: Value) -> float | Err:
    if isinstance(v, Err):
        return v
    if v is None:
        return 0.0
    if isinstance(v, str):
        return VALUE
    return float(v)


def to_logical(v: Value) -> bool | Err:
    n = to_number(v)
    return n if isinstance(n, Err) else n != 0


def finite(x: float) -> float | Err:
    return x if math.isfinite(x) else NUM


def ref_power(x: float, y: float) -> float | Err:
    if x == 0 and y < 0:
        return DIV0
    if x == 0 and y == 0:
        return NUM
    try:
        return finite(math.pow(x, y))
    except (OverflowError, ValueError):
        return NUM


def excel_text(v: Value) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, str):
        return v
    assert isinstance(v, float)
    return "0" if v == 0 else f"{v:.15g}".replace("e", "E")


def blank_as(kind: int) -> Value:
    """What a blank compares as, by the kind of the other side (number, text, logical)."""
    blanks: tuple[Value, Value, Value] = (0.0, "", False)
    return blanks[kind]


def excel_compare(op: str, a: Value, b: Value) -> bool:
    def klass(v: Value) -> int:
        return 1 if isinstance(v, str) else 2 if isinstance(v, bool) else 0

    if a is None and b is None:
        a = b = 0.0
    elif a is None:
        a = blank_as(klass(b))
    elif b is None:
        b = blank_as(klass(a))
    fn: Callable[[Any, Any], bool] = {
        "=": operator.eq,
        "<>": operator.ne,
        "<": operator.lt,
        "<=": operator.le,
        ">": operator.gt,
        ">=": operator.ge,
    }[op]
    ka, kb = klass(a), klass(b)
    if ka != kb:
        return fn(ka, kb)
    if ka == 1:
        assert isinstance(a, str) and isinstance(b, str)
        return fn(a.casefold(), b.casefold())
    return fn(float(a), float(b))  # type: ignore[arg-type]


def ref_round(x: float, d: float, mode: str) -> float | Err:
    """Round the value, read to 15 significant digits, half away from zero / up / down."""
    digits = int(max(-400.0, min(400.0, math.trunc(d))))
    if x == 0:
        return 0.0
    with localcontext() as ctx:
        ctx.prec = 60
        y = Decimal(abs(x)).scaleb(digits)
        if y >= Decimal(2) ** 52:
            return x
        if -286 <= y.adjusted() <= 14:  # as the vectorized code: 15 digits where they fit
            y = y.quantize(Decimal(1).scaleb(y.adjusted() - 14), rounding=ROUND_HALF_EVEN)
        rounding = {"round": ROUND_HALF_UP, "up": ROUND_UP, "down": ROUND_DOWN}[mode]
        whole = y.quantize(Decimal(1), rounding=rounding)
        result = float(whole.scaleb(-digits))
    return finite(math.copysign(result, x))


def numbers_of(values: list[Value]) -> list[float] | Err:
    out = []
    for v in values:
        n = to_number(v)
        if isinstance(n, Err):
            return n
        out.append(n)
    return out


def ref_call(name: str, args: tuple[Node, ...], row: dict[str, Value]) -> Value:
    if name == "IF":
        cond = to_logical(ref_eval(args[0], row))
        if isinstance(cond, Err):
            return cond
        if cond:
            return ref_eval(args[1], row)
        return ref_eval(args[2], row) if len(args) == 3 else False
    if name == "IFS":
        for i in range(0, len(args), 2):
            cond = to_logical(ref_eval(args[i], row))
            if isinstance(cond, Err):
                return cond
            if cond:
                return ref_eval(args[i + 1], row)
        return NA
    if name == "IFERROR":
        first = ref_eval(args[0], row)
        return ref_eval(args[1], row) if isinstance(first, Err) else first
    if name == "ISBLANK":
        return ref_eval(args[0], row) is None
    values = [ref_eval(arg, row) for arg in args]
    if name in {"AND", "OR"}:
        seen = []
        for v in values:
            if isinstance(v, Err):
                return v
            if isinstance(v, str):
                return VALUE
            if v is not None:
                seen.append(float(v) != 0)
        if not seen:
            return VALUE
        return all(seen) if name == "AND" else any(seen)
    if name == "NOT":
        cond = to_logical(values[0])
        return cond if isinstance(cond, Err) else not cond
    nums = numbers_of(values)
    if isinstance(nums, Err):
        return nums
    present = [n for n, v in zip(nums, values, strict=True) if v is not None]
    if name == "SUM":
        return finite(sum_in_order(nums))
    if name in {"MIN", "MAX"}:
        if not present:
            return 0.0
        return min(present) if name == "MIN" else max(present)
    if name == "AVERAGE":
        return finite(sum_in_order(nums) / len(present)) if present else DIV0
    if name == "MEDIAN":
        if not present:
            return NUM
        ordered = sorted(present)
        k = len(ordered)
        return finite((ordered[(k - 1) // 2] + ordered[k // 2]) / 2)
    if name in {"ROUND", "ROUNDUP", "ROUNDDOWN"}:
        mode = {"ROUND": "round", "ROUNDUP": "up", "ROUNDDOWN": "down"}[name]
        return ref_round(nums[0], nums[1], mode)
    x = nums[0]
    if name == "ABS":
        return abs(x)
    if name == "SQRT":
        return NUM if x < 0 else math.sqrt(x)
    if name == "LN":
        return NUM if x <= 0 else math.log(x)
    if name == "EXP":
        try:
            return finite(math.exp(x))
        except OverflowError:
            return NUM
    if name == "POWER":
        return ref_power(nums[0], nums[1])
    raise AssertionError(name)


def sum_in_order(nums: list[float]) -> float:
    total = nums[0]
    for n in nums[1:]:
        total += n
    return total


def ref_eval(node: Node, row: dict[str, Value]) -> Value:
    if isinstance(node, Number | String | Boolean):
        return node.value
    if isinstance(node, Variable):
        return row[node.name]
    if isinstance(node, Unary):
        inner = ref_eval(node.operand, row)
        if node.op == "+":
            return inner
        n = to_number(inner)
        if isinstance(n, Err):
            return n
        return -n if node.op == "-" else n / 100
    if isinstance(node, Binary):
        a = ref_eval(node.left, row)
        b = ref_eval(node.right, row)
        if node.op in {"+", "-", "*", "/", "^"}:
            x = to_number(a)
            if isinstance(x, Err):
                return x
            y = to_number(b)
            if isinstance(y, Err):
                return y
            if node.op == "/":
                return DIV0 if y == 0 else finite(x / y)
            if node.op == "^":
                return ref_power(x, y)
            return finite({"+": operator.add, "-": operator.sub, "*": operator.mul}[node.op](x, y))
        if isinstance(a, Err):
            return a
        if isinstance(b, Err):
            return b
        if node.op == "&":
            joined = excel_text(a) + excel_text(b)
            return VALUE if len(joined) > 32767 else joined
        return excel_compare(node.op, a, b)
    assert isinstance(node, Call)
    return ref_call(node.name, node.args, row)


def cell(v: Any) -> Value:
    """A raw input cell as the reference sees it."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, float) and math.isinf(v):
        return NUM
    if isinstance(v, bool | str):
        return v
    return float(v)


# -- strategies --------------------------------------------------------------------------------

NICE_NUMBERS = [0.0, 0.5, 1.0, 2.0, 2.5, 3.0, 10.0, 100.0, 0.1, 0.25, 1e-5, 1e20, 1e300]
numbers = st.one_of(
    st.sampled_from(NICE_NUMBERS),
    st.integers(0, 1000).map(float),
    st.floats(0, 1e6, allow_nan=False, allow_infinity=False),
)
short_text = st.text(alphabet=st.sampled_from('ab A"中文 '), max_size=4)


def number_leaf() -> st.SearchStrategy[Node]:
    return st.one_of(
        numbers.map(Number),
        st.booleans().map(Boolean),
        st.sampled_from(NAMES).map(Variable),
    )


ARITH = ["+", "-", "*", "/", "^"]
COMPARE = ["=", "<>", "<", "<=", ">", ">="]
AGGREGATES = ["MIN", "MAX", "SUM", "AVERAGE", "MEDIAN"]
UNARY_MATH = ["ABS", "SQRT", "LN", "EXP"]


def _digits(i: int) -> Node:
    return Number(float(i)) if i >= 0 else Unary("-", Number(float(-i)))


@st.composite
def num_expr(draw: st.DrawFn, depth: int = 4) -> Node:
    """An expression whose static type is never text (usable where a number is needed)."""
    if depth <= 0:
        return draw(number_leaf())
    choice = draw(st.integers(0, 12))
    d = depth - 1
    if choice == 0:
        return draw(number_leaf())
    if choice == 1:
        return Unary(draw(st.sampled_from(["-", "+", "%"])), draw(num_expr(d)))
    if choice == 2:
        return Binary(draw(st.sampled_from(ARITH)), draw(num_expr(d)), draw(num_expr(d)))
    if choice == 3:
        return Binary(draw(st.sampled_from(COMPARE)), draw(any_expr(d)), draw(any_expr(d)))
    if choice == 4:
        args = [draw(num_expr(d)), draw(num_expr(d))]
        if draw(st.booleans()):
            args.append(draw(num_expr(d)))
        return Call("IF", tuple(args))
    if choice == 5:
        pairs = draw(st.integers(1, 3))
        return Call("IFS", tuple(draw(num_expr(d)) for _ in range(pairs * 2)))
    if choice == 6:
        return Call("IFERROR", (draw(num_expr(d)), draw(num_expr(d))))
    if choice == 7:
        name = draw(st.sampled_from(["AND", "OR", "NOT"]))
        count = 1 if name == "NOT" else draw(st.integers(1, 3))
        return Call(name, tuple(draw(num_expr(d)) for _ in range(count)))
    if choice == 8:
        return Call("ISBLANK", (draw(any_expr(d)),))
    if choice == 9:
        name = draw(st.sampled_from(AGGREGATES))
        return Call(name, tuple(draw(num_expr(d)) for _ in range(draw(st.integers(1, 4)))))
    if choice == 10:
        name = draw(st.sampled_from(["ROUND", "ROUNDUP", "ROUNDDOWN"]))
        digits = draw(st.one_of(st.integers(-3, 4).map(_digits), num_expr(d)))
        return Call(name, (draw(num_expr(d)), digits))
    if choice == 11:
        return Call(draw(st.sampled_from(UNARY_MATH)), (draw(num_expr(d)),))
    return Call("POWER", (draw(num_expr(d)), draw(num_expr(d))))


@st.composite
def any_expr(draw: st.DrawFn, depth: int = 4) -> Node:
    """An expression of any type, text included."""
    choice = draw(st.integers(0, 4))
    d = depth - 1
    if depth <= 0 or choice == 0:
        return draw(st.one_of(number_leaf(), short_text.map(String)))
    if choice == 1:
        return draw(num_expr(depth))
    if choice == 2:
        return Binary("&", draw(any_expr(d)), draw(any_expr(d)))
    if choice == 3:
        return Call("IF", (draw(num_expr(d)), draw(any_expr(d)), draw(any_expr(d))))
    return Call("IFERROR", (draw(any_expr(d)), draw(any_expr(d))))


cell_values = st.one_of(
    st.none(),
    st.sampled_from([0.0, -1.0, 1.0, 2.0, 0.5, -0.5, 100.0, 1e308]),
    st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False),
    st.booleans(),
    short_text,
)
numeric_cells = st.one_of(
    st.just(math.nan), st.sampled_from([0.0, -2.0, 3.0, 1e200]), st.floats(-1e4, 1e4)
)


@st.composite
def tables(draw: st.DrawFn) -> tuple[dict[str, object], int]:
    """Input columns in every accepted shape: float arrays, mixed lists, scalars."""
    rows = draw(st.integers(1, 6))
    columns: dict[str, object] = {}
    for name in NAMES:
        shape = draw(st.sampled_from(["float", "mixed", "scalar"]))
        if shape == "float":
            columns[name] = np.array(draw(st.lists(numeric_cells, min_size=rows, max_size=rows)))
        elif shape == "mixed":
            columns[name] = draw(st.lists(cell_values, min_size=rows, max_size=rows))
        else:
            columns[name] = draw(cell_values)
    return columns, rows


# -- a syntax tree generator that ignores types (for printing and parsing) ----------------------

variable_names = st.text(
    alphabet=st.characters(blacklist_characters="[]\r\n", blacklist_categories=["Cs"]),
    min_size=1,
    max_size=6,
).filter(lambda s: s == s.strip() and s != "")
function_names = st.from_regex(r"[A-Z][A-Z0-9_.]{0,6}", fullmatch=True)
any_leaf: st.SearchStrategy[Node] = st.one_of(
    st.floats(0, None, allow_nan=False, allow_infinity=False).map(Number),
    st.text(max_size=5).map(String),
    st.booleans().map(Boolean),
    variable_names.map(Variable),
)
trees: st.SearchStrategy[Node] = st.recursive(
    any_leaf,
    lambda children: st.one_of(
        st.builds(Unary, st.sampled_from(["-", "+", "%"]), children),
        st.builds(Binary, st.sampled_from(ARITH + COMPARE + ["&"]), children, children),
        st.builds(Call, function_names, st.lists(children, max_size=3).map(tuple)),
    ),
    max_leaves=25,
)


# -- properties --------------------------------------------------------------------------------


def compile_generated(tree: Node, names: list[str] | None = None) -> Formula:
    """Compile a generated tree; trees printed longer than the documented limit are not tested."""
    source = to_source(tree)
    assume(len(source) <= MAX_LENGTH)
    return compile_formula(source, names)


@PROPERTY
@given(trees)
def test_print_parse_round_trip(tree: Node) -> None:
    source = to_source(tree)
    try:
        reparsed = parse(source)
    except FormulaError as err:  # only the documented limits may refuse a generated tree
        assert err.code in {"too_long", "too_deep", "too_complex"}, (source, err)
        return
    assert reparsed == tree, source
    assert to_source(reparsed) == source


@PROPERTY
@given(num_expr(), tables())
def test_vectorized_evaluation_matches_the_scalar_reference(
    tree: Node, table: tuple[dict[str, object], int]
) -> None:
    columns, rows = table
    formula = compile_generated(tree, NAMES)
    assert formula.tree == tree
    result = formula.evaluate(columns, rows)
    for i in range(rows):
        row = {name: cell(_row_value(columns[name], i)) for name in NAMES}
        expected = ref_eval(tree, row)
        assert_same_row(
            expected, result.values[i], result.numbers[i], result.errors[i], (to_source(tree), row)
        )


@PROPERTY
@given(any_expr(), tables())
def test_evaluation_with_text_matches_the_scalar_reference(
    tree: Node, table: tuple[dict[str, object], int]
) -> None:
    columns, rows = table
    result = compile_generated(tree, NAMES).evaluate(columns, rows)
    for i in range(rows):
        row = {name: cell(_row_value(columns[name], i)) for name in NAMES}
        expected = ref_eval(tree, row)
        assert_same_row(
            expected, result.values[i], result.numbers[i], result.errors[i], (to_source(tree), row)
        )


def _row_value(column: object, i: int) -> Any:
    if isinstance(column, np.ndarray):
        return float(column[i])
    if isinstance(column, list):
        return column[i]
    return column


def assert_same_row(
    expected: Value, value: Any, number: float, error: str | None, context: object
) -> None:
    if isinstance(expected, Err):
        assert error == expected.code, context
        return
    assert error is None, (error, expected, context)
    if expected is None:
        assert value is None or (isinstance(value, float) and math.isnan(value)), context
        assert math.isnan(number), context
    elif isinstance(expected, bool):
        assert value is expected, (value, expected, context)
        assert number == float(expected), context
    elif isinstance(expected, str):
        assert value == expected, (value, expected, context)
        assert math.isnan(number), context
    else:
        assert isinstance(value, float) and not isinstance(value, bool), (value, context)
        assert math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-300), (
            value,
            expected,
            context,
        )
        assert math.isclose(number, expected, rel_tol=1e-9, abs_tol=1e-300), context


FORMULA_PIECES = [
    "(", ")", ",", "+", "-", "*", "/", "^", "%", "&", "=", "<>", "<", ">=", " ",
    "1", "0", "2.5", "1e308", "85%", '"x"', '""', "[a]", "[b]", "[实际值]", "[",
    "IF", "IFS", "SUM", "ROUND", "MAX", "MEDIAN", "AND", "NOT", "LN", "POWER",
    "IFERROR", "ISBLANK", "TRUE", "FALSE", "foo", "（", '"',
]  # fmt: skip
garbage = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(FORMULA_PIECES), max_size=40).map("".join),
)


@PROPERTY
@given(garbage)
def test_garbage_only_raises_formula_error(source: str) -> None:
    try:
        formula = compile_formula(source)
    except FormulaError as err:
        assert err.code and err.message_zh and err.message_en
        return
    columns: dict[str, object] = {name: np.array([0.0, 1.0, np.nan]) for name in formula.variables}
    with contextlib.suppress(FormulaError):
        formula.evaluate(columns, rows=3)
    assert parse(to_source(formula.tree)) == formula.tree


@PROPERTY
@given(num_expr(depth=6), tables())
def test_generated_formulas_never_raise_while_evaluating(
    tree: Node, table: tuple[dict[str, object], int]
) -> None:
    columns, rows = table
    result = compile_generated(tree).evaluate(columns, rows)
    assert result.values.shape == result.numbers.shape == result.errors.shape == (rows,)
    assert result.numbers.dtype == np.float64
