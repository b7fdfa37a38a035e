"""Date pickers carry ISO dates whatever the language: a browser's date input drops anything
else, so a Chinese-formatted 2026/12/31 would silently blank the field on the next save."""

from __future__ import annotations

import datetime

from django.test import Client

from jixiao.org.models import Person


def test_person_form_keeps_the_hire_date_in_a_date_picker(org):
    Person.objects.filter(pk=org.employee.pk).update(hire_date=datetime.date(2019, 7, 1))
    c = Client()
    c.force_login(org.users["perfadmin"])
    html = c.get(f"/org/people/{org.employee.pk}/edit/").content.decode()
    assert 'type="date"' in html and 'value="2019-07-01"' in html
    assert "2019/07/01" not in html


def test_goal_form_writes_the_deadline_as_an_iso_date(org):
    c = Client()
    c.force_login(org.users["employee"])
    html = c.get("/goals/new/?level=person&period=2026").content.decode()
    assert 'name="due_date" value="2026-12-31"' in html
