"""The life of a goal: draft → submitted → approved (or returned with comments) → locked for
the period → closed with an outcome. After locking, content changes only through an approved
change request (调整申请). Every transition is a compare-and-set update that filters on the
expected old status and version, so two people acting at once cannot both win: the second
gets an error saying what happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.core.errors import (
    DomainError,
    FieldError,
    concurrent_edit,
    forbidden,
    validation_failed,
)
from jixiao.goals import checks
from jixiao.goals.models import (
    ChangeRequest,
    ChangeRequestStatus,
    Goal,
    GoalOutcome,
    GoalStatus,
)
from jixiao.goals.permissions import (
    can_approve_goal,
    can_close_goal,
    can_decide_change,
    can_lock_goal,
    can_request_change,
    can_submit_goal,
    has_approval_authority,
    is_own_goal,
    may_plan_for,
    planning_scope_for,
)
from jixiao.goals.selectors import get_goal_for_user, goals_visible_to, owner_weight_total
from jixiao.goals.services import GoalData, _owner_of, apply_goal_content, validate_goal

WEIGHT_TOLERANCE = Decimal("0.01")


def _refused_transition(
    goal_id: int, expected_status: Sequence[str], expected_version: int
) -> DomainError:
    """Why a compare-and-set transition matched no row: someone else acted first."""
    current = Goal.objects.filter(pk=goal_id).values_list("status", "version").first()
    if current is None:
        return DomainError("not_found", _("Not found."), status=404)
    status, version = current
    if status not in expected_status:
        label = GoalStatus(status).label
        return DomainError(
            "status_changed",
            _("Someone else acted on this goal first: it is now %(status)s. Reload the page.")
            % {"status": label},
            status=409,
        )
    if version != expected_version:
        return concurrent_edit()
    return concurrent_edit()


def _transition(
    *,
    actor: Actor,
    goal: Goal,
    expected_version: int,
    from_statuses: Sequence[str],
    to_status: str,
    action: str,
    reason: str = "",
    extra: dict[str, Any] | None = None,
) -> Goal:
    fields: dict[str, Any] = {"status": to_status, "version": F("version") + 1, **(extra or {})}
    updated = Goal.objects.filter(
        pk=goal.pk, version=expected_version, status__in=list(from_statuses)
    ).update(**fields)
    if not updated:
        raise _refused_transition(goal.pk, from_statuses, expected_version)
    audit.record(actor, action, goal, {"status": [goal.status, to_status]}, reason)
    goal.refresh_from_db()
    return goal


# ---------------------------------------------------------------- submit, approve, return


@transaction.atomic(durable=True)
def goal_submit(*, actor: Actor, user: Any, goal_id: int, expected_version: int) -> Goal:
    """Submit a draft (or returned) goal for approval: its SMART check must pass and the
    weights of its owner's goals for the period must sum to 100%."""
    goal = get_goal_for_user(user, goal_id)
    if not can_submit_goal(user, goal):
        if not may_plan_for(planning_scope_for(user), goal):
            raise forbidden()
        raise _refused_transition(
            goal.pk, [GoalStatus.DRAFT, GoalStatus.RETURNED], expected_version
        )
    problems = checks.smart_findings_for(goal)
    errors = [FieldError(f.field, f.code, f.message) for f in problems]
    total = Decimal(str(owner_weight_total(goal))).quantize(Decimal("0.01"))
    if abs(total - Decimal(100)) > WEIGHT_TOLERANCE:
        errors.append(
            FieldError(
                "weight",
                "weights_not_100",
                _(
                    "The weights of this owner's goals for %(period)s add up to %(total)s%%; "
                    "they must add up to 100%% before submitting."
                )
                % {"period": goal.period, "total": total},
            )
        )
    if errors:
        raise validation_failed(errors)
    return _transition(
        actor=actor,
        goal=goal,
        expected_version=expected_version,
        from_statuses=[GoalStatus.DRAFT, GoalStatus.RETURNED],
        to_status=GoalStatus.SUBMITTED,
        action="goals.goal.submit",
        extra={"submitted_at": timezone.now(), "submitted_by_id": actor.user_id},
    )


def _require_approver(user: Any, goal: Goal, expected_version: int) -> None:
    if can_approve_goal(user, goal):
        return
    ps = planning_scope_for(user)
    if goal.status != GoalStatus.SUBMITTED and has_approval_authority(ps, goal):
        raise _refused_transition(goal.pk, [GoalStatus.SUBMITTED], expected_version)
    if is_own_goal(ps, goal, user):
        raise DomainError(
            "own_goal",
            _("Nobody approves their own goals: the goal goes to the person above."),
            status=403,
        )
    raise forbidden()


