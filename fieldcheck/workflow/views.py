"""Pages for rectification and verification (community, sub-district and office staff)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("workflow", __name__)
