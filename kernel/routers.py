from rest_framework.routers import SimpleRouter


class Router(SimpleRouter):
    """DRF's SimpleRouter with numeric ids unless a viewset sets `lookup_value_regex`: `/proposals/abc/` is then
    no route at all (the API's JSON 404), never an id a view fails to turn into a number."""

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        kwarg = getattr(viewset, "lookup_url_kwarg", None) or getattr(viewset, "lookup_field", "pk")
        value = getattr(viewset, "lookup_value_regex", "[0-9]+")
        return f"(?P<{lookup_prefix}{kwarg}>{value})"
