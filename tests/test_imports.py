"""Organization import and export: validation, writes, audit, pages, CSV, CLI."""

from __future__ import annotations

import csv
import datetime
import io
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from jixiao.core.actor import Actor
from jixiao.core.models import AuditRecord
from jixiao.imports.formats import DEPARTMENTS, PEOPLE, POSTS
from jixiao.imports.models import ImportJob, ImportStatus
from jixiao.imports.org_export import export_org_csv, export_org_workbook
from jixiao.imports.org_import import import_org_file
from jixiao.org.access import scope_for
from jixiao.org.models import Department, Person, PersonStatusChange, Post, Role
from tests import factories as f

ACTOR = Actor.system(label="test", source="import")
DEPT_H: list[object] = list(DEPARTMENTS.headers)
POST_H: list[object] = list(POSTS.headers)
PEOPLE_H: list[object] = list(PEOPLE.headers)


def workbook(tmp_path: Path, sheets: dict[str, list[list[object]]], name: str = "org.xlsx") -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    path = tmp_path / name
    wb.save(path)
    return path


def person_row(no: str, name: str, dept: str, **kw: object) -> list[object]:
    values: dict[str, object] = {
        "性别": "男",
        "岗位编码": "",
        "职级": "一级科员",
        "直接上级工号": "",
        "入职日期": "2020-01-02",
        "状态": "在岗",
        "状态起始日期": "",
        "邮箱": "",
        "电话": "",
    }
    values.update(kw)
    return [
        no,
        name,
        values["性别"],
        dept,
        values["岗位编码"],
        values["职级"],
        values["直接上级工号"],
        values["入职日期"],
        values["状态"],
        values["状态起始日期"],
        values["邮箱"],
        values["电话"],
    ]


def good_sheets() -> dict[str, list[list[object]]]:
    return {
        "部门": [
            DEPT_H,
            ["D010", "法规科", "科室", "D011", 2, "", "启用"],
            ["D011", "法规处", "部门", "U001", 1, "负责法规工作", "启用"],
        ],
        "岗位": [
            POST_H,
            ["P010", "法规处处长", "D011", "领导职务", "管理", 1, "主持全面工作", "启用"],
            ["P011", "法规专员", "D010", "非领导职务", "专业技术", 3, "", ""],
        ],
        "人员": [
            PEOPLE_H,
            person_row("N001", "周处长", "D011", 岗位编码="P010", 直接上级工号="A0001"),
            person_row(
                "N002",
                "吴专员",
                "D010",
                岗位编码="P011",
                直接上级工号="N001",
                性别="女",
                入职日期=datetime.datetime(2021, 5, 6),
                邮箱="wu@example.cn",
            ),
            person_row(
                "N003",
                "郑专员",
                "D010",
                岗位编码="P011",
                直接上级工号="N002",
                状态="借调",
                状态起始日期="2024-02-01",
            ),
        ],
    }


def counts() -> tuple[int, int, int, int, int]:
    return (
        Department.objects.count(),
        Post.objects.count(),
        Person.objects.count(),
        AuditRecord.objects.count(),
        PersonStatusChange.objects.count(),
    )


def run(path: Path, scope=None, **kw):
    return import_org_file(path, actor=ACTOR, scope=scope, **kw)


def codes(outcome) -> set[tuple[str, int, str, str]]:
    return {(e.sheet, e.line, e.column, e.code) for e in outcome.errors}


# ---------------------------------------------------------------- good files


