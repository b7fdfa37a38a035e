"""Unit tests of the formula language: syntax, semantics, errors and limits."""

from __future__ import annotations

import math
import pickle
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from jixiao.engine.formula import (
    MAX_LENGTH,
    MAX_NESTING,
    MAX_TREE_DEPTH,
    Binary,
    Call,
    FormulaError,
    Number,
    Unary,
    Variable,
    compile_formula,
    parse,
    to_source,
)
from jixiao.engine.formula.bench import BENCH_SOURCE, bench_formula

DOMAIN_EXAMPLE = "IF([实际值]>=[目标值], 100, MAX(0, 100-([目标值]-[实际值])*5))"


def rows_of(source: str, **columns: Any) -> list[Any]:
    """Per-row results: the error code, None for blank, else the Python value."""
    result = compile_formula(source).evaluate(columns, None if columns else 1)
    out: list[Any] = []
    for value, err in zip(result.values.tolist(), result.errors.tolist(), strict=True):
        if err is not None:
            out.append(err)
        elif isinstance(value, float) and math.isnan(value):
            out.append(None)
        else:
            out.append(value)
    return out


def one(source: str, **columns: Any) -> Any:
    return rows_of(source, **columns)[0]


def same(actual: object, expected: object) -> bool:
    """Equal, with floats compared to 1e-12 and bools kept apart from numbers."""
    if type(actual) is not type(expected):
        return False
    if isinstance(expected, float):
        return actual == pytest.approx(expected, rel=1e-12, abs=1e-300)
    return actual == expected


def fails(source: str, variables: list[str] | None = None) -> FormulaError:
    with pytest.raises(FormulaError) as info:
        compile_formula(source, variables)
    return info.value


# -- precedence and literals ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("-2^2", 4.0),
        ("2^3^2", 64.0),
        ("2^(3^2)", 512.0),
        ("1+2*3", 7.0),
        ("(1+2)*3", 9.0),
        ("2*3^2", 18.0),
        ("1-2-3", -4.0),
        ("8/4/2", 1.0),
        ("2^-1", 0.5),
        ("-2^-2", 0.25),
        ("10%^2", 0.01),
        ("-50%", -0.5),
        ("2*3%", 0.06),
        ("85%", 0.85),
        ("200%%", 0.02),
        ("--3", 3.0),
        ("+-3", -3.0),
        ("1e3+.5", 1000.5),
        ("1.5E-2", 0.015),
        ("1+2=3", True),
        ("1+2<>3", False),
        ("2*3>5", True),
        ("1<2<3", False),  # (1<2)=TRUE and TRUE is greater than every number, as in Excel
        ("1<2=TRUE", True),
        ("3>=3", True),
        ("3<=2", False),
        ("1&2+3", "15"),
        ("1+1&1=11", False),  # & binds tighter than =: "21"="11"
        ("=1+1", 2.0),  # a leading = as typed in Excel
        ("  1 +\n 2 ", 3.0),
        ("TRUE", True),
        ("false", False),
        ("TRUE+TRUE", 2.0),
    ],
)
def test_precedence_and_literals(source: str, expected: object) -> None:
    assert same(one(source), expected)


def test_percent_of_a_variable() -> None:
    assert rows_of("[rate]%", rate=np.array([50.0, 5.0])) == [0.5, 0.05]


def test_domain_example() -> None:
    formula = compile_formula(DOMAIN_EXAMPLE, ["实际值", "目标值"])
    assert formula.variables == frozenset({"实际值", "目标值"})
    result = formula.evaluate(
        {"实际值": np.array([120.0, 100.0, 95.0, 70.0, 0.0]), "目标值": 100.0}
    )
    assert result.values.dtype == np.float64
    assert result.values.tolist() == [100.0, 100.0, 75.0, 0.0, 0.0]
    assert to_source(formula.tree) == DOMAIN_EXAMPLE


# -- text -----------------------------------------------------------------------------------


