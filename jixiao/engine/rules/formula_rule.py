"""The formula rule: any score written as an Excel-style expression.

The formula language lives in `jixiao.engine.formula`; it is imported when a formula rule is
created, so the other rule kinds work without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from jixiao.engine.rules.base import FloatArray, Rule, RuleInputError, SpecIssue, SpecReader, issue

# The values a scoring rule is given for each appraisee: the columns of DOMAIN.md §3 that the
# target-based rules read (A, T and the threshold and stretch points).
STANDARD_INPUTS: tuple[str, ...] = ("actual", "target", "threshold", "stretch")

# Chinese names people write in formulas, and the standard column each stands for.
ALIASES: dict[str, str] = {
    "实际值": "actual",
    "实际": "actual",
    "目标值": "target",
    "目标": "target",
    "门槛值": "threshold",
    "挑战值": "stretch",
}

FORMULA_VARIABLES: tuple[str, ...] = (*STANDARD_INPUTS, *ALIASES)
"""Every name a formula rule may use in square brackets; anything else is a typo."""


def _compile(expression: str) -> tuple[Any, list[SpecIssue]]:
    try:
        from jixiao.engine.formula import FormulaError, compile_formula
    except ImportError:
        return None, [
            issue(
                "expression",
                "formula_unavailable",
                "公式引擎不可用。",
                "The formula engine is not available.",
            )
        ]
    try:
        return compile_formula(expression, FORMULA_VARIABLES), []
    except FormulaError as error:
        # The formula engine's messages already name the character position.
        return None, [
            issue(
                "expression",
                f"formula_{error.code}",
                error.message_zh,
                error.message_en,
            )
        ]


@dataclass(frozen=True)
class FormulaRule(Rule):
    """Score = the formula's value over the rule inputs actual, target, threshold and stretch,
    also written 实际值/实际, 目标值/目标, 门槛值 and 挑战值 (`FORMULA_VARIABLES`); any other name is an
    unknown variable, reported with the closest known name. A row where the formula gives an
    error (e.g. #DIV/0!) or a blank is not scorable (NaN).
    """

    kind: ClassVar[str] = "formula"
    expression: str = ""
    _compiled: Any = field(default=None, init=False, repr=False, compare=False, hash=False)

    @classmethod
    def read(cls, r: SpecReader) -> FormulaRule:
        return cls(expression=r.string("expression"))

    def check(self) -> list[SpecIssue]:
        if not self.expression.strip():
            return [
                issue("expression", "blank", "公式不能为空。", "The formula must not be blank.")
            ]
        compiled, problems = _compile(self.expression)
        object.__setattr__(self, "_compiled", compiled)
        return problems

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(sorted(self._compiled.variables))

    @property
    def inputs(self) -> tuple[str, ...]:
        names = {ALIASES.get(v, v) for v in self._compiled.variables}
        return tuple(sorted(names))

    def parameters(self) -> dict[str, object]:
        return {"expression": self.expression}

    def score(self, columns: Mapping[str, object]) -> FloatArray:
        """Formulas may read text columns too, so columns go to the formula engine as given."""
        rows: int | None = None
        given: dict[str, object] = {}
        for variable in self._compiled.variables:
            name = variable if variable in columns else ALIASES.get(variable, variable)
            if name not in columns:
                raise RuleInputError(f"formula rule needs column {variable!r}")
            given[variable] = columns[name]
        for value in columns.values():
            rows = len(np.asarray(value))
            break
        if rows is None:
            raise RuleInputError("no columns given, so the number of rows is unknown")
        result = self._compiled.evaluate(given, rows=rows)
        numbers = np.asarray(result.numbers, dtype=np.float64)
        return np.where(np.isfinite(numbers), numbers, np.nan)

    def _score(self, columns: Mapping[str, FloatArray], rows: int) -> FloatArray:
        return self.score(columns)  # pragma: no cover - score is overridden

    def describe(self, language: str = "zh") -> str:
        if language.startswith("en"):
            return f"Formula: {self.expression}"
        return f"按公式计分：{self.expression}"
