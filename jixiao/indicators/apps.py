from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "jixiao.indicators"
    label = "indicators"
    verbose_name = "Indicators"

    def ready(self) -> None:
        from django.core import checks

        from jixiao.indicators.checks import check_ri_tables

        checks.register(check_ri_tables)
