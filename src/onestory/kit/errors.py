"""One error hierarchy, rendered as RFC 9457 problem+json by one handler.

Every error carries an HTTP status, a short title and, where the client sent something wrong,
the list of fields and reasons so a caller can fix its request without guessing.
"""

from __future__ import annotations

from typing import Any


class OneStoryError(Exception):
    """Base error. ``status`` is the HTTP status the API answers with."""

    status: int = 500
    title: str = "Internal error"
    type_slug: str = "internal"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra or {}

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://onestory.dev/problems/{self.type_slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


class InvalidInput(OneStoryError):
    status = 422
    title = "Invalid input"
    type_slug = "invalid-input"


class BadRequest(OneStoryError):
    status = 400
    title = "Bad request"
    type_slug = "bad-request"


class PayloadTooLarge(OneStoryError):
    status = 413
    title = "Payload too large"
    type_slug = "payload-too-large"


class NotFound(OneStoryError):
    status = 404
    title = "Not found"
    type_slug = "not-found"


class Conflict(OneStoryError):
    status = 409
    title = "Conflict"
    type_slug = "conflict"


class Unauthorized(OneStoryError):
    status = 401
    title = "Unauthorized"
    type_slug = "unauthorized"


class Forbidden(OneStoryError):
    status = 403
    title = "Forbidden"
    type_slug = "forbidden"


class Unavailable(OneStoryError):
    status = 503
    title = "Service unavailable"
    type_slug = "unavailable"


def field_error(field: str, reason: str, **more: Any) -> dict[str, Any]:
    """One entry of a problem's ``errors`` list."""
    return {"field": field, "reason": reason, **more}
