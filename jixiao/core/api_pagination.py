"""Page-number pagination with one shape for every API list:
{"items": [...], "count": N, "page": p, "page_size": s}.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Model, QuerySet
from ninja import Field, Schema

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


class PageParams(Schema):
    page: int = Field(1, ge=1, description="Page number, from 1.")
    page_size: int = Field(
        DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Items per page (at most 500)."
    )


class Page[T](Schema):
    items: list[T]
    count: int = Field(description="Items matching the filters, over all pages.")
    page: int
    page_size: int


def paginate[M: Model](
    qs: QuerySet[M], params: PageParams, convert: Callable[[M], Any]
) -> dict[str, Any]:
    """One COUNT and one page query; `convert` turns each row into its output schema."""
    offset = (params.page - 1) * params.page_size
    count = qs.count()
    rows = list(qs[offset : offset + params.page_size])
    return {
        "items": [convert(row) for row in rows],
        "count": count,
        "page": params.page,
        "page_size": params.page_size,
    }
