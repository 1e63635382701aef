"""Readers of the HTML the portal renders, so tests assert what a visitor sees and a browser would send:
a page's text and its <dt>/<dd> facts, its links, the filter form's choices, the SVG charts, and a form's
fields as a browser would post them. Standard library only (html.parser), as forgiving as a browser."""

import re
from html import unescape
from html.parser import HTMLParser

VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
BLOCK_ELEMENTS = {
    "blockquote",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "li",
    "main",
    "ol",
    "p",
    "section",
    "table",
    "td",
    "th",
    "tr",
    "ul",
}


class TextParser(HTMLParser):
    """A page's visible text, white space folded, and the text of each element by class and by tag."""

    def __init__(self):
        super().__init__()
        self.open = []
        self.parts = []
        self.by_class = {}
        self.by_tag = {}

    def handle_starttag(self, tag, attrs):
        if tag in BLOCK_ELEMENTS:
            self.parts.append(" ")
        if tag in VOID_ELEMENTS:
            return
        classes = (dict(attrs).get("class") or "").split()
        self.open.append((tag, classes, len(self.parts)))

    def handle_endtag(self, tag):
        if tag in VOID_ELEMENTS or not self.open:
            return
        while self.open:
            open_tag, classes, start = self.open.pop()
            if open_tag == tag:
                break
        text = " ".join("".join(self.parts[start:]).split())
        for name in classes:
            self.by_class.setdefault(name, []).append(text)
        self.by_tag.setdefault(tag, []).append(text)
        if tag in BLOCK_ELEMENTS:
            self.parts.append(" ")

    def handle_data(self, data):
        if not any(tag in ("script", "style", "title") for tag, _, _ in self.open):
            self.parts.append(data)


def parsed(response):
    parser = TextParser()
    parser.feed(response.content.decode())
    parser.text = " ".join("".join(parser.parts).split())
    return parser


def page_text(response):
    """What a reader sees, with white space folded, so a test checks words, not markup."""
    return parsed(response).text


def prose_text(response):
    """The project's verbatim text as a reader sees it: the prose, without the reference links that follow a
    sentence giving several facts (they are the interface's words, not the text's)."""
    page = response.content.decode()
    prose = re.search(r'<div class="prose"[^>]*>(.*?)</div>', page, flags=re.S)[1]
    parser = TextParser()
    parser.feed(re.sub(r'<sup class="source-refs"[^>]*>.*?</sup>', "", prose, flags=re.S))
    return " ".join("".join(parser.parts).split())


# A marked sentence of a project's text: a link to its one fact, or a span followed by a link to each of its facts.
SOURCE_MARK = re.compile(
    r'<a class="source-mark" id="(?P<id>[^"]+)" href="#(?P<target>[^"]+)" title="(?P<title>[^"]*)">(?P<inner>.*?)</a>'
    r'|<span class="source-mark" id="(?P<span_id>[^"]+)" title="(?P<span_title>[^"]*)">(?P<span_inner>.*?)</span>'
    r'<sup class="source-refs"[^>]*>(?P<refs>.*?)</sup>',
    flags=re.S,
)


def source_marks(page):
    """Every marked sentence of a project page, in text order: {"id", "ids" (its own and the anchors inside it),
    "title", "words" (the text's words, tags removed), "targets" (the facts it links to, in order)}."""
    marks = []
    for match in SOURCE_MARK.finditer(page):
        if match["id"]:
            own, title, inner, targets = match["id"], match["title"], match["inner"], [match["target"]]
        else:
            own, title, inner = match["span_id"], match["span_title"], match["span_inner"]
            targets = re.findall(r'href="#([^"]+)"', match["refs"])
        ids = [own, *re.findall(r'<span id="([^"]+)"></span>', inner)]
        words = " ".join(unescape(re.sub(r"<[^>]+>", "", inner)).split())
        marks.append({"id": own, "ids": ids, "title": title, "words": words, "targets": targets})
    return marks


def summary(response):
    """{"Status": "Completed", "Donors and funding": "...", ...}: the page's <dt>/<dd> pairs, the first of each name."""
    page = parsed(response)
    pairs = {}
    for term, description in zip(page.by_tag.get("dt", []), page.by_tag.get("dd", [])):
        pairs.setdefault(term, description)
    return pairs


