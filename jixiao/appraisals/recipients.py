"""Service recipients (服务对象) as raters: the office says which departments a department
serves, and their people rate its appraisees.

Until operational records say who was served, the office chooses, per cycle and department,
the departments it serves (`RecipientSource`). Saving a choice assigns the recipients of the
department's appraisees at once, and of its sub-departments without a choice of their own:

- the people who may rate are the active people of the departments served (with their
  sub-departments), never the appraisee nor someone who rates them in another group;
- each appraisee gets the scheme's number of recipients (the group's *count*; 0 = all of
  them), chosen at random but reproducibly (the cycle's seed, the cycle and the appraisal);
- recipients already assigned from those departments stay; open assignments of people no
  longer among them are cancelled, started ones (drafts, submissions) are kept.

The group is usually anonymous: the audit record counts the assignments and names nobody.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils.translation import gettext as _

from jixiao.appraisals.cycles import cycle_for_rater_changes
from jixiao.appraisals.models import (
    Appraisal,
    Assignment,
    AssignmentStatus,
    Cycle,
    RaterGroup,
    RecipientSource,
    SchemeGroup,
)
from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.core.bulk import insert_rows
from jixiao.core.errors import DomainError, FieldError, concurrent_edit, validation_failed
from jixiao.org.models import Department, Person, PersonStatus

MAX_SERVED = 100
"""At most this many departments served by one department."""
CHUNK = 5000


@dataclass(frozen=True)
class RecipientsResult:
    source: RecipientSource
    appraisees: int
    added: int
    cancelled: int
    kept_outside: int
    """Started assignments of people no longer among the recipients, kept."""


@dataclass
class SourceRow:
    """One department's choice, as the office's page and the API show it."""

    department: Department
    served: list[Department]
    version: int
    appraisees: int = 0
    recipients: int = 0
    submitted: int = 0


@dataclass
class RecipientsOverview:
    group: SchemeGroup | None
    rows: list[SourceRow] = field(default_factory=list)
    departments: list[Department] = field(default_factory=list)
    """The departments with appraisees in the cycle (and those above them): those a choice
    may be made for."""
    uncovered: int = 0
    """Appraisees under no department's choice."""


def recipient_group(cycle: Cycle) -> SchemeGroup | None:
    return cycle.scheme.groups.filter(group=RaterGroup.RECIPIENT).first()


def _within(path: str, others: Sequence[str]) -> bool:
    return any(path.startswith(p) for p in others)


def governing_source(path: str, source_paths: Sequence[str]) -> str | None:
    """The path of the nearest department at or above `path` with a choice of its own."""
    best: str | None = None
    for p in source_paths:
        if path.startswith(p) and (best is None or len(p) > len(best)):
            best = p
    return best


def _validate(
    cycle: Cycle, department_id: int, served_ids: Sequence[int]
) -> tuple[Department, list[Department]]:
    errors: list[FieldError] = []
    unit_path = cycle.unit.path
    department = Department.objects.filter(pk=department_id, path__startswith=unit_path).first()
    if (
        department is None
        or not Appraisal.objects.filter(
            cycle=cycle, department__path__startswith=department.path
        ).exists()
    ):
        errors.append(
            FieldError(
                "department",
                "no_appraisees",
                _("Choose a department of the cycle's unit with people appraised in the cycle."),
            )
        )
    wanted = list(dict.fromkeys(int(i) for i in served_ids))
    served = list(
        Department.objects.filter(pk__in=wanted, path__startswith=unit_path).order_by("path")
    )
    if len(served) != len(wanted):
        errors.append(
            FieldError("served", "unknown_department", _("Choose departments of the cycle's unit."))
        )
    elif len(served) > MAX_SERVED:
        errors.append(
            FieldError(
                "served",
                "too_many",
                _("At most %(n)s departments served.") % {"n": MAX_SERVED},
            )
        )
    elif department is not None and any(
        d.path.startswith(department.path) or department.path.startswith(d.path) for d in served
    ):
        errors.append(
            FieldError(
                "served",
                "serves_itself",
                _(
                    "A department does not serve itself, its sub-departments or those above "
                    "it: their people rate it as colleagues, not as service recipients."
                ),
            )
        )
    if errors:
        raise validation_failed(errors)
    assert department is not None
    return department, served


