"""
The catalogue: projects, the donors that fund them, the organisations that
carry them out, the thematic areas they serve and the migration-context
figures their texts cite.

Every structured fact keeps the words it comes from (`source_sentence`), so a
reader, a test or `clean()` can check it against the project's own text.
Rules the database can hold are named constraints; `clean()` repeats them
with a friendlier message for forms.
"""

import functools
import re
from decimal import Decimal

from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Lower
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from .choices import Currency, FigureQualifier, FigureUnit, PartnerRole, PlaceKind, Precision
from .querysets import (
    EARLIEST_DATE,
    NO_GRANT,
    AreaQuerySet,
    ContextFigureQuerySet,
    DonorQuerySet,
    FundingQuerySet,
    NaturalKeyQuerySet,
    PartnerQuerySet,
    PartnershipQuerySet,
    PlaceQuerySet,
    ProjectQuerySet,
    StatusQuerySet,
)
from .translation import SOURCE_LANGUAGE, OwnHtml, OwnWords, Translated, mark_english, own_words

# Benchmark rows made by `seed_synthetic` (projects.synthetic) carry this slug prefix; no real row may.
SYNTHETIC_SLUG_PREFIX = "synthetic-"
SYNTHETIC_SLUG_MESSAGE = _("Slugs starting with “%(prefix)s” are reserved for benchmark data. Choose another.")

# Paragraphs are separated by a line that is empty or holds only white space.
BLANK_LINE = re.compile(r"\r?\n[ \t\u00a0]*\r?\n")


def quoted_in(sentence, text):
    """True when `sentence` appears word for word in `text` (white space folded)."""
    return " ".join(sentence.split()) in " ".join(text.split())


# A number as texts write it: "700000", "700,000", "700.000", "700 000", "1 million", "1.5 million".
NUMBER_IN_TEXT = re.compile(
    r"(?<![\d.,])(\d{1,3}(?:([,.\u00a0\u202f ])\d{3})(?:\2\d{3})*|\d+)(?:[.,](\d+))?"
    r"(?:\s*(million|thousand|billion)\b)?",
    re.IGNORECASE,
)
MULTIPLIERS = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}


def numbers_in(sentence):
    """Every whole number a sentence states: "more than 700,000" -> {700000}; "1.5 million" -> {1500000}."""
    found = set()
    for match in NUMBER_IN_TEXT.finditer(sentence or ""):
        digits, _separator, fraction, multiplier = match.groups()
        whole = int(re.sub(r"\D", "", digits))
        if multiplier:
            scale = MULTIPLIERS[multiplier.lower()]
            found.add(int(Decimal(f"{whole}.{fraction or 0}") * scale))
        elif not fraction:
            # A decimal without "million" ("2.5 per cent") is never a figure's whole value.
            found.add(whole)
    return found


def first_of_month(value):
    return value.replace(day=1) if value else value


class NaturalKey:
    """A row that fixtures refer to by the values of `natural_key_fields`, never by id.

    Each model declares its fields once; natural_key() here, get_by_natural_key() (querysets.NaturalKeyQuerySet)
    and the loader (natural_key_fields() below) all read them. A foreign key stands for its row's own natural key.
    """

    natural_key_fields = ("slug",)

    def natural_key(self):
        key = ()
        for name in self.natural_key_fields:
            value = getattr(self, name)
            key += value.natural_key() if isinstance(value, NaturalKey) else (value,)
        return key


@functools.lru_cache(maxsize=4096)
def _page_url(name, slug, language, script_prefix, urlconf):
    return reverse(name, args=[slug])


def page_url(name, slug):
    """reverse(name, args=[slug]), remembered per language, script prefix and URLconf (everything the answer
    depends on): a list page links each row's project, areas and donors, and reverse() costs more than the rest of
    the link."""
    return _page_url(name, slug, get_language(), get_script_prefix(), get_urlconf())


