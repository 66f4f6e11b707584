from rest_framework.pagination import LimitOffsetPagination


class CappedLimitOffsetPagination(LimitOffsetPagination):
    """A huge `?limit=` or `?offset=` must not reach the database (it overflows bigint: a 500)."""

    default_limit = 20
    max_limit = 100
    max_offset = 10_000

    def get_offset(self, request):
        return min(super().get_offset(request), self.max_offset)
