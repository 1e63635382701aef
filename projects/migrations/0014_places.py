"""Places as data: Place, the project–place link with its sentence (ProjectPlace), and figure–place links.

The free-text Project.places stays until 0012 has turned it into links; 0013 drops it.
"""

import django.db.models.deletion
from django.db import migrations, models

import projects.models


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0013_figure_period_order"),
    ]

    operations = [
        migrations.CreateModel(
            name="Place",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=200, unique=True, verbose_name="name")),
                ("slug", models.SlugField(max_length=100, unique=True, verbose_name="slug")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("country", "Country"),
                            ("border", "Border"),
                            ("route", "Migration route"),
                            ("region", "Region"),
                        ],
                        max_length=10,
                        verbose_name="kind",
                    ),
                ),
                (
                    "iso_code",
                    models.CharField(
                        blank=True,
                        help_text="Countries only: the two-letter ISO 3166-1 code, e.g. “GR” for Greece.",
                        max_length=2,
                        verbose_name="ISO 3166-1 code",
                    ),
                ),
                (
                    "display_name",
                    models.CharField(
                        blank=True,
                        help_text="Only where the text's name is out of date: today's name, shown with the text's own.",
                        max_length=200,
                        verbose_name="display name",
                    ),
                ),
            ],
            options={
                "verbose_name": "place",
                "verbose_name_plural": "places",
                "ordering": ["name"],
                "abstract": False,
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("kind__in", ["country", "border", "route", "region"])),
                        name="place_kind_valid",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("kind", "country"), ("iso_code", ""), _connector="OR"),
                        name="place_iso_code_for_countries_only",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("iso_code", ""), _negated=True),
                        fields=("iso_code",),
                        name="place_unique_iso_code",
                    ),
                ],
            },
            bases=(projects.models.NaturalKey, models.Model),
        ),
        migrations.AddField(
            model_name="contextfigure",
            name="places",
            field=models.ManyToManyField(
                blank=True,
                help_text="Only the places the figure's own sentence names.",
                related_name="figures",
                to="projects.place",
                verbose_name="places its sentence names",
            ),
        ),
        migrations.CreateModel(
            name="ProjectPlace",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "source_sentence",
                    models.TextField(
                        help_text="The sentence of the project text that names this place, word for word; "
                        "or the title, if only it does.",
                        verbose_name="source sentence",
                    ),
                ),
                (
                    "place",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="project_links",
                        to="projects.place",
                        verbose_name="place",
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="place_links",
                        to="projects.project",
                        verbose_name="project",
                    ),
                ),
            ],
            options={
                "verbose_name": "project place",
                "verbose_name_plural": "project places",
                "ordering": ["place__name"],
                "constraints": [
                    models.UniqueConstraint(fields=("project", "place"), name="project_place_unique"),
                ],
            },
            bases=(projects.models.NaturalKey, projects.models.QuotedFact, models.Model),
        ),
    ]
