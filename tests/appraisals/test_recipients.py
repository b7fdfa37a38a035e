"""Service recipients from the departments served (recipients.recipients_set): the office
chooses, per cycle and department, the departments it serves; their active people rate its
appraisees, the scheme's number each, chosen reproducibly, never oneself; a new choice keeps
recipients still among them, cancels the open ones of others and keeps started ones; nothing
names a recipient in the audit trail."""

from __future__ import annotations

import json

import pytest

from jixiao.appraisals import recipients, schemes
from jixiao.appraisals.models import (
    Appraisal,
    Assignment,
    AssignmentStatus,
    Cycle,
    CyclePhase,
    RaterGroup,
    RecipientSource,
    SchemeGroup,
)
from jixiao.core.errors import DomainError
from jixiao.core.models import AuditRecord
from jixiao.org.models import Person
from tests import factories as f
from tests.appraisals.conftest import actor, unit_cycle_in_rating


@pytest.fixture
def served_cycle(org) -> Cycle:
    """A 事业单位 cycle (recipients: 5 each, anonymous) over the whole unit, in rating; 政务服务科
    has 8 more people, 办公室 3 more."""
    perfadmin = org.users["perfadmin"]
    scheme = schemes.scheme_from_preset(
        actor=actor(perfadmin), user=perfadmin, preset="institution", code="SYDW"
    )
    for i in range(8):
        f.make_person(f"窗口{i}", org.service, employee_no=f"W{i:03d}")
    for i in range(3):
        f.make_person(f"办事{i}", org.office, employee_no=f"O{i:03d}")
    return unit_cycle_in_rating(org, scheme, "2026年度考核（服务对象）")


def choose(org, cycle, department, served, version=None, persona="perfadmin"):
    user = org.users[persona]
    return recipients.recipients_set(
        actor=actor(user),
        user=user,
        cycle_id=cycle.pk,
        department_id=department.pk,
        served_ids=[d.pk for d in served],
        expected_version=version,
    )


def recipients_of(cycle, department, *statuses):
    wanted = statuses or (AssignmentStatus.OPEN, AssignmentStatus.DRAFT, AssignmentStatus.SUBMITTED)
    out: dict[int, set[int]] = {}
    for a in Appraisal.objects.filter(cycle=cycle, department__path__startswith=department.path):
        out[a.person_id] = set(
            Assignment.objects.filter(
                appraisal=a, group=RaterGroup.RECIPIENT, status__in=wanted
            ).values_list("rater_id", flat=True)
        )
    return out


def test_the_office_people_rate_as_recipients_of_the_service_department(org, served_cycle):
    # 办公室 (with 文秘科) serves 政务服务科: its six active people rate, five per appraisee.
    made = choose(org, served_cycle, org.service, [org.office])
    assert made.appraisees == 9 and made.added == 9 * 5 and made.cancelled == 0
    pool = set(
        Person.objects.filter(department__path__startswith=org.office.path).values_list(
            "id", flat=True
        )
    )
    assert len(pool) == 6
    got = recipients_of(served_cycle, org.service)
    assert len(got) == 9
    for person, raters in got.items():
        assert len(raters) == 5 and raters <= pool and person not in raters
    assert len({frozenset(r) for r in got.values()}) > 1  # chosen per appraisee
    source = RecipientSource.objects.get(cycle=served_cycle, department=org.service)
    assert source.served == [org.office.pk] and source.version == 1
    # 办公室's own people have no recipients: no choice covers them.
    assert not any(recipients_of(served_cycle, org.office).values())


def test_the_choice_is_reproducible(org, served_cycle):
    choose(org, served_cycle, org.service, [org.office])
    first = recipients_of(served_cycle, org.service)
    source = RecipientSource.objects.get(cycle=served_cycle, department=org.service)
    choose(org, served_cycle, org.service, [], version=source.version)
    assert not any(recipients_of(served_cycle, org.service).values())
    choose(org, served_cycle, org.service, [org.office], version=source.version + 1)
    assert recipients_of(served_cycle, org.service) == first


def test_saving_again_changes_nothing_and_counts_oneself_out(org, served_cycle):
    choose(org, served_cycle, org.office, [org.service])
    before = recipients_of(served_cycle, org.office)
    again = choose(org, served_cycle, org.office, [org.service], version=1)
    assert (again.added, again.cancelled) == (0, 0)
    assert recipients_of(served_cycle, org.office) == before
    # 文秘科 is under 办公室: its people are covered by 办公室's choice
    assert org.employee.pk in before and len(before[org.employee.pk]) == 5


def test_all_when_the_group_asks_for_everyone(org, served_cycle):
    SchemeGroup.objects.filter(scheme=served_cycle.scheme, group=RaterGroup.RECIPIENT).update(
        count=0
    )
    made = choose(org, served_cycle, org.office, [org.service])
    assert made.added == 6 * 9  # everyone of 政务服务科 rates each of 办公室's six
    for raters in recipients_of(served_cycle, org.office).values():
        assert len(raters) == 9


