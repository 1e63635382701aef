"""Edit history that restores one catalogue object at a time.

django-reversion's admin restores a whole *revision*: every object saved with the version chosen. Older
databases hold one revision for a whole `reload_catalogue` run (43 objects), so restoring one project's
"Loaded from the fixtures" version used to revert every other project, donor and area, undoing other
editors' work. Here a restore reverts only the chosen object's own version and the versions of the rows
that belong to it (a project's grants, partnerships and figures, which reversion follows; its area links
travel inside the project's own version), and deletes only that object's rows that did not exist then.

Before a restore is saved, its page lists what it will change; the restore itself is saved as a new
version with a comment saying what was restored, so it can be undone from the same history.
"""

from contextlib import nullcontext

from django.contrib import messages
from django.contrib.admin.utils import quote
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.db import connections, models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.shortcuts import redirect
from django.utils.formats import localize
from django.utils.timezone import template_localtime
from django.utils.translation import gettext
from reversion.admin import VersionAdmin, _RollBackRevisionView
from reversion.errors import RevertError
from reversion.models import _safe_revert
from reversion.revisions import _get_options, set_comment
from reversion.utils import mute_signals

# Bookkeeping the database keeps by itself: a restore neither shows nor compares it.
BOOKKEEPING_FIELDS = {"id", "created", "updated", "largest_grant"}


def owned_relations(model):
    """The reverse relations (e.g. Project.fundings) whose rows reversion saves with each version of `model`."""
    return [model._meta.get_field(name) for name in _get_options(model).follow]


def own_versions(version):
    """`version` and, from the same revision, the versions of the rows that belonged to its object then."""
    versions = [version]
    for relation in owned_relations(version._model):
        content_type = ContentType.objects.db_manager(version.db).get_for_model(relation.related_model)
        for child in version.revision.version_set.filter(content_type=content_type, db=version.db):
            if str(child.field_dict.get(relation.field.attname)) == str(version.object_id):
                versions.append(child)
    return versions


def restore_version(version):
    """Put `version`'s object and its own rows back as they were in it; touch nothing else.

    Rows of the object that did not exist in that version are deleted first, so a row re-added since
    (same grant, new id) cannot collide with the one coming back.
    """
    versions = own_versions(version)
    kept = {(v.content_type_id, v.object_id) for v in versions[1:]}
    current = version._model._default_manager.using(version.db).filter(pk=version.object_id).first()
    if current is not None:
        for relation in owned_relations(version._model):
            content_type = ContentType.objects.db_manager(version.db).get_for_model(relation.related_model)
            for row in getattr(current, relation.get_accessor_name()).all():
                if (content_type.pk, str(row.pk)) not in kept:
                    row.delete()
    _safe_revert(versions)


def _display(field, value):
    if value in (None, ""):
        return "–"
    if field.many_to_many:
        names = [str(o) for o in field.related_model._default_manager.filter(pk__in=value)]
        return ", ".join(sorted(names)) or "–"
    if field.is_relation:
        related = field.related_model._default_manager.filter(pk=value).first()
        return str(related) if related is not None else f"#{value}"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def _compared_fields(model):
    return [
        f
        for f in [*model._meta.concrete_fields, *model._meta.many_to_many]
        if f.name not in BOOKKEEPING_FIELDS
        and not (f.is_relation and f.many_to_many and not f.remote_field.through._meta.auto_created)
    ]


def _values(model, obj=None, field_dict=None):
    """{field: comparable value} of a live row or of a version's field_dict."""
    values = {}
    for f in _compared_fields(model):
        if obj is not None:
            value = (
                set(getattr(obj, f.name).values_list("pk", flat=True)) if f.many_to_many else getattr(obj, f.attname)
            )
        else:
            value = field_dict.get(f.attname)
            value = set(value or ()) if f.many_to_many else value
        values[f] = value
    return values


def _field_changes(model, now, then):
    return [
        (str(f.verbose_name), _display(f, now[f]), _display(f, then[f]))
        for f in _compared_fields(model)
        if now[f] != then[f]
    ]


