"""The staff's admin: projects with their grants, partners and figures inline, and the lists they draw on."""

import hashlib
import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models, router
from django.db.models import Count, Prefetch
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from reversion.models import Version

from .admin_widgets import (
    AreaFilter,
    DonorFilter,
    MonthField,
    PublishedFilter,
    SourceSentenceSelect,
    sentences_of,
)

# Every admin here restores one object at a time, never a whole revision (see projects.history).
from .history import CatalogueVersionAdmin as VersionAdmin
from .locking import CatalogueBusy, catalogue_write_lock, save_wait
from .models import Area, ContextFigure, Donor, Funding, Partner, Partnership, Place, Project, ProjectPlace, Status
from .templatetags.catalogue import grant

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class FactCardsInline(admin.StackedInline):
    """A project's grants, partnerships or figures as cards: each shows its reading and opens for editing.

    The card template (a <details> per row) works without JavaScript. Source sentences are picked from
    the project's text (SourceSentenceSelect), once the project has a text to pick from.
    """

    template = "admin/projects/edit_inline/cards.html"
    extra = 0
    classes = ["fact-cards"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None and obj.text:
            formset.form.base_fields["source_sentence"].widget = SourceSentenceSelect(sentences_of(obj.text))
        return formset

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.DateField):
            return db_field.formfield(
                form_class=MonthField, year_only_month=12 if db_field.name == "period_end" else 1, **kwargs
            )
        if db_field.name in ("period_start_precision", "period_end_precision"):
            # Months unless staff say otherwise: a row posted without them (an older form) keeps the default.
            field = super().formfield_for_dbfield(db_field, request, **kwargs)
            field.required = False
            return field
        if isinstance(db_field, models.TextField):
            kwargs["widget"] = forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField"})
        elif isinstance(db_field, models.CharField) and not db_field.choices:
            kwargs["widget"] = forms.TextInput(attrs={"class": "vLargeTextField"})
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class FundingInline(FactCardsInline):
    model = Funding
    autocomplete_fields = ["donor"]
    fields = [("donor", "amount", "currency"), "source_sentence"]


class PartnershipInline(FactCardsInline):
    model = Partnership
    autocomplete_fields = ["partner"]
    fields = [("partner", "role"), "source_sentence"]


