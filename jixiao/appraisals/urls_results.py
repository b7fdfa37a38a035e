"""Result pages: a person's result and form, KPI override and comment, the office's and a
head's lists of a cycle's results, and the result files."""

from django.urls import URLPattern, path

from jixiao.appraisals import views_results as v

urlpatterns: list[URLPattern] = [
    path("results/", v.my_results, name="results_mine"),
    path("results/<int:pk>/", v.result_detail, name="results_detail"),
    path("results/<int:pk>/form.pdf", v.result_pdf, name="results_pdf"),
    path(
        "results/<int:pk>/kpi/<int:item_id>/override/",
        v.kpi_override,
        name="results_kpi_override",
    ),
    path(
        "results/<int:pk>/kpi/<int:item_id>/comment/",
        v.kpi_comment,
        name="results_kpi_comment",
    ),
    path("results/cycle/<int:pk>/", v.cycle_results_office, name="results_cycle"),
    path("results/cycle/<int:pk>/team/", v.cycle_results_team, name="results_team"),
    path("results/cycle/<int:pk>/export/", v.results_export, name="results_export"),
    path("results/cycle/<int:pk>/forms/", v.results_forms, name="results_forms"),
    path("results/files/<int:pk>/", v.results_file, name="results_file"),
    path("results/files/<int:pk>/progress/", v.results_file_progress, name="results_file_progress"),
    path("results/files/<int:pk>/download/", v.results_file_download, name="results_file_download"),
]
