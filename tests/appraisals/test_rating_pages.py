"""The rater's and the appraisee's pages: my ratings, the grid, the self-assessment, peer
nominations and the public one-time-code pages, as a person uses them."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jixiao.appraisals import codes, cycles, rating, schemes
from jixiao.appraisals.models import (
    Appraisal,
    Assignment,
    AssignmentStatus,
    Cycle,
    CyclePhase,
    Rating,
    SchemeItem,
)
from jixiao.appraisals.self_assessment import appraisal_summary_save
from jixiao.appraisals.views_rating import CODE_SESSION_KEY
from jixiao.core.errors import DomainError
from jixiao.core.models import AuditRecord, Notification
from jixiao.goals.models import Evidence, GoalStatus
from tests import factories as f
from tests.appraisals.conftest import actor
from tests.goals.factories import add_kr, make_goal


def grid_url(cycle: Cycle, group: str) -> str:
    return f"/appraisals/rate/{cycle.pk}/{group}/"


def assignment(cycle, appraisee, group, rater) -> Assignment:
    return Assignment.objects.get(
        cycle=cycle, appraisal__person=appraisee, group=group, rater=rater
    )


def items_of(cycle: Cycle, group: str) -> list[int]:
    return sorted(rating.items_for_groups(cycle.scheme_id)[group])


def row_data(a: Assignment, values: dict[int, object], comment: str = "") -> dict[str, str]:
    a.refresh_from_db()
    data = {f"r{a.pk}-{item}": str(v) for item, v in values.items()}
    data[f"r{a.pk}-version"] = str(a.version)
    if comment:
        data[f"r{a.pk}-comment"] = comment
    return data


def full(cycle: Cycle, group: str, level: int = 4) -> dict[int, object]:
    return dict.fromkeys(items_of(cycle, group), level)


def checked(html: str, name: str) -> str | None:
    m = re.search(
        rf'name="{re.escape(name)}" id="[^"]+" value="(\d+)" data-level="\d+" checked', html
    )
    return m.group(1) if m else None


# ---------------------------------------------------------------- my ratings


def test_my_ratings_lists_each_open_cycle_with_progress(org, cycle, client_for):
    html = client_for("head").get("/appraisals/rate/").content.decode()
    assert cycle.name in html
    assert 'data-group="superior"' in html and 'data-progress="0/2"' in html
    assert f'href="/appraisals/rate/{cycle.pk}/superior/"' in html
    employee = client_for("employee").get("/appraisals/rate/").content.decode()
    assert 'data-group="peer"' in employee and "data-self" in employee
    assert 'data-group="superior"' not in employee
    # A cycle being set up is not shown.
    Cycle.objects.filter(pk=cycle.pk).update(phase=CyclePhase.DRAFT)
    assert cycle.name not in client_for("head").get("/appraisals/rate/").content.decode()


def test_my_ratings_without_a_person(org, client_for):
    response = client_for("perfadmin").get("/appraisals/rate/")
    assert response.status_code == 200
    assert 'id="no-person"' in response.content.decode()


def test_the_navigation_links_my_ratings(org, client_for):
    assert 'href="/appraisals/rate/"' in client_for("employee").get("/").content.decode()


# ---------------------------------------------------------------- the grid


def test_a_rater_sees_only_their_own_ratees(org, cycle, client_for):
    html = client_for("employee").get(grid_url(cycle, "peer")).content.decode()
    assert "赵敏" in html and "李文" not in html.split("<tbody>")[1]
    assert client_for("outsider").get(grid_url(cycle, "peer")).status_code == 404
    assert client_for("head").get(grid_url(cycle, "peer")).status_code == 404
    assert client_for("head").get(grid_url(cycle, "nonsense")).status_code == 404
    assert client_for("head").get("/appraisals/rate/999999/superior/").status_code == 404


def test_a_rater_cannot_write_someone_elses_ratings(org, cycle, client_for):
    """Fields for another rater's assignment are ignored: only the page's own rows count."""
    other = assignment(cycle, org.employee, "peer", org.peer)
    mine = assignment(cycle, org.peer, "peer", org.employee)
    data = {**row_data(other, full(cycle, "peer")), "action": "draft"}
    client_for("employee").post(grid_url(cycle, "peer"), data)
    other.refresh_from_db()
    mine.refresh_from_db()
    assert other.status == AssignmentStatus.OPEN and not other.ratings.exists()
    assert mine.status == AssignmentStatus.OPEN


def test_the_anonymous_group_says_so(org, cycle, client_for):
    assert "anonymous-note" in client_for("employee").get(grid_url(cycle, "peer")).content.decode()
    assert (
        "anonymous-note" not in client_for("head").get(grid_url(cycle, "superior")).content.decode()
    )


def test_the_scale_descriptions_are_at_hand(org, cycle, client_for):
    html = client_for("head").get(grid_url(cycle, "superior")).content.decode()
    item = SchemeItem.objects.get(section__scheme=cycle.scheme, code="de")
    assert item.indicator is not None
    level = item.indicator.bars_levels.get(level=5)
    assert f'data-scale-for="{item.pk}"' in html
    assert level.description in html and level.title in html


def test_a_draft_keeps_its_values_and_a_submitted_row_is_read_only(org, cycle, client_for):
    head = client_for("head")
    a = assignment(cycle, org.employee, "superior", org.head)
    items = items_of(cycle, "superior")
    response = head.post(
        grid_url(cycle, "superior"),
        {**row_data(a, {items[0]: 5, items[1]: 3}, "认真负责"), "action": "draft"},
    )
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.status == AssignmentStatus.DRAFT and a.comment == "认真负责"
    html = head.get(grid_url(cycle, "superior")).content.decode()
    assert checked(html, f"r{a.pk}-{items[0]}") == "5"
    assert checked(html, f"r{a.pk}-{items[1]}") == "3"
    assert "认真负责" in html
    # Submitting all: one row complete, the other not → refused, everything typed kept.
    other = assignment(cycle, org.peer, "superior", org.head)
    data = {
        **row_data(a, full(cycle, "superior", 4)),
        **row_data(other, {items[0]: 2}),
        "action": "submit",
    }
    response = head.post(grid_url(cycle, "superior"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert checked(html, f"r{a.pk}-{items[3]}") == "4"
    assert checked(html, f"r{other.pk}-{items[0]}") == "2"
    missing = re.findall(rf'<tr id="row-{other.pk}".*?</tr>', html, re.S)[0]
    assert missing.count("data-missing") == len(items) - 1
    a.refresh_from_db()
    assert a.status == AssignmentStatus.DRAFT
    # Complete both and submit in one POST.
    data = {
        **row_data(a, full(cycle, "superior", 4)),
        **row_data(other, full(cycle, "superior", 3)),
        "action": "submit",
    }
    assert head.post(grid_url(cycle, "superior"), data).status_code == 302
    a.refresh_from_db()
    assert a.status == AssignmentStatus.SUBMITTED and a.ratings.count() == len(items)
    html = head.get(grid_url(cycle, "superior")).content.decode()
    assert f'name="r{a.pk}-{items[0]}"' not in html  # no inputs left
    assert 'data-status="submitted"' in html and 'data-progress="2/2"' in html
    # Posting to a submitted row changes nothing.
    head.post(
        grid_url(cycle, "superior"), {**row_data(a, full(cycle, "superior", 1)), "action": "draft"}
    )
    assert set(Rating.objects.filter(assignment=a).values_list("level", flat=True)) == {4}


def test_a_row_is_submitted_alone_and_the_others_kept_as_drafts(org, cycle, client_for):
    head = client_for("head")
    a = assignment(cycle, org.employee, "superior", org.head)
    other = assignment(cycle, org.peer, "superior", org.head)
    items = items_of(cycle, "superior")
    data = {
        **row_data(a, full(cycle, "superior", 5)),
        **row_data(other, {items[0]: 2}),
        "submit_row": str(a.pk),
    }
    assert head.post(grid_url(cycle, "superior"), data).status_code == 302
    a.refresh_from_db()
    other.refresh_from_db()
    assert a.status == AssignmentStatus.SUBMITTED
    assert other.status == AssignmentStatus.DRAFT and other.ratings.get().level == 2
    # The submission rescored the ratee at once.
    assert Appraisal.objects.get(pk=a.appraisal_id).total is not None


def test_a_concurrent_edit_keeps_what_was_typed(org, cycle, client_for):
    head = client_for("head")
    a = assignment(cycle, org.employee, "superior", org.head)
    items = items_of(cycle, "superior")
    stale = row_data(a, {items[0]: 5}, "我的评语")
    # Another window saves a draft meanwhile.
    rating.ratings_save(
        actor=actor(org.users["head"]),
        user=org.users["head"],
        entries=[rating.AssignmentInput(a.pk, a.version, [rating.RatingInput(items[0], level=1)])],
        submit=False,
    )
    response = head.post(grid_url(cycle, "superior"), {**stale, "action": "draft"})
    assert response.status_code == 409
    html = response.content.decode()
    assert checked(html, f"r{a.pk}-{items[0]}") == "5" and "我的评语" in html
    assert "data-conflict" in html
    a.refresh_from_db()
    assert f'name="r{a.pk}-version" value="{a.version}"' in html  # saving again now works
    assert a.ratings.get().level == 1
    again = re.search(rf'name="r{a.pk}-version" value="(\d+)"', html)
    assert again is not None
    stale[f"r{a.pk}-version"] = again.group(1)
    assert head.post(grid_url(cycle, "superior"), {**stale, "action": "draft"}).status_code == 302
    assert a.ratings.get().level == 5


def test_nobody_rates_after_the_rating_phase(org, cycle, client_for):
    head = client_for("head")
    a = assignment(cycle, org.employee, "superior", org.head)
    Cycle.objects.filter(pk=cycle.pk).update(phase=CyclePhase.COMPUTING)
    html = head.get(grid_url(cycle, "superior")).content.decode()
    assert "rating-closed" in html and f'name="r{a.pk}-' not in html.replace(
        f'name="r{a.pk}-version"', ""
    )
    response = head.post(
        grid_url(cycle, "superior"), {**row_data(a, full(cycle, "superior")), "action": "submit"}
    )
    assert response.status_code == 409
    a.refresh_from_db()
    assert a.status == AssignmentStatus.OPEN and not a.ratings.exists()


def test_numbers_are_checked_on_their_cells(org, client_for):
    """An item without a BARS scale takes a number; the service's range check lands on the cell."""
    perfadmin = org.users["perfadmin"]
    scheme = schemes.scheme_from_preset(
        actor=actor(perfadmin), user=perfadmin, preset="institution", code="SYDW"
    )
    cycle = cycles.cycle_create(
        actor=actor(perfadmin),
        user=perfadmin,
        data=cycles.CycleData(
            name="事业单位年度",
            kind="annual",
            unit_id=org.unit.pk,
            scheme_id=scheme.pk,
            start=datetime.date(2026, 1, 1),
            end=datetime.date(2026, 12, 31),
            population=cycles.Population(department_ids=[org.unit.pk]),
        ),
    )
    Cycle.objects.filter(pk=cycle.pk).update(phase=CyclePhase.RATING)
    target = Appraisal.objects.get(cycle=cycle, person=org.employee)
    a = cycles.assignment_add(
        actor=actor(perfadmin),
        user=perfadmin,
        appraisal_id=target.pk,
        group="recipient",
        rater_id=org.outsider.pk,
    )
    item = SchemeItem.objects.get(section__scheme=scheme, code="service")
    outsider = client_for("outsider")
    html = outsider.get(grid_url(cycle, "recipient")).content.decode()
    assert f'name="r{a.pk}-{item.pk}"' in html and 'inputmode="decimal"' in html
    response = outsider.post(
        grid_url(cycle, "recipient"), {**row_data(a, {item.pk: "很好"}), "action": "draft"}
    )
    assert response.status_code == 400 and "data-cell-error" in response.content.decode()
    response = outsider.post(
        grid_url(cycle, "recipient"), {**row_data(a, {item.pk: "150"}), "action": "draft"}
    )
    assert response.status_code == 400 and "data-cell-error" in response.content.decode()
    assert 'value="150"' in response.content.decode()
    assert (
        outsider.post(
            grid_url(cycle, "recipient"), {**row_data(a, {item.pk: "88.5"}), "action": "submit"}
        ).status_code
        == 302
    )
    assert Rating.objects.get(assignment_id=a.pk).value == 88.5


