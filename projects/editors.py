"""The "Editors" group: staff who may edit the catalogue and nothing else (no users, no groups).

Migration 0002 creates it. After every `migrate` (and every flush, which tests do), post_migrate
makes sure it still exists and holds every permission of the catalogue's models, including models
added later, so nobody has to remember to grant them.
"""

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS

EDITORS = "Editors"


def ensure_editors_group(sender=None, using=DEFAULT_DB_ALIAS, apps=global_apps, **kwargs):
    try:
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
    except LookupError:  # auth not migrated yet
        return
    editors, _ = Group.objects.using(using).get_or_create(name=EDITORS)
    # add(), not set(): permissions an administrator granted on purpose stay.
    editors.permissions.add(*Permission.objects.using(using).filter(content_type__app_label="projects"))
