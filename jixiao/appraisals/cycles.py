"""Appraisal cycles: creating one (its population, eligibility and rater assignments),
moving it through its phases, and editing assignments.

Populating a cycle is set-based: one read of the people and their status history, eligibility
in jixiao.engine, appraisals in one bulk insert, assignments in one COPY. Peers are chosen at
random but reproducibly (the cycle's seed): the department's people are put in a random order
and each is rated by the next `count` people in it, so everyone rates as many as rate them.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from jixiao.appraisals.models import (
    MAX_RATERS_PER_PERSON,
    PHASE_ORDER,
    Appraisal,
    Assignment,
    AssignmentStatus,
    Cycle,
    CycleKind,
    CyclePhase,
    Eligibility,
    RaterGroup,
    Rating,
    Scheme,
    UnitGrade,
)
from jixiao.appraisals.permissions import can_create_cycles, can_manage_cycle
from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.core.bulk import insert_rows, not_null_defaults
from jixiao.core.errors import (
    DomainError,
    FieldError,
    forbidden,
    validation_failed,
)
from jixiao.engine.appraisal import eligibility as engine_eligibility
from jixiao.org.access import scope_for
from jixiao.org.models import Department, DepartmentKind, Person, PersonStatus, PersonStatusChange

ELIGIBILITY_REASONS = {
    Eligibility.COMMENT_ONLY: _(
        "hired on %(hire)s, less than %(m)s months before the end of the cycle"
    ),
    Eligibility.NO_GRADE: _("on leave %(leave)s days of the cycle (more than %(m)s months)"),
    Eligibility.DEFERRED: _("under investigation at the end of the cycle"),
    Eligibility.HOST_UNIT: _("seconded %(seconded)s days of the cycle (more than %(m)s months)"),
}


@dataclass
class Population:
    department_ids: list[int] = field(default_factory=list)
    include_subdepartments: bool = True
    post_categories: list[str] = field(default_factory=list)
    person_ids: list[int] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "departments": self.department_ids,
            "include_subdepartments": self.include_subdepartments,
            "post_categories": self.post_categories,
            "people": self.person_ids,
        }

    @classmethod
    def of(cls, data: dict[str, Any]) -> Population:
        return cls(
            department_ids=[int(i) for i in data.get("departments", [])],
            include_subdepartments=bool(data.get("include_subdepartments", True)),
            post_categories=list(data.get("post_categories", [])),
            person_ids=[int(i) for i in data.get("people", [])],
        )


@dataclass
class CycleData:
    name: str
    kind: str
    unit_id: int
    scheme_id: int
    start: datetime.date
    end: datetime.date
    population: Population
    deadlines: dict[str, str] = field(default_factory=dict)
    unit_grade: str = ""
    higher_quota_approved: bool = False
    seed: int = 2026


def validate_cycle(
    user: Any | None, data: CycleData
) -> tuple[list[FieldError], Department | None, Scheme | None]:
    """The problems of a new cycle's data, with its unit and scheme when they exist.

    A unit outside the user's management scope is refused (403); with `user` None (the system
    creating a recurring series' cycle, see `cycle_insert`) no scope is checked."""
    data.name = data.name.strip()
    errors = settings_errors(name=data.name, unit_grade=data.unit_grade, deadlines=data.deadlines)
    if data.kind not in CycleKind.values:
        errors.append(FieldError("kind", "invalid_choice", _("Choose the kind of cycle.")))
    if data.end < data.start:
        errors.append(FieldError("end", "dates_ordered", _("The cycle ends before it starts.")))
    elif (data.end - data.start).days > 366 * 6:
        errors.append(FieldError("end", "too_long", _("A cycle lasts at most six years.")))
    unit = Department.objects.filter(pk=data.unit_id, kind=DepartmentKind.UNIT).first()
    if unit is None:
        errors.append(FieldError("unit", "unknown_unit", _("Choose a unit.")))
    elif user is not None and not scope_for(user).covers_path(unit.path, manage=True):
        raise forbidden()
    scheme = Scheme.objects.filter(pk=data.scheme_id, is_latest=True).first()
    if scheme is None:
        errors.append(FieldError("scheme", "unknown_scheme", _("Choose an active scheme.")))
    elif not scheme.is_active:
        errors.append(
            FieldError(
                "scheme",
                "scheme_inactive",
                _("This scheme is deactivated: choose an active scheme."),
            )
        )
        scheme = None
    if unit is not None:
        paths = dict(
            Department.objects.filter(pk__in=data.population.department_ids).values_list(
                "id", "path"
            )
        )
        if missing := [i for i in data.population.department_ids if i not in paths]:
            errors.append(
                FieldError(
                    "population",
                    "unknown_department",
                    _("Unknown departments: %(ids)s.") % {"ids": missing},
                )
            )
        if any(not p.startswith(unit.path) for p in paths.values()):
            errors.append(
                FieldError(
                    "population", "outside_unit", _("The population must lie within the unit.")
                )
            )
        if not data.population.department_ids and not data.population.person_ids:
            errors.append(
                FieldError(
                    "population", "required", _("Choose the departments or people appraised.")
                )
            )
        errors += _named_people_errors(user, unit, data.population.person_ids)
    return errors, unit, scheme


