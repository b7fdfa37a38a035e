"""bulk_update_rows writes every field type we use, and only the rows it is given."""

from __future__ import annotations

import datetime

import pytest

from jixiao.core.bulk import bulk_update_rows
from jixiao.org.models import Person
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_writes_text_dates_foreign_keys_nulls_and_booleans(org):
    people = list(Person.objects.order_by("id"))
    first, second, *rest = people
    untouched = {p.pk: (p.name, p.phone) for p in rest}
    first.name, first.phone, first.hire_date = "新名字", "13800000000", datetime.date(2021, 3, 4)
    first.superior_id, first.is_active = None, False
    second.department_id, second.superior_id = org.service.pk, first.pk
    second.post_id, second.status_since = None, None

    written = bulk_update_rows(
        Person,
        [first, second],
        [
            "name",
            "phone",
            "hire_date",
            "superior",
            "is_active",
            "department",
            "post",
            "status_since",
        ],
    )

    assert written == 2
    a, b = Person.objects.get(pk=first.pk), Person.objects.get(pk=second.pk)
    assert (a.name, a.phone, a.hire_date) == ("新名字", "13800000000", datetime.date(2021, 3, 4))
    assert a.superior_id is None and a.is_active is False
    assert (b.department_id, b.superior_id, b.post_id, b.status_since) == (
        org.service.pk,
        first.pk,
        None,
        None,
    )
    assert {p.pk: (p.name, p.phone) for p in Person.objects.exclude(pk__in=[a.pk, b.pk])} == (
        untouched
    )


def test_batches_beyond_the_parameter_limit(org, monkeypatch):
    monkeypatch.setattr("jixiao.core.bulk.MAX_PARAMETERS", 4)
    people = [f.make_person(f"人员{i}", org.office) for i in range(5)]
    for i, person in enumerate(people):
        person.phone = f"1390000000{i}"
    assert bulk_update_rows(Person, people, ["phone"]) == 5
    assert sorted(
        Person.objects.filter(pk__in=[p.pk for p in people]).values_list("phone", flat=True)
    ) == [f"1390000000{i}" for i in range(5)]


def test_nothing_to_write():
    assert bulk_update_rows(Person, [], ["phone"]) == 0
