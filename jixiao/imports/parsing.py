"""Reading an import file (.xlsx or .csv) into plain rows, checking only its shape.

Values are returned raw (as calamine or the CSV reader gives them); the importer cleans
and validates them. Line numbers are the row numbers a user sees in Excel (header = 1).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from jixiao.imports.formats import SPECS, SheetSpec
from jixiao.imports.xlsx_extent import NotAWorkbook, sheet_extents

Progress = Callable[[int, int], None]
PROGRESS_EVERY = 1000


@dataclass(frozen=True, slots=True)
class RowError:
    """One reason a file cannot be imported, placed where the user can find it."""

    sheet: str
    line: int
    column: str
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "message": self.message,
        }


@dataclass
class Table:
    """The data rows of one sheet (or CSV file), aligned with spec.columns."""

    spec: SheetSpec
    present: frozenset[str]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)


@dataclass
class ParsedFile:
    tables: dict[str, Table] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return sum(len(t.rows) for t in self.tables.values())


def _header(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip().rstrip("*＊").strip()


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _check_headers(
    spec: SheetSpec, sheet: str, raw: Iterable[Any]
) -> tuple[list[int], list[RowError]]:
    """Map each spec column to its position in the file (-1 when absent)."""
    headers = [_header(v) for v in raw]
    errors: list[RowError] = []
    known = set(spec.headers)
    extra = [h for h in headers if h and h not in known]
    seen: set[str] = set()
    doubled = []
    for h in headers:
        if h and h in seen and h not in doubled:
            doubled.append(h)
        seen.add(h)
    missing = [h for h in spec.required_headers if h not in seen]
    if extra:
        errors.append(
            RowError(
                sheet,
                1,
                "、".join(extra),
                "unknown_columns",
                _("Unknown columns: %(names)s. Remove them or use the template.")
                % {"names": "、".join(extra)},
            )
        )
    if missing:
        errors.append(
            RowError(
                sheet,
                1,
                "、".join(missing),
                "missing_columns",
                _("Required columns are missing: %(names)s.") % {"names": "、".join(missing)},
            )
        )
    if doubled:
        errors.append(
            RowError(
                sheet,
                1,
                "、".join(doubled),
                "duplicate_columns",
                _("Columns appear more than once: %(names)s.") % {"names": "、".join(doubled)},
            )
        )
    positions = [headers.index(c.header) if c.header in seen else -1 for c in spec.columns]
    return positions, errors


def _collect(
    spec: SheetSpec,
    sheet: str,
    rows: Iterator[tuple[Any, ...]],
    parsed: ParsedFile,
    tick: Callable[[], None],
) -> None:
    try:
        header_row = next(rows)
    except StopIteration:
        return
    positions, errors = _check_headers(spec, sheet, header_row)
    if errors:
        parsed.errors.extend(errors)
        return
    present = frozenset(c.key for c, p in zip(spec.columns, positions, strict=True) if p >= 0)
    table = Table(spec, present)
    width = len(positions)
    for line, values in enumerate(rows, start=2):
        tick()
        if all(_is_blank(v) for v in values):
            continue
        n = len(values)
        table.rows.append((line, [values[p] if 0 <= p < n else None for p in positions[:width]]))
    parsed.tables[spec.kind] = table


class _Ticker:
    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress = progress
        self.total = total
        self.done = 0

    def __call__(self) -> None:
        self.done += 1
        if self.progress is not None and self.done % PROGRESS_EVERY == 0:
            self.progress(self.done, max(self.total, self.done))


def read_org_file(path: Path, *, progress: Progress | None = None) -> ParsedFile:
    """Read an organization workbook or CSV file; shape errors are returned, never raised."""
    return read_table_file(path, SPECS, progress=progress)


def read_table_file(
    path: Path, specs: tuple[SheetSpec, ...], *, progress: Progress | None = None
) -> ParsedFile:
    """Read an .xlsx workbook (one sheet per spec) or a .csv file (one spec, told apart by its
    header row); shape errors are returned, never raised."""
    parsed = ParsedFile()
    try:
        size = path.stat().st_size
    except OSError:
        parsed.errors.append(RowError("", 0, "", "unreadable", _("The file cannot be read.")))
        return parsed
    limit = int(settings.JIXIAO_IMPORT_MAX_BYTES)
    if size > limit:
        parsed.errors.append(
            RowError(
                "",
                0,
                "",
                "file_too_large",
                _("The file is %(size)s MB; the limit is %(limit)s MB.")
                % {"size": f"{size / 1048576:.1f}", "limit": f"{limit / 1048576:.1f}"},
            )
        )
        return parsed
    if size == 0:
        parsed.errors.append(RowError("", 0, "", "empty_file", _("The file is empty.")))
        return parsed
    suffix = path.suffix.lower()
    if suffix == ".csv":
        _read_csv(path, parsed, progress, specs)
    elif suffix in {".xlsx", ".xlsm"}:
        _read_xlsx(path, parsed, progress, specs)
    else:
        parsed.errors.append(
            RowError(
                "",
                0,
                "",
                "unsupported_type",
                _(
                    "Only .xlsx workbooks and .csv files can be imported (save .xls files as .xlsx)."
                ),
            )
        )
    return parsed


MAX_COLUMNS = 200
"""Columns a sheet may reach; the widest format has 15."""


def max_rows() -> int:
    """Data rows (below the header) one sheet or CSV file may hold."""
    return int(settings.JIXIAO_IMPORT_MAX_ROWS)


def column_letters(n: int) -> str:
    """1 → A, 27 → AA, 16384 → XFD."""
    letters = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _extent_errors(sheet: str, rows: int, columns: int) -> list[RowError]:
    """Refuse a sheet whose used area reaches beyond the limits, before it is read."""
    errors: list[RowError] = []
    limit = max_rows()
    if rows > limit + 1:
        errors.append(
            RowError(
                sheet,
                0,
                "",
                "too_many_rows",
                _(
                    "The sheet reaches row %(rows)s, but at most %(limit)s data rows below the "
                    "header are imported at once. Delete what lies below the table, or split "
                    "the file."
                )
                % {"rows": rows, "limit": limit},
            )
        )
    if columns > MAX_COLUMNS:
        errors.append(
            RowError(
                sheet,
                0,
                "",
                "too_many_columns",
                _(
                    "The sheet reaches column %(column)s, but at most %(limit)s columns are "
                    "read. Delete what lies to the right of the table."
                )
                % {"column": column_letters(columns), "limit": MAX_COLUMNS},
            )
        )
    return errors


def _read_xlsx(
    path: Path, parsed: ParsedFile, progress: Progress | None, specs: tuple[SheetSpec, ...]
) -> None:
    """Read with calamine (Rust): twenty times faster than openpyxl on large workbooks.

    Sheets are read from A1 (`skip_empty_area=False`) so that line numbers in error reports
    match what the person sees in Excel. Before calamine loads a sheet, its XML is scanned for
    how far it reaches (xlsx_extent): calamine builds a grid as large as the used area, and a
    tiny file with a cell in XFD1048576 would otherwise exhaust the memory.
    """
    from python_calamine import CalamineWorkbook

    invalid = RowError("", 0, "", "invalid_workbook", _("The file is not a valid .xlsx workbook."))
    by_sheet = {spec.sheet: spec for spec in specs}
    try:
        wb = CalamineWorkbook.from_path(str(path))
        names = [name for name in wb.sheet_names if name in by_sheet]
    except Exception:  # calamine raises its own error types for corrupt or foreign files
        parsed.errors.append(invalid)
        return
    if not names:
        names_text = "、".join(s.sheet for s in specs)
        parsed.errors.append(
            RowError(
                "",
                0,
                "",
                "no_sheets",
                _("The workbook has none of the sheets %(names)s.") % {"names": names_text},
            )
        )
        return
    try:
        extents = sheet_extents(path, names, row_limit=max_rows() + 1)
    except NotAWorkbook:
        parsed.errors.append(invalid)
        return
    for name in names:
        parsed.errors.extend(_extent_errors(name, extents[name].rows, extents[name].columns))
    if parsed.errors:
        return
    sheets = []
    try:
        for name in names:
            sheet = wb.get_sheet_by_name(name)
            end = sheet.end  # 0-based; checked again as calamine sees it
            errors = _extent_errors(name, end[0] + 1, end[1] + 1) if end else []
            if errors:
                parsed.errors.extend(errors)
                continue
            sheets.append((by_sheet[name], name, sheet.to_python(skip_empty_area=False)))
    except Exception:
        parsed.errors.append(invalid)
        return
    if parsed.errors:
        return
    total = sum(max(len(rows) - 1, 0) for _spec, _name, rows in sheets)
    ticker = _Ticker(progress, total)
    for spec, name, rows in sheets:
        _collect(spec, name, iter(tuple(row) for row in rows), parsed, ticker)


def _decode(data: bytes) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def detect_kind(headers: list[str], specs: tuple[SheetSpec, ...] = SPECS) -> SheetSpec | None:
    """The kind whose headers best match; None when nothing matches a key column."""
    names = {_header(h) for h in headers}
    best: SheetSpec | None = None
    best_score = 0
    for spec in specs:
        score = len(names & set(spec.headers))
        if spec.column(spec.key_column).header in names and score > best_score:
            best, best_score = spec, score
    return best


def _read_csv(
    path: Path, parsed: ParsedFile, progress: Progress | None, specs: tuple[SheetSpec, ...]
) -> None:
    text = _decode(path.read_bytes())
    if text is None or "\x00" in text:
        parsed.errors.append(
            RowError(
                "",
                0,
                "",
                "invalid_csv",
                _("The CSV file is not readable text (save it as UTF-8 or GB18030)."),
            )
        )
        return
    limit = max_rows()
    rows: list[list[str]] = []
    try:
        for line, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            if len(row) > MAX_COLUMNS:
                parsed.errors.append(
                    RowError(
                        "",
                        line,
                        "",
                        "too_many_columns",
                        _("Line %(line)s has %(n)s fields, but at most %(limit)s are read.")
                        % {"line": line, "n": len(row), "limit": MAX_COLUMNS},
                    )
                )
                return
            if line > limit + 1:
                parsed.errors.append(
                    RowError(
                        "",
                        0,
                        "",
                        "too_many_rows",
                        _(
                            "The file has more than %(limit)s data rows below the header. "
                            "Split the file."
                        )
                        % {"limit": limit},
                    )
                )
                return
            rows.append(row)
    except csv.Error:
        parsed.errors.append(RowError("", 0, "", "invalid_csv", _("The CSV file is malformed.")))
        return
    if not rows:
        parsed.errors.append(RowError("", 0, "", "empty_file", _("The file is empty.")))
        return
    spec = detect_kind(rows[0], specs)
    if spec is None:
        message = (
            _("Cannot tell departments, posts or people from the header row.")
            if specs is SPECS
            else _("The header row matches none of: %(names)s.")
            % {"names": "、".join(s.sheet for s in specs)}
        )
        parsed.errors.append(RowError("CSV", 1, "", "unknown_kind", message))
        return
    ticker = _Ticker(progress, len(rows) - 1)
    _collect(spec, spec.sheet, iter([tuple(r) for r in rows]), parsed, ticker)