def test_strings_and_escaped_quotes() -> None:
    assert one('"他说""好"""') == '他说"好"'
    assert one('"得分："&95') == "得分：95"
    assert one('1&TRUE&"x"') == "1TRUEx"
    assert one('0.1+0.2&""') == "0.3"
    assert one('1/3&""') == "0.333333333333333"
    assert one('1E+20&""') == "1E+20"
    assert one('-0&""') == "0"
    assert one('[a]&"!"', a=[None]) == "!"


def test_text_comparisons_follow_excel() -> None:
    assert one('"abc"="ABC"') is True
    assert one('"b">"a"') is True
    assert one('1<"a"') is True  # numbers sort before text
    assert one('"a"<TRUE') is True  # text sorts before logical values
    assert one("[s]>5", s=["x"]) is True
    assert one('[a]=""', a=[None]) is True
    assert one("[a]=0", a=[None]) is True
    assert one("[a]=FALSE", a=[None]) is True
    assert one("[a]=[b]", a=[None], b=[None]) is True


def test_text_where_a_number_is_needed_is_a_row_error() -> None:
    assert rows_of("[s]+1", s=["x", 2.0, None]) == ["#VALUE!", 3.0, 1.0]
    assert rows_of("-[s]", s=["x", 2]) == ["#VALUE!", -2.0]
    assert rows_of("SUM([s], 1)", s=["x", 2]) == ["#VALUE!", 3.0]
    assert rows_of("IF([s], 1, 2)", s=["x", 0]) == ["#VALUE!", 2.0]


def test_string_literal_in_arithmetic_is_a_compile_error() -> None:
    for source, position in [
        ('"a"+1', 1),
        ('1+"a"', 3),
        ('-"a"', 2),
        ('"5"%', 1),
        ('SUM(1, "a")', 8),
        ('IF("yes", 1, 2)', 4),
        ('ROUND(("a"&"b"), 0)', 8),
        ('1*IF(TRUE, "a", "b")', 3),
    ]:
        err = fails(source)
        assert err.code == "expected_number", source
        assert err.position == position, source
    assert "需要数值" in fails('"a"+1').message_zh
    assert "needs a number" in fails('"a"+1').message_en


def test_text_is_fine_where_any_value_goes() -> None:
    assert one('IF(1>0, "优秀", "合格")') == "优秀"
    assert one('+"a"') == "a"  # Excel's unary plus leaves its operand alone
    assert one('ISBLANK("")') is False
    assert one('IFERROR(1/0, "无")') == "无"


# -- blanks -----------------------------------------------------------------------------------


def test_blank_counts_as_zero_in_arithmetic() -> None:
    a = np.array([np.nan, 2.0])
    assert rows_of("[a]+1", a=a) == [1.0, 3.0]
    assert rows_of("[a]*2", a=a) == [0.0, 4.0]
    assert rows_of("[a]/2", a=[None, 4]) == [0.0, 2.0]
    assert rows_of("1/[a]", a=a) == ["#DIV/0!", 0.5]


def test_blank_passes_through_unchanged() -> None:
    result = compile_formula("[a]").evaluate({"a": np.array([np.nan, 1.0])})
    assert result.values.dtype == np.float64
    assert math.isnan(result.values[0]) and result.errors[0] is None
    assert rows_of("IF(TRUE, [a], 1)", a=[None]) == [None]
    assert rows_of('IF([a]>0, "x", [a])', a=[None, 1]) == [None, "x"]


def test_isblank() -> None:
    assert rows_of("ISBLANK([a])", a=[None, 0, "", False, math.nan]) == [
        True,
        False,
        False,
        False,
        True,
    ]
    assert one("ISBLANK(1/0)") is False
    assert one("ISBLANK(0)") is False