class ContextFigureInline(FactCardsInline):
    model = ContextFigure
    fields = [
        "source_sentence",
        ("qualifier", "value_low", "value_high", "unit"),
        # The catalogue's own words: English and Serbian (Latin script) side by side.
        ("counts", "counts_sr_latn"),
        ("period_label", "period_label_sr_latn"),
        ("period_start", "period_start_precision", "period_end", "period_end_precision"),
        "place",
        "places",
        "key",
    ]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "places":
            # A handful of places: checkboxes need no script.
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ProjectPlaceInline(FactCardsInline):
    """The places the text names, each with its sentence; the title is offered too, for a place only it names."""

    model = ProjectPlace
    autocomplete_fields = ["place"]
    fields = ["place", "source_sentence"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None and obj.text:
            formset.form.base_fields["source_sentence"].widget = SourceSentenceSelect(
                sentences_of(obj.text) + [" ".join(obj.title.split())]
            )
        return formset


class CatalogueAdminForm(forms.ModelForm):
    """Every catalogue entry's admin form: it refuses to save over an edit someone else saved after it was opened.

    `edit_token` carries the object as the form showed it: a project's `updated` time (any save of a
    project or of its inline rows moves it), or for an entry without one (donor, area, status, partner)
    a digest of its own fields. If the row no longer matches by the time the form comes back, another
    editor saved in between: the save is refused with a message naming them, and the form keeps what
    this editor typed, rather than silently overwriting their work.
    """

    edit_token = forms.CharField(widget=forms.HiddenInput, required=False)
    # Set by CatalogueLockAdmin when the catalogue write lock could not be had in time: the form is shown
    # again with this message and everything that was typed, and nothing is saved.
    catalogue_busy = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            fields = edit_token_fields(self._meta.model)
            self.fields["edit_token"].initial = edit_token([getattr(self.instance, name) for name in fields])

    def clean(self):
        data = super().clean()
        if self.catalogue_busy:
            raise ValidationError(self.catalogue_busy, code="busy")
        if not self.instance.pk:
            return data
        # Locked until the admin's transaction ends, so a concurrent save of this row waits for ours.
        # The catalogue write lock (CatalogueLockAdmin) is already held: nothing else is locked first.
        model = self._meta.model
        current = (
            model.objects.select_for_update().filter(pk=self.instance.pk).values_list(*edit_token_fields(model)).first()
        )
        if current is not None and data.get("edit_token") != edit_token(current):
            saved_at = current[0] if edit_token_fields(model) == ["updated"] else None
            raise ValidationError(stale_edit_message(self.instance, saved_at), code="stale")
        return data


def edit_token_fields(model):
    """The columns whose values say "this row changed": `updated` where the model keeps one, else all of them."""
    names = [field.attname for field in model._meta.concrete_fields if not field.primary_key]
    return ["updated"] if "updated" in names else names


def edit_token(values):
    if len(values) == 1 and hasattr(values[0], "isoformat"):
        return values[0].isoformat()
    return hashlib.sha256(json.dumps([str(value) for value in values]).encode()).hexdigest()[:32]


class ProjectAdminForm(CatalogueAdminForm):
    class Meta:
        model = Project
        fields = "__all__"  # noqa: DJ007 -- the admin's fieldsets choose what the form shows


def stale_edit_message(obj, saved_at=None):
    """Who saved `obj` after this form was opened, and when, from its edit history."""
    latest = Version.objects.get_for_object(obj).select_related("revision__user").first()
    user = latest.revision.user if latest else None
    saved_at = saved_at or (latest.revision.date_created if latest else timezone.now())
    # Translators: a date format (Django's "date" filter letters): "1 September 2015, 14:30".
    when = date_format(timezone.localtime(saved_at), gettext("j F Y, H:i"))
    who = user.get_full_name() or user.get_username() if user else None
    if not isinstance(obj, Project):
        if who is None:
            message = gettext(
                "“%(object)s” was changed by someone else on %(when)s, after you opened this form, so your changes "
                "have not been saved. Copy anything you need from this form, open it again to see the latest "
                "version, then make your changes there."
            )
        else:
            message = gettext(
                "“%(object)s” was changed by %(who)s on %(when)s, after you opened this form, so your changes have "
                "not been saved. Copy anything you need from this form, open it again to see the latest version, "
                "then make your changes there."
            )
        return message % {"object": obj, "who": who, "when": when}
    if who is None:
        message = gettext(
            "This project was changed by someone else on %(when)s, after you opened it, so your changes have not "
            "been saved. Copy anything you need from this form, open the project again to see the latest version, "
            "then make your changes there."
        )
        return message % {"when": when}
    message = gettext(
        "This project was changed by %(who)s on %(when)s, after you opened it, so your changes have not been saved. "
        "Copy anything you need from this form, open the project again to see the latest version, "
        "then make your changes there."
    )
    return message % {"who": who, "when": when}


def busy_form_message():
    return gettext(
        "The catalogue is busy: someone else is saving a change, or it is being reloaded from the fixtures. "
        "Nothing has been saved yet, and everything you typed is still in this form: press Save again."
    )


class CatalogueLockAdmin:
    """Every admin write of a catalogue entry takes the catalogue write lock first (projects.locking).

    So a save, a delete or a restore never deadlocks with a reload or with another save: they take turns.
    A save that cannot have the lock in time gets its form back, unsaved, with everything typed (inline
    rows too) and a message to save again; a delete or a restore gets the page again with that message.
    Never a 503.
    """

    form = CatalogueAdminForm

    def _locked(self, request, view, *args):
        """Run `view` holding the lock; on CatalogueBusy, None (nothing was written)."""
        try:
            with catalogue_write_lock(save_wait(), using=router.db_for_write(self.model)):
                return view(*args)
        except CatalogueBusy:
            return None

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method in SAFE_METHODS:
            return super().changeform_view(request, object_id, form_url, extra_context)
        response = self._locked(request, super().changeform_view, request, object_id, form_url, extra_context)
        if response is None:
            # Show the form again, validated but unsaved: the form's clean() reports the busy catalogue.
            request.catalogue_busy = True
            response = super().changeform_view(request, object_id, form_url, extra_context)
        return response

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if getattr(request, "catalogue_busy", False):
            form = type(form.__name__, (form,), {"catalogue_busy": busy_form_message()})
        return form

    def _locked_or_again(self, request, view, *args):
        if request.method in SAFE_METHODS:
            return view(*args)
        response = self._locked(request, view, *args)
        if response is None:
            messages.error(request, busy_form_message())
            response = HttpResponseRedirect(request.get_full_path())
        return response

    def delete_view(self, request, object_id, extra_context=None):
        return self._locked_or_again(request, super().delete_view, request, object_id, extra_context)

    def changelist_view(self, request, extra_context=None):
        # Bulk actions (delete selected) and list_editable saves are POSTs to the changelist.
        return self._locked_or_again(request, super().changelist_view, request, extra_context)

    def _reversion_revisionform_view(self, request, version, template_name, extra_context=None):
        # Restore and recover write the old version before the change form runs: lock before that.
        return self._locked_or_again(
            request, super()._reversion_revisionform_view, request, version, template_name, extra_context
        )


@admin.register(Project)
class ProjectAdmin(CatalogueLockAdmin, VersionAdmin):
    # Five columns that fit beside the menu and the filters at 1280 px (templates/admin/projects/project/).
    list_display = ["title", "status", "is_published", "last_changed", "funding"]
    change_list_template = "admin/projects/project/change_list.html"
    list_filter = ["status", ("is_published", PublishedFilter), ("areas", AreaFilter), ("donors", DonorFilter)]
    search_fields = ["title", "text", "slug"]
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ["created", "updated"]
    form = ProjectAdminForm

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "title":
            # Titles run long ("Support to the Information Management, ..."): show them whole.
            kwargs["widget"] = forms.TextInput(attrs={"class": "vLargeTextField", "size": 90})
        if db_field.name == "start_date":
            # Starts are months ("September 2015"): a month and a year, no day, calendar or "Today".
            return db_field.formfield(form_class=MonthField, **kwargs)
        if db_field.name == "areas":
            # A dozen areas: checkboxes need no script, and read better than a search box.
            kwargs["widget"] = forms.CheckboxSelectMultiple
        if db_field.name in ("editorial_note", "editorial_note_sr_latn"):
            kwargs["widget"] = forms.Textarea(attrs={"rows": 3, "cols": 50})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    fieldsets = [
        (_("Project"), {"fields": ["title", "slug", "status", "areas", "text"]}),
        (
            _("Dates and places"),
            {
                "fields": [
                    ("start_date", "start_precision"),
                    "start_sentence",
                    "duration_months",
                    "duration_sentence",
                ]
            },
        ),
        # The catalogue's own remark, so in both languages side by side (the Cyrillic pages convert the Latin).
        (_("Editorial note"), {"fields": [("editorial_note", "editorial_note_sr_latn")]}),
        (_("Publication"), {"fields": ["is_published", ("created", "updated"), "edit_token"]}),
    ]
    inlines = [FundingInline, PartnershipInline, ContextFigureInline, ProjectPlaceInline]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and obj.text:
            # The dates' sentences are picked from the text, as the grants' and figures' are.
            for name in ("start_sentence", "duration_sentence"):
                if name in form.base_fields:
                    form.base_fields[name].widget = SourceSentenceSelect(sentences_of(obj.text))
        return form

    def get_queryset(self, request):
        # One query for all rows' grants and donors, so the changelist does not query per row.
        # Ordered by donor so the donors and funding columns line up.
        fundings = Funding.objects.select_related("donor").order_by("donor__name")
        return (
            super()
            .get_queryset(request)
            .select_related("status")
            .prefetch_related(Prefetch("fundings", queryset=fundings))
        )

    @admin.display(description=_("last changed"), ordering="updated")
    def last_changed(self, project):
        return date_format(timezone.localtime(project.updated), "j M Y")

    @admin.display(description=_("funding"))
    def funding(self, project):
        """ "EU: EUR 1,000,000": each donor (its short name) with its grant; read from the prefetched fundings."""
        return "; ".join(
            f"{funding.donor.short_name or funding.donor.name}: {grant(funding)}" for funding in project.fundings.all()
        ) or gettext("no grant recorded")

    def save_model(self, request, obj, form, change):
        # A save that changes nothing must add no version: the project is saved (and so versioned)
        # only when its form or one of its inlines changed (save_related() knows the inlines).
        # A restore (projects.history) is always recorded: its form is filled from the restored row.
        if change and not form.has_changed() and not getattr(request, "restoring_version", False):
            # Marked on the request: Django calls save_model() and save_related() with it, one save each.
            request._project_save_deferred = True
            return
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if getattr(request, "_project_save_deferred", False) and any(f.has_changed() for f in formsets):
            super().save_model(request, form.instance, form, change)
        super().save_related(request, form, formsets, change)


class NamedEntryAdmin(CatalogueLockAdmin, VersionAdmin):
    """Areas, donors and partners: found by name, slug made from the name, with a count of their projects."""

    # How the model reaches its projects; staff see every project, published or not.
    project_relation = "projects"
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ("name",)}
    # Meta.ordering is dropped from queries with a GROUP BY (the count), so autocomplete needs it restated.
    ordering = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(project_count=Count(self.project_relation))

    @admin.display(description=_("projects"), ordering="project_count")
    def project_count(self, entry):
        return entry.project_count


