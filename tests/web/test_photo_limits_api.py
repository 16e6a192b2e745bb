"""A 16-bit image over the deep-pixel limit is refused through the API with 400, storing nothing."""

from __future__ import annotations

from tests.photo_factory import grey16_png, jpeg
from tests.web.reporting import counts, post_report


def test_a_large_16_bit_png_is_a_400_and_stores_nothing(app, client, people):
    before = counts(app)
    files_before = list(app.extensions["fieldcheck.storage"].keys())
    response = post_report(client, people["insp"], photos=[jpeg(seed=8), grey16_png(8000, 8000)])
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "photo_too_many_pixels"
    assert "2" in error["message"]  # "Photo 2: ..."
    assert counts(app) == before
    assert list(app.extensions["fieldcheck.storage"].keys()) == files_before