def figure_cards(response):
    """Per figure card: {"value": "more than 700,000 people", "Counts", "When", "Where", "quote"}."""
    cards = []
    for html in re.findall(r'<div class="figure-card"[^>]*>(.*?</blockquote>)', response.content.decode(), flags=re.S):
        card = TextParser()
        card.feed(html)
        facts = dict(zip(card.by_tag.get("dt", []), card.by_tag.get("dd", [])))
        facts["value"] = card.by_class["figure-card__value"][0]
        facts["quote"] = card.by_tag["blockquote"][0]
        cards.append(facts)
    return cards


# Links ------------------------------------------------------------------------------------------------------


class LinkParser(HTMLParser):
    """Collects every link of a page: its href, its text, its own classes and those of the elements around it."""

    def __init__(self):
        super().__init__()
        self.open = []  # classes of each open element
        self.links = []
        self.current = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = set((attrs.get("class") or "").split())
        if tag == "a":
            around = set().union(*self.open) if self.open else set()
            self.current = {"href": attrs.get("href"), "text": "", "classes": classes, "around": around, "hidden": ""}
        if tag not in VOID_ELEMENTS:
            self.open.append(classes)

    def handle_endtag(self, tag):
        if tag == "a" and self.current is not None:
            self.current["text"] = " ".join(self.current["text"].split())
            self.links.append(self.current)
            self.current = None
        if tag not in VOID_ELEMENTS and self.open:
            self.open.pop()

    def handle_data(self, data):
        if self.current is not None:
            if "visually-hidden" in self.open[-1]:
                self.current["hidden"] += data
            else:
                self.current["text"] += data


def links(response):
    parser = LinkParser()
    parser.feed(response.content.decode())
    return parser.links


def listed_titles(response):
    """The titles of the projects the page lists, in page order."""
    return [link["text"] for link in links(response) if "project-summary__title" in link["around"]]


# The filter form's choices ------------------------------------------------------------------------------------


class FacetParser(HTMLParser):
    """The filter form's choices: {"donor": {"eu": {"label", "count", "checked", "disabled"}}, "status": {...}}."""

    def __init__(self):
        super().__init__()
        self.choices = {}
        self.labels = {}  # input id -> label text
        self.inputs = {}  # input id -> (name, value, checked, disabled)
        self.label_for = None
        self.select = None
        self.option = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "checkbox":
            self.inputs[attrs["id"]] = (attrs["name"], attrs["value"], "checked" in attrs, "disabled" in attrs)
        elif tag == "label" and attrs.get("for"):
            self.label_for = attrs["for"]
            self.labels[self.label_for] = ""
        elif tag == "select":
            self.select = attrs["name"]
        elif tag == "option" and self.select:
            self.option = {
                "value": attrs["value"],
                "text": "",
                "checked": "selected" in attrs,
                "disabled": "disabled" in attrs,
            }

    def handle_endtag(self, tag):
        if tag == "label":
            self.label_for = None
        elif tag == "option" and self.option is not None:
            self.add(
                self.select, self.option["value"], self.option["text"], self.option["checked"], self.option["disabled"]
            )
            self.option = None
        elif tag == "select":
            self.select = None

    def handle_data(self, data):
        if self.label_for:
            self.labels[self.label_for] += data
        if self.option is not None:
            self.option["text"] += data

    def add(self, name, value, text, checked, disabled):
        # "(4 projects)", "(4 projekta)", "(4 пројекта)": the count with its word in any interface language.
        match = re.fullmatch(r"(.*) \((\d+)(?: [^\W\d]+)?\)", " ".join(text.split()))
        if match:
            self.choices.setdefault(name, {})[value] = {
                "label": match[1],
                "count": int(match[2]),
                "checked": checked,
                "disabled": disabled,
            }

    def close(self):
        super().close()
        for input_id, (name, value, checked, disabled) in self.inputs.items():
            self.add(name, value, self.labels.get(input_id, ""), checked, disabled)


def facet_choices(response):
    """The filter form's choices of a rendered list page, as FacetParser reads them."""
    parser = FacetParser()
    parser.feed(response.content.decode())
    parser.close()
    return parser.choices


# SVG charts ---------------------------------------------------------------------------------------------------


