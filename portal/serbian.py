"""Serbian Latin <-> Cyrillic. A placeholder: a plain letter map, replaced by the tested converter at merge.

Cyrillic -> Latin is letter for letter. Latin -> Cyrillic reads the digraphs lj, nj, dž as one letter
(no exception list here: "injekcija" would come out wrong) and leaves words in capitals (EU, IOM) alone.
"""

import re

CYRILLIC_TO_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "đ", "е": "e", "ж": "ž", "з": "z", "и": "i",
    "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n", "њ": "nj", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "ћ": "ć", "у": "u", "ф": "f", "х": "h", "ц": "c", "ч": "č", "џ": "dž", "ш": "š",
}  # fmt: skip
CYRILLIC_TO_LATIN |= {cyr.upper(): lat.capitalize() for cyr, lat in CYRILLIC_TO_LATIN.items()}
LATIN_TO_CYRILLIC = {latin: cyrillic for cyrillic, latin in CYRILLIC_TO_LATIN.items()}
LATIN_TO_CYRILLIC |= {"LJ": "Љ", "NJ": "Њ", "DŽ": "Џ"}
LATIN_LETTERS = re.compile(r"lj|nj|dž|Lj|Nj|Dž|LJ|NJ|DŽ|[a-zA-ZčćđšžČĆĐŠŽ]")
# A word in capitals of two letters or more (an acronym: EU, IOM, USD) stays in Latin letters.
ACRONYM = re.compile(r"\b[A-Z]{2,}\b")


def to_latin(text):
    return "".join(CYRILLIC_TO_LATIN.get(character, character) for character in text)


def to_cyrillic(text):
    def convert(part):
        return LATIN_LETTERS.sub(lambda match: LATIN_TO_CYRILLIC.get(match.group(), match.group()), part)

    pieces, last = [], 0
    for match in ACRONYM.finditer(text):
        pieces += [convert(text[last : match.start()]), match.group()]
        last = match.end()
    return "".join([*pieces, convert(text[last:])])
