from django.urls import path

from jixiao.org import views_accounts, views_departments, views_people, views_posts

app_name = "org"
urlpatterns = [
    path("", views_departments.tree, name="tree"),
    path("departments/new/", views_departments.department_create, name="department_create"),
    path("departments/<int:pk>/", views_departments.department_detail, name="department_detail"),
    path("departments/<int:pk>/edit/", views_departments.department_edit, name="department_edit"),
    path(
        "departments/<int:pk>/active/",
        views_departments.department_deactivate,
        name="department_deactivate",
    ),
    path(
        "departments/<int:pk>/delete/",
        views_departments.department_delete,
        name="department_delete",
    ),
    path("options/<str:kind>/", views_departments.picker_options, name="picker_options"),
    path("posts/", views_posts.post_list, name="posts"),
    path("posts/new/", views_posts.post_create, name="post_create"),
    path("posts/<int:pk>/", views_posts.post_detail, name="post_detail"),
    path("posts/<int:pk>/edit/", views_posts.post_edit, name="post_edit"),
    path("posts/<int:pk>/active/", views_posts.post_deactivate, name="post_deactivate"),
    path("people/", views_people.people_list, name="people"),
    path("people/new/", views_people.person_create, name="person_create"),
    path("people/<int:pk>/", views_people.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", views_people.person_edit, name="person_edit"),
    path("people/<int:pk>/status/", views_people.person_status, name="person_status"),
    path("people/<int:pk>/roles/", views_people.role_grant_add, name="role_grant_add"),
    path(
        "people/<int:pk>/roles/<int:grant_id>/remove/",
        views_people.role_grant_remove,
        name="role_grant_remove",
    ),
    path(
        "people/<int:pk>/account/",
        views_accounts.person_account_create,
        name="person_account_create",
    ),
    path(
        "people/<int:pk>/account/reset-password/",
        views_accounts.person_account_reset_password,
        name="person_account_reset_password",
    ),
    path(
        "people/<int:pk>/account/disable/",
        views_accounts.person_account_disable,
        name="person_account_disable",
    ),
    path(
        "people/<int:pk>/account/enable/",
        views_accounts.person_account_enable,
        name="person_account_enable",
    ),
]
