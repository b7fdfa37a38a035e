"""Import files at and beyond their limits: a 20,000-person workbook with scattered bad rows,
sheets whose used area reaches too far (checked before calamine builds its grid), and CSV
files with too many rows or fields."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from jixiao.imports.formats import DEPARTMENTS, PEOPLE
from jixiao.imports.parsing import MAX_COLUMNS, column_letters, read_org_file
from jixiao.imports.xlsx_extent import NotAWorkbook, sheet_extents
from jixiao.org.models import Department, Person
from tests.test_imports import assert_rejected, codes, counts, run

PEOPLE_COUNT = 20_000
SECTIONS = [f"X{i:02d}" for i in range(1, 11)]
DEPARTMENT_CODES = ["D001", "S001", "D002", *SECTIONS]


def _person(i: int) -> list[str]:
    """Person number i (1-based): the first 50 have no superior, everyone else reports to one
    of them, so that the reporting lines are real but a changed 工号 breaks none of them."""
    return [
        f"E{i:05d}",
        f"员工{i}",
        "女" if i % 2 else "男",
        DEPARTMENT_CODES[i % len(DEPARTMENT_CODES)],
        "",
        "一级科员",
        "" if i <= 50 else f"E{i % 50 + 1:05d}",
        f"20{10 + i % 15}-0{1 + i % 9}-1{i % 10}",
        "借调" if i % 997 == 0 else "在岗",
        "",
        f"e{i}@example.cn" if i % 3 == 0 else "",
        "",
    ]


# data line (row number in Excel) → (column index, bad value)
BAD_CELLS: dict[int, tuple[int, str]] = {
    1_235: (3, "D999"),  # unknown department
    5_001: (0, "E12000"),  # the 工号 of line 12,001
    17_778: (7, "2021-02-30"),  # no such day
    19_999: (9, "昨天"),  # not a date
}


def _large_workbook(path: Path, *, bad: bool) -> Path:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("部门")
    ws.write_row(0, 0, DEPARTMENTS.headers)
    for r, code in enumerate(SECTIONS, start=1):
        ws.write_row(r, 0, [code, f"窗口{code}", "科室", "D002", r, "", "启用"])
    ws = wb.add_worksheet("人员")
    ws.write_row(0, 0, PEOPLE.headers)
    for i in range(1, PEOPLE_COUNT + 1):
        row = _person(i)
        line = i + 1
        if bad and line in BAD_CELLS:
            column, value = BAD_CELLS[line]
            row[column] = value
        ws.write_row(i, 0, row)
    wb.close()
    return path


def test_a_large_workbook_with_scattered_bad_rows(org, tmp_path):
    before = counts()
    path = _large_workbook(tmp_path / "large-bad.xlsx", bad=True)
    outcome = run(path)
    assert_rejected(outcome, before)
    assert outcome.rows == PEOPLE_COUNT + len(SECTIONS)
    assert codes(outcome) == {
        ("人员", 1_235, "部门编码", "unknown_department"),
        ("人员", 5_001, "工号", "duplicate_in_file"),
        ("人员", 12_001, "工号", "duplicate_in_file"),
        ("人员", 17_778, "入职日期", "invalid_date"),
        ("人员", 19_999, "状态起始日期", "invalid_date"),
    }
    assert len(outcome.errors) == 5
    reasons = {e.line: str(e.message) for e in outcome.errors}
    assert "D999" in reasons[1_235]
    assert "E12000" in reasons[5_001] and "5001、12001" in reasons[5_001]
    assert "5001、12001" in reasons[12_001]
    assert "2021-02-30" in reasons[17_778] and "昨天" in reasons[19_999]

    outcome = run(_large_workbook(tmp_path / "large-good.xlsx", bad=False))
    assert outcome.ok, outcome.errors[:5]
    assert outcome.created == {"departments": len(SECTIONS), "posts": 0, "people": PEOPLE_COUNT}
    assert Person.objects.count() == before[2] + PEOPLE_COUNT
    assert Department.objects.filter(code__in=SECTIONS, parent=org.service).count() == 10
    e12000 = Person.objects.select_related("superior", "department").get(employee_no="E12000")
    assert e12000.superior is not None and e12000.superior.employee_no == "E00001"
    assert e12000.department.code == DEPARTMENT_CODES[12_000 % len(DEPARTMENT_CODES)]


# ---------------------------------------------------------------- how far a sheet reaches


def _xlsxwriter_book(path: Path, cells: list[tuple[int, int, str]], sheet: str = "人员") -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(sheet)
    for r, c, value in cells:
        ws.write_string(r, c, value)
    wb.close()
    return path


def test_one_cell_in_the_last_corner_is_refused(org, tmp_path, settings):
    """A few kilobytes that calamine would turn into 17 billion cells."""
    settings.JIXIAO_IMPORT_MAX_ROWS = 200_000
    path = _xlsxwriter_book(tmp_path / "corner.xlsx", [(1_048_575, 16_383, "x")])
    assert path.stat().st_size < 10_000
    before = counts()
    outcome = run(path)
    assert_rejected(outcome, before)
    assert {(e.sheet, e.code) for e in outcome.errors} == {
        ("人员", "too_many_rows"),
        ("人员", "too_many_columns"),
    }
    messages = " ".join(str(e.message) for e in outcome.errors)
    assert "1048576" in messages and "XFD" in messages and "200000" in messages


def test_a_header_and_a_far_cell_never_reach_calamine(org, tmp_path, monkeypatch):
    """With A1 filled too, calamine itself would ask for half a terabyte and abort."""
    path = _xlsxwriter_book(
        tmp_path / "far.xlsx", [(0, 0, "工号"), (0, 1, "姓名"), (1_048_575, 16_383, "x")]
    )

    def refuse(*args, **kwargs):
        raise AssertionError("the sheet was loaded")

    monkeypatch.setattr("python_calamine.CalamineWorkbook.get_sheet_by_name", refuse)
    parsed = read_org_file(path)
    assert {e.code for e in parsed.errors} == {"too_many_rows", "too_many_columns"}


@pytest.mark.parametrize(
    ("cells", "code"),
    [
        ([(0, 0, "工号"), (200_001, 0, "x")], "too_many_rows"),
        ([(0, 0, "工号"), (3, MAX_COLUMNS, "x")], "too_many_columns"),
    ],
)
def test_just_beyond_the_limits(org, tmp_path, settings, cells, code):
    settings.JIXIAO_IMPORT_MAX_ROWS = 200_000
    parsed = read_org_file(_xlsxwriter_book(tmp_path / "edge.xlsx", cells))
    assert [e.code for e in parsed.errors] == [code]


def test_just_within_the_limits_is_read(org, tmp_path, settings):
    settings.JIXIAO_IMPORT_MAX_ROWS = 3
    header = [(0, c, h) for c, h in enumerate(["工号", "姓名", "部门编码"])]
    rows = [(r, c, v) for r in (1, 2, 3) for c, v in enumerate([f"Z{r}", f"人{r}", "D001"])]
    path = _xlsxwriter_book(tmp_path / "three.xlsx", header + rows)
    outcome = run(path)
    assert outcome.ok and outcome.created["people"] == 3
    four = _xlsxwriter_book(tmp_path / "four.xlsx", [*header, *rows, (4, 0, "Z4")])
    before = counts()
    outcome = run(four)
    assert_rejected(outcome, before)
    assert [(e.sheet, e.code) for e in outcome.errors] == [("人员", "too_many_rows")]
    assert "3" in str(outcome.errors[0].message)


def test_a_wide_sheet_elsewhere_in_the_workbook_is_not_read(org, tmp_path):
    """Only the import's own sheets are scanned and loaded."""
    wb = xlsxwriter.Workbook(str(tmp_path / "notes.xlsx"))
    wb.add_worksheet("备注").write_string(1_048_575, 16_383, "x")
    ws = wb.add_worksheet("人员")
    ws.write_row(0, 0, ["工号", "姓名", "部门编码"])
    ws.write_row(1, 0, ["Z1", "人一", "D001"])
    wb.close()
    outcome = run(tmp_path / "notes.xlsx")
    assert outcome.ok and outcome.created["people"] == 1


