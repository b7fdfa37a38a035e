"""How a submission is stored (rating_store): on PostgreSQL one statement, elsewhere one per
part. The same tests run on both, so both ways must leave the same rows."""

from __future__ import annotations

import pytest
from django.db import connection

from jixiao.appraisals import rating, scoring
from jixiao.appraisals.models import Assignment, AssignmentStatus, Cycle, Rating
from jixiao.core.errors import DomainError
from jixiao.core.models import AuditRecord
from tests.appraisals.conftest import actor

pytestmark = pytest.mark.django_db(transaction=False)


def _superior_assignment(org, cycle) -> Assignment:
    return Assignment.objects.get(
        cycle=cycle, appraisal__person=org.employee, group="superior", rater=org.head
    )


def _ratings(cycle, level: int) -> list[rating.RatingInput]:
    rules = rating.items_for_groups(cycle.scheme_id)["superior"]
    return [rating.RatingInput(item_id=i, level=level) for i in sorted(rules)]


def _save(org, entry: rating.AssignmentInput, *, submit: bool) -> list[Assignment]:
    head = org.users["head"]
    return rating.ratings_save(actor=actor(head), user=head, entries=[entry], submit=submit)


def _stored(assignment: Assignment) -> dict[int, tuple[float, int | None]]:
    return {
        item: (value, level)
        for item, value, level in Rating.objects.filter(assignment=assignment).values_list(
            "item_id", "value", "level"
        )
    }


def test_a_resaved_draft_keeps_exactly_the_new_ratings_and_comment(org, cycle):
    mine = _superior_assignment(org, cycle)
    first = _ratings(cycle, 3)
    _save(org, rating.AssignmentInput(mine.pk, mine.version, first, "初稿"), submit=False)
    mine.refresh_from_db()
    assert mine.status == AssignmentStatus.DRAFT and mine.comment == "初稿"
    assert {level for _v, level in _stored(mine).values()} == {3}
    # Fewer items, other levels: the dropped item's rating goes, the others change in place.
    again = [rating.RatingInput(item_id=r.item_id, level=5) for r in first[1:]]
    saved = _save(org, rating.AssignmentInput(mine.pk, mine.version, again, "改稿"), submit=False)
    mine.refresh_from_db()
    assert set(_stored(mine)) == {r.item_id for r in again}
    assert {level for _v, level in _stored(mine).values()} == {5}
    assert mine.comment == "改稿" and mine.version == saved[0].version == 3
    assert AuditRecord.objects.filter(action="appraisals.rating.draft").count() == 2


def test_a_stale_submission_writes_nothing(org, cycle):
    mine = _superior_assignment(org, cycle)
    _save(org, rating.AssignmentInput(mine.pk, mine.version, _ratings(cycle, 3)), submit=False)
    before = (_stored(mine), AuditRecord.objects.count())
    with pytest.raises(DomainError) as err:
        _save(
            org,
            rating.AssignmentInput(mine.pk, mine.version, _ratings(cycle, 5), "迟到的"),
            submit=True,
        )
    assert err.value.code == "concurrent_edit"
    mine.refresh_from_db()
    assert mine.status == AssignmentStatus.DRAFT and mine.comment == ""
    assert (_stored(mine), AuditRecord.objects.count()) == before


def test_an_item_rated_twice_is_refused(org, cycle):
    mine = _superior_assignment(org, cycle)
    twice = [
        *_ratings(cycle, 4),
        rating.RatingInput(item_id=_ratings(cycle, 4)[0].item_id, level=2),
    ]
    with pytest.raises(DomainError) as err:
        _save(org, rating.AssignmentInput(mine.pk, mine.version, twice), submit=True)
    assert [e.code for e in err.value.all_errors()] == ["duplicate_item"]
    assert not Rating.objects.filter(assignment=mine).exists()


def test_a_submission_is_one_statement_on_postgresql(org, cycle, django_assert_num_queries):
    mine = _superior_assignment(org, cycle)
    # the scheme's rules and arrays are cached per version: warm them as any earlier form would
    rating.items_for_groups(cycle.scheme_id)
    scoring.scheme_arrays(Cycle.objects.select_related("scheme").get(pk=cycle.pk))
    entry = rating.AssignmentInput(mine.pk, mine.version, _ratings(cycle, 4), "好")
    # savepoint (the test's transaction), read the assignment, store, read the ratings and
    # KPI scores, write the score, release; elsewhere the store is four statements
    # (compare-and-set with the comment, delete, ratings, audit). The superior group is not
    # standardized, so no rater statistics are read.
    expected = 6 if connection.vendor == "postgresql" else 9
    with django_assert_num_queries(expected):
        _save(org, entry, submit=True)
    mine.refresh_from_db()
    assert mine.status == AssignmentStatus.SUBMITTED and mine.comment == "好"
    assert mine.appraisal.total is not None
    record = AuditRecord.objects.get(action="appraisals.rating.submit")
    assert record.object_id == str(mine.appraisal_id) and record.actor_label