def _big_cycle(org, size: int) -> tuple[Cycle, list[Assignment]]:
    """A department of `size` people, all rated as peers by 李文 (who is outside it)."""
    perfadmin = org.users["perfadmin"]
    dept = f.make_department(f"综合科{size}", org.office, kind="section")
    post = f.make_post("综合岗", dept)
    for i in range(size):
        f.make_person(f"同事{i:02d}", dept, post=post, employee_no=f"G{size:02d}{i:03d}")
    scheme = schemes.scheme_from_preset(
        actor=actor(perfadmin), user=perfadmin, preset="civil_servant", code=f"BIG{size}"
    )
    cycle = cycles.cycle_create(
        actor=actor(perfadmin),
        user=perfadmin,
        data=cycles.CycleData(
            name=f"测评{size}",
            kind="annual",
            unit_id=org.unit.pk,
            scheme_id=scheme.pk,
            start=datetime.date(2026, 1, 1),
            end=datetime.date(2026, 12, 31),
            population=cycles.Population(department_ids=[dept.pk]),
        ),
    )
    Cycle.objects.filter(pk=cycle.pk).update(phase=CyclePhase.RATING)
    made = Assignment.objects.bulk_create(
        [
            Assignment(cycle=cycle, appraisal=a, group="peer", rater=org.employee)
            for a in Appraisal.objects.filter(cycle=cycle)
        ]
    )
    return cycle, made