def _raw_xlsx(path: Path, sheet_data: str, *, prefix: str = "") -> Path:
    """A minimal workbook with a hand-written sheet, as odd writers produce them."""
    p = f"{prefix}:" if prefix else ""
    ns = f"xmlns{':' + prefix if prefix else ''}"
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?><{p}worksheet {ns}="{main}">'
        f"<{p}sheetData>{sheet_data}</{p}sheetData></{p}worksheet>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org'
            '/package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/s1.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="人员" sheetId="1" r:id="rId7"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{pkg}"><Relationship Id="rId7" Type="{rel}/worksheet" '
            'Target="/xl/worksheets/s1.xml"/></Relationships>',
        )
        z.writestr("xl/worksheets/s1.xml", sheet)
    return path


def _cell(text: str, ref: str = "", prefix: str = "") -> str:
    p = f"{prefix}:" if prefix else ""
    r = f' r="{ref}"' if ref else ""
    return f'<{p}c{r} t="inlineStr"><{p}is><{p}t>{text}</{p}t></{p}is></{p}c>'


def _calamine_extent(path: Path) -> tuple[int, int]:
    end = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("人员").end
    assert end is not None
    return end[0] + 1, end[1] + 1


SHAPES = {
    "no references": (
        "<row>" + _cell("a") + _cell("b") + "</row><row>" + _cell("c") + "</row>",
        "",
    ),
    "cells without r in a wide row": (
        "<row>" + _cell("a") + "<c/>" * 250 + _cell("b") + "</row>",
        "",
    ),
    "cell beyond its row": (
        '<row r="1">' + _cell("a", "A1") + '</row><row r="2">' + _cell("b", "C900") + "</row>",
        "",
    ),
    "prefixed tags": (
        '<x:row r="4">' + _cell("a", "B4", "x") + _cell("b", "AB4", "x") + "</x:row>",
        "x",
    ),
    "attributes in another order": (
        "<row r='3'><c t=\"inlineStr\" r='D3'><is><t>a</t></is></c></row>",
        "",
    ),
}


