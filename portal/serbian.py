"""Serbian in its two scripts: Latin <-> Cyrillic, and the Cyrillic translation catalogue derived from the Latin one.

Translators edit one file, locale/sr_Latn/LC_MESSAGES/django.po; `make messages` writes
locale/sr/LC_MESSAGES/django.po from it (derive_catalogue) and compiles both.

Cyrillic -> Latin is letter for letter (љ -> lj, њ -> nj, џ -> dž; Љ -> "Lj", or "LJ" inside a word in capitals).
Latin -> Cyrillic needs care, so it leaves alone:
- what is not Serbian text: elements marked lang="en" with their content, HTML tags and entities, Django
  template tags and variables ({{ }}, {% %}), Python placeholders (%(name)s, %s, %d, %%, {name}), web
  addresses, e-mail addresses, paths and file names;
- codes and acronyms: any word of two or more capitals (USD, EUR, IOM, INL, EU, UNDP, WHO, UNOPS, PDF,
  CSV, JSON, RIS, URL, HTML, ISO; "IOM-a" keeps IOM, converts the ending), words with a capital after
  the first letter (BibTeX), words with letters Serbian does not have (q, w, x, y: "Twitter"), and KEEP_LATIN;
- the digraphs that are two letters, not one (DIGRAPH_EXCEPTIONS): "injekcija" is инјекција, not ињекција.

Our own small module rather than a package: serbian-translit (the best kept on PyPI) converts USD to УСД and
%(name)s to %(наме)s, and keeps every quoted phrase in Latin, while our catalogue quotes Serbian words
(„više od“) as often as English ones („Completed Projects“); cyrtranslit has no exceptions at all.
"""

import re
import sys
from pathlib import Path

LATIN_DIGRAPHS = {"lj": "љ", "nj": "њ", "dž": "џ"}
LATIN_LETTERS = dict(
    zip(
        "abcčćdđefghijklmnoprsštuvzž",
        "абцчћдђефгхијклмнопрсштувзж",
        strict=True,
    )
)
CYRILLIC_LETTERS = {cyrillic: latin for latin, cyrillic in LATIN_LETTERS.items()} | {
    cyrillic: latin for latin, cyrillic in LATIN_DIGRAPHS.items()
}

# Words in which l+j, n+j or d+ž are two letters (a prefix meets a root, or a loanword): the stem with "|"
# where the pair splits. Matched anywhere in a word, in any case ("Injekcija", "INJEKCIJE").
DIGRAPH_EXCEPTIONS = [
    # n + j
    "in|jekc",  # injekcija
    "in|jekt",  # injektor
    "kon|jug",  # konjugacija
    "kon|junk",  # konjunkcija, konjunktura
    "van|jezič",  # vanjezički
    "tan|jug",  # Tanjug
    "pan|jelin",  # panjelinski
    "in|jun",  # injunkcija
    # d + ž
    "nad|žanr",
    "nad|živ",  # nadživeti
    "nad|žnje",
    "nad|žup",
    "od|žal",  # odžaliti
    "od|živ",
    "od|žvak",
    "pod|žanr",
    "pod|žnje",
    "pod|žup",  # podžupan
    "pred|žet",
    "pred|živ",
    # l + j: Serbian words where l and j are two letters are rare loanwords; none is in our strings yet.
]
# Latin words that stay Latin though they look Serbian: none of ours needs one yet (a translator adds any here).
KEEP_LATIN = {"BibTeX"}

PROTECTED = re.compile(
    r"<(\w+)\b[^<>]*\blang=[\"']?en\b[^<>]*>.*?</\1>"  # an element marked English, with its text
    r"|<!--.*?-->"  # HTML comments
    r"|<[^<>]*>"  # HTML tags
    r"|&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]+\d*);"  # HTML entities
    r"|\{\{.*?\}\}|\{%.*?%\}"  # Django template variables and tags
    r"|%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]"  # %(name)s
    r"|%[-#0 +]*\d*(?:\.\d+)?[sdifrcxXeEgGou%]"  # %s, %d, %%
    r"|\{[A-Za-z_]?[\w.]*(?:![rsa])?(?::[^{}]*)?\}"  # {name}, {0}, {}
    r"|(?:[A-Za-z][A-Za-z0-9+.-]*://|www\.)[^\s<>\"“”„]+"  # web addresses
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail addresses
    r"|(?<![\w/])(?:/[\w.%?=&-]*)+/?(?=[\s.,;:)\]“”\"']|$)"  # paths: /projects/export.csv
    r"|\b[\w-]+\.(?:csv|json|ris|bib|xml|txt|pdf|html|py|po|mo)\b",  # file names
    flags=re.DOTALL,
)
WORD = re.compile(r"[^\W\d_]+")
FOREIGN_LETTERS = set("qwxyQWXY")


def _exception_splits(lowered):
    """Positions in a lowercased word where a digraph is two letters: the index of its second letter."""
    splits = set()
    for stem in DIGRAPH_EXCEPTIONS:
        joined = stem.replace("|", "")
        start = lowered.find(joined)
        while start != -1:
            splits.add(start + stem.index("|"))
            start = lowered.find(joined, start + 1)
    return splits


def _keeps_latin(word):
    if word in KEEP_LATIN or FOREIGN_LETTERS & set(word):
        return True
    if not word.isascii():
        return False
    # Codes and acronyms (USD, IOM) and words with a capital inside (BibTeX, iPhone).
    return (len(word) >= 2 and word.isupper()) or any(letter.isupper() for letter in word[1:])


