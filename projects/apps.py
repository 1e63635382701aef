from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Catalogue"

    def ready(self):
        from . import signals
        from .editors import ensure_editors_group

        # Every receiver of the catalogue's signals, in one place: the page cache and the derived data.
        signals.connect()
        # After auth's own post_migrate handler has made this app's permissions.
        post_migrate.connect(ensure_editors_group, sender=self, dispatch_uid="projects-editors-group")