def test_the_grid_loads_in_a_fixed_number_of_queries(org, client_for):
    small, few = _big_cycle(org, 3)
    large, many = _big_cycle(org, 30)
    client = client_for("employee")
    # Some ratings saved, so that reading them is part of the count.
    for cycle, rows in ((small, few), (large, many)):
        items = items_of(cycle, "peer")
        rating.ratings_save(
            actor=actor(org.users["employee"]),
            user=org.users["employee"],
            entries=[
                rating.AssignmentInput(a.pk, 1, [rating.RatingInput(items[0], level=4)])
                for a in rows
            ],
            submit=False,
        )
    client.get(grid_url(small, "peer"))  # warm the session and caches
    counts = []
    for cycle in (small, large):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(grid_url(cycle, "peer"))
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 20, counts
    assert response.content.decode().count("data-row=") == 30


def test_thirty_rows_are_submitted_in_one_service_call(org, client_for, monkeypatch):
    cycle, rows = _big_cycle(org, 30)
    calls: list[int] = []
    real = rating.ratings_save

    def spy(**kw):
        calls.append(len(kw["entries"]))
        return real(**kw)

    monkeypatch.setattr("jixiao.appraisals.views_rating.ratings_save", spy)
    data: dict[str, str] = {"action": "submit"}
    for a in rows:
        data.update(row_data(a, full(cycle, "peer", 3)))
    assert client_for("employee").post(grid_url(cycle, "peer"), data).status_code == 302
    assert calls == [30]
    assert Assignment.objects.filter(pk__in=[a.pk for a in rows], status="submitted").count() == 30


