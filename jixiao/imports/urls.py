from django.urls import path

from jixiao.org.views import todo

app_name = "imports"
urlpatterns = [path("", todo, name="index")]
