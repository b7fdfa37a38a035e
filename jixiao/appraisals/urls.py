from django.urls import include, path

app_name = "appraisals"
urlpatterns = [
    path("", include("jixiao.appraisals.urls_rating")),
    path("", include("jixiao.appraisals.urls_office")),
    path("", include("jixiao.appraisals.urls_results")),
    path("", include("jixiao.appraisals.urls_corrections")),
]