def test_a_ratee_page_shows_what_the_rater_may_read(org, cycle, client_for):
    target = Appraisal.objects.get(cycle=cycle, person=org.employee)
    goal = make_goal("公文办理提速", person=org.employee, status=GoalStatus.APPROVED)
    add_kr(goal, "办结率", target=100, current=80)
    user = org.users["employee"]
    appraisal_summary_save(
        actor=actor(user),
        user=user,
        appraisal_id=target.pk,
        expected_version=target.version,
        summary="全年办文一千件。",
        submit=True,
    )
    url = f"/appraisals/rate/{cycle.pk}/people/{target.pk}/"
    head = client_for("head").get(url).content.decode()
    assert "全年办文一千件。" in head and "公文办理提速" in head
    peer = client_for("peer").get(url).content.decode()  # rates 李文 as a peer
    assert (
        "全年办文一千件。" in peer and "公文办理提速" not in peer
    )  # goals stay with their readers
    assert client_for("outsider").get(url).status_code == 404
    grid = client_for("head").get(grid_url(cycle, "superior")).content.decode()
    assert f'href="{url}"' in grid


# ---------------------------------------------------------------- self-assessment


def self_url(cycle: Cycle) -> str:
    return f"/appraisals/self/{cycle.pk}/"


def test_the_self_page_shows_goals_with_key_results_and_evidence(org, cycle, client_for):
    goal = make_goal("档案数字化", person=org.employee, status=GoalStatus.APPROVED)
    add_kr(goal, "扫描页数", target=10000, current=7500, unit="页")
    Evidence.objects.create(goal=goal, title="验收报告", url="https://example.org/report")
    make_goal("去年的目标", person=org.employee, period="2025")
    html = client_for("employee").get(self_url(cycle)).content.decode()
    assert "档案数字化" in html and "扫描页数" in html and "7500" in html
    assert "验收报告" in html and "去年的目标" not in html
    assert 'id="self-ratings"' in html  # the same grid, one row: herself
    assert client_for("perfadmin").get(self_url(cycle)).status_code == 404


