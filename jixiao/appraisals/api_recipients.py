"""Service recipients through the API: which departments each department of a cycle serves,
and the recipient ratings that gives its appraisees (jixiao.appraisals.recipients).

Read by the cycle's office (performance administrators, unit leaders, auditors); written by
those who run the cycle, before results. Nothing here names a recipient: the group is
usually anonymous, and the counts are all the office needs.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router, Schema

from jixiao.accounts.api_auth import api_user
from jixiao.appraisals import recipients
from jixiao.appraisals.selectors import get_cycle_for_user
from jixiao.core.actor import Actor, client_ip
from jixiao.core.api_errors import ERROR_RESPONSES, ErrorOut
from jixiao.org.schemas import InputSchema

router = Router(tags=["appraisal: cycles"])

WRITE_RESPONSES: dict[int, type[ErrorOut]] = {**ERROR_RESPONSES, 409: ErrorOut}


class DepartmentRef(Schema):
    id: int
    name: str


class RecipientSourceOut(Schema):
    department: DepartmentRef
    served: list[DepartmentRef]
    version: int = Field(description="Send it back to change this choice.")
    appraisees: int = Field(description="People appraised under this choice.")
    recipients: int = Field(description="Their recipient ratings, not cancelled.")
    submitted: int


class RecipientsOut(Schema):
    group_count: int | None = Field(
        description="Recipients per appraisee (0: everyone of the departments served); null "
        "when the scheme has no service-recipient group."
    )
    sources: list[RecipientSourceOut]
    uncovered: int = Field(description="People appraised under no department's choice.")
    departments: list[DepartmentRef] = Field(
        description="The departments a choice may be made for (with people appraised)."
    )


class RecipientSourceIn(InputSchema):
    served_ids: list[int] = Field(
        max_length=recipients.MAX_SERVED,
        description="The departments served; empty cancels the open recipient ratings.",
    )
    version: int | None = Field(
        None, description="The choice's current version; leave out for a first choice."
    )


class RecipientsSetOut(Schema):
    source: RecipientSourceOut
    added: int
    cancelled: int
    kept_outside: int = Field(
        description="Started ratings of people no longer among the recipients, kept."
    )


def _overview(cycle_id: int, user: object) -> RecipientsOut:
    cycle = get_cycle_for_user(user, cycle_id, office=True)
    overview = recipients.recipients_overview(cycle)
    return RecipientsOut(
        group_count=overview.group.count if overview.group is not None else None,
        sources=[_source(row) for row in overview.rows],
        uncovered=overview.uncovered,
        departments=[DepartmentRef(id=d.pk, name=d.name) for d in overview.departments],
    )


def _source(row: recipients.SourceRow) -> RecipientSourceOut:
    return RecipientSourceOut(
        department=DepartmentRef(id=row.department.pk, name=row.department.name),
        served=[DepartmentRef(id=d.pk, name=d.name) for d in row.served],
        version=row.version,
        appraisees=row.appraisees,
        recipients=row.recipients,
        submitted=row.submitted,
    )


@router.get(
    "/appraisals/cycles/{int:cycle_id}/recipients",
    response={200: RecipientsOut, **ERROR_RESPONSES},
    summary="The departments each department serves, and their recipient ratings",
)
def recipients_list(request: HttpRequest, cycle_id: int) -> RecipientsOut:
    return _overview(cycle_id, api_user(request))


@router.put(
    "/appraisals/cycles/{int:cycle_id}/recipients/{int:department_id}",
    response={200: RecipientsSetOut, **WRITE_RESPONSES},
    summary="Choose the departments a department serves and assign its recipients",
)
def recipients_put(
    request: HttpRequest, cycle_id: int, department_id: int, payload: RecipientSourceIn
) -> RecipientsSetOut:
    """Their active people rate the department's appraisees (and its sub-departments' without
    a choice of their own), the scheme's number each, chosen reproducibly. A stale `version`
    answers 409 `concurrent_edit`; refusals: `serves_itself`, `unknown_department`,
    `no_appraisees`, `no_recipient_group`, `cycle_finished`."""
    user = api_user(request)
    cycle = get_cycle_for_user(user, cycle_id, office=True, write=True)
    done = recipients.recipients_set(
        actor=Actor.for_user(user, source="api", ip=client_ip(request)),
        user=user,
        cycle_id=cycle.pk,
        department_id=department_id,
        served_ids=payload.served_ids,
        expected_version=payload.version,
    )
    row = next(
        r
        for r in recipients.recipients_overview(cycle).rows
        if r.department.pk == done.source.department_id
    )
    return RecipientsSetOut(
        source=_source(row),
        added=done.added,
        cancelled=done.cancelled,
        kept_outside=done.kept_outside,
    )