def test_good_file_writes_everything(org, tmp_path):
    before = counts()
    outcome = run(workbook(tmp_path, good_sheets()))
    assert outcome.ok, outcome.errors
    assert outcome.created == {"departments": 2, "posts": 2, "people": 3}
    assert counts() == (before[0] + 2, before[1] + 2, before[2] + 3, before[3] + 7, before[4] + 3)
    d11 = Department.objects.get(code="D011")
    d10 = Department.objects.get(code="D010")
    assert d11.parent == org.unit and d11.path == f"{org.unit.path}{d11.pk}/" and d11.depth == 1
    assert d10.parent == d11 and d10.path == f"{d11.path}{d10.pk}/" and d10.depth == 2
    n1, n2, n3 = (Person.objects.get(employee_no=n) for n in ("N001", "N002", "N003"))
    assert n1.superior == org.head and n2.superior == n1 and n3.superior == n2
    assert n2.hire_date == datetime.date(2021, 5, 6) and n2.gender == "F"
    assert n3.status == "seconded" and n3.status_since == datetime.date(2024, 2, 1)
    assert n1.status_since == datetime.date(2020, 1, 2)
    assert Post.objects.get(code="P011").headcount == 3
    rec = AuditRecord.objects.get(object_type="org.person", object_id=str(n2.pk))
    assert rec.action == "org.person.create" and rec.source == "import"
    assert rec.changes["name"] == [None, "吴专员"]


def test_reimport_updates_instead_of_duplicating(org, tmp_path):
    assert run(workbook(tmp_path, good_sheets())).ok
    before = counts()
    sheets = good_sheets()
    sheets["人员"][2][1] = "吴新名"
    outcome = run(workbook(tmp_path, sheets, "again.xlsx"))
    assert outcome.ok, outcome.errors
    assert outcome.updated == {"departments": 0, "posts": 0, "people": 1}
    assert outcome.unchanged == {"departments": 2, "posts": 2, "people": 2}
    assert outcome.created == {"departments": 0, "posts": 0, "people": 0}
    after = counts()
    assert after[:3] == before[:3] and after[3] == before[3] + 1
    person = Person.objects.get(employee_no="N002")
    assert person.name == "吴新名" and person.version == 2
    rec = AuditRecord.objects.order_by("-id").first()
    assert rec is not None
    assert rec.action == "org.person.update" and rec.object_id == str(person.pk)
    assert rec.changes == {"name": ["吴专员", "吴新名"]}


def test_reimport_moves_department_and_changes_status(org, tmp_path):
    assert run(workbook(tmp_path, good_sheets())).ok
    sheets = good_sheets()
    sheets["部门"][2][3] = "D001"  # 法规处 moves under 办公室, with 法规科 below it
    sheets["人员"][3] = person_row(
        "N003",
        "郑专员",
        "D010",
        岗位编码="P011",
        直接上级工号="N002",
        状态="产假",
        状态起始日期="2025-01-01",
    )
    outcome = run(workbook(tmp_path, sheets, "move.xlsx"))
    assert outcome.ok, outcome.errors
    assert outcome.updated == {"departments": 1, "posts": 0, "people": 1}
    d11 = Department.objects.get(code="D011")
    d10 = Department.objects.get(code="D010")
    assert d11.path == f"{org.office.path}{d11.pk}/" and d11.depth == 2 and d11.version == 2
    assert d10.path == f"{d11.path}{d10.pk}/" and d10.depth == 3 and d10.version == 1
    n3 = Person.objects.get(employee_no="N003")
    history = list(n3.status_changes.order_by("start_date").values_list("status", "end_date"))
    assert history == [("seconded", datetime.date(2025, 1, 1)), ("maternity", None)]


def test_dry_run_writes_nothing(org, tmp_path):
    before = counts()
    outcome = run(workbook(tmp_path, good_sheets()), dry_run=True)
    assert outcome.ok and outcome.created["people"] == 3
    assert counts() == before


# ---------------------------------------------------------------- bad files: nothing written


def assert_rejected(outcome, before):
    assert not outcome.ok
    assert outcome.errors
    assert counts() == before


def test_missing_required_field(org, tmp_path):
    sheets = good_sheets()
    sheets["人员"][2][1] = ""
    sheets["岗位"][1][3] = None
    before = counts()
    outcome = run(workbook(tmp_path, sheets))
    assert_rejected(outcome, before)
    assert codes(outcome) == {("人员", 3, "姓名", "required"), ("岗位", 2, "岗位类别", "required")}


