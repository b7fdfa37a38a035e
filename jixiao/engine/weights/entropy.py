"""Entropy weights (熵权法): objective weights from how much each indicator varies.

As DOMAIN.md §4: min–max normalize by direction (cost columns reversed), pᵢⱼ = xᵢⱼ/Σᵢxᵢⱼ,
eⱼ = −(1/ln m)·Σᵢ pᵢⱼ ln pᵢⱼ with 0·ln 0 = 0, dⱼ = 1 − eⱼ, wⱼ = dⱼ/Σdⱼ. A constant column
carries no information: weight 0, with a note. Entropy measures dispersion, not importance,
which is why it is usually combined with AHP (see `combine.combine_weights`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from jixiao.engine.rules.base import Matrix
from jixiao.engine.weights.common import WeightsInputError, cost_flags

Normalization = Literal["minmax", "proportion"]


class EntropyError(WeightsInputError):
    """The data cannot be used; `message_zh` / `message_en` say why."""


@dataclass(frozen=True)
class EntropyResult:
    names: tuple[str, ...]
    cost: tuple[bool, ...]
    entropy: tuple[float, ...]
    divergence: tuple[float, ...]
    weights: tuple[float, ...]
    rows: int
    normalization: Normalization
    notes: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The stable JSON shape (docs/engine-cli.md)."""
        return {
            "rows": self.rows,
            "normalization": self.normalization,
            "indicators": [
                {
                    "name": name,
                    "direction": "cost" if cost else "benefit",
                    "entropy": e,
                    "divergence": d,
                    "weight": w,
                    "note": self.notes.get(name),
                }
                for name, cost, e, d, w in zip(
                    self.names, self.cost, self.entropy, self.divergence, self.weights, strict=True
                )
            ],
        }


CONSTANT_NOTE = "数值全部相同，不含区分信息，权重为 0 / constant column: no information, weight 0"


def entropy_weights(
    data: Matrix,
    names: Sequence[str] | None = None,
    *,
    cost: Sequence[str] | Sequence[bool] = (),
    normalization: Normalization = "minmax",
) -> EntropyResult:
    """Entropy weights of the k columns of an m×k matrix (m appraisees, k indicators).

    `cost` names (or flags) the lower-is-better columns. `normalization="proportion"` skips the
    min–max step and uses the raw non-negative values, as Shannon-entropy papers do; directions
    do not apply then.
    """
    x = np.asarray(data, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] == 0:
        raise EntropyError("数据必须是至少一列的表格。", "The data must be a table with columns.")
    m, k = x.shape
    labels = tuple(names) if names is not None else tuple(f"x{j + 1}" for j in range(k))
    if len(labels) != k:
        raise ValueError(f"{len(labels)} names for {k} columns")
    if m < 2:
        raise EntropyError(
            "至少需要 2 行数据（被评对象）才能计算熵权。",
            "Entropy weights need at least 2 rows (appraisees).",
        )
    if not np.isfinite(x).all():
        i, j = np.argwhere(~np.isfinite(x))[0]
        raise EntropyError(
            f"第 {i + 1} 行“{labels[j]}”为空或不是有限数字；熵权法需要完整数据。",
            f"Row {i + 1}, {labels[j]!r} is blank or not a finite number; "
            "entropy weights need complete data.",
        )
    flags = cost_flags(cost, labels, EntropyError)
    if normalization == "minmax":
        low, high = x.min(axis=0), x.max(axis=0)
        spread = high - low
        with np.errstate(divide="ignore", invalid="ignore"):
            scaled = np.where(flags, high - x, x - low) / spread
        scaled = np.where(spread > 0, scaled, 0.0)
    elif normalization == "proportion":
        if any(flags):
            raise EntropyError(
                "按原始比例计算时不区分方向，请不要指定成本型指标。",
                "Cost columns apply to min–max normalization only.",
            )
        if (x < 0).any():
            raise EntropyError(
                "按原始比例计算时数据不能为负数。",
                "With proportion normalization the data must not be negative.",
            )
        scaled = x
    else:
        raise ValueError(f"unknown normalization {normalization!r}")
    sums = scaled.sum(axis=0)
    informative = sums > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(informative, scaled / sums, 0.0)
        plogp = np.where(p > 0, p * np.log(p), 0.0)  # 0·ln 0 = 0
    e = np.where(informative, -plogp.sum(axis=0) / np.log(m), 1.0)
    e = np.clip(e, 0.0, 1.0)
    d = 1.0 - e
    notes = {labels[j]: CONSTANT_NOTE for j in range(k) if d[j] <= 1e-15}
    if d.sum() <= 1e-15:
        raise EntropyError(
            "所有指标的数值在各行之间都没有差异，无法计算熵权。",
            "No indicator varies between rows, so entropy weights are undefined.",
        )
    w = d / d.sum()
    return EntropyResult(
        names=labels,
        cost=tuple(bool(f) for f in flags),
        entropy=tuple(float(v) for v in e),
        divergence=tuple(float(v) for v in d),
        weights=tuple(float(v) for v in w),
        rows=m,
        normalization=normalization,
        notes=notes,
    )
