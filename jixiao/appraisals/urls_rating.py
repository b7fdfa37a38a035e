"""The rater's and the appraisee's pages, and the public one-time-code pages (no sign-in)."""

from django.urls import URLPattern, path

from jixiao.appraisals import views_rating as v

urlpatterns: list[URLPattern] = [
    path("rate/", v.my_ratings, name="rate_list"),
    path("rate/<int:cycle_id>/people/<int:appraisal_id>/", v.rate_ratee, name="rate_ratee"),
    path("rate/<int:cycle_id>/<str:group>/", v.rate_grid, name="rate_grid"),
    path("self/<int:cycle_id>/", v.self_page, name="self"),
    path("nominations/", v.nomination_list, name="nomination_list"),
    path("nominations/<int:pk>/decide/", v.nomination_decide, name="nomination_decide"),
    # Public: a printed one-time code is the only credential (see views_rating).
    path("code/", v.code_enter, name="code_enter"),
    path("code/rate/", v.code_rate, name="code_rate"),
    path("code/thanks/", v.code_thanks, name="code_thanks"),
]
