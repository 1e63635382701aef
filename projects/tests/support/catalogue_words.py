"""The catalogue's own English words that Serbian pages must not show outside lang="en"."""

# The places' English names (issue 13); not "FYRM", the text's own name, which labels quote inside lang="en".
ENGLISH_PLACE_NAMES = [
    "Serbia",
    "Greece",
    "North Macedonia",
    "border with Bulgaria",
    "Balkan route",
    "Western Balkan route",
    "Eastern Mediterranean route",
    "Western Europe",
]
