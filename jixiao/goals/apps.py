from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "jixiao.goals"
    label = "goals"
    verbose_name = "Goals"

    def ready(self) -> None:
        from jixiao.goals import demo
        from jixiao.goals.usage import register

        register()
        demo.register()
