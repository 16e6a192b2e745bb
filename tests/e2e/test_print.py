"""The formal documents printed by Chromium (issue #15): a community's 整改通知单 and the month's bulletin
as A4 PDFs, with the page count each should have and the issuing body in their text.

The PDFs are read back with pypdf: their text is in compressed content streams, in subset fonts mapped
back to Unicode, which is a PDF parser's work, not a test's.

The pages are printed in English with an issuing body in Latin letters: the test machine has no CJK font
(Debian's chromium without fonts-noto-cjk or fonts-wqy-zenhei), so Chromium prints Chinese text as .notdef
glyphs that no reader can map back to text. What is tested (the issuing body, the numbers and the page
count reaching the PDF) does not depend on the script; printing in Chinese needs a CJK font on the machine
that prints, as any Chinese page does.
"""

from __future__ import annotations

import io
import unicodedata

from pypdf import PdfReader

from fieldcheck import settings
from fieldcheck.extensions import db
from fieldcheck.unit_of_work import writing
from tests.e2e.conftest import community_of, demo_point, login
from tests.e2e.test_ranking import DESKTOP, file_report

ISSUER = "Jianxi District Civilized City Leading Group Office"
A4_POINTS = (595.3, 841.9)  # 210 × 297 mm in PDF points


def pdf_of(page) -> PdfReader:
    data = page.pdf(format="A4", print_background=True)
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def text_of_page(page) -> str:
    """A page's text, whitespace collapsed and ligatures (ﬁ, ﬃ) undone."""
    return " ".join(unicodedata.normalize("NFKC", page.extract_text() or "").split())


def flat(text: str) -> str:
    """The text without any blank: PDF text extraction may split a word where a font's glyph spacing
    looks like a gap (Noto Serif CJK's "Off ice"), so words are compared blank-free."""
    return "".join(text.split())


def text_of(reader: PdfReader) -> str:
    return " ".join(text_of_page(p) for p in reader.pages)


def test_the_notice_and_the_bulletin_print_on_a4_with_the_issuing_body(live_server, phone_factory):
    app, url = live_server.app, live_server.url
    with app.app_context():
        with writing():
            settings.set_values({settings.ISSUER: ISSUER}, user_id=None)
        db.session.remove()
    code = community_of(app, "community")
    inspector = phone_factory()
    login(inspector, url, "inspector")
    reports = [
        file_report(inspector, url, *demo_point(app, code), instances=1, seed=20 + i) for i in range(2)
    ]
    month = reports[0]["observed_at"][:7]

    office = phone_factory(**DESKTOP)
    office.context.add_cookies([{"name": "lang", "value": "en", "url": url}])
    login(office, url, "office")
    office.goto(f"{url}/notices/{code}")
    office.wait_for_function("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    notice = pdf_of(office)
    assert len(notice.pages) == 1  # two items and the signature lines fit one A4 page
    box = notice.pages[0].mediabox
    # Chromium rounds the page to whole CSS pixels: within 2 points of A4.
    assert abs(float(box.width) - A4_POINTS[0]) < 2 and abs(float(box.height) - A4_POINTS[1]) < 2
    text = text_of(notice)
    assert flat(ISSUER) in flat(text) and "Rectification notice" in text and f"No. {code}-" in text
    assert all(f"#{r['id']}" in text for r in reports) and "Issued by (seal):" in text

    office.goto(f"{url}/ranking/{month}/bulletin")
    bulletin = pdf_of(office)
    pages = [text_of_page(p) for p in bulletin.pages]
    # The formal head on the first page; the ranking tables of the demo district's communities over the
    # next pages; the typical problems on a page of their own, the last (break-before: page).
    assert len(pages) >= 2 and flat(pages[0]).startswith(flat(f"{ISSUER} Numbered when published"))
    starts = [i for i, text in enumerate(pages) if text.startswith("5. Typical problems, before and after")]
    assert starts == [len(pages) - 1]
    assert sum(flat(ISSUER) in flat(text) for text in pages) == 2  # the head, and the signature at the end
