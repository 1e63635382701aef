"""Project.places becomes the project's links to Place rows (0012 moved the free text there)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("projects", "0015_places_from_free_text")]

    operations = [
        migrations.RemoveField(model_name="project", name="places"),
        migrations.AddField(
            model_name="project",
            name="places",
            field=models.ManyToManyField(
                blank=True,
                related_name="projects",
                through="projects.ProjectPlace",
                to="projects.place",
                verbose_name="places",
            ),
        ),
    ]