def settings_errors(*, name: str, unit_grade: str, deadlines: dict[str, Any]) -> list[FieldError]:
    """The problems of the settings a cycle keeps changeable after creation (its name, the
    unit's own grade, the phase deadlines as phase → YYYY-MM-DD): checked alike when a cycle
    is created and when the office edits it (jixiao.appraisals.corrections)."""
    errors: list[FieldError] = []
    if not name or len(name) > 100:
        errors.append(FieldError("name", "required", _("Name the cycle (at most 100 characters).")))
    if unit_grade not in UnitGrade.values:
        errors.append(FieldError("unit_grade", "invalid_choice", _("Choose the unit's grade.")))
    for phase, day in deadlines.items():
        if phase not in PHASE_ORDER:
            errors.append(
                FieldError("deadlines", "unknown_phase", _("Unknown phase %(p)s.") % {"p": phase})
            )
            continue
        try:
            datetime.date.fromisoformat(str(day))
        except ValueError:
            errors.append(
                FieldError(
                    f"deadlines.{phase}", "invalid_date", _("Give the deadline as YYYY-MM-DD.")
                )
            )
    return errors


def _named_people_errors(
    user: Any | None, unit: Department, person_ids: list[int]
) -> list[FieldError]:
    """One error per named person who does not exist, lies outside the unit's subtree or
    (with a user) outside the departments the user manages: nobody appraises, and then reads
    the appraisals of, people they could not choose on the form. A person is named by their
    employee number when the user may see them (by id otherwise, which tells nothing new)."""
    if not person_ids:
        return []
    found = {
        pid: (path, number)
        for pid, path, number in Person.objects.filter(pk__in=person_ids).values_list(
            "id", "department__path", "employee_no"
        )
    }
    scope = scope_for(user) if user is not None else None
    errors: list[FieldError] = []
    for pid in dict.fromkeys(person_ids):
        if pid not in found:
            errors.append(
                FieldError(
                    "population.person_ids",
                    "unknown_person",
                    _("Unknown person %(person)s.") % {"person": pid},
                )
            )
            continue
        path, number = found[pid]
        in_unit = path.startswith(unit.path)
        managed = scope is None or scope.covers_path(path, manage=True)
        if in_unit and managed:
            continue
        readable = scope is None or scope.covers_path(path)
        label = number if number and readable else str(pid)
        if not in_unit:
            errors.append(
                FieldError(
                    "population.person_ids",
                    "outside_unit",
                    _("Person %(person)s is not in the cycle's unit.") % {"person": label},
                )
            )
        else:
            errors.append(
                FieldError(
                    "population.person_ids",
                    "outside_scope",
                    _("Person %(person)s is not among the people you manage.") % {"person": label},
                )
            )
    return errors


