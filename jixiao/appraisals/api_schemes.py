"""The appraisal schemes API (考核方案): list, detail, create (from a preset or from data), save
a scheme's content (a new version when a cycle uses it), deactivate and reactivate.

Same rules as the pages: every signed-in caller reads every scheme (an unknown id answers
404); system and performance administrators write (403 for the others). The writes go
through the services of jixiao.appraisals.schemes, so the API refuses what the editor page
refuses, with the same field names and codes (e.g. `sections[0].items[1].weight`,
`weights_not_100`); a stale `version` answers 409 `concurrent_edit`.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from jixiao.accounts.api_auth import api_user
from jixiao.accounts.models import User
from jixiao.appraisals import schemes
from jixiao.appraisals.models import Scheme, SchemePreset
from jixiao.appraisals.permissions import can_manage_schemes
from jixiao.appraisals.presets import DEFAULT_ELIGIBILITY
from jixiao.appraisals.selectors import (
    SchemeFilter,
    get_scheme,
    scheme_version_counts,
    scheme_versions,
    schemes_filtered,
)
from jixiao.appraisals.selectors_schemes import get_scheme_with_rows
from jixiao.core.actor import Actor, client_ip
from jixiao.core.api_errors import ERROR_RESPONSES, ErrorOut
from jixiao.core.api_pagination import Page, PageParams, paginate
from jixiao.org.schemas import InputSchema

router = Router(tags=["appraisal: schemes"])

WRITE_RESPONSES: dict[int, type[ErrorOut]] = {**ERROR_RESPONSES, 409: ErrorOut}


def _actor(request: HttpRequest, user: User) -> Actor:
    return Actor.for_user(user, source="api", ip=client_ip(request))


def _decimal(value: float) -> Decimal:
    return Decimal(str(value))


# ---------------------------------------------------------------- output


class SchemeOut(Schema):
    id: int
    code: str = Field(description="Names the scheme across its versions; never changes.")
    revision: int = Field(description="The version number (1, 2, …).")
    is_latest: bool
    is_active: bool = Field(
        description="False once deactivated (every version of the code): not offered for new "
        "cycles and recurring appraisals; the cycles that use it go on."
    )
    name: str
    description: str
    preset: str
    version: int = Field(description="Send it back to change or (de)activate the scheme.")
    version_count: int = Field(description="How many versions the code has.")
    cycle_count: int = Field(description="How many cycles use this version.")
    created_at: datetime.datetime
    created_by: str | None
    change_note: str

    @staticmethod
    def fields_of(s: Scheme, version_count: int, cycle_count: int) -> dict[str, Any]:
        return {
            "id": s.pk,
            "code": s.code,
            "revision": s.revision,
            "is_latest": s.is_latest,
            "is_active": s.is_active,
            "name": s.name,
            "description": s.description,
            "preset": s.preset,
            "version": s.version,
            "version_count": version_count,
            "cycle_count": cycle_count,
            "created_at": s.created_at,
            "created_by": s.created_by.get_username() if s.created_by else None,
            "change_note": s.change_note,
        }


class GradeIO(Schema):
    code: str
    label: str
    min_score: float = Field(description="The lowest score of the grade.")


class QuotaRuleIO(Schema):
    grades: list[str] = Field(
        description='Adjacent grade codes at the top or the bottom, e.g. ["excellent"].'
    )
    op: str = Field(description="at_most or at_least.")
    share: float = Field(description="0–1: 0.20 means 20%.")
    share_if_approved: float | None = Field(
        None, description="The share when the cycle's higher share was approved."
    )
    share_by_unit_grade: dict[str, float] = Field(
        {}, description='The share by the unit\'s own grade: {"excellent": 0.25, "failed": 0.15}.'
    )
    rounding: str = Field(
        "", description="up, down or half_up; empty: up for at_most, down for at_least."
    )
    population: str = Field("cycle", description="cycle or department.")
    enforced: bool = Field(True, description="False: only reported (advisory).")
    label: str = ""

    @classmethod
    def of(cls, rule: dict[str, Any]) -> QuotaRuleIO:
        return cls(
            grades=list(rule.get("grades", [])),
            op=str(rule.get("op", "")),
            share=float(rule.get("share") or 0),
            share_if_approved=rule.get("share_if_approved"),
            share_by_unit_grade=dict(rule.get("share_by_unit_grade") or {}),
            rounding=str(rule.get("rounding", "")),
            population=str(rule.get("population") or "cycle"),
            enforced=bool(rule.get("enforced", True)),
            label=str(rule.get("label", "")),
        )

    def as_rule(self) -> dict[str, Any]:
        """The rule as the editor page stores it (so that the same content compares equal)."""
        rule: dict[str, Any] = {
            "grades": [g.strip() for g in self.grades if g.strip()],
            "op": self.op,
            "share": self.share,
            "rounding": self.rounding,
            "enforced": self.enforced,
            "population": self.population or "cycle",
            "label": self.label.strip(),
        }
        if self.share_if_approved is not None:
            rule["share_if_approved"] = self.share_if_approved
        if self.share_by_unit_grade:
            rule["share_by_unit_grade"] = dict(self.share_by_unit_grade)
        return rule


class EligibilityIO(Schema):
    new_hire_months: int = Field(6, description="Hired less than this: a comment, no grade.")
    leave_months: int = Field(6, description="On leave more than this: no grade.")
    seconded_months: int = Field(6, description="Seconded more than this: the host unit's.")


class ItemOut(Schema):
    code: str
    name: str
    description: str
    weight: float = Field(description="Percent of the section.")
    max_score: float
    kpi_source: str = Field(description="KPI items: goal_progress, indicator or manual.")
    indicator: str = Field(description="The indicator's code, or empty.")
    indicator_id: int | None
    indicator_name: str


class SectionOut(Schema):
    code: str
    name: str
    kind: str = Field(description="rating, kpi or feed.")
    weight: float = Field(description="Percent of the total.")
    rated_by: list[str] = Field(description="The rater groups that rate it.")
    items: list[ItemOut]


class GroupIO(Schema):
    group: str = Field(
        description="self, superior, leader, peer, subordinate, recipient or committee."
    )
    weight: float = Field(description="Percent; 0 = advisory only.")
    sections: list[str] = Field([], description="The codes of the rating sections it rates.")
    min_responses: int = Field(1, description="The anonymity threshold (1–100).")
    anonymous: bool = False
    standardize: bool = Field(False, description="Correct for rater bias.")
    count: int = Field(0, description="Raters per person, 0 = all (0–50).")


class VersionOut(Schema):
    id: int
    revision: int
    is_latest: bool
    is_active: bool
    cycle_count: int
    created_at: datetime.datetime
    created_by: str | None
    change_note: str


class SeriesRefOut(Schema):
    id: int
    name: str
    unit_id: int
    unit_name: str


class SchemeDetailOut(SchemeOut):
    grades: list[GradeIO] = Field(description="Best first.")
    quota_rules: list[QuotaRuleIO]
    eligibility: EligibilityIO
    shrinkage: float = Field(description="k of the rater-bias correction.")
    feeds: list[Any]
    sections: list[SectionOut]
    groups: list[GroupIO]
    versions: list[VersionOut] = Field(description="Every version of the code, newest first.")
    active_series: list[SeriesRefOut] = Field(
        description="For scheme managers: the active recurring appraisals that use the scheme "
        "(they keep it from being deactivated); empty for everybody else."
    )
    new_version: bool = Field(
        False, description="After a save: true when it made a new version (a new id)."
    )


# ---------------------------------------------------------------- input


class SchemeFilters(Schema):
    q: str = Field("", description="Part of the code or the name.")
    preset: str = Field("", description="civil_servant, institution, company or custom.")
    active: bool | None = Field(None, description="true: active only; false: inactive only.")
    all_versions: bool = Field(
        False, description="Every version of each code (default: the latest only)."
    )


class FromPresetIn(InputSchema):
    preset: str = Field(description="civil_servant, institution or company.")
    code: str
    name: str = Field("", description="Empty: the preset's name.")


class ItemIn(InputSchema):
    code: str
    name: str
    weight: float = Field(description="Percent of the section.")
    indicator: str = Field("", description="An indicator's code (its latest version).")
    kpi_source: str = Field("", description="KPI items: goal_progress, indicator or manual.")
    max_score: float = 100
    description: str = Field("", max_length=2000)


class SectionIn(InputSchema):
    code: str
    name: str
    kind: str = Field(description="rating, kpi or feed.")
    weight: float = Field(description="Percent of the total.")
    items: list[ItemIn] = []


class GroupIn(GroupIO, InputSchema):
    pass


class GradeIn(GradeIO, InputSchema):
    pass


class QuotaRuleIn(QuotaRuleIO, InputSchema):
    pass


class EligibilityIn(EligibilityIO, InputSchema):
    pass


class ContentIn(InputSchema):
    """A scheme's whole content; what is not sent takes its default."""

    name: str
    description: str = ""
    preset: str = Field(SchemePreset.CUSTOM.value, description="The kind of scheme.")
    grades: list[GradeIn] = Field(description="Best first, at least two.")
    quota_rules: list[QuotaRuleIn] = []
    eligibility: EligibilityIn | None = Field(None, description="Not sent: 6 months each.")
    shrinkage: float = Field(3.0, description="k of the rater-bias correction (0–1000).")
    sections: list[SectionIn]
    groups: list[GroupIn] = []
    reason: str = Field("", max_length=500, description="Kept in the audit trail.")

    def to_data(self, code: str) -> schemes.SchemeData:
        return schemes.SchemeData(
            code=code,
            name=self.name,
            description=self.description,
            preset=self.preset,
            grades=[
                {"code": g.code.strip(), "label": g.label.strip(), "min_score": g.min_score}
                for g in self.grades
            ],
            quota_rules=[r.as_rule() for r in self.quota_rules],
            eligibility=dict(DEFAULT_ELIGIBILITY)
            if self.eligibility is None
            else {
                "new_hire_months": self.eligibility.new_hire_months,
                "leave_months": self.eligibility.leave_months,
                "seconded_months": self.eligibility.seconded_months,
            },
            shrinkage=self.shrinkage,
            sections=[
                schemes.SectionData(
                    code=s.code.strip(),
                    name=s.name.strip(),
                    kind=s.kind,
                    weight=_decimal(s.weight),
                    items=[
                        schemes.ItemData(
                            code=i.code.strip(),
                            name=i.name.strip(),
                            weight=_decimal(i.weight),
                            indicator_code=i.indicator.strip(),
                            kpi_source=i.kpi_source,
                            max_score=_decimal(i.max_score),
                            description=i.description,
                        )
                        for i in s.items
                    ],
                )
                for s in self.sections
            ],
            groups=[
                schemes.GroupData(
                    group=g.group,
                    weight=_decimal(g.weight),
                    sections=list(g.sections),
                    min_responses=g.min_responses,
                    anonymous=g.anonymous,
                    standardize=g.standardize,
                    count=g.count,
                )
                for g in self.groups
            ],
        )


