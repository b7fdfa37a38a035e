"""A full recompute scores the data as it read it at its start. What changes while it runs
is not lost under its older scores: an appraisal rescored meanwhile (a submission) keeps its
newer score and the results say ranks and grades are older than the scores; a change of
eligibility meanwhile keeps the cycle's grades marked outdated."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

from jixiao.appraisals import scoring
from jixiao.appraisals.models import Appraisal, Assignment, AssignmentStatus, Eligibility
from jixiao.appraisals.selectors_results import cycle_results
from jixiao.core.bulk import COPY_UPDATE_MIN, update_rows
from tests.appraisals.test_eligibility_correction import set_eligibility
from tests.appraisals.test_results import rate


def during_compute(action):
    """A progress callback that runs `action` once, after the recompute has read its data."""
    done: list[bool] = []

    def report(stage: str, _share: float) -> None:
        if stage == "compute" and not done:
            done.append(True)
            action()

    return report


def test_a_submission_while_the_recompute_runs_keeps_its_newer_score(org, cycle):
    rate(cycle, org.peer, "superior", org.head, org.users["head"], 3)
    scoring.recompute_cycle(cycle.pk)
    before = Appraisal.objects.get(cycle=cycle, person=org.employee)
    cycle.refresh_from_db()
    assert not cycle_results(cycle).stale

    summary = scoring.recompute_cycle(
        cycle.pk,
        progress=during_compute(
            lambda: rate(cycle, org.employee, "superior", org.head, org.users["head"], 5)
        ),
    )
    assert (
        Assignment.objects.get(cycle=cycle, appraisal__person=org.employee, group="superior").status
        == AssignmentStatus.SUBMITTED
    )
    after = Appraisal.objects.get(cycle=cycle, person=org.employee)
    # The submission's own rescoring counted the rating; the recompute, which read before
    # it, did not overwrite that score with its own.
    assert after.total is not None and after.total != before.total
    assert summary["rescored_meanwhile"] == 1
    cycle.refresh_from_db()
    assert after.computed_at is not None and cycle.computed_at is not None
    assert after.computed_at > cycle.computed_at
    assert cycle_results(cycle).stale  # its rank and grade wait for the next recompute
    others = Appraisal.objects.filter(cycle=cycle).exclude(pk=after.pk)
    assert set(others.values_list("computed_at", flat=True)) == {cycle.computed_at}

    again = scoring.recompute_cycle(cycle.pk)
    assert again["rescored_meanwhile"] == 0
    assert Appraisal.objects.get(pk=after.pk).total == pytest.approx(after.total)
    cycle.refresh_from_db()
    assert not cycle_results(cycle).stale


def test_an_eligibility_change_while_the_recompute_runs_keeps_the_grades_outdated(org, cycle):
    rate(cycle, org.employee, "superior", org.head, org.users["head"], 5)
    scoring.recompute_cycle(cycle.pk)

    def correct() -> None:
        appraisal = Appraisal.objects.get(cycle=cycle, person=org.employee)
        set_eligibility(org, appraisal, Eligibility.REFUSED, "拒不参加考核")

    scoring.recompute_cycle(cycle.pk, progress=during_compute(correct))
    cycle.refresh_from_db()
    assert cycle.grades_outdated_since is not None  # the recompute read the old eligibility
    assert Appraisal.objects.get(cycle=cycle, person=org.employee).suggested_grade != "poor"
    scoring.recompute_cycle(cycle.pk)
    cycle.refresh_from_db()
    assert cycle.grades_outdated_since is None


@pytest.mark.parametrize("rows", [3, COPY_UPDATE_MIN])
def test_update_rows_leaves_rows_newer_than_the_write_alone(org, cycle, rows):
    """Both ways of writing: a VALUES join, and (PostgreSQL, many rows) COPY and a join."""
    ids = list(Appraisal.objects.filter(cycle=cycle).values_list("id", flat=True))
    older = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    newer = datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)
    Appraisal.objects.filter(pk__in=ids).update(total=None, computed_at=None)
    Appraisal.objects.filter(pk=ids[0]).update(total=42.0, computed_at=newer)
    at = connection.ops.adapt_datetimefield_value(older)
    # as many rows as asked for: the real ones, then ids that match nothing
    plain = [(pk, 80.0, at) for pk in ids] + [
        (10_000_000 + k, 80.0, at) for k in range(max(0, rows - len(ids)))
    ]
    written = update_rows(
        Appraisal, ["total", "computed_at"], plain, keep_newer=("computed_at", at)
    )
    assert written == len(ids) - 1
    totals = dict(Appraisal.objects.filter(pk__in=ids).values_list("id", "total"))
    assert totals[ids[0]] == 42.0
    assert all(totals[pk] == 80.0 for pk in ids[1:])