@transaction.atomic(durable=True)
def goal_approve(
    *, actor: Actor, user: Any, goal_id: int, expected_version: int, comment: str = ""
) -> Goal:
    goal = get_goal_for_user(user, goal_id)
    _require_approver(user, goal, expected_version)
    return _transition(
        actor=actor,
        goal=goal,
        expected_version=expected_version,
        from_statuses=[GoalStatus.SUBMITTED],
        to_status=GoalStatus.APPROVED,
        action="goals.goal.approve",
        reason=comment.strip(),
        extra={"approved_at": timezone.now(), "approved_by_id": actor.user_id},
    )


@transaction.atomic(durable=True)
def goal_return(
    *, actor: Actor, user: Any, goal_id: int, expected_version: int, comment: str
) -> Goal:
    """Send a submitted goal back to its owner with comments saying what to change."""
    goal = get_goal_for_user(user, goal_id)
    _require_approver(user, goal, expected_version)
    if not comment.strip():
        raise validation_failed(
            [FieldError("comment", "required", _("Say what should change before it is approved."))]
        )
    return _transition(
        actor=actor,
        goal=goal,
        expected_version=expected_version,
        from_statuses=[GoalStatus.SUBMITTED],
        to_status=GoalStatus.RETURNED,
        action="goals.goal.return",
        reason=comment.strip(),
    )


# ---------------------------------------------------------------- lock


@transaction.atomic(durable=True)
def goal_lock(*, actor: Actor, user: Any, goal_id: int, expected_version: int) -> Goal:
    goal = get_goal_for_user(user, goal_id)
    if not can_lock_goal(user, goal):
        if goal.status != GoalStatus.APPROVED:
            raise _refused_transition(goal.pk, [GoalStatus.APPROVED], expected_version)
        raise forbidden()
    return _transition(
        actor=actor,
        goal=goal,
        expected_version=expected_version,
        from_statuses=[GoalStatus.APPROVED],
        to_status=GoalStatus.LOCKED,
        action="goals.goal.lock",
        extra={"locked_at": timezone.now()},
    )


@transaction.atomic(durable=True)
def goals_lock_period(*, actor: Actor, user: Any, period: str, department_id: int) -> int:
    """Lock every approved goal of a period in a department subtree, in one update.

    For performance administrators and unit leaders; returns the number locked.
    """
    from jixiao.org.models import Department

    department = Department.objects.filter(pk=department_id).first()
    ps = planning_scope_for(user)
    if department is None or not ps.plans_units(department.path):
        raise forbidden()
    targets = list(
        goals_visible_to(user)
        .filter(
            period=period, status=GoalStatus.APPROVED, department__path__startswith=department.path
        )
        .values_list("id", "title", "department__path")
    )
    if not targets:
        return 0
    ids = [t[0] for t in targets]
    now = timezone.now()
    locked = Goal.objects.filter(pk__in=ids, status=GoalStatus.APPROVED).update(
        status=GoalStatus.LOCKED, locked_at=now, version=F("version") + 1
    )
    audit.record_many(
        actor,
        [
            audit.AuditEntry(
                action="goals.goal.lock",
                object_type="goals.goal",
                object_id=str(gid),
                object_label=title[:255],
                changes={"status": [GoalStatus.APPROVED, GoalStatus.LOCKED]},
                scope_path=path,
            )
            for gid, title, path in targets
        ],
        reason=_("Locked for %(period)s") % {"period": period},
    )
    return locked


# ---------------------------------------------------------------- close


def suggested_outcome(progress: float | None) -> str:
    """达成 at 100% of target or more, 部分达成 from 60%, else 未达成."""
    if progress is None:
        return GoalOutcome.NOT_ACHIEVED
    if progress >= 1.0 - 1e-9:
        return GoalOutcome.ACHIEVED
    if progress >= 0.6:
        return GoalOutcome.PARTIAL
    return GoalOutcome.NOT_ACHIEVED


