"""Pieces shared by the weighting methods: a bilingual input error and cost-column flags."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt


class WeightsInputError(ValueError):
    """Data a weighting method cannot use; carries the reason in Chinese and English."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(message_en)


def cost_flags(
    cost: Sequence[str] | Sequence[bool],
    labels: Sequence[str],
    error: type[WeightsInputError] = WeightsInputError,
) -> npt.NDArray[np.bool_]:
    """Lower-is-better columns given by name, or as one flag per column."""
    if len(cost) and all(isinstance(c, bool) for c in cost):
        if len(cost) != len(labels):
            raise ValueError(f"{len(cost)} cost flags for {len(labels)} columns")
        return np.array(cost, dtype=bool)
    unknown = [str(c) for c in cost if c not in labels]
    if unknown:
        raise error(
            f"成本型指标 {'、'.join(unknown)} 不在数据列中。",
            f"Cost column(s) {', '.join(unknown)} are not in the data.",
        )
    return np.array([label in cost for label in labels], dtype=bool)
