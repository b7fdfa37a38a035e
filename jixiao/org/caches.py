"""Small, slowly changing lists that pages need on every request, cached between writes."""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

from jixiao.org.models import Person

RANKS_CACHE_KEY = "jixiao:org:ranks"
RANKS_TTL_SECONDS = 300


def _load_ranks() -> list[str]:
    ranks = Person.objects.exclude(rank="").order_by().values_list("rank", flat=True).distinct()
    return sorted(set(ranks))


def ranks_in_use() -> list[str]:
    """Every rank (职级) held by someone, for the rank filter.

    Org-wide rather than per scope: rank names are a public vocabulary, and scanning a scope of
    100,000 people for its distinct ranks cost 70 ms on every list page.
    """
    ranks = cache.get_or_set(RANKS_CACHE_KEY, _load_ranks, RANKS_TTL_SECONDS)
    return list(ranks or [])


def forget_ranks() -> None:
    """Called by every write that may add or remove a rank, once it commits."""
    transaction.on_commit(lambda: cache.delete(RANKS_CACHE_KEY))
