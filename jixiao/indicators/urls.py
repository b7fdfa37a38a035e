from django.urls import path

from jixiao.indicators import views, views_weights

app_name = "indicators"
urlpatterns = [
    path("", views.indicator_list, name="list"),
    path("new/", views.indicator_create, name="create"),
    path("preview/", views.rule_preview, name="preview"),
    path("<int:pk>/", views.indicator_detail, name="detail"),
    path("<int:pk>/edit/", views.indicator_edit, name="edit"),
    path("<int:pk>/active/", views.indicator_set_active, name="set_active"),
    path("<int:pk>/lock/", views.indicator_lock, name="lock"),
    path("weights/", views_weights.weights_tool, name="weights"),
    path("weights/compute/", views_weights.weights_compute, name="weights_compute"),
    path("weights/entropy/", views_weights.weights_entropy, name="weights_entropy"),
    path(
        "weights/entropy-template.csv",
        views_weights.entropy_template,
        name="entropy_template",
    ),
    path("weights/save/", views_weights.weights_save, name="weights_save"),
    path("weight-sets/", views_weights.weight_set_list, name="weight_sets"),
    path("weight-sets/<int:pk>/", views_weights.weight_set_detail, name="weight_set_detail"),
]