class SchemeIn(ContentIn):
    code: str = Field(description="At most 32 characters; cannot be changed later.")


class SchemePut(ContentIn):
    version: int = Field(description="The version you read (else 409).")


class ActiveIn(InputSchema):
    version: int = Field(description="The latest version's `version` (else 409).")
    reason: str = Field("", max_length=500, description="Why; kept in the audit trail.")


# ---------------------------------------------------------------- detail


def _detail(user: User, scheme_id: int, *, new_version: bool = False) -> SchemeDetailOut:
    scheme = get_scheme_with_rows(scheme_id)
    sections = list(scheme.sections.all())
    groups = list(scheme.groups.all())
    versions = scheme_versions(scheme)
    using = schemes.active_series_using(scheme.code) if can_manage_schemes(user) else []
    cycle_count = next((getattr(v, "cycle_count", 0) for v in versions if v.pk == scheme.pk), 0)
    eligibility = dict(scheme.eligibility)
    return SchemeDetailOut(
        **SchemeOut.fields_of(scheme, len(versions), cycle_count),
        grades=[
            GradeIO(
                code=str(g.get("code", "")),
                label=str(g.get("label", "")),
                min_score=float(g.get("min_score", 0)),
            )
            for g in scheme.grades
        ],
        quota_rules=[QuotaRuleIO.of(r) for r in scheme.quota_rules],
        eligibility=EligibilityIO(
            **{k: int(eligibility.get(k, v)) for k, v in DEFAULT_ELIGIBILITY.items()}
        ),
        shrinkage=scheme.shrinkage,
        feeds=list(scheme.feeds or []),
        sections=[
            SectionOut(
                code=s.code,
                name=s.name,
                kind=s.kind,
                weight=float(s.weight),
                rated_by=[g.group for g in groups if s.code in g.sections],
                items=[
                    ItemOut(
                        code=i.code,
                        name=i.name,
                        description=i.description,
                        weight=float(i.weight),
                        max_score=float(i.max_score),
                        kpi_source=i.kpi_source,
                        indicator=i.indicator.code if i.indicator else "",
                        indicator_id=i.indicator_id,
                        indicator_name=i.indicator.name if i.indicator else "",
                    )
                    for i in s.items.all()
                ],
            )
            for s in sections
        ],
        groups=[
            GroupIO(
                group=g.group,
                weight=float(g.weight),
                sections=list(g.sections),
                min_responses=g.min_responses,
                anonymous=g.anonymous,
                standardize=g.standardize,
                count=g.count,
            )
            for g in groups
        ],
        versions=[
            VersionOut(
                id=v.pk,
                revision=v.revision,
                is_latest=v.is_latest,
                is_active=v.is_active,
                cycle_count=getattr(v, "cycle_count", 0),
                created_at=v.created_at,
                created_by=v.created_by.get_username() if v.created_by else None,
                change_note=v.change_note,
            )
            for v in versions
        ],
        active_series=[
            SeriesRefOut(id=s.pk, name=s.name, unit_id=s.unit_id, unit_name=s.unit.name)
            for s in using
        ],
        new_version=new_version,
    )


