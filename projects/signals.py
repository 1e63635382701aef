"""
Keeping derived data in step with the catalogue.

Every change retires the cached pages (projects.caching) by bumping the catalogue generation, and
a change to a grant refreshes its project's largest_grant, which the amount sort reads.
"""

from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import m2m_changed, post_delete, post_save

from .caching import bump_catalogue_generation
from .models import Area, ContextFigure, Donor, Funding, Partner, Partnership, Project, Status

CATALOGUE_MODELS = [Project, Status, Area, Donor, Partner, Funding, Partnership, ContextFigure]
M2M_CHANGES = {"post_add", "post_remove", "post_clear"}


def catalogue_changed(sender, using=None, **kwargs):
    # In the change's own transaction: the new generation becomes visible exactly when the change does.
    bump_catalogue_generation(using or DEFAULT_DB_ALIAS)


def grant_changed(sender, instance, **kwargs):
    # A grant never moves to another project (it is edited inline, and matched by project on reload).
    Project.objects.filter(pk=instance.project_id).refresh_largest_grant()


def project_saved(sender, instance, **kwargs):
    # save() writes every field: a project loaded before its grants changed would write back an old value.
    Project.objects.filter(pk=instance.pk).refresh_largest_grant()


def catalogue_relation_changed(sender, action, using=None, **kwargs):
    if action in M2M_CHANGES:
        catalogue_changed(sender, using=using)


def connect():
    for model in CATALOGUE_MODELS:
        post_save.connect(catalogue_changed, sender=model, dispatch_uid=f"catalogue-saved-{model.__name__}")
        post_delete.connect(catalogue_changed, sender=model, dispatch_uid=f"catalogue-deleted-{model.__name__}")
    post_save.connect(grant_changed, sender=Funding, dispatch_uid="grant-saved")
    post_delete.connect(grant_changed, sender=Funding, dispatch_uid="grant-deleted")
    post_save.connect(project_saved, sender=Project, dispatch_uid="project-largest-grant")
    # Donors and partners hang on through-models (Funding, Partnership), whose saves are caught above.
    m2m_changed.connect(catalogue_relation_changed, sender=Project.areas.through, dispatch_uid="catalogue-areas")
