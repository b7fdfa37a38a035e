"""System checks of the indicator library's settings (run by `manage.py check` and at start)."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error
from django.core.exceptions import ImproperlyConfigured


def check_ri_tables(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """JIXIAO_AHP_RI_TABLES must hold usable random-index tables."""
    from jixiao.indicators.weighting import RI_SETTING, configured_ri_tables

    try:
        configured_ri_tables()
    except ImproperlyConfigured as error:
        return [
            Error(
                str(error),
                hint=f'{RI_SETTING} = {{"name": [0, 0, 0.58, 0.90, 1.12, ...]}}: RI for '
                "n = 1, 2, 3, ..., at least three values, RI > 0 from n = 3 on.",
                id="indicators.E001",
            )
        ]
    return []
