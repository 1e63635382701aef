"""Template context every page needs."""

from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.urls import get_script_prefix
from django.utils.translation import get_language, get_language_from_path


def canonical_url(request):
    """The page's own absolute address without a query string; the project list replaces it with one that keeps its filters."""
    return {"canonical_url": request.build_absolute_uri(request.path)}


def language_tag(code):
    """A Django language code as the BCP 47 tag HTML's lang and hreflang take: "sr-latn" -> "sr-Latn"."""
    language, *subtags = code.split("-")
    return "-".join([language, *(tag.title() if len(tag) == 4 else tag.upper() for tag in subtags)])


def url_in_language(url, code):
    """A page's address (a path or an absolute URL, query string kept) in the interface language `code`.

    English pages have no prefix ("/projects/?q=x"), the others have theirs ("/sr-latn/projects/?q=x").
    Slugs are the same in every language, so only the prefix changes; a page that does not exist (a 404)
    gets the address it would have.
    """
    parts = urlsplit(url)
    prefix = get_script_prefix()
    rest = parts.path[len(prefix):] if parts.path.startswith(prefix) else parts.path.lstrip("/")
    if get_language_from_path("/" + rest):
        rest = rest.partition("/")[2]
    if code != settings.LANGUAGE_CODE:
        rest = f"{code}/{rest}"
    return urlunsplit(parts._replace(path=prefix + rest))


def languages(request):
    """The page in each interface language: the header's language switcher and the hreflang links.

    `languages`: [{"code": "sr-latn", "tag": "sr-Latn", "name": "Srpski (latinica)", "url": ..., "is_current": bool}];
    `language_tag`: the page's own language as a BCP 47 tag, for <html lang>.
    """
    current = get_language()
    here = request.get_full_path()
    return {
        "language_tag": language_tag(current),
        "languages": [
            {"code": code, "tag": language_tag(code), "name": name, "url": url_in_language(here, code),
             "is_current": code == current}
            for code, name in settings.LANGUAGES
        ],
    }
