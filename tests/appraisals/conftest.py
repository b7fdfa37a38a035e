"""A cycle of the civil-servant preset over the fixture's unit, in the rating phase."""

from __future__ import annotations

import datetime

import pytest

from jixiao.appraisals import cycles, schemes
from jixiao.appraisals.models import Cycle, CyclePhase
from jixiao.core.actor import Actor


def actor(user):
    return Actor.for_user(user, source="web")


@pytest.fixture
def scheme(org):
    perfadmin = org.users["perfadmin"]
    return schemes.scheme_from_preset(
        actor=actor(perfadmin), user=perfadmin, preset="civil_servant", code="GWY"
    )


@pytest.fixture
def cycle(org, scheme) -> Cycle:
    return unit_cycle_in_rating(org, scheme)


def unit_cycle_in_rating(org, scheme, name: str = "2026年度考核") -> Cycle:
    """A 2026 annual cycle of the scheme over the whole unit, moved to the rating phase."""
    perfadmin = org.users["perfadmin"]
    made = cycles.cycle_create(
        actor=actor(perfadmin),
        user=perfadmin,
        data=cycles.CycleData(
            name=name,
            kind="annual",
            unit_id=org.unit.pk,
            scheme_id=scheme.pk,
            start=datetime.date(2026, 1, 1),
            end=datetime.date(2026, 12, 31),
            population=cycles.Population(department_ids=[org.unit.pk]),
        ),
    )
    Cycle.objects.filter(pk=made.pk).update(phase=CyclePhase.RATING)
    made.refresh_from_db()
    return made
