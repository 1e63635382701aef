"""The catalogue's own words in Serbian: one place decides which words a page shows, in which script.

Some words are the catalogue's, not the source's: status and area names and descriptions, what a figure
counts and its period in words, editorial notes. Each such field (a model's `translated_fields`) has a
Serbian twin in Latin script, `<field>_sr_latn`, written by the catalogue's editors beside the English.
The Cyrillic interface (Django's `sr`) shows the Latin value converted by portal.serbian.to_cyrillic, here
and nowhere else, so a translator keeps one Serbian text. Where the Serbian is still empty, a Serbian page
shows the English, which then says it is English (OwnWords.language, read by the `source` filter).

What the source gives (project texts, titles, quoted sentences, the names of donors and partners) has no
Serbian twin and always reads in English.
"""

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from portal.serbian import to_cyrillic

SOURCE_LANGUAGE = "en"
SERBIAN_LATIN = "sr-latn"
SERBIAN_CYRILLIC = "sr"
SERBIAN_LANGUAGES = (SERBIAN_LATIN, SERBIAN_CYRILLIC)


def serbian_field(name):
    """The name of the field that holds `name`'s Serbian (Latin script): "name" -> "name_sr_latn"."""
    return f"{name}_sr_latn"


class OwnWords(str):
    """A text with the Django language code it is in, so the page can mark it when it is not the page's own."""

    def __new__(cls, text, language):
        words = super().__new__(cls, text)
        words.language = language
        return words


def own_words(obj, name, language=None):
    """`obj`'s field `name` as a page in `language` (default: the active one) shows it, as OwnWords.

    English pages and fields with no Serbian twin: the English. Serbian pages: the Serbian, in Latin or
    converted to Cyrillic; the English (marked as English) while the Serbian is empty.
    """
    language = language or get_language() or SOURCE_LANGUAGE
    if language in SERBIAN_LANGUAGES and name in getattr(type(obj), "translated_fields", ()):
        latin = getattr(obj, serbian_field(name))
        if latin:
            return OwnWords(to_cyrillic(latin) if language == SERBIAN_CYRILLIC else latin, language)
    return OwnWords(getattr(obj, name), SOURCE_LANGUAGE)


class OwnHtml(SafeString):
    """HTML in the page's language whose English parts are already marked lang="en" (Place.marked_label)."""

    def __new__(cls, html, language=None):
        words = super().__new__(cls, html)
        words.language = language or get_language() or SOURCE_LANGUAGE
        return words


def mark_english(text, language=None):
    """`text` escaped, inside <span lang="en"> when it is English on a page in another language."""
    language = language or get_language() or SOURCE_LANGUAGE
    if language == SOURCE_LANGUAGE or in_page_language(text, language):
        return escape(text)
    return format_html('<span lang="{}">{}</span>', SOURCE_LANGUAGE, text)


def in_page_language(text, language=None):
    """True when `text` is in the page's language: OwnWords say which they are in; any other text is English."""
    language = language or get_language() or SOURCE_LANGUAGE
    return getattr(text, "language", SOURCE_LANGUAGE) == language


class TranslatedWords:
    """`obj.translated.name`: own_words(obj, "name") in the active language, for templates."""

    def __init__(self, obj):
        self._obj = obj

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return own_words(self._obj, name)


class Translated:
    """A model whose `translated_fields` each have a Serbian (Latin script) twin, `<field>_sr_latn`."""

    translated_fields = ()

    @property
    def translated(self):
        return TranslatedWords(self)
