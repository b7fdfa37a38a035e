"""Raters' writes: saving drafts and submitting ratings, one assignment or a whole grid at once.

A rater acts only on their own assignments (anything else is "not found"), only while the
cycle's phase lets their group rate, and never again once submitted. Each call is one durable
transaction with compare-and-set on the assignments' versions, then the ratees are rescored.

Audit and anonymity: a named group's ratings are recorded on the appraisal with their values;
an anonymous group's are recorded on the cycle as a count, so the trail never says who rated
whom or what.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.appraisals import rating_store
from jixiao.appraisals.models import (
    Appraisal,
    Assignment,
    AssignmentStatus,
    Cycle,
    CyclePhase,
    RaterGroup,
    Scheme,
    SchemeGroup,
    SchemeItem,
)
from jixiao.appraisals.scoring import recompute_appraisals, scheme_arrays, scheme_cached
from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.core.errors import DomainError, FieldError, concurrent_edit, validation_failed
from jixiao.core.joined_rows import JoinedModel
from jixiao.core.prepared import KEYED_PLANS_ONLY, hot_cursor
from jixiao.indicators.models import BarsLevel
from jixiao.org.models import Department, Person

RATING_PHASES: dict[str, tuple[str, ...]] = {
    RaterGroup.SELF: (CyclePhase.SELF_ASSESSMENT, CyclePhase.RATING),
}
DEFAULT_PHASES: tuple[str, ...] = (CyclePhase.RATING,)


@dataclass
class RatingInput:
    item_id: int
    value: float | None = None
    level: int | None = None


@dataclass
class AssignmentInput:
    assignment_id: int
    expected_version: int
    ratings: list[RatingInput] = field(default_factory=list)
    comment: str = ""


@dataclass(frozen=True)
class ItemRules:
    max_score: float
    levels: dict[int, float]
    """BARS level → points, when the item's indicator has levels."""


def items_for_groups(scheme_id: int) -> dict[str, dict[int, ItemRules]]:
    """For each rater group of the scheme: the items it rates, with their scoring rules
    (kept per scheme version; do not change what it returns)."""
    scheme = Scheme.objects.only("id", "version", "created_at").get(pk=scheme_id)
    return items_for_scheme(scheme)


def items_for_scheme(scheme: Scheme) -> dict[str, dict[int, ItemRules]]:
    """items_for_groups of a loaded scheme: no query once this version was seen."""
    found: dict[str, dict[int, ItemRules]] = scheme_cached(
        scheme, "items", lambda: _items_for_groups(scheme.pk)
    )
    return found


def _items_for_groups(scheme_id: int) -> dict[str, dict[int, ItemRules]]:
    groups = {g.group: set(g.sections) for g in SchemeGroup.objects.filter(scheme_id=scheme_id)}
    items = list(
        SchemeItem.objects.filter(section__scheme_id=scheme_id, section__kind="rating").values_list(
            "id", "section__code", "max_score", "indicator_id"
        )
    )
    levels: dict[int, dict[int, float]] = defaultdict(dict)
    for indicator_id, level, points in BarsLevel.objects.filter(
        indicator_id__in={i[3] for i in items if i[3]}
    ).values_list("indicator_id", "level", "points"):
        levels[indicator_id][level] = float(points)
    return {
        group: {
            item_id: ItemRules(
                float(max_score), levels.get(indicator_id, {}) if indicator_id else {}
            )
            for item_id, section, max_score, indicator_id in items
            if section in sections
        }
        for group, sections in groups.items()
    }


def _score_of(
    rules: ItemRules, r: RatingInput, prefix: str, errors: list[FieldError]
) -> tuple[float, int | None] | None:
    if r.level is not None:
        if r.level not in rules.levels:
            errors.append(
                FieldError(prefix, "unknown_level", _("Choose one of the scale's levels."))
            )
            return None
        return min(rules.levels[r.level], rules.max_score), r.level
    if r.value is None:
        return None
    try:
        value = float(r.value)
    except (TypeError, ValueError):
        value = float("nan")
    if not 0 <= value <= rules.max_score:
        errors.append(
            FieldError(
                prefix,
                "out_of_range",
                _("Give a score from 0 to %(max)s.") % {"max": f"{rules.max_score:g}"},
            )
        )
        return None
    return value, None


