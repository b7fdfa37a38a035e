"""Shared pieces of the scoring rules: issues, errors, the Rule base class and a spec reader.

A rule spec is a plain JSON object. Reading it goes through `SpecReader`, which collects every
problem with its path instead of stopping at the first, so a form can show them all at once.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeVar

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
# A table of numbers as callers hold it: nested lists (ints and floats mixed) or an array.
Matrix = Sequence[Sequence[float]] | npt.ArrayLike
Direction = Literal["higher", "lower"]
Column = Literal["column"]
COLUMN: Column = "column"

T = TypeVar("T")


@dataclass(frozen=True)
class SpecIssue:
    """One problem in a spec: where (`bands[2].max`), a machine code and two messages."""

    path: str
    code: str
    message_zh: str
    message_en: str

    def message(self, language: str = "zh") -> str:
        return self.message_en if language.startswith("en") else self.message_zh

    def as_json(self) -> dict[str, str]:
        return {
            "path": self.path,
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


class RuleSpecError(ValueError):
    """A spec (rule or weights) is invalid; `issues` lists every problem found."""

    def __init__(self, issues: Sequence[SpecIssue]) -> None:
        self.issues: list[SpecIssue] = list(issues)
        text = "; ".join(f"{i.path or '(spec)'}: {i.message_en}" for i in self.issues)
        super().__init__(text or "invalid spec")


class RuleInputError(ValueError):
    """The columns given to `Rule.score` are missing or malformed (a caller bug, not user data)."""


def fmt(value: float) -> str:
    """A number as people write it: 100 not 100.0, 0.85 not 0.8500000001."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return format(value, ".10g")


def issue(path: str, code: str, zh: str, en: str) -> SpecIssue:
    return SpecIssue(path=path, code=code, message_zh=zh, message_en=en)


def join_path(prefix: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else key


class _Missing:
    """Marks a parameter without a default: leaving it out is an issue."""


MISSING: Any = _Missing()


class SpecReader:
    """Reads typed fields from a mapping, recording issues instead of raising.

    On a problem each method records an issue and returns a harmless value of the right type, so
    reading continues and every problem of a spec is reported at once.
    """

    def __init__(
        self, spec: Mapping[str, object], path: str = "", issues: list[SpecIssue] | None = None
    ) -> None:
        self.spec = spec
        self.path = path
        self.issues: list[SpecIssue] = [] if issues is None else issues
        self.seen: set[str] = set()

    def add(self, key: str | int | None, code: str, zh: str, en: str) -> None:
        path = self.path if key is None else join_path(self.path, key)
        self.issues.append(issue(path, code, zh, en))

    def _get(self, key: str, default: object) -> tuple[bool, object]:
        """(given, value): given is False when the key is absent (an issue if required)."""
        self.seen.add(key)
        if key in self.spec:
            return True, self.spec[key]
        if default is MISSING:
            self.add(key, "required", "必填。", "Required.")
        return False, default

    def number(
        self,
        key: str,
        default: float | None = MISSING,
        *,
        nullable: bool = False,
        minimum: float | None = None,
        positive: bool = False,
    ) -> float | None:
        fallback = 0.0 if default is MISSING else default
        given, value = self._get(key, default)
        if not given:
            return fallback
        if value is None and nullable:
            return None
        parsed = self._as_number(key, value)
        if parsed is None:
            return fallback
        if positive and parsed <= 0:
            self.add(key, "not_positive", "必须大于 0。", "Must be greater than 0.")
        elif minimum is not None and parsed < minimum:
            self.add(
                key,
                "too_small",
                f"不能小于 {fmt(minimum)}。",
                f"Must not be less than {fmt(minimum)}.",
            )
        return parsed

    def required_number(self, key: str, **kwargs: Any) -> float:
        value = self.number(key, **kwargs)
        return 0.0 if value is None else value

    def number_or_column(
        self, key: str, default: float | Column | None = MISSING, *, nullable: bool = False
    ) -> float | Column | None:
        fallback = COLUMN if default is MISSING else default
        given, value = self._get(key, default)
        if not given:
            return fallback
        if value is None and nullable:
            return None
        if value == COLUMN:
            return COLUMN
        if isinstance(value, str):
            self.add(
                key,
                "not_number_or_column",
                '必须是数字或 "column"（从数据列读取）。',
                'Must be a number or "column" (read from the data column).',
            )
            return fallback
        parsed = self._as_number(key, value)
        return fallback if parsed is None else parsed

    def _as_number(self, key: str | int, value: object) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(key, "not_number", "必须是数字。", "Must be a number.")
            return None
        number = float(value)
        if not math.isfinite(number):
            self.add(key, "not_finite", "必须是有限的数字。", "Must be a finite number.")
            return None
        return number

    def integer(self, key: str, default: int = MISSING) -> int:
        fallback = 0 if default is MISSING else default
        given, value = self._get(key, default)
        if not given:
            return fallback
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value != int(value)
        ):
            self.add(key, "not_integer", "必须是整数。", "Must be a whole number.")
            return fallback
        return int(value)

    def boolean(self, key: str, default: bool = MISSING) -> bool:
        fallback = False if default is MISSING else default
        given, value = self._get(key, default)
        if not given:
            return fallback
        if not isinstance(value, bool):
            self.add(key, "not_boolean", "必须是 true 或 false。", "Must be true or false.")
            return fallback
        return value

    def string(self, key: str, default: str = MISSING, *, non_empty: bool = True) -> str:
        fallback = "" if default is MISSING else default
        given, value = self._get(key, default)
        if not given:
            return fallback
        if not isinstance(value, str):
            self.add(key, "not_string", "必须是文本。", "Must be text.")
            return fallback
        if non_empty and not value.strip():
            self.add(key, "blank", "不能为空。", "Must not be blank.")
        return value

    def choice(self, key: str, options: Sequence[T], default: T = MISSING) -> T:
        fallback = options[0] if default is MISSING else default
        given, value = self._get(key, default)
        if not given:
            return fallback
        if value not in options:
            listed = ", ".join(str(o) for o in options)
            self.add(key, "not_in_choices", f"必须是 {listed} 之一。", f"Must be one of {listed}.")
            return fallback
        return value  # type: ignore[return-value]

    def items(
        self, key: str, read: Callable[[SpecReader], T], *, default: list[T] | None = None
    ) -> list[T]:
        """Read a list of objects, each with its own reader (paths like `bands[2].max`)."""
        given, value = self._get(key, MISSING if default is None else default)
        if not given:
            return list(default or [])
        if not isinstance(value, list | tuple):
            self.add(key, "not_list", "必须是列表。", "Must be a list.")
            return []
        out: list[T] = []
        for index, entry in enumerate(value):
            path = join_path(join_path(self.path, key), index)
            if not isinstance(entry, Mapping):
                self.issues.append(issue(path, "not_object", "必须是对象。", "Must be an object."))
                continue
            child = SpecReader(entry, path, self.issues)
            out.append(read(child))
            child.finish()
        return out

    def numbers(self, key: str) -> list[float]:
        given, value = self._get(key, MISSING)
        if not given:
            return []
        if not isinstance(value, list | tuple):
            self.add(key, "not_list", "必须是数字列表。", "Must be a list of numbers.")
            return []
        out: list[float] = []
        for index, entry in enumerate(value):
            parsed = self._as_number(f"{key}[{index}]", entry)
            out.append(0.0 if parsed is None else parsed)
        return out

    def finish(self) -> None:
        """Flag keys the reader never asked for: most often a typo of a real parameter."""
        for key in self.spec:
            if key not in self.seen:
                self.add(
                    key, "unknown_field", "未知的参数。", "Unknown parameter (check the spelling)."
                )


