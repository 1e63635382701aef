"""The free-text Project.places ("Serbia, FYRM, Greece") as Place rows and project–place links.

Each name becomes a place (the four names the catalogue used get their kind and ISO code; any other name
a staff member typed becomes a region, to be checked in the admin). Its link quotes the first sentence of
the project's text that holds the name, else the title if it holds it, else nothing. `reload_catalogue`
then brings the fixtures' fuller reading of the texts (routes, Western Europe, figure links).
"""

import re

from django.db import migrations
from django.utils.text import slugify

KNOWN = {
    "Serbia": {"kind": "country", "iso_code": "RS"},
    "FYRM": {"kind": "country", "iso_code": "MK", "display_name": "North Macedonia"},
    "Greece": {"kind": "country", "iso_code": "GR"},
    "border with Bulgaria": {"kind": "border"},
}
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"‘(])")


def sentence_naming(name, project):
    for paragraph in re.split(r"\n\s*\n", project.text):
        for sentence in SENTENCE_END.split(" ".join(paragraph.split())):
            if name in sentence:
                return sentence
    return project.title if name in project.title else ""


def places_from_free_text(apps, schema_editor):
    Project = apps.get_model("projects", "Project")
    Place = apps.get_model("projects", "Place")
    ProjectPlace = apps.get_model("projects", "ProjectPlace")
    for project in Project.objects.exclude(places="").order_by("pk"):
        for name in dict.fromkeys(part.strip() for part in project.places.split(",") if part.strip()):
            place = Place.objects.filter(name=name).first()
            if place is None:
                slug = base = slugify(name)[:90] or "place"
                number = 1
                while Place.objects.filter(slug=slug).exists():
                    number += 1
                    slug = f"{base}-{number}"
                place = Place.objects.create(name=name, slug=slug, **KNOWN.get(name, {"kind": "region"}))
            ProjectPlace.objects.get_or_create(
                project=project, place=place, defaults={"source_sentence": sentence_naming(name, project)}
            )


def free_text_from_places(apps, schema_editor):
    Project = apps.get_model("projects", "Project")
    for project in Project.objects.all():
        names = project.place_links.order_by("place__name").values_list("place__name", flat=True)
        project.places = ", ".join(names)[:300]
        project.save(update_fields=["places"])


class Migration(migrations.Migration):
    dependencies = [("projects", "0014_places")]

    operations = [migrations.RunPython(places_from_free_text, free_text_from_places)]
