"""Keep each project's stored search document current (PostgreSQL) whenever what it is built from changes.

The document holds a project's title and text and the names of its donors, areas and partners
(querysets.search_document), so it goes stale when any of those is edited, renamed, linked or unlinked.
On SQLite refresh_search_vectors() does nothing and search reads the rows themselves.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from .models import Area, Donor, Funding, Partner, Partnership, Project


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
