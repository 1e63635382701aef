"""/sitemap.xml: the public pages a search engine should know, and when each project last changed."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Area, Donor, Place, Project


class PageSitemap(Sitemap):
    """The pages that are always there."""

    def items(self):
        return ["projects:home", "projects:project_list", "projects:place_list", "projects:context"]

    def location(self, item):
        return reverse(item)


class ProjectSitemap(Sitemap):
    def items(self):
        return Project.objects.published().order_by("slug")

    def lastmod(self, project):
        return project.updated


class DonorSitemap(Sitemap):
    """Listed donors only: the others' pages answer 404."""

    def items(self):
        return Donor.objects.listed().order_by("slug")


class AreaSitemap(Sitemap):
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