def test_the_summary_is_saved_with_compare_and_set(org, cycle, client_for):
    client = client_for("employee")
    target = Appraisal.objects.get(cycle=cycle, person=org.employee)
    v = target.version
    assert (
        client.post(
            self_url(cycle), {"form": "summary", "version": v, "summary": "初稿", "action": "save"}
        ).status_code
        == 302
    )
    target.refresh_from_db()
    assert target.summary == "初稿" and target.version == v + 1 and target.self_submitted_at is None
    stale = client.post(
        self_url(cycle),
        {"form": "summary", "version": v, "summary": "旧窗口的文字", "action": "save"},
    )
    assert stale.status_code == 409 and "旧窗口的文字" in stale.content.decode()
    empty = client.post(
        self_url(cycle), {"form": "summary", "version": v + 1, "summary": " ", "action": "submit"}
    )
    assert empty.status_code == 400
    done = client.post(
        self_url(cycle),
        {"form": "summary", "version": v + 1, "summary": "定稿", "action": "submit"},
    )
    assert done.status_code == 302
    target.refresh_from_db()
    assert target.summary == "定稿" and target.self_submitted_at is not None
    assert AuditRecord.objects.filter(
        action="appraisals.summary.submit", object_id=str(target.pk)
    ).exists()
    again = client.post(
        self_url(cycle),
        {"form": "summary", "version": target.version, "summary": "改", "action": "save"},
    )
    assert again.status_code == 409
    html = client.get(self_url(cycle)).content.decode()
    assert 'data-summary-status="submitted"' in html and 'name="summary"' not in html


def test_the_summary_closes_with_the_self_assessment(org, cycle):
    user = org.users["employee"]
    target = Appraisal.objects.get(cycle=cycle, person=org.employee)
    Cycle.objects.filter(pk=cycle.pk).update(phase=CyclePhase.COMPUTING)
    with pytest.raises(DomainError) as err:
        appraisal_summary_save(
            actor=actor(user),
            user=user,
            appraisal_id=target.pk,
            expected_version=target.version,
            summary="x",
            submit=False,
        )
    assert err.value.code == "self_assessment_closed" and err.value.status == 409
    with pytest.raises(DomainError) as err:
        appraisal_summary_save(
            actor=actor(org.users["peer"]),
            user=org.users["peer"],
            appraisal_id=target.pk,
            expected_version=target.version,
            summary="x",
            submit=False,
        )
    assert err.value.status == 404


