"""Telling people: an in-app inbox, group robots (企业微信, 钉钉) and e-mail, through a transactional outbox.

- ``rules``: which event tells whom what (pure);
- ``outbox``: a session listener that writes the notifications and deliveries in the flush that writes
  the event, so a move that commits always has them and a move that fails has none;
- ``channels``: the robots' JSON, the 钉钉 signature, e-mail;
- ``worker``: claims due deliveries (row locks on PostgreSQL, a lease everywhere), sends, records;
- ``api`` / ``views``: the inbox and the robot targets.
"""

from __future__ import annotations


def install(app) -> None:
    """Wire the package into the app: the outbox listener, the inbox page, the bell's count.

    (The API routes are imported by the factory before the api blueprint is registered.)
    """
    from . import (
        admin_views,  # noqa: F401 (its routes join the notify blueprint)
        inbox,
    )
    from .outbox import install as install_outbox
    from .views import bp, unread_count

    install_outbox()
    inbox.install_memory()
    app.register_blueprint(bp)
    app.context_processor(lambda: {"notify_unread": unread_count})
