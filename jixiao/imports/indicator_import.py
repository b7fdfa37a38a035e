"""Import of the indicator library (sheets 指标 and 行为锚定等级) from .xlsx or .csv.

The same all-or-nothing rules as the organization import: the whole file is read and every
row checked first, with the same validation as the pages and the API (the engine checks each
rule); if any row is wrong nothing is written and every wrong row is listed with its line,
column and reason. A good file is written in one transaction by the library's service, keyed
by code: new codes are created, changed indicators updated (a new version when in use),
identical ones left alone, so importing the same file twice changes nothing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from jixiao.core.actor import Actor
from jixiao.core.errors import DomainError, FieldError
from jixiao.imports.formats import SheetSpec
from jixiao.imports.indicator_formats import EXPORT_ONLY, INDICATOR_SPECS, INDICATORS, LEVELS
from jixiao.imports.org_import import _Bad, _clean  # the shared cell cleaner
from jixiao.imports.parsing import RowError, Table, read_table_file
from jixiao.indicators.models import Indicator
from jixiao.indicators.services import (
    BarsLevelData,
    ImportItem,
    IndicatorData,
    indicators_import,
    stored_content,
    validate_indicator,
)
from jixiao.indicators.usage import indicator_ids_in_use
from jixiao.org.access import Scope

__all__ = ["IndicatorImportOutcome", "import_indicator_file"]

KIND = "indicators"
LEVEL_FIELDS = {
    "level": "level",
    "title": "title",
    "description": "description",
    "points": "points",
}


@dataclass
class IndicatorImportOutcome:
    ok: bool
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    new_versions: int = 0
    unchanged: int = 0
    dry_run: bool = False
    rows: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "created": {KIND: self.created},
            "updated": {KIND: self.updated + self.new_versions},
            "unchanged": {KIND: self.unchanged},
            "new_versions": {KIND: self.new_versions},
            "dry_run": self.dry_run,
            "rows": self.rows,
        }


@dataclass
class _Row:
    line: int
    values: dict[str, Any]
    ok: bool = True


def _clean_rows(
    table: Table | None, errors: list[RowError], ignore: frozenset[str] = EXPORT_ONLY
) -> list[_Row]:
    """Clean every cell of a sheet (shared with the goals import); `ignore` names the
    export-only columns. A column left out of the file is absent from `values`."""
    if table is None:
        return []
    spec = table.spec
    out: list[_Row] = []
    for line, raw in table.rows:
        row = _Row(line, {})
        for column, value in zip(spec.columns, raw, strict=True):
            if column.key not in table.present or column.key in ignore:
                continue
            try:
                cleaned = _clean(column, value)
            except _Bad as bad:
                errors.append(RowError(spec.sheet, line, column.header, bad.code, bad.message))
                row.ok = False
                continue
            if column.required and (cleaned is None or cleaned == ""):
                errors.append(
                    RowError(
                        spec.sheet,
                        line,
                        column.header,
                        "required",
                        _("%(column)s is required.") % {"column": column.header},
                    )
                )
                row.ok = False
            row.values[column.key] = cleaned
        out.append(row)
    return out


def _decimal(spec: SheetSpec, row: _Row, key: str, errors: list[RowError]) -> Decimal | None:
    text = str(row.values.get(key) or "").strip().rstrip("%")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        header = spec.column(key).header
        errors.append(
            RowError(
                spec.sheet,
                row.line,
                header,
                "invalid_number",
                _("“%(value)s” is not a number.") % {"value": text},
            )
        )
        row.ok = False
        return None
    return value


def _duplicates(
    rows: list[_Row],
    key: Callable[[_Row], Any],
    spec: SheetSpec,
    column: str,
    errors: list[RowError],
) -> None:
    lines: dict[Any, list[int]] = defaultdict(list)
    for row in rows:
        k = key(row)
        if k:
            lines[k].append(row.line)
    header = spec.column(column).header
    for k, found in lines.items():
        if len(found) < 2:
            continue
        listed = "、".join(str(n) for n in found)
        shown = k if isinstance(k, str) else " / ".join(str(x) for x in k)
        for row in rows:
            if row.line in found:
                row.ok = False
                errors.append(
                    RowError(
                        spec.sheet,
                        row.line,
                        header,
                        "duplicate_in_file",
                        _("%(column)s “%(key)s” appears more than once (lines %(lines)s).")
                        % {"column": header, "key": shown, "lines": listed},
                    )
                )


@dataclass
class _Planned:
    code: str
    line: int
    sheet: str
    data: IndicatorData
    existing: Indicator | None
    level_lines: list[int]
    active: bool | None


def _map_errors(planned: _Planned, problems: list[FieldError], errors: list[RowError]) -> None:
    """Put each service error where the person can find it: sheet, line and column."""
    for fe in problems:
        name = fe.field or ""
        if name.startswith("bars_levels[") and planned.level_lines:
            index_text, _sep, rest = name.removeprefix("bars_levels[").partition("]")
            sub = rest.removeprefix(".")
            index = int(index_text) if index_text.isdigit() else 0
            line = planned.level_lines[min(index, len(planned.level_lines) - 1)]
            header = LEVELS.column(LEVEL_FIELDS.get(sub, "level")).header
            errors.append(RowError(LEVELS.sheet, line, header, fe.code, str(fe.message)))
            continue
        if name == "bars_levels" and planned.level_lines:
            errors.append(
                RowError(
                    LEVELS.sheet,
                    planned.level_lines[0],
                    LEVELS.column("indicator").header,
                    fe.code,
                    f"{planned.code}：{fe.message}",
                )
            )
            continue
        if planned.sheet == LEVELS.sheet:
            errors.append(
                RowError(
                    LEVELS.sheet,
                    planned.line,
                    LEVELS.column("indicator").header,
                    fe.code,
                    f"{planned.code}：{fe.message}",
                )
            )
            continue
        if name == "rule" or name.startswith("rule."):
            path = name.removeprefix("rule").removeprefix(".")
            message = f"{path}：{fe.message}" if path else str(fe.message)
            errors.append(
                RowError(
                    INDICATORS.sheet,
                    planned.line,
                    INDICATORS.column("rule").header,
                    fe.code,
                    message,
                )
            )
            continue
        keys = {c.key for c in INDICATORS.columns}
        header = (
            INDICATORS.column(name).header if name in keys else INDICATORS.column("code").header
        )
        errors.append(RowError(INDICATORS.sheet, planned.line, header, fe.code, str(fe.message)))


def _sort_key(e: RowError) -> tuple[int, int, str]:
    order = {INDICATORS.sheet: 0, LEVELS.sheet: 1}
    return (order.get(e.sheet, -1), e.line, e.column)


def import_indicator_file(
    path: Path,
    *,
    actor: Actor,
    scope: Scope | None,
    progress: Callable[[int, int], None] | None = None,
    dry_run: bool = False,
) -> IndicatorImportOutcome:
    """Validate the whole file, then write it in one transaction, or write nothing.

    `scope` None means a trusted context (command line); otherwise the service refuses
    callers who do not maintain the library.
    """
    parsed = read_table_file(Path(path), INDICATOR_SPECS, progress=progress)
    outcome = IndicatorImportOutcome(ok=False, dry_run=dry_run, rows=parsed.row_count)
    if parsed.errors:
        outcome.errors = parsed.errors
        return outcome
    if parsed.row_count == 0:
        outcome.errors = [RowError("", 0, "", "empty_file", _("The file has no data rows."))]
        return outcome
    errors: list[RowError] = []
    ind_rows = _clean_rows(parsed.tables.get(INDICATORS.kind), errors)
    level_rows = _clean_rows(parsed.tables.get(LEVELS.kind), errors)
    _duplicates(ind_rows, lambda r: r.values.get("code") or "", INDICATORS, "code", errors)
    _duplicates(
        level_rows,
        lambda r: (
            (r.values.get("indicator"), r.values.get("level"))
            if r.values.get("indicator") and r.values.get("level") is not None
            else None
        ),
        LEVELS,
        "level",
        errors,
    )
    levels_by_code: dict[str, list[_Row]] = defaultdict(list)
    bad_level_codes: set[str] = set()
    for row in level_rows:
        code = row.values.get("indicator") or ""
        points = _decimal(LEVELS, row, "points", errors)
        if points is not None:
            row.values["points"] = points
        if not code:
            continue
        levels_by_code[code].append(row)
        if not row.ok:
            bad_level_codes.add(code)

    codes = {r.values.get("code") for r in ind_rows if r.values.get("code")} | set(levels_by_code)
    latest = {
        i.code: i
        for i in Indicator.objects.filter(is_latest=True, code__in=codes).prefetch_related(
            "bars_levels"
        )
    }
    known = set(Indicator.objects.filter(is_latest=True).values_list("code", flat=True)) | {
        str(c) for c in codes
    }

    def levels_of(code: str) -> tuple[list[BarsLevelData] | None, list[int]]:
        rows = levels_by_code.get(code)
        if rows is None:
            return None, []
        rows = sorted(rows, key=lambda r: -(r.values.get("level") or 0))
        return (
            [
                BarsLevelData(
                    level=int(r.values["level"]),
                    title=str(r.values.get("title") or ""),
                    description=str(r.values.get("description") or ""),
                    points=Decimal(r.values["points"]),
                )
                for r in rows
            ],
            [r.line for r in rows],
        )

    planned: list[_Planned] = []
    in_sheet: set[str] = set()
    for row in ind_rows:
        code = str(row.values.get("code") or "")
        weight = _decimal(INDICATORS, row, "default_weight", errors)
        if not code:
            continue
        in_sheet.add(code)
        if not row.ok or code in bad_level_codes:
            continue
        rule_text = str(row.values.get("rule") or "").strip()
        try:
            rule: Any = json.loads(rule_text) if rule_text else {}
        except json.JSONDecodeError as exc:
            errors.append(
                RowError(
                    INDICATORS.sheet,
                    row.line,
                    INDICATORS.column("rule").header,
                    "invalid_json",
                    _("The rule is not valid JSON (line %(line)s, column %(col)s): %(msg)s.")
                    % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg},
                )
            )
            continue
        existing = latest.get(code)
        levels, lines = levels_of(code)
        if levels is None:
            levels = (
                [
                    BarsLevelData(b.level, b.title, b.description, b.points)
                    for b in sorted(existing.bars_levels.all(), key=lambda b: -b.level)
                ]
                if existing is not None
                else []
            )
        active_value = row.values.get("is_active")
        data = IndicatorData(
            code=code,
            name=str(row.values.get("name") or ""),
            category=str(row.values.get("category") or ""),
            definition=str(row.values.get("definition") or ""),
            standard=str(row.values.get("standard") or ""),
            unit=str(row.values.get("unit") or ""),
            direction=str(row.values.get("direction") or ""),
            source_kind=str(row.values.get("source_kind") or ""),
            source_detail=str(row.values.get("source_detail") or ""),
            rule=rule,
            default_weight=weight if weight is not None else Decimal(0),
            period=str(row.values.get("period") or ""),
            responsible=str(row.values.get("responsible") or ""),
            bars_levels=levels,
        )
        planned.append(
            _Planned(
                code,
                row.line,
                INDICATORS.sheet,
                data,
                existing,
                lines,
                None if "is_active" not in row.values else active_value != "0",
            )
        )
    for code, rows in levels_by_code.items():
        if code in in_sheet or code in bad_level_codes:
            continue
        existing = latest.get(code)
        first = min(r.line for r in rows)
        if existing is None:
            errors.append(
                RowError(
                    LEVELS.sheet,
                    first,
                    LEVELS.column("indicator").header,
                    "unknown_indicator",
                    _("No indicator has the code “%(code)s”.") % {"code": code},
                )
            )
            continue
        data = IndicatorData.of(existing)
        data.bars_levels, lines = levels_of(code)  # type: ignore[assignment]
        planned.append(_Planned(code, first, LEVELS.sheet, data, existing, lines, None))

    for item in planned:
        problems = validate_indicator(item.data, existing=item.existing, known_codes=known)
        _map_errors(item, problems, errors)
    if errors:
        outcome.errors = sorted(set(errors), key=_sort_key)
        return outcome

    in_use = indicator_ids_in_use([p.existing.pk for p in planned if p.existing is not None])
    for p in planned:
        if p.existing is None:
            outcome.created += 1
        elif stored_content(p.existing) == p.data.content() and (
            p.active is None or p.active == p.existing.is_active
        ):
            outcome.unchanged += 1
        elif stored_content(p.existing) != p.data.content() and p.existing.pk in in_use:
            outcome.new_versions += 1
        else:
            outcome.updated += 1
    if progress is not None:
        progress(parsed.row_count, parsed.row_count)
    if not dry_run and (outcome.created or outcome.updated or outcome.new_versions):
        items = [
            ImportItem(
                data=p.data,
                indicator_id=p.existing.pk if p.existing else None,
                expected_version=p.existing.version if p.existing else None,
                active=p.active,
            )
            for p in planned
        ]
        try:
            counts = indicators_import(
                actor=actor, scope=scope, items=items, reason=_("Indicator library import")
            )
        except DomainError as error:
            if error.status == 403:
                raise PermissionError from None
            outcome.errors = [
                RowError(
                    "",
                    0,
                    "",
                    error.code,
                    _(
                        "Someone changed the library while the file was being checked. "
                        "Import the file again."
                    )
                    if error.code == "concurrent_edit"
                    else str(error.message),
                )
            ]
            return outcome
        outcome.created = counts.created
        outcome.updated = counts.updated
        outcome.new_versions = counts.new_versions
        outcome.unchanged = counts.unchanged
    outcome.ok = True
    return outcome
