"""/sitemap.xml: a sitemap index of the public pages a search engine should know, in sections.

/sitemap.xml is the index (django.contrib.sitemaps.views.index); each kind of page is a section,
/sitemap-<section>.xml, cut into pages (?p=2, ...) of at most SITEMAP_SECTION_SIZE addresses, so every
published project is listed at any size (the protocol allows 50,000 addresses per file). Every page is
listed in each interface language, with hreflang alternates naming the others (and x-default, the
unprefixed English address); a project also gives its last change.

Fast at 100,000 projects: a section page reads one slice of plain values (slug, last change), never
model instances, and builds addresses from one reverse() per language, not one per row.
"""

import datetime
from html import escape

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.core.paginator import Paginator
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation

from .context_processors import language_tag
from .models import Area, Donor, Place, Project

# Stands for the slug in an address reversed once per language (slugs need no quoting).
SLUG_PLACEHOLDER = "slug-placeholder"


def section_size():
    """Addresses per section page: the protocol's 50,000 at most; tests set less (SITEMAP_SECTION_SIZE)."""
    return min(int(getattr(settings, "SITEMAP_SECTION_SIZE", 50_000)), 50_000)


class InLanguages:
    """The (item, language) pairs of `items` (a sliceable queryset), item by item, without reading them all.

    Paginator takes its len() for the number of pages and slices one page: that reads only the items the
    page holds, not the whole catalogue (Django's own i18n sitemap builds every pair in a list first).
    """

    def __init__(self, items, languages):
        self.items, self.languages = items, list(languages)

    def __len__(self):
        return self.items.count() * len(self.languages)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start, stop = index.start or 0, index.stop
        per_item = len(self.languages)
        first = start // per_item
        last = None if stop is None else -(-stop // per_item)
        rows = list(self.items[first:last])
        pairs = [(row, language) for row in rows for language in self.languages]
        offset = start - first * per_item
        return pairs[offset : None if stop is None else offset + stop - start]


class CatalogueSitemap(Sitemap):
    """A section whose items are plain value rows; each is listed in every language, with its alternates."""

    i18n = True
    alternates = True
    x_default = True

    @property
    def limit(self):
        return section_size()

    @property
    def paginator(self):
        return Paginator(InLanguages(self.items(), self._languages()), self.limit)

    def path_maker(self, language):
        """A function: item -> its address in `language` (reversing once per language, not once per item)."""
        raise NotImplementedError

    def lastmod_of(self, item):
        return None

    def _urls(self, page, protocol, domain):
        """Django's Sitemap._urls, for value rows: the same entries, alternates tagged in BCP 47 ("sr-Latn").

        An item's addresses and its alternates are made once and shared by its entry in each language.
        """
        rows = self.paginator.page(page).object_list
        origin = f"{protocol}://{domain}"
        languages = self._languages()
        makers = {language: self.path_maker(language) for language in languages}
        tags = {language: language_tag(language) for language in languages}
        made = {}  # item -> ({language: address}, alternates)
        urls = []
        for item, language in rows:
            if item not in made:
                addresses = {other: origin + makers[other](item) for other in languages}
                alternates = [{"location": addresses[other], "lang_code": tags[other]} for other in languages]
                alternates.append({"location": addresses[settings.LANGUAGE_CODE], "lang_code": "x-default"})
                made[item] = (addresses, alternates)
            addresses, alternates = made[item]
            urls.append(
                {
                    "item": item,
                    "location": addresses[language],
                    "lastmod": self.lastmod_of(item),
                    "changefreq": None,
                    "priority": "",
                    "alternates": alternates,
                }
            )
        return urls


class PageSitemap(CatalogueSitemap):
    """The pages that are always there."""

    class _Names(list):
        def count(self):
            return len(self)

    def items(self):
        return self._Names(["projects:home", "projects:project_list", "projects:place_list", "projects:context"])

    def path_maker(self, language):
        with translation.override(language):
            paths = {name: reverse(name) for name in self.items()}
        return paths.__getitem__


class SlugSitemap(CatalogueSitemap):
    """Pages at an address of one slug; the addresses come from one reverse() per language and page."""

    url_name = None

    def path_maker(self, language):
        with translation.override(language):
            prefix, suffix = reverse(self.url_name, args=[SLUG_PLACEHOLDER]).split(SLUG_PLACEHOLDER)
        return lambda item: prefix + (item[0] if isinstance(item, tuple) else item) + suffix


class ProjectSitemap(SlugSitemap):
    url_name = "projects:project_detail"

    def items(self):
        return Project.objects.published().order_by("slug").values_list("slug", "updated")

    def lastmod_of(self, item):
        return item[1]

    def get_latest_lastmod(self):
        """The index's lastmod for the section: the latest change of a published project (one query)."""
        return Project.objects.published().aggregate(latest=Max("updated"))["latest"]

    def _urls(self, page, protocol, domain):
        urls = super()._urls(page, protocol, domain)
        # The view sends the latest change as Last-Modified, as Django's own sitemap does.
        lastmods = [url["lastmod"] for url in urls if url["lastmod"]]
        if lastmods:
            self.latest_lastmod = max(lastmods)
        return urls


class DonorSitemap(SlugSitemap):
    """Listed donors only: the others' pages answer 404."""

    url_name = "projects:donor_detail"

    def items(self):
        return Donor.objects.listed().order_by("slug").values_list("slug", flat=True)

    def get_latest_lastmod(self):
        return None


class AreaSitemap(SlugSitemap):
    """Listed areas only: the others' pages answer 404."""

    url_name = "projects:area_detail"

    def items(self):
        return Area.objects.listed().order_by("slug").values_list("slug", flat=True)

    def get_latest_lastmod(self):
        return None


class PlaceSitemap(SlugSitemap):
    """Listed places only: the others' pages answer 404."""

    url_name = "projects:place_detail"

    def items(self):
        return Place.objects.listed().order_by("slug").values_list("slug", flat=True)

    def get_latest_lastmod(self):
        return None


def urlset_xml(urls):
    """The sitemap file of `urls` (Sitemap.get_urls()): the XML Django's sitemap.xml template writes, built as
    one string (the template took seconds for 50,000 addresses)."""
    alternates_xml = {}  # id of an item's alternates (shared by its entries) -> their XML
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:xhtml="http://www.w3.org/1999/xhtml">'
    ]
    for url in urls:
        parts.append(f"<url><loc>{escape(url['location'])}</loc>")
        if url["lastmod"]:
            # The date in the site's time zone, as the template's date filter gives it.
            lastmod = url["lastmod"]
            day = timezone.localdate(lastmod) if isinstance(lastmod, datetime.datetime) else lastmod
            parts.append(f"<lastmod>{day.isoformat()}</lastmod>")
        key = id(url["alternates"])
        if key not in alternates_xml:
            alternates_xml[key] = "".join(
                f'<xhtml:link rel="alternate" hreflang="{escape(alternate["lang_code"])}" '
                f'href="{escape(alternate["location"])}"/>'
                for alternate in url["alternates"]
            )
        parts.append(alternates_xml[key])
        parts.append("</url>")
    parts.append("</urlset>\n")
    return "".join(parts)


SITEMAPS = {
    "pages": PageSitemap,
    "projects": ProjectSitemap,
    "donors": DonorSitemap,
    "areas": AreaSitemap,
    "places": PlaceSitemap,
}
