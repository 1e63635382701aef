"""
Keeping derived data in step with the catalogue. Every receiver is wired in connect(), which the app's
ready() calls; each does one of two things:

- bumps the catalogue generation, which retires every cached page (projects.caching), on any change;
- asks ProjectQuerySet.refresh_derived() to recompute what is derived from the rows of the projects a
  change touches (their largest grant, and on PostgreSQL their search document, which holds the names
  of their donors, areas, partners and places). What is derived, and how, is said there and nowhere else.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.db import DEFAULT_DB_ALIAS
from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from .caching import bump_catalogue_generation
from .models import CATALOGUE_MODELS, Area, Donor, Funding, Partner, Partnership, Place, Project, ProjectPlace

AreaLink = Project.areas.through
M2M_CHANGES = {"post_add", "post_remove", "post_clear"}
# True while a bulk writer (reload_catalogue) keeps derived data itself: see derived_data_kept_by_caller().
_kept_by_caller = ContextVar("derived_data_kept_by_caller", default=False)


@contextmanager
def derived_data_kept_by_caller():
    """Within the block, saves and deletes neither bump the catalogue generation nor refresh derived data.

    For a writer of many rows in one transaction (reload_catalogue): instead of one bump and one refresh per
    save, it calls ProjectQuerySet.refresh_derived() and bump_catalogue_generation() ONCE before its
    transaction commits. Only for code that does both: anything else would leave pages stale.
    """
    token = _kept_by_caller.set(True)
    try:
        yield
    finally:
        _kept_by_caller.reset(token)


def _suspended(receiver):
    """`receiver`, doing nothing while derived_data_kept_by_caller() is in force."""

    @wraps(receiver)
    def unless_kept_by_caller(*args, **kwargs):
        if not _kept_by_caller.get():
            return receiver(*args, **kwargs)

    return unless_kept_by_caller


def refresh(project_ids):
    """Refresh the derived data of the projects with these ids (a list, or a queryset of ids run as a subquery)."""
    Project.objects.filter(pk__in=project_ids).refresh_derived()


def deleted_with_its_project(origin):
    """Whether a deletion began with projects (one, or a QuerySet of them; Django's `origin`): a grant, partnership
    or place link deleted then goes because its project does, and refreshing that project would write a search
    document for a row about to go (a broken reference when the transaction commits)."""
    model = origin.model if isinstance(origin, QuerySet) else type(origin)
    return model is Project


@_suspended
def catalogue_changed(sender, using=None, **kwargs):
    # In the change's own transaction: the new generation becomes visible exactly when the change does.
    bump_catalogue_generation(using or DEFAULT_DB_ALIAS)


@_suspended
def project_saved(sender, instance, **kwargs):
    # save() writes every field: a project loaded before its grants changed would write back an old value.
    refresh([instance.pk])


@_suspended
def fact_about_to_be_saved(sender, instance, **kwargs):
    # A grant or partnership moved to another project leaves its donor's or partner's name, and its amount,
    # behind. Which project it leaves is only known before the save: the one piece of state kept on a row.
    earlier = sender.objects.filter(pk=instance.pk).values_list("project_id", flat=True) if instance.pk else []
    instance.project_ids_before_save = list(earlier)


@_suspended
def fact_changed(sender, instance, **kwargs):
    if deleted_with_its_project(kwargs.get("origin")):
        return
    refresh([instance.project_id, *getattr(instance, "project_ids_before_save", [])])


@_suspended
def name_saved(sender, instance, **kwargs):
    """A donor, partner, area or place was saved (perhaps renamed): the documents of its projects hold its name."""
    refresh(sender.objects.filter(pk=instance.pk).project_ids())


@_suspended
def area_about_to_lose_its_projects(sender, instance, **kwargs):
    # Deleting an area, or area.projects.clear(), drops its links without saying which projects lose it.
    # Removing them first does say (post_remove below), so the projects are refreshed without it.
    instance.projects.remove(*instance.projects.all())


@_suspended
def area_links_changed(sender, instance, action, reverse, pk_set, using=None, **kwargs):
    """A project's areas were set, added, removed or cleared, from either side of the relation."""
    if action == "pre_clear" and reverse:
        area_about_to_lose_its_projects(Area, instance)
    if action in M2M_CHANGES:
        catalogue_changed(sender, using=using)
    if action in ("post_add", "post_remove"):
        refresh(pk_set if reverse else [instance.pk])
    elif action == "post_clear" and not reverse:
        refresh([instance.pk])


def connect():
    for model in CATALOGUE_MODELS:
        post_save.connect(catalogue_changed, sender=model, dispatch_uid=f"catalogue-saved-{model.__name__}")
        post_delete.connect(catalogue_changed, sender=model, dispatch_uid=f"catalogue-deleted-{model.__name__}")
    post_save.connect(project_saved, sender=Project, dispatch_uid="derived-project-saved")
    # Donors and partners hang on through-models (Funding, Partnership), whose own saves are caught here.
    for model in (Funding, Partnership, ProjectPlace):
        pre_save.connect(fact_about_to_be_saved, sender=model, dispatch_uid=f"derived-before-{model.__name__}")
        post_save.connect(fact_changed, sender=model, dispatch_uid=f"derived-saved-{model.__name__}")
        post_delete.connect(fact_changed, sender=model, dispatch_uid=f"derived-deleted-{model.__name__}")
    for model in (Donor, Partner, Area, Place):
        post_save.connect(name_saved, sender=model, dispatch_uid=f"derived-name-{model.__name__}")
    pre_delete.connect(area_about_to_lose_its_projects, sender=Area, dispatch_uid="derived-area-deleted")
    m2m_changed.connect(area_links_changed, sender=AreaLink, dispatch_uid="derived-area-links")
