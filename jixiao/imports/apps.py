from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "jixiao.imports"
    label = "imports"
    verbose_name = "Imports"
