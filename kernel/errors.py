"""The one domain error type. Services raise it when a business rule is broken.

`code` is stable (clients and tests match on it); `detail` is for people. The API turns it into a JSON body with
`status` (409 by default: the request was well-formed but the rule refuses it); pages show `detail` as a message.
"""


class DomainError(Exception):
    status = 409

    def __init__(self, code: str, detail: str, *, status: int | None = None):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        if status is not None:
            self.status = status


class NotFound(DomainError):
    """The object does not exist or is not the caller's: both look the same, so nothing leaks."""

    status = 404

    def __init__(self, detail: str = "Not found."):
        super().__init__("not_found", detail)


class PermissionDenied(DomainError):
    status = 403

    def __init__(self, detail: str = "You do not have permission to do that."):
        super().__init__("permission_denied", detail)


class InvalidInput(DomainError):
    """Bad input a service refused (400). `errors` maps field names to their messages when the fault is in
    particular fields; the API returns them all, a page shows them beside their fields."""

    status = 400

    def __init__(self, code: str, detail: str, *, errors: dict[str, list[str]] | None = None):
        super().__init__(code, detail)
        self.errors = errors or {}
