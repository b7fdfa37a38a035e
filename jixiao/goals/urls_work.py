"""Work plan pages, included by jixiao/goals/urls.py (app "goals", under /goals/)."""

from django.urls import URLPattern, path

from jixiao.goals import views_work

urlpatterns: list[URLPattern] = [
    path("<int:goal_id>/work/", views_work.work_plan, name="work_plan"),
    path("<int:goal_id>/work/new/", views_work.work_item_create, name="work_item_create"),
    path("work/items/<int:pk>/", views_work.work_item_detail, name="work_item"),
    path("work/items/<int:pk>/edit/", views_work.work_item_edit, name="work_item_edit"),
    path("work/items/<int:pk>/progress/", views_work.work_item_progress, name="work_item_progress"),
    path("work/items/<int:pk>/delete/", views_work.work_item_delete, name="work_item_delete"),
    path(
        "work/items/<int:pk>/milestones/new/",
        views_work.milestone_create,
        name="work_milestone_create",
    ),
    path("work/milestones/<int:pk>/edit/", views_work.milestone_edit, name="work_milestone_edit"),
    path("work/milestones/<int:pk>/done/", views_work.milestone_done, name="work_milestone_done"),
    path(
        "work/milestones/<int:pk>/remove/",
        views_work.milestone_remove,
        name="work_milestone_remove",
    ),
    path(
        "work/department/<int:dept_id>/",
        views_work.department_timeline,
        name="work_department",
    ),
    path("work/budgets/", views_work.budgets, name="work_budgets"),
    path(
        "work/budgets/<int:department_id>/<int:year>/",
        views_work.budget_edit,
        name="work_budget_edit",
    ),
]
