"""The indicator library's door to the scoring engine (`jixiao.engine`).

Everything that validates, describes, previews or evaluates a rule or a formula goes through
here, so that the engine's bilingual issues become our FieldErrors in the request's language,
and an engine change touches one module.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from jixiao.core.errors import FieldError
from jixiao.engine.formula import FormulaError, compile_formula
from jixiao.engine.rules import (
    ALIASES,
    RULE_KINDS,
    Rule,
    RuleInputError,
    RuleSpecError,
    rule_from_spec,
)

BARS_KIND = "bars"
MAX_EVALUATE_ROWS = 10000
CURVE_POINTS = 101

# The column a curve runs along, per input the rule reads, and the sample it is drawn around.
AXIS_PREFERENCE = ("actual", "level", "rank", "grade", "done")


class LevelLike(Protocol):
    level: int
    title: str
    points: Any


def language() -> str:
    """ "en" or "zh": which of the engine's two messages to show."""
    return "en" if (get_language() or "zh").lower().startswith("en") else "zh"


def _rule_field(path: str) -> str:
    return f"rule.{path}" if path else "rule"


def rule_kind(spec: Any) -> str:
    return str(spec.get("kind", "")) if isinstance(spec, Mapping) else ""


def build(spec: Any) -> Rule:
    """The engine's rule for a spec; raises RuleSpecError."""
    if not isinstance(spec, Mapping):
        raise RuleSpecError([])
    return rule_from_spec(spec)


def rule_errors(spec: Any) -> list[FieldError]:
    """Every problem of a rule spec, on fields named `rule.<path>` (e.g. `rule.bands[1].max`)."""
    if not isinstance(spec, Mapping) or not spec:
        return [
            FieldError(
                "rule",
                "required",
                _("Choose a rule kind and fill in its parameters."),
            )
        ]
    try:
        rule_from_spec(spec)
    except RuleSpecError as error:
        lang = language()
        return [FieldError(_rule_field(i.path), i.code, i.message(lang)) for i in error.issues] or [
            FieldError("rule", "invalid", _("The scoring rule is not valid."))
        ]
    except (TypeError, ValueError, OverflowError, RecursionError):
        return [FieldError("rule", "invalid", _("The scoring rule is not valid."))]
    return []


