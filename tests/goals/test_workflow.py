"""Planning workflow: creating, submitting, approving, returning, locking, changing and closing
goals, with the permission rules and the compare-and-set transitions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.http import Http404

from jixiao.core.actor import Actor
from jixiao.core.errors import DomainError
from jixiao.core.models import AuditRecord
from jixiao.goals import services, workflow
from jixiao.goals.models import ChangeRequestStatus, Goal, GoalLevel, GoalOutcome, GoalStatus
from jixiao.goals.services import GoalData, KeyResultData, owner_for
from tests.goals.factories import add_kr, make_goal


def actor(user):
    return Actor.for_user(user, source="web")


def personal(org, person, title="提高办文效率", weight=100, **kw):
    user = org.users[kw.pop("as_user", "employee")]
    owner = owner_for(level=GoalLevel.PERSON, period_key="2026", department=None, person=person)
    data = GoalData(
        title=title,
        weight=Decimal(weight),
        due_date=owner.period.end,
        key_results=[KeyResultData(title="按时办结率", target=Decimal(95), baseline=Decimal(80))],
        **kw,
    )
    return services.goal_create(actor=actor(user), user=user, owner=owner, data=data)


def test_employee_drafts_and_submits_their_goal(org):
    goal = personal(org, org.employee)
    assert goal.status == GoalStatus.DRAFT and goal.level == GoalLevel.PERSON
    assert goal.department == org.secretariat
    submitted = workflow.goal_submit(
        actor=actor(org.users["employee"]),
        user=org.users["employee"],
        goal_id=goal.pk,
        expected_version=goal.version,
    )
    assert submitted.status == GoalStatus.SUBMITTED
    assert submitted.submitted_by_id == org.users["employee"].pk
    actions = list(
        AuditRecord.objects.filter(object_type="goals.goal", object_id=str(goal.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["goals.goal.create", "goals.goal.submit"]


def test_submit_is_blocked_until_weights_add_up_to_100(org):
    first = personal(org, org.employee, weight=60)
    second = personal(org, org.employee, title="公文质量", weight=30)
    with pytest.raises(DomainError) as err:
        workflow.goal_submit(
            actor=actor(org.users["employee"]),
            user=org.users["employee"],
            goal_id=first.pk,
            expected_version=first.version,
        )
    assert "weights_not_100" in [e.code for e in err.value.all_errors()]
    assert "90" in str(err.value.all_errors()[0].message)
    services.goal_update(
        actor=actor(org.users["employee"]),
        user=org.users["employee"],
        goal_id=second.pk,
        expected_version=second.version,
        data=_with_weight(second, 40),
    )
    done = workflow.goal_submit(
        actor=actor(org.users["employee"]),
        user=org.users["employee"],
        goal_id=first.pk,
        expected_version=first.version,
    )
    assert done.status == GoalStatus.SUBMITTED


def _with_weight(goal: Goal, weight: int) -> GoalData:
    data = GoalData.of(goal)
    data.weight = Decimal(weight)
    return data


def test_submit_runs_the_smart_check(org):
    user = org.users["employee"]
    owner = owner_for(
        level=GoalLevel.PERSON, period_key="2026", department=None, person=org.employee
    )
    goal = services.goal_create(
        actor=actor(user),
        user=user,
        owner=owner,
        data=GoalData(title="做好工作", weight=Decimal(100)),
    )
    with pytest.raises(DomainError) as err:
        workflow.goal_submit(
            actor=actor(user), user=user, goal_id=goal.pk, expected_version=goal.version
        )
    codes = {e.code for e in err.value.all_errors()}
    assert {"no_measure", "no_deadline"} <= codes


def test_nobody_approves_their_own_goal(org):
    goal = personal(org, org.employee)
    goal = workflow.goal_submit(
        actor=actor(org.users["employee"]),
        user=org.users["employee"],
        goal_id=goal.pk,
        expected_version=goal.version,
    )
    with pytest.raises(DomainError) as err:
        workflow.goal_approve(
            actor=actor(org.users["employee"]),
            user=org.users["employee"],
            goal_id=goal.pk,
            expected_version=goal.version,
        )
    assert err.value.code == "own_goal" and err.value.status == 403


def test_the_superior_approves_and_a_peer_cannot_even_see_it(org):
    goal = personal(org, org.employee)
    goal = workflow.goal_submit(
        actor=actor(org.users["employee"]),
        user=org.users["employee"],
        goal_id=goal.pk,
        expected_version=goal.version,
    )
    with pytest.raises(Http404):
        workflow.goal_approve(
            actor=actor(org.users["peer"]),
            user=org.users["peer"],
            goal_id=goal.pk,
            expected_version=goal.version,
        )
    with pytest.raises(Http404):
        workflow.goal_approve(
            actor=actor(org.users["outsider"]),
            user=org.users["outsider"],
            goal_id=goal.pk,
            expected_version=goal.version,
        )
    approved = workflow.goal_approve(
        actor=actor(org.users["head"]),
        user=org.users["head"],
        goal_id=goal.pk,
        expected_version=goal.version,
        comment="同意",
    )
    assert (
        approved.status == GoalStatus.APPROVED and approved.approved_by_id == org.users["head"].pk
    )


def test_auditor_reads_but_cannot_approve(org):
    goal = personal(org, org.employee)
    goal = workflow.goal_submit(
        actor=actor(org.users["employee"]),
        user=org.users["employee"],
        goal_id=goal.pk,
        expected_version=goal.version,
    )
    with pytest.raises(DomainError) as err:
        workflow.goal_approve(
            actor=actor(org.users["auditor"]),
            user=org.users["auditor"],
            goal_id=goal.pk,
            expected_version=goal.version,
        )
    assert err.value.status == 403


def test_two_approvals_racing_one_wins_the_other_gets_a_clear_error(org):
    goal = personal(org, org.employee)
    goal = workflow.goal_submit(
        actor=actor(org.users["employee"]),
        user=org.users["employee"],
        goal_id=goal.pk,
        expected_version=goal.version,
    )
    seen_version = goal.version
    workflow.goal_approve(
        actor=actor(org.users["head"]),
        user=org.users["head"],
        goal_id=goal.pk,
        expected_version=seen_version,
    )
    with pytest.raises(DomainError) as err:
        workflow.goal_return(
            actor=actor(org.users["perfadmin"]),
            user=org.users["perfadmin"],
            goal_id=goal.pk,
            expected_version=seen_version,
            comment="请细化目标值",
        )
    assert err.value.code == "status_changed" and err.value.status == 409
    assert "已批准" in str(err.value.message) or "Approved" in str(err.value.message)
    assert Goal.objects.get(pk=goal.pk).status == GoalStatus.APPROVED


def test_the_same_transition_twice_from_one_version_fails_the_second_time(org):
    goal = personal(org, org.employee)
    goal = workflow.goal_submit(
        actor=actor(org.users["employee"]),
        user=org.users["employee"],
        goal_id=goal.pk,
        expected_version=goal.version,
    )
    v = goal.version
    workflow.goal_approve(
        actor=actor(org.users["head"]), user=org.users["head"], goal_id=goal.pk, expected_version=v
    )
    with pytest.raises(DomainError) as err:
        workflow.goal_approve(
            actor=actor(org.users["perfadmin"]),
            user=org.users["perfadmin"],
            goal_id=goal.pk,
            expected_version=v,
        )
    assert err.value.status == 409
    assert (
        AuditRecord.objects.filter(object_id=str(goal.pk), action="goals.goal.approve").count() == 1
    )


def test_return_needs_a_comment_and_reopens_the_goal(org):
    goal = personal(org, org.employee)
    goal = workflow.goal_submit(
        actor=actor(org.users["employee"]),
        user=org.users["employee"],
        goal_id=goal.pk,
        expected_version=goal.version,
    )
    with pytest.raises(DomainError) as err:
        workflow.goal_return(
            actor=actor(org.users["head"]),
            user=org.users["head"],
            goal_id=goal.pk,
            expected_version=goal.version,
            comment="  ",
        )
    assert err.value.all_errors()[0].field == "comment"
    returned = workflow.goal_return(
        actor=actor(org.users["head"]),
        user=org.users["head"],
        goal_id=goal.pk,
        expected_version=goal.version,
        comment="目标值偏低，请调到 98%",
    )
    assert returned.status == GoalStatus.RETURNED
    record = AuditRecord.objects.get(object_id=str(goal.pk), action="goals.goal.return")
    assert record.reason == "目标值偏低，请调到 98%"
    data = GoalData.of(returned)
    data.key_results[0].target = Decimal(98)
    edited = services.goal_update(
        actor=actor(org.users["employee"]),
        user=org.users["employee"],
        goal_id=goal.pk,
        expected_version=returned.version,
        data=data,
    )
    assert edited.key_results.get().target == Decimal(98)
    again = workflow.goal_submit(
        actor=actor(org.users["employee"]),
        user=org.users["employee"],
        goal_id=goal.pk,
        expected_version=edited.version,
    )
    assert again.status == GoalStatus.SUBMITTED


def _approved_and_locked(org, goal):
    goal = workflow.goal_submit(
        actor=actor(org.users["employee"]),
        user=org.users["employee"],
        goal_id=goal.pk,
        expected_version=goal.version,
    )
    goal = workflow.goal_approve(
        actor=actor(org.users["head"]),
        user=org.users["head"],
        goal_id=goal.pk,
        expected_version=goal.version,
    )
    return workflow.goal_lock(
        actor=actor(org.users["head"]),
        user=org.users["head"],
        goal_id=goal.pk,
        expected_version=goal.version,
    )


def test_a_locked_goal_changes_only_through_an_approved_change_request(org):
    goal = _approved_and_locked(org, personal(org, org.employee))
    assert goal.status == GoalStatus.LOCKED
    data = GoalData.of(goal)
    data.key_results[0].target = Decimal(90)
    with pytest.raises(DomainError) as err:
        services.goal_update(
            actor=actor(org.users["employee"]),
            user=org.users["employee"],
            goal_id=goal.pk,
            expected_version=goal.version,
            data=data,
        )
    assert err.value.code == "goal_not_editable"
    with pytest.raises(DomainError) as err:
        workflow.change_request_create(
            actor=actor(org.users["employee"]),
            user=org.users["employee"],
            goal_id=goal.pk,
            expected_version=goal.version,
            data=data,
            reason="",
        )
    assert "reason" in [e.field for e in err.value.all_errors()]
    request = workflow.change_request_create(
        actor=actor(org.users["employee"]),
        user=org.users["employee"],
        goal_id=goal.pk,
        expected_version=goal.version,
        data=data,
        reason="上级调整了年度任务",
    )
    with pytest.raises(DomainError) as err:
        workflow.change_request_create(
            actor=actor(org.users["employee"]),
            user=org.users["employee"],
            goal_id=goal.pk,
            expected_version=goal.version,
            data=data,
            reason="再次申请",
        )
    assert err.value.code == "change_pending"
    with pytest.raises(DomainError):
        workflow.change_request_approve(
            actor=actor(org.users["employee"]),
            user=org.users["employee"],
            request_id=request.pk,
            expected_version=request.version,
        )
    changed = workflow.change_request_approve(
        actor=actor(org.users["head"]),
        user=org.users["head"],
        request_id=request.pk,
        expected_version=request.version,
        note="同意",
    )
    assert changed.status == GoalStatus.LOCKED
    assert changed.key_results.get().target == Decimal(90)
    request.refresh_from_db()
    assert request.status == ChangeRequestStatus.APPROVED
    change = AuditRecord.objects.get(object_id=str(goal.pk), action="goals.goal.change")
    assert change.reason == "上级调整了年度任务"
    assert change.changes["key_results"][0][0]["target"] == "95.0000"


def test_a_rejected_change_leaves_the_goal_as_it_was(org):
    goal = _approved_and_locked(org, personal(org, org.employee))
    data = GoalData.of(goal)
    data.title = "改个说法"
    request = workflow.change_request_create(
        actor=actor(org.users["employee"]),
        user=org.users["employee"],
        goal_id=goal.pk,
        expected_version=goal.version,
        data=data,
        reason="换个表述",
    )
    with pytest.raises(DomainError) as err:
        workflow.change_request_reject(
            actor=actor(org.users["head"]),
            user=org.users["head"],
            request_id=request.pk,
            expected_version=request.version,
            note="",
        )
    assert err.value.all_errors()[0].field == "note"
    workflow.change_request_reject(
        actor=actor(org.users["head"]),
        user=org.users["head"],
        request_id=request.pk,
        expected_version=request.version,
        note="原表述已经清楚",
    )
    assert Goal.objects.get(pk=goal.pk).title == "提高办文效率"


def test_department_goals_are_approved_from_above_not_by_their_own_head(org):
    head = org.users["head"]
    owner = owner_for(
        level=GoalLevel.DEPARTMENT, period_key="2026", department=org.office, person=None
    )
    goal = services.goal_create(
        actor=actor(head),
        user=head,
        owner=owner,
        data=GoalData(
            title="办文办会提质增效",
            weight=Decimal(100),
            due_date=owner.period.end,
            key_results=[KeyResultData(title="公文按时办结率", target=Decimal(98))],
        ),
    )
    goal = workflow.goal_submit(
        actor=actor(head), user=head, goal_id=goal.pk, expected_version=goal.version
    )
    with pytest.raises(DomainError) as err:
        workflow.goal_approve(
            actor=actor(head), user=head, goal_id=goal.pk, expected_version=goal.version
        )
    assert err.value.status == 403
    approved = workflow.goal_approve(
        actor=actor(org.users["leader"]),
        user=org.users["leader"],
        goal_id=goal.pk,
        expected_version=goal.version,
    )
    assert approved.status == GoalStatus.APPROVED


def test_unit_goals_are_approved_by_a_unit_leader(org):
    perfadmin = org.users["perfadmin"]
    owner = owner_for(level=GoalLevel.UNIT, period_key="2026", department=org.unit, person=None)
    goal = services.goal_create(
        actor=actor(perfadmin),
        user=perfadmin,
        owner=owner,
        data=GoalData(
            title="政务服务满意度全省前列",
            weight=Decimal(100),
            due_date=owner.period.end,
            key_results=[KeyResultData(title="好差评满意率", target=Decimal(99))],
        ),
    )
    goal = workflow.goal_submit(
        actor=actor(perfadmin), user=perfadmin, goal_id=goal.pk, expected_version=goal.version
    )
    with pytest.raises(DomainError):
        workflow.goal_approve(
            actor=actor(perfadmin), user=perfadmin, goal_id=goal.pk, expected_version=goal.version
        )
    with pytest.raises(DomainError):
        workflow.goal_approve(
            actor=actor(org.users["head"]),
            user=org.users["head"],
            goal_id=goal.pk,
            expected_version=goal.version,
        )
    approved = workflow.goal_approve(
        actor=actor(org.users["leader"]),
        user=org.users["leader"],
        goal_id=goal.pk,
        expected_version=goal.version,
    )
    assert approved.status == GoalStatus.APPROVED


def test_a_department_head_acts_only_in_their_subtree(org):
    head = org.users["head"]
    owner = owner_for(
        level=GoalLevel.PERSON, period_key="2026", department=None, person=org.outsider
    )
    with pytest.raises(DomainError) as err:
        services.goal_create(
            actor=actor(head),
            user=head,
            owner=owner,
            data=GoalData(title="窗口服务", weight=Decimal(100)),
        )
    assert err.value.status == 403
    outsiders = make_goal("窗口受理", person=org.outsider, status=GoalStatus.SUBMITTED)
    with pytest.raises(Http404):
        workflow.goal_approve(
            actor=actor(head), user=head, goal_id=outsiders.pk, expected_version=outsiders.version
        )
    service_goal = make_goal("政务服务科年度目标", department=org.service)
    with pytest.raises(Http404):
        services.goal_update(
            actor=actor(head),
            user=head,
            goal_id=service_goal.pk,
            expected_version=service_goal.version,
            data=GoalData(title="改", weight=Decimal(100)),
        )
    # Inside the subtree the head cascades: a personal goal for their report, aligned to the
    # office's goal.
    office_goal = make_goal("办文办会提质增效", department=org.office, status=GoalStatus.APPROVED)
    owner = owner_for(level=GoalLevel.PERSON, period_key="2026", department=None, person=org.peer)
    cascaded = services.goal_create(
        actor=actor(head),
        user=head,
        owner=owner,
        data=GoalData(title="会议纪要两日内印发", weight=Decimal(100), parent_id=office_goal.pk),
    )
    assert cascaded.parent_id == office_goal.pk and cascaded.person_id == org.peer.pk


def test_alignment_rules(org):
    head = org.users["head"]
    unit_goal = make_goal(
        "全局目标", department=org.unit, level=GoalLevel.UNIT, status=GoalStatus.APPROVED
    )
    service_goal = make_goal("服务科目标", department=org.service, status=GoalStatus.APPROVED)
    quarter_goal = make_goal("一季度目标", department=org.office, period="2026-Q1")
    owner = owner_for(
        level=GoalLevel.DEPARTMENT, period_key="2026", department=org.office, person=None
    )
    for parent, code in [(service_goal, None), (quarter_goal, "parent_period")]:
        with pytest.raises((DomainError, Http404)) as err:
            services.goal_create(
                actor=actor(head),
                user=head,
                owner=owner,
                data=GoalData(title="办公室目标", weight=Decimal(100), parent_id=parent.pk),
            )
        if code:
            assert isinstance(err.value, DomainError)
            assert code in [e.code for e in err.value.all_errors()]
    ok = services.goal_create(
        actor=actor(head),
        user=head,
        owner=owner,
        data=GoalData(title="办公室目标", weight=Decimal(100), parent_id=unit_goal.pk),
    )
    assert ok.parent_id == unit_goal.pk


def test_alignment_cannot_loop(org):
    perfadmin = org.users["perfadmin"]
    a = make_goal("甲", department=org.office)
    b = make_goal("乙", department=org.office, parent=a)
    data = GoalData.of(a)
    data.parent_id = b.pk
    with pytest.raises(DomainError) as err:
        services.goal_update(
            actor=actor(perfadmin),
            user=perfadmin,
            goal_id=a.pk,
            expected_version=a.version,
            data=data,
        )
    assert "alignment_loop" in [e.code for e in err.value.all_errors()]


def test_concurrent_edits_never_overwrite_each_other(org):
    goal = personal(org, org.employee)
    first = GoalData.of(goal)
    first.title = "第一个人的修改"
    second = GoalData.of(goal)
    second.title = "第二个人的修改"
    services.goal_update(
        actor=actor(org.users["employee"]),
        user=org.users["employee"],
        goal_id=goal.pk,
        expected_version=goal.version,
        data=first,
    )
    with pytest.raises(DomainError) as err:
        services.goal_update(
            actor=actor(org.users["head"]),
            user=org.users["head"],
            goal_id=goal.pk,
            expected_version=goal.version,
            data=second,
        )
    assert err.value.code == "concurrent_edit" and err.value.status == 409
    assert Goal.objects.get(pk=goal.pk).title == "第一个人的修改"


def test_closing_needs_a_note_when_the_outcome_differs_from_the_progress(org):
    goal = _approved_and_locked(org, personal(org, org.employee))
    Goal.objects.filter(pk=goal.pk).update(progress=0.5)
    goal.refresh_from_db()
    assert workflow.suggested_outcome(goal.progress) == GoalOutcome.NOT_ACHIEVED
    with pytest.raises(DomainError) as err:
        workflow.goal_close(
            actor=actor(org.users["head"]),
            user=org.users["head"],
            goal_id=goal.pk,
            expected_version=goal.version,
            outcome=GoalOutcome.PARTIAL,
        )
    assert err.value.all_errors()[0].code == "reason_required"
    with pytest.raises(DomainError) as err:
        workflow.goal_close(
            actor=actor(org.users["employee"]),
            user=org.users["employee"],
            goal_id=goal.pk,
            expected_version=goal.version,
            outcome=GoalOutcome.NOT_ACHIEVED,
        )
    assert err.value.status == 403
    closed = workflow.goal_close(
        actor=actor(org.users["head"]),
        user=org.users["head"],
        goal_id=goal.pk,
        expected_version=goal.version,
        outcome=GoalOutcome.PARTIAL,
        note="主要任务已完成，受政策调整影响",
    )
    assert closed.status == GoalStatus.CLOSED and closed.outcome == GoalOutcome.PARTIAL


def test_suggested_outcomes():
    assert workflow.suggested_outcome(1.0) == GoalOutcome.ACHIEVED
    assert workflow.suggested_outcome(1.2) == GoalOutcome.ACHIEVED
    assert workflow.suggested_outcome(0.6) == GoalOutcome.PARTIAL
    assert workflow.suggested_outcome(0.59) == GoalOutcome.NOT_ACHIEVED
    assert workflow.suggested_outcome(None) == GoalOutcome.NOT_ACHIEVED


def test_bulk_close_with_suggested_outcomes(org):
    a = make_goal("甲", person=org.employee, status=GoalStatus.LOCKED, period="2025", progress=1.0)
    b = make_goal("乙", person=org.peer, status=GoalStatus.APPROVED, period="2025", progress=0.7)
    head = org.users["head"]
    n = workflow.goals_close_suggested(
        actor=actor(head),
        user=head,
        items=[
            workflow.CloseItem(a.pk, a.version, GoalOutcome.ACHIEVED),
            workflow.CloseItem(b.pk, b.version, GoalOutcome.PARTIAL),
        ],
    )
    assert n == 2
    assert set(Goal.objects.values_list("outcome", flat=True)) == {"achieved", "partial"}
    c = make_goal(
        "丙", person=org.employee, status=GoalStatus.APPROVED, period="2025", progress=0.2, weight=0
    )
    with pytest.raises(DomainError):
        workflow.goals_close_suggested(
            actor=actor(head),
            user=head,
            items=[workflow.CloseItem(c.pk, c.version, GoalOutcome.ACHIEVED)],
        )


def test_lock_a_period_in_one_step(org):
    goals = [
        make_goal(f"目标{i}", person=p, status=GoalStatus.APPROVED)
        for i, p in enumerate([org.employee, org.peer])
    ]
    draft = make_goal("草稿", person=org.employee, status=GoalStatus.DRAFT, weight=0)
    with pytest.raises(DomainError):
        workflow.goals_lock_period(
            actor=actor(org.users["head"]),
            user=org.users["head"],
            period="2026",
            department_id=org.office.pk,
        )
    n = workflow.goals_lock_period(
        actor=actor(org.users["perfadmin"]),
        user=org.users["perfadmin"],
        period="2026",
        department_id=org.unit.pk,
    )
    assert n == 2
    assert set(
        Goal.objects.filter(pk__in=[g.pk for g in goals]).values_list("status", flat=True)
    ) == {"locked"}
    assert Goal.objects.get(pk=draft.pk).status == GoalStatus.DRAFT
    assert AuditRecord.objects.filter(action="goals.goal.lock").count() == 2


def test_a_goal_with_aligned_goals_or_check_ins_cannot_be_deleted(org):
    goal = personal(org, org.employee)
    make_goal("下级", person=org.employee, parent=goal, weight=0)
    with pytest.raises(DomainError) as err:
        services.goal_delete(
            actor=actor(org.users["employee"]),
            user=org.users["employee"],
            goal_id=goal.pk,
            expected_version=goal.version,
        )
    assert err.value.code == "goal_has_children"


def test_editing_a_used_indicator_keeps_the_version_goals_were_planned_on(org):
    from jixiao.indicators.models import Indicator
    from jixiao.indicators.services import IndicatorData, indicator_update

    indicator = Indicator.objects.filter(is_latest=True).first()
    assert indicator is not None
    goal = make_goal("用指标", person=org.employee)
    add_kr(goal, indicator=indicator)
    data = IndicatorData.of(indicator)
    data.name = data.name + "（修订）"
    outcome = indicator_update(
        actor=actor(org.users["perfadmin"]),
        scope=None,
        indicator_id=indicator.pk,
        expected_version=indicator.version,
        data=data,
    )
    assert outcome.new_version
    assert goal.key_results.get().indicator_id == indicator.pk
