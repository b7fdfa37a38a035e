"""Fuzzy comprehensive evaluation (模糊综合评价).

R is the membership matrix: one row per factor, one column per grade, rᵢⱼ = the share of raters
who put factor i in grade j. B = W∘R combines it with the factor weights W:

- "weighted_average", M(·,⊕) (default): bⱼ = min(1, Σᵢ wᵢ·rᵢⱼ); every factor counts.
- "max_min", M(∧,∨): bⱼ = maxᵢ min(wᵢ, rᵢⱼ); only the strongest factor per grade counts, which
  throws information away and is kept for comparison with older studies.

B is normalized to sum to 1; the result is the grade of maximum membership and, when grade
scores are given (e.g. 95/85/75/65/50), the score B·scores.
Many appraisees at once: R may be n×k×g; the results are then per appraisee.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from jixiao.engine.rules.base import FloatArray, Matrix
from jixiao.engine.rules.weighted import normalized_weights
from jixiao.engine.weights.common import WeightsInputError

Operator = Literal["weighted_average", "max_min"]
OPERATORS: tuple[Operator, ...] = ("weighted_average", "max_min")


class FuzzyError(WeightsInputError):
    """The membership matrix or grade scores cannot be used."""


@dataclass(frozen=True)
class FuzzyResult:
    operator: Operator
    b: FloatArray  # g, or n×g: W∘R before normalization
    b_normalized: FloatArray
    grade: npt.NDArray[np.int64]  # index of the maximum membership (first on ties)
    tied: npt.NDArray[np.bool_]  # True where two grades share the maximum membership
    score: FloatArray | None  # B_normalized · grade scores

    def as_json(self, grades: Sequence[str] | None = None) -> dict[str, Any]:
        names = list(grades) if grades is not None else None
        single = self.b.ndim == 1

        def one(k: int | None) -> dict[str, object]:
            b = self.b if k is None else self.b[k]
            bn = self.b_normalized if k is None else self.b_normalized[k]
            grade = int(self.grade if k is None else self.grade[k])
            score = None
            if self.score is not None:
                score = float(self.score if k is None else self.score[k])
            return {
                "b": [float(x) for x in b],
                "b_normalized": [float(x) for x in bn],
                "grade_index": grade,
                "grade": names[grade] if names else None,
                "tied": bool(self.tied if k is None else self.tied[k]),
                "score": score,
            }

        if single:
            return {"operator": self.operator, **one(None)}
        return {"operator": self.operator, "results": [one(k) for k in range(self.b.shape[0])]}


def membership_from_counts(counts: Matrix) -> FloatArray:
    """Turn rater counts per (factor, grade) into shares; a factor nobody rated stays all 0."""
    c = np.asarray(counts, dtype=np.float64)
    if (c < 0).any() or not np.isfinite(c).all():
        raise FuzzyError("人数必须是非负数。", "Counts must be non-negative numbers.")
    totals = c.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(totals > 0, c / totals, 0.0)


def fuzzy_evaluate(
    weights: Sequence[float] | npt.ArrayLike,
    membership: Matrix,
    *,
    operator: Operator = "weighted_average",
    grade_scores: Sequence[float] | npt.ArrayLike | None = None,
) -> FuzzyResult:
    """B = W∘R, its normalization, the maximum-membership grade and the grade-score result."""
    r = np.asarray(membership, dtype=np.float64)
    if r.ndim not in (2, 3):
        raise FuzzyError(
            "隶属度矩阵必须是“因素 × 等级”（或“对象 × 因素 × 等级”）。",
            "The membership matrix must be factors × grades (or appraisees × factors × grades).",
        )
    if not np.isfinite(r).all() or (r < 0).any() or (r > 1 + 1e-9).any():
        raise FuzzyError("隶属度必须在 0 到 1 之间。", "Memberships must lie between 0 and 1.")
    w = normalized_weights(weights)
    if w.size != r.shape[-2]:
        raise FuzzyError(
            f"给出了 {w.size} 个因素权重，但隶属度矩阵有 {r.shape[-2]} 个因素。",
            f"{w.size} weights were given for {r.shape[-2]} factors.",
        )
    if operator == "weighted_average":
        b = np.minimum(1.0, np.einsum("k,...kg->...g", w, r))
    elif operator == "max_min":
        b = np.minimum(w[:, None], r).max(axis=-2)
    else:
        raise ValueError(f"operator must be one of {OPERATORS}")
    total = b.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        b_normalized = np.where(total > 0, b / total, np.nan)
    grade = np.argmax(b, axis=-1).astype(np.int64)
    peak = b.max(axis=-1, keepdims=True)
    tied = (np.isclose(b, peak, rtol=0, atol=1e-12).sum(axis=-1) > 1) | (peak[..., 0] <= 0)
    score: FloatArray | None = None
    if grade_scores is not None:
        s = np.asarray(grade_scores, dtype=np.float64)
        if s.shape != (r.shape[-1],) or not np.isfinite(s).all():
            raise FuzzyError(
                f"需要 {r.shape[-1]} 个等级分值。",
                f"{r.shape[-1]} grade scores are needed, one per grade.",
            )
        score = b_normalized @ s
    return FuzzyResult(
        operator=operator,
        b=b,
        b_normalized=b_normalized,
        grade=grade,
        tied=np.asarray(tied),
        score=score,
    )
