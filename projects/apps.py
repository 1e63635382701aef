from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Catalogue"

    def ready(self):
        # Connects the receivers that keep each project's search document current.
        from . import signals  # noqa: F401
