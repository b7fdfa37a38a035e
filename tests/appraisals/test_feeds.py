"""Regular (平时) cycles feeding the annual one: a section of kind "feed" scores each person with
the mean of their results in the unit's monthly, quarterly and half-yearly cycles of the year
that show their results; without any, the section is missing and its weight goes to the
others."""

from __future__ import annotations

import datetime

import pytest

from jixiao.appraisals import cycles, schemes, scoring
from jixiao.appraisals.models import Appraisal, Cycle, CyclePhase, SectionKind
from tests.appraisals.conftest import actor


def _scheme(org, code: str, *, feed: bool):
    perfadmin = org.users["perfadmin"]
    data = schemes.SchemeData.from_preset("civil_servant", code=code)
    if feed:
        achievement = next(s for s in data.sections if s.code == "achievement")
        achievement.kind = SectionKind.FEED
        achievement.items = []
    return schemes.scheme_create(actor=actor(perfadmin), user=perfadmin, data=data)


def _cycle(org, scheme, name: str, kind: str, start: datetime.date, end: datetime.date) -> Cycle:
    perfadmin = org.users["perfadmin"]
    return cycles.cycle_create(
        actor=actor(perfadmin),
        user=perfadmin,
        data=cycles.CycleData(
            name=name,
            kind=kind,
            unit_id=org.unit.pk,
            scheme_id=scheme.pk,
            start=start,
            end=end,
            population=cycles.Population(department_ids=[org.unit.pk]),
        ),
    )


def _annual(org, code: str) -> Cycle:
    """The 2026 annual cycle of a scheme whose achievement section is fed."""
    return _cycle(
        org,
        _scheme(org, code, feed=True),
        "2026年度",
        "annual",
        datetime.date(2026, 1, 1),
        datetime.date(2026, 12, 31),
    )


@pytest.fixture
def regular(org):
    """Two quarters with results for the employee (80 and 90); a third still rating (70);
    the peer has no regular results."""
    scheme = _scheme(org, "PS-Q", feed=False)
    made = []
    for n, total, phase in ((1, 80.0, CyclePhase.RESULTS), (2, 90.0, CyclePhase.CLOSED)):
        start = datetime.date(2026, 3 * n - 2, 1)
        end = datetime.date(2026, 3 * n + 1, 1) - datetime.timedelta(days=1)
        c = _cycle(org, scheme, f"2026年第{n}季度", "quarterly", start, end)
        Cycle.objects.filter(pk=c.pk).update(phase=phase)
        Appraisal.objects.filter(cycle=c, person=org.employee).update(total=total)
        made.append(c)
    open_one = _cycle(
        org,
        scheme,
        "2026年第3季度",
        "quarterly",
        datetime.date(2026, 7, 1),
        datetime.date(2026, 9, 30),
    )
    Appraisal.objects.filter(cycle=open_one, person=org.employee).update(total=70.0)
    return made


def test_the_fed_section_is_the_mean_of_the_regular_results(org, regular):
    annual = _annual(org, "GWY-F")
    scoring.recompute_cycle(annual.pk)
    employee = Appraisal.objects.get(cycle=annual, person=org.employee)
    section = next(s for s in employee.breakdown["sections"] if s["code"] == "achievement")
    # the quarter still rating does not count
    assert section["score"] == pytest.approx(85.0)
    assert section["items"] == [{"code": scoring.FEED_ITEM_CODE, "score": 85.0}]
    # nobody else has regular results: the section is missing, the rest renormalized
    peer = Appraisal.objects.get(cycle=annual, person=org.peer)
    missing = next(s for s in peer.breakdown["sections"] if s["code"] == "achievement")
    assert missing["score"] is None and peer.breakdown["missing_sections"] >= 1
    # the incremental rescoring agrees with the full recompute
    before = employee.total
    scoring.recompute_appraisals([employee.pk], cycle=annual)
    employee.refresh_from_db()
    assert employee.total == pytest.approx(before)


def test_the_result_page_names_the_regular_mean(org, regular, client_for):
    annual = _annual(org, "GWY-F2")
    scoring.recompute_cycle(annual.pk)
    employee = Appraisal.objects.get(cycle=annual, person=org.employee)
    html = client_for("perfadmin").get(f"/appraisals/results/{employee.pk}/").content.decode()
    assert "85.00" in html and "平时考核结果的平均分" in html


def test_another_units_or_another_years_cycles_do_not_feed(org, regular):
    Cycle.objects.filter(pk__in=[c.pk for c in regular]).update(
        start=datetime.date(2025, 1, 1), end=datetime.date(2025, 3, 31)
    )
    annual = _annual(org, "GWY-F3")
    scoring.recompute_cycle(annual.pk)
    employee = Appraisal.objects.get(cycle=annual, person=org.employee)
    section = next(s for s in employee.breakdown["sections"] if s["code"] == "achievement")
    assert section["score"] is None