def test_self_ratings_use_the_self_assignment(org, cycle, client_for):
    Cycle.objects.filter(pk=cycle.pk).update(phase=CyclePhase.SELF_ASSESSMENT)
    mine = assignment(cycle, org.employee, "self", org.employee)
    client = client_for("employee")
    response = client.post(
        self_url(cycle),
        {"form": "ratings", **row_data(mine, full(cycle, "self", 4)), "action": "submit"},
    )
    assert response.status_code == 302 and response["Location"] == self_url(cycle)
    mine.refresh_from_db()
    assert mine.status == AssignmentStatus.SUBMITTED
    # The self group's grid address leads to the self page.
    assert client.get(grid_url(cycle, "self"))["Location"] == self_url(cycle)
    assert client_for("perfadmin").get(grid_url(cycle, "self")).status_code == 404


# ---------------------------------------------------------------- nominations


def test_nominations_wait_for_the_superior_and_are_audited(
    org, cycle, client_for, django_capture_on_commit_callbacks
):
    colleague = f.make_person(
        "孙丽", org.secretariat, username="sunli", superior=org.head, employee_no="A0009"
    )
    other = f.make_person(
        "周强", org.secretariat, username="zhouqiang", superior=org.head, employee_no="A0010"
    )
    employee = client_for("employee")
    html = employee.get(self_url(cycle)).content.decode()
    assert (
        "孙丽" in html and "赵敏" not in html.split('id="nominations"')[1]
    )  # 赵敏 already rates her
    with django_capture_on_commit_callbacks(execute=True):
        response = employee.post(
            self_url(cycle), {"form": "nominate", "people": [colleague.pk, other.pk]}
        )
    assert response.status_code == 302
    pending = Assignment.objects.filter(cycle=cycle, nominated=True, status="pending")
    assert pending.count() == 2
    # A pending nomination is nobody's to fill in yet.
    sunli = Client()
    assert colleague.user is not None
    sunli.force_login(colleague.user)
    assert sunli.get(grid_url(cycle, "peer")).status_code == 404
    assert Notification.objects.filter(
        user=org.users["head"], url="/appraisals/nominations/"
    ).exists()
    head = client_for("head")
    assert "孙丽" in head.get("/appraisals/nominations/").content.decode()
    assert 'data-count="2"' in head.get("/appraisals/rate/").content.decode()
    one = pending.get(rater=colleague)
    two = pending.get(rater=other)
    # Only the direct superior decides.
    assert (
        employee.post(
            f"/appraisals/nominations/{one.pk}/decide/",
            {"version": one.version, "decision": "approve"},
        ).status_code
        == 403
    )
    assert (
        client_for("outsider")
        .post(
            f"/appraisals/nominations/{one.pk}/decide/",
            {"version": one.version, "decision": "approve"},
        )
        .status_code
        == 404
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            head.post(
                f"/appraisals/nominations/{one.pk}/decide/",
                {"version": one.version, "decision": "approve"},
            ).status_code
            == 302
        )
    assert Notification.objects.filter(user=org.users["employee"], url=self_url(cycle)).exists()
    assert (
        head.post(
            f"/appraisals/nominations/{two.pk}/decide/",
            {"version": two.version, "decision": "decline"},
        ).status_code
        == 302
    )
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.status == AssignmentStatus.OPEN and two.status == AssignmentStatus.CANCELLED
    assert (
        head.post(
            f"/appraisals/nominations/{one.pk}/decide/",
            {"version": one.version, "decision": "decline"},
        ).status_code
        == 409
    )
    assert "李文" in sunli.get(grid_url(cycle, "peer")).content.decode()
    actions = set(
        AuditRecord.objects.filter(action__startswith="appraisals.nomination").values_list(
            "action", flat=True
        )
    )
    assert actions == {
        "appraisals.nomination.create",
        "appraisals.nomination.approve",
        "appraisals.nomination.decline",
    }
    # Declined colleagues may be proposed again; a colleague already rating may not.
    assert (
        employee.post(self_url(cycle), {"form": "nominate", "people": [other.pk]}).status_code
        == 302
    )
    two.refresh_from_db()
    assert two.status == AssignmentStatus.PENDING
    refused = employee.post(self_url(cycle), {"form": "nominate", "people": [colleague.pk]})
    assert refused.status_code == 400


