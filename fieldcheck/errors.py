"""Domain errors raised by services and mapped to HTTP answers in one place (see web.py)."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal the user can understand and act on."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}


class Invalid(DomainError):
    status = 400
    code = "invalid"


class Unprocessable(DomainError):
    status = 422
    code = "unprocessable"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"