def test_aggregates_skip_blanks() -> None:
    blank = [None]
    assert one("SUM([a])", a=blank) == 0.0
    assert one("SUM([a], 2, 3)", a=blank) == 5.0
    assert one("AVERAGE([a], 4)", a=blank) == 4.0
    assert one("AVERAGE([a])", a=blank) == "#DIV/0!"
    assert one("MIN([a])", a=blank) == 0.0
    assert one("MAX([a], -5)", a=blank) == -5.0
    assert one("MIN([a], 5)", a=blank) == 5.0
    assert one("MEDIAN([a], 1, 3)", a=blank) == 2.0
    assert one("MEDIAN([a])", a=blank) == "#NUM!"
    assert one("AND([a])", a=blank) == "#VALUE!"
    assert one("AND([a], TRUE)", a=blank) is True
    assert one("OR([a], FALSE)", a=blank) is False
    assert one("NOT([a])", a=blank) is True


# -- functions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("IF(1, 2, 3)", 2.0),
        ("IF(0, 2, 3)", 3.0),
        ("IF(FALSE, 2)", False),
        ("if(true, 1, 2)", 1.0),
        ("IFS(FALSE, 1, TRUE, 2)", 2.0),
        ("IFS(1>2, 1, 2>3, 2)", "#N/A"),
        ("IFS(1/0, 1, TRUE, 2)", "#DIV/0!"),
        ("IFS(TRUE, 1, 1/0, 2)", 1.0),
        ("IFERROR(1/0, 7)", 7.0),
        ("IFERROR(5, 7)", 5.0),
        ("IFERROR(SQRT(-1), -1)", -1.0),
        ("AND(TRUE, 1, 2>1)", True),
        ("AND(TRUE, 0)", False),
        ("OR(FALSE, 0, 3)", True),
        ("OR(FALSE, 0)", False),
        ("AND(1/0, FALSE)", "#DIV/0!"),
        ("NOT(TRUE)", False),
        ("NOT(0)", True),
        ("MIN(3, 1, 2)", 1.0),
        ("MAX(3, 1, 2)", 3.0),
        ("MAX(-1, TRUE)", 1.0),
        ("SUM(1, 2, 3.5)", 6.5),
        ("SUM(TRUE, TRUE)", 2.0),
        ("AVERAGE(1, 2, 3, 4)", 2.5),
        ("MEDIAN(5, 1, 3)", 3.0),
        ("MEDIAN(4, 1, 3, 2)", 2.5),
        ("ROUND(2.5, 0)", 3.0),
        ("ROUND(-2.5, 0)", -3.0),
        ("ROUND(2.675, 2)", 2.68),
        ("ROUND(1.005, 2)", 1.01),
        ("ROUND(1234.5678, -2)", 1200.0),
        ("ROUND(1250, -2)", 1300.0),
        ("ROUND(1.25, 1.9)", 1.3),  # digits are truncated, as in Excel
        ("ROUND(0.5, 0)", 1.0),
        ("ROUND(123, 400)", 123.0),
        ("ROUND(123, -400)", 0.0),
        ("ROUNDUP(3.2, 0)", 4.0),
        ("ROUNDUP(-3.2, 0)", -4.0),
        ("ROUNDUP(0.1+0.2, 1)", 0.3),
        ("ROUNDUP(1201, -2)", 1300.0),
        ("ROUNDUP(3, 0)", 3.0),
        ("ROUNDUP(0.5, -309)", "#NUM!"),  # one unit of 10^309 is beyond the largest number
        ("ROUNDUP(1E-300, -308)", 1e308),
        ("ROUNDDOWN(0.5, -309)", 0.0),
        ("ROUNDDOWN(3.9, 0)", 3.0),
        ("ROUNDDOWN(-3.9, 0)", -3.0),
        ("ROUNDDOWN(1299, -2)", 1200.0),
        ("ROUNDDOWN(0.3, 1)", 0.3),
        ("ABS(-4)", 4.0),
        ("SQRT(16)", 4.0),
        ("SQRT(-1)", "#NUM!"),
        ("POWER(2, 10)", 1024.0),
        ("POWER(10, 400)", "#NUM!"),
        ("POWER(0, 0)", "#NUM!"),
        ("10^400", "#NUM!"),
        ("0^0", "#NUM!"),
        ("0^-1", "#DIV/0!"),
        ("(-8)^(1/3)", "#NUM!"),
        ("(-2)^3", -8.0),
        ("LN(EXP(1))", 1.0),
        ("LN(0)", "#NUM!"),
        ("LN(-1)", "#NUM!"),
        ("EXP(0)", 1.0),
        ("EXP(1000)", "#NUM!"),
        ("1E308*10", "#NUM!"),
        ("SUM(1E308, 1E308)", "#NUM!"),
    ],
)
def test_functions(source: str, expected: object) -> None:
    assert same(one(source), expected)


