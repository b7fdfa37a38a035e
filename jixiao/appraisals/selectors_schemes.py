"""Reads for the schemes API: one scheme version with all its rows in a fixed number of
queries, whatever its size (schemes are readable by every signed-in user)."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404

from jixiao.appraisals.models import Scheme, SchemeGroup, SchemeItem, SchemeSection


def get_scheme_with_rows(pk: int) -> Scheme:
    """The version with its creator, sections (in order) with their items and indicators,
    and rater groups: four queries; 404 when there is none."""
    items = SchemeItem.objects.select_related("indicator").order_by("position", "id")
    sections = SchemeSection.objects.order_by("position", "id").prefetch_related(
        Prefetch("items", queryset=items)
    )
    scheme = (
        Scheme.objects.select_related("created_by")
        .prefetch_related(
            Prefetch("sections", queryset=sections),
            Prefetch("groups", queryset=SchemeGroup.objects.order_by("id")),
        )
        .filter(pk=pk)
        .first()
    )
    if scheme is None:
        raise Http404
    return scheme