@functools.cache
def _assignment_join() -> tuple[JoinedModel[Any], ...]:
    """The six models a submission reads, as one join: the assignment, its appraisal and the
    appraisal's department, the cycle, its scheme and its unit."""
    return (
        JoinedModel(Assignment, "a"),
        JoinedModel(Appraisal, "ap", leave_out=("breakdown", "summary")),
        JoinedModel(Department, "d"),
        JoinedModel(Cycle, "c"),
        JoinedModel(Scheme, "s"),
        JoinedModel(Department, "u"),
    )


def _own_assignments(user: Any, ids: Sequence[int]) -> dict[int, Assignment]:
    """The user's own assignments among `ids` (the rater is the user's person), with what
    writing and rescoring them needs (appraisal, department, cycle, scheme, unit), in one
    query written out: the ORM takes longer to build this join than the database to run it."""
    if user is None or not user.is_authenticated or not ids:
        return {}
    joined = _assignment_join()
    table = {m.alias: m.model._meta.db_table for m in joined}
    # On PostgreSQL the first statement also keeps the rest of the transaction on its indexes.
    hint = f", {KEYED_PLANS_ONLY}" if connection.vendor == "postgresql" else ""
    sql = (
        f"SELECT {', '.join(m.columns() for m in joined)}{hint} "
        f"FROM {table['a']} a JOIN {table['ap']} ap ON ap.id = a.appraisal_id "
        f"JOIN {table['d']} d ON d.id = ap.department_id "
        f"JOIN {table['c']} c ON c.id = a.cycle_id JOIN {table['s']} s ON s.id = c.scheme_id "
        f"JOIN {table['u']} u ON u.id = c.unit_id "
        f"WHERE a.id IN ({', '.join(['%s'] * len(ids))}) "
        f"AND a.rater_id = (SELECT p.id FROM {Person._meta.db_table} p WHERE p.user_id = %s)"
    )
    with hot_cursor() as cursor:
        cursor.execute(sql, [*ids, user.pk])
        rows = cursor.fetchall()
    found: dict[int, Assignment] = {}
    departments: dict[int, Department] = {}
    cycles: dict[int, Cycle] = {}
    a, ap, d, c, s, u = joined
    for row in rows:
        # A grid's rows share their cycle (and often departments): each is built once.
        assignment = a.build(row, 0)
        appraisal = ap.build(row, a.width)
        if appraisal.department_id not in departments:
            departments[appraisal.department_id] = d.build(row, a.width + ap.width)
        appraisal.department = departments[appraisal.department_id]
        assignment.appraisal = appraisal
        if assignment.cycle_id not in cycles:
            at = a.width + ap.width + d.width
            cycle = c.build(row, at)
            cycle.scheme = s.build(row, at + c.width)
            cycle.unit = u.build(row, at + c.width + s.width)
            cycles[cycle.pk] = cycle
        assignment.cycle = cycles[assignment.cycle_id]
        found[assignment.pk] = assignment
    return found


@transaction.atomic(durable=True)
def ratings_save(
    *, actor: Actor, user: Any, entries: Sequence[AssignmentInput], submit: bool
) -> list[Assignment]:
    """Save (as drafts) or submit the ratings of some of the user's assignments."""
    own = _own_assignments(user, [e.assignment_id for e in entries])
    if len(own) != len({e.assignment_id for e in entries}):
        raise DomainError("not_found", _("Not found."), status=404)
    return write_ratings(actor=actor, entries=entries, assignments=own, submit=submit)


