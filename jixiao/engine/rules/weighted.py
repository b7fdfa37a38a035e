"""Weighted totals S = Σ wₖ·sₖ, and the check that weights sum to 1 (or 100%)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from jixiao.engine.rules.base import FloatArray, Matrix, RuleSpecError, SpecIssue, fmt, issue


class WeightError(RuleSpecError):
    """Weights that are negative, not numbers, or do not sum to 1 (or 100)."""


def validate_weights(
    weights: Sequence[float] | npt.ArrayLike, *, tolerance: float = 1e-6
) -> list[SpecIssue]:
    """Weights must be finite, non-negative and sum to 1; a sum of 100 (percent) is accepted."""
    try:
        values = np.asarray(weights, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        return [issue("weights", "not_number", "权重必须是数字。", "Weights must be numbers.")]
    if values.size == 0:
        return [issue("weights", "empty", "至少需要一个权重。", "At least one weight is needed.")]
    found: list[SpecIssue] = []
    for index, value in enumerate(values):
        if not math.isfinite(value):
            found.append(
                issue(
                    f"weights[{index}]",
                    "not_finite",
                    "必须是有限的数字。",
                    "Must be a finite number.",
                )
            )
        elif value < 0:
            found.append(
                issue(
                    f"weights[{index}]",
                    "negative",
                    "权重不能为负数。",
                    "A weight must not be negative.",
                )
            )
    if found:
        return found
    total = float(values.sum())
    if abs(total - 1.0) > tolerance and abs(total - 100.0) > tolerance * 100:
        found.append(
            issue(
                "weights",
                "sum_not_one",
                f"权重之和应为 1（或 100%），当前为 {fmt(round(total, 6))}。",
                f"The weights must sum to 1 (or 100%); they sum to {fmt(round(total, 6))}.",
            )
        )
    return found


def normalized_weights(
    weights: Sequence[float] | npt.ArrayLike, *, tolerance: float = 1e-6
) -> FloatArray:
    """Validated weights as fractions summing to exactly 1 (percentages are divided by 100)."""
    problems = validate_weights(weights, tolerance=tolerance)
    if problems:
        raise WeightError(problems)
    values = np.asarray(weights, dtype=np.float64).ravel()
    return values / values.sum()


def weighted_total(
    scores: Matrix,
    weights: Sequence[float] | npt.ArrayLike,
    *,
    renormalize_missing: bool = True,
) -> FloatArray:
    """Row totals of an n×k score matrix.

    With `renormalize_missing` a row's blank (NaN) scores are left out and the remaining weights
    are scaled up to 1, so an indicator that does not apply to someone does not count as 0; a
    row with no scored indicator of positive weight is NaN. Without it any blank makes the row
    NaN.
    """
    matrix = np.asarray(scores, dtype=np.float64)
    if matrix.ndim == 1:
        matrix = matrix.reshape(-1, 1)
    if matrix.ndim != 2:
        raise ValueError("scores must be an n×k matrix")
    w = normalized_weights(weights)
    if w.size != matrix.shape[1]:
        raise ValueError(f"{w.size} weights for {matrix.shape[1]} score columns")
    if not renormalize_missing:
        return matrix @ w
    present = ~np.isnan(matrix)
    total = np.where(present, matrix, 0.0) @ w
    covered = present.astype(np.float64) @ w
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(covered > 0, total / covered, np.nan)
