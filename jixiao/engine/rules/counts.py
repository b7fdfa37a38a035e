"""Rules over counts and grades: deductions and bonuses, done or not, milestones, OKR grades."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from jixiao.engine.rules.base import (
    FloatArray,
    Rule,
    SpecIssue,
    SpecReader,
    check_code,
    fmt,
    issue,
)

MAX_ITEMS = 200


def _check_codes(groups: Sequence[tuple[str, Sequence[str]]]) -> list[SpecIssue]:
    """Codes name data columns, so each must be unique across the whole rule."""
    found: list[SpecIssue] = []
    seen: dict[str, str] = {}
    for group, codes in groups:
        if len(codes) > MAX_ITEMS:
            found.append(
                issue(
                    group,
                    "too_many",
                    f"最多 {MAX_ITEMS} 项。",
                    f"At most {MAX_ITEMS} items.",
                )
            )
        for index, code in enumerate(codes):
            path = f"{group}[{index}].code"
            if not code:
                continue  # the reader already reported the blank code
            if code in seen:
                found.append(
                    issue(
                        path,
                        "duplicate",
                        f"代码“{code}”与 {seen[code]} 重复。",
                        f"The code {code!r} repeats {seen[code]}.",
                    )
                )
            seen.setdefault(code, path)
    return found


@dataclass(frozen=True)
class Item:
    """A deduction or bonus item: `points` per occurrence, at most `cap` in total."""

    code: str
    points: float
    cap: float | None = None
    label: str = ""

    @classmethod
    def read(cls, r: SpecReader) -> Item:
        return cls(
            code=check_code(r),
            points=r.required_number("points", positive=True),
            cap=r.number("cap", None, nullable=True, minimum=0.0),
            label=r.string("label", "", non_empty=False),
        )

    def as_json(self) -> dict[str, object]:
        return {"code": self.code, "label": self.label, "points": self.points, "cap": self.cap}

    def total(self, counts: FloatArray) -> FloatArray:
        amount = counts * self.points
        return amount if self.cap is None else np.minimum(amount, self.cap)


@dataclass(frozen=True)
class DeductionRule(Rule):
    """A base score minus deductions plus bonuses (扣分制/加分项).

    Each item's column counts occurrences; a blank count means none (these records are sparse).
    A negative count is not scorable (NaN). Each item is limited by its own cap; with
    `stop_at_zero` (扣完为止) all deductions together take at most the base. The bonuses are
    then added, and the result is limited by the overall `cap`.
    """

    kind: ClassVar[str] = "deduction"
    base: float = 100.0
    deductions: tuple[Item, ...] = ()
    bonuses: tuple[Item, ...] = ()
    stop_at_zero: bool = True
    cap: float | None = None

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(item.code for item in (*self.deductions, *self.bonuses))

    def parameters(self) -> dict[str, object]:
        return {
            "base": self.base,
            "deductions": [item.as_json() for item in self.deductions],
            "bonuses": [item.as_json() for item in self.bonuses],
            "stop_at_zero": self.stop_at_zero,
            "cap": self.cap,
        }

    @classmethod
    def read(cls, r: SpecReader) -> DeductionRule:
        return cls(
            base=r.required_number("base", default=100.0, minimum=0.0),
            deductions=tuple(r.items("deductions", Item.read, default=[])),
            bonuses=tuple(r.items("bonuses", Item.read, default=[])),
            stop_at_zero=r.boolean("stop_at_zero", True),
            cap=r.number("cap", None, nullable=True),
        )

    def check(self) -> list[SpecIssue]:
        found = _check_codes(
            [
                ("deductions", [i.code for i in self.deductions]),
                ("bonuses", [i.code for i in self.bonuses]),
            ]
        )
        if not self.deductions and not self.bonuses:
            found.append(
                issue(
                    "deductions",
                    "empty",
                    "至少需要一个扣分项或加分项。",
                    "At least one deduction or bonus item is needed.",
                )
            )
        if self.base < 0:
            found.append(issue("base", "too_small", "不能小于 0。", "Must not be less than 0."))
        if self.cap is not None and self.cap < self.base:
            found.append(
                issue(
                    "cap",
                    "cap_below_base",
                    "总分上限不能低于基础分。",
                    "The overall cap must not be below the base.",
                )
            )
        return found

    def _score(self, columns: Mapping[str, FloatArray], rows: int) -> FloatArray:
        bad = np.zeros(rows, dtype=bool)
        deducted = np.zeros(rows)
        added = np.zeros(rows)
        for items, total in ((self.deductions, deducted), (self.bonuses, added)):
            for item in items:
                counts = columns[item.code]
                bad |= counts < 0
                total += item.total(np.nan_to_num(counts, nan=0.0))
        if self.stop_at_zero:
            deducted = np.minimum(deducted, self.base)
        score = self.base - deducted + added
        if self.cap is not None:
            score = np.minimum(score, self.cap)
        return np.where(bad, np.nan, score)

    def describe(self, language: str = "zh") -> str:
        en = language.startswith("en")

        def listed(items: Sequence[Item]) -> str:
            parts = []
            for item in items:
                name = item.label or item.code
                cap = ""
                if item.cap is not None:
                    cap = f" (at most {fmt(item.cap)})" if en else f"（最多 {fmt(item.cap)} 分）"
                parts.append(
                    f"{name} {fmt(item.points)} each{cap}"
                    if en
                    else f"{name}每次 {fmt(item.points)} 分{cap}"
                )
            return ("; " if en else "；").join(parts)

        if en:
            text = f"Base {fmt(self.base)}"
            if self.deductions:
                text += f", minus {listed(self.deductions)}"
                if self.stop_at_zero:
                    text += " (deductions stop at zero)"
            if self.bonuses:
                text += f", plus {listed(self.bonuses)}"
            if self.cap is not None:
                text += f", at most {fmt(self.cap)} in all"
            return text + "."
        text = f"基础分 {fmt(self.base)} 分"
        if self.deductions:
            text += f"，扣分：{listed(self.deductions)}"
            if self.stop_at_zero:
                text += "（扣完为止）"
        if self.bonuses:
            text += f"，加分：{listed(self.bonuses)}"
        if self.cap is not None:
            text += f"，总分不超过 {fmt(self.cap)} 分"
        return text + "。"


@dataclass(frozen=True)
class BinaryRule(Rule):
    """Done or not: the `done` column is 1 (or any positive number) for done, 0 for not done.

    Blank or negative is not scorable (NaN).
    """

    kind: ClassVar[str] = "binary"
    points: float = 100.0
    not_done_points: float = 0.0

    @property
    def inputs(self) -> tuple[str, ...]:
        return ("done",)

    def parameters(self) -> dict[str, object]:
        return {"points": self.points, "not_done_points": self.not_done_points}

    @classmethod
    def read(cls, r: SpecReader) -> BinaryRule:
        return cls(
            points=r.required_number("points", default=100.0),
            not_done_points=r.required_number("not_done_points", default=0.0),
        )

    def check(self) -> list[SpecIssue]:
        if self.not_done_points > self.points:
            return [
                issue(
                    "not_done_points",
                    "scores_decreasing",
                    "未完成的得分不能高于完成的得分。",
                    "Not done must not score more than done.",
                )
            ]
        return []

    def _score(self, columns: Mapping[str, FloatArray], rows: int) -> FloatArray:
        done = columns["done"]
        score = np.where(done > 0, self.points, self.not_done_points)
        return np.where(np.isnan(done) | (done < 0), np.nan, score)

    def describe(self, language: str = "zh") -> str:
        if language.startswith("en"):
            return f"Done or not: done {fmt(self.points)}, not done {fmt(self.not_done_points)}."
        return f"完成与否：完成得 {fmt(self.points)} 分，未完成得 {fmt(self.not_done_points)} 分。"


@dataclass(frozen=True)
class Milestone:
    code: str
    share: float
    label: str = ""

    @classmethod
    def read(cls, r: SpecReader) -> Milestone:
        return cls(
            code=check_code(r),
            share=r.required_number("share", minimum=0.0),
            label=r.string("label", "", non_empty=False),
        )

    def as_json(self) -> dict[str, object]:
        return {"code": self.code, "label": self.label, "share": self.share}


MilestoneInput = Literal["each", "count"]


@dataclass(frozen=True)
class MilestonesRule(Rule):
    """Milestones, each worth a share of `points`; the shares sum to 1.

    `by: "each"`: one column per milestone code, positive = reached, 0 or blank = not yet;
    a row where every milestone column is blank is not scorable (NaN), a negative value too.
    `by: "count"`: a `done` column counts the milestones reached in order (the first k);
    it must be a whole number from 0 to the number of milestones, else NaN.
    """

    kind: ClassVar[str] = "milestones"
    milestones: tuple[Milestone, ...] = ()
    by: MilestoneInput = "each"
    points: float = 100.0

    @property
    def inputs(self) -> tuple[str, ...]:
        if self.by == "count":
            return ("done",)
        return tuple(m.code for m in self.milestones)

    def parameters(self) -> dict[str, object]:
        return {
            "milestones": [m.as_json() for m in self.milestones],
            "by": self.by,
            "points": self.points,
        }

    @classmethod
    def read(cls, r: SpecReader) -> MilestonesRule:
        return cls(
            milestones=tuple(r.items("milestones", Milestone.read)),
            by=r.choice("by", ("each", "count"), "each"),
            points=r.required_number("points", default=100.0, positive=True),
        )

    def check(self) -> list[SpecIssue]:
        if not self.milestones:
            return [
                issue(
                    "milestones",
                    "empty",
                    "至少需要一个里程碑。",
                    "At least one milestone is needed.",
                )
            ]
        found = _check_codes([("milestones", [m.code for m in self.milestones])])
        total = sum(m.share for m in self.milestones)
        if abs(total - 1.0) > 1e-6:
            found.append(
                issue(
                    "milestones",
                    "shares_not_one",
                    f"各里程碑占比之和应为 1，当前为 {fmt(round(total, 6))}。",
                    f"The shares must sum to 1; they sum to {fmt(round(total, 6))}.",
                )
            )
        if self.points <= 0:
            found.append(issue("points", "not_positive", "必须大于 0。", "Must be greater than 0."))
        return found

    def _score(self, columns: Mapping[str, FloatArray], rows: int) -> FloatArray:
        shares = np.array([m.share for m in self.milestones])
        if self.by == "count":
            done = columns["done"]
            cumulative = np.concatenate(([0.0], np.cumsum(shares)))
            valid = (
                np.isfinite(done) & (done >= 0) & (done <= len(shares)) & (done == np.round(done))
            )
            index = np.where(valid, done, 0).astype(np.intp)
            return np.where(valid, cumulative[index] * self.points, np.nan)
        reached = np.zeros(rows)
        blank = np.ones(rows, dtype=bool)
        bad = np.zeros(rows, dtype=bool)
        for milestone in self.milestones:
            column = columns[milestone.code]
            blank &= np.isnan(column)
            bad |= column < 0
            reached += np.where(column > 0, milestone.share, 0.0)
        return np.where(blank | bad, np.nan, reached * self.points)

    def describe(self, language: str = "zh") -> str:
        if language.startswith("en"):
            listed = ", ".join(
                f"{m.label or m.code} {fmt(m.share * 100)}%" for m in self.milestones
            )
            return f"Milestones, each worth a share of {fmt(self.points)} points: {listed}."
        listed = "，".join(f"{m.label or m.code} 占 {fmt(m.share * 100)}%" for m in self.milestones)
        return f"按里程碑计分（满分 {fmt(self.points)} 分）：{listed}。"


@dataclass(frozen=True)
class KeyResult:
    code: str
    weight: float = 1.0
    label: str = ""

    @classmethod
    def read(cls, r: SpecReader) -> KeyResult:
        return cls(
            code=check_code(r),
            weight=r.required_number("weight", default=1.0, positive=True),
            label=r.string("label", "", non_empty=False),
        )

    def as_json(self) -> dict[str, object]:
        return {"code": self.code, "label": self.label, "weight": self.weight}


@dataclass(frozen=True)
class OkrRule(Rule):
    """OKR grading: grades from 0.0 to 1.0 (0.6–0.7 is the normal expectation), times `points`.

    Without key results the `grade` column is the objective's grade. With key results, each has
    a column of grades and the objective is their weighted mean (weights are relative: they are
    divided by their sum). A blank or out-of-range grade makes the row not scorable (NaN).
    OKR grades are meant for learning; tying them to pay is a choice the scheme must make.
    """

    kind: ClassVar[str] = "okr"
    key_results: tuple[KeyResult, ...] = ()
    points: float = 100.0

    @property
    def inputs(self) -> tuple[str, ...]:
        if not self.key_results:
            return ("grade",)
        return tuple(kr.code for kr in self.key_results)

    def parameters(self) -> dict[str, object]:
        return {"key_results": [kr.as_json() for kr in self.key_results], "points": self.points}

    @classmethod
    def read(cls, r: SpecReader) -> OkrRule:
        return cls(
            key_results=tuple(r.items("key_results", KeyResult.read, default=[])),
            points=r.required_number("points", default=100.0, positive=True),
        )

    def check(self) -> list[SpecIssue]:
        found = _check_codes([("key_results", [kr.code for kr in self.key_results])])
        if self.points <= 0:
            found.append(issue("points", "not_positive", "必须大于 0。", "Must be greater than 0."))
        return found

    def _score(self, columns: Mapping[str, FloatArray], rows: int) -> FloatArray:
        if not self.key_results:
            grade = columns["grade"]
        else:
            total = sum(kr.weight for kr in self.key_results)
            grade = np.zeros(rows)
            for kr in self.key_results:
                column = columns[kr.code]
                grade = grade + np.where((column < 0) | (column > 1), np.nan, column) * (
                    kr.weight / total
                )
        valid = (grade >= 0) & (grade <= 1 + 1e-12)
        return np.where(valid, np.minimum(grade, 1.0) * self.points, np.nan)

    def describe(self, language: str = "zh") -> str:
        if language.startswith("en"):
            source = (
                "the weighted mean of "
                + ", ".join(f"{kr.label or kr.code} (×{fmt(kr.weight)})" for kr in self.key_results)
                if self.key_results
                else "the objective's grade"
            )
            return (
                f"OKR grading: {source}, from 0.0 to 1.0, times {fmt(self.points)} points "
                "(0.6–0.7 is the normal expectation)."
            )
        source = (
            "关键结果 "
            + "、".join(
                f"{kr.label or kr.code}（权重 {fmt(kr.weight)}）" for kr in self.key_results
            )
            + " 的加权平均"
            if self.key_results
            else "目标评分"
        )
        return f"OKR 评分：取{source}（0.0–1.0，0.6–0.7 为正常预期），乘以 {fmt(self.points)} 分。"
