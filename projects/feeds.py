"""/projects/feed.atom: the published projects as an Atom 1.0 feed, newest change first.

A feed is a list: the same query parameters as /projects/ (donor, area, status, q, ...), read and checked by
the list's own FilterSet, so /projects/feed.atom?donor=european-union follows exactly the projects that list
shows. An invalid parameter answers 400 with a plain message, as the exports do. Built on Django's
syndication framework (Atom1Feed).
"""

from urllib.parse import parse_qsl, urlencode

from django.contrib.syndication.views import Feed
from django.http import HttpResponseBadRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext as _

from .filters import ProjectFilter
from .models import Project
from .provenance import first_sentence

# Entries per feed: the latest changes; feed readers keep what they saw before.
FEED_ENTRIES = 50


def feed_query(filterset):
    """The filters of a valid (or partly valid) list as the feed's query string: the list's canonical query
    without its sort and page, which a feed does not take (it is always newest change first)."""
    pairs = [(name, value) for name, value in parse_qsl(filterset.canonical_query()) if name not in ("sort", "page")]
    return urlencode(pairs)


def feed_url(filterset=None):
    """The address of the feed of the list `filterset` describes (of every published project without one)."""
    query = feed_query(filterset) if filterset is not None else ""
    path = reverse("projects:project_feed")
    return f"{path}?{query}" if query else path


class ProjectFeed(Feed):
    """The feed of one list of projects: the list's filters, newest change first, FEED_ENTRIES at most."""

    feed_type = Atom1Feed

    def __call__(self, request):
        # One instance serves every request (and thread): the list travels as an argument, never on self.
        filterset = ProjectFilter(request.GET, queryset=Project.objects.for_listing())
        if not filterset.is_valid():
            intro = _("The feed could not be made. Fix these parameters and try again:")
            return HttpResponseBadRequest(filterset.problems(intro), content_type="text/plain; charset=utf-8")
        return super().__call__(request, filterset=filterset)

    def get_object(self, request, filterset):
        return filterset

    def title(self, filterset):
        filters = filterset.active_filters()
        if not filters:
            return _("Projects: IOM Serbia Project Catalogue")
        chosen = "; ".join(f"{active['label']}: {active['value']}" for active in filters)
        return _("Projects (%(filters)s): IOM Serbia Project Catalogue") % {"filters": chosen}

    def subtitle(self, filterset):
        return _(
            "The latest changes to the completed migration and asylum projects of IOM Serbia that this list shows."
        )

    def link(self, filterset):
        query = feed_query(filterset)
        path = reverse("projects:project_list")
        return f"{path}?{query}" if query else path

    def feed_url(self, filterset):
        return feed_url(filterset)

    def author_name(self):
        return _("IOM Serbia Project Catalogue")

    def items(self, filterset):
        # The list's filters, then the feed's own order: the latest change first (a tie by slug, so it is stable).
        return filterset.narrowed(filterset.queryset).order_by("-updated", "slug")[:FEED_ENTRIES]

    def item_title(self, project):
        return project.title

    def item_description(self, project):
        # Atom1Feed says the summary is HTML: the text's own first sentence, escaped, is never markup.
        return escape(first_sentence(project.text))

    def item_updateddate(self, project):
        return project.updated

    def item_pubdate(self, project):
        return project.created

    def item_categories(self, project):
        donors = [grant.donor.name for grant in project.fundings.all()]
        areas = [area.name for area in project.areas.all()]
        return list(dict.fromkeys(donors + areas))
