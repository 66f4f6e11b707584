from django import template

from kernel import files

register = template.Library()


@register.filter
def file_url(row) -> str:
    """The URL that serves the file `row` holds, through its model's read check: `{{ attachment|file_url }}`."""
    return files.url_for(row)
