"""Appraisal scoring (DOMAIN.md §3, §5, §6), pure numpy: rater standardization, aggregation of
items, rater groups and sections into totals, ranks, grades with quotas, rater statistics.

Every function takes flat arrays (one row per rating, per ratee, per rater) and returns arrays,
so a whole organization is scored in one pass; the Django side only loads and stores arrays.
"""

from jixiao.engine.appraisal.aggregate import (
    GroupSpec,
    ScoreBreakdown,
    SectionSpec,
    aggregate_scores,
)
from jixiao.engine.appraisal.grades import (
    Band,
    GradeResult,
    QuotaRule,
    QuotaViolation,
    apply_grades,
    head_count,
)
from jixiao.engine.appraisal.ranking import rank_within
from jixiao.engine.appraisal.rater_stats import RaterStats, rater_statistics
from jixiao.engine.appraisal.standardize import Standardized, standardize_by_rater

__all__ = [
    "Band",
    "GradeResult",
    "GroupSpec",
    "QuotaRule",
    "QuotaViolation",
    "RaterStats",
    "ScoreBreakdown",
    "SectionSpec",
    "Standardized",
    "aggregate_scores",
    "apply_grades",
    "head_count",
    "rank_within",
    "rater_statistics",
    "standardize_by_rater",
]
