from django.urls import path

from jixiao.org import views

app_name = "org"
urlpatterns = [
    path("", views.todo, name="tree"),
    path("people/", views.todo, name="people"),
    path("posts/", views.todo, name="posts"),
]