@transaction.atomic(durable=True)
def goal_close(
    *, actor: Actor, user: Any, goal_id: int, expected_version: int, outcome: str, note: str = ""
) -> Goal:
    """Close a goal with its outcome (达成 / 部分达成 / 未达成), so nothing stays open forever."""
    goal = get_goal_for_user(user, goal_id)
    if outcome not in GoalOutcome.values:
        raise validation_failed([FieldError("outcome", "invalid_choice", _("Choose the outcome."))])
    if not can_close_goal(user, goal):
        if goal.status not in (GoalStatus.APPROVED, GoalStatus.LOCKED):
            raise _refused_transition(
                goal.pk, [GoalStatus.APPROVED, GoalStatus.LOCKED], expected_version
            )
        raise forbidden()
    suggestion = suggested_outcome(goal.progress)
    if outcome != suggestion and not note.strip():
        raise validation_failed(
            [
                FieldError(
                    "note",
                    "reason_required",
                    _("The progress suggests “%(suggested)s”; say why the outcome is different.")
                    % {"suggested": GoalOutcome(suggestion).label},
                )
            ]
        )
    updated = Goal.objects.filter(
        pk=goal.pk, version=expected_version, status__in=[GoalStatus.APPROVED, GoalStatus.LOCKED]
    ).update(
        status=GoalStatus.CLOSED,
        outcome=outcome,
        outcome_note=note.strip(),
        closed_at=timezone.now(),
        closed_by_id=actor.user_id,
        version=F("version") + 1,
    )
    if not updated:
        raise _refused_transition(
            goal.pk, [GoalStatus.APPROVED, GoalStatus.LOCKED], expected_version
        )
    audit.record(
        actor,
        "goals.goal.close",
        goal,
        {"status": [goal.status, GoalStatus.CLOSED], "outcome": ["", outcome]},
        note.strip(),
    )
    goal.refresh_from_db()
    return goal


@dataclass(frozen=True)
class CloseItem:
    goal_id: int
    expected_version: int
    outcome: str


@transaction.atomic(durable=True)
def goals_close_suggested(*, actor: Actor, user: Any, items: Sequence[CloseItem]) -> int:
    """Close many goals at once with the outcome their progress suggests (a reviewed list).

    An item whose outcome differs from the suggestion must be closed one by one with a note.
    """
    ids = [i.goal_id for i in items]
    goals = {g.pk: g for g in goals_visible_to(user).filter(pk__in=ids)}
    errors: list[FieldError] = []
    for n, item in enumerate(items):
        goal = goals.get(item.goal_id)
        if goal is None or not can_close_goal(user, goal):
            errors.append(FieldError(f"items[{n}]", "forbidden", _("You cannot close this goal.")))
        elif item.outcome != suggested_outcome(goal.progress):
            errors.append(
                FieldError(
                    f"items[{n}]",
                    "reason_required",
                    _(
                        "“%(title)s”: a different outcome than suggested needs a note; close it on its own page."
                    )
                    % {"title": goal.title},
                )
            )
    if errors:
        raise validation_failed(errors)
    now = timezone.now()
    entries = []
    closed = 0
    for item in items:
        goal = goals[item.goal_id]
        if not Goal.objects.filter(
            pk=goal.pk,
            version=item.expected_version,
            status__in=[GoalStatus.APPROVED, GoalStatus.LOCKED],
        ).update(
            status=GoalStatus.CLOSED,
            outcome=item.outcome,
            closed_at=now,
            closed_by_id=actor.user_id,
            version=F("version") + 1,
        ):
            raise _refused_transition(
                goal.pk, [GoalStatus.APPROVED, GoalStatus.LOCKED], item.expected_version
            )
        closed += 1
        entries.append(
            audit.entry(
                "goals.goal.close",
                goal,
                {"status": [goal.status, GoalStatus.CLOSED], "outcome": ["", item.outcome]},
            )
        )
    audit.record_many(actor, entries)
    return closed


# ---------------------------------------------------------------- change requests


