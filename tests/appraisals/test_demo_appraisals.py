"""The demo appraisals: two cycles of the civil-servant preset built through the services from
the demo organization, this year's in the rating phase with most ratings given and work left
for the demo accounts, last year's with results; ratings through one-time codes; scores,
grades, ties and rater statistics as the scoring computes them."""

from __future__ import annotations

import datetime
import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from jixiao.accounts.models import User
from jixiao.appraisals import codes, rating, scoring
from jixiao.appraisals import demo as appraisals_demo
from jixiao.appraisals.models import (
    Appraisal,
    Assignment,
    AssignmentStatus,
    CodeBatch,
    Cycle,
    CyclePhase,
    Eligibility,
    KpiScore,
    RaterGroup,
    RaterStat,
    Rating,
    RatingCode,
    Scheme,
    SchemePreset,
)
from jixiao.engine.appraisal.grades import head_count
from jixiao.goals import demo as goals_demo
from jixiao.org import demo
from jixiao.org.models import Person

TODAY = datetime.date(datetime.date.today().year, 12, 4)
PEOPLE = 150


@pytest.fixture
def built(db):
    demo.build_demo(seed=3, people=PEOPLE, today=TODAY)
    goals_demo.build_goals_demo(seed=3, today=TODAY)
    return appraisals_demo.build_appraisals_demo(seed=3, today=TODAY)


def _cycles() -> tuple[Cycle, Cycle]:
    current = Cycle.objects.get(start__year=TODAY.year)
    last = Cycle.objects.get(start__year=TODAY.year - 1)
    return current, last


def _person(username: str) -> Person:
    return Person.objects.get(user__username=username)


def test_two_cycles_of_the_civil_servant_preset_from_the_organization(built):
    scheme = Scheme.objects.get(code=appraisals_demo.SCHEME_CODE)
    assert scheme.preset == SchemePreset.CIVIL_SERVANT
    current, last = _cycles()
    assert (current.phase, last.phase) == (CyclePhase.RATING, CyclePhase.RESULTS)
    assert current.scheme_id == last.scheme_id == scheme.pk
    active = Person.objects.filter(is_active=True).exclude(status="left").count()
    assert Appraisal.objects.filter(cycle=current).count() == active
    assert built.cycles == 2 and built.appraisals == Appraisal.objects.count()
    # Raters come from the organization: the superior group is the reporting line.
    for a in Assignment.objects.filter(cycle=current, group=RaterGroup.SUPERIOR).select_related(
        "appraisal__person"
    ):
        assert a.rater_id == a.appraisal.person.superior_id
    # Eligibility is applied (the demo organization has new hires and people on leave).
    kinds = set(Appraisal.objects.filter(cycle=current).values_list("eligibility", flat=True))
    assert Eligibility.GRADED in kinds and len(kinds) > 1


def test_most_assignments_submitted_with_realistic_levels(built):
    current, last = _cycles()
    statuses = Counter(Assignment.objects.filter(cycle=current).values_list("status", flat=True))
    total = sum(statuses.values())
    assert statuses[AssignmentStatus.SUBMITTED] > 0.7 * total
    assert statuses[AssignmentStatus.OPEN] and statuses[AssignmentStatus.DRAFT]
    assert (
        not Assignment.objects.filter(cycle=last)
        .exclude(status=AssignmentStatus.SUBMITTED)
        .exists()
    )
    rules = rating.items_for_groups(current.scheme_id)
    per_assignment = Counter(
        Rating.objects.filter(assignment__cycle=current).values_list("assignment_id", flat=True)
    )
    for a in Assignment.objects.filter(cycle=current, rater__isnull=False):
        expected = 0 if a.status == AssignmentStatus.OPEN else len(rules[a.group])
        assert per_assignment.get(a.pk, 0) == expected, (a.group, a.status)
    levels = Counter(Rating.objects.values_list("level", flat=True))
    assert set(levels) <= {1, 2, 3, 4, 5}
    assert levels[3] + levels[4] + levels[5] > 0.75 * sum(levels.values())
    # Values are the points of the chosen BARS level.
    for value, level in Rating.objects.values_list("value", "level")[:200]:
        assert level is not None
        assert value == {5: 100, 4: 85, 3: 70, 2: 55, 1: 30}[level]


def test_lenient_severe_and_halo_raters_show_in_the_statistics(built):
    current, _last = _cycles()
    flags = Counter(
        f
        for row in RaterStat.objects.filter(cycle=current, group=RaterGroup.PEER)
        for f in row.flags
    )
    assert flags["lenient"] and flags["severe"] and flags["halo"]
    # Peers are anonymous: their statistics carry aliases, never a rater.
    assert not RaterStat.objects.filter(group=RaterGroup.PEER, rater__isnull=False).exists()
    assert RaterStat.objects.filter(group=RaterGroup.SUPERIOR, rater__isnull=False).exists()