class SvgParser(HTMLParser):
    """Each <svg>: its attributes, the id'd elements inside, its texts (and by class), and the attributes of every mark.

    A chart's title may be outside its <svg> (a visible <figcaption>): `page_ids` holds every id'd caption's text.
    The map of places (an SVG of links, not an image: test_places reads it) is not a chart.
    """

    def __init__(self):
        super().__init__()
        self.charts = []
        self.current = None
        self.text_of = None
        self.page_ids = {}
        self.caption = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "figcaption" and attrs.get("id"):
            self.caption = attrs["id"]
            self.page_ids[self.caption] = ""
        if tag == "svg" and "place-map__svg" not in (attrs.get("class") or ""):
            self.current = {"attrs": attrs, "ids": {}, "texts": [], "by_class": {}, "marks": []}
            self.charts.append(self.current)
        elif self.current is not None:
            if tag in ("title", "desc", "text"):
                self.text_of = (tag, attrs.get("id"), attrs.get("class"))
                self.current["ids"].setdefault(attrs.get("id"), "")
            if tag in ("rect", "circle", "line"):
                self.current["marks"].append((tag, attrs))

    def handle_endtag(self, tag):
        if tag == "figcaption":
            self.caption = None
        if tag == "svg":
            self.current = None
        if tag in ("title", "desc", "text"):
            self.text_of = None

    def handle_data(self, data):
        if self.caption:
            self.page_ids[self.caption] += data
        if self.current is not None and self.text_of:
            tag, element_id, classes = self.text_of
            if element_id:
                self.current["ids"][element_id] += data
            if tag == "text":
                self.current["texts"].append(data)
                self.current["by_class"].setdefault(classes, []).append(data)


def charts(response):
    parser = SvgParser()
    parser.feed(response.content.decode())
    for chart in parser.charts:
        chart["ids"] = {**parser.page_ids, **chart["ids"]}
    return parser.charts


class FormReader(HTMLParser):
    """The fields of the form with `form_id`, as a browser would submit it unchanged."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside = form_id, False
        self.data = {}
        self._select = self._textarea = None
        self._selected = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
        if not self.inside or "name" not in attrs and tag != "option":
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self._add(attrs["name"], attrs.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "textarea":
            self._textarea, self._text = attrs["name"], ""
        elif tag == "select":
            self._select, self._selected = attrs["name"], []
        elif tag == "option" and self._select and "selected" in attrs:
            self._selected.append(attrs.get("value", ""))

    def handle_data(self, data):
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "textarea" and self._textarea:
            # Browsers drop the newline that follows <textarea>.
            self._add(self._textarea, self._text.removeprefix("\n"))
            self._textarea = None
        elif tag == "select" and self._select:
            for value in self._selected:
                self._add(self._select, value)
            self._select = None

    def _add(self, name, value):
        self.data.setdefault(name, []).append(value)


def form_fields(html, form_id):
    """{name: value or [values]} of the form with `form_id`, as a browser would post it unchanged."""
    reader = FormReader(form_id)
    reader.feed(html if isinstance(html, str) else html.decode())
    assert reader.data, f"no form with id {form_id!r} in the page"
    return {name: values[0] if len(values) == 1 else values for name, values in reader.data.items()}


class OwnLanguageParser(HTMLParser):
    """The text a page says in its own language: its visible text and the labels read aloud (aria-label, title,
    alt, placeholder), leaving out everything inside an element marked with another language (lang="en" on the
    source's English words, the language switcher's links), scripts, styles and the document's <title> (which
    names a project by its English title)."""

    READ_ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")

    def __init__(self):
        super().__init__()
        self.page_language = None
        self.open = []  # (tag, in another language)
        self.parts = []

    def _in_other_language(self):
        return any(other for _, other in self.open)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html" and self.page_language is None:
            self.page_language = attrs.get("lang", "")
        language = attrs.get("lang")
        other = language is not None and language.lower() != (self.page_language or "").lower()
        if not (other or self._in_other_language()):
            self.parts += [f" {attrs[name]} " for name in self.READ_ATTRIBUTES if attrs.get(name)]
        if tag in BLOCK_ELEMENTS:
            self.parts.append(" ")
        if tag not in VOID_ELEMENTS:
            self.open.append((tag, other))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS and self.open and self.open[-1][0] == tag:
            self.open.pop()

    def handle_endtag(self, tag):
        if tag in VOID_ELEMENTS:
            return
        while self.open:
            if self.open.pop()[0] == tag:
                break
        self.parts.append(" " if tag in BLOCK_ELEMENTS else "")

    def handle_data(self, data):
        tags = {tag for tag, _ in self.open}
        skipped = tags & {"script", "style"} or {"head", "title"} <= tags
        if not skipped and not self._in_other_language():
            self.parts.append(data)


def own_language_text(response):
    """What a page says in its own language, white space folded (see OwnLanguageParser)."""
    parser = OwnLanguageParser()
    parser.feed(response.content.decode())
    return " ".join("".join(parser.parts).split())
