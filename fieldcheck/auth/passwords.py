"""The password policy: long enough, not one of the 10,000 most common passwords, not the username.

Pure: no Flask, no database. The list is fieldcheck/data/common-passwords.txt.gz (see the NOTICE beside it).
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

MIN_LENGTH = 10
COMMON_LIST = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt.gz"

# Problems, as stable codes; callers turn them into messages in their own language.
TOO_SHORT = "too_short"
TOO_COMMON = "too_common"
IS_USERNAME = "is_username"


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_LIST, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip())


def problem(password: str | None, username: str | None = None) -> str | None:
    """The first thing wrong with the password, or None when it may be used."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    folded = password.strip().casefold()
    if folded in common_passwords():
        return TOO_COMMON
    if username and folded == username.strip().casefold():
        return IS_USERNAME
    return None