def test_nominations_are_for_colleagues_of_the_department(org, cycle):
    from jixiao.appraisals import nominations

    user = org.users["employee"]
    target = Appraisal.objects.get(cycle=cycle, person=org.employee)
    with pytest.raises(DomainError) as err:
        nominations.nominations_create(
            actor=actor(user), user=user, appraisal_id=target.pk, person_ids=[org.outsider.pk]
        )
    assert err.value.all_errors()[0].code == "not_a_candidate"
    with pytest.raises(DomainError) as err:
        nominations.nominations_create(
            actor=actor(org.users["peer"]),
            user=org.users["peer"],
            appraisal_id=target.pk,
            person_ids=[org.peer.pk],
        )
    assert err.value.status == 404
    Cycle.objects.filter(pk=cycle.pk).update(phase=CyclePhase.COMPUTING)
    with pytest.raises(DomainError) as err:
        nominations.nominations_create(
            actor=actor(user), user=user, appraisal_id=target.pk, person_ids=[org.peer.pk]
        )
    assert err.value.code == "nominations_closed"


# ---------------------------------------------------------------- one-time codes


@pytest.fixture
def sheet(org, cycle) -> list[str]:
    perfadmin = org.users["perfadmin"]
    made = codes.code_batch_create(
        actor=actor(perfadmin),
        user=perfadmin,
        cycle_id=cycle.pk,
        department_id=org.secretariat.pk,
        size=3,
    )
    return made.codes


def code_rows(client: Client, cycle: Cycle, level: int) -> dict[str, str]:
    html = client.get("/appraisals/code/rate/").content.decode()
    keys = re.findall(r'data-row="(\d+)"', html)
    data = {"action": "submit"}
    for key in keys:
        for item in items_of(cycle, "peer"):
            data[f"r{key}-{item}"] = str(level)
    return data


def test_the_code_flow_end_to_end(org, cycle, sheet):
    client = Client()  # nobody signed in
    page = client.get("/appraisals/code/")
    assert page.status_code == 200 and 'name="code"' in page.content.decode()
    wrong = client.post("/appraisals/code/", {"code": "AAAAA-AAAAA"})
    assert wrong.status_code == 400 and 'data-field-error="code"' in wrong.content.decode()
    opened = client.post("/appraisals/code/", {"code": sheet[0].lower()})
    assert opened.status_code == 302 and opened["Location"] == "/appraisals/code/rate/"
    # The session holds the code's id, never the code.
    stored = dict(client.session.items())
    assert set(stored) == {CODE_SESSION_KEY} and isinstance(stored[CODE_SESSION_KEY], int)
    assert sheet[0] not in str(stored)
    html = client.get("/appraisals/code/rate/").content.decode()
    assert "李文" in html and "赵敏" in html and "文秘科" in html and "文秘岗" in html
    for private in ("A0002", "A0003", "/appraisals/rate/", "data-ratee-link", "王主任"):
        assert private not in html
    assert "anonymous-note" in html
    # Incomplete: refused, typed values kept, missing cells marked.
    data = code_rows(client, cycle, 4)
    first = next(k for k in data if k.startswith("r"))
    data.pop(first)
    refused = client.post("/appraisals/code/rate/", data)
    assert refused.status_code == 400 and refused.content.decode().count("data-missing") == 1
    assert not Assignment.objects.filter(code__isnull=False).exists()
    done = client.post("/appraisals/code/rate/", code_rows(client, cycle, 4))
    assert done.status_code == 302 and done["Location"] == "/appraisals/code/thanks/"
    assert 'data-rated="2"' in client.get("/appraisals/code/thanks/").content.decode()
    assert (
        Assignment.objects.filter(
            code__isnull=False, rater__isnull=True, status="submitted"
        ).count()
        == 2
    )
    # Any later use says the code is used.
    assert client.get("/appraisals/code/rate/")["Location"] == "/appraisals/code/"
    again = Client().post("/appraisals/code/", {"code": sheet[0]})
    assert again.status_code == 400 and 'data-field-error="code"' in again.content.decode()


