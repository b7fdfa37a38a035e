"""Canonical source text for a syntax tree.

The output re-parses to an equal tree: parentheses appear exactly where precedence or
left-associativity needs them, function names are upper case, commas are followed by a space
and operators are written without spaces, as in the DOMAIN.md example
`IF([实际值]>=[目标值], 100, MAX(0, 100-([目标值]-[实际值])*5))`.
"""

from __future__ import annotations

from .errors import FormulaError
from .nodes import (
    BINARY_LEVELS,
    PERCENT_LEVEL,
    PREFIX_LEVEL,
    Binary,
    Boolean,
    Call,
    Node,
    Number,
    String,
    Unary,
    Variable,
    level,
)


def to_source(node: Node) -> str:
    """Print `node` as formula text (without a leading `=`)."""
    try:
        return _print(node)
    except RecursionError:
        # Only hand-built trees get this deep; parsed ones respect the limits.
        raise FormulaError(
            "too_deep", "公式层次过深，无法输出", "the formula is too deep to print"
        ) from None


def _print(node: Node) -> str:
    # One Python frame per tree level: parenthesize inline rather than through a helper.
    match node:
        case Number(value=value):
            return format_number_literal(value)
        case String(value=value):
            return '"' + value.replace('"', '""') + '"'
        case Boolean(value=value):
            return "TRUE" if value else "FALSE"
        case Variable(name=name):
            return f"[{name}]"
        case Unary(op="%", operand=operand):
            text = _print(operand)
            return (text if level(operand) >= PERCENT_LEVEL else f"({text})") + "%"
        case Unary(op=op, operand=operand):
            text = _print(operand)
            return op + (text if level(operand) >= PREFIX_LEVEL else f"({text})")
        case Binary(op=op, left=left, right=right):
            op_level = BINARY_LEVELS[op]
            left_text = _print(left)
            if level(left) < op_level:
                left_text = f"({left_text})"
            right_text = _print(right)
            if level(right) <= op_level:  # left-associative: an equal level needs parentheses
                right_text = f"({right_text})"
            return left_text + op + right_text
        case Call(name=name, args=args):
            return name + "(" + ", ".join(_print(arg) for arg in args) + ")"
    raise TypeError(f"not a formula node: {node!r}")


def format_number_literal(value: float) -> str:
    """Shortest text that reads back as exactly `value` (integers without a trailing `.0`)."""
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(float(value))
