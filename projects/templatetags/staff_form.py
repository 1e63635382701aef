"""The staff's project form: each fact card's reading, and the summary of errors at the top of the form."""

from django import template
from django.utils.translation import gettext

from ..admin_widgets import reading as fact_reading

register = template.Library()


@register.filter
def reading(fact):
    """A grant's, partnership's or figure's one-line reading (projects.admin_widgets.reading)."""
    return fact_reading(fact)


def _field_errors(form, heading=""):
    for name, errors in form.errors.items():
        if name == "__all__":
            continue
        field = form[name]
        label = f"{heading}: {field.label}" if heading else str(field.label)
        # A month and year field's first control is "<id>_0".
        anchor = field.auto_id + ("_0" if hasattr(field.field, "fields") else "")
        for error in errors:
            yield {"label": label, "message": error, "anchor": anchor}


@register.inclusion_tag("admin/projects/project/_error_summary.html")
def error_summary(adminform, inline_admin_formsets):
    """Every error of the project form and its inlines, each linking to its field."""
    items = [{"label": "", "message": error, "anchor": ""} for error in adminform.form.non_field_errors()]
    items.extend(_field_errors(adminform.form))
    for inline in inline_admin_formsets:
        formset = inline.formset
        name = inline.opts.verbose_name
        for error in formset.non_form_errors():
            items.append({"label": str(name).capitalize(), "message": error, "anchor": f"{formset.prefix}-group"})
        for number, form in enumerate(formset.forms, start=1):
            heading = gettext("%(name)s %(number)s") % {"name": str(name).capitalize(), "number": number}
            for error in form.non_field_errors():
                items.append({"label": heading, "message": error, "anchor": f"{formset.prefix}-{number - 1}"})
            items.extend(_field_errors(form, heading))
    return {"items": items}