def write_ratings(
    *,
    actor: Actor,
    entries: Sequence[AssignmentInput],
    assignments: dict[int, Assignment],
    submit: bool,
) -> list[Assignment]:
    """Validate and store ratings for assignments the caller may write (inside a transaction)."""
    errors: list[FieldError] = []
    first = next(iter(assignments.values()))
    cycle = first.cycle
    rules = items_for_scheme(cycle.scheme)
    rows: list[tuple[int, int, float, int | None]] = []
    for n, entry in enumerate(entries):
        a = assignments[entry.assignment_id]
        prefix = f"entries[{n}]"
        if a.cycle_id != cycle.pk:
            errors.append(FieldError(prefix, "mixed_cycles", _("Rate one cycle at a time.")))
            continue
        if cycle.phase not in RATING_PHASES.get(a.group, DEFAULT_PHASES):
            raise DomainError(
                "rating_closed",
                _("Rating is not open in this cycle (it is %(phase)s).")
                % {"phase": cycle.get_phase_display()},
                status=409,
            )
        if a.status == AssignmentStatus.SUBMITTED:
            raise DomainError(
                "already_submitted", _("These ratings were already submitted."), status=409
            )
        if a.status in (AssignmentStatus.CANCELLED, AssignmentStatus.PENDING):
            raise DomainError("not_found", _("Not found."), status=404)
        allowed = rules.get(a.group, {})
        seen: set[int] = set()
        given: set[int] = set()
        for k, r in enumerate(entry.ratings):
            if r.item_id not in allowed:
                errors.append(
                    FieldError(
                        f"{prefix}.ratings[{k}]",
                        "unknown_item",
                        _("This item is not rated by this group."),
                    )
                )
                continue
            if r.item_id in given:
                errors.append(
                    FieldError(
                        f"{prefix}.ratings[{k}]",
                        "duplicate_item",
                        _("This item is rated twice: give it one score."),
                    )
                )
                continue
            given.add(r.item_id)
            scored = _score_of(allowed[r.item_id], r, f"{prefix}.ratings[{k}]", errors)
            if scored is not None:
                rows.append((a.pk, r.item_id, scored[0], scored[1]))
                seen.add(r.item_id)
        if submit and (missing := set(allowed) - seen):
            errors.append(
                FieldError(
                    prefix,
                    "incomplete",
                    _("Rate every item before submitting (%(n)s left).") % {"n": len(missing)},
                )
            )
    if errors:
        raise validation_failed(errors)
    ids = [e.assignment_id for e in entries]
    status = AssignmentStatus.SUBMITTED if submit else AssignmentStatus.DRAFT
    now = timezone.now()
    comments = {e.assignment_id: e.comment.strip()[:2000] for e in entries if e.comment.strip()}
    # Always replaces the ratings: an assignment handed over or re-added is open again but
    # may keep the draft ratings it had.
    moved = rating_store.store(
        rating_store.Submission(
            versions=[(e.assignment_id, e.expected_version) for e in entries],
            status=status,
            submitted_at=now if submit else None,
            comments=comments,
            ratings=rows,
            audit_rows=audit.audit_rows(actor, _audit_entries(entries, assignments, rows, submit)),
        )
    )
    if moved != len(ids):
        raise concurrent_edit()
    if submit:
        recompute_appraisals(sorted({assignments[i].appraisal_id for i in ids}), cycle=cycle)
    if len(ids) > 50:
        return []
    # The compare-and-set above wrote exactly these values (the rows stay locked until
    # commit), so the instances are brought up to date without reading them again.
    fresh = []
    for e in entries:
        a = assignments[e.assignment_id]
        a.status, a.version = status, e.expected_version + 1
        a.submitted_at = now if submit else None
        if e.assignment_id in comments:
            a.comment = comments[e.assignment_id]
        fresh.append(a)
    return fresh


def _audit_entries(
    entries: Sequence[AssignmentInput],
    assignments: dict[int, Assignment],
    rows: list[tuple[int, int, float, int | None]],
    submit: bool,
) -> list[audit.AuditEntry]:
    """The audit records of a submission: one per named rating with its scores, one count
    on the cycle for the anonymous ones."""
    first = next(iter(assignments.values()))
    arrays = scheme_arrays(first.cycle)
    anonymous = {
        code
        for code, hidden in zip(arrays.group_codes, arrays.group_anonymous, strict=True)
        if hidden
    }
    by_assignment: dict[int, dict[str, float]] = defaultdict(dict)
    for assignment_id, item_id, value, _level in rows:
        by_assignment[assignment_id][str(item_id)] = value
    named: list[audit.AuditEntry] = []
    anonymous_count = 0
    action = "appraisals.rating.submit" if submit else "appraisals.rating.draft"
    for e in entries:
        a = assignments[e.assignment_id]
        if a.group in anonymous:
            anonymous_count += 1
            continue
        named.append(
            audit.entry(
                action,
                a.appraisal,
                {"group": [None, a.group], "scores": [None, by_assignment.get(a.pk, {})]},
                scope_path=a.appraisal.department.path,
            )
        )
    if anonymous_count:
        named.append(
            audit.entry(
                action,
                first.cycle,
                {"anonymous_ratings": [0, anonymous_count]},
                scope_path=first.cycle.unit.path,
            )
        )
    return named
