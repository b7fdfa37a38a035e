from django.apps import AppConfig


class AppraisalsConfig(AppConfig):
    name = "jixiao.appraisals"
    label = "appraisals"
    verbose_name = "Appraisals"

    def ready(self) -> None:
        from jixiao.appraisals import demo
        from jixiao.appraisals.usage import register

        register()
        demo.register()
