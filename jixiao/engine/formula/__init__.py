"""The Excel-style formula language of indicator formulas and custom scoring rules.

Pure Python and numpy (no Django): `compile_formula` parses and checks a formula once, and
`Formula.evaluate` computes it for N rows at once. See docs/formula.md for the language.
"""

from __future__ import annotations

from .catalog import SIGNATURES
from .errors import FormulaError
from .formula import Formula, FormulaResult, compile_formula
from .limits import MAX_LENGTH, MAX_NESTING, MAX_NODES, MAX_TREE_DEPTH
from .nodes import Binary, Boolean, Call, Node, Number, String, Unary, Variable
from .parser import parse
from .printer import to_source

FUNCTIONS: frozenset[str] = frozenset(SIGNATURES)
"""Names of the supported functions (upper case)."""

__all__ = [
    "FUNCTIONS",
    "MAX_LENGTH",
    "MAX_NESTING",
    "MAX_NODES",
    "MAX_TREE_DEPTH",
    "Binary",
    "Boolean",
    "Call",
    "Formula",
    "FormulaError",
    "FormulaResult",
    "Node",
    "Number",
    "String",
    "Unary",
    "Variable",
    "compile_formula",
    "parse",
    "to_source",
]
