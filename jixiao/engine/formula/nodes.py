"""The typed syntax tree, and the operator precedence shared by the parser and the printer.

Nodes are frozen dataclasses so trees can be compared, hashed and stored. `position` (the
1-based column of the node's first character) is excluded from equality: a tree printed and
parsed again is equal to the original even though its columns moved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final


@dataclass(frozen=True, slots=True)
class Number:
    """A non-negative numeric literal; signs are `Unary` nodes, as in Excel."""

    value: float
    position: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class String:
    """A quoted text literal (`"..."`, with `""` standing for one quote)."""

    value: str
    position: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Boolean:
    """TRUE or FALSE."""

    value: bool
    position: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Variable:
    """A bracketed input name such as `[实际值]`; the name excludes brackets and outer spaces."""

    name: str
    position: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Unary:
    """Prefix `-` or `+`, or postfix `%` (divide by 100)."""

    op: str
    operand: Node
    position: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Binary:
    """An infix operator: arithmetic, `&` or a comparison."""

    op: str
    left: Node
    right: Node
    position: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Call:
    """A function call; `name` is upper case whatever the user typed."""

    name: str
    args: tuple[Node, ...]
    position: int = field(default=0, compare=False, repr=False)


type Node = Number | String | Boolean | Variable | Unary | Binary | Call

# Binding strength, loosest first (Excel's order). All binary operators are left-associative,
# `^` included; prefix signs bind tighter than `%`, which binds tighter than `^`, so `-2^2` is 4.
COMPARISON_LEVEL: Final = 1
CONCAT_LEVEL: Final = 2
ADDITIVE_LEVEL: Final = 3
MULTIPLICATIVE_LEVEL: Final = 4
POWER_LEVEL: Final = 5
PERCENT_LEVEL: Final = 6
PREFIX_LEVEL: Final = 7
ATOM_LEVEL: Final = 8

BINARY_LEVELS: Final[dict[str, int]] = {
    "=": COMPARISON_LEVEL,
    "<>": COMPARISON_LEVEL,
    "<": COMPARISON_LEVEL,
    "<=": COMPARISON_LEVEL,
    ">": COMPARISON_LEVEL,
    ">=": COMPARISON_LEVEL,
    "&": CONCAT_LEVEL,
    "+": ADDITIVE_LEVEL,
    "-": ADDITIVE_LEVEL,
    "*": MULTIPLICATIVE_LEVEL,
    "/": MULTIPLICATIVE_LEVEL,
    "^": POWER_LEVEL,
}
PREFIX_OPS: Final = frozenset({"-", "+"})
POSTFIX_OPS: Final = frozenset({"%"})
COMPARISON_OPS: Final = frozenset(op for op, lv in BINARY_LEVELS.items() if lv == COMPARISON_LEVEL)
ARITHMETIC_OPS: Final = frozenset({"+", "-", "*", "/", "^"})


def level(node: Node) -> int:
    """How tightly a node binds, to decide where the printer needs parentheses."""
    if isinstance(node, Binary):
        return BINARY_LEVELS[node.op]
    if isinstance(node, Unary):
        return PERCENT_LEVEL if node.op in POSTFIX_OPS else PREFIX_LEVEL
    return ATOM_LEVEL


def children(node: Node) -> tuple[Node, ...]:
    """Direct sub-expressions in source order."""
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    return ()


def walk(node: Node) -> list[Node]:
    """All nodes in source order (pre-order), without recursion."""
    out: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(reversed(children(current)))
    return out
