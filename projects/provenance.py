"""Where in a project's verbatim text each structured fact comes from.

A grant, a partnership, a figure and a place link each keep the sentence they were drawn from (`source_sentence`),
and a project the sentences that give its start date and its duration (`start_sentence`, `duration_sentence`).
Here those sentences are found in the text, so the project page can mark them where they stand and
link each fact to its words and back. Pure text work on rows already loaded: no queries.

The text is never changed: marking only splits it into pieces, each escaped, some wrapped in a link.
"""

import re
from dataclasses import dataclass, field

from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

# A sentence ends at . ! or ? followed by white space and a capital, a digit or an opening quote/bracket.
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"‘(])")
# How long a list row's opening may be before it is cut (at a word) with an ellipsis.
OPENING_CHARACTERS = 220
# A sentence up to this many words is quoted whole on its card; a longer one (the source runs some
# sentences over eight lines) is quoted around the figure, with a link to the whole in the text.
WHOLE_SENTENCE_WORDS = 40
# How many words either side of a figure or an amount a card shows of a long sentence.
WORDS_AROUND = 12


def first_sentence(text, limit=OPENING_CHARACTERS):
    """The text's first sentence, verbatim; cut at a word boundary with "…" when longer than `limit`."""
    text = text.strip()
    if not text:
        return ""
    sentence = SENTENCE_END.split(text, maxsplit=1)[0]
    sentence = " ".join(sentence.split())  # a paragraph break inside is white space on one line
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit + 1].rsplit(" ", 1)[0].rstrip(",;:–-— ")
    return cut + "…"


@dataclass
class Fact:
    """One fact of the page: where its card is (`anchor`), and the sentence it quotes."""

    kind: str  # "grant", "partner", "start", "duration", "figure" or "place": what the marked sentence says it backs
    anchor: str  # the id of the fact's card or row on the page, e.g. "figure-arrivals-2015"
    sentence: str
    row: object = None  # the Funding, Partnership, ContextFigure or Project the template renders the fact from
    row_attribute: str = "source_id"  # the attribute of `row` that gets `source_id` once the sentence is found
    source_id: str = ""  # the id of the fact's place in the marked sentence, once found


@dataclass
class Mark:
    start: int
    end: int
    source_id: str
    facts: list = field(default_factory=list)


def _folded_pattern(sentence):
    """A pattern for `sentence` in which any run of white space matches any run (the text's line breaks)."""
    words = sentence.split()
    return re.compile(r"\s+".join(re.escape(word) for word in words)) if words else None


def facts_of(project):
    """The project's quoted facts in page order (grants, partners, dates, figures, places), from its prefetched rows."""
    facts = []
    for funding in project.fundings.all():
        facts.append(Fact("grant", f"grant-{funding.donor.slug}", funding.source_sentence, funding))
    for partnership in project.partnerships.all():
        facts.append(Fact("partner", f"partner-{partnership.partner.slug}", partnership.source_sentence, partnership))
    if project.start_date and project.start_sentence:
        facts.append(Fact("start", "fact-start", project.start_sentence, project, "start_source_id"))
    if project.duration_months and project.duration_sentence:
        facts.append(Fact("duration", "fact-duration", project.duration_sentence, project, "duration_source_id"))
    for figure in project.figures.all():
        facts.append(Fact("figure", f"figure-{figure.key}", figure.source_sentence, figure))
    for link in project.place_links.all():
        # A place only the title names has no sentence in the text to mark (ProjectPlace.from_title).
        facts.append(Fact("place", f"place-{link.place.slug}", link.source_sentence, link))
    return facts


