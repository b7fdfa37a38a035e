from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "jixiao.org"
    label = "org"
    verbose_name = "Organization"