@transaction.atomic(durable=True)
def change_request_create(
    *, actor: Actor, user: Any, goal_id: int, expected_version: int, data: GoalData, reason: str
) -> ChangeRequest:
    """Ask to change an approved or locked goal; the person above decides."""
    goal = get_goal_for_user(user, goal_id)
    if not can_request_change(user, goal):
        if not may_plan_for(planning_scope_for(user), goal):
            raise forbidden()
        raise DomainError(
            "not_locked",
            _("Only an approved or locked goal needs a change request; edit this one directly."),
            status=409,
        )
    if goal.version != expected_version:
        raise concurrent_edit()
    errors = validate_goal(data, owner=_owner_of(goal), user=user, existing=goal)
    if not reason.strip():
        errors.append(FieldError("reason", "required", _("Give the reason for the change.")))
    current = GoalData.of(goal).content()
    proposed = data.content()
    if not errors and proposed == current:
        errors.append(FieldError(None, "no_change", _("The proposal does not change anything.")))
    if errors:
        raise validation_failed(errors)
    try:
        with transaction.atomic():
            request = ChangeRequest.objects.create(
                goal=goal,
                reason=reason.strip(),
                proposed={**proposed, "key_result_ids": [kr.id for kr in data.key_results]},
                current=current,
                goal_version=goal.version,
                requested_by_id=actor.user_id,
            )
    except IntegrityError:
        raise DomainError(
            "change_pending",
            _("A change request for this goal is already waiting for a decision."),
            status=409,
        ) from None
    audit.record(
        actor, "goals.goal.change_request", goal, audit.diff(current, proposed), reason.strip()
    )
    return request


def _pending_request(request_id: int, user: Any) -> ChangeRequest:
    request = ChangeRequest.objects.filter(pk=request_id).first()
    if request is None or not goals_visible_to(user).filter(pk=request.goal_id).exists():
        raise DomainError("not_found", _("Not found."), status=404)
    return request


def _decide(
    request: ChangeRequest, expected_version: int, status: str, actor: Actor, note: str
) -> None:
    if not ChangeRequest.objects.filter(
        pk=request.pk, version=expected_version, status=ChangeRequestStatus.PENDING
    ).update(
        status=status,
        decided_at=timezone.now(),
        decided_by_id=actor.user_id,
        decision_note=note.strip(),
        version=F("version") + 1,
    ):
        current = (
            ChangeRequest.objects.filter(pk=request.pk).values_list("status", flat=True).first()
        )
        raise DomainError(
            "already_decided",
            _("This change request was already decided (%(status)s). Reload the page.")
            % {"status": ChangeRequestStatus(current or request.status).label},
            status=409,
        )


@transaction.atomic(durable=True)
def change_request_approve(
    *, actor: Actor, user: Any, request_id: int, expected_version: int, note: str = ""
) -> Goal:
    """Apply the proposed content to the goal; the goal keeps its status."""
    request = _pending_request(request_id, user)
    goal = get_goal_for_user(user, request.goal_id)
    if not can_decide_change(user, goal, request.requested_by_id):
        raise forbidden()
    _decide(request, expected_version, ChangeRequestStatus.APPROVED, actor, note)
    proposed = dict(request.proposed)
    ids = proposed.pop("key_result_ids", [])
    data = GoalData.from_content(proposed, ids)
    errors = validate_goal(data, owner=_owner_of(goal), user=user, existing=goal)
    if errors:
        raise validation_failed(errors)
    if goal.version != request.goal_version:
        raise DomainError(
            "goal_changed",
            _("The goal changed after this request was made; ask for a new request."),
            status=409,
        )
    apply_goal_content(
        actor=actor,
        goal=goal,
        expected_version=request.goal_version,
        data=data,
        action="goals.goal.change",
        reason=request.reason,
    )
    goal.refresh_from_db()
    return goal


@transaction.atomic(durable=True)
def change_request_reject(
    *, actor: Actor, user: Any, request_id: int, expected_version: int, note: str
) -> ChangeRequest:
    request = _pending_request(request_id, user)
    goal = get_goal_for_user(user, request.goal_id)
    if not can_decide_change(user, goal, request.requested_by_id):
        raise forbidden()
    if not note.strip():
        raise validation_failed(
            [FieldError("note", "required", _("Say why the change is not approved."))]
        )
    _decide(request, expected_version, ChangeRequestStatus.REJECTED, actor, note)
    audit.record(actor, "goals.goal.change_rejected", goal, {}, note.strip())
    request.refresh_from_db()
    return request


@transaction.atomic(durable=True)
def change_request_withdraw(
    *, actor: Actor, user: Any, request_id: int, expected_version: int
) -> ChangeRequest:
    request = _pending_request(request_id, user)
    if request.requested_by_id != getattr(user, "pk", None):
        raise forbidden()
    _decide(request, expected_version, ChangeRequestStatus.WITHDRAWN, actor, "")
    goal = Goal.objects.get(pk=request.goal_id)
    audit.record(actor, "goals.goal.change_withdrawn", goal, {})
    request.refresh_from_db()
    return request
