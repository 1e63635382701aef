"""The staff's admin: projects with their grants, partners and figures inline, and the lists they draw on."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Prefetch
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
# Every admin here restores one object at a time, never a whole revision (see projects.history).
from .history import CatalogueVersionAdmin as VersionAdmin
from reversion.models import Version

from .admin_widgets import (
    AreaFilter,
    DonorFilter,
    MonthField,
    PublishedFilter,
    SourceSentenceSelect,
    sentences_of,
)
from .models import Area, ContextFigure, Donor, Funding, Partner, Partnership, Project, Status
from .templatetags.catalogue import grant

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
        "counts",
        "period_label",
        ("period_start", "period_end"),
        "place",
        "key",
    ]


class ProjectAdminForm(forms.ModelForm):
    """The project form, refusing to save over an edit someone else saved after this form was opened.

    `edit_token` carries the project's `updated` time as the form showed it. If the row's time has moved
    on by the time the form comes back, another editor saved in between: the save is refused with a
    message naming them, rather than silently overwriting their work.
    """

    edit_token = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Project
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["edit_token"].initial = self.instance.updated.isoformat()

    def clean(self):
        data = super().clean()
        if not self.instance.pk:
            return data
        # Locked until the admin's transaction ends (PostgreSQL), so a concurrent save waits for ours.
        current = (
            Project.objects.select_for_update().filter(pk=self.instance.pk).values_list("updated", flat=True).first()
        )
        if current is not None and data.get("edit_token") != current.isoformat():
            raise ValidationError(stale_edit_message(self.instance, current), code="stale")
        return data


def stale_edit_message(project, saved_at):
    """Who saved the project after this form was opened, and when, from its edit history."""
    latest = Version.objects.get_for_object(project).select_related("revision__user").first()
    user = latest.revision.user if latest else None
    # Translators: a date format (Django's "date" filter letters): "1 September 2015, 14:30".
    when = date_format(timezone.localtime(saved_at), gettext("j F Y, H:i"))
    if user is None:
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
    return message % {"who": user.get_full_name() or user.get_username(), "when": when}


@admin.register(Project)
class ProjectAdmin(VersionAdmin):
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
        if db_field.name == "places":
            kwargs["widget"] = forms.TextInput(attrs={"class": "vLargeTextField"})
        return super().formfield_for_dbfield(db_field, request, **kwargs)
    fieldsets = [
        (_("Project"), {"fields": ["title", "slug", "status", "areas", "text"]}),
        (_("Dates and places"), {"fields": [("start_date", "start_precision"), "duration_months", "places"]}),
        (_("Publication"), {"fields": ["is_published", ("created", "updated"), "edit_token"]}),
    ]
    inlines = [FundingInline, PartnershipInline, ContextFigureInline]

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
        """"EU: EUR 1,000,000": each donor (its short name) with its grant; read from the prefetched fundings."""
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


class NamedEntryAdmin(VersionAdmin):
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


@admin.register(Donor)
class DonorAdmin(NamedEntryAdmin):
    project_relation = "fundings"  # one grant per project and donor
    list_display = ["name", "short_name", "project_count"]
    search_fields = ["name", "short_name", "slug"]


@admin.register(Area)
class AreaAdmin(NamedEntryAdmin):
    list_display = ["name", "slug", "project_count"]


@admin.register(Status)
class StatusAdmin(VersionAdmin):
    list_display = ["name", "slug", "order"]
    ordering = ["order", "name"]
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Partner)
class PartnerAdmin(NamedEntryAdmin):
    project_relation = "partnerships"  # one partnership per project and partner
    list_display = ["name", "short_name", "project_count"]
    search_fields = ["name", "short_name", "slug"]
