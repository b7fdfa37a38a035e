"""Rules that look points up in a table: value bands, BARS levels, and rank to points."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from jixiao.engine.rules.base import (
    FloatArray,
    Rule,
    SpecIssue,
    SpecReader,
    fmt,
    issue,
)


@dataclass(frozen=True)
class Band:
    """Values from `min` to `max` score `points`; a null bound is open."""

    min: float | None
    max: float | None
    points: float

    @classmethod
    def read(cls, r: SpecReader) -> Band:
        return cls(
            min=r.number("min", None, nullable=True),
            max=r.number("max", None, nullable=True),
            points=r.required_number("points"),
        )

    def as_json(self) -> dict[str, object]:
        return {"min": self.min, "max": self.max, "points": self.points}


def _low(band: Band) -> float:
    return -np.inf if band.min is None else band.min


def _high(band: Band) -> float:
    return np.inf if band.max is None else band.max


@dataclass(frozen=True)
class BandsRule(Rule):
    """A table of value ranges to points, over the `actual` column.

    By default each band includes its lower bound and excludes its upper bound, [min, max);
    `right_closed` flips this to (min, max]. Bands may be listed in any order but must join up
    without gaps or overlaps; values outside every band score `outside_points` (NaN if null).
    """

    kind: ClassVar[str] = "bands"
    bands: tuple[Band, ...] = ()
    right_closed: bool = False
    outside_points: float | None = None

    @property
    def inputs(self) -> tuple[str, ...]:
        return ("actual",)

    def parameters(self) -> dict[str, object]:
        return {
            "bands": [b.as_json() for b in self.bands],
            "right_closed": self.right_closed,
            "outside_points": self.outside_points,
        }

    @classmethod
    def read(cls, r: SpecReader) -> BandsRule:
        return cls(
            bands=tuple(r.items("bands", Band.read)),
            right_closed=r.boolean("right_closed", False),
            outside_points=r.number("outside_points", None, nullable=True),
        )

    def _order(self) -> list[int]:
        return sorted(
            range(len(self.bands)), key=lambda i: (_low(self.bands[i]), _high(self.bands[i]))
        )

    def check(self) -> list[SpecIssue]:
        found: list[SpecIssue] = []
        if not self.bands:
            return [issue("bands", "empty", "至少需要一个分档。", "At least one band is needed.")]
        for index, band in enumerate(self.bands):
            if _low(band) >= _high(band):
                found.append(
                    issue(
                        f"bands[{index}].max",
                        "empty_band",
                        "上限必须大于下限。",
                        "The upper bound must be greater than the lower bound.",
                    )
                )
        if found:
            return found
        order = self._order()
        for a, b in itertools.pairwise(order):
            first, second = self.bands[a], self.bands[b]
            if first.max is None:
                found.append(
                    issue(
                        f"bands[{a}].max",
                        "open_band_not_last",
                        f"只有最高一档可以不设上限（第 {b + 1} 档在它之上）。",
                        f"Only the highest band may be open above (band {b + 1} lies above it).",
                    )
                )
            elif second.min is None:
                found.append(
                    issue(
                        f"bands[{b}].min",
                        "open_band_not_first",
                        "只有最低一档可以不设下限。",
                        "Only the lowest band may be open below.",
                    )
                )
            elif _high(first) > _low(second):
                found.append(
                    issue(
                        f"bands[{b}].min",
                        "overlap",
                        f"与第 {a + 1} 档重叠：{fmt(_low(second))} 小于其上限 {fmt(_high(first))}。",
                        f"Overlaps band {a + 1}: {fmt(_low(second))} is below its upper bound "
                        f"{fmt(_high(first))}.",
                    )
                )
            elif _high(first) < _low(second):
                found.append(
                    issue(
                        f"bands[{b}].min",
                        "gap",
                        f"与第 {a + 1} 档之间有空档：{fmt(_high(first))} 到 {fmt(_low(second))} 之间的值无法计分。",
                        f"Gap after band {a + 1}: values between {fmt(_high(first))} and "
                        f"{fmt(_low(second))} would not be scored.",
                    )
                )
        return found

    def _score(self, columns: Mapping[str, FloatArray], rows: int) -> FloatArray:
        actual = columns["actual"]
        ordered = [self.bands[i] for i in self._order()]
        points = np.array([b.points for b in ordered], dtype=np.float64)
        outside = np.nan if self.outside_points is None else self.outside_points
        if self.right_closed:
            highs = np.array([_high(b) for b in ordered])
            index = np.searchsorted(highs, actual, side="left")
            inside = (index < len(ordered)) & (actual > _low(ordered[0]))
        else:
            lows = np.array([_low(b) for b in ordered])
            index = np.searchsorted(lows, actual, side="right") - 1
            inside = (index >= 0) & (actual < _high(ordered[-1]))
        safe = np.clip(index, 0, len(ordered) - 1)
        score = np.where(inside, points[safe], outside)
        return np.where(np.isnan(actual), np.nan, score)

    def describe(self, language: str = "zh") -> str:
        en = language.startswith("en")
        parts = []
        for band in (self.bands[i] for i in self._order()):
            lo = "−∞" if band.min is None else fmt(band.min)
            hi = "+∞" if band.max is None else fmt(band.max)
            left, right = ("(", "]") if self.right_closed else ("[", ")")
            left = "(" if band.min is None else left
            right = ")" if band.max is None else right
            parts.append(f"{left}{lo}, {hi}{right} → {fmt(band.points)}" + ("" if en else " 分"))
        if en:
            return "Bands of the actual value: " + "; ".join(parts) + "."
        return "按实际值分档计分：" + "；".join(parts) + "。"


MAX_LEVEL = 1000


@dataclass(frozen=True)
class Level:
    """A BARS level: the number the rater picks, its points and its behavioural anchor."""

    level: int
    points: float
    label: str = ""

    @classmethod
    def read(cls, r: SpecReader) -> Level:
        return cls(
            level=r.integer("level"),
            points=r.required_number("points"),
            label=r.string("label", "", non_empty=False),
        )

    def as_json(self) -> dict[str, object]:
        return {"level": self.level, "points": self.points, "label": self.label}


@dataclass(frozen=True)
class BarsRule(Rule):
    """Behaviourally anchored rating scale: the `level` column picks a level, the level has points.

    A level that is not in the table (or not a whole number) is not scorable (NaN).
    """

    kind: ClassVar[str] = "bars"
    levels: tuple[Level, ...] = ()

    @property
    def inputs(self) -> tuple[str, ...]:
        return ("level",)

    def parameters(self) -> dict[str, object]:
        return {"levels": [level.as_json() for level in self.levels]}

    @classmethod
    def read(cls, r: SpecReader) -> BarsRule:
        return cls(levels=tuple(r.items("levels", Level.read)))

    def check(self) -> list[SpecIssue]:
        if not self.levels:
            return [issue("levels", "empty", "至少需要一个等级。", "At least one level is needed.")]
        found: list[SpecIssue] = []
        seen: dict[int, int] = {}
        for index, level in enumerate(self.levels):
            if level.level in seen:
                found.append(
                    issue(
                        f"levels[{index}].level",
                        "duplicate",
                        f"等级 {level.level} 与第 {seen[level.level] + 1} 项重复。",
                        f"Level {level.level} repeats item {seen[level.level] + 1}.",
                    )
                )
            seen.setdefault(level.level, index)
        for index, level in enumerate(self.levels):
            if not 0 <= level.level <= MAX_LEVEL:
                found.append(
                    issue(
                        f"levels[{index}].level",
                        "out_of_range",
                        f"等级必须在 0 到 {MAX_LEVEL} 之间。",
                        f"A level must lie between 0 and {MAX_LEVEL}.",
                    )
                )
        return found

    def _score(self, columns: Mapping[str, FloatArray], rows: int) -> FloatArray:
        chosen = columns["level"]
        first = min(level.level for level in self.levels)
        last = max(level.level for level in self.levels)
        table = np.full(last - first + 1, np.nan)
        for level in self.levels:
            table[level.level - first] = level.points
        whole = np.isfinite(chosen) & (chosen == np.round(chosen))
        inside = whole & (chosen >= first) & (chosen <= last)
        index = np.where(inside, chosen - first, 0).astype(np.intp)
        return np.where(inside, table[index], np.nan)

    def describe(self, language: str = "zh") -> str:
        ordered = sorted(self.levels, key=lambda level: level.level)
        if language.startswith("en"):
            listed = ", ".join(f"level {x.level} → {fmt(x.points)}" for x in ordered)
            return f"Behaviourally anchored levels: {listed}."
        listed = "，".join(f"{x.level} 级 {fmt(x.points)} 分" for x in ordered)
        return f"行为锚定等级评分：{listed}。"


@dataclass(frozen=True)
class RankRule(Rule):
    """Rank to points: `table[0]` for 1st place, `table[1]` for 2nd, …; beyond the table
    `default_points`. Ranks must be whole numbers from 1; anything else is not scorable (NaN).
    Ties are the caller's business: two rows both ranked 2 both get the 2nd-place points.
    """

    kind: ClassVar[str] = "rank"
    table: tuple[float, ...] = ()
    default_points: float = 0.0

    @property
    def inputs(self) -> tuple[str, ...]:
        return ("rank",)

    def parameters(self) -> dict[str, object]:
        return {"table": list(self.table), "default_points": self.default_points}

    @classmethod
    def read(cls, r: SpecReader) -> RankRule:
        return cls(
            table=tuple(r.numbers("table")),
            default_points=r.required_number("default_points", default=0.0),
        )

    def check(self) -> list[SpecIssue]:
        if not self.table:
            return [issue("table", "empty", "至少需要一个名次。", "At least one place is needed.")]
        if len(self.table) > 10000:
            return [issue("table", "too_long", "名次表过长。", "The table is too long.")]
        found: list[SpecIssue] = []
        for index in range(1, len(self.table)):
            if self.table[index] > self.table[index - 1]:
                found.append(
                    issue(
                        f"table[{index}]",
                        "not_decreasing",
                        f"第 {index + 1} 名的得分不能高于第 {index} 名。",
                        f"Place {index + 1} must not score more than place {index}.",
                    )
                )
        if self.default_points > self.table[-1]:
            found.append(
                issue(
                    "default_points",
                    "not_decreasing",
                    "表外名次的得分不能高于表中最后一名。",
                    "Places beyond the table must not score more than its last place.",
                )
            )
        return found

    def _score(self, columns: Mapping[str, FloatArray], rows: int) -> FloatArray:
        rank = columns["rank"]
        table = np.asarray(self.table, dtype=np.float64)
        valid = np.isfinite(rank) & (rank >= 1) & (rank == np.round(rank))
        within = valid & (rank <= len(table))
        index = np.where(within, rank - 1, 0).astype(np.intp)
        score = np.where(within, table[index], self.default_points)
        return np.where(valid, score, np.nan)

    def describe(self, language: str = "zh") -> str:
        shown = self.table[:5]
        more = len(self.table) > 5
        if language.startswith("en"):
            listed = ", ".join(f"#{i + 1} → {fmt(p)}" for i, p in enumerate(shown))
            return (
                f"Rank to points: {listed}{', …' if more else ''}; "
                f"below place {len(self.table)} → {fmt(self.default_points)}."
            )
        listed = "，".join(f"第 {i + 1} 名 {fmt(p)} 分" for i, p in enumerate(shown))
        return (
            f"按名次计分：{listed}{'，……' if more else ''}；"
            f"第 {len(self.table)} 名以后 {fmt(self.default_points)} 分。"
        )
