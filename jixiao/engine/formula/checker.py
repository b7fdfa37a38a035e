"""Compile-time checks: known functions, argument counts, known variables, literal types.

Everything that is wrong whatever the data is reported here, once, with a position, rather
than as #VALUE! in every row. Values from variables are only known at evaluation time, so a
variable holding text where a number is needed is a per-row #VALUE!, not a compile error.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import Enum

from .catalog import SIGNATURES, Role
from .errors import FormulaError, closest
from .nodes import (
    ARITHMETIC_OPS,
    COMPARISON_OPS,
    Binary,
    Boolean,
    Call,
    Node,
    Number,
    String,
    Unary,
    Variable,
)
from .parser import stack_exhausted
from .printer import to_source


class StaticType(Enum):
    """What a sub-expression can produce, as far as the text alone tells."""

    NUMBER = "number"
    TEXT = "text"
    LOGICAL = "logical"
    ANY = "any"


def _join(*types: StaticType) -> StaticType:
    first = types[0]
    return first if all(t is first for t in types) else StaticType.ANY


class _Checker:
    def __init__(self, known: Collection[str] | None) -> None:
        self.known = None if known is None else frozenset(known)
        self.problems: list[FormulaError] = []
        self.variables: set[str] = set()

    def infer(self, node: Node) -> StaticType:
        match node:
            case Number():
                return StaticType.NUMBER
            case String():
                return StaticType.TEXT
            case Boolean():
                return StaticType.LOGICAL
            case Variable(name=name):
                self.variable(node, name)
                return StaticType.ANY
            case Unary(op="+", operand=operand):
                # Excel's unary plus returns its operand unchanged, text included.
                return self.infer(operand)
            case Unary(op=op, operand=operand):
                self.expect(operand, self.infer(operand), Role.NUMBER, _operator_context(op))
                return StaticType.NUMBER
            case Binary(op=op, left=left, right=right):
                left_type = self.infer(left)
                right_type = self.infer(right)
                if op in ARITHMETIC_OPS:
                    self.expect(left, left_type, Role.NUMBER, _operator_context(op))
                    self.expect(right, right_type, Role.NUMBER, _operator_context(op))
                    return StaticType.NUMBER
                if op in COMPARISON_OPS:
                    return StaticType.LOGICAL
                return StaticType.TEXT
            case Call():
                return self.call(node)
        raise TypeError(f"not a formula node: {node!r}")

    def call(self, node: Call) -> StaticType:
        arg_types = [self.infer(arg) for arg in node.args]
        signature = SIGNATURES.get(node.name)
        if signature is None:
            suggestion = closest(node.name, SIGNATURES)
            if suggestion:
                zh, en = f"，您是否想写 {suggestion}？", f"; did you mean {suggestion}?"
            else:
                names = ", ".join(SIGNATURES)
                zh, en = f"。支持的函数：{names}", f"; supported functions: {names}"
            self.problems.append(
                FormulaError(
                    "unknown_function",
                    f"未知函数 {node.name}{zh}",
                    f"unknown function {node.name}{en}",
                    node.position,
                    suggestion,
                )
            )
            return StaticType.ANY
        count = len(node.args)
        if not signature.arity_ok(count):
            zh, en = signature.arity_text()
            # "需要 2 个参数" but "需要至少 2 个参数": a space only before a digit.
            needs = f"需要 {zh}" if zh[0].isdigit() else f"需要{zh}"
            self.problems.append(
                FormulaError(
                    "wrong_argument_count",
                    f"函数 {node.name} {needs}，实际有 {count} 个",
                    f"{node.name} takes {en}, got {count}",
                    node.position,
                )
            )
            return StaticType.ANY
        for index, (arg, arg_type) in enumerate(zip(node.args, arg_types, strict=True)):
            context = (
                f"函数 {node.name} 的第 {index + 1} 个参数",
                f"argument {index + 1} of {node.name}",
            )
            self.expect(arg, arg_type, signature.role(index), context)
        if node.name == "IF":
            return _join(arg_types[1], arg_types[2] if count == 3 else StaticType.LOGICAL)
        if node.name == "IFS":
            return _join(*arg_types[1::2])
        if node.name == "IFERROR":
            return _join(arg_types[0], arg_types[1])
        if node.name in {"AND", "OR", "NOT", "ISBLANK"}:
            return StaticType.LOGICAL
        return StaticType.NUMBER

    def expect(self, node: Node, actual: StaticType, role: Role, context: tuple[str, str]) -> None:
        """Report text where a number or a logical value is needed."""
        if actual is not StaticType.TEXT or role is Role.ANY:
            return
        what_zh, what_en = "数值", "a number"
        if role is Role.LOGICAL:
            what_zh, what_en = (
                "逻辑值（TRUE/FALSE）或数值",
                "a logical value (TRUE/FALSE) or a number",
            )
        shown = to_source(node) if isinstance(node, String) and len(node.value) <= 20 else "文本"
        shown_en = to_source(node) if isinstance(node, String) and len(node.value) <= 20 else "text"
        self.problems.append(
            FormulaError(
                "expected_number",
                f"{context[0]}需要{what_zh}，这里是{shown}",
                f"{context[1]} needs {what_en}, but this is {shown_en}",
                node.position,
            )
        )

    def variable(self, node: Node, name: str) -> None:
        self.variables.add(name)
        if self.known is None or name in self.known:
            return
        suggestion = closest(name, self.known)
        if suggestion is not None:
            zh, en = f"，您是否想写 [{suggestion}]？", f"; did you mean [{suggestion}]?"
        elif self.known:
            listed = sorted(self.known)[:10]
            more = "…" if len(self.known) > 10 else ""
            zh = "。可用的变量：" + "、".join(f"[{v}]" for v in listed) + more
            en = "; known variables: " + ", ".join(f"[{v}]" for v in listed) + more
        else:
            zh, en = "。此处没有可用的变量", "; no variables are available here"
        self.problems.append(
            FormulaError(
                "unknown_variable",
                f"未知变量 [{name}]{zh}",
                f"unknown variable [{name}]{en}",
                node.position,
                suggestion,
            )
        )


def _operator_context(op: str) -> tuple[str, str]:
    if op == "%":
        return "百分号“%”", "the percent sign '%'"
    return f"运算符“{op}”", f"the operator '{op}'"


def check(tree: Node, variables: Collection[str] | None) -> tuple[frozenset[str], StaticType]:
    """Validate a parsed tree; return the variable names it uses and its static type.

    When several problems exist, the one nearest the start of the text is raised.
    """
    checker = _Checker(variables)
    try:
        result_type = checker.infer(tree)
    except RecursionError:
        raise stack_exhausted() from None
    if checker.problems:
        raise min(checker.problems, key=lambda e: e.position or 0)
    return frozenset(checker.variables), result_type
