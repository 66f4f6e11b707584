from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Every form renders with our field markup: label, control, help text and errors tied together."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