def test_function_names_are_case_insensitive_and_printed_upper() -> None:
    assert to_source(parse("sum(1,2)+Max(3 , 4)")) == "SUM(1, 2)+MAX(3, 4)"


# -- errors per row ---------------------------------------------------------------------------


def test_division_by_zero_is_isolated_to_its_row() -> None:
    columns = {"a": np.array([1.0, 2.0, 3.0]), "b": np.array([1.0, 0.0, 2.0])}
    result = compile_formula("[a]/[b]").evaluate(columns)
    assert result.errors.tolist() == [None, "#DIV/0!", None]
    assert result.values[0] == 1.0 and result.values[2] == 1.5
    assert math.isnan(result.values[1]) and math.isnan(result.numbers[1])
    assert result.ok.tolist() == [True, False, True]
    assert rows_of("IFERROR([a]/[b], 0)", **columns) == [1.0, 0.0, 1.5]
    # Errors travel through operators and functions.
    assert rows_of("([a]/[b])+1", **columns) == [2.0, "#DIV/0!", 2.5]
    assert rows_of("MAX([a]/[b], 1)", **columns) == [1.0, "#DIV/0!", 1.5]
    assert rows_of("ROUND([a]/[b], 0)", **columns) == [1.0, "#DIV/0!", 2.0]
    assert rows_of("[a]/[b]>0", **columns) == [True, "#DIV/0!", True]
    assert rows_of('[a]/[b]&""', **columns) == ["1", "#DIV/0!", "1.5"]


def test_if_does_not_leak_errors_from_the_branch_not_taken() -> None:
    columns = {"a": np.array([1.0, 2.0]), "b": np.array([0.0, 4.0])}
    assert rows_of("IF([b]=0, 0, [a]/[b])", **columns) == [0.0, 0.5]
    assert rows_of("IF([b]<>0, [a]/[b], -1)", **columns) == [-1.0, 0.5]
    assert rows_of("IF([a]>1, SQRT(-[a]), LN([a]))", **columns) == [0.0, "#NUM!"]
    assert rows_of("IFS([b]=0, 0, TRUE, [a]/[b])", **columns) == [0.0, 0.5]


def test_left_operand_error_wins() -> None:
    assert rows_of("[s]+1/0", s=["x"]) == ["#VALUE!"]
    assert rows_of("1/0+[s]", s=["x"]) == ["#DIV/0!"]
    assert one("SUM(SQRT(-1), 1/0)") == "#NUM!"


# -- error messages ---------------------------------------------------------------------------


def test_unknown_variable_names_the_closest() -> None:
    err = fails("100-[实际]*2", ["实际值", "目标值"])
    assert err.code == "unknown_variable"
    assert err.position == 5
    assert err.suggestion == "实际值"
    assert "[实际值]" in err.message_zh and "[实际值]" in err.message_en
    assert str(err) == f"{err.message_zh} / {err.message_en}"
    assert "第 5 个字符" in str(err) and "Column 5" in str(err)
    assert fails("[Target]", ["target"]).suggestion == "target"
    far = fails("[zzz]", ["实际值"])
    assert far.suggestion is None and "[实际值]" in far.message_zh


def test_variables_are_only_checked_when_given() -> None:
    assert compile_formula("[任意]+1").variables == frozenset({"任意"})