def test_unknown_department_post_and_superior(org, tmp_path):
    sheets = good_sheets()
    sheets["人员"][1][3] = "NOPE"
    sheets["人员"][2][4] = "P999"
    sheets["人员"][3][6] = "Z999"
    sheets["部门"][1][3] = "X000"
    before = counts()
    outcome = run(workbook(tmp_path, sheets))
    assert_rejected(outcome, before)
    assert codes(outcome) == {
        ("部门", 2, "上级编码", "unknown_department"),
        ("人员", 2, "部门编码", "unknown_department"),
        ("人员", 3, "岗位编码", "unknown_post"),
        ("人员", 4, "直接上级工号", "unknown_person"),
    }


def test_employee_no_duplicated_in_file(org, tmp_path):
    sheets = good_sheets()
    sheets["人员"].append(person_row("N001", "重复", "D011"))
    before = counts()
    outcome = run(workbook(tmp_path, sheets))
    assert_rejected(outcome, before)
    assert codes(outcome) == {
        ("人员", 2, "工号", "duplicate_in_file"),
        ("人员", 5, "工号", "duplicate_in_file"),
    }
    assert "2、5" in outcome.errors[0].message


def test_reporting_loop_in_file_and_with_database(org, tmp_path):
    sheets = good_sheets()
    sheets["人员"][1][6] = "N003"  # N001 → N003 → N002 → N001
    sheets["人员"].append(
        person_row("A0001", "王主任", "D001", 岗位编码="P001", 直接上级工号="A0002")
    )
    before = counts()
    outcome = run(workbook(tmp_path, sheets))
    assert_rejected(outcome, before)
    assert codes(outcome) == {
        ("人员", 2, "直接上级工号", "reporting_loop"),
        ("人员", 3, "直接上级工号", "reporting_loop"),
        ("人员", 4, "直接上级工号", "reporting_loop"),
        ("人员", 5, "直接上级工号", "reporting_loop"),  # A0001 → A0002 (database) → A0001
    }


def test_department_tree_loop(org, tmp_path):
    sheets = good_sheets()
    sheets["部门"][2][3] = "D010"
    sheets["部门"].append(["U001", "某市政务服务管理局", "单位", "S001", 0, "", "启用"])
    before = counts()
    outcome = run(workbook(tmp_path, sheets))
    assert_rejected(outcome, before)
    assert {(s, line, c) for s, line, c, code in codes(outcome) if code == "tree_loop"} == {
        ("部门", 2, "上级编码"),
        ("部门", 3, "上级编码"),
        ("部门", 4, "上级编码"),
    }


def test_malformed_dates_choices_and_numbers(org, tmp_path):
    sheets = good_sheets()
    sheets["人员"][1][7] = "2020-13-01"
    sheets["人员"][2][9] = "昨天"
    sheets["人员"][3][2] = "未知"
    sheets["岗位"][1][5] = "两个"
    sheets["人员"][3][10] = "not-an-email"
    before = counts()
    outcome = run(workbook(tmp_path, sheets))
    assert_rejected(outcome, before)
    assert codes(outcome) == {
        ("岗位", 2, "编制数", "invalid_number"),
        ("人员", 2, "入职日期", "invalid_date"),
        ("人员", 3, "状态起始日期", "invalid_date"),
        ("人员", 4, "性别", "invalid_choice"),
        ("人员", 4, "邮箱", "invalid_email"),
    }


def test_empty_file(org, tmp_path):
    before = counts()
    outcome = run(workbook(tmp_path, {"部门": [DEPT_H], "人员": [PEOPLE_H]}))
    assert_rejected(outcome, before)
    assert [e.code for e in outcome.errors] == ["empty_file"]
    empty = tmp_path / "zero.xlsx"
    empty.write_bytes(b"")
    assert [e.code for e in run(empty).errors] == ["empty_file"]
    assert [e.code for e in run(workbook(tmp_path, {"Sheet1": [["a"]]}, "other.xlsx")).errors] == [
        "no_sheets"
    ]