def check_code(reader: SpecReader, key: str = "code") -> str:
    """Item codes become column names, so they must be non-blank text."""
    return reader.string(key).strip()


class Rule(ABC):
    """A scoring rule: a validated, JSON-serializable spec that scores numpy columns.

    Subclasses are frozen dataclasses; they validate in `__post_init__`, so a rule object that
    exists is always a valid one.
    """

    kind: ClassVar[str]

    @property
    @abstractmethod
    def inputs(self) -> tuple[str, ...]:
        """Column names `score` needs, e.g. ("actual", "target")."""

    @abstractmethod
    def parameters(self) -> dict[str, object]:
        """The spec without its `kind`."""

    @abstractmethod
    def check(self) -> list[SpecIssue]:
        """Cross-field checks that the types alone cannot express."""

    @abstractmethod
    def _score(self, columns: Mapping[str, FloatArray], rows: int) -> FloatArray: ...

    @abstractmethod
    def describe(self, language: str = "zh") -> str:
        """One sentence saying what the rule does, for forms and score breakdowns."""

    def __post_init__(self) -> None:
        problems = self.check()
        if problems:
            raise RuleSpecError(problems)

    def to_spec(self) -> dict[str, object]:
        return {"kind": self.kind, **self.parameters()}

    def score(self, columns: Mapping[str, object]) -> FloatArray:
        """Score every row; NaN where a row cannot be scored (blank or invalid input)."""
        arrays, rows = self._prepare(columns)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return self._score(arrays, rows)

    def _prepare(self, columns: Mapping[str, object]) -> tuple[dict[str, FloatArray], int]:
        missing = [name for name in self.inputs if name not in columns]
        if missing:
            raise RuleInputError(
                f"{self.kind} rule needs column(s) {', '.join(missing)}; "
                f"got {', '.join(map(str, columns)) or 'none'}"
            )
        arrays = {name: as_float_column(name, columns[name]) for name in self.inputs}
        lengths = {len(a) for a in arrays.values()}
        if len(lengths) > 1:
            raise RuleInputError(f"columns differ in length: {sorted(lengths)}")
        if lengths:
            return arrays, lengths.pop()
        for value in columns.values():  # a rule without inputs: take the length of any column
            return arrays, len(np.asarray(value))
        raise RuleInputError("no columns given, so the number of rows is unknown")


def as_float_column(name: str, values: object) -> FloatArray:
    """A 1-D float64 array; None (blank) becomes NaN."""
    array = np.asarray(values)
    if array.dtype == object:
        try:
            array = np.array([np.nan if v is None else v for v in array.ravel()], dtype=np.float64)
        except (TypeError, ValueError):
            raise RuleInputError(f"column {name!r} holds values that are not numbers") from None
    elif array.dtype.kind not in "fiub":
        raise RuleInputError(f"column {name!r} holds values that are not numbers")
    array = array.astype(np.float64, copy=False)
    if array.ndim != 1:
        raise RuleInputError(f"column {name!r} must be one-dimensional")
    return array


def direction_text(direction: Direction, language: str) -> str:
    if language.startswith("en"):
        return "higher is better" if direction == "higher" else "lower is better"
    return "越高越好" if direction == "higher" else "越低越好"
