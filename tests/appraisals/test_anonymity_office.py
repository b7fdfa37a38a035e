"""The office manages assignments without ever learning who rates whom in anonymous groups."""

from __future__ import annotations

import re

from jixiao.appraisals.models import Assignment


def test_the_assignment_list_masks_anonymous_raters(org, cycle, client_for):
    peers = Assignment.objects.filter(cycle=cycle, group="peer").count()
    assert peers >= 2
    html = (
        client_for("perfadmin").get(f"/appraisals/cycles/{cycle.pk}/assignments/").content.decode()
    )
    assert html.count("data-rater-hidden") == peers
    # filtering by a rater lists their named assignments only
    html = (
        client_for("perfadmin")
        .get(f"/appraisals/cycles/{cycle.pk}/assignments/?rater={org.peer.pk}")
        .content.decode()
    )
    rows = re.findall(r'<tr data-assignment="(\d+)"', html)
    shown = set(
        Assignment.objects.filter(pk__in=[int(r) for r in rows]).values_list("group", flat=True)
    )
    assert "peer" not in shown
    # nor does a search by the rater's name find whom they rate as a peer
    html = (
        client_for("perfadmin")
        .get(f"/appraisals/cycles/{cycle.pk}/assignments/?q={org.peer.employee_no}")
        .content.decode()
    )
    rows = re.findall(r'<tr data-assignment="(\d+)"', html)
    assert not Assignment.objects.filter(
        pk__in=[int(r) for r in rows], group="peer", rater=org.peer
    ).exists()
