"""The scripts' trimming (fieldcheck/scripts.py): only comments and indentation go; the code stays as it
was, line by line; a script it cannot be sure of goes out whole."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from fieldcheck.scripts import trim, trimmable

STATIC_JS = Path(__file__).resolve().parents[2] / "static" / "js"


def test_comments_and_indentation_go_code_stays():
    source = (
        "/* A block\n"
        "   over lines. */\n"
        "(function () {\n"
        "  // a line comment\n"
        '  var url = "http://example.org/*not a comment*/";\n'
        "  var re = /a\\/b/g; // trailing comments stay\n"
        "\n"
        "  /* one line */ var x = 1;\n"
        "  /* one line */\n"
        "  return url\n"
        "})();\n"
    )
    assert trim(source) == (
        "(function () {\n"
        'var url = "http://example.org/*not a comment*/";\n'
        "var re = /a\\/b/g; // trailing comments stay\n"
        "/* one line */ var x = 1;\n"
        "return url\n"
        "})();\n"
    )


def test_a_script_with_template_literals_or_continued_lines_goes_out_whole():
    for source in ("var s = `\n// not a comment\n`;\n", 'var s = "a\\\n// not a comment";\n'):
        assert not trimmable(source)
        assert trim(source) == source


@pytest.mark.parametrize("path", sorted(STATIC_JS.glob("*.js")), ids=lambda p: p.name)
def test_every_static_script_trims_to_valid_javascript_with_the_same_code_lines(path, tmp_path):
    source = path.read_text(encoding="utf-8")
    trimmed = trim(source)
    assert len(trimmed) < len(source)
    code = [line.strip() for line in source.splitlines()]
    assert all(line in code for line in trimmed.splitlines())  # nothing rewritten, only lines left out
    node = shutil.which("node") or shutil.which("nodejs")
    if node:  # Debian's nodejs (installed with chromium's dependencies where present)
        out = tmp_path / path.name
        out.write_text(trimmed, encoding="utf-8")
        result = subprocess.run([node, "--check", str(out)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
