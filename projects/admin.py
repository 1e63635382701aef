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

from .models import Area, ContextFigure, Donor, Funding, Partner, Partnership, Project, Status
from .templatetags.catalogue import NOT_STATED, grant

class CompactTextMixin:
    """Source sentences are one sentence: a short box keeps tabular rows readable."""

    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 50})}}


class FundingInline(CompactTextMixin, admin.TabularInline):
    model = Funding
    autocomplete_fields = ["donor"]
    fields = ["donor", "amount", "currency", "source_sentence"]
    extra = 0


class PartnershipInline(CompactTextMixin, admin.TabularInline):
    model = Partnership
    autocomplete_fields = ["partner"]
    fields = ["partner", "role", "source_sentence"]
    extra = 0


class ContextFigureInline(CompactTextMixin, admin.StackedInline):
    model = ContextFigure
    extra = 0
    fields = [
        "key",
        ("qualifier", "value_low", "value_high", "unit"),
        "counts",
        ("period_label", "period_start", "period_end"),
        "place",
        "source_sentence",
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
    list_display = ["title", "status", "donor_names", "funding", "is_published", "updated"]
    list_filter = ["status", "areas", "donors", "is_published"]
    search_fields = ["title", "text", "slug"]
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ["areas"]
    readonly_fields = ["created", "updated"]
    form = ProjectAdminForm

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "title":
            # Titles run long ("Support to the Information Management, ..."): show them whole.
            kwargs["widget"] = forms.TextInput(attrs={"class": "vLargeTextField", "size": 90})
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

    @admin.display(description=_("donors"))
    def donor_names(self, project):
        # Read from the prefetched fundings: project.donors.all() would query per row.
        return ", ".join(funding.donor.name for funding in project.fundings.all()) or "–"

    @admin.display(description=_("funding"))
    def funding(self, project):
        stated = [grant(funding) for funding in project.fundings.all() if funding.amount is not None]
        return "; ".join(stated) or NOT_STATED


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
