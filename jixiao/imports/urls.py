from django.urls import path

from jixiao.imports import views, views_goals, views_indicators

app_name = "imports"
urlpatterns = [
    path("", views.index, name="index"),
    path("template.xlsx", views.template_download, name="template"),
    path("export.xlsx", views.export_xlsx, name="export"),
    path("export/<str:kind>.csv", views.export_csv, name="export_csv"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/progress/", views.job_progress, name="job_progress"),
    path("exports/<int:pk>/", views.export_job_detail, name="export_job"),
    path("exports/<int:pk>/progress/", views.export_job_progress, name="export_job_progress"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
    path("indicators/", views_indicators.index, name="indicators"),
    path(
        "indicators/template.xlsx",
        views_indicators.template_download,
        name="indicators_template",
    ),
    path("indicators/export.xlsx", views_indicators.export_xlsx, name="indicators_export"),
    path(
        "indicators/export/<str:kind>.csv",
        views_indicators.export_csv,
        name="indicators_export_csv",
    ),
    path("goals/", views_goals.index, name="goals"),
    path("goals/template.xlsx", views_goals.template_download, name="goals_template"),
    path("goals/export.xlsx", views_goals.export_xlsx, name="goals_export"),
]
