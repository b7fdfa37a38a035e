"""TOPSIS: rank units by closeness to the ideal (Hwang & Yoon, 1981).

Vector-normalize each column (xᵢⱼ/√Σᵢxᵢⱼ²), weight it, take the best and worst value per
column (max for benefit, min for cost columns), S⁺ and S⁻ as Euclidean distances to them, and
closeness C = S⁻/(S⁺ + S⁻) in [0, 1]. Rank 1 is the closest; equal closeness (to 12 significant
digits) shares a rank and the next rank is skipped (1, 2, 2, 4), as in league tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from jixiao.engine.rules.base import FloatArray, Matrix
from jixiao.engine.rules.weighted import normalized_weights
from jixiao.engine.weights.common import WeightsInputError, cost_flags


class TopsisError(WeightsInputError):
    """The data cannot be used; `message_zh` / `message_en` say why."""


@dataclass(frozen=True)
class TopsisResult:
    names: tuple[str, ...]
    weights: tuple[float, ...]
    cost: tuple[bool, ...]
    ideal: tuple[float, ...]
    anti_ideal: tuple[float, ...]
    s_plus: FloatArray
    s_minus: FloatArray
    closeness: FloatArray
    rank: npt.NDArray[np.int64]

    def as_json(self, ids: Sequence[str] | None = None) -> dict[str, Any]:
        """The stable JSON shape (docs/engine-cli.md)."""
        labels = list(ids) if ids is not None else [str(i + 1) for i in range(len(self.rank))]
        return {
            "criteria": [
                {
                    "name": name,
                    "weight": weight,
                    "direction": "cost" if cost else "benefit",
                    "ideal": best,
                    "anti_ideal": worst,
                }
                for name, weight, cost, best, worst in zip(
                    self.names, self.weights, self.cost, self.ideal, self.anti_ideal, strict=True
                )
            ],
            "rows": [
                {
                    "id": label,
                    "s_plus": float(sp),
                    "s_minus": float(sm),
                    "closeness": float(c),
                    "rank": int(r),
                }
                for label, sp, sm, c, r in zip(
                    labels, self.s_plus, self.s_minus, self.closeness, self.rank, strict=True
                )
            ],
        }


def competition_rank(values: npt.ArrayLike, *, digits: int = 12) -> npt.NDArray[np.int64]:
    """Rank 1 for the largest; ties (equal to `digits` significant digits) share the best rank."""
    v = np.asarray(values, dtype=np.float64)
    rounded = np.array([float(f"{x:.{digits}g}") for x in v]) if v.size else v
    ascending = np.sort(rounded)
    # Rank = 1 + how many values are strictly greater.
    greater = len(ascending) - np.searchsorted(ascending, rounded, side="right")
    return (greater + 1).astype(np.int64)


def topsis(
    data: Matrix,
    weights: Sequence[float] | npt.ArrayLike,
    names: Sequence[str] | None = None,
    *,
    cost: Sequence[str] | Sequence[bool] = (),
) -> TopsisResult:
    """Closeness and rank of each row of an m×k decision matrix."""
    x = np.asarray(data, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise TopsisError("数据必须是非空表格。", "The data must be a non-empty table.")
    _m, k = x.shape
    labels = tuple(names) if names is not None else tuple(f"x{j + 1}" for j in range(k))
    if len(labels) != k:
        raise ValueError(f"{len(labels)} names for {k} columns")
    w = normalized_weights(weights)
    if w.size != k:
        raise TopsisError(
            f"给出了 {w.size} 个权重，但数据有 {k} 个指标列。",
            f"{w.size} weights were given for {k} indicator columns.",
        )
    if not np.isfinite(x).all():
        i, j = np.argwhere(~np.isfinite(x))[0]
        raise TopsisError(
            f"第 {i + 1} 行“{labels[j]}”为空或不是有限数字；TOPSIS 需要完整数据。",
            f"Row {i + 1}, {labels[j]!r} is blank or not a finite number; TOPSIS needs "
            "complete data.",
        )
    flags = cost_flags(cost, labels, TopsisError)
    norms = np.sqrt((x**2).sum(axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(norms > 0, x / norms, 0.0) * w
    best = np.where(flags, v.min(axis=0), v.max(axis=0))
    worst = np.where(flags, v.max(axis=0), v.min(axis=0))
    s_plus = np.sqrt(((v - best) ** 2).sum(axis=1))
    s_minus = np.sqrt(((v - worst) ** 2).sum(axis=1))
    total = s_plus + s_minus
    with np.errstate(divide="ignore", invalid="ignore"):
        # Only a row equal to both ideals (every weighted column constant) has total 0: all
        # rows are then alike, and 0.5 says "halfway" without favouring anyone.
        closeness = np.where(total > 0, s_minus / total, 0.5)
    return TopsisResult(
        names=labels,
        weights=tuple(float(x) for x in w),
        cost=tuple(bool(f) for f in flags),
        ideal=tuple(float(x) for x in best),
        anti_ideal=tuple(float(x) for x in worst),
        s_plus=s_plus,
        s_minus=s_minus,
        closeness=closeness,
        rank=competition_rank(closeness),
    )
