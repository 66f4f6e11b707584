"""The one domain error type. Services raise it when a business rule is broken.

`code` is stable (clients and tests match on it); `detail` is for people. The API turns it into a JSON body with
`status` (409 by default: the request was well-formed but the rule refuses it); pages show `detail` as a message.
"""

from collections.abc import Mapping, Sequence


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
    """Bad input a service refused (400): the one kind services raise for it. `errors` maps the service's argument
    names (which are the API's field names) to their messages; the API returns them all, a page shows them beside
    its fields (`kernel.pages`). `detail` defaults to the messages joined, for a page message or a log line."""

    status = 400

    def __init__(self, code: str, detail: str = "", *, errors: Mapping[str, str | Sequence[str]] | None = None):
        self.errors: dict[str, list[str]] = {
            field: [messages] if isinstance(messages, str) else [str(m) for m in messages]
            for field, messages in (errors or {}).items()
        }
        detail = detail or " ".join(m for messages in self.errors.values() for m in messages)
        super().__init__(code, detail or "Some fields are not valid.")
