"""Check-ins and one-to-ones, under /goals/ (included by jixiao/goals/urls.py)."""

from django.urls import path

from jixiao.goals import views_talk as views

urlpatterns = [
    path("<int:goal_id>/checkins/", views.checkin_list, name="checkins"),
    path("<int:goal_id>/checkins/new/", views.checkin_create, name="checkin_new"),
    path("checkins/<int:checkin_id>/comments/", views.checkin_comment, name="checkin_comment"),
    path("one-on-ones/", views.one_on_one_list, name="one_on_ones"),
    path("one-on-ones/new/", views.one_on_one_create, name="one_on_one_new"),
    path("one-on-ones/<int:pk>/", views.one_on_one_detail, name="one_on_one"),
    path("one-on-ones/<int:pk>/edit/", views.one_on_one_edit, name="one_on_one_edit"),
    path("one-on-ones/<int:pk>/notes/", views.one_on_one_notes, name="one_on_one_notes"),
    path(
        "one-on-ones/<int:pk>/private-note/",
        views.one_on_one_private_note,
        name="one_on_one_private_note",
    ),
    path("one-on-ones/<int:pk>/share/", views.one_on_one_share, name="one_on_one_share"),
    path(
        "one-on-ones/<int:pk>/actions/", views.one_on_one_action_add, name="one_on_one_action_add"
    ),
    path(
        "one-on-ones/<int:pk>/actions/<int:item_id>/",
        views.one_on_one_action,
        name="one_on_one_action",
    ),
]
