"""The "Editors" group: staff who may edit the catalogue and nothing else (no users, no groups)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = "Editors"
# Every catalogue model, with all four permissions: view, add, change, delete.
CATALOGUE_MODELS = ["project", "status", "area", "donor", "partner", "funding", "partnership", "contextfigure"]


def create_editors_group(apps, schema_editor):
    # Permissions are normally made after all migrations; make this app's now so they can be granted.
    # create_permissions() skips app configs without a models module, which migration stubs lack.
    app_config = apps.get_app_config("projects")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name=EDITORS)
    editors.permissions.set(
        Permission.objects.filter(content_type__app_label="projects", content_type__model__in=CATALOGUE_MODELS)
    )


def remove_editors_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=EDITORS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_editors_group, remove_editors_group)]