def test_a_new_choice_cancels_open_ones_and_keeps_started_ones(org, served_cycle):
    choose(org, served_cycle, org.secretariat, [org.service])
    employee = Appraisal.objects.get(cycle=served_cycle, person=org.employee)
    started = Assignment.objects.filter(appraisal=employee, group=RaterGroup.RECIPIENT).first()
    assert started is not None
    Assignment.objects.filter(pk=started.pk).update(status=AssignmentStatus.SUBMITTED)
    others = Assignment.objects.filter(
        appraisal__cycle=served_cycle,
        appraisal__department=org.secretariat,
        group=RaterGroup.RECIPIENT,
        status=AssignmentStatus.OPEN,
    ).count()
    # 政务服务科 no longer chosen: the open ones are cancelled, the submitted one stays
    made = choose(org, served_cycle, org.secretariat, [], version=1)
    assert made.cancelled == others and made.kept_outside == 1 and made.added == 0
    started.refresh_from_db()
    assert started.status == AssignmentStatus.SUBMITTED
    assert recipients_of(served_cycle, org.secretariat) == {
        org.employee.pk: {started.rater_id},
        org.peer.pk: set(),
    }


def test_a_sub_department_with_its_own_choice_is_left_to_it(org, served_cycle):
    choose(org, served_cycle, org.secretariat, [org.service])
    own = recipients_of(served_cycle, org.secretariat)
    made = choose(org, served_cycle, org.office, [org.service])
    assert made.appraisees == 4  # 王主任 and 办事0–2; 文秘科 keeps its own choice
    assert recipients_of(served_cycle, org.secretariat) == own


def test_refusals_say_what_is_wrong(org, served_cycle):
    def refused(department, served, version=None):
        with pytest.raises(DomainError) as err:
            choose(org, served_cycle, department, served, version)
        return [e.code for e in err.value.all_errors()]

    assert refused(org.office, [org.office]) == ["serves_itself"]
    assert refused(org.office, [org.secretariat]) == ["serves_itself"]
    assert refused(org.secretariat, [org.office]) == ["serves_itself"]
    elsewhere = f.make_department("另一单位", code="U999")
    assert refused(org.office, [elsewhere]) == ["unknown_department"]
    assert refused(elsewhere, [org.service]) == ["no_appraisees"]
    choose(org, served_cycle, org.office, [org.service])
    assert refused(org.office, [org.service], version=None) == ["concurrent_edit"]
    assert refused(org.office, [org.service], version=7) == ["concurrent_edit"]
    assert not RecipientSource.objects.filter(department=org.secretariat).exists()


def test_only_the_office_while_raters_may_change(org, served_cycle):
    for persona in ("head", "employee", "auditor", "leader"):
        with pytest.raises(DomainError) as err:
            choose(org, served_cycle, org.service, [org.office], persona=persona)
        assert err.value.status in (403, 404), persona
    Cycle.objects.filter(pk=served_cycle.pk).update(phase=CyclePhase.RESULTS)
    with pytest.raises(DomainError) as err:
        choose(org, served_cycle, org.service, [org.office])
    assert err.value.code == "cycle_finished"
    assert not Assignment.objects.filter(group=RaterGroup.RECIPIENT).exists()


def test_a_scheme_without_recipients_refuses(org, cycle):
    with pytest.raises(DomainError) as err:
        choose(org, cycle, org.service, [org.office])
    assert err.value.code == "no_recipient_group"


def test_the_audit_trail_counts_and_names_nobody(org, served_cycle):
    choose(org, served_cycle, org.service, [org.office])
    record = AuditRecord.objects.get(action="appraisals.cycle.recipients")
    assert record.changes == {
        "department": [org.service.pk, org.service.pk],
        "served": [[], [org.office.pk]],
        "added": [0, 45],
        "cancelled": [0, 0],
    }
    raters = Assignment.objects.filter(group=RaterGroup.RECIPIENT).values_list(
        "rater_id", flat=True
    )
    assert "rater" not in str(record.changes)
    assert not AuditRecord.objects.filter(
        action__startswith="appraisals.assignment", object_id__in=[str(r) for r in raters]
    ).exists()


def test_the_overview_counts_each_choice(org, served_cycle):
    choose(org, served_cycle, org.service, [org.office])
    overview = recipients.recipients_overview(served_cycle)
    assert overview.group is not None and overview.group.count == 5
    (row,) = overview.rows
    assert row.department == org.service and row.served == [org.office]
    assert (row.appraisees, row.recipients, row.submitted) == (9, 45, 0)
    assert overview.uncovered == 6  # 办公室 with 文秘科
    assert [d.pk for d in overview.departments] == [
        org.unit.pk,
        org.office.pk,
        org.secretariat.pk,
        org.service.pk,
    ]


# ---------------------------------------------------------------- the page and the API