def test_extra_and_missing_columns(org, tmp_path):
    before = counts()
    outcome = run(
        workbook(
            tmp_path,
            {
                "部门": [
                    [*DEPT_H, "备注", "负责人"],
                    ["D020", "x", "部门", "U001", 0, "", "启用", "", ""],
                ],
                "人员": [[h for h in PEOPLE_H if h not in {"姓名", "部门编码"}], ["N9"]],
            },
        )
    )
    assert_rejected(outcome, before)
    by_code = {e.code: e for e in outcome.errors}
    assert set(by_code) == {"unknown_columns", "missing_columns"}
    assert (
        by_code["unknown_columns"].sheet == "部门"
        and by_code["unknown_columns"].column == "备注、负责人"
    )
    assert (
        by_code["missing_columns"].sheet == "人员"
        and by_code["missing_columns"].column == "姓名、部门编码"
    )


def test_optional_columns_may_be_left_out(org, tmp_path):
    outcome = run(
        workbook(tmp_path, {"人员": [["工号", "姓名", "部门编码"], ["A0002", "李文", "S001"]]})
    )
    assert outcome.ok and outcome.unchanged["people"] == 1
    employee = Person.objects.get(employee_no="A0002")
    assert employee.superior == org.head and employee.rank == "一级科员"


