"""Template context every page needs.

Every page renders these, error pages included, whatever the request holds: a Host outside
ALLOWED_HOSTS (the 400 page for it must still render) or a path such as "//evil.example/" or
"/sr-latn/%2F%2Fevil.example/". So nothing here calls get_host() unguarded, and no link is made by
prefixing the raw path: a path that begins with "//" is another host's address to a browser.
"""

import re
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.urls import NoReverseMatch, Resolver404, get_script_prefix, resolve, reverse
from django.utils.encoding import escape_uri_path, iri_to_uri
from django.utils.translation import get_language, get_language_from_path, override

REPEATED_SLASHES = re.compile(r"/{2,}")


def absolute_url(request, path):
    """`path` on the request's own host; the path alone when the Host header is not one we serve."""
    try:
        return request.build_absolute_uri(path)
    except DisallowedHost:
        return path


def safe_path(path):
    """A path that can only name a page of this site: "/" once at the start, never "//" or "\\" anywhere, quoted."""
    return escape_uri_path(REPEATED_SLASHES.sub("/", "/" + path.replace("\\", "/")))


def page_path(request, code):
    """The path of the page `request` asked for, in interface language `code`, without its query string.

    From the resolved URL name and arguments (reverse quotes whatever they hold), so it is the address
    Django itself would give the page. A path no URL matches (a 404) gets the address it would have,
    with its repeated slashes collapsed.
    """
    try:
        match = request.resolver_match or resolve(request.path_info)
        with override(code):
            return reverse(match.view_name, args=match.args, kwargs=match.kwargs)
    except (Resolver404, NoReverseMatch):
        return url_in_language(safe_path(request.path), code)


def with_query_string(request, path):
    query = request.META.get("QUERY_STRING", "")
    return f"{path}?{iri_to_uri(query)}" if query else path


def canonical_url(request):
    """The page's own absolute address without a query string; the project list replaces it with one that keeps its filters."""
    return {"canonical_url": absolute_url(request, page_path(request, get_language()))}


# Django's "sr" is Serbian in Cyrillic: its tag names the script, as "sr-Latn" does for the Latin interface.
SCRIPT_OF_LANGUAGE = {"sr": "sr-Cyrl"}


def language_tag(code):
    """A Django language code as the BCP 47 tag HTML's lang and hreflang take: "sr-latn" -> "sr-Latn", "sr" -> "sr-Cyrl"."""
    if code in SCRIPT_OF_LANGUAGE:
        return SCRIPT_OF_LANGUAGE[code]
    language, *subtags = code.split("-")
    return "-".join([language, *(tag.title() if len(tag) == 4 else tag.upper() for tag in subtags)])


def url_in_language(url, code):
    """A page's address (a path or an absolute URL, query string kept) in the interface language `code`.

    English pages have no prefix ("/projects/?q=x"), the others have theirs ("/sr-latn/projects/?q=x").
    Slugs are the same in every language, so only the prefix changes; a page that does not exist (a 404)
    gets the address it would have. A path never becomes another host's address: "//evil.example/" is
    a path here, not a host.
    """
    parts = urlsplit(url)
    if parts.netloc and not parts.scheme:
        parts = urlsplit(safe_path(url.split("?", 1)[0]) + (f"?{parts.query}" if parts.query else ""))
    prefix = get_script_prefix()
    rest = parts.path[len(prefix) :] if parts.path.startswith(prefix) else parts.path.lstrip("/")
    if get_language_from_path("/" + rest):
        rest = rest.partition("/")[2]
    rest = REPEATED_SLASHES.sub("/", rest.replace("\\", "/")).lstrip("/")
    if code != settings.LANGUAGE_CODE:
        rest = f"{code}/{rest}"
    return urlunsplit(parts._replace(path=prefix + rest))


def languages(request):
    """The page in each interface language: the header's language switcher and the hreflang links.

    `languages`: [{"code": "sr-latn", "tag": "sr-Latn", "name": "Srpski", "url": ..., "is_current": bool}], one per
    entry of settings.LANGUAGES (English, Српски, Srpski), each name in its own language and script;
    `language_tag`: the page's own language as a BCP 47 tag, for <html lang>.
    """
    current = get_language()
    return {
        "language_tag": language_tag(current),
        "languages": [
            {
                "code": code,
                "tag": language_tag(code),
                "name": name,
                "url": with_query_string(request, page_path(request, code)),
                "is_current": code == current,
            }
            for code, name in settings.LANGUAGES
        ],
    }
