from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "undersigned.api"
    label = "api"
    verbose_name = "API"