def _save_source(
    cycle: Cycle, department: Department, served: list[Department], expected_version: int | None
) -> tuple[RecipientSource, list[int]]:
    """The choice stored (compare-and-set on its version; a new one expects none) and the
    departments it served before."""
    ids = [d.pk for d in served]
    found = (
        RecipientSource.objects.select_for_update()
        .filter(cycle=cycle, department=department)
        .first()
    )
    if found is None:
        if expected_version:
            raise concurrent_edit()
        try:
            with transaction.atomic():
                return RecipientSource.objects.create(
                    cycle=cycle, department=department, served=ids
                ), []
        except IntegrityError:  # another office user saved a first choice a moment ago
            raise concurrent_edit() from None
    if expected_version != found.version:
        raise concurrent_edit()
    before = list(found.served)
    RecipientSource.objects.filter(pk=found.pk).update(served=ids, version=F("version") + 1)
    found.refresh_from_db()
    return found, before


@transaction.atomic(durable=True)
def recipients_set(
    *,
    actor: Actor,
    user: Any,
    cycle_id: int,
    department_id: int,
    served_ids: Sequence[int],
    expected_version: int | None,
) -> RecipientsResult:
    """Store which departments `department_id` serves and assign its appraisees' recipients
    (an empty choice cancels the open ones)."""
    cycle = cycle_for_rater_changes(user, cycle_id)
    group = recipient_group(cycle)
    if group is None:
        raise DomainError(
            "no_recipient_group",
            _("The cycle's scheme has no service-recipient group."),
            status=409,
        )
    department, served = _validate(cycle, department_id, served_ids)
    source, before = _save_source(cycle, department, served, expected_version)
    deeper = [
        p
        for p in RecipientSource.objects.filter(
            cycle=cycle, department__path__startswith=department.path
        )
        .exclude(pk=source.pk)
        .values_list("department__path", flat=True)
    ]
    appraisals = [
        (a, person)
        for a, person, path in Appraisal.objects.filter(
            cycle=cycle, department__path__startswith=department.path
        )
        .order_by("id")
        .values_list("id", "person_id", "department__path")
        if not _within(path, deeper)
    ]
    counts = _assign(cycle, group, department, appraisals, served)
    audit.record(
        actor,
        "appraisals.cycle.recipients",
        cycle,
        {
            "department": [department.pk, department.pk],
            "served": [before, source.served],
            "added": [0, counts[0]],
            "cancelled": [0, counts[1]],
        },
    )
    return RecipientsResult(source, len(appraisals), *counts)