def test_a_code_used_in_another_window_says_so(org, cycle, sheet):
    one, two = Client(), Client()
    one.post("/appraisals/code/", {"code": sheet[1]})
    two.post("/appraisals/code/", {"code": sheet[1]})
    data = code_rows(one, cycle, 3)
    assert one.post("/appraisals/code/rate/", data).status_code == 302
    response = two.post("/appraisals/code/rate/", data)
    assert response.status_code == 409 and "code-used" in response.content.decode()


def test_failed_codes_are_throttled_per_address(org, cycle, sheet):
    client = Client(REMOTE_ADDR="10.0.0.7")
    for _ in range(9):
        assert client.post("/appraisals/code/", {"code": "BBBBB-BBBBB"}).status_code == 400
    assert client.post("/appraisals/code/", {"code": "BBBBB-BBBBB"}).status_code == 429
    # Now even a good code is refused from this address, and the page says why.
    blocked = client.post("/appraisals/code/", {"code": sheet[2]})
    assert blocked.status_code == 429 and "code-throttled" in blocked.content.decode()
    assert client.get("/appraisals/code/").status_code == 429
    assert (
        Client(REMOTE_ADDR="10.0.0.8").post("/appraisals/code/", {"code": sheet[2]}).status_code
        == 302
    )


def test_code_pages_need_no_account_but_keep_csrf(org, cycle, sheet):
    strict = Client(enforce_csrf_checks=True)
    page = strict.get("/appraisals/code/")
    assert page.status_code == 200
    assert strict.post("/appraisals/code/", {"code": sheet[0]}).status_code == 403
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token is not None
    ok = strict.post("/appraisals/code/", {"code": sheet[0], "csrfmiddlewaretoken": token.group(1)})
    assert ok.status_code == 302
    assert strict.get("/appraisals/code/rate/").status_code == 200
    assert Client().get("/appraisals/code/rate/")["Location"] == "/appraisals/code/"
    assert Client().get("/appraisals/code/thanks/").status_code == 200


def test_a_code_cannot_be_used_outside_the_rating_phase(org, cycle, sheet):
    client = Client()
    client.post("/appraisals/code/", {"code": sheet[0]})
    Cycle.objects.filter(pk=cycle.pk).update(phase=CyclePhase.COMPUTING)
    assert client.get("/appraisals/code/rate/").status_code == 409
    assert Client().post("/appraisals/code/", {"code": sheet[1]}).status_code == 409


def test_code_pages_answer_everyone_alike(org, cycle, client_for):
    """Public pages: an anonymous visitor and every persona get the same answers."""
    answers = set()
    for who in [None, *org.users]:
        client = Client() if who is None else client_for(who)
        answers.add(
            (
                client.get("/appraisals/code/").status_code,
                client.get("/appraisals/code/rate/").status_code,
                client.get("/appraisals/code/thanks/").status_code,
            )
        )
    assert answers == {(200, 302, 200)}


def test_code_ratings_do_not_hide_nomination_candidates(org, cycle, sheet):
    """Code ratings are peer assignments without a rater: they must not empty the list of
    colleagues one may nominate (a NULL in a NOT IN would)."""
    from jixiao.appraisals import nominations

    client = Client()
    client.post("/appraisals/code/", {"code": sheet[0]})
    assert client.post("/appraisals/code/rate/", code_rows(client, cycle, 4)).status_code == 302
    colleague = f.make_person("孙丽", org.secretariat, employee_no="A0011")
    target = Appraisal.objects.get(cycle=cycle, person=org.employee)
    assert list(nominations.nomination_candidates(target)) == [colleague]
