"""The public history of a catalogue entry: "Changes to this entry", drawn from django-reversion.

Each version of a published project becomes a date and one line in public words. What the staff wrote
is never shown as such: a revision's comment is the admin's change message ("Changed Text and Start
date.") or a command's note, and is mapped to a fixed phrase naming the fields changed. Anything else
(a free comment, which could name a colleague) says only that the entry was edited. No user is shown.
"""

import json
import re

from django.apps import apps
from django.utils.translation import gettext as _
from django.utils.translation import override
from reversion.models import Version

# Enough for any entry's real history; the page stays one query and a fixed size however long it grows.
SHOWN_CHANGES = 20
CHANGED = re.compile(r"Changed (?P<fields>.+?)(?: for (?P<model>[\w ]+?) “.*?”)?\.(?:\s|$)")
ADDED_ROW = re.compile(r"Added (?P<model>[\w ]+?) “.*?”\.")
DELETED_ROW = re.compile(r"Deleted (?P<model>[\w ]+?) “.*?”\.")
FACT_MODELS = ["Project", "Funding", "Partnership", "ContextFigure"]


def _english_field_names():
    """{"start date": verbose name (lazy, so said in the reader's language)} for the fields of the facts."""
    names = {}
    with override("en"):
        for name in FACT_MODELS:
            for field in apps.get_model("projects", name)._meta.get_fields():
                verbose = getattr(field, "verbose_name", None)
                if verbose:
                    names[str(verbose).lower()] = verbose
    return names


def _english_model_names():
    names = {}
    with override("en"):
        for name in FACT_MODELS[1:]:
            meta = apps.get_model("projects", name)._meta
            names[str(meta.verbose_name).lower()] = meta.verbose_name
    return names


def public_summary(comment):
    """One line, in public words, for a revision's comment."""
    comment = (comment or "").strip()
    if comment.startswith("Loaded from the fixtures"):
        return _("Loaded from the source")
    if comment == "Added.":
        return _("Entry added to the catalogue")
    if comment.startswith("Reverted to previous version"):
        return _("An earlier version restored")
    field_names, model_names = _english_field_names(), _english_model_names()
    changed, added, removed = [], [], []
    for match in CHANGED.finditer(comment):
        for name in re.split(r",\s*|\s+and\s+", match["fields"]):
            verbose = field_names.get(name.strip().lower())
            if verbose is not None and str(verbose) not in changed:
                changed.append(str(verbose))
    for pattern, found in ((ADDED_ROW, added), (DELETED_ROW, removed)):
        for match in pattern.finditer(comment):
            verbose = model_names.get(match["model"].strip().lower())
            if verbose is not None and str(verbose) not in found:
                found.append(str(verbose))
    parts = []
    if changed:
        parts.append(_("Changed: %(fields)s") % {"fields": ", ".join(changed)})
    if added:
        parts.append(_("added: %(rows)s") % {"rows": ", ".join(added)})
    if removed:
        parts.append(_("removed: %(rows)s") % {"rows": ", ".join(removed)})
    if not parts:
        return _("Entry edited")
    line = "; ".join(parts)
    return line[0].upper() + line[1:]


def _was_published(version):
    try:
        return bool(json.loads(version.serialized_data)[0]["fields"].get("is_published", True))
    except (ValueError, LookupError, TypeError):
        return True


def public_changes(project):
    """[(datetime, summary)], newest first: the changes to the published entry. One query."""
    versions = (
        Version.objects.get_for_object(project)
        .select_related("revision")
        .only("serialized_data", "revision__date_created", "revision__comment")
        .order_by("-revision__date_created", "-pk")[:SHOWN_CHANGES]
    )
    return [
        (version.revision.date_created, public_summary(version.revision.comment))
        for version in versions
        if _was_published(version)
    ]
