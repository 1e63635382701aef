"""/sitemap.xml: the public pages a search engine should know, and when each project last changed.

Every page is listed in each interface language (English, Serbian Cyrillic, Serbian Latin), each entry naming
all three and x-default (English) as alternates, with the BCP 47 tags the pages' own hreflang links use
(templates/sitemap_languages.xml): "sr-Cyrl" and "sr-Latn", not Django's codes "sr" and "sr-latn".
"""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Area, Donor, Place, Project


class LanguagesSitemap(Sitemap):
    """A page per interface language, each with its alternates."""

    i18n = True
    alternates = True
    x_default = True


class PageSitemap(LanguagesSitemap):
    """The pages that are always there."""

    def items(self):
        return ["projects:home", "projects:project_list", "projects:place_list", "projects:context"]

    def location(self, item):
        return reverse(item)


class ProjectSitemap(LanguagesSitemap):
    def items(self):
        return Project.objects.published().order_by("slug")

    def lastmod(self, project):
        return project.updated


class DonorSitemap(LanguagesSitemap):
    """Listed donors only: the others' pages answer 404."""

    def items(self):
        return Donor.objects.listed().order_by("slug")


class AreaSitemap(LanguagesSitemap):
    """Listed areas only: the others' pages answer 404."""

    def items(self):
        return Area.objects.listed().order_by("slug")


class PlaceSitemap(Sitemap):
    """Listed places only: the others' pages answer 404."""

    def items(self):
        return Place.objects.listed().order_by("slug")


SITEMAPS = {
    "pages": PageSitemap,
    "projects": ProjectSitemap,
    "donors": DonorSitemap,
    "areas": AreaSitemap,
    "places": PlaceSitemap,
}
