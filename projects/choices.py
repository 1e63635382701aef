"""The catalogue's fixed vocabularies, as TextChoices.

A module of their own, imported by models.py and querysets.py alike, so that the QuerySets can name a
choice (FigureQualifier.MORE_THAN) without importing the models that import them.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Precision(models.TextChoices):
    """How much of a date the source text actually gives."""

    YEAR = "year", _("Year")
    MONTH = "month", _("Month")
    DAY = "day", _("Day")
    # The text gives the month only loosely ("mid-2015"): the date is the nearest month (July 2015) and is
    # used for ordering and charts only; pages say the text's own words and draw the bound as approximate.
    APPROXIMATE = "approximate", _("Approximate month")


class Currency(models.TextChoices):
    """A short ISO 4217 list: the currencies aid to Serbia is given in."""

    USD = "USD", _("USD – US dollar")
    EUR = "EUR", _("EUR – euro")
    GBP = "GBP", _("GBP – pound sterling")
    CHF = "CHF", _("CHF – Swiss franc")
    SEK = "SEK", _("SEK – Swedish krona")
    NOK = "NOK", _("NOK – Norwegian krone")
    DKK = "DKK", _("DKK – Danish krone")
    JPY = "JPY", _("JPY – Japanese yen")
    RSD = "RSD", _("RSD – Serbian dinar")


class PartnerRole(models.TextChoices):
    """An organisation's part in a project, in the words the texts use."""

    IMPLEMENTER = "implementer", _("Implemented by")
    COUNTERPART = "counterpart", _("In cooperation with")
    PARTNER = "partner", _("Partner organisation")
    BENEFICIARY = "beneficiary", _("Assisted institution")


class FigureQualifier(models.TextChoices):
    """How the text hedges a figure: "more than 700,000", "some 4,000"."""

    EXACT = "exact", _("exactly")
    MORE_THAN = "more_than", _("more than")
    ABOUT = "about", _("some")
    UP_TO = "up_to", _("up to")


class FigureUnit(models.TextChoices):
    PEOPLE = "people", _("people")
    PEOPLE_PER_DAY = "people_per_day", _("people per day")
    CENTRES = "centres", _("centres")


class PlaceKind(models.TextChoices):
    """What kind of place a text names: "Greece" is a country, "the border with Bulgaria" a border."""

    COUNTRY = "country", _("Country")
    BORDER = "border", _("Border")
    ROUTE = "route", _("Migration route")
    REGION = "region", _("Region")