def restore_changes(version):
    """What restoring `version` will change: {"fields": [(name, now, then)], "added", "removed", "changed": [...]}.

    Rows are matched by id: "added" are rows the restore brings back, "removed" rows it deletes, "changed"
    (row, [(name, now, then)]) rows it edits.
    """
    model = version._model
    current = model._default_manager.using(version.db).filter(pk=version.object_id).first()
    then = _values(model, field_dict=version.field_dict)
    now = _values(model, obj=current) if current is not None else dict.fromkeys(then)
    changes = {"fields": _field_changes(model, now, then), "added": [], "removed": [], "changed": []}
    children = {}
    for child in own_versions(version)[1:]:
        children[child._model, child.object_id] = child
    if current is not None:
        for relation in owned_relations(model):
            for row in getattr(current, relation.get_accessor_name()).all():
                child = children.pop((type(row), str(row.pk)), None)
                if child is None:
                    changes["removed"].append(str(row))
                    continue
                row_changes = _field_changes(
                    type(row), _values(type(row), obj=row), _values(type(row), field_dict=child.field_dict)
                )
                if row_changes:
                    changes["changed"].append((str(row), row_changes))
    changes["added"] = [child.object_repr for child in children.values()]
    changes["any"] = any(changes[k] for k in ("fields", "added", "removed", "changed"))
    return changes


class CatalogueVersionAdmin(VersionAdmin):
    """A VersionAdmin whose "restore this version" and "recover deleted" change only the object restored."""

    def _reversion_revisionform_view(self, request, version, template_name, extra_context=None):
        # reversion's own view, with revision.revert(delete=True) replaced by restore_version(version).
        if not connections[version.db].features.uses_savepoints:
            raise ImproperlyConfigured("Cannot use VersionAdmin with a database that does not support savepoints.")
        # Viewing a version reverts it inside a transaction that is rolled back: mute signals so nothing
        # (cache generation, search index) reacts to a change that never happens.
        signal_context = (
            mute_signals(pre_save, post_save, pre_delete, post_delete, m2m_changed)
            if request.method == "GET"
            else nullcontext()
        )
        changes = restore_changes(version)
        extra_context = {**(extra_context or {}), "restore_changes": changes}
        try:
            with transaction.atomic(using=version.db), signal_context:
                restore_version(version)
                with self.create_revision(request):
                    obj = version._model._default_manager.using(version.db).filter(pk=version.object_id).first()
                    if obj is None:
                        raise RevertError(
                            gettext("Could not load %(object_repr)s version - not found")
                            % {
                                "object_repr": version.object_repr,
                            }
                        )
                    # A restore is a change even when the form, filled from the restored row, reports none.
                    request.restoring_version = True
                    response = self.changeform_view(request, quote(str(obj.pk)), request.path, extra_context)
                    if request.method == "POST" and response.status_code == 302:
                        set_comment(restore_comment(version, changes))
                    elif response.status_code == 200:
                        response.template_name = template_name
                        response.render()  # while the version is in place, before the rollback
                        raise _RollBackRevisionView(response)
                    else:
                        raise RevertError(
                            gettext("Could not load %(object_repr)s version - not found")
                            % {
                                "object_repr": version.object_repr,
                            }
                        )
        except (RevertError, models.ProtectedError, ObjectDoesNotExist) as ex:
            opts = self.model._meta
            messages.error(request, str(ex))
            return redirect(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")
        except _RollBackRevisionView as ex:
            return ex.response
        return response


def restore_comment(version, changes):
    """The new version's comment: which version was restored, and what that changed."""
    parts = [c[0] for c in changes["fields"]]
    if changes["added"]:
        parts.append(gettext("%(count)d row(s) brought back") % {"count": len(changes["added"])})
    if changes["removed"]:
        parts.append(gettext("%(count)d row(s) removed") % {"count": len(changes["removed"])})
    if changes["changed"]:
        parts.append(gettext("%(count)d row(s) changed") % {"count": len(changes["changed"])})
    comment = gettext("Restored the version saved on %(datetime)s (“%(comment)s”)") % {
        "datetime": localize(template_localtime(version.revision.date_created)),
        "comment": version.revision.get_comment() or version.revision.comment,
    }
    if parts:
        comment += ": " + ", ".join(parts)
    return comment + "."
