from django.urls import path

from jixiao.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.index, name="index"),
    path("template.xlsx", views.template_download, name="template"),
    path("export.xlsx", views.export_xlsx, name="export"),
    path("export/<str:kind>.csv", views.export_csv, name="export_csv"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/progress/", views.job_progress, name="job_progress"),
]