# ---------------------------------------------------------------- endpoints


@router.get(
    "/appraisals/schemes",
    response={200: Page[SchemeOut], **ERROR_RESPONSES},
    summary="List appraisal schemes",
)
def scheme_list(
    request: HttpRequest, filters: Query[SchemeFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    """The latest version of each scheme by code (`all_versions=true`: every version, newest
    first within a code); active and inactive alike unless `active` says which."""
    api_user(request)
    qs = schemes_filtered(
        SchemeFilter(
            q=filters.q,
            preset=filters.preset,
            active="" if filters.active is None else ("1" if filters.active else "0"),
            latest_only=not filters.all_versions,
        )
    )
    qs = qs.select_related("created_by").annotate(cycle_count=Count("cycles"))
    body = paginate(qs, paging, lambda s: s)
    found: list[Scheme] = list(body["items"])
    counts = scheme_version_counts(list({s.code for s in found}))
    body["items"] = [
        SchemeOut(**SchemeOut.fields_of(s, counts.get(s.code, 1), getattr(s, "cycle_count", 0)))
        for s in found
    ]
    return body


@router.get(
    "/appraisals/schemes/{int:scheme_id}",
    response={200: SchemeDetailOut, **ERROR_RESPONSES},
    summary="An appraisal scheme version",
)
def scheme_detail(request: HttpRequest, scheme_id: int) -> SchemeDetailOut:
    """Any version by id: its sections and items, rater groups, grades, quota rules,
    eligibility rules and the list of all versions of its code."""
    return _detail(api_user(request), scheme_id)


@router.post(
    "/appraisals/schemes/from-preset",
    response={201: SchemeDetailOut, **WRITE_RESPONSES},
    summary="Create a scheme from a preset",
)
def scheme_from_preset(request: HttpRequest, payload: FromPresetIn) -> Status[SchemeDetailOut]:
    """A new scheme (version 1) filled from 公务员年度考核 (civil_servant), 事业单位年度考核
    (institution) or the company S/A/B/C/D preset, ready to adjust."""
    user = api_user(request)
    made = schemes.scheme_from_preset(
        actor=_actor(request, user),
        user=user,
        preset=payload.preset,
        code=payload.code,
        name=payload.name,
    )
    return Status(201, _detail(user, made.pk))


@router.post(
    "/appraisals/schemes",
    response={201: SchemeDetailOut, **WRITE_RESPONSES},
    summary="Create a scheme from its content",
)
def scheme_create(request: HttpRequest, payload: SchemeIn) -> Status[SchemeDetailOut]:
    """A new scheme (version 1) with the content sent; checked as the editor page checks it."""
    user = api_user(request)
    made = schemes.scheme_create(
        actor=_actor(request, user),
        user=user,
        data=payload.to_data(payload.code),
        reason=payload.reason,
    )
    return Status(201, _detail(user, made.pk))


@router.put(
    "/appraisals/schemes/{int:scheme_id}",
    response={200: SchemeDetailOut, **WRITE_RESPONSES},
    summary="Save a scheme's content (a new version when a cycle uses it)",
)
def scheme_save(request: HttpRequest, scheme_id: int, payload: SchemePut) -> SchemeDetailOut:
    """Replaces the whole content of the latest version (else 409 `not_latest_version`); the
    code stays. When a cycle uses that version, a new version is made instead (a new id, with
    `new_version: true`) and the cycles keep theirs; an unchanged content changes nothing."""
    user = api_user(request)
    current = get_scheme(scheme_id)
    saved = schemes.scheme_update(
        actor=_actor(request, user),
        user=user,
        scheme_id=current.pk,
        expected_version=payload.version,
        data=payload.to_data(current.code),
        reason=payload.reason,
    )
    return _detail(user, saved.pk, new_version=saved.pk != current.pk)


def _set_active(
    request: HttpRequest, scheme_id: int, payload: ActiveIn, active: bool
) -> SchemeDetailOut:
    user = api_user(request)
    current = get_scheme(scheme_id)
    schemes.scheme_set_active(
        actor=_actor(request, user),
        user=user,
        scheme_id=current.pk,
        active=active,
        expected_version=payload.version,
        reason=payload.reason,
    )
    return _detail(user, current.pk)


@router.post(
    "/appraisals/schemes/{int:scheme_id}/deactivate",
    response={200: SchemeDetailOut, **WRITE_RESPONSES},
    summary="Deactivate a scheme",
)
def scheme_deactivate(request: HttpRequest, scheme_id: int, payload: ActiveIn) -> SchemeDetailOut:
    """Every version of the code: no new cycle or recurring appraisal may use it, the cycles
    that use it go on. Only through the latest version; refused (409
    `used_by_active_series`) while an active recurring appraisal uses the scheme."""
    return _set_active(request, scheme_id, payload, active=False)


@router.post(
    "/appraisals/schemes/{int:scheme_id}/activate",
    response={200: SchemeDetailOut, **WRITE_RESPONSES},
    summary="Reactivate a scheme",
)
def scheme_activate(request: HttpRequest, scheme_id: int, payload: ActiveIn) -> SchemeDetailOut:
    """Every version of the code; the latest can be chosen for new cycles again."""
    return _set_active(request, scheme_id, payload, active=True)
