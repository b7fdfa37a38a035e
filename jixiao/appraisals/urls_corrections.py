"""The office's correction pages: a cycle's settings, a person's eligibility."""

from django.urls import URLPattern, path

from jixiao.appraisals import views_corrections as v

urlpatterns: list[URLPattern] = [
    path("cycles/<int:pk>/edit/", v.cycle_edit, name="cycle_edit"),
    path("results/<int:pk>/eligibility/", v.appraisal_eligibility, name="results_eligibility"),
]