class NamedEntry(NaturalKey, models.Model):
    """Something the catalogue lists by name and refers to by slug: an area, a donor, a partner."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    objects = NaturalKeyQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.slug.startswith(SYNTHETIC_SLUG_PREFIX):
            raise ValidationError({"slug": SYNTHETIC_SLUG_MESSAGE % {"prefix": SYNTHETIC_SLUG_PREFIX}})


SERBIAN_HELP = _("The catalogue's own words in Serbian, Latin script (the Cyrillic pages convert them).")


class Status(Translated, NamedEntry):
    """Where a project stands (the source page lists every project as completed)."""

    order = models.PositiveSmallIntegerField(_("order"), default=0, help_text=_("Lower numbers are listed first."))
    description = models.TextField(_("description"), blank=True)
    # The catalogue's words, so Serbian pages say them in Serbian (projects.translation).
    name_sr_latn = models.CharField(_("name in Serbian"), max_length=200, blank=True, help_text=SERBIAN_HELP)
    description_sr_latn = models.TextField(_("description in Serbian"), blank=True, help_text=SERBIAN_HELP)
    translated_fields = ("name", "description")

    objects = StatusQuerySet.as_manager()

    class Meta(NamedEntry.Meta):
        ordering = ["order", "name"]
        verbose_name = _("status")
        verbose_name_plural = _("statuses")


class Area(Translated, NamedEntry):
    """A thematic area of work, such as border management."""

    description = models.TextField(_("description"), blank=True)
    # The catalogue assigns areas and names them itself: Serbian pages say them in Serbian (projects.translation).
    name_sr_latn = models.CharField(_("name in Serbian"), max_length=200, blank=True, help_text=SERBIAN_HELP)
    description_sr_latn = models.TextField(_("description in Serbian"), blank=True, help_text=SERBIAN_HELP)
    translated_fields = ("name", "description")

    objects = AreaQuerySet.as_manager()

    class Meta(NamedEntry.Meta):
        verbose_name = _("area")
        verbose_name_plural = _("areas")

    def get_absolute_url(self):
        return page_url("projects:area_detail", self.slug)


class Donor(NamedEntry):
    """An institution that funds projects."""

    short_name = models.CharField(
        _("short name"), max_length=30, blank=True, help_text=_("Only where the source text gives one, e.g. “INL”.")
    )
    description = models.TextField(_("description"), blank=True)
    # Pages name a donor as the source does (in English); search also knows its Serbian name.
    search_name_sr_latn = models.CharField(
        _("Serbian name, for search"),
        max_length=200,
        blank=True,
        help_text=_("The name a Serbian reader would search for, in Latin script, e.g. “Evropska unija”. Not shown."),
    )

    objects = DonorQuerySet.as_manager()

    class Meta(NamedEntry.Meta):
        verbose_name = _("donor")
        verbose_name_plural = _("donors")

    def get_absolute_url(self):
        return page_url("projects:donor_detail", self.slug)


class Partner(NamedEntry):
    """An organisation that carries out or takes part in projects (not as a donor)."""

    short_name = models.CharField(_("short name"), max_length=30, blank=True)
    description = models.TextField(_("description"), blank=True)

    objects = PartnerQuerySet.as_manager()

    class Meta(NamedEntry.Meta):
        verbose_name = _("partner")
        verbose_name_plural = _("partners")


# ISO 3166-1 alpha-2: two capital letters.
ISO_CODE = re.compile(r"^[A-Z]{2}$")


class Place(Translated, NamedEntry):
    """A place a project's text names, under the name the text gives it ("FYRM", "the border with Bulgaria").

    Where the text's name is out of date, `display_name` gives today's, and pages show both:
    "North Macedonia (the text says “FYRM”)". Only places the texts name; none is inferred.
    """

    kind = models.CharField(_("kind"), max_length=10, choices=PlaceKind.choices)
    iso_code = models.CharField(
        _("ISO 3166-1 code"),
        max_length=2,
        blank=True,
        help_text=_("Countries only: the two-letter ISO 3166-1 code, e.g. “GR” for Greece."),
    )
    display_name = models.CharField(
        _("display name"),
        max_length=200,
        blank=True,
        help_text=_("Only where the text's name is out of date: today's name, shown with the text's own."),
    )
    # Place names are the catalogue's words too: Serbian pages name places in Serbian (projects.translation).
    # "FYRM" keeps its English name inside the label ("Severna Makedonija (u tekstu: „FYRM“)"): the text's word.
    name_sr_latn = models.CharField(_("name in Serbian"), max_length=200, blank=True, help_text=SERBIAN_HELP)
    display_name_sr_latn = models.CharField(
        _("display name in Serbian"), max_length=200, blank=True, help_text=SERBIAN_HELP
    )
    translated_fields = ("name", "display_name")

    objects = PlaceQuerySet.as_manager()

    class Meta(NamedEntry.Meta):
        verbose_name = _("place")
        verbose_name_plural = _("places")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=PlaceKind.values), name="place_kind_valid"),
            models.CheckConstraint(
                condition=Q(kind=PlaceKind.COUNTRY) | Q(iso_code=""), name="place_iso_code_for_countries_only"
            ),
            models.UniqueConstraint(fields=["iso_code"], condition=~Q(iso_code=""), name="place_unique_iso_code"),
        ]

    def get_absolute_url(self):
        return reverse("projects:place_detail", args=[self.slug])

    @property
    def label(self):
        """The name to show, in the page's language (OwnWords): "Greece", "Grčka", or "North Macedonia (the text
        says “FYRM”)", "Severna Makedonija (u tekstu: „FYRM“)". The text's own name stays as the text gives it.
        Plain text; pages show `marked_label`, which marks the English names as English."""
        name = own_words(self, "name")
        if not self.display_name:
            return name
        display = own_words(self, "display_name")
        return OwnWords(
            gettext("%(name)s (the text says “%(text_name)s”)") % {"name": display, "text_name": self.name},
            display.language,
        )

    @property
    def marked_label(self):
        """`label` as HTML for a page: every English name in it (the text's own "FYRM" always, on Serbian pages)
        inside lang="en". OwnHtml in the page's language, so the `source` filter leaves it as it is."""
        name = own_words(self, "name")
        if not self.display_name:
            return OwnHtml(mark_english(name))
        template = escape(gettext("%(name)s (the text says “%(text_name)s”)"))
        template = template.replace("%(name)s", "{0}").replace("%(text_name)s", "{1}")
        return OwnHtml(
            format_html(
                template,
                mark_english(own_words(self, "display_name")),
                mark_english(OwnWords(self.name, SOURCE_LANGUAGE)),
            )
        )

    def clean(self):
        super().clean()
        if self.iso_code and not ISO_CODE.match(self.iso_code):
            raise ValidationError({"iso_code": _("Enter two capital letters, e.g. “RS”.")})
        if self.iso_code and self.kind != PlaceKind.COUNTRY:
            raise ValidationError(
                {"iso_code": _("Only a country has an ISO 3166-1 code. Clear it, or make the kind “Country”.")}
            )


class Project(Translated, NaturalKey, models.Model):
    """A project of the IOM Serbia office, with its source text kept verbatim."""

    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    text = models.TextField(
        _("text"), help_text=_("The project's text as the source gives it. Separate paragraphs with a blank line.")
    )
    status = models.ForeignKey(Status, on_delete=models.PROTECT, related_name="projects", verbose_name=_("status"))
    areas = models.ManyToManyField(Area, blank=True, related_name="projects", verbose_name=_("areas"))
    donors = models.ManyToManyField(
        Donor, through="Funding", related_name="projects", blank=True, verbose_name=_("donors")
    )
    partners = models.ManyToManyField(
        Partner, through="Partnership", related_name="projects", blank=True, verbose_name=_("partners")
    )
    start_date = models.DateField(
        _("start date"),
        null=True,
        blank=True,
        help_text=_("Leave empty when the text does not say when the project started."),
    )
    start_precision = models.CharField(
        _("start date precision"),
        max_length=11,
        choices=Precision.choices,
        default=Precision.MONTH,
        help_text=_("How much of the start date the text gives: “September 2015” is month precision."),
    )
    start_sentence = models.TextField(
        _("start date's sentence"),
        blank=True,
        help_text=_("The sentence of the project text that gives the start date, word for word."),
    )
    duration_months = models.PositiveSmallIntegerField(
        _("duration in months"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Leave empty when the text does not say."),
    )
    duration_sentence = models.TextField(
        _("duration's sentence"),
        blank=True,
        help_text=_("The sentence of the project text that gives the duration, word for word."),
    )
    places = models.ManyToManyField(
        Place, through="ProjectPlace", related_name="projects", blank=True, verbose_name=_("places")
    )
    editorial_note = models.TextField(
        _("editorial note"),
        blank=True,
        help_text=_(
            "The catalogue's own remark on a gap of the source, shown after the text and apart from it, "
            "e.g. “The source page ends here; it does not list the two components it announces.”"
        ),
    )
    editorial_note_sr_latn = models.TextField(_("editorial note in Serbian"), blank=True, help_text=SERBIAN_HELP)
    is_published = models.BooleanField(
        _("published"), default=True, help_text=_("Unpublished projects are invisible to the public.")
    )
    # Derived from the grants (ProjectQuerySet.refresh_derived keeps it in step), so sorting by amount can use an index.
    largest_grant = models.DecimalField(
        _("largest grant"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
        help_text=_("The largest single stated amount of the project's grants; empty when none states one."),
    )
    created = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated = models.DateTimeField(_("updated"), default=timezone.now, editable=False)
    # The full-text search document lives in its own table (SearchDocument, below).

    objects = ProjectQuerySet.as_manager()
    translated_fields = ("editorial_note",)
    # Set by ProjectQuerySet.with_search_headlines() on a search's rows. None otherwise, so a list row's
    # template finds them at once: a missing attribute costs the template engine a dir() of the instance.
    title_headline = None
    text_headline = None
    # Set on the detail page once the start date's or the duration's sentence is found in the text (provenance).
    start_source_id = None
    duration_source_id = None

    class Meta:
        # As the list sorts by title: case ignored, in the order of the project_listed_title_lower index.
        ordering = [Lower("title"), "slug"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        # One index per sort of the public list, over published projects only, in the exact order of
        # ProjectQuerySet.ordered_by(): PostgreSQL then reads the first page straight from it, with no
        # sort and no count beyond the index. A descending sort with empty values last is indexed on
        # COALESCE(value, lowest) because SQLite cannot index NULLS LAST.
        # Filters join on the published projects' ids, and a count reads them, from the first two alone.
        indexes = [
            models.Index(fields=["id"], name="project_published", condition=Q(is_published=True)),
            models.Index(fields=["status"], name="project_listed_status", condition=Q(is_published=True)),
            models.Index(Lower("title"), F("slug"), name="project_listed_title_lower", condition=Q(is_published=True)),
            models.Index(
                F("start_date"), F("title"), F("slug"), name="project_listed_start", condition=Q(is_published=True)
            ),
            models.Index(
                Coalesce("start_date", Value(EARLIEST_DATE)).desc(),
                F("title"),
                F("slug"),
                name="project_listed_start_desc",
                condition=Q(is_published=True),
            ),
            models.Index(
                F("largest_grant"), F("title"), F("slug"), name="project_listed_grant", condition=Q(is_published=True)
            ),
            models.Index(
                Coalesce("largest_grant", Value(NO_GRANT)).desc(),
                F("title"),
                F("slug"),
                name="project_listed_grant_desc",
                condition=Q(is_published=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_months__isnull=True) | Q(duration_months__gt=0),
                name="project_duration_positive",
            ),
            models.CheckConstraint(
                condition=Q(start_precision__in=Precision.values), name="project_start_precision_valid"
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        # "Catalogue entry last changed" is what the public page shows; any save is an edit.
        self.updated = timezone.now()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return page_url("projects:project_detail", self.slug)

    def clean(self):
        if self.slug.startswith(SYNTHETIC_SLUG_PREFIX):
            raise ValidationError({"slug": SYNTHETIC_SLUG_MESSAGE % {"prefix": SYNTHETIC_SLUG_PREFIX}})
        if self.start_date and self.start_precision != Precision.DAY:
            # Month or year precision: store the first day so sorting stays honest.
            self.start_date = first_of_month(self.start_date)
            if self.start_precision == Precision.YEAR:
                self.start_date = self.start_date.replace(month=1)
        errors = {}
        # A date's sentence is its provenance, as a grant's or a figure's is: it must be the text's own words,
        # and it backs a fact only when that fact is given.
        for sentence_field, fact_field in (("start_sentence", "start_date"), ("duration_sentence", "duration_months")):
            sentence = getattr(self, sentence_field)
            if not sentence:
                continue
            if not quoted_in(sentence, self.text or ""):
                errors[sentence_field] = _(
                    "This sentence does not appear in the project's text. Copy it word for word."
                )
            elif getattr(self, fact_field) is None:
                errors[sentence_field] = _(
                    "This sentence backs a fact that is empty. Give the fact it states, or clear the sentence."
                )
        if errors:
            raise ValidationError(errors)

    @property
    def paragraphs(self):
        return [p.strip() for p in BLANK_LINE.split(self.text) if p.strip()]


class SearchDocument(models.Model):  # noqa: DJ008 -- derived bookkeeping, never shown
    """A project's weighted full-text document on PostgreSQL (title A; the names of its donors, areas and partners
    B; text C), kept current by ProjectQuerySet.refresh_derived() and read through a GIN index that migration 0018
    makes on PostgreSQL only. SQLite keeps no rows here: its search matches words directly.

    Kept apart from the project's row because a broad search reads every document it matches: at 100,000
    projects this table is about a third of the project table's size, so a search that matches half the catalogue
    reads a third as much (docs/query-plans.md)."""

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, primary_key=True, related_name="search_document", editable=False
    )
    vector = SearchVectorField(_("search document"), null=True, editable=False)

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")
        # Derived data nobody edits: no permissions for the Editors group to take.
        default_permissions = ()


class QuotedFact:
    """A fact drawn from a project's text, which keeps the sentence it comes from (`source_sentence`)."""

    def unquoted_sentence_errors(self):
        """{"source_sentence": message} when the sentence is not in the project's text, else {}."""
        try:
            # The project may be unsaved (the admin's add form): its text is what counts.
            text = self.project.text
        except Project.DoesNotExist:
            return {}
        if self.source_sentence and not quoted_in(self.source_sentence, text):
            return {"source_sentence": _("This sentence does not appear in the project's text. Copy it word for word.")}
        return {}


class Funding(NaturalKey, QuotedFact, models.Model):
    """A donor's grant to a project. The amount may be unknown: then it says "not stated", never 0."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="fundings", verbose_name=_("project"))
    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="fundings", verbose_name=_("donor"))
    amount = models.DecimalField(
        _("amount"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Leave empty when the text does not say."),
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, blank=True)
    source_sentence = models.TextField(
        _("source sentence"),
        blank=True,
        help_text=_("The sentence of the project text this grant comes from, word for word."),
    )

    objects = FundingQuerySet.as_manager()
    natural_key_fields = ("project", "donor")

    class Meta:
        ordering = ["project__title", "donor__name"]
        verbose_name = _("funding")
        verbose_name_plural = _("funding")
        indexes = [
            models.Index(fields=["currency", "amount"], name="funding_currency_amount"),
            # The donor filter reads (donor, project) pairs from the index alone.
            models.Index(fields=["donor", "project"], name="funding_donor_project"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["project", "donor"], name="funding_unique_project_donor"),
            models.CheckConstraint(condition=Q(amount__isnull=True) | Q(amount__gt=0), name="funding_amount_positive"),
            # An amount needs its currency, and a currency without an amount means nothing.
            models.CheckConstraint(
                condition=(Q(amount__isnull=True) & Q(currency=""))
                | (Q(amount__isnull=False) & Q(currency__in=Currency.values)),
                name="funding_currency_with_amount",
            ),
        ]

    def __str__(self):
        return f"{self.donor} → {self.project}"

    def clean(self):
        errors = {}
        if self.amount is not None and self.amount <= 0:
            errors["amount"] = _("The amount must be greater than zero. Leave it empty if the text does not state it.")
        if self.amount is not None and not self.currency:
            errors["currency"] = _("Choose the currency of this amount.")
        if self.amount is None and self.currency:
            errors["amount"] = _("Enter the amount in this currency, or clear the currency.")
        errors.update(self.unquoted_sentence_errors())
        if errors:
            raise ValidationError(errors)


class Partnership(NaturalKey, QuotedFact, models.Model):
    """An organisation's part in a project, as the text describes it."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="partnerships", verbose_name=_("project")
    )
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="partnerships", verbose_name=_("partner")
    )
    role = models.CharField(_("role"), max_length=20, choices=PartnerRole.choices)
    source_sentence = models.TextField(
        _("source sentence"), blank=True, help_text=_("The sentence that names this organisation.")
    )

    objects = PartnershipQuerySet.as_manager()
    natural_key_fields = ("project", "partner")

    class Meta:
        ordering = ["role", "partner__name"]
        verbose_name = _("partnership")
        verbose_name_plural = _("partnerships")
        constraints = [
            models.UniqueConstraint(fields=["project", "partner"], name="partnership_unique_project_partner"),
            models.CheckConstraint(condition=Q(role__in=PartnerRole.values), name="partnership_role_valid"),
        ]

    def __str__(self):
        return f"{self.partner} ({self.get_role_display().lower()}) → {self.project}"

    def clean(self):
        if errors := self.unquoted_sentence_errors():
            raise ValidationError(errors)


class ContextFigure(Translated, NaturalKey, QuotedFact, models.Model):
    """A migration-context figure a project's text cites, e.g. "more than 700,000 migrants"."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="figures", verbose_name=_("project"))
    key = models.SlugField(
        _("key"), max_length=80, help_text=_("A short name for this figure, unique within its project.")
    )
    value_low = models.PositiveBigIntegerField(_("value"), help_text=_("The figure, or the low end of a range."))
    value_high = models.PositiveBigIntegerField(
        _("high value"), null=True, blank=True, help_text=_("Only for a range such as 6,000–7,000.")
    )
    qualifier = models.CharField(
        _("qualifier"), max_length=10, choices=FigureQualifier.choices, default=FigureQualifier.EXACT
    )
    unit = models.CharField(_("unit"), max_length=20, choices=FigureUnit.choices)
    counts = models.CharField(
        _("what it counts"), max_length=200, help_text=_("e.g. “migrants passing through Serbia”.")
    )
    period_label = models.CharField(
        _("period in the text's words"),
        max_length=120,
        blank=True,
        help_text=_("The period in the text's own words, e.g. “mid-2015 to March 2016”."),
    )
    # What it counts and when, in the catalogue's words: Serbian pages say them in Serbian (projects.translation).
    counts_sr_latn = models.CharField(
        _("what it counts, in Serbian"), max_length=200, blank=True, help_text=SERBIAN_HELP
    )
    period_label_sr_latn = models.CharField(
        _("period in words, in Serbian"), max_length=120, blank=True, help_text=SERBIAN_HELP
    )
    period_start = models.DateField(
        _("period start"), null=True, blank=True, help_text=_("First day of the period's first month.")
    )
    period_start_precision = models.CharField(
        _("period start precision"),
        max_length=11,
        choices=Precision.choices,
        default=Precision.MONTH,
        help_text=_("“Approximate month” when the text gives the start loosely: “mid-2015” is July 2015, approximate."),
    )
    period_end = models.DateField(
        _("period end"), null=True, blank=True, help_text=_("First day of the period's last month.")
    )
    period_end_precision = models.CharField(
        _("period end precision"), max_length=11, choices=Precision.choices, default=Precision.MONTH
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    places = models.ManyToManyField(
        Place,
        blank=True,
        related_name="figures",
        verbose_name=_("places its sentence names"),
        help_text=_("Only the places the figure's own sentence names."),
    )
    source_sentence = models.TextField(
        _("source sentence"), help_text=_("The sentence of the project text that gives this figure, word for word.")
    )

    objects = ContextFigureQuerySet.as_manager()
    translated_fields = ("counts", "period_label")
    natural_key_fields = ("project", "key")
    # Set on the detail page's figures (its citation; the id of its sentence in the text). None elsewhere, so
    # a figure card's template finds them at once: a missing attribute costs the template engine a dir().
    citation = None
    source_id = None

    class Meta:
        # A period the text gives only an end for ("until March 2016") sorts by that end.
        ordering = [Coalesce("period_start", "period_end").asc(nulls_last=True), "project__title", "key"]
        verbose_name = _("migration context figure")
        verbose_name_plural = _("migration context figures")
        # Meta.ordering's first key, in order: /context/ and the home page read the first figures through it
        # (then sort only the ties by title) instead of sorting every figure of the catalogue.
        indexes = [models.Index(Coalesce("period_start", "period_end"), name="figure_period_order")]
        constraints = [
            models.UniqueConstraint(fields=["project", "key"], name="figure_unique_project_key"),
            models.CheckConstraint(
                condition=Q(value_high__isnull=True) | Q(value_high__gte=models.F("value_low")),
                name="figure_high_not_below_low",
            ),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_end__gte=models.F("period_start")),
                name="figure_period_in_order",
            ),
            models.CheckConstraint(condition=Q(qualifier__in=FigureQualifier.values), name="figure_qualifier_valid"),
            models.CheckConstraint(condition=Q(unit__in=FigureUnit.values), name="figure_unit_valid"),
            models.CheckConstraint(
                condition=Q(period_start_precision__in=Precision.values) & Q(period_end_precision__in=Precision.values),
                name="figure_period_precision_valid",
            ),
        ]

    def __str__(self):
        return f"{self.project}: {self.key}"

    def clean(self):
        errors = {}
        if self.value_high is not None and self.value_low is not None and self.value_high < self.value_low:
            errors["value_high"] = _("The high value must not be below the value it ranges from.")
        if self.period_start and self.period_end and self.period_end < self.period_start:
            errors["period_end"] = _("The period cannot end before it starts.")
        self.period_start = first_of_month(self.period_start)
        self.period_end = first_of_month(self.period_end)
        errors.update(self.unquoted_sentence_errors())
        for field, message in self.unstated_value_errors().items():
            errors.setdefault(field, message)  # a range in the wrong order is said first
        if errors:
            raise ValidationError(errors)

    def unstated_value_errors(self):
        """{"value_low": message} when the source sentence does not state the figure (nor its high value)."""
        if not self.source_sentence:
            return {}
        stated = numbers_in(self.source_sentence)
        errors = {}
        for field in ("value_low", "value_high"):
            value = getattr(self, field)
            if value is not None and value not in stated:
                errors[field] = _(
                    "The source sentence does not give %(value)s. Check the figure, or choose the sentence that states it."
                ) % {"value": f"{value:,}"}
        return errors

    @property
    def is_dated(self):
        return self.period_start is not None or self.period_end is not None

    @property
    def is_range(self):
        return self.value_high is not None and self.value_high != self.value_low


class ProjectPlace(NaturalKey, QuotedFact, models.Model):
    """A place a project's text names, with the sentence that names it.

    The sentence is word for word from the text or, where only the title names the place (one project's
    text never names Serbia; its title does), the title itself: the title is the source's words too.
    """

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="place_links", verbose_name=_("project")
    )
    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="project_links", verbose_name=_("place"))
    source_sentence = models.TextField(
        _("source sentence"),
        help_text=_(
            "The sentence of the project text that names this place, word for word; or the title, if only it does."
        ),
    )

    objects = NaturalKeyQuerySet.as_manager()
    natural_key_fields = ("project", "place")

    class Meta:
        ordering = ["place__name"]
        verbose_name = _("project place")
        verbose_name_plural = _("project places")
        constraints = [
            models.UniqueConstraint(fields=["project", "place"], name="project_place_unique"),
        ]

    def __str__(self):
        return f"{self.place} → {self.project}"

    @property
    def from_title(self):
        """True when only the project's title names the place (its sentence is the title, not in the text)."""
        return bool(self.source_sentence) and not quoted_in(self.source_sentence, self.project.text)

    def unquoted_sentence_errors(self):
        try:
            title = self.project.title
        except Project.DoesNotExist:
            return {}
        if self.source_sentence and quoted_in(self.source_sentence, title):
            return {}
        errors = super().unquoted_sentence_errors()
        if errors:
            return {
                "source_sentence": _(
                    "This sentence is neither in the project's text nor its title. Copy it word for word."
                )
            }
        return errors

    def clean(self):
        if errors := self.unquoted_sentence_errors():
            raise ValidationError(errors)


class CatalogueGeneration(models.Model):  # noqa: DJ008 -- one row of bookkeeping, never shown
    """One row: a number bumped in the same transaction as every change to the catalogue.

    Cached pages are keyed by it (projects.caching). Kept in the database rather than in the cache so
    that it commits with the edit itself and every app server and worker reads the same value, even
    with a cache of its own per process (the local-memory default).
    """

    generation = models.BigIntegerField(_("generation"))
    # When the generation began: every page's Last-Modified (projects.caching.last_modified).
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("catalogue generation")
        verbose_name_plural = _("catalogue generations")
        # Nobody edits it: no permissions to grant (the Editors group takes every catalogue permission).
        default_permissions = ()


class LoadedFixtureState(models.Model):
    """What `reload_catalogue` last wrote for one fixture object: the base of a three-way comparison.

    If an object's current state still has this fingerprint, nobody changed it since the last load and
    the fixture may update it; if not (or it is gone), staff changed it and the reload keeps their version.
    """

    model_label = models.CharField(_("model"), max_length=100)
    natural_key = models.CharField(_("natural key"), max_length=400)
    # The row's id when it was loaded: finds the admin's record of its deletion, if staff delete it.
    object_id = models.CharField(_("object id"), max_length=40)
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    loaded_at = models.DateTimeField(_("loaded at"))

    class Meta:
        verbose_name = _("loaded fixture state")
        verbose_name_plural = _("loaded fixture states")
        constraints = [
            models.UniqueConstraint(fields=["model_label", "natural_key"], name="loaded_fixture_state_unique_key"),
        ]
        # Bookkeeping of the command, not catalogue content: no permissions for the Editors group to take.
        default_permissions = ()

    def __str__(self):
        return f"{self.model_label} {self.natural_key}"


# The catalogue's models in dependency order: a row may refer only to rows of models listed before its
# own. The loader and the exports (projects.catalogue) write and read in this order, the signals
# (projects.signals) watch these models, and the synthetic catalogue (projects.synthetic) fills them.
CATALOGUE_MODELS = [Status, Area, Donor, Partner, Place, Project, Funding, Partnership, ContextFigure, ProjectPlace]


def natural_key_fields(model):
    """The fields whose values identify a record of `model` (its natural key), as the model declares them."""
    return list(model.natural_key_fields)


def _declare_natural_key_dependencies():
    # dumpdata orders models by natural_key.dependencies: derive them from each model's natural_key_fields.
    for model in CATALOGUE_MODELS:
        related = [model._meta.get_field(name) for name in model.natural_key_fields]
        dependencies = [field.remote_field.model._meta.label_lower for field in related if field.is_relation]
        if dependencies:

            def natural_key(self):
                return NaturalKey.natural_key(self)

            natural_key.dependencies = dependencies
            model.natural_key = natural_key


_declare_natural_key_dependencies()
