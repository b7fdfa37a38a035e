from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "jixiao.reports"
    label = "reports"
    verbose_name = "Reports"
