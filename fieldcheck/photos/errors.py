"""The one error photo intake raises for bad input."""

from __future__ import annotations

__all__ = ["ACCEPTED", "PhotoError"]

ACCEPTED = "JPEG, PNG, WebP or HEIC"


class PhotoError(ValueError):
    """An upload that is not a usable photo. ``code`` is stable and meant for API error bodies.

    Codes: ``empty``, ``not_an_image``, ``unsupported_format``, ``truncated``, ``too_many_pixels``.
    The message is plain English, safe to show to the user.
    """

    CODES = frozenset({"empty", "not_an_image", "unsupported_format", "truncated", "too_many_pixels"})

    def __init__(self, code: str, message: str) -> None:
        if code not in self.CODES:
            raise ValueError(f"unknown PhotoError code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(self):  # keep code and message when pickled (e.g. across a process pool)
        return (type(self), (self.code, self.message))
