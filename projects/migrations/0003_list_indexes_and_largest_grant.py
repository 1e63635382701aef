"""Indexes for every filter and sort of the public list, and each project's largest grant stored for the amount sort."""

import datetime
import django.db.models.functions.comparison
from django.db import migrations, models
from django.db.models import Max, OuterRef, Subquery


def fill_largest_grant(apps, schema_editor):
    Funding = apps.get_model("projects", "Funding")
    largest = Funding.objects.filter(project=OuterRef("pk")).values("project").annotate(m=Max("amount")).values("m")
    apps.get_model("projects", "Project").objects.update(largest_grant=Subquery(largest))


class Migration(migrations.Migration):

    dependencies = [
        ('projects', '0002_editors_group'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='project',
            name='project_published_title',
        ),
        migrations.RemoveIndex(
            model_name='project',
            name='project_start_date',
        ),
        migrations.AddField(
            model_name='project',
            name='largest_grant',
            field=models.DecimalField(blank=True, decimal_places=2, editable=False, help_text="The largest single stated amount of the project's grants; empty when none states one.", max_digits=14, null=True),
        ),
        migrations.RunPython(fill_largest_grant, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='funding',
            index=models.Index(fields=['donor', 'project'], name='funding_donor_project'),
        ),
        migrations.AddIndex(
            model_name='project',
            index=models.Index(condition=models.Q(('is_published', True)), fields=['id'], name='project_published'),
        ),
        migrations.AddIndex(
            model_name='project',
            index=models.Index(condition=models.Q(('is_published', True)), fields=['status'], name='project_listed_status'),
        ),
        migrations.AddIndex(
            model_name='project',
            index=models.Index(models.F('title'), models.F('slug'), condition=models.Q(('is_published', True)), name='project_listed_title'),
        ),
        migrations.AddIndex(
            model_name='project',
            index=models.Index(models.F('start_date'), models.F('title'), models.F('slug'), condition=models.Q(('is_published', True)), name='project_listed_start'),
        ),
        migrations.AddIndex(
            model_name='project',
            index=models.Index(models.OrderBy(django.db.models.functions.comparison.Coalesce('start_date', models.Value(datetime.date(1, 1, 1))), descending=True), models.F('title'), models.F('slug'), condition=models.Q(('is_published', True)), name='project_listed_start_desc'),
        ),
        migrations.AddIndex(
            model_name='project',
            index=models.Index(models.F('largest_grant'), models.F('title'), models.F('slug'), condition=models.Q(('is_published', True)), name='project_listed_grant'),
        ),
        migrations.AddIndex(
            model_name='project',
            index=models.Index(models.OrderBy(django.db.models.functions.comparison.Coalesce('largest_grant', models.Value(0)), descending=True), models.F('title'), models.F('slug'), condition=models.Q(('is_published', True)), name='project_listed_grant_desc'),
        ),
    ]
