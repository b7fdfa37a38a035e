"""The performance office's appraisal pages: schemes, cycles, recurring series, raters and
one-time codes."""

from django.urls import URLPattern, path

from jixiao.appraisals import views_cycles, views_recipients, views_schemes, views_series

urlpatterns: list[URLPattern] = [
    path("schemes/", views_schemes.scheme_list, name="scheme_list"),
    path("schemes/new/", views_schemes.scheme_new, name="scheme_new"),
    path("schemes/<int:pk>/", views_schemes.scheme_detail, name="scheme_detail"),
    path("schemes/<int:pk>/edit/", views_schemes.scheme_edit, name="scheme_edit"),
    path("schemes/<int:pk>/active/", views_schemes.scheme_active, name="scheme_active"),
    path("series/", views_series.series_list, name="series_list"),
    path("series/new/", views_series.series_new, name="series_new"),
    path("series/run/", views_series.series_run, name="series_run"),
    path("series/<int:pk>/", views_series.series_detail, name="series_detail"),
    path("series/<int:pk>/edit/", views_series.series_edit, name="series_edit"),
    path("series/<int:pk>/active/", views_series.series_active, name="series_active"),
    path("cycles/", views_cycles.cycle_list, name="cycle_list"),
    path("cycles/new/", views_cycles.cycle_new, name="cycle_new"),
    path("cycles/<int:pk>/", views_cycles.cycle_detail, name="cycle_detail"),
    path("cycles/<int:pk>/phase/", views_cycles.cycle_phase, name="cycle_phase"),
    path("cycles/<int:pk>/recompute/", views_cycles.cycle_recompute, name="cycle_recompute"),
    path("cycles/<int:pk>/populate/", views_cycles.cycle_populate, name="cycle_populate"),
    path("cycles/<int:pk>/jobs/<int:job_id>/", views_cycles.cycle_job, name="cycle_job"),
    path("cycles/<int:pk>/remind/", views_cycles.cycle_remind, name="cycle_remind"),
    path("cycles/<int:pk>/assignments/", views_cycles.cycle_assignments, name="cycle_assignments"),
    path(
        "cycles/<int:pk>/assignments/<int:assignment_id>/cancel/",
        views_cycles.assignment_cancel,
        name="assignment_cancel",
    ),
    path(
        "cycles/<int:pk>/appraisals/<int:appraisal_id>/raters/",
        views_cycles.cycle_appraisal_raters,
        name="cycle_appraisal_raters",
    ),
    path("cycles/<int:pk>/reassign/", views_cycles.cycle_reassign, name="cycle_reassign"),
    path("cycles/<int:pk>/workload/", views_cycles.cycle_workload, name="cycle_workload"),
    path(
        "cycles/<int:pk>/recipients/",
        views_recipients.cycle_recipients,
        name="cycle_recipients",
    ),
    path(
        "cycles/<int:pk>/rater-stats/",
        views_cycles.cycle_rater_stats,
        name="cycle_rater_stats",
    ),
    path("cycles/<int:pk>/codes/", views_cycles.cycle_codes, name="cycle_codes"),
    path(
        "cycles/<int:pk>/codes/<int:batch_id>/",
        views_cycles.cycle_code_batch,
        name="cycle_code_batch",
    ),
]
