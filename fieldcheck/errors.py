"""Domain errors raised by services and mapped to HTTP answers in one place (see web.py).

A message is an English template marked with ``N_`` and filled from keyword parameters, so the web
layer can show it translated (zh_CN by default) while the CLI and logs read English.
"""

from __future__ import annotations


def N_(template: str) -> str:  # noqa: N802 - the conventional gettext no-op marker
    """Mark a message for translation where it is defined; it is translated where it is shown."""
    return template


class DomainError(Exception):
    """A refusal the user can understand and act on."""

    status = 400
    code = "invalid"

    def __init__(self, template: str, *, code: str | None = None, details: dict | None = None, **params):
        self.template = template
        self.params = params
        super().__init__(self.message)
        if code:
            self.code = code
        self.details = details or {}

    @property
    def message(self) -> str:
        return self.template % self.params if self.params else self.template

    def translated(self, gettext) -> str:
        text = gettext(self.template)
        # Parameters that are themselves marked messages (a reason) are translated too; codes pass unchanged.
        params = {k: gettext(v) if isinstance(v, str) and v else v for k, v in self.params.items()}
        try:
            return text % params if params else text
        except (KeyError, ValueError, TypeError):  # a broken translation must not hide the error
            return self.message


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


class Unavailable(DomainError):
    """Something the server needs (storage, the database) failed for now: the client should retry."""

    status = 503
    code = "unavailable"
