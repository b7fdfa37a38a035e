"""A scheme's peer count is honoured up to the limit its validation accepts (50): one constant
for the scheme check, the scheme form and the choice of peers."""

from __future__ import annotations

import datetime
from collections import Counter

from django.db.models import F

from jixiao.appraisals import cycles, schemes
from jixiao.appraisals.forms_office import GroupRowForm
from jixiao.appraisals.models import MAX_RATERS_PER_PERSON, Assignment, RaterGroup
from tests import factories as f
from tests.appraisals.conftest import actor


def peer_scheme(org, count: int) -> schemes.SchemeData:
    data = schemes.SchemeData.from_preset("civil_servant", f"PEER{count}")
    for g in data.groups:
        if g.group == RaterGroup.PEER:
            g.count = count
    return data


def test_a_peer_count_of_30_chooses_30_peers_in_a_big_department(org):
    perfadmin = org.users["perfadmin"]
    for i in range(39):
        f.make_person(f"科员{i}", org.service, employee_no=f"P{i:03d}")  # 40 with 陈晨
    scheme = schemes.scheme_create(
        actor=actor(perfadmin), user=perfadmin, data=peer_scheme(org, 30)
    )
    cycle = cycles.cycle_create(
        actor=actor(perfadmin),
        user=perfadmin,
        data=cycles.CycleData(
            name="同事三十人",
            kind="annual",
            unit_id=org.unit.pk,
            scheme_id=scheme.pk,
            start=datetime.date(2026, 1, 1),
            end=datetime.date(2026, 12, 31),
            population=cycles.Population(department_ids=[org.service.pk]),
        ),
    )
    peers = Assignment.objects.filter(cycle=cycle, group=RaterGroup.PEER)
    rated = Counter(peers.values_list("appraisal_id", flat=True))
    rating = Counter(peers.values_list("rater_id", flat=True))
    assert len(rated) == 40 and set(rated.values()) == {30}
    assert set(rating.values()) == {30}  # everyone rates as many as rate them
    assert not peers.filter(rater_id=F("appraisal__person_id")).exists()  # nobody rates oneself


def test_the_scheme_check_and_form_accept_up_to_the_limit(org):
    assert MAX_RATERS_PER_PERSON == 50
    errors, _ = schemes.validate_scheme(peer_scheme(org, 50))
    assert not [e for e in errors if e.field and e.field.endswith(".count")]
    errors, _ = schemes.validate_scheme(peer_scheme(org, 51))
    assert any(e.field and e.field.endswith(".count") for e in errors)
    field = GroupRowForm.base_fields["count"]
    assert getattr(field, "max_value", None) == MAX_RATERS_PER_PERSON
