from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Catalogue"

    def ready(self):
        from . import signals

        signals.connect()
