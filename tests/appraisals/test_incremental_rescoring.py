"""Rescoring a few appraisals after a submission (scoring.recompute_appraisals) must give the
scores the full recompute gives, bias correction included, so a form never moves a score
that the next full recompute moves back."""

from __future__ import annotations

import pytest

from jixiao.appraisals import scoring
from jixiao.appraisals.models import Appraisal, Cycle
from tests.appraisals.test_results import rate_the_cycle


@pytest.mark.django_db
def test_rescoring_a_few_agrees_with_the_full_recompute(org, cycle):
    rated: Cycle = rate_the_cycle(org, cycle)
    assert rated.group_stats, "the full recompute stores the groups' means and spreads"
    full = dict(Appraisal.objects.filter(cycle=rated).values_list("id", "total"))
    raw = dict(Appraisal.objects.filter(cycle=rated).values_list("id", "raw_total"))
    assert any(full[k] != raw[k] for k in full), "standardization changed some score"
    Appraisal.objects.filter(cycle=rated).update(total=None, raw_total=None)
    for appraisal_id in full:
        scoring.recompute_appraisals(
            [appraisal_id], cycle=Cycle.objects.select_related("scheme").get(pk=rated.pk)
        )
    again = dict(Appraisal.objects.filter(cycle=rated).values_list("id", "total"))
    assert again.keys() == full.keys()
    for k, total in full.items():
        assert again[k] == pytest.approx(total, abs=1e-9), k
