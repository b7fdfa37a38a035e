"""`jixiao bench cycle` at a small size: both shapes run end to end on the test database and
report every figure the issue asks for (the benchmark prints figures, it asserts none)."""

from __future__ import annotations

import pytest

from jixiao.appraisals.models import Appraisal, Assignment, AssignmentStatus, Cycle
from jixiao.reports import bench_cycle
from jixiao.reports.bench_org import BenchRefused

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def recompute_in_process(monkeypatch):
    """The benchmark times the full recompute in a fresh process, which cannot see a test's
    uncommitted data: here it runs in the test's process."""

    def here(cycle_id, _say):
        out = bench_cycle.child_recompute(cycle_id)
        out["in_process"] = True
        return out

    monkeypatch.setattr(bench_cycle, "time_recompute", here)


def _names(result: bench_cycle.CycleBenchResult) -> set[str]:
    return {f.name for f in result.figures}


def test_the_org_shape_times_creation_recompute_results_export_and_the_grid():
    result = bench_cycle.run(people=260, shape="org", runs=1, say=lambda _m: None)
    assert {
        "cycle_create",
        "recompute",
        "results_first_page",
        "export",
        "grid_render",
        "grid_submit",
    } <= _names(result)
    assert all(f.seconds >= 0 for f in result.figures)
    cycle = Cycle.objects.get()
    assert Appraisal.objects.filter(cycle=cycle, total__isnull=False).exists()
    text = bench_cycle.format_table(result)
    assert "全部重算" in text and "peak RSS" in text
    # a database with data is refused unless forced
    with pytest.raises(BenchRefused):
        bench_cycle.run(people=260, shape="org", runs=1, say=lambda _m: None)


def test_the_per_person_shape_submits_forms_one_by_one():
    result = bench_cycle.run(people=260, shape="per-person", runs=1, sample=12, say=lambda _m: None)
    assert {"peer_submission_median", "self_submission_median", "overview"} <= _names(result)
    peer = next(f for f in result.figures if f.name == "peer_submission_median")
    assert peer.runs >= 12 and (peer.queries or 0) > 0
    # every form of the sample went through the service: submitted, scored
    cycle = Cycle.objects.get()
    assert (
        not Assignment.objects.filter(cycle=cycle)
        .exclude(status=AssignmentStatus.SUBMITTED)
        .exists()
    )
    assert Appraisal.objects.filter(cycle=cycle, total__isnull=False).count() > 12
