"""Rules that compare an actual value with a target: ratio to target, and threshold/target/stretch.

Targets may be fixed in the rule (`"target": 98`) or read per row from a column
(`"target": "column"`), because in practice every appraisee may have their own target.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from jixiao.engine.rules.base import (
    COLUMN,
    Column,
    Direction,
    FloatArray,
    Rule,
    SpecIssue,
    SpecReader,
    direction_text,
    fmt,
    issue,
)

LowerFormula = Literal["inverse", "linear"]
DIRECTIONS: tuple[Direction, ...] = ("higher", "lower")
LOWER_FORMULAS: tuple[LowerFormula, ...] = ("inverse", "linear")


def _values(
    name: str, setting: float | Column | None, columns: Mapping[str, FloatArray], rows: int
) -> FloatArray:
    if setting == COLUMN:
        return columns[name]
    return np.full(rows, np.nan if setting is None else float(setting))


def _fixed_or_column(r: SpecReader, key: str) -> float | Column:
    value = r.number_or_column(key, COLUMN)
    return COLUMN if value is None else value


def _percent(value: float) -> str:
    return f"{fmt(value * 100)}%"


@dataclass(frozen=True)
class RatioRule(Rule):
    """Ratio to target r, clamped to [floor, cap], times `points`.

    Higher is better: r = A/T. Lower is better: r = T/A ("inverse") or 1 + (T−A)/T ("linear").
    Zero target: r = 1 when A = 0, otherwise r = +∞ if A beats the target and −∞ if it misses,
    so the cap or floor decides (NaN when that bound is absent). A negative target is not
    scorable (NaN). Lower-is-better "inverse" with A ≤ 0 < T counts as beating the target (+∞).
    """

    kind: ClassVar[str] = "ratio"
    direction: Direction = "higher"
    lower_formula: LowerFormula = "inverse"
    target: float | Column = COLUMN
    floor: float | None = 0.0
    cap: float | None = 1.2
    points: float = 100.0

    @property
    def inputs(self) -> tuple[str, ...]:
        return ("actual", "target") if self.target == COLUMN else ("actual",)

    def parameters(self) -> dict[str, object]:
        return {
            "direction": self.direction,
            "lower_formula": self.lower_formula,
            "target": self.target,
            "floor": self.floor,
            "cap": self.cap,
            "points": self.points,
        }

    @classmethod
    def read(cls, r: SpecReader) -> RatioRule:
        return cls(
            direction=r.choice("direction", DIRECTIONS, "higher"),
            lower_formula=r.choice("lower_formula", LOWER_FORMULAS, "inverse"),
            target=_fixed_or_column(r, "target"),
            floor=r.number("floor", 0.0, nullable=True),
            cap=r.number("cap", 1.2, nullable=True),
            points=r.required_number("points", default=100.0),
        )

    def check(self) -> list[SpecIssue]:
        found: list[SpecIssue] = []
        if self.floor is not None and self.cap is not None and self.floor > self.cap:
            found.append(
                issue("cap", "cap_below_floor", "上限不能低于下限。", "The cap is below the floor.")
            )
        if self.target != COLUMN and float(self.target) < 0:
            found.append(
                issue(
                    "target",
                    "negative_target",
                    "目标值不能为负数；负数目标请改用“门槛/目标/挑战”或公式规则。",
                    "The target must not be negative; use a piecewise or formula rule instead.",
                )
            )
        if self.points <= 0:
            found.append(issue("points", "not_positive", "必须大于 0。", "Must be greater than 0."))
        return found

    def _score(self, columns: Mapping[str, FloatArray], rows: int) -> FloatArray:
        actual = columns["actual"]
        target = _values("target", self.target, columns, rows)
        if self.direction == "higher":
            ratio = actual / target
            beats = actual > target
        else:
            beats = actual < target
            if self.lower_formula == "inverse":
                ratio = np.where(actual > 0, target / actual, np.inf)
            else:
                ratio = 2.0 - actual / target
        zero = target == 0
        if zero.any():
            ratio = np.where(
                zero, np.where(actual == 0, 1.0, np.where(beats, np.inf, -np.inf)), ratio
            )
        ratio = np.clip(
            ratio,
            -np.inf if self.floor is None else self.floor,
            np.inf if self.cap is None else self.cap,
        )
        bad = np.isnan(actual) | np.isnan(target) | (target < 0) | np.isinf(ratio)
        return np.where(bad, np.nan, ratio * self.points)

    def describe(self, language: str = "zh") -> str:
        en = language.startswith("en")
        target = (
            ("the target column" if en else "目标值列")
            if self.target == COLUMN
            else fmt(float(self.target))
        )
        if self.direction == "higher":
            formula = "A/T"
        elif self.lower_formula == "inverse":
            formula = "T/A"
        else:
            formula = "1+(T−A)/T"
        lo = "−∞" if self.floor is None else _percent(self.floor)
        hi = "+∞" if self.cap is None else _percent(self.cap)
        if en:
            return (
                f"Ratio to target ({direction_text(self.direction, language)}): r = {formula} "
                f"with T = {target}, kept within {lo}–{hi}, times {fmt(self.points)} points."
            )
        return (
            f"按完成比例计分（{direction_text(self.direction, language)}）：r = {formula}，"
            f"T 取{target}，限制在 {lo}–{hi} 之间，再乘以 {fmt(self.points)} 分。"
        )


@dataclass(frozen=True)
class PiecewiseRule(Rule):
    """Threshold → target → stretch, straight lines between the points.

    Higher is better: A < threshold scores `below_score`; threshold..target runs from
    `threshold_score` to `target_score`; target..stretch from `target_score` to `stretch_score`;
    at or beyond stretch `stretch_score` (without a stretch, at or beyond target `target_score`).
    Lower is better mirrors this (threshold ≥ target ≥ stretch). Rows whose points are out of
    order are not scorable (NaN).
    """

    kind: ClassVar[str] = "piecewise"
    direction: Direction = "higher"
    threshold: float | Column = COLUMN
    target: float | Column = COLUMN
    stretch: float | Column | None = None
    below_score: float = 0.0
    threshold_score: float = 60.0
    target_score: float = 100.0
    stretch_score: float = 120.0

    @property
    def inputs(self) -> tuple[str, ...]:
        names = ["actual"]
        for name, setting in (
            ("threshold", self.threshold),
            ("target", self.target),
            ("stretch", self.stretch),
        ):
            if setting == COLUMN:
                names.append(name)
        return tuple(names)

    def parameters(self) -> dict[str, object]:
        return {
            "direction": self.direction,
            "threshold": self.threshold,
            "target": self.target,
            "stretch": self.stretch,
            "below_score": self.below_score,
            "threshold_score": self.threshold_score,
            "target_score": self.target_score,
            "stretch_score": self.stretch_score,
        }

    @classmethod
    def read(cls, r: SpecReader) -> PiecewiseRule:
        return cls(
            direction=r.choice("direction", DIRECTIONS, "higher"),
            threshold=_fixed_or_column(r, "threshold"),
            target=_fixed_or_column(r, "target"),
            stretch=r.number_or_column("stretch", None, nullable=True),
            below_score=r.required_number("below_score", default=0.0),
            threshold_score=r.required_number("threshold_score", default=60.0),
            target_score=r.required_number("target_score", default=100.0),
            stretch_score=r.required_number("stretch_score", default=120.0),
        )

    def check(self) -> list[SpecIssue]:
        found: list[SpecIssue] = []
        fixed = [
            (name, float(value))
            for name, value in (
                ("threshold", self.threshold),
                ("target", self.target),
                ("stretch", self.stretch),
            )
            if value is not None and value != COLUMN
        ]
        for (name_a, a), (name_b, b) in itertools.pairwise(fixed):
            wrong = a > b if self.direction == "higher" else a < b
            if wrong:
                word_zh = "不能高于" if self.direction == "higher" else "不能低于"
                word_en = "must not exceed" if self.direction == "higher" else "must not be below"
                found.append(
                    issue(
                        name_a,
                        "points_out_of_order",
                        f"{_NAMES_ZH[name_a]}{word_zh}{_NAMES_ZH[name_b]}（{direction_text(self.direction, 'zh')}）。",
                        f"The {name_a} {word_en} the {name_b} "
                        f"({direction_text(self.direction, 'en')}).",
                    )
                )
        scores = [
            ("below_score", self.below_score),
            ("threshold_score", self.threshold_score),
            ("target_score", self.target_score),
        ]
        if self.stretch is not None:
            scores.append(("stretch_score", self.stretch_score))
        for (name_a, a), (name_b, b) in itertools.pairwise(scores):
            if a > b:
                found.append(
                    issue(
                        name_b,
                        "scores_decreasing",
                        f"{_NAMES_ZH[name_b]}不能低于{_NAMES_ZH[name_a]}。",
                        f"The {name_b.replace('_', ' ')} must not be below the "
                        f"{name_a.replace('_', ' ')}.",
                    )
                )
        return found

    def _score(self, columns: Mapping[str, FloatArray], rows: int) -> FloatArray:
        sign = 1.0 if self.direction == "higher" else -1.0
        actual = sign * columns["actual"]
        low = sign * _values("threshold", self.threshold, columns, rows)
        mid = sign * _values("target", self.target, columns, rows)
        bad = np.isnan(actual) | np.isnan(low) | np.isnan(mid) | (low > mid)
        score = np.full(rows, self.below_score)
        rising = (actual >= low) & (actual < mid)
        score = np.where(
            rising,
            self.threshold_score
            + (actual - low) / (mid - low) * (self.target_score - self.threshold_score),
            score,
        )
        score = np.where(actual >= mid, self.target_score, score)
        if self.stretch is not None:
            high = sign * _values("stretch", self.stretch, columns, rows)
            bad |= np.isnan(high) | (mid > high)
            above = (actual >= mid) & (actual < high)
            score = np.where(
                above,
                self.target_score
                + (actual - mid) / (high - mid) * (self.stretch_score - self.target_score),
                score,
            )
            score = np.where(actual >= high, self.stretch_score, score)
        return np.where(bad, np.nan, score)

    def describe(self, language: str = "zh") -> str:
        en = language.startswith("en")

        def point(name: str, setting: float | Column | None) -> str:
            if setting == COLUMN:
                return f"the {name} column" if en else f"{_NAMES_ZH[name]}列"
            return fmt(float(setting or 0))

        if en:
            text = (
                f"Threshold/target/stretch ({direction_text(self.direction, language)}): "
                f"below the threshold ({point('threshold', self.threshold)}) "
                f"{fmt(self.below_score)}, threshold {fmt(self.threshold_score)}, "
                f"target ({point('target', self.target)}) {fmt(self.target_score)}"
            )
            if self.stretch is not None:
                text += f", stretch ({point('stretch', self.stretch)}) {fmt(self.stretch_score)}"
            return text + ", straight lines in between."
        text = (
            f"门槛/目标/挑战值计分（{direction_text(self.direction, language)}）："
            f"未达门槛值（{point('threshold', self.threshold)}）得 {fmt(self.below_score)} 分，"
            f"达门槛值得 {fmt(self.threshold_score)} 分，"
            f"达目标值（{point('target', self.target)}）得 {fmt(self.target_score)} 分"
        )
        if self.stretch is not None:
            text += f"，达挑战值（{point('stretch', self.stretch)}）得 {fmt(self.stretch_score)} 分"
        return text + "，其间按直线插值。"


_NAMES_ZH = {
    "threshold": "门槛值",
    "target": "目标值",
    "stretch": "挑战值",
    "below_score": "未达门槛得分",
    "threshold_score": "门槛得分",
    "target_score": "目标得分",
    "stretch_score": "挑战得分",
}
