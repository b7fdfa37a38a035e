"""Exports from the pages run as background tasks: start → task → progress page → download,
for the starter only, with the data the starter may see."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jixiao.imports.formats import PEOPLE
from jixiao.imports.models import ExportJob, ImportKind, ImportStatus
from jixiao.imports.services import export_job_create, export_job_run
from jixiao.org.models import Role, RoleGrant
from tests import factories as f


@pytest.fixture(autouse=True)
def _upload_dir(settings, tmp_path):
    settings.UPLOAD_DIR = tmp_path / "uploads"


@pytest.fixture
def start(django_capture_on_commit_callbacks):
    """POST to a start URL and run the queued task at commit, as the worker would."""

    def run(client, url: str) -> ExportJob:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url)
        job = ExportJob.objects.order_by("-id").first()
        assert job is not None
        assert response.status_code == 302
        assert response["Location"] == reverse("imports:export_job", args=[job.pk])
        job.refresh_from_db()
        return job

    return run


def download(client, job: ExportJob) -> bytes:
    response = client.get(reverse("imports:export_download", args=[job.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_workbook_export_runs_as_a_task_and_downloads(org, client_for, start, settings):
    client = client_for("perfadmin")
    job = start(client, reverse("imports:export"))
    assert job.status == ImportStatus.SUCCEEDED and job.owner == org.users["perfadmin"]
    assert job.kind == ImportKind.ORG and job.part == ""
    assert job.total_rows == job.processed_rows == 4 + 3 + 4  # departments, posts, people
    stored = Path(job.stored_path)
    assert stored.is_file() and stored.parent == Path(settings.UPLOAD_DIR) / "exports"
    assert job.file_name == f"org-{timezone.localdate():%Y%m%d}.xlsx"

    page = client.get(reverse("imports:export_job", args=[job.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and 'id="export-download"' in html and "every 1s" not in html
    partial = client.get(reverse("imports:export_job_progress", args=[job.pk]))
    assert partial.status_code == 200 and b"<html" not in partial.content

    response = client.get(reverse("imports:export_download", args=[job.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    assert job.file_name in response["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    assert wb.sheetnames == ["部门", "岗位", "人员"]
    people = {r[0] for r in wb["人员"].iter_rows(min_row=2, values_only=True)}
    assert people == {"A0001", "A0002", "A0003", "A0004"}
    index = client.get(reverse("imports:index")).content.decode()
    assert 'id="recent-exports"' in index and job.file_name in index


def test_csv_export_of_one_kind(org, client_for, start):
    client = client_for("perfadmin")
    job = start(client, reverse("imports:export_csv", args=["people"]))
    assert job.part == "people" and job.file_name.startswith("people-")
    text = download(client, job).decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(PEOPLE.headers) and "A0004" in text
    assert client.post("/imports/export/bogus.csv").status_code == 404
    assert client.get("/imports/export/bogus.csv").status_code == 404


def test_only_the_starter_may_see_or_download(org, client_for, start):
    job = start(client_for("perfadmin"), reverse("imports:export"))
    urls = [
        reverse("imports:export_job", args=[job.pk]),
        reverse("imports:export_job_progress", args=[job.pk]),
        reverse("imports:export_download", args=[job.pk]),
    ]
    for persona in ("sysadmin", "head", "employee", "outsider"):
        client = client_for(persona)
        for url in urls:
            assert client.get(url).status_code == 404, (persona, url)
    owner = client_for("perfadmin")
    assert [owner.get(url).status_code for url in urls] == [200, 200, 200]


def test_the_file_holds_what_the_starter_may_see(org, client_for, start):
    narrow = f.make_user("narrow")
    f.grant(narrow, Role.PERFORMANCE_ADMIN, org.office)
    client = Client()
    client.force_login(narrow)
    job = start(client, reverse("imports:export"))
    wb = openpyxl.load_workbook(io.BytesIO(download(client, job)), read_only=True)
    departments = {r[0] for r in wb["部门"].iter_rows(min_row=2, values_only=True)}
    people = {r[0] for r in wb["人员"].iter_rows(min_row=2, values_only=True)}
    assert departments == {"D001", "S001"}
    assert people == {"A0001", "A0002", "A0003"}  # not A0004 of 政务服务科


def test_starting_takes_a_post_and_the_right(org, client_for):
    for persona in ("head", "employee", "leader", "auditor", "outsider"):
        client = client_for(persona)
        for url in (
            reverse("imports:export"),
            reverse("imports:export_csv", args=["people"]),
            reverse("imports:indicators_export"),
            reverse("imports:indicators_export_csv", args=["levels"]),
        ):
            assert client.get(url).status_code == 403, (persona, url)
            assert client.post(url).status_code == 403, (persona, url)
    manager = client_for("perfadmin")
    for url in (
        reverse("imports:export"),
        reverse("imports:indicators_export_csv", args=["levels"]),
    ):
        page = manager.get(url)  # an old link: a button to start, nothing started yet
        assert page.status_code == 200 and 'id="export-start"' in page.content.decode()
    assert not ExportJob.objects.exists()


def test_a_running_export_polls_itself(org, client_for):
    job = ExportJob.objects.create(
        owner=org.users["perfadmin"],
        file_name="org.xlsx",
        status=ImportStatus.RUNNING,
        total_rows=5000,
        processed_rows=2000,
    )
    client = client_for("perfadmin")
    html = client.get(reverse("imports:export_job_progress", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in html and "40%" in html and "export-download" not in html
    assert client.get(reverse("imports:export_download", args=[job.pk])).status_code == 404


def test_permission_is_checked_again_when_the_task_runs(org, client_for):
    job = export_job_create(owner=org.users["perfadmin"], kind=ImportKind.ORG)
    RoleGrant.objects.filter(user=org.users["perfadmin"]).delete()
    export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and job.stored_path == "" and job.message
    # and a starter who lost the right cannot fetch earlier files either
    assert (
        client_for("perfadmin").get(reverse("imports:export_job", args=[job.pk])).status_code == 403
    )


def test_the_task_runs_once(org, start, client_for):
    job = start(client_for("perfadmin"), reverse("imports:export"))
    finished = job.finished_at
    export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.finished_at == finished and Path(job.stored_path).is_file()
    assert len(list(Path(job.stored_path).parent.iterdir())) == 1


def test_old_files_are_deleted(org, client_for, start):
    client = client_for("perfadmin")
    old = start(client, reverse("imports:export"))
    ExportJob.objects.filter(pk=old.pk).update(
        finished_at=timezone.now() - datetime.timedelta(days=2)
    )
    start(client, reverse("imports:export_csv", args=["posts"]))
    old.refresh_from_db()
    assert old.stored_path == ""
    assert client.get(reverse("imports:export_download", args=[old.pk])).status_code == 404
    html = client.get(reverse("imports:export_job", args=[old.pk])).content.decode()
    assert "export-download" not in html and 'class="alert alert-secondary"' in html


def test_unknown_parts_are_refused(org):
    with pytest.raises(ValueError):
        export_job_create(owner=org.users["perfadmin"], kind=ImportKind.ORG, part="levels")


def test_indicator_library_export(org, client_for, start):
    client = client_for("perfadmin")
    job = start(client, reverse("imports:indicators_export"))
    assert job.kind == ImportKind.INDICATORS and job.total_rows >= 20
    assert job.file_name.startswith("indicators-")
    wb = openpyxl.load_workbook(io.BytesIO(download(client, job)), read_only=True)
    assert wb.sheetnames == ["指标", "行为锚定等级"]
    job = start(client, reverse("imports:indicators_export_csv", args=["levels"]))
    assert download(client, job).decode("utf-8-sig").startswith("指标编码,等级")
    page = client.get(reverse("imports:export_job", args=[job.pk])).content.decode()
    assert reverse("imports:indicators") in page
    index = client.get(reverse("imports:indicators")).content.decode()
    assert job.file_name in index
    assert (
        client_for("sysadmin").get(reverse("imports:export_job", args=[job.pk])).status_code == 404
    )


def test_index_query_count_with_exports(org, client_for, django_assert_max_num_queries):
    for i in range(5):
        ExportJob.objects.create(owner=org.users["perfadmin"], file_name=f"{i}.xlsx")
    client = client_for("perfadmin")
    with django_assert_max_num_queries(13):
        assert client.get(reverse("imports:index")).status_code == 200
    with django_assert_max_num_queries(13):
        assert client.get(reverse("imports:indicators")).status_code == 200
