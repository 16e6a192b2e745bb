"""Every user-facing string has a Simplified Chinese translation, and the compiled catalogue is current."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "scripts" / "i18n.py")
i18n = importlib.util.module_from_spec(spec)
spec.loader.exec_module(i18n)


def test_every_string_is_translated_to_chinese():
    assert i18n.missing("zh") == [], (
        "run: python scripts/i18n.py, translate, then python scripts/i18n.py --fill"
    )


def test_compiled_catalogue_matches_the_po_file():
    committed = (ROOT / "fieldcheck/translations/zh/LC_MESSAGES/messages.mo").read_bytes()
    assert committed == i18n.compiled("zh"), "run: python scripts/i18n.py to recompile messages.mo"
