"""Export of the indicator library (latest versions) in the import format: an .xlsx workbook
with the sheets 指标 and 行为锚定等级, or one CSV per sheet. Two queries in all."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import xlsxwriter
from django.db.models import Prefetch

from jixiao.imports.indicator_formats import INDICATOR_SPEC_BY_KIND, INDICATORS, LEVELS
from jixiao.indicators import rules
from jixiao.indicators.models import BarsLevel, Indicator
from jixiao.indicators.selectors import indicators_visible_to


def _indicators(user: Any | None) -> list[Indicator]:
    qs = Indicator.objects.filter(is_latest=True) if user is None else indicators_visible_to(user)
    return list(
        qs.prefetch_related(
            Prefetch("bars_levels", queryset=BarsLevel.objects.order_by("-level"))
        ).order_by("category", "code")
    )


def _number(value: Any) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _indicator_rows(indicators: list[Indicator]) -> Iterator[list[Any]]:
    spec = INDICATORS
    labels = {c.key: c for c in spec.columns}
    for i in indicators:
        yield [
            i.code,
            i.name,
            labels["category"].label_for(i.category),
            i.definition,
            i.standard,
            i.unit,
            labels["direction"].label_for(i.direction),
            labels["source_kind"].label_for(i.source_kind),
            i.source_detail,
            json.dumps(i.rule, ensure_ascii=False),
            rules.describe(i.rule, "zh"),
            _number(i.default_weight),
            labels["period"].label_for(i.period),
            i.responsible,
            "启用" if i.is_active else "停用",
        ]


def _level_rows(indicators: list[Indicator]) -> Iterator[list[Any]]:
    for i in indicators:
        for b in i.bars_levels.all():
            yield [i.code, b.level, b.title, b.description, _number(b.points)]


def export_indicator_workbook(path: Path, *, user: Any | None) -> int:
    """Write the workbook; returns the number of indicators."""
    indicators = _indicators(user)
    wb = xlsxwriter.Workbook(str(path))
    bold = wb.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    for spec, rows in (
        (INDICATORS, _indicator_rows(indicators)),
        (LEVELS, _level_rows(indicators)),
    ):
        ws = wb.add_worksheet(spec.sheet)
        ws.freeze_panes(1, 0)
        for col, column in enumerate(spec.columns):
            ws.set_column(col, col, max(column.width, len(column.header) * 2 + 4))
        ws.write_row(0, 0, spec.headers, bold)
        for r, values in enumerate(rows, start=1):
            for c, value in enumerate(values):
                if isinstance(value, str):
                    ws.write_string(r, c, value, wrap)
                else:
                    ws.write(r, c, value)
    wb.close()
    return len(indicators)


def export_indicator_csv(path: Path, kind: str, *, user: Any | None) -> int:
    """One sheet as UTF-8 CSV with a BOM, so Excel opens it in Chinese."""
    spec = INDICATOR_SPEC_BY_KIND[kind]
    indicators = _indicators(user)
    rows = _indicator_rows(indicators) if kind == INDICATORS.kind else _level_rows(indicators)
    count = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(spec.headers)
        for values in rows:
            writer.writerow(values)
            count += 1
    return count
