"""The appraisal form (年度考核登记表) as a PDF: one person's, for those who may read the
appraisal, and every form of a cycle in a ZIP written by a background task."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.test import Client
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from jixiao.appraisals.models import Appraisal, CyclePhase, ResultFile, ResultFileKind
from jixiao.appraisals.pdf import appraisal_form_pdf
from jixiao.appraisals.results_export import result_file_create
from tests.appraisals.conftest import actor
from tests.appraisals.test_results import (
    ANONYMOUS_NAMES,
    SECRET_COMMENTS,
    client,
    rate_the_cycle,
    set_phase,
)


@pytest.fixture
def rated(org, cycle):
    return rate_the_cycle(org, cycle)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def pdf_fonts(data: bytes) -> set[str]:
    fonts: set[str] = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        resources = page["/Resources"].get_object()
        assert isinstance(resources, DictionaryObject)
        if "/Font" not in resources:
            continue
        table = resources["/Font"].get_object()
        assert isinstance(table, DictionaryObject)
        for ref in table.values():
            font = ref.get_object()
            assert isinstance(font, DictionaryObject)
            fonts.add(str(font["/BaseFont"]))
    return fonts


def test_the_form_is_an_a4_pdf_with_chinese_text(org, rated):
    set_phase(rated, CyclePhase.RESULTS)
    employee = Appraisal.objects.get(cycle=rated, person=org.employee)
    Appraisal.objects.filter(pk=employee.pk).update(
        summary="全年起草公文一百二十篇，按时办结率百分之百。"
    )
    response = client(org, "employee").get(f"/appraisals/results/{employee.pk}/form.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    data = response.content
    assert data.startswith(b"%PDF")
    page = PdfReader(io.BytesIO(data)).pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert abs(width - 595.28) < 1 and abs(height - 841.89) < 1  # A4 in points
    text = pdf_text(data).replace(" ", "").replace("\n", "")
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    for expected in (
        "李文",
        "A0002",
        "年度考核登记表",
        "本人签署意见",
        "全年起草公文一百二十篇",
        "2026年度考核",
        f"{employee.total:.2f}",
    ):
        assert expected in text, expected
    assert any("CJK" in font for font in pdf_fonts(data))
    for secret in (*ANONYMOUS_NAMES, *SECRET_COMMENTS):
        assert secret not in text


def test_before_results_the_persons_form_has_no_scores(org, rated):
    employee = Appraisal.objects.get(cycle=rated, person=org.employee)
    own = pdf_text(
        client(org, "employee").get(f"/appraisals/results/{employee.pk}/form.pdf").content
    )
    assert "李文" in own and f"{employee.total:.2f}" not in own
    office = pdf_text(appraisal_form_pdf(employee, with_scores=True))
    assert f"{employee.total:.2f}" in office
    # those who may not read the appraisal get nothing
    assert client(org, "peer").get(f"/appraisals/results/{employee.pk}/form.pdf").status_code == 404
    assert client(org, "head").get(f"/appraisals/results/{employee.pk}/form.pdf").status_code == 404
    set_phase(rated, CyclePhase.RESULTS)
    assert client(org, "head").get(f"/appraisals/results/{employee.pk}/form.pdf").status_code == 200


def test_every_form_of_a_cycle_in_a_zip_as_a_task(
    org, rated, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.UPLOAD_DIR = tmp_path
    perfadmin = org.users["perfadmin"]
    with django_capture_on_commit_callbacks(execute=True):
        job = result_file_create(
            actor=actor(perfadmin), user=perfadmin, cycle_id=rated.pk, kind=ResultFileKind.FORMS
        )
    job.refresh_from_db()
    assert job.status == "succeeded" and job.total == job.done == 4, job.message
    progress = Client()
    progress.force_login(perfadmin)
    fragment = progress.get(f"/appraisals/results/files/{job.pk}/progress/").content.decode()
    assert 'data-status="succeeded"' in fragment and "hx-get" not in fragment
    response = progress.get(f"/appraisals/results/files/{job.pk}/download/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.getvalue()))
    names = sorted(archive.namelist())
    assert names == ["A0001-王主任.pdf", "A0002-李文.pdf", "A0003-赵敏.pdf", "A0004-陈晨.pdf"]
    data = archive.read("A0003-赵敏.pdf")
    assert data.startswith(b"%PDF") and "赵敏" in pdf_text(data)
    # the file is perfadmin's alone
    assert (
        client(org, "leader").get(f"/appraisals/results/files/{job.pk}/download/").status_code
        == 404
    )
    assert ResultFile.objects.filter(kind=ResultFileKind.FORMS).count() == 1