def locate(paragraphs, facts):
    """Find each fact's sentence in the paragraphs: {paragraph index: [Mark, ...]} in text order.

    A sentence quoted by several facts is marked once; each of them links to that one mark. Sentences
    that overlap are joined into one mark. A fact whose sentence is not found keeps source_id "".
    """
    found = {}
    for fact in facts:
        pattern = _folded_pattern(fact.sentence or "")
        if pattern is None:
            continue
        for index, paragraph in enumerate(paragraphs):
            match = pattern.search(paragraph)
            if match:
                found.setdefault(index, []).append((match.start(), match.end(), fact))
                break
    marks = {}
    for index, spans in found.items():
        merged = []
        for start, end, fact in sorted(spans, key=lambda span: (span[0], -span[1])):
            if merged and start < merged[-1].end:
                merged[-1].end = max(merged[-1].end, end)
                merged[-1].facts.append(fact)
            else:
                merged.append(Mark(start, end, f"source-{fact.anchor}", [fact]))
        for mark in merged:
            for fact in mark.facts:
                # Every fact gets its own id ("source-figure-<key>"): the first one's is the mark's, the
                # others' are empty anchors at its start, so a link from another page always lands.
                fact.source_id = f"source-{fact.anchor}"
                if fact.row is not None:
                    # The prefetched row (or the project) the template renders: its card links to the mark.
                    setattr(fact.row, fact.row_attribute, fact.source_id)
        marks[index] = merged
    return marks


def marked_paragraph(paragraph, marks, title, label, interface_lang=""):
    """`paragraph` as HTML: every character escaped, each mark linked to the facts its sentence gives.

    A sentence that gives one fact is itself the link to that fact's card. A sentence that gives several
    (a grant, its partner and the start date, all in one sentence) is marked, and followed by a small
    reference link to each of its facts, so every fact can be reached from its words and back.
    `title(mark)` says what a mark's facts are; `label(fact, number)` names one fact's reference link,
    `number` counting facts of the same kind in the mark (None when the fact is the only one of its kind).
    The text's words stay its own. `interface_lang` is the page's language tag when it is not the text's
    (the reference links are the interface's words, inside the English text).
    """
    pieces, position = [], 0
    for mark in marks:
        pieces.append(escape(paragraph[position : mark.start]))
        others = mark_safe("".join(format_html('<span id="{}"></span>', fact.source_id) for fact in mark.facts[1:]))
        words = paragraph[mark.start : mark.end]
        if len(mark.facts) == 1:
            pieces.append(
                format_html(
                    '<a class="source-mark" id="{}" href="#{}" title="{}">{}</a>',
                    mark.source_id,
                    mark.facts[0].anchor,
                    title(mark),
                    words,
                )
            )
        else:
            kinds = [fact.kind for fact in mark.facts]
            seen, references = {}, []
            for fact in mark.facts:
                seen[fact.kind] = seen.get(fact.kind, 0) + 1
                number = seen[fact.kind] if kinds.count(fact.kind) > 1 else None
                references.append(format_html('<a href="#{}">{}</a>', fact.anchor, label(fact, number)))
            pieces.append(
                format_html(
                    '<span class="source-mark" id="{}" title="{}">{}{}</span><sup class="source-refs"{}>{}</sup>',
                    mark.source_id,
                    title(mark),
                    others,
                    words,
                    format_html(' lang="{}"', interface_lang) if interface_lang else "",
                    mark_safe(" ".join(references)),
                )
            )
        position = mark.end
    pieces.append(escape(paragraph[position:]))
    return mark_safe("".join(pieces))


def words_around(sentence, needles, words=WORDS_AROUND):
    """The words of `sentence` around the first of `needles` found in it (e.g. "700,000"), with "…" where cut.

    The whole sentence when it is short (WHOLE_SENTENCE_WORDS); when no needle is in it, its opening words.
    """
    tokens = sentence.split()
    if len(tokens) <= max(WHOLE_SENTENCE_WORDS, 2 * words + 1):
        return " ".join(tokens)
    at = None
    for needle in needles:
        at = next((i for i, token in enumerate(tokens) if needle and needle in token), None)
        if at is not None:
            break
    if at is None:
        at = 0
    start, end = max(0, at - words), min(len(tokens), at + words + 1)
    excerpt = " ".join(tokens[start:end])
    return ("… " if start > 0 else "") + excerpt + (" …" if end < len(tokens) else "")
