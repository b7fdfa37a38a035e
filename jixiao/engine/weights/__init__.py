"""Weights (DOMAIN.md §4): direct, AHP, entropy, their combination; TOPSIS and fuzzy evaluation.

All numpy, no Django: the weighting page, the API and `jixiao engine ...` call the same code.
"""

from jixiao.engine.rules.weighted import (
    WeightError,
    normalized_weights,
    validate_weights,
    weighted_total,
)
from jixiao.engine.weights.ahp import (
    EXTENDED_RI,
    RI_TABLES,
    SAATY_RI,
    AHPError,
    AHPResult,
    MatrixIssue,
    Revision,
    RITable,
    ahp,
    consistent_matrix,
    parse_judgement,
    parse_ri_values,
    ri_table_issues,
    scale_text,
    validate_matrix,
)
from jixiao.engine.weights.combine import combine_weights, direct_weights, global_weights
from jixiao.engine.weights.common import WeightsInputError
from jixiao.engine.weights.entropy import EntropyError, EntropyResult, entropy_weights
from jixiao.engine.weights.fuzzy import (
    FuzzyError,
    FuzzyResult,
    fuzzy_evaluate,
    membership_from_counts,
)
from jixiao.engine.weights.topsis import TopsisError, TopsisResult, competition_rank, topsis

__all__ = [
    "EXTENDED_RI",
    "RI_TABLES",
    "SAATY_RI",
    "AHPError",
    "AHPResult",
    "EntropyError",
    "EntropyResult",
    "FuzzyError",
    "FuzzyResult",
    "MatrixIssue",
    "RITable",
    "Revision",
    "TopsisError",
    "TopsisResult",
    "WeightError",
    "WeightsInputError",
    "ahp",
    "combine_weights",
    "competition_rank",
    "consistent_matrix",
    "direct_weights",
    "entropy_weights",
    "fuzzy_evaluate",
    "global_weights",
    "membership_from_counts",
    "normalized_weights",
    "parse_judgement",
    "parse_ri_values",
    "ri_table_issues",
    "scale_text",
    "topsis",
    "validate_matrix",
    "validate_weights",
    "weighted_total",
]
