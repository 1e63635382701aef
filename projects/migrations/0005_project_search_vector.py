"""Full-text search on PostgreSQL: a stored, weighted search document per project, behind a GIN index.

SQLite gets the (always empty) column only: its search matches words directly, and it has no GIN
indexes. The index lives here rather than in Project.Meta.indexes because Django would otherwise
also try to build it on SQLite, whose table rebuilds recreate every declared index.
"""

import django.contrib.postgres.search
from django.db import migrations

INDEX = "project_search_vector_gin"

# The document ProjectQuerySet.refresh_derived() builds (querysets.search_document), as SQL, so
# this migration means the same thing whatever the code becomes: title A; donor, area and partner
# names B; text C; English stemming. test_search checks that both give the same vectors.
FILL = """
UPDATE projects_project AS project SET search_vector =
    setweight(to_tsvector('english'::regconfig, COALESCE(project.title, '')), 'A')
    || setweight(to_tsvector('english'::regconfig,
        COALESCE((SELECT string_agg(donor.name || ' ' || donor.short_name || ' ', ' ' ORDER BY donor.name)
                  FROM projects_funding AS funding JOIN projects_donor AS donor ON donor.id = funding.donor_id
                  WHERE funding.project_id = project.id), '')
        || ' ' ||
        COALESCE((SELECT string_agg(area.name || ' ', ' ' ORDER BY area.name)
                  FROM projects_project_areas AS link JOIN projects_area AS area ON area.id = link.area_id
                  WHERE link.project_id = project.id), '')
        || ' ' ||
        COALESCE((SELECT string_agg(partner.name || ' ' || partner.short_name || ' ', ' ' ORDER BY partner.name)
                  FROM projects_partnership AS partnership
                  JOIN projects_partner AS partner ON partner.id = partnership.partner_id
                  WHERE partnership.project_id = project.id), '')), 'B')
    || setweight(to_tsvector('english'::regconfig, COALESCE(project.text, '')), 'C')
"""


def add_search_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"CREATE INDEX {INDEX} ON projects_project USING gin (search_vector)")
    schema_editor.execute(FILL)


def remove_search_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0004_catalogue_generation"),
    ]

    operations = [
        migrations.AddField(
            model_name="project",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(add_search_index, remove_search_index),
    ]