def test_results_grades_and_quota_as_computed(built):
    current, last = _cycles()
    for cycle in (current, last):
        assert cycle.computed_at is not None
        scored = Appraisal.objects.filter(cycle=cycle, total__isnull=False)
        assert scored.count() > 0.8 * Appraisal.objects.filter(cycle=cycle).count()
        assert not scored.filter(
            eligibility=Eligibility.GRADED, suggested_grade="", tie=False
        ).exists()
        assert (
            not Appraisal.objects.filter(cycle=cycle)
            .exclude(eligibility__in=[Eligibility.GRADED, Eligibility.REFUSED])
            .exclude(suggested_grade="")
            .exists()
        )
    # Last year's quota: 优秀 at most 20% of those graded (half up), unless people tie.
    graded = Appraisal.objects.filter(cycle=last, eligibility=Eligibility.GRADED)
    limit = head_count(0.20, graded.filter(total__isnull=False).count(), "at_most", "half_up")
    excellent = graded.filter(suggested_grade="excellent").count()
    assert excellent <= limit
    assert graded.filter(band_grade="excellent").count() >= excellent

    # What the demo stored is what the scoring computes: recomputing changes nothing.
    def grades() -> dict[int, tuple[str, bool]]:
        rows = Appraisal.objects.filter(cycle=last).values_list("id", "suggested_grade", "tie")
        return {pk: (grade, tie) for pk, grade, tie in rows}

    before = grades()
    summary = scoring.recompute_cycle(last.pk)
    assert summary["ties"] == sum(1 for _g, tie in before.values() if tie)
    assert grades() == before


def test_kpi_scores_come_from_the_goals(built):
    current, last = _cycles()
    for cycle in (current, last):
        computed = KpiScore.objects.filter(appraisal__cycle=cycle, computed__isnull=False)
        assert computed.exists()
        assert all(
            v is not None and 0 <= v <= 100 for v in computed.values_list("computed", flat=True)
        )


def test_the_demo_accounts_see_their_work(built):
    current, _last = _cycles()
    employee, head = _person("employee"), _person("head")
    mine = Assignment.objects.filter(cycle=current, rater=employee)
    assert mine.filter(group=RaterGroup.PEER).exists()
    assert not mine.exclude(status=AssignmentStatus.OPEN).exists()
    own = Appraisal.objects.get(cycle=current, person=employee)
    assert own.self_submitted_at is None and own.summary == ""
    team = Assignment.objects.filter(cycle=current, rater=head, group=RaterGroup.SUPERIOR)
    assert team.count() >= 2
    assert not team.exclude(status=AssignmentStatus.OPEN).exists()
    # Others wrote their summaries with their self-assessment.
    assert (
        Appraisal.objects.filter(cycle=current, self_submitted_at__isnull=False)
        .exclude(summary="")
        .exists()
    )

    client = Client()
    client.force_login(User.objects.get(username="head"))
    page = client.get(
        reverse("appraisals:rate_grid", kwargs={"cycle_id": current.pk, "group": "superior"})
    )
    assert page.status_code == 200
    html = page.content.decode()
    for a in team.select_related("appraisal__person"):
        assert a.appraisal.person.name in html
    client.force_login(User.objects.get(username="employee"))
    page = client.get(
        reverse("appraisals:rate_grid", kwargs={"cycle_id": current.pk, "group": "peer"})
    )
    assert page.status_code == 200


def test_ratings_through_one_time_codes(built):
    current, _last = _cycles()
    batch = CodeBatch.objects.get(cycle=current)
    assert built.codes == batch.size == RatingCode.objects.filter(batch=batch).count()
    used = RatingCode.objects.filter(batch=batch, used_at__isnull=False)
    assert used.count() == built.codes_used > 0
    coded = Assignment.objects.filter(cycle=current, code__isnull=False)
    assert coded.exists() and not coded.filter(rater__isnull=False).exists()
    assert not coded.exclude(status=AssignmentStatus.SUBMITTED).exists()
    assert Rating.objects.filter(assignment__in=coded).exists()
    # The codes printed by the demo are still usable; they were never stored in plain.
    assert built.sample_codes
    for plain in built.sample_codes:
        assert codes.code_open(code=plain).used_at is None
    assert "one-time codes to try" in built.summary()


def test_demo_command_builds_and_rebuilds_the_appraisals(db):
    out = io.StringIO()
    call_command("demo", "--people", "60", "--seed", "5", stdout=out)
    assert "appraisal demo built" in out.getvalue()
    before = Appraisal.objects.count()
    assert before > 60
    call_command("demo", "--reset", "--people", "60", "--seed", "5", stdout=io.StringIO())
    assert Appraisal.objects.count() == before
    assert Scheme.objects.count() == 1 and Cycle.objects.count() == 2


def test_the_regular_appraisal_is_a_quarterly_series_starting_next_quarter(built):
    from jixiao.appraisals.models import CycleSeries

    only = CycleSeries.objects.get()
    assert only.kind == "quarterly" and only.is_active
    assert only.first_start > TODAY and only.first_start.day == 1
    assert only.first_start.month in (1, 4, 7, 10)
    assert not Cycle.objects.filter(series=only).exists()


def test_peers_comments_show_without_names_on_last_years_results(built):
    _current, last = _cycles()
    commented = Assignment.objects.filter(
        cycle=last, group=RaterGroup.PEER, status=AssignmentStatus.SUBMITTED
    ).exclude(comment="")
    assert commented.exists()
    assert set(commented.values_list("comment", flat=True)) <= set(appraisals_demo.PEER_COMMENTS)
    peer = commented.select_related("rater", "appraisal__person").first()
    assert peer is not None and peer.rater is not None
    client = Client()
    client.force_login(User.objects.get(username="perfadmin"))
    page = client.get(reverse("appraisals:results_detail", kwargs={"pk": peer.appraisal_id}))
    assert page.status_code == 200
    body = page.content.decode()
    assert peer.comment in body
    # Anonymous: nothing on the page puts the peer's name next to what they wrote.
    card = body[body.index('id="result-comments-card"') :]
    assert peer.rater.name not in card[: card.index('class="card-footer')]
