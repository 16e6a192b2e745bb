"""Refresh the message catalogues: extract strings, merge into each .po, compile the .mo files.

    python scripts/i18n.py            # extract, update and compile
    python scripts/i18n.py --check    # exit 1 if a string lacks a Chinese translation
    python scripts/i18n.py --fill zh pairs.tsv   # set translations from "english<TAB>chinese" lines

tests/test_i18n.py runs the same check, so an untranslated string fails the suite.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "fieldcheck" / "translations"
LOCALES = ("zh",)  # Babel parses zh_CN as zh_Hans_CN; gettext falls back to "zh"
METHOD_MAP = [("fieldcheck/**.py", "python"), ("templates/**.html", "jinja2"), ("static/**.js", "javascript")]
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def extract() -> Catalog:
    template = Catalog(project="fieldcheck", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), METHOD_MAP, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
    ):
        if filename.startswith("static/") and not filename.startswith("static/js/"):
            continue
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def load(locale: str) -> Catalog:
    path = po_path(locale)
    if not path.exists():
        return Catalog(locale=locale, project="fieldcheck", charset="utf-8")
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def missing(locale: str) -> list[str]:
    template = extract()
    catalog = load(locale)
    out = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        if (
            found is None
            or not found.string
            or (isinstance(found.string, tuple) and not all(found.string))
            or found.fuzzy
        ):
            out.append(message.id if isinstance(message.id, str) else message.id[0])
    return out


def compiled(locale: str) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, load(locale), use_fuzzy=False)
    return buf.getvalue()


def update() -> None:
    template = extract()
    for locale in LOCALES:
        catalog = load(locale)
        catalog.update(template, no_fuzzy_matching=True)
        path = po_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(fh, catalog, width=100, omit_header=False, ignore_obsolete=True)
        path.with_suffix(".mo").write_bytes(compiled(locale))


def fill(locale: str, tsv: Path) -> None:
    catalog = load(locale)
    for line in tsv.read_text("utf-8").splitlines():
        if "\t" not in line:
            continue
        source, target = line.split("\t", 1)
        message = catalog.get(source)
        if message is None:
            print(f"not in the catalogue (run without arguments first): {source}")
            continue
        message.string = target
        message.flags.discard("fuzzy")
    with po_path(locale).open("wb") as fh:
        write_po(fh, catalog, width=100, ignore_obsolete=True)
    po_path(locale).with_suffix(".mo").write_bytes(compiled(locale))


def main(argv: list[str]) -> int:
    if argv[:1] == ["--fill"]:
        fill(argv[1], Path(argv[2]))
        return 0
    if "--check" in argv:
        problems = {locale: missing(locale) for locale in LOCALES}
        for locale, ids in problems.items():
            for message_id in ids:
                print(f"{locale}: untranslated: {message_id}")
        return 1 if any(problems.values()) else 0
    update()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
