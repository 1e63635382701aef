"""Template context every page needs."""


def canonical_url(request):
    """The page's own absolute address without a query string; the project list replaces it with one that keeps its filters."""
    return {"canonical_url": request.build_absolute_uri(request.path)}