def test_not_a_spreadsheet(org, tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("工号,姓名\nthis is not a workbook\n", encoding="utf-8")
    before = counts()
    outcome = run(path)
    assert_rejected(outcome, before)
    assert [(e.code, str(e.message)) for e in outcome.errors] == [
        ("invalid_workbook", "文件不是有效的 .xlsx 工作簿。")
    ]


def test_file_over_the_byte_limit(org, tmp_path, settings):
    path = workbook(tmp_path, good_sheets())
    settings.JIXIAO_IMPORT_MAX_BYTES = path.stat().st_size - 1
    before = counts()
    outcome = run(path)
    assert_rejected(outcome, before)
    assert [e.code for e in outcome.errors] == ["file_too_large"]


def test_rows_outside_the_scope(org, tmp_path):
    narrow = f.make_user("narrow")
    f.grant(narrow, Role.PERFORMANCE_ADMIN, org.office)
    sheets: dict[str, list[list[object]]] = {
        "部门": [
            DEPT_H,
            ["D030", "新科室", "科室", "D001", 0, "", ""],
            ["D031", "外部科", "科室", "D002", 0, "", ""],
            ["D032", "顶层单位", "单位", "", 0, "", ""],
        ],
        "人员": [
            PEOPLE_H,
            person_row("A0004", "陈晨改", "D002"),
            person_row("A0002", "李文", "S001", 直接上级工号="A0001"),
        ],
    }
    before = counts()
    outcome = run(workbook(tmp_path, sheets), scope=scope_for(narrow))
    assert_rejected(outcome, before)
    assert codes(outcome) == {
        ("部门", 3, "上级编码", "out_of_scope"),
        ("部门", 4, "上级编码", "out_of_scope"),
        ("人员", 2, "部门编码", "out_of_scope"),
    }


def test_inactive_department_with_people_is_refused(org, tmp_path):
    outcome = run(
        workbook(
            tmp_path, {"部门": [DEPT_H, ["D002", "政务服务科", "部门", "U001", 0, "", "停用"]]}
        )
    )
    assert not outcome.ok
    assert codes(outcome) == {("部门", 2, "状态", "department_has_people")}


# ---------------------------------------------------------------- CSV, export, round trip


def write_csv(path: Path, rows: list[list[object]], encoding: str) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_import(org, tmp_path, encoding):
    path = write_csv(
        tmp_path / "people.csv",
        [
            PEOPLE_H,
            person_row("C001", "冯晓", "S001", 直接上级工号="A0001", 岗位编码="P002"),
        ],
        encoding,
    )
    outcome = run(path)
    assert outcome.ok, outcome.errors
    assert outcome.created["people"] == 1
    assert Person.objects.get(employee_no="C001").name == "冯晓"


def test_csv_errors_name_the_kind(org, tmp_path):
    path = write_csv(
        tmp_path / "d.csv", [DEPT_H, ["D040", "", "部门", "U001", "", "", ""]], "gb18030"
    )
    outcome = run(path)
    assert codes(outcome) == {("部门", 2, "名称", "required")}


def test_round_trip_export_import_is_unchanged(org, tmp_path):
    assert run(workbook(tmp_path, good_sheets())).ok
    before = counts()
    for user in (None, org.users["perfadmin"]):
        path = tmp_path / "export.xlsx"
        export_org_workbook(path, user=user)
        outcome = run(path, scope=None if user is None else scope_for(user))
        assert outcome.ok, outcome.errors
        assert sum(outcome.created.values()) == 0 and sum(outcome.updated.values()) == 0
        assert outcome.unchanged == {"departments": 6, "posts": 5, "people": 7}
    for kind in ("departments", "posts", "people"):
        path = tmp_path / f"{kind}.csv"
        export_org_csv(path, kind, user=None)
        outcome = run(path)
        assert outcome.ok and sum(outcome.unchanged.values()) > 0
        assert sum(outcome.updated.values()) == 0
    assert counts() == before


def test_export_is_limited_to_what_the_user_sees(org, tmp_path):
    path = tmp_path / "head.xlsx"
    export_org_workbook(path, user=org.users["head"])
    wb = openpyxl.load_workbook(path, read_only=True)
    codes_seen = {r[0] for r in wb["部门"].iter_rows(min_row=2, values_only=True)}
    people = {r[0] for r in wb["人员"].iter_rows(min_row=2, values_only=True)}
    assert codes_seen == {"D001", "S001"}
    assert "A0004" not in people and {"A0001", "A0002", "A0003"} <= people


# ---------------------------------------------------------------- pages


def test_import_through_the_page(org, tmp_path, client_for, django_capture_on_commit_callbacks):
    client = client_for("perfadmin")
    path = workbook(tmp_path, good_sheets())
    with django_capture_on_commit_callbacks(execute=True), open(path, "rb") as fh:
        response = client.post(reverse("imports:index"), {"file": fh})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "imports:job", args=[job.pk]
    )
    assert job.status == ImportStatus.SUCCEEDED and job.owner == org.users["perfadmin"]
    assert job.summary["created"]["people"] == 3 and job.total_rows == 7
    assert not Path(job.stored_path).exists()
    assert Person.objects.filter(employee_no__startswith="N").count() == 3
    assert (
        AuditRecord.objects.filter(actor_id=org.users["perfadmin"].pk, source="import").count() == 7
    )
    page = client.get(reverse("imports:job", args=[job.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="import-summary"' in html and "every 1s" not in html
    partial = client.get(reverse("imports:job_progress", args=[job.pk]))
    assert partial.status_code == 200 and b"<html" not in partial.content
    index = client.get(reverse("imports:index"))
    assert "org.xlsx" in index.content.decode()


def test_bad_file_through_the_page_lists_every_row(
    org, tmp_path, client_for, django_capture_on_commit_callbacks
):
    client = client_for("perfadmin")
    sheets = good_sheets()
    sheets["人员"][1][1] = ""
    sheets["人员"][2][7] = "2020/99/99"
    path = workbook(tmp_path, sheets)
    before = counts()
    with django_capture_on_commit_callbacks(execute=True), open(path, "rb") as fh:
        client.post(reverse("imports:index"), {"file": fh, "dry_run": "on"})
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.FAILED and len(job.errors) == 2 and job.dry_run
    assert counts() == before
    html = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert 'id="import-errors"' in html and "姓名" in html and "入职日期" in html


def test_running_job_polls_itself(org, client_for):
    job = ImportJob.objects.create(
        owner=org.users["perfadmin"],
        file_name="x.xlsx",
        stored_path="/nonexistent",
        status=ImportStatus.RUNNING,
        total_rows=5000,
        processed_rows=2000,
    )
    html = (
        client_for("perfadmin").get(reverse("imports:job_progress", args=[job.pk])).content.decode()
    )
    assert 'hx-trigger="every 1s"' in html and "40%" in html


def test_upload_form_rejects_wrong_type(org, client_for):
    client = client_for("perfadmin")
    fh = io.BytesIO(b"hello")
    fh.name = "notes.txt"
    response = client.post(reverse("imports:index"), {"file": fh})
    assert response.status_code == 400 and not ImportJob.objects.exists()


def test_template_download(org, client_for, tmp_path):
    response = client_for("perfadmin").get(reverse("imports:template"))
    assert response.status_code == 200
    path = tmp_path / "template.xlsx"
    path.write_bytes(response.content)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:4] == ["说明", "部门", "岗位", "人员"]
    assert [c.value for c in wb["人员"][1]] == PEOPLE_H
    assert wb["部门"].data_validations.dataValidation
    assert [e.code for e in run(path).errors] == ["empty_file"]


IMPORT_PAGES = ["imports:index", "imports:template", "imports:export"]


@pytest.mark.parametrize("persona", ["employee", "head", "leader", "auditor", "outsider"])
def test_people_who_may_not_import_get_403(org, client_for, persona):
    client = client_for(persona)
    job = ImportJob.objects.create(
        owner=org.users[persona], file_name="x.xlsx", stored_path="/nonexistent"
    )
    for name in IMPORT_PAGES:
        assert client.get(reverse(name)).status_code == 403, name
    assert client.get(reverse("imports:export_csv", args=["people"])).status_code == 403
    assert client.get(reverse("imports:job", args=[job.pk])).status_code == 403
    assert client.get(reverse("imports:job_progress", args=[job.pk])).status_code == 403
    assert client.post(reverse("imports:index")).status_code == 403


def test_another_users_job_is_404(org, client_for):
    job = ImportJob.objects.create(
        owner=org.users["perfadmin"], file_name="x.xlsx", stored_path="/nonexistent"
    )
    client = client_for("sysadmin")
    assert client.get(reverse("imports:index")).status_code == 200
    assert client.get(reverse("imports:job", args=[job.pk])).status_code == 404
    assert client.get(reverse("imports:job_progress", args=[job.pk])).status_code == 404
    assert client_for("perfadmin").get(reverse("imports:job", args=[job.pk])).status_code == 200


def test_anonymous_is_sent_to_sign_in(org):
    response = Client().get(reverse("imports:index"))
    assert response.status_code == 302 and "/accounts/" in response["Location"]


def test_index_query_count(org, client_for, django_assert_max_num_queries):
    client = client_for("perfadmin")
    for i in range(5):
        ImportJob.objects.create(
            owner=org.users["perfadmin"], file_name=f"{i}.xlsx", stored_path="/x"
        )
    with django_assert_max_num_queries(12):
        assert client.get(reverse("imports:index")).status_code == 200


# ---------------------------------------------------------------- command line


def test_cli_import_and_export(org, tmp_path, capsys):
    path = workbook(tmp_path, good_sheets())
    call_command("import_org", str(path), "--dry-run")
    assert not Person.objects.filter(employee_no="N001").exists()
    call_command("import_org", str(path))
    out = capsys.readouterr().out
    assert "people: created 3, updated 0, unchanged 0" in out
    assert AuditRecord.objects.filter(source="import", actor_label__startswith="cli:").count() == 7
    xlsx = tmp_path / "all.xlsx"
    call_command("export_org", str(xlsx))
    call_command("import_org", str(xlsx))
    assert "people: created 0, updated 0, unchanged 7" in capsys.readouterr().out
    csv_path = tmp_path / "posts.csv"
    call_command("export_org", str(csv_path), "--kind", "posts")
    assert "P010" in csv_path.read_text(encoding="utf-8-sig")


def test_cli_bad_file_exits_non_zero_and_lists_every_row(org, tmp_path, capsys):
    sheets = good_sheets()
    sheets["人员"][1][3] = "NOPE"
    sheets["人员"][2][7] = "bad"
    path = workbook(tmp_path, sheets)
    with pytest.raises(CommandError, match="2 problem"):
        call_command("import_org", str(path))
    err = capsys.readouterr().err
    assert "人员:2:部门编码" in err and "人员:3:入职日期" in err
    with pytest.raises(SystemExit) as exc:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["manage.py", "import_org", str(path)])
    assert exc.value.code == 1
