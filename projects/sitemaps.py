"""/sitemap.xml: the public pages a search engine should know, and when each project last changed."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Area, Donor, Project


class PageSitemap(Sitemap):
    """The pages that are always there."""

    def items(self):
        return ["projects:home", "projects:project_list", "projects:context"]

    def location(self, item):
        return reverse(item)


class ProjectSitemap(Sitemap):
    def items(self):
        return Project.objects.published().order_by("slug")

    def lastmod(self, project):
        return project.updated


class DonorSitemap(Sitemap):
    """Donors of at least one published project: the others' pages list nothing."""

    def items(self):
        return Donor.objects.with_project_counts().filter(project_count__gt=0).order_by("slug")


class AreaSitemap(Sitemap):
    def items(self):
        return Area.objects.with_project_counts().filter(project_count__gt=0).order_by("slug")


SITEMAPS = {"pages": PageSitemap, "projects": ProjectSitemap, "donors": DonorSitemap, "areas": AreaSitemap}
