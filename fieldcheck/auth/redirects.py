"""The one rule for where a page may send the browser back to (`next`): a path on this site."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

#: Whitespace (what ``str.isspace`` calls so) and control characters (C0, DEL and C1), in one pass
#: rather than a test per character (every page's language link checks its own path).
REFUSED_CHARACTERS = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")


def safe_next(target: object) -> str | None:
    """The target when it is a plain same-site path, else None.

    Refused: absolute and scheme-relative URLs (`https://x`, `//x`), backslashes (browsers read `/\\x`
    as `//x`), control characters and whitespace (browsers drop tabs and newlines, so `/\\t/x` is `//x`),
    anything not starting with `/`, and overlong values.
    """
    if not isinstance(target, str) or not target or len(target) > 2000:
        return None
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if REFUSED_CHARACTERS.search(target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
