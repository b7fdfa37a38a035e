"""The downloadable import template: instructions, one sheet per kind, drop-downs, notes."""

from __future__ import annotations

import io
from typing import Any

import xlsxwriter
from django.utils.translation import gettext as _

from jixiao.imports.formats import SPECS, SheetSpec

VALIDATED_ROWS = 20000


def build_template() -> bytes:
    """The organization template; the header texts are exactly what the importer expects."""
    lines = [
        _("Fill in the sheets 部门, 岗位 and 人员; any of them may be left out or deleted."),
        _("Red headers are required columns. Do not rename, add or reorder header cells."),
        _("Rows are matched by 编码 or 工号: existing records are updated, new ones are created."),
        _("Dates are written as YYYY-MM-DD or as Excel dates."),
        _("If any row is wrong nothing is imported, and every wrong row is listed."),
    ]
    return build_workbook_template(SPECS, heading=_("Organization import template"), lines=lines)


def build_workbook_template(
    specs: tuple[SheetSpec, ...], *, heading: str, lines: list[str]
) -> bytes:
    """An .xlsx template for any import format: an instruction sheet (说明), one sheet per
    spec with required headers marked, drop-downs for enumerations, and example rows."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = wb.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    required = wb.add_format(
        {"bold": True, "bg_color": "#FDE2E1", "font_color": "#B42318", "border": 1}
    )
    title = wb.add_format({"bold": True, "font_size": 14})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})

    notes = wb.add_worksheet("说明")
    notes.set_column(0, 0, 16)
    notes.set_column(1, 1, 18)
    notes.set_column(2, 2, 8)
    notes.set_column(3, 3, 40)
    notes.set_column(4, 4, 22)
    notes.write(0, 0, heading, title)
    for i, line in enumerate(lines, start=1):
        notes.write(i, 0, f"{i}. {line}")
    row = len(lines) + 2
    notes.write_row(
        row,
        0,
        [_("Sheet"), _("Column"), _("Required"), _("Allowed values / notes"), _("Example")],
        bold,
    )
    for spec in specs:
        for column in spec.columns:
            row += 1
            allowed = "、".join(label for label, _v in column.choices)
            text = "；".join(x for x in [allowed, str(column.help) if column.help else ""] if x)
            notes.write_row(
                row,
                0,
                [spec.sheet, column.header, "是" if column.required else "", text, column.example],
                wrap,
            )

    for spec in specs:
        ws = wb.add_worksheet(spec.sheet)
        ws.freeze_panes(1, 0)
        for i, column in enumerate(spec.columns):
            ws.set_column(i, i, max(column.width, len(column.header) * 2 + 4))
            ws.write_string(0, i, column.header, required if column.required else bold)
            note_parts: list[str] = [_("Required.") if column.required else _("Optional.")]
            if column.help:
                note_parts.append(str(column.help))
            if column.example:
                note_parts.append(_("Example: %(value)s") % {"value": column.example})
            ws.write_comment(0, i, " ".join(note_parts), {"x_scale": 1.6})
            if column.choices:
                options: dict[str, Any] = {
                    "validate": "list",
                    "source": [label for label, _v in column.choices],
                    "error_message": _("Choose a value from the list."),
                }
                ws.data_validation(1, i, VALIDATED_ROWS, i, options)
            elif column.is_date:
                ws.set_column(i, i, 14, wb.add_format({"num_format": "yyyy-mm-dd"}))

    example = wb.add_worksheet("示例")
    example.write(0, 0, _("Example rows (this sheet is not imported)."), title)
    r = 2
    for spec in specs:
        example.write(r, 0, spec.sheet, title)
        example.write_row(r + 1, 0, spec.headers, bold)
        example.write_row(r + 2, 0, [c.example for c in spec.columns])
        r += 5
    example.set_column(0, 12, 16)
    wb.close()
    return buffer.getvalue()
