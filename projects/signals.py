"""
Keeping derived data in step with the catalogue.

- Every change retires the cached pages (projects.caching) by bumping the catalogue generation.
- A change to a grant refreshes its project's largest_grant, which the amount sort reads.
- Each project's stored search document (PostgreSQL) holds its title and text and the names of its
  donors, areas and partners (querysets.search_document), so it is refreshed when any of those is
  edited, renamed, linked or unlinked. On SQLite refresh_search_vectors() does nothing.

connect() wires the first two; the search receivers connect with @receiver when this module is imported.
"""


from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

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


def project_saved_with_its_largest_grant(sender, instance, **kwargs):
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
    post_save.connect(project_saved_with_its_largest_grant, sender=Project, dispatch_uid="project-largest-grant")
    # Donors and partners hang on through-models (Funding, Partnership), whose saves are caught above.
    m2m_changed.connect(catalogue_relation_changed, sender=Project.areas.through, dispatch_uid="catalogue-areas")


# The search document -----------------------------------------------------------------------------------

def refresh(project_ids):
    """Refresh the projects with these ids (a list, or a queryset of ids run as a subquery)."""
    Project.objects.filter(pk__in=project_ids).refresh_search_vectors()


@receiver(post_save, sender=Project)
def project_saved(sender, instance, **kwargs):
    refresh([instance.pk])


@receiver(pre_save, sender=Funding)
@receiver(pre_save, sender=Partnership)
def grant_or_partnership_about_to_be_saved(sender, instance, **kwargs):
    # Moved to another project, it leaves its donor's or partner's name behind: note where it was.
    earlier = sender.objects.filter(pk=instance.pk).values_list("project_id", flat=True) if instance.pk else []
    instance.project_ids_before_save = list(earlier)


@receiver([post_save, post_delete], sender=Funding)
@receiver([post_save, post_delete], sender=Partnership)
def grant_or_partnership_changed(sender, instance, **kwargs):
    refresh([instance.project_id, *getattr(instance, "project_ids_before_save", [])])


@receiver(post_save, sender=Donor)
def donor_saved(sender, instance, **kwargs):
    refresh(instance.fundings.values("project_id"))


@receiver(post_save, sender=Partner)
def partner_saved(sender, instance, **kwargs):
    refresh(instance.partnerships.values("project_id"))


@receiver(post_save, sender=Area)
def area_saved(sender, instance, **kwargs):
    refresh(instance.projects.values("pk"))


@receiver(pre_delete, sender=Area)
def area_about_to_be_deleted(sender, instance, **kwargs):
    # Its links to projects are gone by post_delete: note the projects while they can be found.
    instance.project_ids_before_delete = list(instance.projects.values_list("pk", flat=True))


@receiver(post_delete, sender=Area)
def area_deleted(sender, instance, **kwargs):
    refresh(getattr(instance, "project_ids_before_delete", []))


@receiver(m2m_changed, sender=Project.areas.through)
def project_areas_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """A project's areas were set, added, removed or cleared, from either side of the relation."""
    if action == "pre_clear" and reverse:
        # area.projects.clear(): which projects lose the area is only known before.
        instance.project_ids_before_clear = list(instance.projects.values_list("pk", flat=True))
    elif action in ("post_add", "post_remove"):
        refresh(pk_set if reverse else [instance.pk])
    elif action == "post_clear":
        refresh(getattr(instance, "project_ids_before_clear", []) if reverse else [instance.pk])
