from django.urls import path

from jixiao.org import views_calendar

app_name = "calendar"
urlpatterns = [
    path("", views_calendar.calendar_year, name="year"),
    path("count/", views_calendar.calendar_count, name="count"),
    path("export.csv", views_calendar.calendar_export, name="export"),
    path("import/", views_calendar.calendar_import, name="import"),
    path("days/new/", views_calendar.calendar_day_create, name="day_create"),
    path("days/<int:pk>/edit/", views_calendar.calendar_day_edit, name="day_edit"),
    path("days/<int:pk>/delete/", views_calendar.calendar_day_delete, name="day_delete"),
]
