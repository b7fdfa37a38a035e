"""The NinjaAPI root: /api/, OpenAPI at /api/docs."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(title="Jixiao API", version="1", urls_namespace="api")
