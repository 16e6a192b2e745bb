"""The app's own scripts as phones download them: the comments and indentation left out (pure).

static/js keeps its comments for the people who read it; a phone on a slow link needs none of them (a
third of the capture page's script bytes, compressed). Only what JavaScript's grammar makes certain is
removed, so no parser is needed:

- a line whose first non-blank characters are ``//`` (a line comment: outside a string, since a string
  cannot run over a line end, and our scripts hold no template literals or line continuations, which
  ``trimmable`` checks);
- a ``/* ... */`` comment that begins a line, up to its ``*/``, when nothing but blanks follows on that line;
- the blanks that begin a line, and empty lines.

Line ends stay where they are, so automatic semicolon insertion reads the script exactly as before.
"""

from __future__ import annotations


def trimmable(source: str) -> bool:
    """True when ``trim`` is safe for this script: no template literal and no line continuation."""
    return "`" not in source and not any(line.endswith("\\") for line in source.splitlines())


def trim(source: str) -> str:
    """The script without its whole-line comments, leading blanks and empty lines (see the module)."""
    if not trimmable(source):
        return source
    out: list[str] = []
    in_block = False
    for raw in source.splitlines():
        line = raw.strip()
        if in_block:
            end = line.find("*/")
            if end < 0:
                continue
            in_block = False
            line = line[end + 2 :].strip()
            if line:  # code after the comment's end
                out.append(line)
            continue
        if line.startswith("//") or not line:
            continue
        if line.startswith("/*"):
            end = line.find("*/", 2)
            if end < 0:
                in_block = True
                continue
            rest = line[end + 2 :].strip()
            if rest:
                out.append(line)  # code follows on the line: leave it whole
            continue
        out.append(line)
    return "\n".join(out) + "\n"