@pytest.mark.parametrize("name", list(SHAPES))
def test_the_scan_agrees_with_calamine(tmp_path, name):
    sheet_data, prefix = SHAPES[name]
    path = _raw_xlsx(tmp_path / "raw.xlsx", sheet_data, prefix=prefix)
    # row_limit 1: every cell's row number is read, so the extent is exact
    extent = sheet_extents(path, ["人员"], row_limit=1)["人员"]
    rows, columns = _calamine_extent(path)
    assert (extent.rows, extent.columns) == (rows, columns), name


def test_a_far_cell_in_a_near_row_is_caught(org, tmp_path, settings):
    """A cell may name a row far below the <row> element that holds it, and cells without a
    reference widen their row one by one."""
    settings.JIXIAO_IMPORT_MAX_ROWS = 200_000
    data = (
        '<row r="1">' + _cell("工号", "A1") + '</row><row r="2">' + _cell("x", "A999999") + "</row>"
    )
    parsed = read_org_file(_raw_xlsx(tmp_path / "hidden.xlsx", data))
    assert [e.code for e in parsed.errors] == ["too_many_rows"]
    many = "<row>" + _cell("工号") + "<c/>" * (MAX_COLUMNS + 5) + "</row>"
    parsed = read_org_file(_raw_xlsx(tmp_path / "bare.xlsx", many))
    assert [e.code for e in parsed.errors] == ["too_many_columns"]


def test_a_broken_workbook_structure_is_invalid(tmp_path):
    path = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("_rels/.rels", "<not xml")
    with pytest.raises(NotAWorkbook):
        sheet_extents(path, ["人员"], row_limit=10)


def test_column_letters():
    assert [column_letters(n) for n in (1, 26, 27, 200, 16_384)] == ["A", "Z", "AA", "GR", "XFD"]


# ---------------------------------------------------------------- CSV


def _csv(path: Path, rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def test_csv_with_too_many_rows(org, tmp_path, settings):
    settings.JIXIAO_IMPORT_MAX_ROWS = 5
    header = ["工号", "姓名", "部门编码"]
    rows = [[f"Z{i}", f"人{i}", "D001"] for i in range(1, 6)]
    assert run(_csv(tmp_path / "five.csv", [header, *rows])).ok
    before = counts()
    outcome = run(_csv(tmp_path / "six.csv", [header, *rows, ["Z6", "人6", "D001"]]))
    assert_rejected(outcome, before)
    assert [e.code for e in outcome.errors] == ["too_many_rows"]
    assert "5" in str(outcome.errors[0].message)


def test_csv_with_too_many_fields(org, tmp_path):
    header = ["工号", "姓名", "部门编码"]
    wide = ["Z1", "人1", "D001", *([""] * MAX_COLUMNS)]
    before = counts()
    outcome = run(_csv(tmp_path / "wide.csv", [header, wide]))
    assert_rejected(outcome, before)
    assert [(e.line, e.code) for e in outcome.errors] == [(2, "too_many_columns")]
