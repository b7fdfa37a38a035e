from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "jixiao.core"
    label = "core"
    verbose_name = "Core"