# The catalogue's own words in English and in Serbian (Latin script), side by side on one row each.
BILINGUAL_NAME_AND_DESCRIPTION = [
    ("name", "name_sr_latn"),
    "slug",
    ("description", "description_sr_latn"),
    "edit_token",
]


@admin.register(Donor)
class DonorAdmin(NamedEntryAdmin):
    project_relation = "fundings"  # one grant per project and donor
    list_display = ["name", "short_name", "project_count"]
    search_fields = ["name", "short_name", "search_name_sr_latn", "slug"]
    # The name is the source's (shown in English everywhere); its Serbian form beside it is for search.
    fields = [("name", "search_name_sr_latn"), "slug", "short_name", "description", "edit_token"]


@admin.register(Area)
class AreaAdmin(NamedEntryAdmin):
    list_display = ["name", "name_sr_latn", "slug", "project_count"]
    search_fields = ["name", "name_sr_latn", "slug"]
    fields = BILINGUAL_NAME_AND_DESCRIPTION


@admin.register(Place)
class PlaceAdmin(NamedEntryAdmin):
    list_display = ["name", "name_sr_latn", "display_name", "kind", "iso_code", "project_count"]
    list_filter = ["kind"]
    search_fields = ["name", "name_sr_latn", "display_name", "display_name_sr_latn", "iso_code", "slug"]
    # The Serbian names beside the English, as for areas.
    fields = [
        ("name", "name_sr_latn"),
        "slug",
        "kind",
        "iso_code",
        ("display_name", "display_name_sr_latn"),
        "edit_token",
    ]


@admin.register(Status)
class StatusAdmin(CatalogueLockAdmin, VersionAdmin):
    list_display = ["name", "name_sr_latn", "slug", "order"]
    ordering = ["order", "name"]
    prepopulated_fields = {"slug": ("name",)}
    fields = [*BILINGUAL_NAME_AND_DESCRIPTION[:-1], "order", "edit_token"]


@admin.register(Partner)
class PartnerAdmin(NamedEntryAdmin):
    project_relation = "partnerships"  # one partnership per project and partner
    list_display = ["name", "short_name", "project_count"]
    search_fields = ["name", "short_name", "slug"]