def _word_to_cyrillic(word):
    if _keeps_latin(word):
        return word
    lowered = word.lower()
    splits = _exception_splits(lowered)
    out = []
    index = 0
    while index < len(word):
        pair = lowered[index : index + 2]
        if pair in LATIN_DIGRAPHS and index + 1 not in splits:
            letter = LATIN_DIGRAPHS[pair]
            out.append(letter.upper() if word[index].isupper() else letter)
            index += 2
            continue
        character = word[index]
        letter = LATIN_LETTERS.get(character.lower())
        if letter is None:
            out.append(character)  # not a Serbian letter (an accented foreign one): left as it is
        else:
            out.append(letter.upper() if character.isupper() else letter)
        index += 1
    return "".join(out)


def _text_to_cyrillic(text):
    return WORD.sub(lambda match: _word_to_cyrillic(match.group()), text)


def _convert_outside(text, convert, keep=()):
    """`convert` the spans of `text` that are not PROTECTED, nor one of the literal strings `keep`."""
    pattern = PROTECTED
    if keep:
        literal = "|".join(re.escape(span) for span in sorted(keep, key=len, reverse=True))
        pattern = re.compile(f"{literal}|{PROTECTED.pattern}", flags=re.DOTALL)
    out = []
    position = 0
    for match in pattern.finditer(text):
        out.append(convert(text[position : match.start()]))
        out.append(match.group())
        position = match.end()
    out.append(convert(text[position:]))
    return "".join(out)


def to_cyrillic(text: str) -> str:
    """Serbian Latin text in Cyrillic, leaving codes, acronyms, addresses, placeholders and markup in Latin."""
    return _convert_outside(text, _text_to_cyrillic)


def _letter_to_latin(text, index):
    character = text[index]
    latin = CYRILLIC_LETTERS.get(character.lower())
    if latin is None:
        return character
    if not character.isupper():
        return latin
    if len(latin) == 1:
        return latin.upper()
    # Љ, Њ, Џ: "LJ" inside capitals (ЉУБАВ -> LJUBAV), "Lj" before small letters or alone (Љубав -> Ljubav).
    following = text[index + 1 : index + 2]
    preceding = text[index - 1 : index] if index else ""
    if following.isupper() or (not following.isalpha() and preceding.isupper()):
        return latin.upper()
    return latin[0].upper() + latin[1:]


def to_latin(text: str) -> str:
    """Serbian Cyrillic text in Latin, letter for letter; anything not Cyrillic is left as it is."""
    return "".join(_letter_to_latin(text, index) for index in range(len(text)))


# The Cyrillic catalogue ----------------------------------------------------------------------------------------------

QUOTED = re.compile(r"„([^„“”]*)[“”]|“([^“”]*)”|\"([^\"]*)\"")
DATE_FORMAT = re.compile(r"^(?:[aAbBcdDeEfFgGhHiIjlLmMnNoOPrsStTuUwWyYzZ]|\\.|[\s,.:/-])+$")


def is_date_format(text):
    """ "j F Y, H:i": format letters one at a time, literal ones escaped ("\\u"); "Day" or "Month" is a word."""
    return bool(DATE_FORMAT.match(text)) and not re.search(r"(?<!\\)[A-Za-z][A-Za-z]", text)


def english_quotes(msgid, msgstr):
    """The quoted phrases of a translation that are the English original's own words („Completed Projects“):
    they stay in Latin, as the source's words do on every page."""
    english = []
    for match in QUOTED.finditer(msgstr):
        phrase = next(group for group in match.groups() if group is not None)
        if phrase and phrase in msgid and not PROTECTED.fullmatch(phrase):
            english.append(phrase)
    return english


def msgstr_to_cyrillic(msgid, msgstr):
    """One translation in Cyrillic. A date format ("j. F Y. \\u H:i") keeps its format letters and converts only
    its escaped literal ones; quoted English words stay Latin."""
    if is_date_format(msgid) and is_date_format(msgstr):
        return re.sub(r"\\(.)", lambda m: "\\" + _text_to_cyrillic(m.group(1)), msgstr)
    return _convert_outside(msgstr, _text_to_cyrillic, keep=english_quotes(msgid, msgstr))


HEADER_COMMENT = """Serbian (Cyrillic script) interface of the IOM Serbia Project Catalogue.
DERIVED FILE, do not edit: `make messages` writes it from locale/sr_Latn/LC_MESSAGES/django.po
(portal/serbian.py). Translate in the Latin file; this one follows."""


def derive_catalogue(latin):
    """The Cyrillic catalogue (a polib.POFile) of the Latin one, entry for entry."""
    import polib  # a development requirement: only `make messages` and the tests derive catalogues

    cyrillic = polib.POFile(wrapwidth=latin.wrapwidth)
    cyrillic.header = HEADER_COMMENT
    cyrillic.metadata = dict(latin.metadata)
    cyrillic.metadata.update({"Language": "sr", "Language-Team": "Serbian (Cyrillic script)"})
    cyrillic.metadata_is_fuzzy = latin.metadata_is_fuzzy
    for entry in latin:
        if entry.obsolete:
            continue
        derived = polib.POEntry(
            msgid=entry.msgid,
            msgid_plural=entry.msgid_plural,
            msgctxt=entry.msgctxt,
            occurrences=entry.occurrences,
            comment=entry.comment,
            flags=list(entry.flags),
        )
        if entry.msgid_plural:
            derived.msgstr_plural = {
                index: msgstr_to_cyrillic(entry.msgid, text) for index, text in entry.msgstr_plural.items()
            }
        else:
            derived.msgstr = msgstr_to_cyrillic(entry.msgid, entry.msgstr)
        cyrillic.append(derived)
    return cyrillic


def main(latin_path, cyrillic_path):
    import polib

    Path(cyrillic_path).parent.mkdir(parents=True, exist_ok=True)
    derive_catalogue(polib.pofile(latin_path)).save(cyrillic_path)


if __name__ == "__main__":
    main(*sys.argv[1:3])