def test_the_office_chooses_on_the_page_and_a_refusal_keeps_the_choice(
    org, served_cycle, client_for
):
    client = client_for("perfadmin")
    url = f"/appraisals/cycles/{served_cycle.pk}/recipients/"
    detail = client.get(f"/appraisals/cycles/{served_cycle.pk}/").content.decode()
    assert 'id="cycle-recipients"' in detail
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="recipients-form"' in html and 'id="no-sources"' in html
    refused = client.post(url, {"department": org.office.pk, "served": [org.secretariat.pk]})
    assert refused.status_code == 200
    body = refused.content.decode()
    assert 'data-field-error="served"' in body
    assert f'<option value="{org.secretariat.pk}" selected' in body  # kept what was chosen
    assert not RecipientSource.objects.exists()
    done = client.post(url, {"department": org.service.pk, "served": [org.office.pk]})
    assert done.status_code == 302
    html = client.get(url).content.decode()
    assert f'data-department="{org.service.pk}" data-appraisees="9" data-recipients="45"' in html
    assert 'id="no-sources"' not in html
    change = client.get(f"{url}?department={org.service.pk}").content.decode()
    assert 'name="version" value="1"' in change
    stale = client.post(
        url, {"department": org.service.pk, "served": [org.office.pk], "version": "0"}
    )
    assert stale.status_code == 409


def test_the_page_for_readers_and_outsiders(org, served_cycle, client_for):
    url = f"/appraisals/cycles/{served_cycle.pk}/recipients/"
    auditor = client_for("auditor").get(url)
    assert auditor.status_code == 200 and 'id="recipients-form"' not in auditor.content.decode()
    assert client_for("auditor").post(url, {}).status_code == 403
    assert client_for("employee").get(url).status_code in (403, 404)
    assert client_for("outsider").post(url, {}).status_code in (403, 404)


def test_a_scheme_without_recipients_says_so(org, cycle, client_for):
    html = client_for("perfadmin").get(f"/appraisals/cycles/{cycle.pk}/recipients/")
    assert 'id="no-recipient-group"' in html.content.decode()
    detail = client_for("perfadmin").get(f"/appraisals/cycles/{cycle.pk}/").content.decode()
    assert 'id="cycle-recipients"' not in detail


def test_the_api_reads_and_writes_the_choices(org, served_cycle, client_for):
    client = client_for("perfadmin")
    base = f"/api/appraisals/cycles/{served_cycle.pk}/recipients"
    empty = client.get(base).json()
    assert empty["group_count"] == 5 and empty["sources"] == [] and empty["uncovered"] == 15
    put = client.put(
        f"{base}/{org.service.pk}",
        data=json.dumps({"served_ids": [org.office.pk]}),
        content_type="application/json",
    )
    assert put.status_code == 200, put.content
    body = put.json()
    assert body["added"] == 45 and body["cancelled"] == 0
    assert body["source"]["served"] == [{"id": org.office.pk, "name": org.office.name}]
    assert body["source"]["appraisees"] == 9 and body["source"]["version"] == 1
    stale = client.put(
        f"{base}/{org.service.pk}",
        data=json.dumps({"served_ids": [], "version": 5}),
        content_type="application/json",
    )
    assert stale.status_code == 409 and stale.json()["code"] == "concurrent_edit"
    bad = client.put(
        f"{base}/{org.office.pk}",
        data=json.dumps({"served_ids": [org.office.pk]}),
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["code"] == "serves_itself"
    listed = client.get(base).json()
    assert [s["department"]["id"] for s in listed["sources"]] == [org.service.pk]
    assert "rater" not in json.dumps(listed)
    auditor = client_for("auditor")
    assert auditor.get(base).status_code == 200
    assert (
        auditor.put(
            f"{base}/{org.service.pk}",
            data=json.dumps({"served_ids": []}),
            content_type="application/json",
        ).status_code
        == 403
    )
    assert client_for("outsider").get(base).status_code == 404


def test_who_rates_in_another_group_is_not_a_recipient_too(org, served_cycle):
    # 陈晨 (政务服务科) rates 李文 as a peer: when 政务服务科 serves 文秘科 and every recipient
    # is asked for, 陈晨 rates 赵敏 as a recipient but not 李文 a second time.
    SchemeGroup.objects.filter(scheme=served_cycle.scheme, group=RaterGroup.RECIPIENT).update(
        count=0
    )
    Assignment.objects.create(
        cycle=served_cycle,
        appraisal=Appraisal.objects.get(cycle=served_cycle, person=org.employee),
        group=RaterGroup.PEER,
        rater=org.outsider,
    )
    choose(org, served_cycle, org.secretariat, [org.service])
    got = recipients_of(served_cycle, org.secretariat)
    assert org.outsider.pk not in got[org.employee.pk] and len(got[org.employee.pk]) == 8
    assert org.outsider.pk in got[org.peer.pk] and len(got[org.peer.pk]) == 9
