"""Walk a checked tree once, evaluating every node for all rows at the same time."""

from __future__ import annotations

from collections.abc import Mapping

from .catalog import SIGNATURES
from .errors import FormulaError
from .functions import IMPLEMENTATIONS
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
from .operators import arithmetic, compare, concat, negate, percent
from .values import Vec, logical, number, text


def evaluate_tree(tree: Node, columns: Mapping[str, Vec], rows: int) -> Vec:
    """The value of `tree` for every row; callers wrap this in `np.errstate(all="ignore")`."""
    return _Evaluator(columns, rows).eval(tree)


class _Evaluator:
    def __init__(self, columns: Mapping[str, Vec], rows: int) -> None:
        self.columns = columns
        self.rows = rows

    def eval(self, node: Node) -> Vec:
        match node:
            case Number(value=value):
                return number(value, self.rows)
            case String(value=value):
                return text(value, self.rows)
            case Boolean(value=value):
                return logical(value, self.rows)
            case Variable(name=name):
                return self.columns[name]
            case Unary(op="-", operand=operand):
                return negate(self.eval(operand))
            case Unary(op="+", operand=operand):
                return self.eval(operand)
            case Unary(op="%", operand=operand):
                return percent(self.eval(operand))
            case Binary(op=op, left=left, right=right):
                a = self.eval(left)
                b = self.eval(right)
                if op in ARITHMETIC_OPS:
                    return arithmetic(op, a, b)
                if op in COMPARISON_OPS:
                    return compare(op, a, b)
                if op == "&":
                    return concat(a, b)
            case Call(name=name, args=args):
                signature = SIGNATURES.get(name)
                if signature is None or not signature.arity_ok(len(args)):
                    # Only trees that bypassed compile_formula get here.
                    raise FormulaError(
                        "unknown_function",
                        f"函数 {name} 无法计算",
                        f"cannot evaluate the function {name}",
                        node.position,
                    )
                return IMPLEMENTATIONS[name]([self.eval(arg) for arg in args])
        raise FormulaError(
            "bad_tree", "无法计算的公式结构", f"cannot evaluate {type(node).__name__}", None
        )