def _assign(
    cycle: Cycle,
    group: SchemeGroup,
    department: Department,
    appraisals: list[tuple[int, int]],
    served: list[Department],
) -> tuple[int, int, int]:
    """(added, cancelled, kept outside) for these appraisals (of `department`'s subtree), in
    a fixed number of queries."""
    pool_q = Q()
    for d in served:
        pool_q |= Q(department__path__startswith=d.path)
    pool = (
        np.array(
            Person.objects.filter(pool_q, is_active=True)
            .exclude(status=PersonStatus.LEFT)
            .order_by("id")
            .values_list("id", flat=True),
            dtype=np.int64,
        )
        if served
        else np.zeros(0, dtype=np.int64)
    )
    in_pool = set(pool.tolist())
    existing: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    # Who already rates an appraisee in another group (superior, leader, peer…) does not
    # rate them again as a recipient.
    rates_otherwise: dict[int, list[int]] = defaultdict(list)
    for pk, appraisal_id, rater_id, group_code, status in Assignment.objects.filter(
        cycle=cycle,
        appraisal__department__path__startswith=department.path,
        rater__isnull=False,
    ).values_list("id", "appraisal_id", "rater_id", "group", "status"):
        if group_code == RaterGroup.RECIPIENT:
            existing[appraisal_id].append((pk, rater_id, status))
        elif status != AssignmentStatus.CANCELLED:
            rates_otherwise[appraisal_id].append(rater_id)
    cancel: list[int] = []
    reopen: list[int] = []
    new_rows: list[tuple[Any, ...]] = []
    kept_outside = 0
    for appraisal_id, person_id in appraisals:
        live: set[int] = set()
        cancelled_of: dict[int, int] = {}
        for pk, rater_id, status in existing[appraisal_id]:
            if status == AssignmentStatus.CANCELLED:
                cancelled_of[rater_id] = pk
            elif rater_id in in_pool:
                live.add(rater_id)
            elif status == AssignmentStatus.OPEN:
                cancel.append(pk)
            else:
                kept_outside += 1
        taken = [person_id, *live, *rates_otherwise[appraisal_id]]
        candidates = pool[~np.isin(pool, taken)]
        wanted = candidates.size if group.count == 0 else max(0, group.count - len(live))
        if not wanted or not candidates.size:
            continue
        rng = np.random.default_rng([cycle.seed, cycle.pk, appraisal_id])
        chosen = rng.permutation(candidates)[:wanted].tolist()
        for rater_id in chosen:
            if rater_id in cancelled_of:
                reopen.append(cancelled_of[rater_id])
            else:
                new_rows.append(
                    (
                        cycle.pk,
                        appraisal_id,
                        RaterGroup.RECIPIENT,
                        rater_id,
                        AssignmentStatus.OPEN,
                        "",
                        False,
                        1,
                    )
                )
    for start in range(0, len(cancel), CHUNK):
        Assignment.objects.filter(
            pk__in=cancel[start : start + CHUNK], status=AssignmentStatus.OPEN
        ).update(status=AssignmentStatus.CANCELLED, version=F("version") + 1)
    for start in range(0, len(reopen), CHUNK):
        Assignment.objects.filter(pk__in=reopen[start : start + CHUNK]).update(
            status=AssignmentStatus.OPEN, version=F("version") + 1
        )
    insert_rows(
        Assignment,
        ["cycle", "appraisal", "group", "rater", "status", "comment", "nominated", "version"],
        new_rows,
    )
    return len(new_rows) + len(reopen), len(cancel), kept_outside


def recipients_overview(cycle: Cycle) -> RecipientsOverview:
    """Every department's choice with its appraisees and recipients, and the departments a
    choice may be made for (a fixed number of queries)."""
    group = recipient_group(cycle)
    sources = list(
        RecipientSource.objects.filter(cycle=cycle)
        .select_related("department")
        .order_by("department__path")
    )
    unit_departments = {
        d.pk: d for d in Department.objects.filter(path__startswith=cycle.unit.path)
    }
    source_paths = [s.department.path for s in sources]
    row_of = {
        s.department.path: SourceRow(
            s.department,
            [unit_departments[i] for i in s.served if i in unit_departments],
            s.version,
        )
        for s in sources
    }
    paths: set[str] = set()
    uncovered = 0
    for path, n in (
        Appraisal.objects.filter(cycle=cycle)
        .values_list("department__path")
        .annotate(n=Count("id"))
        .values_list("department__path", "n")
        .order_by()
    ):
        paths.add(path)
        governing = governing_source(path, source_paths)
        if governing is None:
            uncovered += n
        else:
            row_of[governing].appraisees += n
    for path, status, n in (
        Assignment.objects.filter(cycle=cycle, group=RaterGroup.RECIPIENT)
        .exclude(status=AssignmentStatus.CANCELLED)
        .values_list("appraisal__department__path", "status")
        .annotate(n=Count("id"))
        .values_list("appraisal__department__path", "status", "n")
        .order_by()
    ):
        governing = governing_source(path, source_paths)
        if governing is not None:
            row_of[governing].recipients += n
            if status == AssignmentStatus.SUBMITTED:
                row_of[governing].submitted += n
    # a path "/1/5/12/" lies under "/1/", "/1/5/" and itself
    above = {p[: i + 1] for p in paths for i, c in enumerate(p) if c == "/"}
    departments = sorted(
        (d for d in unit_departments.values() if d.path in above), key=lambda d: d.path
    )
    return RecipientsOverview(group, [row_of[p] for p in source_paths], departments, uncovered)
