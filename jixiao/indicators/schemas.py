"""API input and output for the indicator library, rule evaluation and weight sets.

Inputs forbid unknown fields. PATCH leaves every field optional except `version`; fields not
sent keep their values. Rule problems are reported on fields named `rule.<path>`.
"""

from __future__ import annotations

import datetime
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict, field_validator
from pydantic_core import PydanticCustomError

from jixiao.core.api_pagination import Page
from jixiao.indicators import rules
from jixiao.indicators.models import (
    BarsLevel,
    Category,
    Direction,
    Indicator,
    Period,
    SourceKind,
    WeightSet,
    WeightSetItem,
)


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


def _not_null(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError("null_not_allowed", "This field cannot be null.")
    return value


class BarsLevelIO(Schema):
    level: int = Field(ge=1, le=99)
    title: str = Field(max_length=50)
    description: str
    points: float

    @classmethod
    def of(cls, b: BarsLevel) -> BarsLevelIO:
        return cls(level=b.level, title=b.title, description=b.description, points=float(b.points))


class IndicatorRef(Schema):
    id: int
    code: str
    name: str
    revision: int


class IndicatorOut(Schema):
    id: int = Field(description="The id of this version.")
    code: str = Field(description="Names the indicator across its versions.")
    revision: int = Field(description="Version number within the code.")
    is_latest: bool
    name: str
    category: str
    category_label: str
    definition: str
    standard: str = Field(description="Scoring standard (考评标准).")
    unit: str
    direction: str
    direction_label: str
    source_kind: str
    source_kind_label: str
    source_detail: str
    rule: dict[str, Any]
    rule_description: str
    default_weight: float = Field(description="Percent, 0–100.")
    period: str
    period_label: str
    responsible: str
    is_active: bool
    version: int = Field(description="Send it back with PATCH: it detects concurrent edits.")
    created_at: datetime.datetime

    @classmethod
    def fields_of(cls, i: Indicator) -> dict[str, Any]:
        return {
            "id": i.pk,
            "code": i.code,
            "revision": i.revision,
            "is_latest": i.is_latest,
            "name": i.name,
            "category": i.category,
            "category_label": str(i.get_category_display()),
            "definition": i.definition,
            "standard": i.standard,
            "unit": i.unit,
            "direction": i.direction,
            "direction_label": str(i.get_direction_display()),
            "source_kind": i.source_kind,
            "source_kind_label": str(i.get_source_kind_display()),
            "source_detail": i.source_detail,
            "rule": i.rule if isinstance(i.rule, dict) else {},
            "rule_description": rules.describe(i.rule),
            "default_weight": float(i.default_weight),
            "period": i.period,
            "period_label": str(i.get_period_display()),
            "responsible": i.responsible,
            "is_active": i.is_active,
            "version": i.version,
            "created_at": i.created_at,
        }

    @classmethod
    def of(cls, i: Indicator) -> IndicatorOut:
        return cls(**cls.fields_of(i))


class IndicatorPage(Page[IndicatorOut]):
    pass


class VersionOut(Schema):
    id: int
    revision: int
    is_latest: bool
    created_at: datetime.datetime
    created_by: str | None
    change_note: str


class IndicatorDetailOut(IndicatorOut):
    bars_levels: list[BarsLevelIO] = Field(description="Highest level first.")
    in_use: bool = Field(description="True when a change would create a new version.")
    versions: list[VersionOut] = Field(description="Every version of the code, newest first.")


class IndicatorSavedOut(IndicatorDetailOut):
    new_version: bool = Field(
        description="True when the change created a new version (the old one was in use); "
        "its id differs from the one you patched."
    )


class IndicatorFilters(Schema):
    q: str = Field("", description="Part of the code or name.")
    code: str = Field("", description="Exactly this code.")
    category: Category | None = None
    source_kind: SourceKind | None = None
    direction: Direction | None = None
    rule_kind: str = Field("", description="e.g. ratio, piecewise, bars.")
    active: bool | None = Field(None, description="true: active only; false: inactive only.")


class IndicatorIn(InputSchema):
    code: str = Field(max_length=32)
    name: str = Field(max_length=100)
    category: Category
    definition: str = ""
    standard: str = ""
    unit: str = Field("", max_length=32)
    direction: Direction = Direction.HIGHER
    source_kind: SourceKind = SourceKind.MANUAL
    source_detail: str = ""
    rule: dict[str, Any] = Field(description="A scoring rule spec; see docs/indicators.md.")
    default_weight: float = Field(0, ge=0, le=100)
    period: Period = Period.ANNUAL
    responsible: str = Field("", max_length=100)
    bars_levels: list[BarsLevelIO] = Field(default_factory=list)
    reason: str = Field("", description="Kept in the audit trail.")


class IndicatorPatch(InputSchema):
    version: int = Field(description="The version you read (else 409 concurrent_edit).")
    name: str | None = Field(None, max_length=100)
    category: Category | None = None
    definition: str | None = None
    standard: str | None = None
    unit: str | None = Field(None, max_length=32)
    direction: Direction | None = None
    source_kind: SourceKind | None = None
    source_detail: str | None = None
    rule: dict[str, Any] | None = None
    default_weight: float | None = Field(None, ge=0, le=100)
    period: Period | None = None
    responsible: str | None = Field(None, max_length=100)
    bars_levels: list[BarsLevelIO] | None = None
    reason: str = Field("", description="Kept in the audit trail and the version history.")

    @field_validator(
        "name",
        "category",
        "definition",
        "standard",
        "unit",
        "direction",
        "source_kind",
        "source_detail",
        "rule",
        "default_weight",
        "period",
        "responsible",
        "bars_levels",
    )
    @classmethod
    def not_null(cls, value: Any) -> Any:
        return _not_null(value)


class ActiveIn(InputSchema):
    reason: str = Field("", description="Why; kept in the audit trail.")


# ---------------------------------------------------------------- evaluation


Cell = float | str | None


class EvaluateIn(InputSchema):
    rule: dict[str, Any] | None = Field(None, description="A rule spec to evaluate.")
    formula: str | None = Field(None, max_length=2000, description="An Excel-style formula.")
    indicator_id: int | None = Field(None, description="Evaluate this indicator version's rule.")
    columns: dict[str, list[Cell]] = Field(
        description='Values per column, e.g. {"actual": [95, 80], "target": [100, 100]}; '
        "null is a blank. All columns have the same length."
    )


class RowErrorOut(Schema):
    row: int = Field(description="0-based row index.")
    code: str
    message: str


class EvaluateOut(Schema):
    rows: int
    scores: list[float | None] = Field(description="One per row; null where not scorable.")
    errors: list[RowErrorOut]
    inputs: list[str] = Field(description="The columns the rule or formula reads.")
    description: str


# ---------------------------------------------------------------- weights


class AhpIn(InputSchema):
    names: list[str] = Field(min_length=1, max_length=15)
    matrix: list[list[float | str]] = Field(
        description='Square matrix; cells are numbers or fractions such as "1/3".'
    )
    method: str = Field("eigenvector", pattern="^(eigenvector|geometric)$")
    ri_table: str = Field(
        "saaty",
        description="The random-index table: saaty, extended_15 or one configured in "
        "JIXIAO_AHP_RI_TABLES (GET /api/indicators/weights/ri-tables lists them).",
    )
    ri_values: list[float] | None = Field(
        None,
        description="Your own RI values for n = 1, 2, 3, … instead of a named table "
        '(the result names it "custom").',
    )


class AhpWeightOut(Schema):
    name: str
    weight: float


class AhpRevisionOut(Schema):
    row: str
    column: str
    value: float
    suggested: float
    suggested_scale: str


class AhpOut(Schema):
    weights: list[AhpWeightOut]
    lambda_max: float
    ci: float
    ri: float
    cr: float
    ri_table: str
    ri_values: list[float] = Field(description="The whole RI table used, for n = 1, 2, 3, ….")
    consistent: bool
    revise: AhpRevisionOut | None


class RiTableOut(Schema):
    name: str
    source: str
    values: list[float] = Field(description="RI for n = 1, 2, 3, ….")


class WeightItemOut(Schema):
    indicator: IndicatorRef
    weight: float
    ahp_weight: float | None
    entropy_weight: float | None

    @classmethod
    def of(cls, item: WeightSetItem) -> WeightItemOut:
        ind = item.indicator
        return cls(
            indicator=IndicatorRef(id=ind.pk, code=ind.code, name=ind.name, revision=ind.revision),
            weight=float(item.weight),
            ahp_weight=None if item.ahp_weight is None else float(item.ahp_weight),
            entropy_weight=None if item.entropy_weight is None else float(item.entropy_weight),
        )


class WeightSetOut(Schema):
    id: int
    name: str
    description: str
    method: str
    consistency_ratio: float | None
    ri_table: str
    alpha: float | None
    created_at: datetime.datetime
    created_by: str | None

    @classmethod
    def fields_of(cls, ws: WeightSet) -> dict[str, Any]:
        return {
            "id": ws.pk,
            "name": ws.name,
            "description": ws.description,
            "method": ws.method,
            "consistency_ratio": ws.consistency_ratio,
            "ri_table": ws.ri_table_name,
            "alpha": None if ws.alpha is None else float(ws.alpha),
            "created_at": ws.created_at,
            "created_by": ws.created_by.get_username() if ws.created_by else None,
        }

    @classmethod
    def of(cls, ws: WeightSet) -> WeightSetOut:
        return cls(**cls.fields_of(ws))


class WeightSetPage(Page[WeightSetOut]):
    pass


class WeightSetDetailOut(WeightSetOut):
    items: list[WeightItemOut]
    matrix: list[list[float]]
    lambda_max: float | None
    consistency_index: float | None
    ri_values: list[float]