@transaction.atomic(durable=True)
def cycle_create(*, actor: Actor, user: Any, data: CycleData, populate_now: bool = True) -> Cycle:
    """A new cycle in its set-up phase with its appraisals and rater assignments.

    With `populate_now=False` only the row is made; a background task then fills it
    (`populate` in its own transaction), for populations too large for one request."""
    return cycle_insert(actor=actor, user=user, data=data, populate_now=populate_now)


def cycle_insert(
    *,
    actor: Actor,
    user: Any | None,
    data: CycleData,
    populate_now: bool,
    series_id: int | None = None,
    period_start: datetime.date | None = None,
) -> Cycle:
    """`cycle_create` inside the caller's transaction: checks, the row, its population (now
    or later) and the audit record.

    A recurring series (jixiao.appraisals.series) creates its cycles here, naming itself and
    the period (unique together). With `user` None the system acts for the series, whose
    unit and population were checked against its author's scope when it was saved; the
    unit is then checked against nobody's scope, everything else is validated as usual."""
    if user is not None and not can_create_cycles(user):
        raise forbidden()
    errors, unit, scheme = validate_cycle(user, data)
    if errors:
        raise validation_failed(errors)
    assert unit is not None and scheme is not None
    cycle = Cycle.objects.create(
        name=data.name,
        kind=data.kind,
        unit=unit,
        scheme=scheme,
        start=data.start,
        end=data.end,
        population=data.population.as_json(),
        deadlines=data.deadlines,
        unit_grade=data.unit_grade,
        higher_quota_approved=data.higher_quota_approved,
        seed=data.seed,
        series_id=series_id,
        period_start=period_start,
        created_by_id=actor.user_id,
    )
    counts = populate(cycle) if populate_now else {"appraisals": 0, "assignments": 0}
    changes: dict[str, Any] = {
        "scheme": [None, scheme.pk],
        "period": [None, f"{data.start.isoformat()}–{data.end.isoformat()}"],
        "appraisals": [0, counts["appraisals"]],
        "assignments": [0, counts["assignments"]],
    }
    if series_id is not None:
        changes["series"] = [None, series_id]
    audit.record(actor, "appraisals.cycle.create", cycle, changes)
    return cycle


# ---------------------------------------------------------------- population


def population_people(
    cycle: Cycle,
) -> list[tuple[int, int, int | None, int | None, str, datetime.date | None]]:
    """(person, department, post, superior, department path, hire date) of the active people
    the cycle appraises, ordered by person."""
    return list(
        population_queryset(Population.of(cycle.population))
        .order_by("id")
        .values_list(
            "id", "department_id", "post_id", "superior_id", "department__path", "hire_date"
        )
    )


def population_queryset(pop: Population) -> QuerySet[Person]:
    """The active people a population covers (also counted before creating a cycle)."""
    q = Q(pk__in=pop.person_ids)
    paths = list(Department.objects.filter(pk__in=pop.department_ids).values_list("id", "path"))
    for dept_id, path in paths:
        q |= (
            Q(department__path__startswith=path)
            if pop.include_subdepartments
            else Q(department_id=dept_id)
        )
    qs = Person.objects.filter(q, is_active=True).exclude(status=PersonStatus.LEFT)
    if pop.post_categories:
        qs = qs.filter(Q(post__category__in=pop.post_categories) | Q(pk__in=pop.person_ids))
    return qs


def _population_ids(cycle: Cycle) -> QuerySet[Person, Any]:
    """The cycle's people as a subquery (an IN list of 100,000 ids costs a second to send)."""
    return population_queryset(Population.of(cycle.population)).values("id")