def test_unknown_function_names_the_closest() -> None:
    err = fails("1+SUMM(1, 2)")
    assert (err.code, err.position, err.suggestion) == ("unknown_function", 3, "SUM")
    assert "SUM" in err.message_en
    assert fails("VLOOKUP(1, 2, 3)").code == "unknown_function"


@pytest.mark.parametrize(
    ("source", "position", "words"),
    [
        ("IF(1)", 1, "2 to 3 arguments"),
        ("1+IF(1, 2, 3, 4)", 3, "2 to 3 arguments"),
        ("IFS(TRUE, 1, FALSE)", 1, "pairs"),
        ("ROUND(1.5)", 1, "2 arguments"),
        ("NOT(1, 2)", 1, "1 argument"),
        ("SUM()", 1, "at least 1 argument"),
    ],
)
def test_wrong_number_of_arguments(source: str, position: int, words: str) -> None:
    err = fails(source)
    assert err.code == "wrong_argument_count"
    assert err.position == position
    assert words in err.message_en
    assert "参数" in err.message_zh


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("ROUND(1.5)", "函数 ROUND 需要 2 个参数，实际有 1 个"),
        ("IF(1)", "函数 IF 需要 2 到 3 个参数，实际有 1 个"),
        ("SUM()", "函数 SUM 需要至少 1 个参数，实际有 0 个"),
        ("IFS(TRUE, 1, FALSE)", "函数 IFS 需要成对的参数（条件, 值, 条件, 值, …），实际有 3 个"),
    ],
)
def test_argument_count_reads_well_in_chinese(source: str, message: str) -> None:
    """A space separates a number from the Chinese around it (需要 2 个), not 需要2 个."""
    assert fails(source).message_zh.endswith("：" + message)


@pytest.mark.parametrize(
    ("source", "code", "position"),
    [
        ("(1+2", "unbalanced_parenthesis", 1),
        ("1+2)", "unbalanced_parenthesis", 4),
        ("MAX(1, (2+3)", "unbalanced_parenthesis", 4),
        ("((1)", "unbalanced_parenthesis", 1),
        ("1 2", "unexpected_token", 3),
        ("(1 2)", "unexpected_token", 4),
        ("IF(1,,2)", "unexpected_token", 6),
        ("1+", "unexpected_end", 3),
        ("1+*2", "unexpected_token", 3),
        ("()", "unexpected_token", 2),
        ("", "empty", None),
        ("   ", "empty", None),
        ("=", "empty", None),
        ('"abc', "unclosed_string", 1),
        ("1+[实际值", "unclosed_variable", 3),
        ("[]", "empty_variable", 1),
        ("[ ]+1", "empty_variable", 1),
        ("实际值+1", "bare_name", 1),
        ("abc", "bare_name", 1),
        ("（1+2）", "unexpected_character", 1),
        ("1，2", "unexpected_character", 2),
        ("SUM(1;2)", "unexpected_character", 6),
        ("SUM(A1:A3)", "unexpected_character", 7),
        ("'a'", "unexpected_character", 1),
        ("1 # 2", "unexpected_character", 3),
        ("1e400", "bad_number", 1),
        ("__import__('os')", "unexpected_character", 12),
    ],
)
def test_syntax_errors_name_the_position(source: str, code: str, position: int | None) -> None:
    err = fails(source)
    assert (err.code, err.position) == (code, position), str(err)
    assert err.message_zh and err.message_en


def test_full_width_characters_get_a_hint() -> None:
    err = fails("（1+2）")
    assert "半角" in err.message_zh and "'('" in err.message_en


def test_bare_name_suggests_brackets() -> None:
    assert "[实际值]" in fails("实际值+1").message_zh


def test_formula_error_is_a_value_error_and_pickles() -> None:
    err = fails("[实际]", ["实际值"])
    assert isinstance(err, ValueError)
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.code, copy.position, copy.suggestion, str(copy)) == (
        err.code,
        err.position,
        err.suggestion,
        str(err),
    )


# -- limits -----------------------------------------------------------------------------------


