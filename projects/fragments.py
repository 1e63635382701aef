"""
Rendered pieces of pages, kept for one catalogue generation in this process's memory.

A page the page cache (projects.caching) does not hold -- a filter combination nobody asked for before, a
search, another page of a list, an address with a parameter of its own -- is still made mostly of pieces
another page rendered a moment ago: the same projects' list rows, the same facet choices with the same
counts. Rendering those through Django's templates was most of such a page's time (a list row is some 0.25 ms).

Each piece here depends only on the catalogue and the language it is rendered in, so it is kept with the facet
index of the catalogue's generation (projects.facets: `index.fragments`) and goes with it. An edit retires every
piece at once, exactly as it retires every cached page, and a worker never shows a piece older than the
catalogue generation it read for this request: several workers and several app servers stay correct.

What is personal to a request is never kept: a search's highlighted words (the row's facts are kept, its
title and passage are rendered each time). A signed-in editor's requests neither read nor keep pieces, as
the page cache never serves them: they always see the rows as they are.

Bounded (FRAGMENT_LIMIT pieces per generation, the least recently used dropped first), so a crawler walking
every page of 100,000 projects keeps a worker's memory flat.
"""

import threading
from collections import OrderedDict

from django.db import DatabaseError
from django.db.models import prefetch_related_objects
from django.template.loader import get_template
from django.utils.translation import get_language

from .querysets import summary_prefetches

# About 2 KB each: some 10 MB per worker at most, for the rows of 5,000 projects, or fewer rows and their facts.
FRAGMENT_LIMIT = 5000


class Fragments:
    """Rendered HTML by key, at most `limit` of them, the least recently used dropped first. Thread-safe."""

    def __init__(self, limit=FRAGMENT_LIMIT):
        self.limit = limit
        self._pieces = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            html = self._pieces.get(key)
            if html is not None:
                self._pieces.move_to_end(key)
            return html

    def put(self, key, html):
        with self._lock:
            self._pieces[key] = html
            self._pieces.move_to_end(key)
            while len(self._pieces) > self.limit:
                self._pieces.popitem(last=False)

    def __len__(self):
        return len(self._pieces)


def fragments_for(request, using=None):
    """The kept pieces of the catalogue generation `request` reads; for a request that is not a public read (a
    signed-in editor's, who must always see the rows as they are), an empty store that keeps nothing."""
    from .caching import is_public_read  # caching imports the filters, which import the facet index, which imports this
    from .facets import facet_index_for

    if not is_public_read(request):
        return Fragments(limit=0)
    try:
        return facet_index_for(request, using=using).fragments
    except DatabaseError:
        # An error page rendered while the database is down (the 503 page) keeps nothing and asks nothing.
        return Fragments(limit=0)


def _searched(project):
    """Whether the row shows a search's highlighted words (ProjectQuerySet.with_search_headlines)."""
    return bool(getattr(project, "title_headline", None) or getattr(project, "text_headline", None))


def with_summaries(request, projects, heading_level=2):
    """`projects` as a list, each with `summary_html`: its list row (includes/_project_summary.html).

    The rows come from Project.objects.for_rows() (the project itself, one query). A row rendered before in this
    generation and language is taken as it was; the others read what a row shows of other tables (its areas,
    grants with donors, places: summary_prefetches(), three queries whatever their number) and are rendered.
    """
    projects = list(projects)
    if not projects:
        return projects
    fragments = fragments_for(request, using=projects[0]._state.db)
    language = get_language()
    row_template = get_template("includes/_project_summary.html")
    facts_template = get_template("includes/_project_summary_facts.html")

    def row_key(project):
        return ("summary", language, project.pk, heading_level)

    def facts_key(project):
        return ("summary-facts", language, project.pk)

    for project in projects:
        if not _searched(project):
            project.summary_html = fragments.get(row_key(project))
        if getattr(project, "summary_html", None) is None:
            project.summary_facts = fragments.get(facts_key(project))
    unread = [project for project in projects if getattr(project, "summary_html", None) is None]
    without_facts = [project for project in unread if project.summary_facts is None]
    if without_facts:
        prefetch_related_objects(without_facts, *summary_prefetches(type(without_facts[0])))
        for project in without_facts:
            project.summary_facts = facts_template.render({"project": project})
            fragments.put(facts_key(project), project.summary_facts)
    for project in unread:
        project.summary_html = row_template.render({"project": project, "heading_level": heading_level})
        if not _searched(project):
            fragments.put(row_key(project), project.summary_html)
    return projects