def normalized(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The spec with every parameter explicit, as the engine writes it back."""
    return dict(rule_from_spec(spec).to_spec())


def with_direction(spec: Any, direction: str) -> tuple[Any, list[FieldError]]:
    """Give a rule with a direction the indicator's direction when it has none, and refuse a
    rule that points the other way (the indicator and its rule must agree)."""
    if not isinstance(spec, Mapping) or rule_errors(spec):
        return spec, []
    if "direction" not in normalized(spec):
        return spec, []
    if "direction" not in spec:
        return {**spec, "direction": direction}, []
    if spec["direction"] != direction:
        return spec, [
            FieldError(
                "rule.direction",
                "direction_mismatch",
                _("The rule's direction differs from the indicator's direction."),
            )
        ]
    return spec, []


def with_bars_levels(spec: Any, levels: Sequence[LevelLike]) -> Any:
    """A BARS rule's level table is the indicator's levels: points and titles come from there."""
    if rule_kind(spec) != BARS_KIND or not levels:
        return spec
    assert isinstance(spec, Mapping)
    table = [
        {"level": int(b.level), "points": float(b.points), "label": str(b.title)}
        for b in sorted(levels, key=lambda b: -int(b.level))
    ]
    return {**spec, "levels": table}


def describe(spec: Any, lang: str | None = None) -> str:
    """The rule in one sentence, or "" when it is not valid."""
    try:
        return build(spec).describe(lang or language())
    except (RuleSpecError, TypeError, ValueError):
        return ""


def inputs(spec: Any) -> tuple[str, ...]:
    try:
        return tuple(build(spec).inputs)
    except (RuleSpecError, TypeError, ValueError):
        return ()


def formula_errors(
    source: str, *, field: str = "formula", variables: Iterable[str] | None = None
) -> list[FieldError]:
    try:
        compile_formula(source, variables=None if variables is None else list(variables))
    except FormulaError as error:
        return [FieldError(field, error.code, _formula_message(error))]
    return []


def _formula_message(error: FormulaError) -> str:
    return error.message_en if language() == "en" else error.message_zh


def kinds() -> list[dict[str, Any]]:
    """Rule kinds for forms: kind, label in the current language, parameters, an example."""
    lang = language()
    out = []
    for info in RULE_KINDS:
        data = info.as_json()
        data["label"] = info.label_en if lang == "en" else info.label_zh
        out.append(data)
    return out


def kind_choices() -> list[tuple[str, str]]:
    return [(k["kind"], k["label"]) for k in kinds()]


def example(kind: str) -> dict[str, Any]:
    for info in RULE_KINDS:
        if info.kind == kind:
            return dict(info.example)
    return {"kind": kind}


# ---------------------------------------------------------------- evaluation


def _float_or_nan(value: Any) -> float:
    if value is None or value == "":
        return math.nan
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number if math.isfinite(number) else math.nan


def _plain(value: float) -> float | None:
    return None if not math.isfinite(value) else round(float(value), 6)


@dataclass
class RowError:
    row: int
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "code": self.code, "message": self.message}


@dataclass
class Evaluation:
    scores: list[float | None]
    errors: list[RowError] = field(default_factory=list)
    inputs: tuple[str, ...] = ()
    description: str = ""


class EvaluationInputError(ValueError):
    """The posted columns do not fit the rule or formula (missing column, ragged lengths)."""

    def __init__(self, code: str, message: str, field: str = "columns") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def _columns(columns: Mapping[str, Sequence[Any]]) -> tuple[dict[str, Any], int]:
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise EvaluationInputError(
            "ragged_columns", _("All columns must have the same number of values.")
        )
    rows = lengths.pop() if lengths else 0
    if rows > MAX_EVALUATE_ROWS:
        raise EvaluationInputError(
            "too_many_rows",
            _("At most %(n)s rows can be evaluated in one request.") % {"n": MAX_EVALUATE_ROWS},
        )
    arrays: dict[str, Any] = {}
    for name, values in columns.items():
        if all(isinstance(v, str) for v in values if v is not None) and any(
            isinstance(v, str) for v in values
        ):
            arrays[name] = np.array(values, dtype=object)
        else:
            arrays[name] = np.array([_float_or_nan(v) for v in values], dtype=np.float64)
    return arrays, rows


def _missing_inputs(needed: Iterable[str], given: Mapping[str, Any]) -> list[str]:
    out = []
    for name in needed:
        if name in given:
            continue
        aliases = [k for k, v in ALIASES.items() if v == name]
        if any(a in given for a in aliases):
            continue
        out.append(name)
    return out


def evaluate_rule(spec: Mapping[str, Any], columns: Mapping[str, Sequence[Any]]) -> Evaluation:
    """Score posted values with a rule; blank or unscorable rows are None with a reason."""
    rule = build(spec)
    arrays, rows = _columns(columns)
    missing = _missing_inputs(rule.inputs, arrays)
    if missing:
        raise EvaluationInputError(
            "missing_columns",
            _("The rule needs the columns: %(names)s.") % {"names": ", ".join(missing)},
        )
    numeric = {
        k: (v if v.dtype != object else np.array([_float_or_nan(x) for x in v]))
        for k, v in arrays.items()
    }
    if rule_kind(spec) == "formula":
        numeric = arrays
    try:
        scores = np.asarray(rule.score(numeric), dtype=np.float64)
    except RuleInputError as error:
        raise EvaluationInputError("bad_columns", str(error)) from None
    except FormulaError as error:
        raise EvaluationInputError(error.code, _formula_message(error)) from None
    errors = [
        RowError(i, "not_scorable", _("This row cannot be scored (a blank or invalid value)."))
        for i in range(rows)
        if not math.isfinite(scores[i])
    ]
    return Evaluation(
        scores=[_plain(s) for s in scores],
        errors=errors,
        inputs=tuple(rule.inputs),
        description=rule.describe(language()),
    )


def evaluate_formula(source: str, columns: Mapping[str, Sequence[Any]]) -> Evaluation:
    """Evaluate a formula per row; an error value (#DIV/0!…) is that row's error only.

    The variables are the posted column names: a name not among them is an
    `unknown_variable` on the `formula` field, with the closest posted name as a hint.
    """
    try:
        formula = compile_formula(source, list(columns))
    except FormulaError as error:
        raise EvaluationInputError(error.code, _formula_message(error), "formula") from None
    arrays, rows = _columns(columns)
    needed = sorted(formula.variables)
    result = formula.evaluate({k: arrays[k] for k in needed}, rows=rows)
    numbers = np.asarray(result.numbers, dtype=np.float64)
    errors: list[RowError] = []
    for i, code in _row_errors(result, rows):
        errors.append(RowError(i, code, _("Error value %(code)s in this row.") % {"code": code}))
    flagged = {e.row for e in errors}
    for i in range(rows):
        if i not in flagged and not math.isfinite(numbers[i]):
            errors.append(RowError(i, "blank", _("The formula gives a blank for this row.")))
    errors.sort(key=lambda e: e.row)
    return Evaluation(scores=[_plain(x) for x in numbers], errors=errors, inputs=tuple(needed))


def _row_errors(result: Any, rows: int) -> list[tuple[int, str]]:
    """(row, error code) pairs from a FormulaResult, whatever form its `errors` take."""
    raw = getattr(result, "errors", None)
    if raw is None:
        return []
    out: list[tuple[int, str]] = []
    if isinstance(raw, Mapping):
        for key, value in raw.items():
            out.append((int(key), str(value)))
        return out
    array = np.asarray(raw, dtype=object)
    if array.shape == (rows,):
        for i, value in enumerate(array):
            if value not in (None, "", 0, False):
                out.append((i, str(value)))
    return out


# ---------------------------------------------------------------- preview


@dataclass
class Preview:
    score: float | None = None
    description: str = ""
    errors: list[FieldError] = field(default_factory=list)
    inputs: tuple[str, ...] = ()
    axis: str = ""
    xs: list[float] = field(default_factory=list)
    ys: list[float | None] = field(default_factory=list)
    sample_missing: list[str] = field(default_factory=list)

    def chart(self) -> dict[str, Any]:
        return {"axis": self.axis, "x": self.xs, "y": self.ys}


def _axis_range(rule: Rule, spec: Mapping[str, Any], sample: Mapping[str, float]) -> list[float]:
    axis = _axis(rule)
    if axis == "level":
        levels = [int(x["level"]) for x in spec.get("levels", []) if isinstance(x, Mapping)]
        return [float(v) for v in range(min(levels or [1]), max(levels or [5]) + 1)]
    if axis == "rank":
        table = spec.get("table") or []
        return [float(v) for v in range(1, len(table) + 3)]
    if axis == "done":
        return [0.0, 1.0]
    if axis == "grade":
        return [round(i / 20, 2) for i in range(21)]
    anchors = [v for k, v in sample.items() if math.isfinite(v) and k != axis]
    for key in ("target", "threshold", "stretch"):
        value = spec.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            anchors.append(float(value))
    for band in spec.get("bands", []) or []:
        if isinstance(band, Mapping):
            anchors += [float(b) for b in (band.get("min"), band.get("max")) if b is not None]
    actual = sample.get(axis, math.nan)
    if math.isfinite(actual):
        anchors.append(actual)
    if not anchors:
        anchors = [100.0]
    high = max(abs(a) for a in anchors) or 1.0
    low = min(anchors)
    start = min(0.0, low - 0.2 * high) if low < 0 else 0.0
    end = max(anchors) * 1.6 if max(anchors) > 0 else high
    if end <= start:
        end = start + 1.0
    step = (end - start) / (CURVE_POINTS - 1)
    return [round(start + i * step, 6) for i in range(CURVE_POINTS)]


def _axis(rule: Rule) -> str:
    for name in AXIS_PREFERENCE:
        if name in rule.inputs:
            return name
    return rule.inputs[0] if rule.inputs else ""


def preview(spec: Any, sample: Mapping[str, Any]) -> Preview:
    """The score of one sample row, the rule in words, and its curve along the main input.

    Inputs other than the axis stay at their sample values (e.g. the target), so the curve
    shows how the score moves with the actual value.
    """
    out = Preview()
    out.errors = rule_errors(spec)
    if out.errors:
        return out
    rule = build(spec)
    out.description = rule.describe(language())
    out.inputs = tuple(rule.inputs)
    values = {k: _float_or_nan(v) for k, v in sample.items()}
    out.sample_missing = [
        name for name in rule.inputs if not math.isfinite(values.get(name, math.nan))
    ]
    try:
        if not out.sample_missing:
            row = {name: np.array([values[name]]) for name in rule.inputs}
            if not row:
                row = {"actual": np.array([math.nan])}
            out.score = _plain(float(rule.score(row)[0]))
        out.axis = _axis(rule)
        if out.axis:
            xs = _axis_range(rule, spec, values)
            others = [n for n in rule.inputs if n != out.axis]
            if all(math.isfinite(values.get(n, math.nan)) for n in others):
                columns = {out.axis: np.array(xs)}
                for name in others:
                    columns[name] = np.full(len(xs), values[name])
                out.xs = xs
                out.ys = [_plain(float(y)) for y in rule.score(columns)]
    except (RuleInputError, FormulaError, ValueError, TypeError):
        pass
    return out
