from django.contrib.auth import views as auth_views
from django.urls import path

from jixiao.org.views import todo

app_name = "accounts"
urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", todo, name="password_change"),
    path("profile/", todo, name="profile"),
]
