"""The search documents move from the project's row to a table of their own (SearchDocument).

A broad search reads every document it matches; kept in the project's row, it read the whole project (its text,
title and dates besides the document), three times as much. Each project's document moves as it is, with its
GIN index (PostgreSQL only, as in 0005: SQLite has no GIN indexes and keeps no documents).
"""

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

INDEX = "search_document_vector_gin"
OLD_INDEX = "project_search_vector_gin"


def move_documents(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "INSERT INTO projects_searchdocument (project_id, vector) "
        "SELECT id, search_vector FROM projects_project WHERE search_vector IS NOT NULL"
    )
    schema_editor.execute(f"CREATE INDEX {INDEX} ON projects_searchdocument USING gin (vector)")


def move_documents_back(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "UPDATE projects_project AS project SET search_vector = document.vector "
        "FROM projects_searchdocument AS document WHERE document.project_id = project.id"
    )
    schema_editor.execute(f"CREATE INDEX {OLD_INDEX} ON projects_project USING gin (search_vector)")


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0017_place_serbian_names"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchDocument",
            fields=[
                (
                    "project",
                    models.OneToOneField(
                        editable=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_document",
                        serialize=False,
                        to="projects.project",
                    ),
                ),
                (
                    "vector",
                    django.contrib.postgres.search.SearchVectorField(
                        editable=False, null=True, verbose_name="search document"
                    ),
                ),
            ],
            options={
                "verbose_name": "search document",
                "verbose_name_plural": "search documents",
                "default_permissions": (),
            },
        ),
        migrations.RunPython(move_documents, move_documents_back),
        # Drops the column's GIN index (0005) with it.
        migrations.RemoveField(model_name="project", name="search_vector"),
    ]