def _eligibility(cycle: Cycle, people: Sequence[tuple[Any, ...]]) -> list[tuple[str, str]]:
    ids = [p[0] for p in people]
    index = {pid: i for i, pid in enumerate(ids)}
    spans = [
        span
        for span in PersonStatusChange.objects.filter(
            person_id__in=_population_ids(cycle), start_date__lte=cycle.end
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=cycle.start))
        .values_list("person_id", "status", "start_date", "end_date")
        if span[0] in index
    ]
    rules = engine_eligibility.EligibilityRules(
        **{
            k: int(v)
            for k, v in cycle.scheme.eligibility.items()
            if k in ("new_hire_months", "leave_months", "seconded_months")
        }
    )
    nat = np.datetime64("NaT", "D")
    result = engine_eligibility.eligibility(
        people=len(ids),
        hire_date=np.array(
            [np.datetime64(p[5], "D") if p[5] else nat for p in people], dtype="datetime64[D]"
        ),
        span_person=np.array([index[s[0]] for s in spans], dtype=np.int64),
        span_status=np.array([s[1] for s in spans], dtype="<U16"),
        span_start=np.array([np.datetime64(s[2], "D") for s in spans], dtype="datetime64[D]"),
        span_end=np.array(
            [np.datetime64(s[3], "D") if s[3] else nat for s in spans], dtype="datetime64[D]"
        ),
        cycle_start=cycle.start,
        cycle_end=cycle.end,
        rules=rules,
    )
    months = {
        Eligibility.COMMENT_ONLY: rules.new_hire_months,
        Eligibility.NO_GRADE: rules.leave_months,
        Eligibility.HOST_UNIT: rules.seconded_months,
        Eligibility.DEFERRED: 0,
    }
    out: list[tuple[str, str]] = []
    for i, kind in enumerate(result.kind.tolist()):
        if kind == Eligibility.GRADED:
            out.append((kind, ""))
            continue
        hire = people[i][5]
        out.append(
            (
                kind,
                str(ELIGIBILITY_REASONS[kind])
                % {
                    "hire": hire.isoformat() if hire else "",
                    "m": months[kind],
                    "leave": int(result.leave_days[i]),
                    "seconded": int(result.seconded_days[i]),
                },
            )
        )
    return out