def test_length_limit() -> None:
    ok = "1" + "+1" * ((MAX_LENGTH - 1) // 2)
    assert len(ok) <= MAX_LENGTH
    source = "[a]+" + " " * (MAX_LENGTH - 4) + "1"
    assert len(source) == MAX_LENGTH + 1
    err = fails(source)
    assert err.code == "too_long" and "2001" in err.message_zh


def test_nesting_limit() -> None:
    deep = "(" * MAX_NESTING + "1" + ")" * MAX_NESTING
    assert one(deep) == 1.0
    err = fails("(" * (MAX_NESTING + 1) + "1" + ")" * (MAX_NESTING + 1))
    assert err.code == "too_deep" and err.position == MAX_NESTING + 1
    assert fails("-" * (MAX_NESTING + 1) + "1").code == "too_deep"
    assert fails("ABS(" * (MAX_NESTING + 1) + "1" + ")" * (MAX_NESTING + 1)).code == "too_deep"


def test_tree_depth_and_node_limits() -> None:
    chain = "+".join(["1"] * MAX_TREE_DEPTH)
    assert one(chain) == float(MAX_TREE_DEPTH)
    assert fails("+".join(["1"] * (MAX_TREE_DEPTH + 2))).code == "too_deep"
    # Short chains side by side stay shallow but can still hold too many nodes.
    wide = "SUM(" + ", ".join(["+".join(["1"] * 200)] * 3) + ")"
    assert len(wide) <= MAX_LENGTH
    assert fails(wide).code == "too_complex"


def test_worst_case_inputs_within_the_limits_are_fast_and_safe() -> None:
    """Deep nesting works even when the caller already uses a good part of the stack."""
    deep = "ABS(" * MAX_NESTING + "1" + ")" * MAX_NESTING
    climb = "1=1&1+1*1^-(" * (MAX_NESTING // 2) + "1" + ")" * (MAX_NESTING // 2)
    chain = "^".join(["2"] * MAX_TREE_DEPTH)

    def nested(depth: int) -> list[Any]:
        if depth:
            return nested(depth - 1)
        return [one(deep), one(climb), one(chain), to_source(parse(climb))]

    results = nested(150)
    assert results[0] == 1.0
    assert results[2] == "#NUM!"
    assert parse(results[3]) == parse(climb)


# -- printer ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "canonical"),
    [
        ("1+(2+3)", "1+(2+3)"),
        ("(1+2)+3", "1+2+3"),
        ("-(2^2)", "-(2^2)"),
        ("(-2)^2", "-2^2"),
        ("2^(3^2)", "2^(3^2)"),
        ("(2^3)^2", "2^3^2"),
        ("-(5%)", "-(5%)"),
        ("(-5)%", "-5%"),
        ("(1=2)=(3=4)", "1=2=(3=4)"),
        ("(1&2)&(3&4)", "1&2&(3&4)"),
        ("1 - - 1", "1--1"),
        ('if( [a] >= 1 , "x""y" , 0.50 )', 'IF([a]>=1, "x""y", 0.5)'),
        ("[ 实际值 ]*1e20", "[实际值]*1e+20"),
        ("100000000000000000000", "1e+20"),
        ("0.1", "0.1"),
        ("3.0", "3"),
    ],
)
def test_canonical_source(source: str, canonical: str) -> None:
    tree = parse(source)
    assert to_source(tree) == canonical
    assert parse(canonical) == tree


def test_tree_shape() -> None:
    assert parse("-[a]^2%") == Binary("^", Unary("-", Variable("a")), Unary("%", Number(2.0)))
    assert parse("max(1)") == Call("MAX", (Number(1.0),))
    # Positions are not part of equality but are kept for messages.
    assert parse("1 + [x]").right.position == 5  # type: ignore[union-attr]


# -- input columns ----------------------------------------------------------------------------


def test_column_kinds() -> None:
    formula = compile_formula("[a]+[b]")
    assert formula.evaluate(
        {"a": np.array([1, 2]), "b": np.array([True, False])}
    ).values.tolist() == [2.0, 2.0]
    assert formula.evaluate({"a": [Decimal("1.5"), np.float32(2)], "b": 1}).values.tolist() == [
        2.5,
        3.0,
    ]
    assert formula.evaluate({"a": (1, None), "b": np.int64(3)}).values.tolist() == [4.0, 3.0]
    text = compile_formula("[s]&[n]").evaluate({"s": np.array(["a", "b"]), "n": [1, True]})
    assert text.values.tolist() == ["a1", "bTRUE"]
    inf = compile_formula("[a]*0").evaluate({"a": np.array([np.inf, 1.0])})
    assert inf.errors.tolist() == ["#NUM!", None]


def test_result_arrays() -> None:
    numeric = compile_formula("[a]*2").evaluate({"a": np.array([1.0, np.nan])})
    assert numeric.values.dtype == np.float64 and numeric.numbers.dtype == np.float64
    assert numeric.errors.dtype == object
    mixed = compile_formula('IF([a]>1, "高", [a]>0)').evaluate({"a": [2, 1, None, "x"]})
    assert mixed.values.dtype == object
    assert mixed.values.tolist() == ["高", True, False, "高"]
    assert np.isnan(mixed.numbers[0]) and mixed.numbers[1] == 1.0 and mixed.numbers[2] == 0.0
    errs = compile_formula("IF([a], 1/0, TRUE)").evaluate({"a": [1, 0]})
    assert errs.values.tolist() == ["#DIV/0!", True]
    assert errs.errors.tolist() == ["#DIV/0!", None]


def test_scalars_rows_and_lengths() -> None:
    assert compile_formula("[a]+1").evaluate({"a": 2}, rows=3).values.tolist() == [3.0] * 3
    assert compile_formula("1+1").evaluate({}, rows=2).values.tolist() == [2.0, 2.0]
    assert compile_formula("1+1").evaluate({"x": [1, 2, 3]}).values.tolist() == [2.0] * 3
    assert compile_formula("[a]").evaluate({"a": np.array([])}).values.shape == (0,)
    cases: list[tuple[dict[str, object], int | None]] = [
        ({"a": [1, 2], "b": [1, 2, 3]}, None),
        ({"a": [1, 2], "b": 1}, 3),
        ({"a": 1, "b": 2}, None),
        ({"a": 1, "b": 2}, -1),
    ]
    for columns, rows in cases:
        with pytest.raises(FormulaError) as info:
            compile_formula("[a]+[b]").evaluate(columns, rows)
        assert info.value.code == "row_count"


def test_missing_and_bad_columns() -> None:
    formula = compile_formula("[a]+[b]+[c]")
    with pytest.raises(FormulaError) as info:
        formula.evaluate({"a": [1]})
    assert info.value.code == "missing_variable"
    assert "[b]" in info.value.message_zh and "[c]" in info.value.message_en
    with pytest.raises(FormulaError) as info:
        compile_formula("[a]").evaluate({"a": np.zeros((2, 2))})
    assert info.value.code == "bad_column"
    with pytest.raises(FormulaError) as info:
        compile_formula("[a]").evaluate({"a": [1, object()]})
    assert info.value.code == "bad_value" and "2" in info.value.message_en


def test_inputs_are_not_modified() -> None:
    a = np.array([np.nan, np.inf, 1.0])
    before = a.copy()
    compile_formula("IF([a]>0, [a], -[a])").evaluate({"a": a})
    np.testing.assert_array_equal(a, before)


def test_no_python_evaluation_happens() -> None:
    for source in ['__import__("os").system("true")', "exec(1)", "EVAL(1)", "lambda: 1"]:
        with pytest.raises(FormulaError):
            compile_formula(source)


def test_benchmark_runs() -> None:
    assert compile_formula(BENCH_SOURCE).variables == frozenset({"a", "b", "c"})
    assert 0 < bench_formula(rows=1000, repeat=1) < 5
