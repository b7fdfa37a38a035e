"""Grades from scores: bands first, then quota rules (DOMAIN.md §6).

Grades are codes ordered best first (e.g. excellent, competent, basically_competent,
incompetent). A band gives the grade a score earns; a quota rule limits the share of a set of
grades at the top or the bottom of the order ("excellent at most 20%", "C+D at least 5%").
Rules are data: the share, how a share becomes a head count (by default "at most" rounds up,
"at least" rounds down), whether the rule is enforced or only advisory.

An enforced "at most" rule moves the lowest-scored people of the set out of it, one grade
further from the edge; an "at least" rule moves the people just outside into it. When people
tie at the boundary the engine never picks among them: it leaves them on the safe side of the
rule and flags them with the number of places left, for the committee to decide.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Bools = NDArray[np.bool_]

AT_MOST = "at_most"
AT_LEAST = "at_least"
ROUNDINGS = ("up", "down", "half_up")
TIE_DECIMALS = 6

NO_GRADE = -1


@dataclass(frozen=True, slots=True)
class Band:
    grade: str
    min_score: float
    """Inclusive lower bound; the last band should start at −inf (or 0)."""


@dataclass(frozen=True, slots=True)
class QuotaRule:
    grades: tuple[str, ...]
    op: str
    share: float
    rounding: str = ""
    """"up", "down" or "half_up"; empty takes the default (up for at most, down for at least)."""
    enforced: bool = True
    label: str = ""


@dataclass(frozen=True, slots=True)
class QuotaViolation:
    rule: QuotaRule
    population: int
    limit: int
    actual: int
    tied: int = 0


@dataclass
class GradeResult:
    band: Ints
    """Per person: the index (into the grade order) the score earns, −1 when not graded."""
    suggested: Ints
    """Per person: the grade index after the quotas, −1 when not graded."""
    reason: list[str]
    """Per person: "band", "quota_down", "quota_up", "tie", "no_score" or "not_graded"."""
    tie: Bools
    places: Ints
    """Per person flagged as tied: how many of the tied may still take the contested grade."""
    limits: list[tuple[QuotaRule, int, int]] = field(default_factory=list)
    """(rule, population, head count) of every rule applied."""
    violations: list[QuotaViolation] = field(default_factory=list)


def head_count(share: float, population: int, op: str, rounding: str = "") -> int:
    """How many people a share of a population allows (at most) or requires (at least)."""
    raw = share * population
    mode = rounding or ("up" if op == AT_MOST else "down")
    if mode == "up":
        n = math.ceil(raw - 1e-9)
    elif mode == "down":
        n = math.floor(raw + 1e-9)
    elif mode == "half_up":
        n = math.floor(raw + 0.5 + 1e-9)
    else:
        raise ValueError(f"unknown rounding {rounding!r}")
    return max(0, min(population, n))


def _band_index(score: Floats, bands: Sequence[Band], order: Sequence[str]) -> Ints:
    index = {g: i for i, g in enumerate(order)}
    out = np.full(score.size, NO_GRADE, dtype=np.int64)
    assigned = ~np.isfinite(score)
    for band in bands:
        hit = ~assigned & (score >= band.min_score - 1e-9)
        out[hit] = index[band.grade]
        assigned |= hit
    return out


def _edge(rule: QuotaRule, order: Sequence[str]) -> tuple[set[int], bool]:
    """The grade indexes of the rule and whether they sit at the top of the order."""
    idx = sorted(order.index(g) for g in rule.grades)
    if idx != list(range(idx[0], idx[-1] + 1)):
        raise ValueError(f"quota grades {rule.grades} are not adjacent in {list(order)}")
    if idx[0] == 0:
        return set(idx), True
    if idx[-1] == len(order) - 1:
        return set(idx), False
    raise ValueError(f"quota grades {rule.grades} sit neither at the top nor the bottom")


def apply_grades(
    score: Floats,
    graded: Bools,
    population: Ints,
    *,
    order: Sequence[str],
    bands: Sequence[Band],
    rules: Sequence[QuotaRule] = (),
) -> GradeResult:
    """Suggested grades of everyone: bands, then each enforced rule within each population
    (e.g. the unit, or each department for a company guideline), then advisory checks."""
    s = np.asarray(score, dtype=np.float64)
    ok = np.asarray(graded, dtype=bool)
    pop = np.asarray(population, dtype=np.int64)
    n = s.size
    band = np.where(ok, _band_index(s, bands, order), NO_GRADE)
    grade = band.copy()
    reason = [
        "not_graded" if not ok[i] else ("no_score" if band[i] == NO_GRADE else "band")
        for i in range(n)
    ]
    tie = np.zeros(n, dtype=bool)
    places = np.zeros(n, dtype=np.int64)
    rounded = np.round(s, TIE_DECIMALS)
    result = GradeResult(band, grade, reason, tie, places)
    for rule in rules:
        members, at_top = _edge(rule, order)
        member_idx = np.array(sorted(members), dtype=np.int64)
        for p in np.unique(pop[grade != NO_GRADE]):
            in_pop = (pop == p) & (grade != NO_GRADE)
            total = int(in_pop.sum())
            limit = head_count(rule.share, total, rule.op, rule.rounding)
            result.limits.append((rule, int(p), limit))
            inside = in_pop & np.isin(grade, member_idx)
            count = int(inside.sum())
            if not rule.enforced:
                broken = count > limit if rule.op == AT_MOST else count < limit
                if broken:
                    result.violations.append(QuotaViolation(rule, int(p), limit, count))
                continue
            if rule.op == AT_MOST and count > limit:
                # keep the best `limit` (top set) or the worst `limit` (bottom set)
                cand = np.flatnonzero(inside)
                keys = -rounded[cand] if at_top else rounded[cand]
                ranked = cand[np.argsort(keys, kind="stable")]
                outside_grade = int(member_idx.max() + 1 if at_top else member_idx.min() - 1)
                _move(
                    result,
                    ranked,
                    limit,
                    rounded,
                    target=outside_grade,
                    why="quota_down" if at_top else "quota_up",
                )
            elif rule.op == AT_LEAST and count < limit:
                need = limit - count
                outside = np.flatnonzero(in_pop & ~np.isin(grade, member_idx))
                keys = -rounded[outside] if at_top else rounded[outside]
                ranked = outside[np.argsort(keys, kind="stable")]
                edge_grade = member_idx.max() if at_top else member_idx.min()
                moved = _pull(
                    result,
                    ranked,
                    need,
                    rounded,
                    int(edge_grade),
                    why="quota_up" if at_top else "quota_down",
                )
                if moved < need:
                    result.violations.append(
                        QuotaViolation(
                            rule, int(p), limit, count + moved, tied=int(result.tie[ranked].sum())
                        )
                    )
    return result


def _move(
    result: GradeResult, ranked: Ints, keep: int, rounded: Floats, *, target: int, why: str
) -> None:
    """People in `ranked` (best-kept first) beyond `keep` leave the set for `target`, the
    grade next to it."""
    if keep < ranked.size and keep > 0 and rounded[ranked[keep - 1]] == rounded[ranked[keep]]:
        boundary = rounded[ranked[keep]]
        tied = ranked[rounded[ranked] == boundary]
        clear = int((rounded[ranked[:keep]] != boundary).sum())
        out = np.concatenate([ranked[keep:][rounded[ranked[keep:]] != boundary], tied])
        for i in tied:
            result.tie[i] = True
            result.places[i] = keep - clear
        for i in out:
            result.suggested[i] = target
            result.reason[i] = "tie" if result.tie[i] else why
        return
    for i in ranked[keep:]:
        result.suggested[i] = target
        result.reason[i] = why


def _pull(
    result: GradeResult, ranked: Ints, need: int, rounded: Floats, edge_grade: int, *, why: str
) -> int:
    """The first `need` people of `ranked` join the set at its edge grade; returns how many."""
    if need <= 0 or ranked.size == 0:
        return 0
    take = min(need, ranked.size)
    if take < ranked.size and rounded[ranked[take - 1]] == rounded[ranked[take]]:
        boundary = rounded[ranked[take - 1]]
        tied = ranked[rounded[ranked] == boundary]
        clear = ranked[:take][rounded[ranked[:take]] != boundary]
        for i in tied:
            result.tie[i] = True
            result.places[i] = take - clear.size
            result.reason[i] = "tie"
        for i in clear:
            result.suggested[i] = edge_grade
            result.reason[i] = why
        return int(clear.size)
    for i in ranked[:take]:
        result.suggested[i] = edge_grade
        result.reason[i] = why
    return int(take)