def _peer_pairs(members: list[int], count: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """(ratee, rater) pairs: in a random order of the members, each is rated by the next
    `count` people (all others when count is 0 or the department is small)."""
    n = len(members)
    if n < 2:
        return []
    k = n - 1 if count <= 0 else min(count, n - 1, MAX_RATERS_PER_PERSON)
    order = rng.permutation(np.asarray(members, dtype=np.int64))
    ratee = np.repeat(order, k)
    rater = order[(np.repeat(np.arange(n), k) + np.tile(np.arange(1, k + 1), n)) % n]
    return list(zip(ratee.tolist(), rater.tolist(), strict=True))


def populate(cycle: Cycle) -> dict[str, int]:
    """Appraisals and rater assignments of a new cycle (inside the caller's transaction)."""
    if Appraisal.objects.filter(cycle=cycle).exists():
        return {"appraisals": 0, "assignments": 0}
    people = population_people(cycle)
    eligibility = _eligibility(cycle, people)
    # Plain rows (COPY on PostgreSQL), the ids read back in one query: building 100,000
    # model instances for bulk_create cost more than the insert.
    given = ["cycle", "person", "department", "post", "eligibility", "eligibility_reason"]
    names, defaults = not_null_defaults(Appraisal, given)
    insert_rows(
        Appraisal,
        [*given, *names],
        [
            (cycle.pk, pid, dept, post, kind, reason[:255], *defaults)
            for (pid, dept, post, _sup, _path, _hire), (kind, reason) in zip(
                people, eligibility, strict=True
            )
        ],
    )
    appraisal_of = dict(Appraisal.objects.filter(cycle=cycle).values_list("person_id", "id"))
    superior_of = {p[0]: p[3] for p in people}
    groups = {g.group: g for g in cycle.scheme.groups.all()}
    active = set(
        Person.objects.filter(is_active=True)
        .exclude(status=PersonStatus.LEFT)
        .filter(pk__in={s for s in superior_of.values() if s})
        .values_list("id", flat=True)
    )
    pairs: list[tuple[int, str, int]] = []  # (appraisal, group, rater)
    if RaterGroup.SELF in groups:
        pairs += [(appraisal_of[pid], RaterGroup.SELF, pid) for pid in appraisal_of]
    if RaterGroup.SUPERIOR in groups:
        pairs += [
            (appraisal_of[pid], RaterGroup.SUPERIOR, sup)
            for pid, sup in superior_of.items()
            if sup in active
        ]
    if RaterGroup.LEADER in groups:
        second = dict(
            Person.objects.filter(
                pk__in=active, superior__isnull=False, superior__is_active=True
            ).values_list("id", "superior_id")
        )
        pairs += [
            (appraisal_of[pid], RaterGroup.LEADER, second[sup])
            for pid, sup in superior_of.items()
            if sup in second and second[sup] != pid
        ]
    if RaterGroup.SUBORDINATE in groups:
        for rater, sup in (
            Person.objects.filter(superior_id__in=_population_ids(cycle), is_active=True)
            .exclude(status=PersonStatus.LEFT)
            .values_list("id", "superior_id")
        ):
            if sup in appraisal_of:
                pairs.append((appraisal_of[sup], RaterGroup.SUBORDINATE, rater))
    if RaterGroup.PEER in groups:
        rng = np.random.default_rng([cycle.seed, cycle.pk])
        by_department: dict[int, list[int]] = defaultdict(list)
        for pid, dept, *_rest in people:
            by_department[dept].append(pid)
        for dept in sorted(by_department):
            for ratee, rater in _peer_pairs(
                by_department[dept], groups[RaterGroup.PEER].count, rng
            ):
                pairs.append((appraisal_of[ratee], RaterGroup.PEER, rater))
    rows = [
        (cycle.pk, a, g, r, AssignmentStatus.OPEN, "", False, 1) for a, g, r in dict.fromkeys(pairs)
    ]
    insert_rows(
        Assignment,
        ["cycle", "appraisal", "group", "rater", "status", "comment", "nominated", "version"],
        rows,
    )
    return {"appraisals": len(appraisal_of), "assignments": len(rows)}


# ---------------------------------------------------------------- assignments


def cycle_for_rater_changes(user: Any, cycle_id: int) -> Cycle:
    """The cycle whose raters the user changes: 404 if unknown, 403 unless they run it, 409
    once it shows results."""
    cycle = Cycle.objects.select_related("unit").filter(pk=cycle_id).first()
    if cycle is None:
        raise DomainError("not_found", _("Not found."), status=404)
    if not can_manage_cycle(user, cycle):
        raise forbidden()
    if cycle.phase in (CyclePhase.RESULTS, CyclePhase.CLOSED):
        raise DomainError(
            "cycle_finished", _("The cycle has results; its raters no longer change."), status=409
        )
    return cycle


def rater_change(cycle: Cycle, group: str, before: int | None, after: int | None) -> dict[str, Any]:
    """The audited change of an assignment's rater. In an anonymous group the rater is left
    out, so the audit trail never says who rates whom."""
    changes: dict[str, Any] = {
        "group": [None if before is None else group, None if after is None else group]
    }
    if not cycle.scheme.groups.filter(group=group, anonymous=True).exists():
        changes["rater"] = [before, after]
    return changes


@transaction.atomic(durable=True)
def assignment_add(
    *, actor: Actor, user: Any, appraisal_id: int, group: str, rater_id: int
) -> Assignment:
    appraisal = (
        Appraisal.objects.select_related("cycle", "cycle__unit", "department")
        .filter(pk=appraisal_id)
        .first()
    )
    if appraisal is None:
        raise DomainError("not_found", _("Not found."), status=404)
    cycle_for_rater_changes(user, appraisal.cycle_id)
    errors: list[FieldError] = []
    if (
        group not in RaterGroup.values
        or not appraisal.cycle.scheme.groups.filter(group=group).exists()
    ):
        errors.append(
            FieldError("group", "invalid_group", _("Choose a rater group of the scheme."))
        )
    rater = Person.objects.filter(pk=rater_id, is_active=True).first()
    if rater is None:
        errors.append(FieldError("rater", "unknown_person", _("Choose an active person.")))
    elif (rater.pk == appraisal.person_id) != (group == RaterGroup.SELF):
        errors.append(FieldError("rater", "self_rating", _("Only the self group rates oneself.")))
    if errors:
        raise validation_failed(errors)
    assignment, created = Assignment.objects.get_or_create(
        appraisal=appraisal,
        group=group,
        rater_id=rater_id,
        defaults={"cycle_id": appraisal.cycle_id},
    )
    if not created and assignment.status != AssignmentStatus.CANCELLED:
        raise DomainError(
            "assignment_exists", _("This person already rates in this group."), status=409
        )
    if not created:
        Assignment.objects.filter(pk=assignment.pk).update(
            status=AssignmentStatus.OPEN, version=F("version") + 1
        )
    audit.record(
        actor,
        "appraisals.assignment.add",
        appraisal,
        rater_change(appraisal.cycle, group, None, rater_id),
    )
    return assignment


@transaction.atomic(durable=True)
def assignment_cancel(*, actor: Actor, user: Any, assignment_id: int, reason: str = "") -> None:
    assignment = (
        Assignment.objects.select_related("appraisal", "appraisal__department")
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None:
        raise DomainError("not_found", _("Not found."), status=404)
    cycle_for_rater_changes(user, assignment.cycle_id)
    if assignment.status == AssignmentStatus.SUBMITTED:
        raise DomainError(
            "already_submitted", _("Submitted ratings are not cancelled."), status=409
        )
    Assignment.objects.filter(pk=assignment.pk).update(
        status=AssignmentStatus.CANCELLED, version=F("version") + 1
    )
    audit.record(
        actor,
        "appraisals.assignment.cancel",
        assignment.appraisal,
        rater_change(assignment.cycle, assignment.group, assignment.rater_id, None),
        reason,
    )


@transaction.atomic(durable=True)
def assignments_reassign(
    *, actor: Actor, user: Any, cycle_id: int, from_rater_id: int, to_rater_id: int
) -> int:
    """Hand a departed rater's unfinished assignments to someone else, in one update."""
    cycle = cycle_for_rater_changes(user, cycle_id)
    target = Person.objects.filter(pk=to_rater_id, is_active=True).first()
    if target is None:
        raise validation_failed(
            [FieldError("to_rater", "unknown_person", _("Choose an active person."))]
        )
    open_ones = Assignment.objects.filter(
        cycle=cycle,
        rater_id=from_rater_id,
        status__in=[AssignmentStatus.OPEN, AssignmentStatus.DRAFT],
    ).exclude(group=RaterGroup.SELF)
    clash = set(
        Assignment.objects.filter(cycle=cycle, rater_id=to_rater_id).values_list(
            "appraisal_id", "group"
        )
    )
    movable = [
        a
        for a in open_ones.values_list("id", "appraisal_id", "group", "appraisal__person_id")
        if (a[1], a[2]) not in clash and a[3] != to_rater_id
    ]
    ids = [a[0] for a in movable]
    # The new rater starts afresh: the previous rater's draft scores and comment are theirs.
    Rating.objects.filter(assignment_id__in=ids).delete()
    moved = Assignment.objects.filter(pk__in=ids).update(
        rater_id=to_rater_id, status=AssignmentStatus.OPEN, comment="", version=F("version") + 1
    )
    audit.record(
        actor,
        "appraisals.assignment.reassign",
        cycle,
        {"rater": [from_rater_id, to_rater_id], "assignments": [0, moved]},
    )
    return moved


def deadline_of(cycle: Cycle, phase: str) -> datetime.date | None:
    value = cycle.deadlines.get(phase)
    return datetime.date.fromisoformat(value) if value else None
