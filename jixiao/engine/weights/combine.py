"""Direct weights, the AHP + entropy combination, and hierarchical (global) weights."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from jixiao.engine.rules.base import FloatArray, SpecIssue
from jixiao.engine.rules.weighted import WeightError, normalized_weights, validate_weights

__all__ = [
    "combine_weights",
    "direct_weights",
    "global_weights",
    "validate_weights",
]


def direct_weights(weights: Sequence[float] | npt.ArrayLike) -> FloatArray:
    """Weights typed by people: checked to sum to 1 or 100%, returned as fractions of 1."""
    return normalized_weights(weights)


def combine_weights(
    subjective: Sequence[float] | npt.ArrayLike,
    objective: Sequence[float] | npt.ArrayLike,
    alpha: float = 0.5,
) -> FloatArray:
    """w = α·w_AHP + (1−α)·w_entropy, renormalized to 1.

    AHP says what matters, entropy what discriminates; α is how much to trust the judgement.
    """
    if not (0.0 <= alpha <= 1.0) or math.isnan(alpha):
        raise ValueError("alpha must be between 0 and 1")
    a = normalized_weights(subjective)
    b = normalized_weights(objective)
    if a.size != b.size:
        raise ValueError(f"{a.size} subjective weights but {b.size} objective weights")
    w = alpha * a + (1.0 - alpha) * b
    return w / w.sum()


def global_weights(
    children: Mapping[str, Mapping[str, float]],
    root: str = "",
    *,
    tolerance: float = 1e-6,
) -> dict[str, float]:
    """Global weight of every node below `root`: parent's global weight × local weight.

    `children[parent]` maps each child to its local weight; every parent's local weights must
    sum to 1 (or 100%). A node that appears under two parents, or a cycle, is an error.
    """
    result: dict[str, float] = {}
    issues: list[SpecIssue] = []
    stack: list[tuple[str, float]] = [(root, 1.0)]
    visited: set[str] = {root}
    while stack:
        parent, weight = stack.pop()
        local = children.get(parent)
        if not local:
            continue
        names = list(local)
        problems = validate_weights([local[n] for n in names], tolerance=tolerance)
        for problem in problems:
            issues.append(
                SpecIssue(
                    f"{parent or '(root)'}.{problem.path}",
                    problem.code,
                    f"“{parent or '总目标'}”下的{problem.message_zh}",
                    f"Under {parent or 'the goal'!r}: {problem.message_en}",
                )
            )
        if problems:
            continue
        values = np.array([local[n] for n in names], dtype=np.float64)
        values = values / values.sum()
        for name, value in zip(names, values, strict=True):
            if name in visited:
                issues.append(
                    SpecIssue(
                        name,
                        "repeated_node",
                        f"“{name}”在层次结构中出现了不止一次。",
                        f"{name!r} appears more than once in the hierarchy.",
                    )
                )
                continue
            visited.add(name)
            result[name] = weight * float(value)
            stack.append((name, result[name]))
    if issues:
        raise WeightError(issues)
    return result
