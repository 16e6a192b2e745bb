"""safe_next refuses every character the per-character rule it replaced refused, and no other."""

from __future__ import annotations

from fieldcheck.auth.redirects import REFUSED_CHARACTERS, safe_next


def refused_by_the_old_rule(ch: str) -> bool:
    return ch.isspace() or ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0


def test_the_refused_characters_are_whitespace_and_controls_exactly():
    differ = [
        hex(code)
        for code in range(0x110000)
        if bool(REFUSED_CHARACTERS.search(chr(code))) != refused_by_the_old_rule(chr(code))
    ]
    assert differ == []


def test_a_path_with_any_refused_character_is_refused():
    for ch in ("\t", "\n", " ", "\x00", "\x7f", "\x85", "\u00a0", "\u2028", "\u3000"):
        assert safe_next(f"/reports{ch}/1") is None
    assert safe_next("/reports/1?next=%2F&q=\u4e2d") == "/reports/1?next=%2F&q=\u4e2d"
